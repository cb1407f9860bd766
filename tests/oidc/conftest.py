"""A real relying party against the provider served over HTTP.

The provider runs in a werkzeug server thread on 127.0.0.1; the relying party is Authlib's
*client* (requests_client.OAuth2Session) and joserfc, which share no code path with the server.
The member's browser is a ``requests.Session`` that signs in through the real login page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from idp_extension.db import db
from idp_extension.models.keys import SigningKey
from idp_extension.oidc.clients import create_client
from idp_extension.security.sealing import seal

from ..conftest import csrf_token
from ..factories import create_account
from ..live_server import app_config, live_port, provider_url  # noqa: F401 - fixtures
from ..second_factor import app_code, give_authenticator
from ..sms_gateway import sms_gateway  # noqa: F401 - fixture

PASSWORD = "Correct#Horse7"
RP_CALLBACK = "http://127.0.0.1:9/callback"  # never contacted: the browser stops before it
RP_LOGOUT = "http://127.0.0.1:9/logged-out"


@pytest.fixture(scope="session")
def session_rsa_key() -> RSAKey:
    """One RS256 key for the whole run: generating one (and importing it back at the first
    signature) costs about 0.1 s of CPU, which every test that signs a token used to pay."""
    parameters = {"kid": secrets.token_urlsafe(12), "use": "sig", "alg": "RS256"}
    return RSAKey.generate_key(2048, parameters=parameters, private=True)


@pytest.fixture(scope="session")
def _sealed_session_pems(session_rsa_key) -> dict[str, str]:
    # Sealed once per secret: the provider's cache of imported keys is keyed by the sealed text.
    return {}


@pytest.fixture(autouse=True)
def _session_signing_key(request, session_rsa_key, _sealed_session_pems):
    """Install the run's RS256 key in the provider under test, as if it had created it.

    Tests of key generation and rotation opt out with ``@pytest.mark.fresh_signing_keys``:
    they start, as a new deployment does, without any key."""
    if "app" not in request.fixturenames or request.node.get_closest_marker("fresh_signing_keys"):
        return
    app = request.getfixturevalue("app")
    secret = app.config["SECRET_KEY"]
    if secret not in _sealed_session_pems:
        pem = session_rsa_key.as_pem(private=True).decode("ascii")
        _sealed_session_pems[secret] = seal(secret, pem)
    with app.app_context():
        db.session.add(
            SigningKey(
                kid=session_rsa_key.kid,
                alg="RS256",
                active=True,
                created_at=request.getfixturevalue("clock").now(),
                private_key_sealed=_sealed_session_pems[secret],
                public_jwk=session_rsa_key.as_dict(private=False),
            )
        )
        db.session.commit()


@pytest.fixture
def issuer(app):
    return app.config["IDP_ISSUER"]


def make_account(app, email="helene@example.fr", member_number="12345678", **overrides):
    """An active account with PASSWORD; (id, subject). An admin gets an authenticator app."""
    overrides.setdefault("password", PASSWORD)
    account = create_account(
        app, email=email, member_number=member_number, phone_verified=False, **overrides
    )
    account_id, subject = account.id, account.subject
    if overrides.get("is_admin"):
        # The console wants a second factor: an authenticator app, typed by Browser.login.
        give_authenticator(app, account_id)
        _APP_FACTORS[(app.config["IDP_ISSUER"], email)] = (app, account_id)
    return account_id, subject


# Accounts with an authenticator app, by (issuer, email): Browser.login types their code.
_APP_FACTORS: dict[tuple[str, str], tuple] = {}


@pytest.fixture
def member(app):
    """An active member account: (id, subject, email)."""
    account_id, subject = make_account(app)
    return {"id": account_id, "subject": subject, "email": "helene@example.fr"}


@dataclass
class Client:
    client_id: str
    client_secret: str | None
    redirect_uri: str
    auth_method: str


@pytest.fixture
def register_client(app):
    """Register a relying party: ``register_client(public=..., first_party=...)``."""

    def register(
        name="Portail adhérent",
        public=False,
        auth_method="client_secret_basic",
        first_party=True,
        scopes=None,
        redirect_uris=(RP_CALLBACK,),
        post_logout_uris=(RP_LOGOUT,),
        id_token_alg="RS256",  # noqa: S107 - an algorithm name
    ) -> Client:
        with app.app_context():
            client, secret = create_client(
                name,
                list(redirect_uris),
                list(post_logout_uris),
                public=public,
                auth_method=auth_method,
                first_party=first_party,
                scopes=scopes,
                id_token_alg=id_token_alg,
            )
            return Client(
                client.client_id, secret, redirect_uris[0], client.token_endpoint_auth_method
            )

    return register


@pytest.fixture
def rp_client(register_client):
    return register_client()


class Browser:
    """The member's browser: keeps cookies, follows nothing by itself."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def get(self, url, **kwargs):
        return self.http.get(urljoin(self.base, url), allow_redirects=False, timeout=10, **kwargs)

    def post(self, url, **kwargs):
        return self.http.post(urljoin(self.base, url), allow_redirects=False, timeout=10, **kwargs)

    def login(self, email="helene@example.fr", password=PASSWORD, page="/connexion"):
        """Sign in on the real login page; return the response to the form POST (or, for an
        account made with an authenticator app, to the second step where its code is typed)."""
        form = self.get(page)
        assert form.status_code == 200, form.text
        response = self.post(
            "/connexion",
            data={"csrf_token": csrf_token(form.text), "email": email, "password": password},
        )
        factor = _APP_FACTORS.get((self.base, email))
        if factor and response.headers.get("Location") == "/connexion/verification":
            step = self.get("/connexion/verification?methode=otp")
            response = self.post(
                "/connexion/verification?methode=otp",
                data={"csrf_token": csrf_token(step.text), "code": app_code(*factor)},
            )
        return response

    def follow(self, response, stop_at: str, limit=10):
        """Follow redirects until one leaves for ``stop_at`` (returned) or a page is shown."""
        for _ in range(limit):
            if response.status_code not in (301, 302, 303, 307):
                return response
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(stop_at):
                return location
            response = self.get(location)
        raise AssertionError("too many redirects")


@pytest.fixture
def browser(provider_url):
    return Browser(provider_url)


@dataclass
class Flow:
    """One authorization request of the relying party and what came back."""

    session: OAuth2Session
    state: str
    nonce: str
    code_verifier: str | None
    url: str
    callback: str | None = None
    params: dict = field(default_factory=dict)

    def callback_params(self) -> dict:
        query = parse_qs(urlsplit(self.callback).query, keep_blank_values=True)
        return {k: v[0] for k, v in query.items()}


class RelyingParty:
    """A member portal using Authlib's client and joserfc, over HTTP."""

    def __init__(self, base: str, client: Client, clock):
        self.base = base
        self.client = client
        self.clock = clock
        self.config = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()

    def session(self, scope="openid profile email phone member") -> OAuth2Session:
        return OAuth2Session(
            self.client.client_id,
            self.client.client_secret,
            scope=scope,
            redirect_uri=self.client.redirect_uri,
            token_endpoint_auth_method=self.client.auth_method,
            code_challenge_method="S256" if self.client.client_secret is None else None,
        )

    def start(self, scope="openid profile email phone member", pkce=None, **params) -> Flow:
        session = self.session(scope)
        pkce = self.client.client_secret is None if pkce is None else pkce
        verifier = None
        if pkce:
            verifier = "v" * 20 + "-" + "x" * 30
            params.setdefault("code_challenge", create_s256_code_challenge(verifier))
            params.setdefault("code_challenge_method", "S256")
        nonce = params.pop("nonce", secrets.token_urlsafe(12))
        url, state = session.create_authorization_url(
            self.config["authorization_endpoint"], nonce=nonce, **params
        )
        return Flow(session, state, nonce, verifier, url, params=params)

    def run(self, browser: Browser, flow: Flow) -> Flow:
        result = browser.follow(browser.get(flow.url), stop_at=self.client.redirect_uri)
        assert isinstance(result, str), (
            f"expected a redirect to the RP, got {result.status_code}: {result.text[:500]}"
        )
        flow.callback = result
        return flow

    def exchange(self, flow: Flow) -> dict:
        kwargs = {"code_verifier": flow.code_verifier} if flow.code_verifier else {}
        return flow.session.fetch_token(
            self.config["token_endpoint"],
            authorization_response=flow.callback,
            state=flow.state,
            **kwargs,
        )

    def jwks(self) -> KeySet:
        return KeySet.import_key_set(requests.get(self.config["jwks_uri"], timeout=10).json())

    def verify_id_token(
        self,
        id_token: str,
        flow: Flow | None = None,
        access_token: str | None = None,
        **extra_params,
    ) -> CodeIDToken:
        """Verify signature and every claim as a careful relying party does."""
        decoded = jwt.decode(id_token, self.jwks(), algorithms=["RS256", "ES256"])
        params = {"client_id": self.client.client_id, **extra_params}
        if flow is not None:
            params["nonce"] = flow.nonce
        if access_token:
            params["access_token"] = access_token
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={
                "iss": {"essential": True, "value": self.base},
                "aud": {"essential": True, "value": self.client.client_id},
                "sub": {"essential": True},
            },
            params=params,
        )
        claims.validate(now=int(self.clock.now().timestamp()))
        return claims


@pytest.fixture
def relying_party(provider_url, rp_client, clock):
    return RelyingParty(provider_url, rp_client, clock)


@pytest.fixture
def tokens(member, browser, relying_party):
    """The member signed in and a relying party holding their access and refresh tokens."""
    signed_in(browser)
    return relying_party.exchange(relying_party.run(browser, relying_party.start()))


def signed_in(browser: Browser, email="helene@example.fr") -> Browser:
    response = browser.login(email)
    assert response.status_code == 302, response.text[:500]
    return browser
