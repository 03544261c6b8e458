"""What payers owe providers, in the ledger (rule 2: money moves only through the ledger).

Per provider: `invoiced` (what it has billed; it goes negative by what payers owe it and have
paid, so the ledger sums to zero) and `cash_received` (what payers have paid it). Per (provider,
payer): a receivable account whose balance is what that payer owes that provider now.

  issuing an invoice        invoiced      -> receivable   the invoice's total
  a credit note             receivable    -> invoiced     the amount credited
  a payment (remittance)    receivable    -> cash_received the amount allocated to the invoice
  reversing a payment       cash_received -> receivable   (a reversing transfer)

So for each provider and payer, invoices issued − credits − payments = the receivable's balance,
which `reconcile_receivables` checks against the invoices' own figures.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.invoicing.models import Invoice, InvoiceStatus
from marketplace.ledger.models import Account

PROVIDER_OWNER = "organisation"
RECEIVABLE_OWNER = "provider_receivable"


def payer_key(payer_org_id: int | None, payer_family_id: int | None) -> str:
    """The receivable account's kind: 'org:12' or 'family:7'."""
    return f"org:{payer_org_id}" if payer_org_id is not None else f"family:{payer_family_id}"


def receivable_account(session: Session, invoice: Invoice) -> Account:
    """What the invoice's payer owes its issuer, across all their invoices."""
    key = payer_key(invoice.payer_org_id, invoice.payer_family_id)
    return ledger.open_account(
        session,
        RECEIVABLE_OWNER,
        invoice.issuer_id,
        key,
        name=f"Provider {invoice.issuer_id} receivable from {key}",
    )


def invoiced_account(session: Session, provider_id: int) -> Account:
    return ledger.open_account(
        session, PROVIDER_OWNER, provider_id, "invoiced", name=f"Provider {provider_id} invoiced"
    )


def cash_account(session: Session, provider_id: int) -> Account:
    return ledger.open_account(
        session, PROVIDER_OWNER, provider_id, "cash_received", name=f"Provider {provider_id} cash received"
    )


def post_issue(session: Session, invoice: Invoice) -> None:
    """The payer now owes the invoice's total, in the issuing transaction. No idempotency key: the
    issue itself happens once (the invoice row is locked and must still be a draft)."""
    if invoice.total <= 0:
        return
    ledger.transfer(
        session,
        invoiced_account(session, invoice.issuer_id),
        receivable_account(session, invoice),
        invoice.total,
        "invoice_issued",
        reference=("invoice", invoice.id),
        effective_date=invoice.issue_date,
    )


def post_issues(session: Session, invoices: list[dict]) -> None:
    """`post_issue` for a batch of invoices just issued (each a dict of the invoice's columns with
    its id): every account opened at once (named as `invoiced_account` and `receivable_account`
    name them), then one `ledger.transfer_many` (all or nothing)."""
    invoices = [i for i in invoices if i["total"] > 0]
    if not invoices:
        return
    wanted = []
    for invoice in invoices:
        provider_id, key = (
            invoice["issuer_id"],
            payer_key(invoice["payer_org_id"], invoice["payer_family_id"]),
        )
        wanted += [
            (PROVIDER_OWNER, provider_id, "invoiced", False, f"Provider {provider_id} invoiced"),
            (RECEIVABLE_OWNER, provider_id, key, False, f"Provider {provider_id} receivable from {key}"),
        ]
    accounts = ledger.open_accounts(session, wanted)
    ledger.transfer_many(
        session,
        [
            ledger.Movement(
                accounts[(PROVIDER_OWNER, i["issuer_id"], "invoiced")],
                accounts[
                    (RECEIVABLE_OWNER, i["issuer_id"], payer_key(i["payer_org_id"], i["payer_family_id"]))
                ],
                i["total"],
                "invoice_issued",
                reference=("invoice", i["id"]),
                effective_date=i["issue_date"],
            )
            for i in invoices
        ],
    )


# What an issued invoice still says its payer owes.
OWED = Invoice.total - Invoice.amount_paid - Invoice.amount_credited


def reconcile_receivables(session: Session) -> list[str]:
    """For each provider and payer: invoices − credits − payments = what the ledger says is owed.
    Returns the disagreements (empty when the books agree)."""
    by_invoices: dict[tuple[int, str], int] = {}
    rows = session.execute(
        select(Invoice.issuer_id, Invoice.payer_org_id, Invoice.payer_family_id, func.sum(OWED))
        .where(Invoice.status != InvoiceStatus.DRAFT)
        .group_by(Invoice.issuer_id, Invoice.payer_org_id, Invoice.payer_family_id)
    )
    for issuer_id, org_id, family_id, owed in rows:
        by_invoices[(issuer_id, payer_key(org_id, family_id))] = int(owed or 0)
    by_ledger = {
        (owner_id, kind): posted
        for owner_id, kind, posted in session.execute(
            select(Account.owner_id, Account.kind, Account.posted).where(
                Account.owner_type == RECEIVABLE_OWNER
            )
        )
    }
    problems = []
    for key in sorted(set(by_invoices) | set(by_ledger)):
        invoices, books = by_invoices.get(key, 0), by_ledger.get(key, 0)
        if invoices != books:
            problems.append(
                f"provider {key[0]} / payer {key[1]}: invoices say {invoices} owed, the ledger {books}"
            )
    return problems
