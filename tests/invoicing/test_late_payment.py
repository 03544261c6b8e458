"""Statutory late-payment interest and fixed compensation (Late Payment of Commercial Debts
(Interest) Act 1998): simple daily interest at 8% over the half-year's reference rate on what is
outstanding each day, rounded half up once per invoice; £40/£70/£100 compensation; never a family."""

from datetime import date
from fractions import Fraction

import pytest

from marketplace.config import ConfigError, check_reference_rates, reference_rates
from marketplace.invoicing import late_payment
from marketplace.invoicing.late_payment import RatePeriod, fixed_compensation, statutory_interest
from tests.invoicing.overdue import issue, settle_undated

FLAT_4 = [RatePeriod(date(2026, 7, 1), 400), RatePeriod(date(2027, 1, 1), 400)]


def test_interest_runs_from_the_day_after_the_due_date():
    due = date(2027, 1, 4)
    assert statutory_interest(39333, due, due, table=FLAT_4) == 0  # due today: not late
    one_day = Fraction(39333 * 1200, 10_000 * 365)  # 12.93 pence
    assert statutory_interest(39333, due, date(2027, 1, 5), table=FLAT_4) == round(one_day) == 13
    assert statutory_interest(39333, due, date(2027, 1, 1), table=FLAT_4) == 0  # not yet due


def test_days_either_side_of_1_july_take_their_own_half_years_rate():
    table = [RatePeriod(date(2027, 1, 1), 400), RatePeriod(date(2027, 7, 1), 350)]
    # due 20 June: 21–30 June (10 days) at 12.00%, 1–10 July (10 days) at 11.50%
    claim = late_payment.late_payment(100_000, date(2027, 6, 20), date(2027, 7, 10), table=table)
    assert [(p.first_day, p.last_day, p.days, p.statutory_bp) for p in claim.periods] == [
        (date(2027, 6, 21), date(2027, 6, 30), 10, 1200),
        (date(2027, 7, 1), date(2027, 7, 10), 10, 1150),
    ]
    exact = Fraction(100_000 * (1200 * 10 + 1150 * 10), 10_000 * 365)  # 643.84 pence
    assert claim.interest == 644 == round(exact)
    # not what either rate alone would give
    assert statutory_interest(100_000, date(2027, 6, 20), date(2027, 7, 10), table=table[:1]) == 658
    assert claim.rate.reference_bp == 350 and claim.rate.half_year == "July–December 2027"


def test_interest_is_rounded_half_up_once_per_invoice_not_per_period():
    table = [RatePeriod(date(2027, 1, 1), 200), RatePeriod(date(2027, 7, 1), 200)]  # 10% a year
    # £0.25 for the whole of 2027: 1.2397 + 1.2603 = 2.5 pence exactly -> 3 (per period: 1 + 1)
    claim = late_payment.late_payment(25, date(2026, 12, 31), date(2027, 12, 31), table=table)
    assert len(claim.periods) == 2
    assert sum(p.interest for p in claim.periods) == Fraction(5, 2)
    assert claim.interest == 3


def test_interest_accrues_on_what_is_outstanding_each_day():
    due = date(2027, 1, 4)
    paid = [(date(2027, 2, 3), 20000), (date(2027, 2, 10), 19333)]  # example D's two payments
    on_3_feb = late_payment.late_payment(39333, due, date(2027, 2, 3), paid, FLAT_4)
    assert (on_3_feb.interest, on_3_feb.outstanding, on_3_feb.days_overdue) == (388, 19333, 30)
    # 4–10 February: 7 more days on £193.33 (44.49 pence); the total is rounded once
    on_10_feb = late_payment.late_payment(39333, due, date(2027, 2, 10), paid, FLAT_4)
    exact = Fraction(39333 * 1200 * 30 + 19333 * 1200 * 7, 10_000 * 365)  # 432.43
    assert on_10_feb.interest == round(exact) == 432
    assert (on_10_feb.outstanding, on_10_feb.days_overdue) == (0, 0)  # paid: no longer overdue
    # once paid, nothing more accrues; the compensation stays (the debt was £393.33 when late)
    later = late_payment.late_payment(39333, due, date(2027, 3, 31), paid, FLAT_4)
    assert (later.interest, later.compensation, later.claimable) == (432, 4000, 4432)


def test_paid_by_the_due_date_nothing_is_claimable():
    claim = late_payment.late_payment(
        39333, date(2027, 1, 4), date(2027, 3, 1), [(date(2027, 1, 4), 39333)], FLAT_4
    )
    assert (claim.interest, claim.compensation, claim.debt, claim.days_overdue) == (0, 0, 0, 0)


def test_a_reduction_before_the_due_date_lowers_the_debt_and_its_compensation_tier():
    claim = late_payment.late_payment(
        150_000, date(2027, 1, 4), date(2027, 1, 14), [(date(2027, 1, 2), 60_000)], FLAT_4
    )
    assert claim.debt == 90_000 and claim.compensation == 4000  # under £1,000 when it fell overdue
    assert claim.interest == round(Fraction(90_000 * 1200 * 10, 10_000 * 365))


@pytest.mark.parametrize(
    ("debt", "compensation"),
    [(1, 4000), (99_999, 4000), (100_000, 7000), (999_999, 7000), (1_000_000, 10_000), (10**9, 10_000)],
)
def test_fixed_compensation_tiers(debt, compensation):
    assert fixed_compensation(debt) == compensation


@pytest.mark.parametrize(
    ("total", "compensation"),
    [(99_999, 4000), (100_000, 7000), (999_999, 7000), (1_000_000, 10_000)],
    ids=["£999.99", "£1,000.00", "£9,999.99", "£10,000.00"],
)
def test_an_overdue_invoice_to_an_organisation_claims_its_tier(session, world, total, compensation):
    invoice = issue(session, world.provider_org, total, date(2027, 1, 4), payer_org=world.council)
    claim = late_payment.for_invoice(session, invoice, date(2027, 1, 5))
    assert claim.compensation == compensation and claim.days_overdue == 1
    assert claim.claimable == claim.interest + compensation and claim.not_claimable is None


def test_a_family_is_never_charged_interest_or_compensation(session, world):
    invoice = issue(session, world.provider_org, 1_000_000, date(2027, 1, 4), payer_family=world.family)
    claim = late_payment.for_invoice(session, invoice, date(2027, 6, 30))
    assert claim.days_overdue == 177 and claim.outstanding == 1_000_000  # overdue all the same
    assert (claim.interest, claim.compensation, claim.claimable) == (0, 0, 0)
    assert "Act 1998" in claim.not_claimable and "family" in claim.not_claimable


def test_a_draft_has_nothing_to_claim(session, world):
    from marketplace.invoicing.models import Invoice

    draft = Invoice(issuer_id=world.provider_org.id, payer_org_id=world.council.id, payment_terms_days=30)
    session.add(draft)
    session.flush()
    assert late_payment.for_invoice(session, draft) is None


def test_what_is_paid_with_no_known_date_counts_as_paid_on_time(session, world):
    """Until payments (and credit notes) register their dates, an invoice's paid amount is taken
    as received by its due date: the provider never claims interest on money that came on time."""
    invoice = issue(session, world.provider_org, 150_000, date(2027, 1, 4), payer_org=world.council)
    settle_undated(session, invoice, 60_000)
    claim = late_payment.for_invoice(session, invoice, date(2027, 1, 14))
    assert claim.outstanding == invoice.amount_due == 90_000
    assert claim.interest == round(Fraction(90_000 * 1200 * 10, 10_000 * 365))
    assert claim.compensation == 4000


def test_registered_sources_give_the_reductions_their_dates(session, world, monkeypatch):
    invoice = issue(session, world.provider_org, 150_000, date(2027, 1, 4), payer_org=world.council)
    settle_undated(session, invoice, 60_000)  # the invoice's own figure, now with a known date:
    monkeypatch.setattr(late_payment, "_SOURCES", [])
    late_payment.register_reductions(lambda s, ids: {invoice.id: [(date(2027, 1, 9), 60_000)]})
    claim = late_payment.for_invoice(session, invoice, date(2027, 1, 14))
    # 5 days on £1,500.00, then 5 on £900.00; compensation by the £1,500.00 owed when it fell due
    assert claim.interest == round(Fraction((150_000 * 5 + 90_000 * 5) * 1200, 10_000 * 365))
    assert claim.compensation == 7000 and claim.outstanding == 90_000


def test_the_rate_in_force_and_a_half_year_not_yet_configured():
    table = late_payment.rate_table([("2027-01-01", 400), ("2027-07-01", 375)])
    assert late_payment.rate_on(date(2027, 6, 30), table).reference_bp == 400
    assert late_payment.rate_on(date(2027, 7, 1), table).statutory_bp == 1175
    assert late_payment.rate_on(date(2028, 3, 1), table).reference_bp == 375  # carried forward
    assert not late_payment.is_listed(date(2028, 3, 1), table)
    with pytest.raises(LookupError, match="31 December 2026"):
        late_payment.rate_on(date(2026, 12, 31), table)


def test_the_configured_table_is_checked(monkeypatch):
    check_reference_rates([("2027-01-01", 400), ("2027-07-01", 375)])
    for bad in (
        [("2027-03-01", 400)],  # not a half-year
        [("2027-07-01", 400), ("2027-01-01", 400)],  # out of order
        [("2027-01-01", 10_001)],
        [("1 January 2027", 400)],
        [],
    ):
        with pytest.raises(ConfigError, match="LATE_PAYMENT_REFERENCE_RATES"):
            check_reference_rates(bad)
    monkeypatch.setenv("LATE_PAYMENT_REFERENCE_RATES", "2027-01-01=400, 2027-07-01=375")
    assert reference_rates() == [("2027-01-01", 400), ("2027-07-01", 375)]
    monkeypatch.setenv("LATE_PAYMENT_REFERENCE_RATES", "2027-01-01=4%")
    with pytest.raises(ConfigError):
        reference_rates()


def test_days_before_the_configured_rates_are_not_guessed():
    table = late_payment.rate_table([("2027-01-01", 400)])
    not_due = late_payment.late_payment(10_000, date(2026, 12, 20), date(2026, 12, 1), table=table)
    assert not_due.rate is None and not_due.not_claimable is None and not_due.claimable == 0
    overdue = late_payment.late_payment(10_000, date(2026, 12, 20), date(2027, 1, 10), table=table)
    assert overdue.days_overdue == 21 and overdue.claimable == 0
    assert overdue.not_claimable.startswith("Not claimable yet: No late-payment reference rate")
