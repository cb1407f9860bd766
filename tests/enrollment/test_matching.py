"""Identity proofing against the register: the rules of DESIGN section 2, tested directly."""

from datetime import date

import pytest

from idp_extension.enrollment import service
from idp_extension.enrollment.matching import names_match, normalise_name, record_matches
from idp_extension.models import MemberRecord, MemberStatus


def member(
    last="Lefèvre-Dupont", first="Hélène", born=date(1980, 5, 17), status=MemberStatus.ACTIVE
):
    return MemberRecord(
        member_number="12345678", last_name=last, first_name=first, birth_date=born, status=status
    )


@pytest.mark.parametrize(
    ("typed", "registered"),
    [
        ("LEFEVRE DUPONT", "Lefèvre-Dupont"),
        ("lefevre-dupont", "Lefèvre-Dupont"),
        ("Lefèvre   Dupont", "Lefèvre-Dupont"),
        ("COEUR", "Cœur"),
        ("Laetitia", "Lætitia"),
        ("SOREN", "Søren"),
        ("STRASSE", "Straße"),
        ("D ARTAGNAN", "d'Artagnan"),
        ("d’Artagnan", "d'Artagnan"),
        ("n'diaye", "N'Diaye"),
        ("  Hélène ", "HELENE"),
        ("Nguyen", "Nguyễn"),
    ],
)
def test_names_that_are_the_same_person_match(typed, registered):
    assert names_match(typed, registered)


@pytest.mark.parametrize(
    ("typed", "registered"),
    [
        ("Dupond", "Dupont"),
        ("LEFEVREDUPONT", "Lefèvre-Dupont"),
        ("Coeurs", "Cœur"),
        ("", ""),
        ("-", "'"),
    ],
)
def test_different_names_do_not_match(typed, registered):
    assert not names_match(typed, registered)


def test_normalised_form_is_ascii_lower_with_single_spaces():
    assert normalise_name("  Lefèvre--Dupont  d’Œuf ") == "lefevre dupont d oeuf"


def test_full_record_matches_with_accents_dropped_and_case_folded():
    assert record_matches(
        member(), first_name="helene", last_name="LEFEVRE DUPONT", birth_date=date(1980, 5, 17)
    )


def test_wrong_birth_date_does_not_match():
    assert not record_matches(
        member(), first_name="Hélène", last_name="Lefèvre-Dupont", birth_date=date(1980, 5, 18)
    )


def test_wrong_first_name_does_not_match():
    assert not record_matches(
        member(), first_name="Hélèna", last_name="Lefèvre-Dupont", birth_date=date(1980, 5, 17)
    )


def test_terminated_member_does_not_match_even_with_exact_data():
    assert not record_matches(
        member(status=MemberStatus.TERMINATED),
        first_name="Hélène",
        last_name="Lefèvre-Dupont",
        birth_date=date(1980, 5, 17),
    )


def test_unknown_member_does_not_match():
    assert not record_matches(
        None, first_name="Hélène", last_name="Lefèvre-Dupont", birth_date=date(1980, 5, 17)
    )


def test_status_as_plain_text_from_an_http_registry():
    class Remote:
        member_number, last_name, first_name = "12345678", "Cœur", "Zoé"
        birth_date, status = date(1992, 2, 29), "active"

    assert record_matches(
        Remote(), first_name="ZOE", last_name="COEUR", birth_date=date(1992, 2, 29)
    )


def _enroll(**overrides):
    values = dict(
        first_name="Zoe",
        last_name="COEUR",
        birth_date=date(1992, 2, 29),
        member_number="87654321",
        email="zoe@example.org",
        phone="+33612345678",
    )
    values.update(overrides)
    return service.enroll(**values)


def test_enroll_proves_against_the_configured_registry(app, members, smtp):
    with app.app_context():
        result = _enroll()
        # The register's spelling is what the account keeps.
        assert (result.account.first_name, result.account.last_name) == ("Zoé", "Cœur")
        assert result.account.status == "pending"
        assert len(result.outbox_ids) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"birth_date": date(1992, 3, 1)},
        {"last_name": "Coeurs"},
        {"member_number": "99999999"},
        {
            "member_number": "11112222",
            "first_name": "Paul",
            "last_name": "Martin",
            "birth_date": date(1955, 11, 3),
        },  # terminated
    ],
)
def test_enroll_refuses_a_mismatch_without_writing_an_account(app, members, overrides):
    from sqlalchemy import func, select

    from idp_extension.db import db
    from idp_extension.models import Account, OutboxMessage

    with app.app_context():
        with pytest.raises(service.RegistryMismatchError):
            _enroll(**overrides)
        assert db.session.scalar(select(func.count()).select_from(Account)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_registry_is_pluggable(members, app_config, clock, tmp_path):
    """A registry passed to the extension (an insurer's HTTP API) is the one consulted."""
    from idp_extension import create_app
    from idp_extension.db import db

    class Remote:
        member_number, last_name, first_name = "55555555", "Øberg", "Ærø"
        birth_date, status = date(1970, 1, 1), "active"

    class RemoteRegistry:
        def __init__(self):
            self.asked = []

        def lookup(self, member_number):
            self.asked.append(member_number)
            return Remote() if member_number == "55555555" else None

    registry = RemoteRegistry()
    other = create_app(app_config, clock=clock, registry=registry)
    with other.app_context():
        result = _enroll(
            member_number="55555555",
            first_name="AERO",
            last_name="oberg",
            birth_date=date(1970, 1, 1),
            email="aero@example.org",
        )
        assert result.account.last_name == "Øberg"
        with pytest.raises(service.RegistryMismatchError):
            _enroll()  # 87654321 is in the table, not in this registry
        db.session.remove()
    assert registry.asked == ["55555555", "87654321"]
