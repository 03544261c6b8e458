"""Aged debt as JSON (pence per bucket): a provider's staff get what its payers owe it, a
commissioner's staff or a family what they owe the providers that invoiced them."""

from flask import Blueprint, request
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.core.auth import signed_in
from marketplace.core.clock import today
from marketplace.core.db import db
from marketplace.core.errors import Forbidden
from marketplace.core.openapi import describe
from marketplace.core.schemas import parse
from marketplace.invoicing import aged_debt
from marketplace.invoicing.schemas import AgedDebtIn, AgedDebtOut

bp = Blueprint("late_payment_api", __name__)  # nested in the invoicing API's blueprint


def _amounts(row: aged_debt.AgedRow) -> dict:
    return {**row.amounts, "total": row.total, "invoices": row.count}


def _dump(aged: aged_debt.AgedDebt) -> dict:
    rows = [
        {**_amounts(row), "party": {"id": row.party.id, "kind": row.party.kind, "name": row.party.name}}
        for row in aged.rows
    ]
    return AgedDebtOut().dump(
        {"on": aged.on, "side": aged.side, "rows": rows, "totals": _amounts(aged.totals)}
    )


def aged_for(user, on):
    """The caller's own aged debt: a provider's debtors, or a payer's creditors."""
    organisation = user.organisation if user.role in (Role.PROVIDER, Role.COMMISSIONER) else None
    if user.role is Role.PROVIDER and organisation is not None:
        return aged_debt.aged_debt(db.session, organisation.id, on)
    if user.role is Role.COMMISSIONER and organisation is not None:
        return aged_debt.aged_creditors(db.session, on, payer_org_id=organisation.id)
    if user.role is Role.FAMILY and user.family_id is not None:
        return aged_debt.aged_creditors(db.session, on, payer_family_id=user.family_id)
    raise Forbidden("Aged debt is a provider's, a commissioner's or a family's own view.")


@bp.get("/aged-debt")
@describe(
    "get",
    "/aged-debt",
    "The caller's aged debt on a day (default today): a provider's payers, or what a commissioner "
    "or a family owes each provider; pence not yet due, 1–30, 31–60, 61–90 and over 90 days past due",
    response=AgedDebtOut,
    params=AgedDebtIn,
)
@signed_in
def get_aged_debt():
    on = parse(AgedDebtIn(), request.args.to_dict(), "Check the date")["on"] or today()
    return _dump(aged_for(current_user, on))
