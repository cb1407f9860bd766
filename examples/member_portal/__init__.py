"""A member portal: an example relying party signing members in through the identity provider.

It is deliberately a separate application: it speaks to the provider only over HTTP, through
Authlib's OpenID Connect client, as any portal of the insurer would.
"""

from .app import create_portal

__all__ = ["create_portal"]
