"""One operation sets an ISF up from the set-up form: the form's schema, then set_up_isf."""

from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.core.errors import ValidationFailed
from marketplace.core.schemas import parse
from marketplace.isf import operations
from marketplace.isf.models import AgreementParty, Isf
from marketplace.isf.schemas import SetupForm
from tests.isf.test_setup_pages import FORM, _budget_awaiting_isf


def test_the_form_starts_from_the_budgets_period_and_the_usual_terms(session, make):
    budget, *_ = _budget_awaiting_isf(session, make)
    assert SetupForm.initial(budget) == {
        "start_date": "2026-04-01",
        "end_date": "2027-03-31",
        "contingency_bp": "5",
        "top_slice_bp": "8",
        "surplus_threshold_weeks": "8",
        "drawdown_weekday": "0",
    }


def test_the_schema_loads_terms_and_each_kinds_cycle_as_sent():
    data = parse(SetupForm(), {**FORM, "family_contribution_first": "", "timing_health": ""})
    assert (data["weekly_amount"], data["contingency_bp"], data["top_slice_bp"]) == (57_000, 500, 800)
    assert data["family_contribution_first"] is False  # blank: not answered, so the default
    assert data["cycles"] == {
        "social_care": ("quarterly", "advance"),
        "education": (None, None),
        "health": ("monthly", ""),  # kept as sent, for the operation to refuse by name
        "charity": (None, None),
    }


def test_set_up_isf_creates_it_with_the_chosen_cycles_and_the_commissioner_agrees(session, make):
    budget, council, icb, hilltop = _budget_awaiting_isf(session, make)
    form = {k: v for k, v in FORM.items() if k != "timing_health"}
    data = parse(SetupForm(), {**form, "cycle_health": "weekly", "cycle_charity": "monthly"})
    isf = operations.set_up_isf(session, budget=budget, commissioner=council, **data)
    assert isf.provider is hilltop and (isf.weekly_amount, isf.start_date) == (57_000, date(2026, 4, 6))
    assert {c.stream.kind.value: (c.cycle.value, c.timing.value) for c in isf.cycles} == {
        "social_care": ("quarterly", "advance"),
        "health": ("weekly", "advance"),  # no timing chosen: in advance; charity is not an ISF stream
    }
    assert [(a.party, a.organisation) for a in isf.agreements] == [(AgreementParty.COMMISSIONER, council)]
    assert not isf.is_agreed


def test_set_up_isf_refuses_an_unverified_provider_and_a_blank_cycle_naming_the_field(session, make):
    budget, council, *_ = _budget_awaiting_isf(session, make)
    make.org("provider", name="Unverified", slug="unverified")
    for form, field in (
        ({**FORM, "provider": "unverified"}, "provider"),
        ({**FORM, "provider": "nobody"}, "provider"),
        ({**FORM, "cycle_health": ""}, "cycles.health"),
    ):
        with pytest.raises(ValidationFailed) as err:
            operations.set_up_isf(session, budget=budget, commissioner=council, **parse(SetupForm(), form))
        assert field in err.value.fields
    assert session.scalar(select(func.count(Isf.id))) == 0
