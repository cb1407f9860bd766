"""The member portal's factory and pages.

OpenID Connect is entirely Authlib's Flask client: discovery from the issuer's
``/.well-known/openid-configuration``, authorization code with PKCE (S256), ``state`` and
``nonce``, client_secret_basic at the token endpoint, ID token checks (signature, iss, aud,
nonce, at_hash), then RP-initiated logout with ``id_token_hint``, ``post_logout_redirect_uri``
and ``state`` (OpenID Connect RP-Initiated Logout 1.0, section 2).
"""

from __future__ import annotations

import hmac
import os
import secrets
from datetime import date

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

# Each setting, read from the environment or passed to create_portal(config).
DEFAULTS: dict[str, str | None] = {
    # The provider's issuer; discovery is fetched from <issuer>/.well-known/openid-configuration.
    "PORTAL_ISSUER": "http://127.0.0.1:5000",
    # Credentials printed by `flask --app wsgi idp demo --json` (or `idp create-client`).
    "PORTAL_CLIENT_ID": None,
    "PORTAL_CLIENT_SECRET": None,
    # Where this portal is reached; the callback and the post-logout address derive from it.
    "PORTAL_BASE_URL": "http://127.0.0.1:5001",
    "PORTAL_SCOPE": "openid profile email phone member",
    # Session signing key; a random one (sessions end on restart) when not given.
    "PORTAL_SECRET_KEY": None,
}

# Claims shown to the member, in reading order, with their French labels.
CLAIM_LABELS = [
    ("given_name", "Prénom"),
    ("family_name", "Nom"),
    ("name", "Nom complet"),
    ("birthdate", "Date de naissance"),
    ("email", "Adresse email"),
    ("email_verified", "Adresse email vérifiée"),
    ("phone_number", "Téléphone portable"),
    ("phone_number_verified", "Téléphone vérifié"),
    ("member_number", "Numéro d'adhérent"),
    ("sub", "Identifiant de connexion"),
]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self' {issuer}; frame-ancestors 'none'"
)

bp = Blueprint("portal", __name__)


class PortalConfigurationError(RuntimeError):
    """The portal cannot start with these settings."""


def create_portal(config: dict | None = None) -> Flask:
    """Build the portal: PORTAL_* from the environment, then ``config`` on top of them."""
    app = Flask(__name__, static_url_path="/static")
    settings = dict(DEFAULTS)
    settings.update({key: os.environ[key] for key in DEFAULTS if key in os.environ})
    settings.update(config or {})
    missing = [key for key in ("PORTAL_CLIENT_ID", "PORTAL_CLIENT_SECRET") if not settings[key]]
    if missing:
        raise PortalConfigurationError(
            f"{' and '.join(missing)} must be set; `flask --app wsgi idp demo --json` "
            "prints the demo portal's credentials"
        )
    settings["PORTAL_ISSUER"] = settings["PORTAL_ISSUER"].rstrip("/")
    settings["PORTAL_BASE_URL"] = settings["PORTAL_BASE_URL"].rstrip("/")
    app.config.update(settings)
    app.config.update(
        SECRET_KEY=settings["PORTAL_SECRET_KEY"] or secrets.token_hex(32),
        # Not the provider's cookie: both may live on 127.0.0.1, and cookies ignore ports.
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["PORTAL_BASE_URL"].startswith("https://"),
    )

    oauth = OAuth(app)
    oauth.register(
        name="idp",
        client_id=settings["PORTAL_CLIENT_ID"],
        client_secret=settings["PORTAL_CLIENT_SECRET"],
        server_metadata_url=f"{settings['PORTAL_ISSUER']}/.well-known/openid-configuration",
        client_kwargs={
            "scope": settings["PORTAL_SCOPE"],
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
            "default_timeout": 10,
        },
    )
    app.register_blueprint(bp)
    _init_pages(app)
    return app


def _idp():
    return current_app.extensions["authlib.integrations.flask_client"].idp


def _url(path: str) -> str:
    return current_app.config["PORTAL_BASE_URL"] + path


@bp.get("/")
def home():
    signed_out = False
    if "state" in request.args:
        # Back from the provider's end-session endpoint: only our own state counts.
        try:
            _idp().validate_logout_response()
            signed_out = True
        except OAuthError:
            signed_out = False
    return render_template("portal/home.html", member=session.get("member"), signed_out=signed_out)


@bp.get("/connexion")
def login():
    return _send_to_provider()


@bp.get("/inscription")
def sign_up():
    # OpenID Connect "Initiating User Registration": straight to the provider's sign-up form.
    return _send_to_provider(prompt="create")


def _send_to_provider(**extra):
    try:
        return _idp().authorize_redirect(_url("/callback"), **extra)
    except requests.RequestException:
        return _unreachable()


@bp.get("/callback")
def callback():
    try:
        token = _idp().authorize_access_token()
        claims = dict(token["userinfo"])
        claims.update(_idp().userinfo(token=token))
    except OAuthError as error:
        if error.error == "access_denied":
            return _error(
                403,
                "Connexion annulée",
                "Vous n'avez pas autorisé le portail à accéder à votre compte.",
            )
        return _error(
            400,
            "Connexion impossible",
            "La réponse du service de connexion n'a pas pu être vérifiée. Merci de recommencer.",
        )
    except requests.RequestException:
        return _unreachable()
    session.clear()
    session["member"] = {key: claims[key] for key, _ in CLAIM_LABELS if key in claims}
    session["id_token"] = token["id_token"]
    return redirect(url_for("portal.account"))


@bp.get("/mon-espace")
def account():
    member = session.get("member")
    if not member:
        return redirect(url_for("portal.home"))
    rows = [(label, _display(key, member[key])) for key, label in CLAIM_LABELS if key in member]
    return render_template("portal/account.html", member=member, rows=rows)


@bp.post("/deconnexion")
def logout():
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(request.form.get("csrf_token", ""), expected):
        abort(400)
    id_token = session.get("id_token")
    session.clear()
    try:
        return _idp().logout_redirect(post_logout_redirect_uri=_url("/"), id_token_hint=id_token)
    except requests.RequestException:
        return _unreachable()


def _display(key: str, value) -> str:
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if key == "birthdate":
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _error(status: int, title: str, message: str):
    return render_template("portal/error.html", title=title, message=message), status


def _unreachable():
    return _error(
        502,
        "Service momentanément indisponible",
        "Le service de connexion ne répond pas. Merci de réessayer dans un instant.",
    )


def _init_pages(app: Flask) -> None:
    @app.context_processor
    def csrf_field():
        def csrf_token() -> str:
            if "csrf" not in session:
                session["csrf"] = secrets.token_urlsafe(32)
            return session["csrf"]

        return {"csrf_token": csrf_token}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            CONTENT_SECURITY_POLICY.format(issuer=app.config["PORTAL_ISSUER"]),
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # The callback's URL carries the authorization code.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(400)
    def bad_request(error):
        return _error(
            400,
            "Demande invalide",
            "Votre session a expiré ou la demande n'a pas pu être comprise. Merci de recommencer.",
        )

    @app.errorhandler(404)
    def not_found(error):
        return _error(404, "Page introuvable", "Cette page n'existe pas ou n'existe plus.")

    @app.errorhandler(405)
    def not_allowed(error):
        return _error(405, "Action impossible", "Cette action n'est pas possible sur cette page.")
