"""Payments received, in the JSON API (CONTRACT.md): a payment against one invoice, a remittance
covering several, the payments the caller may see, and reversing one. Routes on the invoicing
API blueprint (`invoicing.api.bp`)."""

from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import Family, Organisation, Role
from marketplace.core.api import json_body
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.errors import Forbidden, ValidationFailed
from marketplace.core.openapi import describe, page_of
from marketplace.core.schemas import parse
from marketplace.invoicing import payer_api, payments, permissions
from marketplace.invoicing.api import bp, invoice_filtered_page
from marketplace.invoicing.models import Invoice, Payment, PaymentAllocation
from marketplace.invoicing.payment_schemas import PaymentIn, PaymentOut, RemittanceIn, ReversalIn


@bp.post("/invoices/<int:invoice_id>/payments")
@describe(
    "post",
    "/invoices/{id}/payments",
    "Record a payment received against one invoice (the issuing provider); idempotent on the "
    "payer's reference; 409 when it would pay more than is due",
    body=PaymentIn,
    response=PaymentOut,
    status=201,
)
@signed_in
def post_invoice_payment(invoice_id: int):
    invoice = permissions.get_visible(current_user, invoice_id)
    permissions.require_payment_recorder(current_user, invoice.issuer_id)
    data = parse(PaymentIn(), json_body(), "Check the payment")
    payment = payments.record_payment(
        db.session,
        provider=invoice.issuer,
        payer=invoice.payer_org or invoice.payer_family,
        allocations=[(invoice, data["amount"])],
        actor=current_user,
        **data,
    )
    db.session.commit()
    return PaymentOut().dump(payment), 201


@bp.post("/payments")
@describe(
    "post",
    "/payments",
    "Record a remittance: one payment from a payer covering one or several of its invoices (as "
    "`allocations` say, or the oldest first); idempotent on the payer's reference. A provider "
    "records money it received; a paying organisation's staff record a payment it made to "
    "`provider` for its own invoices",
    body=RemittanceIn,
    response=PaymentOut,
    status=201,
)
@signed_in
def post_payment():
    if current_user.role is Role.COMMISSIONER and current_user.organisation is not None:
        return payer_api.post_payment_made(current_user.organisation)  # a payment it made
    provider = _own_provider()
    data = parse(RemittanceIn(), json_body(), "Check the payment")
    if data.pop("provider", provider.id) != provider.id:
        raise ValidationFailed(
            "Check the payment", fields={"provider": ["Leave out, or your own organisation"]}
        )
    payer = _payer(provider, data.pop("payer"))
    wanted = data.pop("allocations", None)
    payment = payments.record_payment(
        db.session,
        provider=provider,
        payer=payer,
        allocations=_allocations(provider, wanted) if wanted is not None else None,
        actor=current_user,
        **data,
    )
    db.session.commit()
    return PaymentOut().dump(payment), 201


def _own_provider() -> Organisation:
    organisation = current_user.organisation if current_user.role is Role.PROVIDER else None
    if organisation is None:
        raise Forbidden("Only a provider's staff record the payments it received.")
    return organisation


def _payer(provider: Organisation, ref: dict) -> Organisation | Family:
    """The payer named, if the provider has invoiced it (else a 422 that reveals nothing of it)."""
    payer = db.session.get(Organisation if ref["kind"] == "organisation" else Family, ref["id"])
    if payer is None or not permissions.has_invoiced(provider, payer):
        raise ValidationFailed("Check the payment", fields={"payer": ["Not one of your payers"]})
    return payer


def _allocations(provider: Organisation, wanted: list[dict]) -> list[tuple[Invoice, int]]:
    """The invoices named, each one the provider issued (else the field is named: a 422)."""
    found = {
        i.id: i
        for i in db.session.scalars(
            select(Invoice).where(
                Invoice.id.in_([w["invoice"] for w in wanted]), Invoice.issuer_id == provider.id
            )
        )
    }
    missing = {
        f"allocations.{n}.invoice": ["Not one of your invoices"]
        for n, w in enumerate(wanted)
        if w["invoice"] not in found
    }
    if missing:
        raise ValidationFailed("Check the payment", fields=missing)
    return [(found[w["invoice"]], w["amount"]) for w in wanted]


@bp.get("/payments")
@describe(
    "get",
    "/payments",
    "Payments the caller may see (received by its provider, or made by it), newest first; "
    "invoice= only those allocated to that invoice",
    response=page_of(PaymentOut),
    params=["invoice", "page", "per_page"],
)
@signed_in
def list_payments():
    return invoice_filtered_page(
        permissions.visible_payments(current_user),
        PaymentOut,
        order_by=Payment.id.desc(),
        of_invoice=lambda invoice_id: Payment.id.in_(
            select(PaymentAllocation.payment_id).where(PaymentAllocation.invoice_id == invoice_id)
        ),
    )


@bp.get("/payments/<int:payment_id>")
@describe("get", "/payments/{id}", "One payment with its allocations and any reversal", response=PaymentOut)
@signed_in
def get_payment(payment_id: int):
    return PaymentOut().dump(permissions.get_visible_payment(current_user, payment_id))


@bp.post("/payments/<int:payment_id>/reversal")
@describe(
    "post",
    "/payments/{id}/reversal",
    "Reverse a payment (the provider that received it), with a reason: its invoices owe that "
    "money again; 409 if it was already reversed, or if it became an ISF receipt whose money "
    "the ISF no longer holds (isf_receipt_drawn)",
    body=ReversalIn,
    response=PaymentOut,
    status=201,
)
@signed_in
def post_reversal(payment_id: int):
    payment = permissions.get_visible_payment(current_user, payment_id)
    permissions.require_payment_recorder(current_user, payment.provider_id)
    data = parse(ReversalIn(), json_body(), "Check the reversal")
    payments.reverse_payment(db.session, payment, data["reason"], actor=current_user)
    db.session.commit()
    return PaymentOut().dump(payment), 201
