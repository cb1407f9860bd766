"""Sign-up and first-password forms: shape only (lengths, formats, confirmations)."""

from __future__ import annotations

import unicodedata
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields import TelField
from wtforms.validators import InputRequired, StopValidation, ValidationError

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


class NativeDateField(DateField):
    """A browser date input (YYYY-MM-DD); an unreadable date leaves ``data`` None for the form's
    own message instead of WTForms' generic one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


class CountryField(SelectField):
    """The country-code select, with a message a member understands when the value is forged."""

    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices}:
            raise StopValidation(_l("Choisissez l'indicatif de votre pays dans la liste."))


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
    birth_date = NativeDateField(
        _l("Votre date de naissance"),
        format="%Y-%m-%d",
        validators=[
            MaxLength(10, _l("Saisissez une date de naissance réelle.")),
        ],
    )
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()
        self.birth_date.flags.required = True

    def validate_birth_date(self, field):
        if field.data is None:
            if field.raw_data and field.raw_data[0].strip():
                raise StopValidation(
                    _l("Saisissez une date de naissance réelle, par exemple 17/05/1980.")
                )
            raise StopValidation(_l("Saisissez votre date de naissance."))
        if not OLDEST_BIRTH_DATE <= field.data <= date.today():
            raise ValidationError(
                _l("Saisissez une date de naissance réelle, par exemple 17/05/1980.")
            )

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
