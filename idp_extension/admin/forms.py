"""Admin console forms: shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..oidc.claims import SUPPORTED_SCOPES
from ..oidc.clients import CONFIDENTIAL_AUTH_METHODS

NO_CONTROLS = r"^[^\x00-\x1f\x7f]*$"
NO_CONTROLS_BUT_LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class ActionForm(FlaskForm):
    """A button posting its CSRF token (disable, enable, retry)."""


class SearchForm(FlaskForm):
    q = SearchField(
        _l("Rechercher"),
        validators=[
            Optional(),
            Length(max=100, message=_l("La recherche est trop longue.")),
            # PostgreSQL cannot even compare a text holding NUL; nobody searches for controls.
            Regexp(
                r"^[^\x00-\x1f\x7f]*$",
                message=_l("Ce champ contient des caractères non autorisés."),
            ),
        ],
    )


class MemberImportForm(FlaskForm):
    file = FileField(
        _l("Fichier CSV des adhérents"),
        validators=[
            FileRequired(message=_l("Choisissez un fichier CSV.")),
            FileAllowed(["csv", "txt"], message=_l("Le fichier doit être au format CSV.")),
        ],
    )
    submit = SubmitField(_l("Importer"))


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ClientSettingsForm(FlaskForm):
    """What an admin may set on a relying party; the registration service checks the URIs."""

    name = StringField(
        _l("Nom de l'application"),
        validators=[
            DataRequired(message=_l("Indiquez le nom de l'application.")),
            Length(max=100, message=_l("Le nom ne peut dépasser 100 caractères.")),
            Regexp(NO_CONTROLS, message=_l("Ce champ contient des caractères non autorisés.")),
        ],
    )
    redirect_uris = TextAreaField(
        _l("Adresses de retour"),
        validators=[
            DataRequired(message=_l("Indiquez au moins une adresse de retour.")),
            Length(max=10000, message=_l("Ce champ est trop long.")),
            Regexp(
                NO_CONTROLS_BUT_LINES, message=_l("Ce champ contient des caractères non autorisés.")
            ),
        ],
    )
    post_logout_uris = TextAreaField(
        _l("Adresses après déconnexion (post-logout)"),
        validators=[
            Optional(),
            Length(max=10000, message=_l("Ce champ est trop long.")),
            Regexp(
                NO_CONTROLS_BUT_LINES, message=_l("Ce champ contient des caractères non autorisés.")
            ),
        ],
    )
    first_party = BooleanField(_l("Application de la mutuelle (pas de demande de consentement)"))
    scopes = SelectMultipleField(
        _l("Scopes autorisés"),
        choices=list(SUPPORTED_SCOPES),
        default=["openid", "profile", "email"],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    submit = SubmitField(_l("Enregistrer les modifications"))

    def redirect_uri_list(self) -> list[str]:
        return _lines(self.redirect_uris.data)

    def post_logout_uri_list(self) -> list[str]:
        return _lines(self.post_logout_uris.data)


class ClientForm(ClientSettingsForm):
    """A new relying party: its settings, and whether it is public and how it authenticates."""

    public = BooleanField(_l("Client public (sans secret, PKCE obligatoire)"))
    auth_method = SelectField(
        _l("Authentification au point de jeton"),
        choices=list(CONFIDENTIAL_AUTH_METHODS),
        default=CONFIDENTIAL_AUTH_METHODS[0],
    )
    submit = SubmitField(_l("Enregistrer l'application"))


class AuditFilterForm(FlaskForm):
    """The journal's filters (a GET form: nothing changes, no CSRF token)."""

    compte = StringField(
        _l("Compte"),
        validators=[
            Optional(),
            Length(max=254, message=_l("Ce champ est trop long.")),
            Regexp(NO_CONTROLS, message=_l("Ce champ contient des caractères non autorisés.")),
        ],
    )
    evenement = SelectField(_l("Événement"), choices=[], default="", validate_choice=True)
    du = DateField(_l("Du"), validators=[Optional()])
    au = DateField(_l("Au"), validators=[Optional()])

    def validate_au(self, field) -> None:
        if field.data and self.du.data and field.data < self.du.data:
            raise ValidationError(_l("La date de fin précède la date de début."))
