"""Remittance advice import pages, on the invoicing blueprint: a provider's staff upload a payer's
remittance CSV, see a preview (what will be recorded, what will not and why), confirm, and get a
summary with the lines not recorded to download.

The preview writes nothing. It hands the file's lines (as written, not the figures read from
them) back in a signed form field, with the preview's fingerprint; confirming reads the lines
again, checks them again under locks and records them only if the outcome is still the one shown
(`remittances.import_remittance`), else shows the new preview."""

import csv
import io

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Family, Organisation, Role
from marketplace.accounts.permissions import is_admin, visible
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.errors import DomainError, Forbidden
from marketplace.core.money import format_pence
from marketplace.core.templating import uk_date
from marketplace.invoicing import books, payments, remittances
from marketplace.invoicing.documents import _text as spreadsheet_text
from marketplace.invoicing.models import Invoice, InvoiceStatus
from marketplace.invoicing.models.remittances import RemittanceImport
from marketplace.invoicing.remittance_csv import BadFile, line_from_cells, read_remittance
from marketplace.invoicing.views import bp

STASH_MAX_AGE = 3600  # seconds a preview may be confirmed for
# The preview hands the file's lines back in a form field, and Werkzeug refuses a field over
# 500,000 bytes: 200 KB of CSV (2,000 lines of 100 characters) stays well under it, signed.
MAX_FILE_BYTES = 200 * 1024


def _own_provider() -> Organisation:
    organisation = current_user.organisation if current_user.role is Role.PROVIDER else None
    if organisation is None:
        raise Forbidden("Only a provider's staff import the remittance advice it received.")
    return organisation


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="invoicing.remittance-import")


def _payers(provider: Organisation) -> list[tuple[str, str]]:
    """(key, name) of every payer the provider has issued an invoice to, by name."""
    rows = db.session.execute(
        select(Invoice.payer_org_id, Invoice.payer_family_id)
        .where(Invoice.issuer_id == provider.id, Invoice.status != InvoiceStatus.DRAFT)
        .distinct()
    ).all()
    found = [(books.payer_key(o, f), _payer(o, f).name) for o, f in rows]
    return sorted(found, key=lambda p: p[1])


def _payer(org_id, family_id) -> Organisation | Family:
    return db.session.get(Organisation, org_id) if org_id else db.session.get(Family, family_id)


def _payer_from_key(provider: Organisation, key: str) -> Organisation | Family | None:
    kind, _, raw = (key or "").partition(":")
    if kind not in ("org", "family") or not raw.isdigit() or len(raw) > 10:
        return None
    payer = db.session.get(Organisation if kind == "org" else Family, int(raw))
    known = payer is not None and books.payer_key(*payments.payer_ids(payer)) in dict(_payers(provider))
    return payer if known else None


def _earlier_imports(provider: Organisation) -> list[RemittanceImport]:
    query = (
        select(RemittanceImport)
        .where(RemittanceImport.provider_id == provider.id)
        .options(selectinload(RemittanceImport.lines))
        .order_by(RemittanceImport.imported_at.desc(), RemittanceImport.id.desc())
        .limit(20)
    )
    return list(db.session.scalars(query))


def _upload_page(provider, errors=None, form=None, status=200):
    return render_template(
        "invoicing/remittance_new.html",
        provider=provider,
        payers=_payers(provider),
        earlier=_earlier_imports(provider),
        errors=errors or {},
        form=form or {},
    ), status


def _preview_page(preview: remittances.Preview, filename: str, notice: str = "", status=200):
    stash = _serializer().dumps(
        {
            "provider": preview.provider.id,
            "payer": books.payer_key(*payments.payer_ids(preview.payer)),
            "filename": filename,
            "lines": [c.line.cells() for c in preview.lines],
            "fingerprint": preview.fingerprint,
        }
    )
    unreadable = {
        f"row-{c.line.row}": [
            f"Row {c.line.row}, {column}: {message}" for column, message in c.line.problems.items()
        ]
        for c in preview.lines
        if c.line.problems
    }
    return render_template(
        "invoicing/remittance_preview.html",
        preview=preview,
        matched_rows=[_preview_row(c) for c in preview.matched],
        rejected_rows=[_preview_row(c) for c in preview.not_recorded],
        filename=filename,
        stash=stash,
        notice=notice,
        errors=unreadable,
    ), status


def _preview_row(checked: remittances.CheckedLine) -> dict:
    line, invoice = checked.line, checked.invoice
    payer = (invoice.payer_org or invoice.payer_family).name if invoice is not None else ""
    return {
        **_cells(line),
        "invoice_id": invoice.id if invoice is not None else None,
        "payer": payer,
        "due": checked.due,
        "why": checked.message,
    }


def _kept_row(line) -> dict:
    return {**_cells(line), "invoice_id": line.invoice_id, "why": line.reason}


def _cells(line) -> dict:
    names = ("row", "invoice_number", "amount", "amount_text", "reference", "paid_on", "date_text")
    return {name: getattr(line, name) for name in names}


@bp.get("/payments/remittances/new")
@signed_in
def new_remittance():
    return _upload_page(_own_provider())


@bp.post("/payments/remittances/new")
@signed_in
def preview_remittance():
    provider = _own_provider()
    form = {"payer": request.form.get("payer", "")}
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_page(provider, {"file": ["Choose the remittance advice CSV file"]}, form, 422)
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return _upload_page(
            provider, {"file": ["The file is larger than 200 KB: split it into smaller files"]}, form, 422
        )
    try:
        lines = read_remittance(data)
    except BadFile as err:
        return _upload_page(provider, {"file": err.messages}, form, 422)
    payer, problem = _choose_payer(provider, form["payer"], lines)
    if payer is None:
        return _upload_page(provider, {"payer": [problem]}, form, 422)
    preview = remittances.preview_remittance(db.session, provider, payer, lines)
    return _preview_page(preview, upload.filename[:255])


def _choose_payer(provider, key: str, lines) -> tuple[Organisation | Family | None, str]:
    """The payer chosen, or else the one payer of every invoice the file names."""
    if key:
        payer = _payer_from_key(provider, key)
        return payer, "" if payer is not None else "Choose who sent the remittance from the list"
    named = remittances.payers_named(db.session, provider, lines)
    if len(named) == 1:
        return next(iter(named)), ""
    if not named:
        return None, (
            "None of the invoice numbers in this file is one of your invoices, so we cannot tell "
            "whose remittance it is: choose the payer"
        )
    parts = [
        f"{payer.name} (row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))})"
        for payer, rows in sorted(named.items(), key=lambda item: item[1][0])
    ]
    return None, (
        "The invoices in this file are to more than one payer: " + " and ".join(parts) + ". "
        "Choose the payer (the other payers' lines will not be recorded), or import one file per payer"
    )


@bp.post("/payments/remittances/confirm")
@signed_in
def confirm_remittance():
    provider = _own_provider()
    try:
        stash = _serializer().loads(request.form.get("stash", ""), max_age=STASH_MAX_AGE)
    except SignatureExpired:
        return _upload_page(
            provider, {"file": ["This preview has expired: upload the file again"]}, status=422
        )
    except BadSignature:
        return _upload_page(provider, {"file": ["Upload the remittance advice file again"]}, status=422)
    if stash["provider"] != provider.id:
        raise Forbidden("This remittance was previewed for another provider.")
    payer = _payer_from_key(provider, stash["payer"])
    if payer is None:
        return _upload_page(provider, {"payer": ["Choose who sent the remittance from the list"]}, status=422)
    lines = [line_from_cells(cells) for cells in stash["lines"]]
    try:
        kept = remittances.import_remittance(
            db.session, provider=provider, payer=payer, lines=lines, fingerprint=stash["fingerprint"],
            filename=stash["filename"], actor=current_user,
        )  # fmt: skip
    except remittances.RemittanceChanged as err:
        db.session.rollback()
        return _preview_page(err.preview, stash["filename"], err.message, err.status)
    except DomainError as err:
        db.session.rollback()
        preview = remittances.preview_remittance(db.session, provider, payer, lines)
        return _preview_page(preview, stash["filename"], f"Nothing was recorded: {err.message}", err.status)
    count, total = len(kept.recorded), sum(line.amount for line in kept.recorded)
    db.session.commit()
    flash(f"{count} line{'s' if count != 1 else ''} recorded, {format_pence(total)} in all.", "success")
    return redirect(url_for("invoicing.remittance_import", import_id=kept.id))


def _visible_import(import_id: int) -> RemittanceImport:
    kept = db.session.get(RemittanceImport, import_id)
    may = kept is not None and (is_admin(current_user) or kept.provider_id in current_user.organisation_ids)
    return visible(kept, may, "remittance import")


@bp.get("/payments/remittances/<int:import_id>")
@signed_in
def remittance_import(import_id: int):
    kept = _visible_import(import_id)
    payments_made = {line.payment.id: line.payment for line in kept.recorded}
    return render_template(
        "invoicing/remittance_done.html",
        kept=kept,
        payments=list(payments_made.values()),
        recorded_rows=[_kept_row(line) for line in kept.recorded],
        rejected_rows=[_kept_row(line) for line in kept.not_recorded],
        recorded_total=kept.recorded_total,
        not_recorded_total=kept.not_recorded_total,
    )


@bp.get("/payments/remittances/<int:import_id>/not-recorded.csv")
@signed_in
def remittance_not_recorded_csv(import_id: int):
    kept = _visible_import(import_id)
    return Response(
        not_recorded_csv(kept),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="remittance-{kept.id}-not-recorded.csv"'},
    )


def not_recorded_csv(kept: RemittanceImport) -> str:
    """The lines not recorded, for people: pounds, UK dates and the reason in words; a cell the
    file held that could not be read is given as written."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["Row", "Invoice number", "Amount", "Payment reference", "Date", "Why it was not recorded"]
    )
    for line in kept.not_recorded:
        amount = format_pence(line.amount) if line.amount is not None else line.amount_text
        day = uk_date(line.paid_on) if line.paid_on is not None else line.date_text
        cells = [line.invoice_number, amount, line.reference, day, line.reason]
        writer.writerow([line.row, *(spreadsheet_text(cell or "") for cell in cells)])
    return out.getvalue()
