"""Instalment sets: streams paid on the same cycle fall due together, and each period's set comes to
its even share of their joint year while every stream's instalments still sum to its own year."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.accounts.models import Organisation
from marketplace.budgets.models import FundingStream
from marketplace.catalog.models import StreamKind
from marketplace.core.allocation import allocate
from marketplace.isf import schedule
from marketplace.isf.models import Isf, IsfFundingCycle, PaymentCycle, PaymentTiming

KINDS = list(StreamKind)


def unsaved_isf(amounts, cycle=PaymentCycle.MONTHLY, timing=PaymentTiming.ADVANCE, cycles=None):
    """An ISF in memory (no database): one stream per amount, listed in that order."""
    isf = Isf(start_date=date(2026, 4, 6), end_date=date(2027, 3, 31))
    for i, amount in enumerate(amounts):
        stream = FundingStream(id=i + 1, position=i, kind=KINDS[i], amount=amount, po_number=f"PO-{i}")
        stream.funder = Organisation(id=i + 1, name=f"Funder {i}")
        stream.funder_id = i + 1
        isf.cycles.append(IsfFundingCycle(stream=stream, cycle=(cycles or {}).get(i, cycle), timing=timing))
    return isf


def by_period(rows):
    sets = {}
    for row in rows:
        sets.setdefault(row.period_start, []).append(row.amount)
    return [sets[day] for day in sorted(sets)]


def test_example_c_a_thousand_pound_set_over_amys_three_streams():
    isf = unsaved_isf([700_000, 400_000, 100_000])  # 18,200 : 10,400 : 2,600
    sets = by_period(schedule.funding_schedule(isf))
    assert sets[0] == [58_334, 33_333, 8_333] == allocate(100_000, [1_820_000, 1_040_000, 260_000])
    assert {sum(s) for s in sets} == {100_000}  # every month's set is £1,000.00


def test_example_a_quarters_are_unchanged():
    isf = unsaved_isf([1_820_000, 1_040_000, 260_000], cycle=PaymentCycle.QUARTERLY)
    assert by_period(schedule.funding_schedule(isf)) == [[455_000, 260_000, 65_000]] * 4


def test_streams_on_other_cycles_do_not_share_sets():
    isf = unsaved_isf([700_000, 400_000], cycles={1: PaymentCycle.QUARTERLY})
    rows = schedule.funding_schedule(isf)
    monthly = [r.amount for r in rows if r.stream_id == 1]
    quarterly = [r.amount for r in rows if r.stream_id == 2]
    assert monthly == allocate(700_000, [1] * 12)  # alone on its cycle: extra pennies first, as ever
    assert quarterly == [100_000] * 4


@settings(max_examples=300, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10_000_000), min_size=1, max_size=4),
    cycle=st.sampled_from(list(PaymentCycle)),
)
def test_each_set_is_its_even_share_and_each_stream_sums_to_its_year(amounts, cycle):
    rows = schedule.funding_schedule(unsaved_isf(amounts, cycle=cycle))
    count = schedule.INSTALMENTS_PER_YEAR[cycle]
    assert [sum(s) for s in by_period(rows)] == allocate(sum(amounts), [1] * count)
    for i, amount in enumerate(amounts):
        mine = [r.amount for r in rows if r.stream_id == i + 1]
        assert len(mine) == count and sum(mine) == amount
        assert max(mine) - min(mine) <= 1
