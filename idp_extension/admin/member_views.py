"""Console pages for the member register: search, a member's record, ending or restoring a
membership, and the import in two steps (``Prévisualiser``, then ``Appliquer l'import``)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock, sso
from ..enrollment.importing import ImportFileError, TerminationGuardError
from ..settings import settings
from . import members
from .errors import AdminActionError
from .forms import ApplyImportForm, MemberForm, MemberImportForm, SearchForm
from .pages import Cursor
from .views import _action_failed, bp


@bp.url_value_preprocessor
def _allow_register_uploads(endpoint, values) -> None:
    """The register upload may exceed the site-wide body limit (it is spooled to disk by the
    form parser, not held in memory), for a signed-in admin only: this runs before the CSRF
    check reads the body."""
    if endpoint != "admin.preview_import":
        return
    account = sso.signed_in_account()
    if account is not None and account.is_admin:
        request.max_content_length = settings().import_max_upload_bytes
        # The multipart decoder's own buffer is bounded by this too: it must hold one read
        # chunk (64 KiB) plus a partial boundary, or a large file fails half-way with 413.
        request.max_form_memory_size = max(
            current_app.config["MAX_FORM_MEMORY_SIZE"] or 0, UPLOAD_PARSER_BUFFER
        )


UPLOAD_PARSER_BUFFER = 1024 * 1024


def _store() -> members.UploadStore:
    folder = settings().import_upload_dir
    return members.UploadStore(Path(folder or Path(current_app.instance_path) / "imports"))


def _max_percent() -> int:
    return settings().import_terminate_max_percent


def _list(import_form: MemberImportForm, status: int = 200):
    form = SearchForm(request.args, meta={"csrf": False})
    query = (form.q.data or "") if form.validate() else ""
    return render_template(
        "idp/admin/members.html",
        form=form,
        query=query,
        page=members.search_members(query, Cursor.from_args(request.args)),
        import_form=import_form,
    ), status


@bp.get("/membres", endpoint="members")
def members_list():
    return _list(MemberImportForm())


@bp.get("/membres/<member_number>")
def member(member_number: str):
    try:
        record, account = members.find_member(member_number)
    except AdminActionError as error:
        return _action_failed(error, "admin.members")
    form = MemberForm(
        formdata=None,
        last_name=record.last_name,
        first_name=record.first_name,
        birth_date=record.birth_date.strftime("%d/%m/%Y"),
    )
    return render_template("idp/admin/member.html", member=record, account=account, form=form)


@bp.post("/membres/<member_number>")
def update_member(member_number: str):
    try:
        record, account = members.find_member(member_number)
    except AdminActionError as error:
        return _action_failed(error, "admin.members")
    form = MemberForm()
    if not form.validate_on_submit():
        return render_template(
            "idp/admin/member.html", member=record, account=account, form=form
        ), 422
    members.update_member(
        member_number,
        last_name=" ".join(form.last_name.data.split()),
        first_name=" ".join(form.first_name.data.split()),
        birth_date=form.birth_date.parsed,
        admin_id=g.admin.id,
        now=clock.now(),
        ip_address=request.remote_addr,
    )
    flash(_("La fiche de l'adhérent %(number)s est enregistrée.", number=member_number), "success")
    return redirect(url_for("admin.member", member_number=member_number))


@bp.get("/membres/<member_number>/resilier")
def confirm_termination(member_number: str):
    try:
        record, account = members.find_member(member_number)
    except AdminActionError as error:
        return _action_failed(error, "admin.members")
    return render_template("idp/admin/member_terminate.html", member=record, account=account)


@bp.post("/membres/<member_number>/resilier")
def terminate_member(member_number: str):
    return _set_membership(member_number, active=False)


@bp.post("/membres/<member_number>/retablir")
def reinstate_member(member_number: str):
    return _set_membership(member_number, active=True)


def _set_membership(member_number: str, *, active: bool):
    try:
        members.set_membership(
            member_number,
            active,
            admin_id=g.admin.id,
            now=clock.now(),
            ip_address=request.remote_addr,
        )
    except AdminActionError as error:
        return _action_failed(error, "admin.members")
    message = (
        _("L'adhésion %(number)s est rétablie.", number=member_number)
        if active
        else _(
            "L'adhésion %(number)s est résiliée ; son compte éventuel est suspendu.",
            number=member_number,
        )
    )
    flash(message, "success")
    return redirect(url_for("admin.member", member_number=member_number))


# --- Import: preview, then apply ---------------------------------------------------------


@bp.post("/membres/import", endpoint="preview_import")
def preview_import():
    form = MemberImportForm()
    if not form.validate_on_submit():
        return _list(form, 422)
    store = _store()
    token = store.save(form.file.data)
    terminate_missing = bool(form.terminate_missing.data)
    try:
        report = members.preview_import(
            store.existing(token), terminate_missing=terminate_missing, max_percent=_max_percent()
        )
    except (ImportFileError, TerminationGuardError) as error:
        store.discard(token)
        field = form.file if isinstance(error, ImportFileError) else form.terminate_missing
        field.errors.append(error.describe())
        return _list(form, error.status)
    apply_form = ApplyImportForm(
        formdata=None, upload=token, terminate_missing="1" if terminate_missing else ""
    )
    return render_template(
        "idp/admin/member_import.html",
        report=report,
        apply_form=apply_form,
        filename=form.file.data.filename,
        shown_rejected=members.SHOWN_REJECTED,
    )


@bp.post("/membres/import/appliquer")
def apply_import():
    form = ApplyImportForm()
    store = _store()
    try:
        if not form.validate_on_submit():
            raise AdminActionError("upload_gone")
        report = members.apply_import(
            store.existing(form.upload.data),
            terminate_missing=form.terminate_missing.data == "1",
            max_percent=_max_percent(),
            admin_id=g.admin.id,
            ip_address=request.remote_addr,
        )
    except AdminActionError as error:
        return _action_failed(error, "admin.members")
    except (ImportFileError, TerminationGuardError) as error:
        flash(error.describe(), "error")
        return redirect(url_for("admin.members"))
    store.discard(form.upload.data)
    flash(
        _(
            "Import terminé : %(added)s ajoutés, %(updated)s mis à jour, %(unchanged)s "
            "inchangés, %(terminated)s résiliés, %(rejected)s lignes refusées.",
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            terminated=report.terminated,
            rejected=report.rejected_count,
        ),
        "success",
    )
    return redirect(url_for("admin.members"))
