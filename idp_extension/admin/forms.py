"""Admin console forms: shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..enrollment.importing import parse_birth_date
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
    """A register file to preview; nothing is imported before the preview is confirmed."""

    file = FileField(
        _l("Fichier"),
        validators=[
            FileRequired(message=_l("Choisissez un fichier CSV.")),
            FileAllowed(["csv", "txt"], message=_l("Le fichier doit être au format CSV.")),
        ],
    )
    terminate_missing = BooleanField(
        _l("Le fichier est un export complet : résilier les adhérents qui n'y figurent pas")
    )
    submit = SubmitField(_l("Prévisualiser"))


class ApplyImportForm(FlaskForm):
    """The previewed file, by its upload token, and the choice made with it."""

    upload = HiddenField(validators=[DataRequired(), Length(max=64)])
    terminate_missing = HiddenField()
    submit = SubmitField(_l("Appliquer l'import"))


def _birth_date(form, field) -> None:
    try:
        field.parsed = parse_birth_date((field.data or "").strip())
    except ValueError:
        raise ValidationError(
            _l("Indiquez une date réelle, au format JJ/MM/AAAA ou AAAA-MM-JJ.")
        ) from None


class MemberForm(FlaskForm):
    """A member's record as the register holds it (the number is not editable)."""

    last_name = StringField(
        _l("Nom"),
        validators=[
            DataRequired(message=_l("Indiquez le nom.")),
            Length(max=100, message=_l("Le nom ne peut dépasser 100 caractères.")),
            Regexp(NO_CONTROLS, message=_l("Ce champ contient des caractères non autorisés.")),
        ],
    )
    first_name = StringField(
        _l("Prénom"),
        validators=[
            DataRequired(message=_l("Indiquez le prénom.")),
            Length(max=100, message=_l("Le prénom ne peut dépasser 100 caractères.")),
            Regexp(NO_CONTROLS, message=_l("Ce champ contient des caractères non autorisés.")),
        ],
    )
    birth_date = StringField(
        _l("Date de naissance"),
        validators=[DataRequired(message=_l("Indiquez la date de naissance.")), _birth_date],
    )
    submit = SubmitField(_l("Enregistrer"))


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
