"""Console pages for the audit log: filtered pages and the CSV export."""

from __future__ import annotations

from flask import Response, g, render_template, request, stream_with_context
from flask_babel import gettext as _

from . import audit_log
from .forms import AuditFilterForm
from .views import bp, page_number


def _filter_form() -> tuple[AuditFilterForm, audit_log.AuditFilter | None]:
    """The filters as typed, and what they ask for (None when one is not understood)."""
    form = AuditFilterForm(request.args, meta={"csrf": False})
    form.evenement.choices = [("", _("Tous les événements"))] + [
        (name, name) for name in audit_log.event_names()
    ]
    if not form.validate():
        return form, None
    return form, audit_log.AuditFilter(
        account=form.compte.data or "",
        event=form.evenement.data or "",
        since=form.du.data,
        until=form.au.data,
    )


@bp.get("/journal")
def audit():
    form, wanted = _filter_form()
    if wanted is None:
        return render_template("idp/admin/audit.html", form=form, page=None, export_args={}), 422
    return render_template(
        "idp/admin/audit.html",
        form=form,
        page=audit_log.search(wanted, page=page_number()),
        export_args=wanted.as_args(),
    )


@bp.get("/journal/export.csv")
def export_audit():
    form, wanted = _filter_form()
    if wanted is None:
        return render_template("idp/admin/audit.html", form=form, page=None, export_args={}), 422
    lines = audit_log.export_csv(wanted, admin_id=g.admin.id, ip_address=request.remote_addr)
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="journal.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
