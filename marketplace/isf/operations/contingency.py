"""Contingency releases: the provider asks, with a reason; a funding commissioner approves (and it
is spent at once) or refuses."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.accounts.models import Organisation
from marketplace.core import audit
from marketplace.core.clock import today, utcnow
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.money import format_pence
from marketplace.isf import books, notices
from marketplace.isf.models import ContingencyRelease, Isf, ReleaseStatus


def request_release(
    session: Session, isf: Isf, *, amount: int, reason: str, actor=None
) -> ContingencyRelease:
    """The provider asks to spend contingency, with a reason. Nothing moves until it is approved.
    A release larger than the contingency holds now is refused at once (409 naming what it holds)."""
    errors = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = ["Enter the amount as a whole number of pence above zero"]
    if not (reason or "").strip():
        errors["reason"] = ["Say what the contingency is needed for"]
    if errors:
        raise ValidationFailed("Check the release request", fields=errors)
    held = ledger.balance(books.contingency_account(session, isf)).available
    if amount > held:
        raise _more_than_contingency(amount, held)
    release = ContingencyRelease(
        isf_id=isf.id, amount=amount, reason=reason.strip(), requested_by_id=getattr(actor, "id", None)
    )
    session.add(release)
    session.flush()
    audit.record(session, actor, "isf.release_requested", isf, release=release.id, amount=amount)
    notices.release_requested(session, isf, release)
    return release


def _more_than_contingency(amount: int, held: int) -> Conflict:
    return Conflict(
        f"The contingency holds {format_pence(held)}; this release asks for {format_pence(amount)}",
        fields={"amount": [f"Enter at most {format_pence(held)}, what the contingency holds"]},
        code="insufficient_contingency",
    )


def _lock_release(session: Session, release: ContingencyRelease) -> None:
    """Lock the release row and re-read it, so of two decisions at once exactly one finds it
    still requested; the other waits, then sees the decision and gets a 409."""
    session.execute(
        select(ContingencyRelease)
        .where(ContingencyRelease.id == release.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _decide(release: ContingencyRelease, isf: Isf, organisation: Organisation, actor, note) -> None:
    if organisation.id not in isf.funder_ids:
        raise Forbidden("Only a commissioner that funds this ISF can decide its contingency releases.")
    if release.status is not ReleaseStatus.REQUESTED:
        raise Conflict(f"This release was already {release.status.value}", code="already_decided")
    release.decided_by_id = getattr(actor, "id", None)
    release.decided_by_org_id = organisation.id
    release.decided_at = utcnow()
    release.decision_note = (note or "").strip() or None


def approve_release(
    session: Session, release: ContingencyRelease, *, organisation: Organisation, actor=None, note: str = ""
) -> ContingencyRelease:
    """A funding commissioner approves a release, and it is spent at once: contingency → the
    provider's ISF delivery income (no top-slice on contingency). A release larger than the
    contingency is refused with a 409 and nothing changes."""
    isf = session.get(Isf, release.isf_id)
    _lock_release(session, release)  # first the release, then its money (one order for both decisions)
    contingency = books.contingency_account(session, isf)
    ledger.lock_accounts(session, contingency)
    held = ledger.balance(contingency).available
    if release.status is ReleaseStatus.REQUESTED and release.amount > held:
        raise _more_than_contingency(release.amount, held)
    _decide(release, isf, organisation, actor, note)
    release.status = ReleaseStatus.APPROVED
    spend_release(session, release)
    audit.record(session, actor, "isf.release_approved", isf, release=release.id, amount=release.amount)
    notices.release_decided(session, isf, release)
    return release


def spend_release(session: Session, release: ContingencyRelease) -> None:
    """Move an approved release out of contingency. Anything not approved is refused."""
    if release.status is not ReleaseStatus.APPROVED:
        raise Conflict("Contingency is spent only through an approved release", code="not_approved")
    isf = session.get(Isf, release.isf_id)
    release.released_on = today()
    ledger.transfer(
        session,
        books.contingency_account(session, isf),
        books.delivery_income_account(session, isf.provider_id),
        release.amount,
        "isf_contingency_release",
        reference=("isf_contingency_release", release.id),
        idempotency_key=f"isf:{isf.id}:contingency_release:{release.id}",
        effective_date=release.released_on,
    )


def refuse_release(
    session: Session, release: ContingencyRelease, *, organisation: Organisation, actor=None, note: str = ""
) -> ContingencyRelease:
    """A funding commissioner refuses a release, saying why; nothing moves."""
    if not (note or "").strip():
        raise ValidationFailed("Say why the release is refused", fields={"note": ["Give a reason"]})
    isf = session.get(Isf, release.isf_id)
    _lock_release(session, release)
    _decide(release, isf, organisation, actor, note)
    release.status = ReleaseStatus.REFUSED
    session.flush()
    audit.record(session, actor, "isf.release_refused", isf, release=release.id)
    notices.release_decided(session, isf, release)
    return release
