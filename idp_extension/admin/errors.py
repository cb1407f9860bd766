"""The console's one error: an action that cannot be done, with a reason the view words."""

from __future__ import annotations

from ..errors import IdpError
from ..i18n import N_

# What the console says for each ``reason``.
MESSAGES = {
    "not_found": N_("Cet élément n'existe pas ou plus."),
    "self": N_("Vous ne pouvez pas désactiver votre propre compte."),
    "self_delete": N_("Vous ne pouvez pas supprimer votre propre compte."),
    "not_failed": N_("Seul un message en échec peut être renvoyé."),
    "not_pending": N_("Ce compte n'attend plus d'activation : aucun lien n'a été envoyé."),
    "not_active": N_("Ce compte n'est pas actif : aucun lien de réinitialisation n'a été envoyé."),
    "not_locked": N_("Ce compte n'est pas bloqué."),
    "public_client": N_("Une application publique n'a pas de secret."),
    "upload_gone": N_(
        "Ce fichier n'est plus disponible : choisissez-le de nouveau pour le prévisualiser."
    ),
}


class AdminActionError(IdpError):
    """An admin action that cannot be done (``reason`` says why, for the console; it is also
    the error's ``code``)."""

    code, status = "admin_action_refused", 409

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.code = reason
        self.message = MESSAGES[reason]
        if reason == "not_found":
            self.status = 404
