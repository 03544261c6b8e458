"""The Resource Allocation System: set up, publish, answer, and see how the figure was reached."""

import pytest
from sqlalchemy import func, select

from marketplace.budgets import operations as budgets
from marketplace.budgets.models import RasAssessment, ResourceAllocationSystem
from marketplace.core.errors import Conflict, ValidationFailed
from tests.budgets.conftest import QUESTIONS


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_indicative_allocation_is_points_times_pence_per_point(session, world):
    ras = world.ras
    answers = {
        ras.questions[0].id: ras.questions[0].answers[2].id,
        ras.questions[1].id: ras.questions[1].answers[1].id,
    }
    result = budgets.assess(session, ras, child=world.ben, actor=world.parent, answers=answers)
    assert (result.total_points, result.pence_per_point, result.indicative_amount) == (11, 25000, 275000)
    assert [(a["question"], a["answer"], a["points"]) for a in result.answers] == [
        ("Personal care?", "All", 8),
        ("Nights?", "Often", 3),
    ]
    assert result.family_id == world.bens.id and result.assessed_by_id == world.parent.id


def test_every_question_must_be_answered_with_one_of_its_answers(session, world):
    ras = world.ras
    other_question_answer = ras.questions[1].answers[0].id
    before = count(session, RasAssessment)
    with pytest.raises(ValidationFailed) as err:
        budgets.assess(
            session, ras, child=world.ben, actor=None, answers={ras.questions[0].id: other_question_answer}
        )
    assert set(err.value.fields) == {f"q{q.id}" for q in ras.questions}
    assert count(session, RasAssessment) == before


def test_publishing_retires_the_previous_version(session, world):
    budgets.publish_ras(session, world.draft, actor=None)
    session.refresh(world.ras)
    assert (world.draft.status, world.ras.status) == ("published", "retired")
    with pytest.raises(Conflict):
        budgets.assess(session, world.ras, child=world.ben, actor=None, answers={})
    with pytest.raises(Conflict):
        budgets.publish_ras(session, world.ras, actor=None)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " "}, "name"),
        ({"pence_per_point": 0}, "pence_per_point"),
        ({"questions": []}, "questions"),
        ({"questions": [{"text": "Q", "answers": [{"label": "only", "points": 1}]}]}, "questions.0.answers"),
        (
            {
                "questions": [
                    {"text": "Q", "answers": [{"label": "a", "points": -1}, {"label": "b", "points": 1}]}
                ]
            },
            "questions.0.answers",
        ),
    ],
)
def test_bad_ras_names_the_field_and_writes_nothing(session, world, kwargs, field):
    before = count(session, ResourceAllocationSystem)
    spec = {"name": "RAS", "pence_per_point": 100, "questions": QUESTIONS, **kwargs}
    with pytest.raises(ValidationFailed) as err:
        budgets.create_ras(session, commissioner=world.council, actor=None, **spec)
    assert field in err.value.fields
    assert count(session, ResourceAllocationSystem) == before


def test_a_provider_cannot_own_a_ras(session, world):
    with pytest.raises(ValidationFailed) as err:
        budgets.create_ras(
            session, commissioner=world.hospice, actor=None, name="x", pence_per_point=1, questions=QUESTIONS
        )
    assert "commissioner" in err.value.fields


# ---- pages ----------------------------------------------------------------------------------

TYPED = """Personal care?
- None = 0
- All = 10

Nights?
Rarely = 0
Often = 5"""


def test_commissioner_sets_up_and_publishes_a_ras(client, session, world, sign_in, post_form):
    sign_in(world.icb_user)
    assert client.get("/ras/new").status_code == 200
    response = post_form("/ras/new", {"name": "ICB RAS", "pence_per_point": "£10.00", "questions": TYPED})
    assert response.status_code == 302
    ras = session.scalar(select(ResourceAllocationSystem).where(ResourceAllocationSystem.name == "ICB RAS"))
    assert [(q.text, [(a.label, a.points) for a in q.answers]) for q in ras.questions] == [
        ("Personal care?", [("None", 0), ("All", 10)]),
        ("Nights?", [("Rarely", 0), ("Often", 5)]),
    ]
    assert ras.commissioner_id == world.icb.id and ras.status == "draft"
    assert ras.pence_per_point == 1000  # typed in pounds, kept in pence
    assert post_form(f"/ras/{ras.id}/publish").status_code == 302
    assert ras.live is True


def test_bad_ras_form_shows_the_error_summary(client, session, world, sign_in, post_form):
    sign_in(world.icb_user)
    before = count(session, ResourceAllocationSystem)
    response = post_form("/ras/new", {"name": "", "pence_per_point": "1.555", "questions": "Q?\nYes please"})
    assert response.status_code == 422
    for field in (b"#name", b"#pence_per_point", b"#questions"):
        assert b'href="' + field + b'"' in response.data
    assert count(session, ResourceAllocationSystem) == before


def test_family_answers_and_sees_how_it_was_reached(client, session, world, sign_in, post_form):
    sign_in(world.parent)
    form = client.get(f"/ras/{world.ras.id}/assess")
    assert form.status_code == 200 and b"Personal care?" in form.data
    q1, q2 = world.ras.questions
    response = post_form(
        f"/ras/{world.ras.id}/assess",
        {"child": str(world.ben.id), f"q{q1.id}": str(q1.answers[2].id), f"q{q2.id}": str(q2.answers[0].id)},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert b"8 points \xc3\x97 \xc2\xa3250.00 a point = <strong>\xc2\xa32,000.00</strong>" in page.data


def test_unanswered_questions_are_named_and_nothing_is_stored(client, session, world, sign_in, post_form):
    sign_in(world.parent)
    before = count(session, RasAssessment)
    response = post_form(f"/ras/{world.ras.id}/assess", {"child": str(world.ben.id)})
    assert response.status_code == 422
    assert f'href="#q{world.ras.questions[0].id}"'.encode() in response.data
    assert count(session, RasAssessment) == before


def test_a_family_cannot_assess_another_familys_child(client, session, world, sign_in, post_form):
    sign_in(world.other_parent)
    q1, q2 = world.ras.questions
    response = post_form(
        f"/ras/{world.ras.id}/assess",
        {"child": str(world.ben.id), f"q{q1.id}": str(q1.answers[0].id), f"q{q2.id}": str(q2.answers[0].id)},
    )
    assert response.status_code == 422 and b"Choose the child" in response.data


def test_ras_refusals(client, world, sign_in, post_form):
    sign_in(world.parent)
    assert client.get(f"/ras/{world.draft.id}").status_code == 404  # drafts are not public
    assert client.get(f"/ras/{world.ras.id}").status_code == 200
    assert post_form(f"/ras/{world.ras.id}/publish").status_code == 403
    assert client.get("/ras/new").status_code == 403
    sign_in(world.other_parent)
    assert client.get(f"/ras/assessments/{world.assessment.id}").status_code == 404
    sign_in(world.other_commissioner)
    assert client.get(f"/ras/assessments/{world.assessment.id}").status_code == 404
    assert client.get(f"/ras/{world.draft.id}").status_code == 404
    assert post_form(f"/ras/{world.draft.id}/publish").status_code == 404
    assert client.get(f"/ras/{world.ras.id}/assess").status_code == 403  # funds no child
    sign_in(world.provider)
    assert client.get(f"/ras/{world.ras.id}").status_code == 404
    assert client.get(f"/ras/{world.ras.id}/assess").status_code == 404
    sign_in(world.council_user)
    assert client.get(f"/ras/assessments/{world.assessment.id}").status_code == 200
    assert client.get(f"/ras/{world.draft.id}").status_code == 200


def test_signed_out_ras_pages_redirect(client, world):
    for url in (
        "/ras",
        "/ras/new",
        f"/ras/{world.ras.id}",
        f"/ras/{world.ras.id}/assess",
        f"/ras/assessments/{world.assessment.id}",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url
