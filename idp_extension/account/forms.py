"""Account forms: shape only (presence, lengths, formats, confirmations), never the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from ..security.passwords import MAX_PASSWORD_LENGTH, unmet_rules

EMAIL_MAX_LENGTH = 254


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field(label):
    return EmailField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Saisissez votre adresse email.")),
            Length(max=EMAIL_MAX_LENGTH, message=_l("L'adresse email est trop longue.")),
            # Lenient on purpose: an account exists or not; a stricter syntax check (special-use
            # domains, say) would only lock out addresses that sign-up or an operator accepted.
            # Control characters too: PostgreSQL cannot even look up a text holding NUL.
            Regexp(
                r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$",
                message=_l("Saisissez une adresse email valide, par exemple nom@exemple.fr."),
            ),
        ],
    )


class LoginForm(FlaskForm):
    email = _email_field(_l("Adresse email"))
    password = PasswordField(
        _l("Mot de passe"),
        validators=[
            DataRequired(message=_l("Saisissez votre mot de passe.")),
        ],
    )
    submit = SubmitField(_l("Se connecter"))


class EmailOnlyForm(FlaskForm):
    """Forgotten password and new activation link: an address, always the same answer."""

    email = _email_field(_l("Adresse email"))
    submit = SubmitField(_l("Valider"))


def meets_password_policy(form, field):
    """The rules of security/passwords.py, checked with the other fields so a member hears
    about every problem on the first submit (the services enforce them again)."""
    if len(field.data or "") > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            _l("Le mot de passe ne doit pas dépasser %(max)s caractères.", max=MAX_PASSWORD_LENGTH)
        )
    broken = unmet_rules(field.data or "")
    if broken:
        # Every unmet rule of the checklist, in its order, as the member reads it by the field.
        raise ValidationError(
            _l(
                "Le mot de passe ne respecte pas toutes les conditions : %(rules)s.",
                rules=", ".join(str(_l(rule.label)).lower() for rule in broken),
            )
        )


def _new_password_field(label=None):
    return PasswordField(
        label or _l("Mot de passe"),
        validators=[
            DataRequired(message=_l("Saisissez un mot de passe.")),
            meets_password_policy,
        ],
    )


def _confirm_field(label=None):
    return PasswordField(
        label or _l("Confirmer le mot de passe"),
        validators=[
            DataRequired(message=_l("Confirmez le mot de passe.")),
            EqualTo("password", message=_l("Les mots de passe ne sont pas identiques.")),
        ],
    )


class NewPasswordForm(FlaskForm):
    """A new password twice, with the rules of security/passwords.py."""

    password = _new_password_field()
    confirm = _confirm_field()
    submit = SubmitField(_l("Valider"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Mot de passe actuel"),
        validators=[
            DataRequired(message=_l("Saisissez votre mot de passe actuel.")),
        ],
    )
    password = _new_password_field(_l("Nouveau mot de passe"))
    confirm = _confirm_field(_l("Confirmer le nouveau mot de passe"))
    submit = SubmitField(_l("Changer mon mot de passe"))


class ConfirmForm(FlaskForm):
    """A button and its CSRF token (logout)."""

    submit = SubmitField(_l("Se déconnecter"))


class EndOtherSessionsForm(FlaskForm):
    """Sign out every other browser of the account."""

    submit = SubmitField(_l("Déconnecter mes autres appareils"))


class WithdrawConsentForm(FlaskForm):
    """Withdraw the consent given to one application; the page writes the button per client."""

    client_id = HiddenField(
        validators=[
            DataRequired(),
            Length(max=64),
            # A client_id is printable ASCII; anything else (NUL included) names no client.
            Regexp(r"^[\x21-\x7e]+\Z"),
        ]
    )
