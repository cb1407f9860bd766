"""Mobile phone numbers: the countries offered on the sign-up form and strict E.164 parsing."""

from __future__ import annotations

import phonenumbers
from flask_babel import lazy_gettext as _l
from phonenumbers import NumberParseException, PhoneNumberType

from ..errors import IdpError

# Region codes offered, mainland France first (the default), then neighbours, then overseas.
COUNTRIES = (
    ("FR", _l("France")),
    ("BE", _l("Belgique")),
    ("CH", _l("Suisse")),
    ("LU", _l("Luxembourg")),
    ("MC", _l("Monaco")),
    ("DE", _l("Allemagne")),
    ("ES", _l("Espagne")),
    ("IT", _l("Italie")),
    ("GB", _l("Royaume-Uni")),
    ("PT", _l("Portugal")),
    ("GP", _l("Guadeloupe")),
    ("MQ", _l("Martinique")),
    ("GF", _l("Guyane")),
    ("RE", _l("La Réunion")),
    ("YT", _l("Mayotte")),
)
DEFAULT_COUNTRY = "FR"
REGION_CODES = frozenset(code for code, _name in COUNTRIES)
MAX_PHONE_LENGTH = 30
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidMobileError(IdpError, ValueError):
    """The text is not a mobile number of the chosen country."""

    code, status = "invalid_mobile", 422


def country_choices() -> list[tuple[str, str]]:
    """(region, "France (+33)") pairs for a select, in the order above."""
    return [
        (code, f"{name} (+{phonenumbers.country_code_for_region(code)})")
        for code, name in COUNTRIES
    ]


def parse_mobile(text: str, region: str) -> str:
    """The E.164 form of a mobile number of ``region``; raise InvalidMobileError otherwise."""
    if region not in REGION_CODES or not text or len(text) > MAX_PHONE_LENGTH:
        raise InvalidMobileError(text)
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise InvalidMobileError(text) from None
    if (
        not phonenumbers.is_valid_number_for_region(number, region)
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise InvalidMobileError(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def as_typed(e164: str) -> tuple[str, str]:
    """(region, national number) of a stored number, as the sign-up form shows it again."""
    number = phonenumbers.parse(e164, None)
    region = phonenumbers.region_code_for_number(number)
    if region not in REGION_CODES:
        return DEFAULT_COUNTRY, e164
    return region, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
