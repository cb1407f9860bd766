"""The sign-up form as members meet it: its labels, and every kind of bad input (CSRF on)."""

import re

import pytest

from idp_extension.db import db
from idp_extension.models import Account

from ..conftest import configure, csrf_token, page_text
from .conftest import SIGN_UP, counts, labels_in_order, submit_sign_up, valid_form

TERMS = (
    "Je certifie avoir pris connaissance des mentions légales et des conditions générales "
    "et je les accepte."
)


def field_error(html: str, field_id: str) -> str:
    """The message shown next to a field, which the field must point to (aria-describedby)."""
    found = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert found, f"no message next to {field_id}"
    input_tag = re.search(rf'<(?:input|select)[^>]*\bid="{field_id}"[^>]*>', html).group(0)
    assert f"{field_id}-error" in input_tag and 'aria-invalid="true"' in input_tag
    assert f'href="#{field_id}"' in html  # the error summary links to the field
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()).replace("Erreur : ", "")


def test_form_has_the_contract_labels_in_order(client):
    response = client.get(SIGN_UP)
    html = page_text(response)
    assert response.status_code == 200
    assert labels_in_order(html) == [
        "Votre prénom",
        "Votre nom",
        "Jour",
        "Mois",
        "Année",
        "Votre numéro d'adhérent",
        "Votre adresse email",
        "Confirmer adresse email",
        "Indicatif pays",
        "Votre téléphone portable",
        "Confirmer votre numéro",
        TERMS,
    ]
    legends = re.findall(r"<legend[^>]*>(.*?)</legend>", html)
    assert legends == [
        "Vos informations",
        "Votre date de naissance",
        "Votre email",
        "Votre téléphone portable",
    ]
    assert re.search(r'<button type="submit" class="button">Valider</button>', html)
    assert "Par exemple 17 05 1980" in html


def test_birth_date_is_three_numeric_fields_in_a_fieldset_never_a_date_input(client):
    html = page_text(client.get(SIGN_UP))
    assert 'type="date"' not in html
    fieldset = re.search(r'<fieldset class="date-fieldset"[^>]*>.*?</fieldset>', html, re.S).group(
        0
    )
    assert 'aria-describedby="birth_date-hint"' in fieldset
    for part, autocomplete in [
        ("birth_day", "bday-day"),
        ("birth_month", "bday-month"),
        ("birth_year", "bday-year"),
    ]:
        tag = re.search(rf'<input[^>]*\bid="{part}"[^>]*>', fieldset).group(0)
        assert 'type="text"' in tag and 'inputmode="numeric"' in tag
        assert f'autocomplete="{autocomplete}"' in tag
    assert "carte de tiers payant" in html and "8 chiffres" in html


def test_every_input_has_its_label(client):
    html = client.get(SIGN_UP).get_data(as_text=True)
    ids = re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html)
    assert len(ids) == 12
    for field_id in ids:
        assert re.search(rf'<label[^>]*for="{field_id}"', html), field_id


def test_country_codes_default_to_france_and_include_overseas(client):
    html = page_text(client.get(SIGN_UP))
    select = re.search(r'<select[^>]*id="country".*?</select>', html, re.S).group(0)
    assert re.search(r'<option selected value="FR">France \(\+33\)</option>', select)
    for code, text in [
        ("BE", "+32"),
        ("CH", "+41"),
        ("GP", "+590"),
        ("RE", "+262"),
        ("YT", "+262"),
        ("GF", "+594"),
        ("MQ", "+596"),
    ]:
        assert re.search(rf'value="{code}">[^<]*\{text}\)', select)


def test_terms_link_to_both_documents(client, app):
    html = client.get(SIGN_UP).get_data(as_text=True)
    assert 'href="/mentions-legales"' in html and 'href="/conditions-generales"' in html
    assert client.get("/mentions-legales").status_code == 200
    assert "Conditions générales" in page_text(client.get("/conditions-generales"))


def test_terms_links_can_point_to_the_insurers_documents(app, client):
    configure(app, IDP_TERMS_URL="https://mutuelle.example/cgu.pdf")
    html = client.get(SIGN_UP).get_data(as_text=True)
    assert 'href="https://mutuelle.example/cgu.pdf"' in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"first_name": "H" * 10_000}, "first_name", "au plus 100 caractères"),
        ({"last_name": "D" * 10_240}, "last_name", "au plus 100 caractères"),
        ({"first_name": "Hél\x00ène"}, "first_name", "caractères non autorisés"),
        ({"last_name": "Dupont\x1b[31m"}, "last_name", "caractères non autorisés"),
        ({"last_name": "Dupont\u202e"}, "last_name", "caractères non autorisés"),
        ({"first_name": ""}, "first_name", "Saisissez votre prénom"),
        ({"member_number": "1234567A"}, "member_number", "8 chiffres"),
        ({"member_number": "123"}, "member_number", "8 chiffres"),
        ({"member_number": "1" * 5000}, "member_number", "8 chiffres"),
        ({"member_number": "١٢٣٤٥٦٧٨"}, "member_number", "8 chiffres"),  # Arabic-Indic digits
        ({"email": "helene-at-example.org"}, "email", "adresse email valide"),
        ({"email_confirm": "helene@example.com"}, "email_confirm", "pas identiques"),
        ({"email": "a" * 300 + "@example.org"}, "email", "au plus 254 caractères"),
        ({"phone": "01 23 45 67 89"}, "phone", "téléphone portable valide"),
        ({"phone": "0470 12 34 56"}, "phone", "téléphone portable valide"),  # Belgian, FR chosen
        ({"phone": "06" + "1" * 40}, "phone", "trop long"),
        ({"phone_confirm": "06 12 34 56 79"}, "phone_confirm", "pas identiques"),
        ({"country": "US"}, "country", "indicatif de votre pays"),
        ({"accept_terms": None}, "accept_terms", "Vous devez accepter"),
    ],
)
def test_bad_input_gets_a_message_next_to_the_field_and_writes_nothing(
    app, client, members, overrides, field, message
):
    response = submit_sign_up(client, **overrides)
    html = page_text(response)
    assert response.status_code == 422
    assert message in field_error(html, field)
    assert counts(app) == (0, 0)


def date_error(html: str, part: str) -> str:
    """The birth-date group's message, which the fieldset points to; the wrong part is marked
    invalid and the error summary links to it."""
    fieldset = re.search(r'<fieldset class="date-fieldset"[^>]*>.*?</fieldset>', html, re.S)
    assert fieldset and 'aria-describedby="birth_date-hint birth_date-error"' in fieldset.group(0)
    found = re.search(r'<p class="error-message" id="birth_date-error">(.*?)</p>', html, re.S)
    assert found, "no message in the birth-date group"
    input_tag = re.search(rf'<input[^>]*\bid="{part}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in input_tag
    assert f'href="#{part}"' in html
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()).replace("Erreur : ", "")


@pytest.mark.parametrize(
    ("parts", "wrong", "message"),
    [
        (("31", "02", "1980"), "birth_day", "Saisissez une date de naissance réelle"),
        (("29", "02", "1981"), "birth_day", "Saisissez une date de naissance réelle"),
        (("01", "01", "2999"), "birth_day", "Saisissez une date de naissance réelle"),
        (("", "", ""), "birth_day", "Saisissez votre date de naissance"),
        (("", "05", "1980"), "birth_day", "Saisissez le jour de votre naissance"),
        (
            ("32", "05", "1980"),
            "birth_day",
            "Le jour de naissance doit être un nombre entre 1 et 31",
        ),
        (("17", "", "1980"), "birth_month", "Saisissez le mois de votre naissance"),
        (
            ("17", "13", "1980"),
            "birth_month",
            "Le mois de naissance doit être un nombre entre 1 et 12",
        ),
        (
            ("17", "mai", "1980"),
            "birth_month",
            "Le mois de naissance doit être un nombre entre 1 et 12",
        ),
        (("17", "05", ""), "birth_year", "Saisissez l'année de votre naissance"),
        (("17", "05", "80"), "birth_year", "L'année de naissance doit comporter 4 chiffres"),
        (("17", "05", "1" * 5000), "birth_year", "Saisissez uniquement des chiffres"),
    ],
)
def test_each_birth_date_part_gets_its_own_message_and_nothing_is_written(
    app, client, members, parts, wrong, message
):
    day, month, year = parts
    response = submit_sign_up(client, birth_day=day, birth_month=month, birth_year=year)
    html = page_text(response)
    assert response.status_code == 422
    assert message in date_error(html, wrong)
    assert "ne correspondent pas" not in html  # a wrong date is not a register mismatch
    assert counts(app) == (0, 0)


def test_two_wrong_date_parts_get_both_messages(app, client, members):
    response = submit_sign_up(client, birth_day="", birth_month="13", birth_year="1980")
    text = date_error(page_text(response), "birth_day")
    assert "Saisissez le jour" in text and "Le mois de naissance" in text
    assert 'href="#birth_month"' in page_text(response)


def test_a_date_typed_with_single_digits_or_spaces_is_read(app, client, members):
    response = submit_sign_up(client, birth_day=" 17", birth_month="5", birth_year="1980 ")
    assert response.status_code == 302


def test_nothing_typed_is_lost_on_redisplay(app, client, members):
    response = submit_sign_up(client, phone_confirm="06 00 00 00 00", country="FR")
    html = page_text(response)
    for value in [
        "Hélène",
        "LEFEVRE DUPONT",
        "17",
        "05",
        "1980",
        "12345678",
        "helene@example.org",
        "06 12 34 56 78",
        "06 00 00 00 00",
    ]:
        assert f'value="{value}"' in html, value
    assert re.search(r'<input checked[^>]*id="accept_terms"', html)


def test_phone_numbers_of_other_countries_are_stored_in_e164(app, client, members):
    response = submit_sign_up(
        client, country="BE", phone="0470 12 34 56", phone_confirm="+32 470 12 34 56"
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.query(Account).one().phone == "+32470123456"


@pytest.mark.parametrize(
    "overrides",
    [
        {"member_number": "99999999"},
        {"last_name": "Dupond"},
        {"first_name": "Hélèna"},
        {"birth_date": "1980-05-18"},
        {
            "member_number": "11112222",
            "first_name": "Paul",
            "last_name": "Martin",
            "birth_date": "1955-11-03",
        },  # terminated member
    ],
)
def test_registry_mismatch_gets_one_message_that_does_not_say_which(
    app, client, members, overrides
):
    response = submit_sign_up(client, **overrides)
    html = page_text(response)
    assert response.status_code == 422
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert "ne correspondent pas à celles de votre carte de tiers payant" in summary
    assert 'class="error-message"' not in html  # no field is singled out
    assert counts(app) == (0, 0)


def test_missing_csrf_token_is_refused(app, client, members):
    client.get(SIGN_UP)
    response = client.post(SIGN_UP, data=valid_form())
    assert response.status_code == 400
    assert "formulaire n'est plus valide" in page_text(response)
    assert counts(app) == (0, 0)


def test_wrong_csrf_token_is_refused(app, client, members):
    client.get(SIGN_UP)
    response = client.post(SIGN_UP, data={**valid_form(), "csrf_token": "forged.token.value"})
    assert response.status_code == 400
    assert counts(app) == (0, 0)


def test_csrf_token_of_another_browser_is_refused(app, client, members):
    other = app.test_client()
    token = csrf_token(other.get(SIGN_UP).get_data(as_text=True))
    client.get(SIGN_UP)
    response = client.post(SIGN_UP, data={**valid_form(), "csrf_token": token})
    assert response.status_code == 400
    assert counts(app) == (0, 0)


def test_unknown_extra_fields_are_ignored(app, client, members):
    response = submit_sign_up(client, is_admin="1", status="active", email_verified="1")
    assert response.status_code == 302
    with app.app_context():
        account = db.session.query(Account).one()
        assert not account.is_admin and account.status == "pending"
        assert not account.email_verified


def test_broken_utf8_in_the_body_is_a_4xx_without_writing(app, client, members):
    token = csrf_token(client.get(SIGN_UP).get_data(as_text=True))
    body = (
        "csrf_token=" + token + "&first_name=H%C3%A9l%C3%A8ne&last_name=%FF%FE"
        "&birth_day=17&birth_month=05&birth_year=1980&member_number=12345678&email=helene%40example.org"
        "&email_confirm=helene%40example.org&country=FR&phone=0612345678"
        "&phone_confirm=0612345678&accept_terms=y"
    ).encode()
    response = client.post(SIGN_UP, data=body, content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500
    assert counts(app) == (0, 0)
    raw = client.post(
        SIGN_UP,
        data=b"csrf_token=" + token.encode() + b"&last_name=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
    )
    assert 400 <= raw.status_code < 500
    assert counts(app) == (0, 0)


def test_oversized_body_is_refused_with_413(app, client, members):
    token = csrf_token(client.get(SIGN_UP).get_data(as_text=True))
    response = client.post(
        SIGN_UP, data={**valid_form(), "csrf_token": token, "first_name": "x" * 300_000}
    )
    assert response.status_code == 413
    assert counts(app) == (0, 0)
