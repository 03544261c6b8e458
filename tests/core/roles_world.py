"""A small world with one person in each role, for the authorisation matrix and the API fuzzing.

Two families (Ben's owns everything below; Zoe's is "another family"), Hilltop (the provider
concerned: its offer, slot, the booking and the ISF) and another provider, Brightwater Council
(funds Ben's budgets, the ISF and publishes a RAS) and a council that funds nothing, and an admin.
Built with the suite's factories and the domains' own operations, then committed.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from marketplace.accounts import access, invitations
from marketplace.bookings import operations as bookings
from marketplace.budgets import operations as budgets
from marketplace.catalog import operations as catalog
from marketplace.core.clock import business_date, today
from marketplace.invoicing import credit_notes
from marketplace.invoicing import operations as invoicing
from marketplace.invoicing import payments as invoice_payments
from marketplace.isf import operations as isf_ops
from marketplace.payments.models import CardPayment, CardPurpose, CardStatus
from tests.bookings.conftest import BookingWorld
from tests.conftest import PASSWORD, Factory

ROLES = (
    "anonymous",
    "family",  # the owning family (Ben's parent)
    "other_family",
    "provider",  # the provider concerned (Hilltop)
    "other_provider",
    "commissioner",  # a funding commissioner (Brightwater Council)
    "other_commissioner",  # a commissioner that funds nothing here
    "admin",
)


@dataclass
class RolesWorld:
    users: dict = field(default_factory=dict)  # role -> User
    ids: dict = field(default_factory=dict)  # name -> value substituted into URLs


def build_world(session) -> RolesWorld:
    make = Factory(session)
    bw = BookingWorld(session, make)  # Hilltop, the council, the ICB, Ben's managed budget, the offer
    w = RolesWorld()
    other_family, other_parent, _ = bw.another_family()
    other_provider_org = make.org("provider", name="Seaside Breaks")
    other_profile = catalog.provider_profile(session, other_provider_org)
    catalog.verify_provider(session, other_profile, None)
    elsewhere = make.org("commissioner", name="Elsewhere Council")
    w.users = {
        "family": bw.parent,
        "other_family": other_parent,
        "provider": bw.provider,
        "other_provider": make.user("provider", org=other_provider_org),
        "commissioner": bw.commissioner,
        "other_commissioner": make.user("commissioner", org=elsewhere),
        "admin": make.user("admin"),
    }
    slot = bw.make_slot(days_ahead=20)
    booking = bookings.book(session, actor=bw.parent, slot=slot, budget=bw.budget, units=1)
    card_payment = CardPayment(  # a card top-up for the booking, waiting for the card
        purpose=CardPurpose.TOP_UP,
        status=CardStatus.PENDING,
        family_id=bw.family.id,
        booking=booking,
        amount=5_500,
    )
    session.add(card_payment)
    outcome = budgets.add_outcome(
        session,
        bw.budget,
        actor=None,
        description="Ben sleeps over with friends",
        time_frame="short",
        review_date=bw.budget.period_start + timedelta(days=90),
    )
    # Ben's ISF with Hilltop, funded by the council: paid in, with a contingency release requested
    start = today() - timedelta(days=today().weekday())
    isf_budget = budgets.create_budget(
        session,
        child=bw.family.children[0],
        period_start=start,
        period_end=start + timedelta(days=364),
        streams=[
            {
                "kind": "social_care",
                "funder": bw.council,
                "amount": 1_820_000,
                "management": "isf",
                "po_number": "PO-ISF",
            }
        ],
    )
    isf = isf_ops.create_isf(
        session,
        budget=isf_budget,
        provider=bw.provider_org,
        start_date=start,
        end_date=start + timedelta(days=364),
        cycles={"social_care": ("quarterly", "advance")},
        weekly_amount=35_000,
        contingency_bp=500,
        top_slice_bp=800,
    )
    isf_ops.agree_isf(session, isf, bw.provider_org)
    isf_ops.agree_isf(session, isf, bw.council)
    stream = isf_budget.streams[0]
    isf_ops.record_receipt(
        session, isf, stream=stream, amount=455_000, received_on=start, reference="REM-WORLD-1"
    )
    release = isf_ops.request_release(session, isf, amount=10_000, reason="Extra nights")
    ras = budgets.create_ras(
        session,
        commissioner=bw.council,
        actor=None,
        name="Brightwater RAS",
        pence_per_point=25_000,
        questions=[
            {
                "text": "Nights?",
                "answers": [{"label": "Rarely", "points": 0}, {"label": "Often", "points": 3}],
            }
        ],
    )
    budgets.publish_ras(session, ras, actor=None)
    assessment = budgets.assess(
        session,
        ras,
        child=bw.family.children[0],
        actor=None,
        answers={ras.questions[0].id: ras.questions[0].answers[1].id},
    )
    invoice = _invoice_a_delivered_night(session, bw)
    credit_note = credit_notes.issue_credit_note(  # part of it: the rest is still creditable
        session, invoice, reason="The evening activity was cancelled", amount=1_000, actor=bw.provider
    )
    payment = invoice_payments.record_payment(  # £10.00 of it paid by the council
        session, provider=bw.provider_org, payer=bw.council, amount=1000, received_on=invoice.issue_date,
        reference="REM-WORLD-PAY", allocations=[(invoice, 1000)], actor=bw.provider,
    )  # fmt: skip
    remittance = _remittance_import(session, bw)
    # the ways in: an invitation for the other family, and a spare parent's reset and confirmation links
    _, invitation_token = invitations.invite(
        session,
        actor=w.users["admin"],
        email="invitee@example.org",
        name="Invitee",
        role="family",
        family=other_family,
    )
    spare = make.user("family", family=other_family)
    managed = make.user("family", family=other_family)  # the one the admin console deactivates and resets
    session.flush()
    w.ids = dict(
        invitation_token=invitation_token,
        reset_token=access.reset_token(spare),
        confirm_token=access.confirmation_token(spare),
        user_id=managed.id,
        slot_id=slot.id,
        booking_id=booking.id,
        offer_id=bw.offer.id,
        budget_id=bw.budget.id,
        stream_id=bw.budget.streams[0].id,
        outcome_id=outcome.id,
        isf_id=isf.id,
        invoice_id=invoice.id,
        credit_note_id=credit_note.id,
        payment_id=payment.id,
        import_id=remittance.id,
        card_payment_id=card_payment.id,
        isf_budget_id=isf_budget.id,
        release_id=release.id,
        ras_id=ras.id,
        assessment_id=assessment.id,
        org_id=bw.provider_org.id,
        provider_id=bw.provider_org.id,  # a statement of account: Hilltop's with the council
        payer_kind="org",
        payer_id=bw.council.id,
        slug=bw.family.slug,
        oruk_id=bw.profile.oruk_id,
        profile_id=bw.profile.id,  # a provider's public page
        service_oruk_id=bw.offer.oruk_id,
        filename="app.css",
    )
    return w


def _remittance_import(session, bw):
    """A remittance the council sent Hilltop, imported: one line, naming no invoice of Hilltop's."""
    from marketplace.invoicing.models.remittances import LineOutcome, RemittanceImport, RemittanceImportLine

    kept = RemittanceImport(provider_id=bw.provider_org.id, payer_org_id=bw.council.id, filename="bwc.csv")
    kept.lines.append(
        RemittanceImportLine(
            row=2, invoice_number="X-1", amount_text="1.00", reference="REM-WORLD-CSV", date_text="1/1/2027",
            amount=100, outcome=LineOutcome.NOT_RECORDED, reason="Invoice number X-1 is not one of your invoices",
        )
    )  # fmt: skip
    session.add(kept)
    return kept


def _invoice_a_delivered_night(session, bw):
    """A night of Ben's delivered and invoiced: the council's invoice (the ICB has its own)."""
    slot = bw.make_slot(days_ahead=21)
    booking = bookings.book(session, actor=bw.parent, slot=slot, budget=bw.budget, units=1)
    if booking.status.value == "requested":
        bookings.confirm(session, booking, bw.provider)
    bookings.deliver(session, booking, bw.provider, now=slot.starts_at + timedelta(hours=1))
    through = business_date(slot.starts_at)
    invoicing.record_billable_items(session, through)
    invoices = [
        invoicing.invoice_group(session, key, through) for key in invoicing.unbilled_groups(session, through)
    ]
    # its e-invoice (.xml) needs both parties' Peppol ids (marketplace/invoicing/ubl)
    bw.provider_org.peppol_id, bw.council.peppol_id = "0088:5012345000015", "0088:5012345000022"
    return next(i for i in invoices if i.payer_org_id == bw.council.id)


def sign_in_client(app, user):
    """A test client signed in as `user` through the sign-in form; returns (client, csrf token)."""
    client = app.test_client()
    client.get("/sign-in")
    with client.session_transaction() as sess:
        token = sess["_csrf"]
    if user is not None:
        response = client.post(
            "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, response.status_code
        client.get("/dashboard")
        with client.session_transaction() as sess:
            token = sess["_csrf"]
    return client, token
