"""Overdue funding: each funder instalment that is late is flagged once, in a notice to the
holding provider's staff and to the funder's staff (the ISF page shows them all the while;
`reading.overdue_instalments` decides what is late)."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, User
from marketplace.core.money import format_pence
from marketplace.core.notifications import notify
from marketplace.core.sql import dialect_insert
from marketplace.core.templating import uk_date
from marketplace.isf import reading
from marketplace.isf.models import Isf, IsfOverdueNotice


def _staff(session: Session, organisation_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id, User.is_active_account)
            .order_by(User.id)
        )
    )


def _claim(session: Session, isf: Isf, late: reading.OverdueInstalment) -> bool:
    """Record the notice unless it is recorded already; True if this call recorded it."""
    table = IsfOverdueNotice.__table__
    i = late.instalment
    inserted = session.execute(
        dialect_insert(session, table)
        .values(isf_id=isf.id, stream_id=i.stream_id, number=i.number, due_on=i.due_on, unpaid=late.unpaid)
        .on_conflict_do_nothing()
        .returning(table.c.id)
    ).first()
    return inserted is not None


def overdue_wording(isf: Isf, late: reading.OverdueInstalment, *, to_funder: bool = False) -> tuple[str, str]:
    """The notice for the holding provider, or (`to_funder`) for the funder whose instalment is late."""
    i = late.instalment
    child = isf.budget.child.name
    kind = i.kind.replace("_", " ")
    subject = f"Overdue: {i.funder}'s {format_pence(late.unpaid)} for {child}'s ISF"
    if to_funder:
        subject = f"Overdue: your {format_pence(late.unpaid)} for {child}'s ISF held by {isf.provider.name}"
    body = (
        f"{i.funder}'s instalment for {child}'s Individual Service Fund held by {isf.provider.name} "
        f"({kind}, {uk_date(i.period_start)} to {uk_date(i.period_end)}"
        f"{', purchase order ' + i.po_number if i.po_number else ''}) fell due on {uk_date(i.due_on)} "
        f"and is overdue: {format_pence(late.unpaid)} of {format_pence(i.amount)} is unpaid. "
        "The weekly drawdown can only draw what has been paid in."
    )
    return subject, body


def flag_overdue_instalments(session: Session, isf: Isf, on: date) -> int:
    """Tell the provider holding `isf` and each late funder, once per instalment, that it is
    overdue on `on`. Returns how many instalments were newly flagged."""
    flagged = 0
    for late in reading.overdue_instalments(session, isf, on):
        if not _claim(session, isf, late):
            continue
        link = f"/isfs/{isf.id}"
        notify(session, _staff(session, isf.provider_id), *overdue_wording(isf, late), link=link)
        funder = _staff(session, late.instalment.funder_id)
        notify(session, funder, *overdue_wording(isf, late, to_funder=True), link=link)
        flagged += 1
    return flagged
