"""Reminders: notices to an invoice's payer 7 days before it falls due and when it becomes overdue,
a provider's own "Send a reminder" (the statement of account attached to its e-mail, and linked
from the in-app notice), and a weekly digest of its overdue invoices to the provider.

Each notice is sent once: its row (InvoiceReminder per invoice, event and occasion; OverdueDigest
per provider and week) is inserted ON CONFLICT DO NOTHING before anyone is told, and only the
transaction whose insert took the row tells them. So the job run twice, or on two processes at
once, sends nothing twice; a job that fails after the insert rolls both back.

Who is told: an organisation's users (its finance contacts) and its finance e-mail address, or a
family's own users. Operations flush; the job (jobs.run_reminders) or the request commits, and
e-mail goes out after the commit where mail is configured.
"""

from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, User
from marketplace.core.clock import today, week_start
from marketplace.core.errors import Conflict
from marketplace.core.money import format_pence
from marketplace.core.notifications import email_address, notify
from marketplace.core.sql import dialect_insert
from marketplace.core.templating import uk_date
from marketplace.invoicing import statement_documents, statements
from marketplace.invoicing.models import Invoice, InvoiceReminder, InvoiceStatus, OverdueDigest, ReminderEvent
from marketplace.invoicing.statements import invoice_statement_path

DUE_SOON_DAYS = 7
OPEN = (InvoiceStatus.ISSUED, InvoiceStatus.PART_PAID)
OWED = Invoice.total - Invoice.amount_paid - Invoice.amount_credited


# ---- which invoices, and who is told --------------------------------------------------------


def _not_yet(event: ReminderEvent):
    return ~exists().where(InvoiceReminder.invoice_id == Invoice.id, InvoiceReminder.event == event)


def _unpaid():
    return Invoice.status.in_(OPEN), OWED > 0


def due_soon(session: Session, on: date) -> list[int]:
    """Unpaid invoices falling due in the next 7 days (after `on`, up to `on` + 7) not yet
    reminded: exactly 7 days before, or later if the job did not run that day."""
    return list(
        session.scalars(
            select(Invoice.id)
            .where(*_unpaid(), Invoice.due_date > on, Invoice.due_date <= on + timedelta(days=DUE_SOON_DAYS))
            .where(_not_yet(ReminderEvent.DUE_SOON))
            .order_by(Invoice.due_date, Invoice.id)
        )
    )


def newly_overdue(session: Session, on: date) -> list[int]:
    """Unpaid invoices past their due date (from the day after it) with no overdue notice yet."""
    return list(
        session.scalars(
            select(Invoice.id)
            .where(*_unpaid(), Invoice.due_date < on, _not_yet(ReminderEvent.OVERDUE))
            .order_by(Invoice.due_date, Invoice.id)
        )
    )


def payer_contacts(session: Session, invoice: Invoice) -> tuple[list[User], list[str]]:
    """Who hears about an invoice: the paying organisation's users and its finance e-mail (when
    that is no user's address), or the paying family's users."""
    if invoice.payer_org_id is not None:
        users = session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == invoice.payer_org_id, User.is_active_account)
            .order_by(User.id)
        ).all()
        mailbox = invoice.payer_org.finance_email
        known = {u.email.lower() for u in users}
        return list(users), [mailbox] if mailbox and mailbox.lower() not in known else []
    users = session.scalars(
        select(User)
        .where(User.family_id == invoice.payer_family_id, User.is_active_account)
        .order_by(User.id)
    ).all()
    return list(users), []


def _provider_staff(session: Session, provider_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == provider_id, User.is_active_account)
            .order_by(User.id)
        )
    )


# ---- sending once -------------------------------------------------------------------------------


def claim(session: Session, invoice: Invoice, event: ReminderEvent, occasion: date, **values) -> bool:
    """Record the (invoice, event, occasion) notice unless it is recorded already; True if this
    call recorded it (and so must send it). On PostgreSQL a concurrent claim of the same row waits
    for the first to commit, then finds it taken."""
    table = InvoiceReminder.__table__
    inserted = session.execute(
        dialect_insert(session, table)
        .values(invoice_id=invoice.id, event=event, occasion=occasion, **values)
        .on_conflict_do_nothing()
        .returning(table.c.id)
    ).first()
    return inserted is not None


def _wording(invoice: Invoice, event: ReminderEvent, on: date) -> tuple[str, str]:
    owed = format_pence(invoice.amount_due)
    due = uk_date(invoice.due_date)
    what = f"{invoice.issuer.name}'s invoice {invoice.number}"
    if invoice.po_number:
        what += f" (purchase order {invoice.po_number})"
    quote = (
        f"Please pay {owed}, quoting {invoice.number}, or tell {invoice.issuer.name} if there is a problem."
    )
    if event is ReminderEvent.DUE_SOON:
        return (
            f"Invoice {invoice.number} is due on {due}",
            f"{what} for {format_pence(invoice.total)} falls due on {due}; {owed} is still to pay. {quote}",
        )
    if event is ReminderEvent.OVERDUE:
        return (
            f"Invoice {invoice.number} is overdue",
            f"{what} fell due on {due} and {owed} is unpaid. {quote}",
        )
    late = f"fell due on {due}" if invoice.due_date < on else f"falls due on {due}"
    return (
        f"A reminder from {invoice.issuer.name}: invoice {invoice.number}, {owed} to pay",
        f"{what} {late}; {owed} is still to pay. {quote} "
        f"Your statement of account with {invoice.issuer.name} is at the link below (and attached "
        "to the e-mail, as a PDF).",
    )


def _send(
    session: Session, invoice: Invoice, event: ReminderEvent, on: date, occasion: date, actor=None
) -> bool:
    users, mailboxes = payer_contacts(session, invoice)
    recipients = len(users) + len(mailboxes)
    if not claim(session, invoice, event, occasion, recipients=recipients, sent_by_id=actor and actor.id):
        return False
    subject, body = _wording(invoice, event, on)
    manual = event is ReminderEvent.MANUAL
    link = invoice_statement_path(invoice) if manual else f"/invoices/{invoice.id}"
    attachments = [_statement_attachment(session, invoice)] if manual else None
    notify(session, users, subject, body, link=link, attachments=attachments)
    for mailbox in mailboxes:
        email_address(session, mailbox, subject, body, link, attachments=attachments)
    return True


def _statement_attachment(session: Session, invoice: Invoice) -> tuple[str, str, bytes]:
    """The payer's statement of account with the invoice's issuer (the financial year so far), as
    the PDF the statement page offers."""
    payer = invoice.payer_org or invoice.payer_family
    stmt = statements.statement(session, invoice.issuer, payer, *statements.default_period())
    return (
        statement_documents.filename(stmt, "pdf"),
        "application/pdf",
        statement_documents.statement_pdf(stmt),
    )


def remind(session: Session, invoice: Invoice, event: ReminderEvent, on: date) -> bool:
    """Send the invoice's due-soon or overdue notice to its payer, once per invoice (its occasion
    is the due date). False if it was sent before, or the invoice has nothing left to pay."""
    if invoice.status not in OPEN or invoice.amount_due <= 0:
        return False
    return _send(session, invoice, event, on, invoice.due_date)


def remind_now(session: Session, invoice: Invoice, actor: User, on: date | None = None) -> InvoiceReminder:
    """A provider's "Send a reminder": the payer is told what is owed, with a link to its statement
    of account. Refused for an invoice with nothing to pay, and a second time the same day (a
    double click sends one reminder)."""
    on = on or today()
    if invoice.status not in OPEN or invoice.amount_due <= 0:
        raise Conflict(f"Invoice {invoice.number} has nothing left to pay.", code="nothing_owed")
    if not _send(session, invoice, ReminderEvent.MANUAL, on, on, actor):
        raise Conflict(
            f"A reminder for invoice {invoice.number} was already sent today.", code="already_reminded"
        )
    return session.scalar(
        select(InvoiceReminder).where(
            InvoiceReminder.invoice_id == invoice.id,
            InvoiceReminder.event == ReminderEvent.MANUAL,
            InvoiceReminder.occasion == on,
        )
    )


def last_chased(session: Session, invoice: Invoice) -> InvoiceReminder | None:
    """The latest notice sent to the invoice's payer, if any."""
    return session.scalar(
        select(InvoiceReminder)
        .where(InvoiceReminder.invoice_id == invoice.id)
        .order_by(InvoiceReminder.sent_at.desc(), InvoiceReminder.id.desc())
        .limit(1)
    )


# ---- the provider's weekly digest ------------------------------------------------------------


def providers_with_overdue(session: Session, on: date) -> list[int]:
    return list(
        session.scalars(
            select(Invoice.issuer_id)
            .where(*_unpaid(), Invoice.due_date < on)
            .distinct()
            .order_by(Invoice.issuer_id)
        )
    )


def overdue_of(session: Session, provider_id: int, on: date) -> list[Invoice]:
    """The provider's unpaid invoices past their due date, most overdue first."""
    return list(
        session.scalars(
            select(Invoice)
            .where(Invoice.issuer_id == provider_id, *_unpaid(), Invoice.due_date < on)
            .order_by(Invoice.due_date, Invoice.id)
        )
    )


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def send_digest(session: Session, provider_id: int, on: date) -> bool:
    """The week's digest of the provider's overdue invoices to its staff, once per provider and
    week (the first run of the week that finds one overdue sends it). False if already sent."""
    invoices = overdue_of(session, provider_id, on)
    if not invoices:
        return False
    owed = sum(i.amount_due for i in invoices)
    table = OverdueDigest.__table__
    inserted = session.execute(
        dialect_insert(session, table)
        .values(provider_id=provider_id, week_start=week_start(on), invoices=len(invoices), amount_due=owed)
        .on_conflict_do_nothing()
        .returning(table.c.id)
    ).first()
    if inserted is None:  # this week's digest was sent already
        return False
    lines = [
        f"{i.number} to {i.payer_name}: {format_pence(i.amount_due)}, due {uk_date(i.due_date)} "
        f"({_days((on - i.due_date).days)} overdue)"
        for i in invoices
    ]
    count = f"{len(invoices)} overdue invoice{'' if len(invoices) == 1 else 's'}"
    notify(
        session,
        _provider_staff(session, provider_id),
        f"{count}, {format_pence(owed)} in all",
        "\n".join(lines),
        link="/statements",
    )
    return True
