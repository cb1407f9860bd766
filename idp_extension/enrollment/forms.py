"""Sign-up and first-password forms: shape only (lengths, formats, confirmations)."""

from __future__ import annotations

import unicodedata
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields import TelField
from wtforms.validators import InputRequired, StopValidation, ValidationError

from .. import clock
from ..account.forms import meets_password_policy
from ..security.passwords import MAX_PASSWORD_LENGTH
from .phone import (
    DEFAULT_COUNTRY,
    MAX_PHONE_LENGTH,
    InvalidMobileError,
    country_choices,
    parse_mobile,
)

MAX_NAME_LENGTH = 100  # the accounts and member_records columns
MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit
OLDEST_BIRTH_DATE = date(1900, 1, 1)
# Control, format (bidi overrides), surrogate, private-use and unassigned characters.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _digits_only(value):
    """Members copy the number from their card with spaces or dots; keep digits and the rest."""
    if not isinstance(value, str):
        return value
    return "".join(value.split()).replace(".", "")


class MaxLength:
    """Stop at the first problem when the text is too long: no other check runs on it."""

    def __init__(self, maximum: int, message):
        self.maximum = maximum
        self.message = message

    def __call__(self, form, field):
        if field.raw_data and any(len(str(raw)) > self.maximum for raw in field.raw_data):
            raise StopValidation(self.message)


def plain_text(form, field):
    """Refuse NUL bytes, control characters and the replacement mark of broken encodings."""
    text = field.data or ""
    if "\ufffd" in text or any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in text):
        raise StopValidation(_l("Ce champ contient des caractères non autorisés."))


def _date_part(max_length: int):
    """A day, month or year typed from the card: spaces and a leading zero are the member's
    business, only digits matter."""
    return [
        MaxLength(max_length, _l("Saisissez uniquement des chiffres.")),
    ]


class CountryField(SelectField):
    """The country-code select, with a message a member understands when the value is forged."""

    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices}:
            raise StopValidation(_l("Choisissez l'indicatif de votre pays dans la liste."))


def _check_part(field, lowest: int, highest: int, missing, wrong) -> None:
    if not field.data:
        raise StopValidation(missing)
    if not (field.data.isascii() and field.data.isdigit() and lowest <= int(field.data) <= highest):
        raise StopValidation(wrong)


def _required(message):
    return InputRequired(message=message)


class SignUpForm(FlaskForm):
    """The seed's form, in its order (DESIGN 3)."""

    first_name = StringField(
        _l("Votre prénom"),
        filters=[_strip],
        validators=[
            MaxLength(MAX_NAME_LENGTH, _l("Votre prénom doit faire au plus 100 caractères.")),
            _required(_l("Saisissez votre prénom.")),
            plain_text,
        ],
    )
    last_name = StringField(
        _l("Votre nom"),
        filters=[_strip],
        validators=[
            MaxLength(MAX_NAME_LENGTH, _l("Votre nom doit faire au plus 100 caractères.")),
            _required(_l("Saisissez votre nom.")),
            plain_text,
        ],
    )
    # DESIGN 3: three typed fields in a fieldset, never a native date input, whose order
    # follows the browser's language (12/04 became 4 December in an English browser).
    birth_day = StringField(_l("Jour"), filters=[_digits_only], validators=_date_part(10))
    birth_month = StringField(_l("Mois"), filters=[_digits_only], validators=_date_part(10))
    birth_year = StringField(_l("Année"), filters=[_digits_only], validators=_date_part(10))
    member_number = StringField(
        _l("Votre numéro d'adhérent"),
        filters=[_digits_only],
        validators=[
            MaxLength(20, _l("Votre numéro d'adhérent est composé de 8 chiffres.")),
            _required(_l("Saisissez votre numéro d'adhérent.")),
        ],
    )
    email = EmailField(
        _l("Votre adresse email"),
        filters=[_strip],
        validators=[
            MaxLength(
                MAX_EMAIL_LENGTH, _l("Votre adresse email doit faire au plus 254 caractères.")
            ),
            _required(_l("Saisissez votre adresse email.")),
            plain_text,
        ],
    )
    email_confirm = EmailField(
        _l("Confirmer adresse email"),
        filters=[_strip],
        validators=[
            MaxLength(
                MAX_EMAIL_LENGTH, _l("Votre adresse email doit faire au plus 254 caractères.")
            ),
            _required(_l("Saisissez à nouveau votre adresse email.")),
            plain_text,
        ],
    )
    country = CountryField(_l("Indicatif pays"), choices=[], default=DEFAULT_COUNTRY)
    phone = TelField(
        _l("Votre téléphone portable"),
        filters=[_strip],
        validators=[
            MaxLength(MAX_PHONE_LENGTH, _l("Ce numéro est trop long.")),
            _required(_l("Saisissez votre numéro de téléphone portable.")),
            plain_text,
        ],
    )
    phone_confirm = TelField(
        _l("Confirmer votre numéro"),
        filters=[_strip],
        validators=[
            MaxLength(MAX_PHONE_LENGTH, _l("Ce numéro est trop long.")),
            _required(_l("Saisissez à nouveau votre numéro de téléphone portable.")),
            plain_text,
        ],
    )
    accept_terms = BooleanField(
        _l(
            "Je certifie avoir pris connaissance des mentions légales et des conditions "
            "générales et je les accepte."
        ),
        validators=[
            InputRequired(
                message=_l("Vous devez accepter les mentions légales et les conditions générales.")
            )
        ],
    )

    # Filled by the validators below with the normalised values the service receives.
    normalised_email: str | None = None
    phone_e164: str | None = None
    birth_date: date | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()

    def validate_birth_day(self, field):
        if not self._all_date_parts_empty():
            _check_part(
                field,
                1,
                31,
                _l("Saisissez le jour de votre naissance."),
                _l("Le jour de naissance doit être un nombre entre 1 et 31."),
            )

    def validate_birth_month(self, field):
        if not self._all_date_parts_empty():
            _check_part(
                field,
                1,
                12,
                _l("Saisissez le mois de votre naissance."),
                _l("Le mois de naissance doit être un nombre entre 1 et 12."),
            )

    def validate_birth_year(self, field):
        if not self._all_date_parts_empty():
            _check_part(
                field,
                1000,
                9999,
                _l("Saisissez l'année de votre naissance."),
                _l("L'année de naissance doit comporter 4 chiffres, par exemple 1980."),
            )

    def _all_date_parts_empty(self) -> bool:
        return not any((self.birth_day.data, self.birth_month.data, self.birth_year.data))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self._check_birth_date() and valid

    def _check_birth_date(self) -> bool:
        """The whole date, once each part is a number: reported on the day field, the first of
        the group, so the error summary links to the start of the fieldset."""
        self.birth_date = None
        parts = (self.birth_day, self.birth_month, self.birth_year)
        if self._all_date_parts_empty():
            self.birth_day.errors.append(_l("Saisissez votre date de naissance."))
            return False
        if any(part.errors for part in parts):
            return False
        try:
            born = date(*(int(part.data) for part in reversed(parts)))
        except ValueError:
            self.birth_day.errors.append(
                _l("Saisissez une date de naissance réelle, par exemple 17 05 1980.")
            )
            return False
        if not OLDEST_BIRTH_DATE <= born <= clock.now().date():
            self.birth_day.errors.append(
                _l("Saisissez une date de naissance réelle, par exemple 17 05 1980.")
            )
            return False
        self.birth_date = born
        return True

    def validate_member_number(self, field):
        if not (len(field.data) == 8 and field.data.isascii() and field.data.isdigit()):
            raise ValidationError(_l("Votre numéro d'adhérent est composé de 8 chiffres."))

    def validate_email(self, field):
        try:
            checked = validate_email(field.data, check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(
                _l("Saisissez une adresse email valide, par exemple nom@exemple.fr.")
            ) from None
        self.normalised_email = checked.normalized.lower()

    def validate_email_confirm(self, field):
        if self.normalised_email is None:
            # The first entry is malformed: still say now if the two differ, not on a 2nd submit.
            if self.email.data and field.data.casefold() != self.email.data.casefold():
                raise ValidationError(_l("Les deux adresses email ne sont pas identiques."))
            return
        try:
            confirmed = validate_email(field.data, check_deliverability=False).normalized
        except EmailNotValidError:
            confirmed = None
        if confirmed is None or confirmed.lower() != self.normalised_email:
            raise ValidationError(_l("Les deux adresses email ne sont pas identiques."))

    def validate_phone(self, field):
        if self.country.errors:
            return
        try:
            self.phone_e164 = parse_mobile(field.data, self.country.data)
        except InvalidMobileError:
            raise ValidationError(
                _l(
                    "Saisissez un numéro de téléphone portable valide "
                    "du pays choisi, par exemple 06 12 34 56 78."
                )
            ) from None

    def validate_phone_confirm(self, field):
        if self.phone_e164 is None:
            if self.phone.data and _digits_only(field.data) != _digits_only(self.phone.data):
                raise ValidationError(_l("Les deux numéros de téléphone ne sont pas identiques."))
            return
        try:
            confirmed = parse_mobile(field.data, self.country.data)
        except InvalidMobileError:
            confirmed = None
        if confirmed != self.phone_e164:
            raise ValidationError(_l("Les deux numéros de téléphone ne sont pas identiques."))


class PasswordForm(FlaskForm):
    """The first password; the policy itself is enforced by the service."""

    password = PasswordField(
        _l("Mot de passe"),
        validators=[
            MaxLength(
                MAX_PASSWORD_LENGTH, _l("Le mot de passe doit faire au plus 128 caractères.")
            ),
            InputRequired(message=_l("Saisissez un mot de passe.")),
            meets_password_policy,
        ],
    )
    password_confirm = PasswordField(
        _l("Confirmer le mot de passe"),
        validators=[
            MaxLength(
                MAX_PASSWORD_LENGTH, _l("Le mot de passe doit faire au plus 128 caractères.")
            ),
            InputRequired(message=_l("Saisissez à nouveau le mot de passe.")),
        ],
    )

    def validate_password_confirm(self, field):
        if self.password.data and field.data != self.password.data:
            raise ValidationError(_l("Les mots de passe ne sont pas identiques."))


class ResendForm(FlaskForm):
    """A single button asking for a new activation link (CSRF only)."""
