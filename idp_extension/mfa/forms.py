"""Second-factor forms: shape only (six digits, a recovery code's characters)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp


def _strip(value):
    return "".join(value.split()) if isinstance(value, str) else value


def _six_digits(label, missing):
    return StringField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(message=missing),
            Regexp(r"^\d{6}\Z", message=_l("Le code est composé de 6 chiffres.")),
        ],
    )


class SmsCodeForm(FlaskForm):
    code = _six_digits(_l("Code reçu par SMS"), _l("Saisissez le code reçu par SMS."))
    submit = SubmitField(_l("Valider"))


class AppCodeForm(FlaskForm):
    code = _six_digits(
        _l("Code de votre application"), _l("Saisissez le code affiché par votre application.")
    )
    submit = SubmitField(_l("Valider"))


class SetupCodeForm(FlaskForm):
    code = _six_digits(
        _l("Code à 6 chiffres"), _l("Saisissez le code affiché par votre application.")
    )
    submit = SubmitField(_l("Valider"))


class RecoveryCodeForm(FlaskForm):
    code = StringField(
        _l("Code de secours"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Saisissez un de vos codes de secours.")),
            Length(max=20, message=_l("Un code de secours compte 10 caractères.")),
            Regexp(
                r"^[A-Za-z0-9-]+\Z",
                message=_l("Un code de secours ne contient que des lettres et des chiffres."),
            ),
        ],
    )
    submit = SubmitField(_l("Valider"))


class ButtonForm(FlaskForm):
    """A button and its CSRF token; the template writes the button's words."""
