"""Signing keys for ID tokens. Owned by the oidc work."""
