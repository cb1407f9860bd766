"""Sign-up does not tell whether an address is in use: a used address answers exactly as a
free one, and its owner gets a mail instead; an address held by a sign-up never activated is
freed when its link has expired, or by an admin."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from idp_extension.db import db
from idp_extension.enrollment import service
from idp_extension.models import Account, AccountStatus, AuditEvent

from ..conftest import csrf_token, page_text
from ..mailparse import link_labelled, text_part
from .conftest import counts, submit_sign_up

ZOE = {
    "member_number": "87654321",
    "first_name": "Zoé",
    "last_name": "Cœur",
    "birth_date": "1992-02-29",
}


def as_read(response, address: str) -> str:
    """The page as a person reads it, with the typed address and the CSRF token masked."""
    text = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "CSRF", page_text(response))
    return text.replace(address, "ADDRESS")


def sign_up_as_zoe(client, address: str):
    response = submit_sign_up(client, **ZOE, email=address, email_confirm=address)
    response.close()  # as a WSGI server does: the request's mail now leaves
    return response


def activate_helene(app) -> None:
    with app.app_context():
        account = db.session.scalars(select(Account)).one()
        account.status = AccountStatus.ACTIVE
        db.session.commit()


def sealed_reference(app, client) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"], domain="localhost")
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return data["enrollment_sign_up"]


def test_a_used_address_answers_as_a_free_one_and_its_owner_is_told(app, members, smtp):
    submit_sign_up(app.test_client()).close()
    activate_helene(app)
    smtp.clear()

    attacker = app.test_client()
    used = sign_up_as_zoe(attacker, "HELENE@example.org")
    used_page = attacker.get(used.location)
    stranger = app.test_client()
    free = sign_up_as_zoe(stranger, "zoe@example.org")
    free_page = stranger.get(free.location)

    assert (
        (used.status_code, used.location)
        == (free.status_code, free.location)
        == (
            302,
            "/inscription/email-envoye",
        )
    )
    assert used_page.status_code == free_page.status_code == 200
    assert as_read(used_page, "helene@example.org") == as_read(free_page, "zoe@example.org")
    # The session cookie, readable by its holder, does not tell either.
    assert len(sealed_reference(app, attacker)) == len(sealed_reference(app, stranger))

    (warning,) = smtp.messages_to("helene@example.org")
    assert "Tentative de création" in warning["Subject"]
    assert "Quelqu'un a essayé de créer un espace client avec votre adresse" in text_part(warning)
    assert link_labelled(warning, "Me connecter") == "http://localhost/connexion"
    assert len(smtp.messages_to("zoe@example.org")) == 1  # the free address: its activation
    # Only Hélène's and the free sign-up's accounts exist; Hélène's is untouched.
    assert counts(app)[0] == 2
    with app.app_context():
        helene = db.session.scalar(select(Account).where(Account.member_number == "12345678"))
        assert helene.status == AccountStatus.ACTIVE

    # "Send a new link" from the page answers the same, and tells the owner again.
    for client in (attacker, stranger):
        page = client.get("/inscription/email-envoye").get_data(as_text=True)
        again = client.post("/inscription/nouveau-lien", data={"csrf_token": csrf_token(page)})
        again.close()
        assert (again.status_code, again.location) == (302, "/inscription/email-envoye")
    assert len(smtp.messages_to("helene@example.org")) == 2


def test_an_expired_sign_up_never_activated_frees_its_address(app, members, smtp, clock):
    sign_up_as_zoe(app.test_client(), "shared@example.org")
    smtp.clear()

    # While Zoé's link lives, the address is hers: Hélène's attempt only warns it.
    submit_sign_up(
        app.test_client(), email="shared@example.org", email_confirm="shared@example.org"
    ).close()
    (warning,) = smtp.messages_to("shared@example.org")
    assert "Tentative de création" in warning["Subject"]
    assert counts(app)[0] == 1

    clock.advance(hours=25)  # Zoé's link (24 h) has expired, never used
    smtp.clear()
    submit_sign_up(
        app.test_client(), email="shared@example.org", email_confirm="shared@example.org"
    ).close()
    (activation,) = smtp.messages_to("shared@example.org")
    assert "/activation/" in link_labelled(activation, "Activer mon compte")
    with app.app_context():
        (account,) = db.session.scalars(select(Account)).all()
        assert account.member_number == "12345678"
        assert account.email == "shared@example.org"
        freed = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "email_freed")
        ).one()
        assert freed.details["reason"] == "activation_expired"


def test_an_admin_frees_an_address_held_by_a_sign_up_never_activated(app, members, smtp):
    sign_up_as_zoe(app.test_client(), "typo@example.org")
    submit_sign_up(app.test_client()).close()
    with app.app_context():
        helene = db.session.scalar(select(Account).where(Account.member_number == "12345678"))
        helene.status = AccountStatus.ACTIVE  # an active member's address cannot be freed
        db.session.commit()
        with pytest.raises(service.AddressNotFreeableError):
            service.free_email_address("helene@example.org", admin_id=helene.id)
        assert service.free_email_address("TYPO@example.org", admin_id=helene.id) is True
        assert service.free_email_address("nobody@example.org", admin_id=helene.id) is False
        remaining = db.session.scalars(select(Account.email)).all()
        assert remaining == ["helene@example.org"]

    result = app.test_cli_runner().invoke(args=["idp", "free-email", "helene@example.org"])
    assert result.exit_code != 0 and "never activated" in result.output

    # The freed address signs up again at once.
    smtp.clear()
    sign_up_as_zoe(app.test_client(), "typo@example.org")
    assert "/activation/" in link_labelled(
        smtp.messages_to("typo@example.org")[0], "Activer mon compte"
    )
