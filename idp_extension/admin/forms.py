"""Admin console forms: shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SearchField, SubmitField
from wtforms.validators import Length, Optional, Regexp


class ActionForm(FlaskForm):
    """A button posting its CSRF token (disable, enable, retry)."""


class SearchForm(FlaskForm):
    q = SearchField(
        _l("Rechercher"),
        validators=[
            Optional(),
            Length(max=100, message=_l("La recherche est trop longue.")),
            # PostgreSQL cannot even compare a text holding NUL; nobody searches for controls.
            Regexp(r"^[^\x00-\x1f\x7f]*$",
                   message=_l("Ce champ contient des caractères non autorisés.")),
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
