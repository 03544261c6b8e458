"""`POST /api/v1/payments` for a paying organisation's finance system: a commissioner's staff
record a remittance their organisation sent to one provider (`provider`), for its own invoices
from that provider (`payer` must be their own organisation), allocated as `allocations` say or
the oldest first. The route and its body are the provider's (`payment_api.post_payment`, which
hands commissioners' calls here); the operation is the same, `payments.record_payment`, with the
caller as the one who recorded it. A family is never let in (403)."""

from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import Organisation
from marketplace.core.api import json_body
from marketplace.core.db import db
from marketplace.core.errors import ValidationFailed
from marketplace.core.schemas import parse
from marketplace.invoicing import payments, permissions
from marketplace.invoicing.models import Invoice, InvoiceStatus
from marketplace.invoicing.payment_schemas import PaymentOut, RemittanceIn


def _refused(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("Check the payment", fields={field: [message]})


def post_payment_made(payer: Organisation):
    """Record the payment `payer` (the caller's organisation) made; 201 with the payment."""
    data = parse(RemittanceIn(), json_body(), "Check the payment")
    named = data.pop("payer")
    if (named["kind"], named["id"]) != ("organisation", payer.id):
        raise _refused("payer", "You can record only payments your own organisation made")
    provider_id = data.pop("provider", None)
    if provider_id is None:
        raise _refused("provider", "Name the provider you paid")
    provider = db.session.get(Organisation, provider_id)
    if provider is None or not permissions.has_invoiced(provider, payer):
        raise _refused("provider", "Not a provider that has invoiced you")
    wanted = data.pop("allocations", None)
    payment = payments.record_payment(
        db.session,
        provider=provider,
        payer=payer,
        allocations=_allocations(provider, payer, wanted) if wanted is not None else None,
        actor=current_user,
        **data,
    )
    db.session.commit()
    return PaymentOut().dump(payment), 201


def _allocations(provider, payer, wanted: list[dict]) -> list[tuple[Invoice, int]]:
    """The invoices named, each one the provider addressed to the payer (else the field is named)."""
    found = {
        i.id: i
        for i in db.session.scalars(
            select(Invoice).where(
                Invoice.id.in_([w["invoice"] for w in wanted]),
                Invoice.issuer_id == provider.id,
                Invoice.payer_org_id == payer.id,
                Invoice.status != InvoiceStatus.DRAFT,
            )
        )
    }
    missing = {
        f"allocations.{n}.invoice": ["Not one of your invoices from this provider"]
        for n, w in enumerate(wanted)
        if w["invoice"] not in found
    }
    if missing:
        raise ValidationFailed("Check the payment", fields=missing)
    return [(found[w["invoice"]], w["amount"]) for w in wanted]
