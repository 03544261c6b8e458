"""The paying organisation's side of getting paid, as reading (nothing here writes): its open
invoices grouped by when they fall due ("Invoices to pay"), and the providers it owes money to,
for "Record a payment you made". Every query is narrowed to invoices addressed to the payer
organisation and still owing something (`aged_debt.outstanding`), so a figure here agrees with
its aged creditors."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Organisation
from marketplace.core.clock import week_start
from marketplace.invoicing import aged_debt
from marketplace.invoicing.books import OWED
from marketplace.invoicing.models import Invoice

OVERDUE, THIS_WEEK, LATER = "overdue", "this_week", "later"
GROUP_LABELS = {OVERDUE: "Overdue", THIS_WEEK: "Due this week", LATER: "Due later"}


@dataclass(frozen=True)
class ToPay:
    """One invoice to pay and how many days past its due date it is (0 when not yet due)."""

    invoice: Invoice
    days_overdue: int


@dataclass(frozen=True)
class DueGroup:
    """Invoices falling due alike: overdue, due by the end of this week (Monday weeks), or later."""

    key: str
    rows: list[ToPay]

    @property
    def label(self) -> str:
        return GROUP_LABELS[self.key]

    @property
    def total(self) -> int:
        return sum(row.invoice.amount_due for row in self.rows)


def group_for(due: date, on: date) -> str:
    """Overdue once the due date has passed; due this week up to Sunday of `on`'s week; else later."""
    if due < on:
        return OVERDUE
    return THIS_WEEK if due <= week_start(on) + timedelta(days=6) else LATER


def invoices_to_pay(session: Session, payer_org_id: int, on: date) -> list[DueGroup]:
    """The payer's open invoices in three groups, overdue first; in each, the oldest due first
    (then by number). Groups with nothing in them are left out."""
    invoices = session.scalars(
        select(Invoice)
        .where(Invoice.payer_org_id == payer_org_id, aged_debt.outstanding())
        .options(selectinload(Invoice.issuer))
        .order_by(Invoice.due_date, Invoice.number)
    )
    groups: dict[str, list[ToPay]] = {OVERDUE: [], THIS_WEEK: [], LATER: []}
    for invoice in invoices:
        groups[group_for(invoice.due_date, on)].append(ToPay(invoice, max((on - invoice.due_date).days, 0)))
    return [DueGroup(key, rows) for key, rows in groups.items() if rows]


@dataclass(frozen=True)
class ProviderOwed:
    """A provider the payer owes: its id, name, what is due in all and on how many invoices."""

    id: int
    name: str
    due: int
    invoices: int


def providers_owed(session: Session, payer_org_id: int) -> list[ProviderOwed]:
    """The providers with open invoices to the payer, by name ("Who did you pay?")."""
    rows = session.execute(
        select(Organisation.id, Organisation.name, func.sum(OWED), func.count(Invoice.id))
        .join(Organisation, Organisation.id == Invoice.issuer_id)
        .where(Invoice.payer_org_id == payer_org_id, aged_debt.outstanding())
        .group_by(Organisation.id, Organisation.name)
        .order_by(Organisation.name)
    )
    return [ProviderOwed(i, name, int(due), count) for i, name, due, count in rows]
