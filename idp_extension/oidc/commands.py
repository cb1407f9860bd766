"""``flask idp create-client`` and ``flask idp rotate-keys`` (DESIGN section 9)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..cli import idp_group, summary
from .clients import ClientRegistrationError, create_client
from .keys import rotate_keys


@idp_group.command("create-client")
@click.argument("name")
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    required=True,
    help="Exact redirect URI (repeat for several).",
)
@click.option(
    "--post-logout-uri",
    "post_logout_uris",
    multiple=True,
    help="Exact post-logout redirect URI (repeat for several).",
)
@click.option("--public", is_flag=True, help="No secret; PKCE required.")
@click.option(
    "--auth-method",
    type=click.Choice(["client_secret_basic", "client_secret_post"]),
    default="client_secret_basic",
    show_default=True,
)
@click.option("--first-party", is_flag=True, help="Skip the consent page.")
@click.option("--scope", "scopes", multiple=True, help="Allowed scope (repeat); default all.")
@click.option(
    "--id-token-alg", type=click.Choice(["RS256", "ES256"]), default="RS256", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def create_client_command(
    name,
    redirect_uris,
    post_logout_uris,
    public,
    auth_method,
    first_party,
    scopes,
    id_token_alg,
    as_json,
):
    """Register a relying party; prints its client_id and, once, its client_secret."""
    try:
        client, secret = create_client(
            name,
            redirect_uris,
            post_logout_uris,
            public=public,
            auth_method=auth_method,
            first_party=first_party,
            scopes=scopes or None,
            id_token_alg=id_token_alg,
        )
    except ClientRegistrationError as error:
        raise click.UsageError(str(error)) from None
    data = {
        "client_id": client.client_id,
        "client_secret": secret,
        "name": client.name,
        "public": client.is_public,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "first_party": client.first_party,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "scopes": client.scopes,
    }
    line = f"client {client.name!r} created: client_id={client.client_id}"
    if secret:
        line += f" client_secret={secret} (shown once, store it now)"
    summary(data, line, as_json)


@idp_group.command("rotate-keys")
@click.option(
    "--emergency",
    is_flag=True,
    help="A key is compromised: sign with the new key at once and withdraw the old one from "
    "the JWKS. Relying parties with a cached JWKS then reject new ID tokens until they fetch "
    "it again (up to its max-age), and ID tokens the old key signed stop verifying.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def rotate_keys_command(emergency, as_json):
    """Publish a new signing key now; it signs once every cached JWKS has it (--emergency: at
    once). The key it replaces stays published until its ID tokens expire."""
    created, replaced = rotate_keys(emergency=emergency)
    signs_from = (created[0].activates_at or created[0].created_at).isoformat()
    data = {
        "active": [{"kid": k.kid, "alg": k.alg} for k in created],
        "retired": [{"kid": k.kid, "alg": k.alg} for k in replaced],
        "signs_from": signs_from,
        "emergency": emergency,
    }
    line = (
        f"published {', '.join(k.kid for k in created)}, signing from {signs_from}; "
        f"retired then: {', '.join(k.kid for k in replaced) or 'none'}"
    )
    if emergency:
        line = (
            f"signing now with {', '.join(k.kid for k in created)}; withdrawn: "
            f"{', '.join(k.kid for k in replaced) or 'none'}. Relying parties with a cached JWKS "
            "reject new ID tokens until they fetch it again (up to 5 minutes); ID tokens signed "
            "by the withdrawn keys no longer verify"
        )
    summary(data, line, as_json)
