"""Authlib's OAuth 2.0 / OpenID Connect server, wired for one application.

The oidc package is the only place importing Authlib's server classes: ``storage`` (clients,
codes, tokens), ``grants`` (code + PKCE + OpenID Connect, refresh), ``endpoints`` (revocation,
introspection, userinfo, end-session, ``iss``), and this module, which wires them. It follows
RFC 6749, RFC 7636 (S256 only), RFC 7009, RFC 7662, RFC 9207, OpenID Connect Core 1.0 and
RP-Initiated Logout 1.0.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidRequestError
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    LoginRequiredError,
    RequestNotSupportedError,
    RequestURINotSupportedError,
)
from flask import Flask, current_app

from ..errors import json_error
from .endpoints import (
    AccessTokenValidator,
    BearerProtector,
    EndSession,
    Issuer,
    TokenIntrospection,
    TokenRevocation,
    UserInfo,
)
from .grants import AuthorizationCodeGrant, OpenIDConnectCode, RefreshTokenGrant, S256CodeChallenge
from .storage import generate_bearer_token, query_client, save_token

__all__ = [
    "AccessDeniedError",
    "ConsentRequiredError",
    "InvalidRequestError",
    "LoginRequiredError",
    "OAuth2Error",
    "RequestNotSupportedError",
    "RequestURINotSupportedError",
    "current_server",
    "error_response",
    "init_server",
    "query_client",
]


class ProviderServer(AuthorizationServer):
    """Authlib's server, its JSON errors written by the provider's one writer."""

    def handle_error_response(self, request, error: OAuth2Error):
        """RFC 6749 5.2 through ``errors.json_error``, with the error's own challenge
        (``WWW-Authenticate``); an error carried back to a redirect URI stays Authlib's."""
        if error.redirect_uri:
            return super().handle_error_response(request, error)
        challenge = {k: v for k, v in error.get_headers() if k.lower() == "www-authenticate"}
        return json_error(error.error, error.get_error_description(), error.status_code, challenge)


@dataclass
class OidcServer:
    """One application's Authlib server parts, kept in ``app.extensions["idp"].oidc``."""

    authorization: ProviderServer
    bearer: BearerProtector
    issuer: Issuer


def init_server(app: Flask) -> OidcServer:
    """Build and wire Authlib's server and resource protector for ``app``."""
    # Authlib's debug lines print issued tokens in clear ("Issue token {...}"): keep them out
    # of our logs unless an operator configured the authlib logger on purpose.
    authlib_log = logging.getLogger("authlib")
    if authlib_log.level == logging.NOTSET:
        authlib_log.setLevel(logging.INFO)
    server = ProviderServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.register_token_generator("default", generate_bearer_token)
    server.register_grant(
        AuthorizationCodeGrant, [S256CodeChallenge(required=True), OpenIDConnectCode()]
    )
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(TokenRevocation)
    server.register_endpoint(TokenIntrospection)
    bearer = BearerProtector()
    bearer.register_token_validator(AccessTokenValidator())
    server.register_endpoint(UserInfo(resource_protector=bearer))
    server.register_endpoint(EndSession)
    issuer = Issuer()
    server.register_extension(issuer)
    state = OidcServer(authorization=server, bearer=bearer, issuer=issuer)
    app.extensions["idp"].oidc = state
    return state


def current_server() -> OidcServer:
    return current_app.extensions["idp"].oidc


def error_response(error: OAuth2Error):
    """Authlib's response for an error (a redirect carrying ``iss`` when it has a redirect URI)."""
    state = current_server()
    response = state.authorization.handle_error_response(None, error)
    if response.location:
        state.issuer.add_issuer_parameter(state.authorization, response)
    return response
