"""OpenID Connect models (clients, codes, tokens, consents). Owned by the oidc work."""
