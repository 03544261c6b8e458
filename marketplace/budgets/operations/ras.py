"""Resource Allocation Systems: drafting, publishing (one live per commissioner) and assessing
a child for an indicative allocation."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marketplace.accounts.models import Child, Organisation, OrgKind
from marketplace.budgets.models import RasAnswer, RasAssessment, RasQuestion, ResourceAllocationSystem
from marketplace.budgets.operations.budgets import is_pence
from marketplace.core import audit
from marketplace.core.clock import utcnow
from marketplace.core.errors import Conflict, ValidationFailed


def create_ras(
    session: Session,
    *,
    commissioner: Organisation,
    actor,
    name: str,
    pence_per_point: int,
    questions: list[dict],
) -> ResourceAllocationSystem:
    """A draft RAS: questions in order, each with at least two answers scoring whole points ≥ 0,
    and a whole number of pence per point."""
    errors = _check_ras(commissioner, name, pence_per_point, questions)
    if errors:
        raise ValidationFailed("Check the Resource Allocation System", fields=errors)
    ras = ResourceAllocationSystem(
        commissioner=commissioner, name=name.strip(), pence_per_point=pence_per_point
    )
    session.add(ras)
    for qpos, spec in enumerate(questions):
        question = RasQuestion(position=qpos, text=spec["text"].strip())
        ras.questions.append(question)
        for apos, answer in enumerate(spec["answers"]):
            question.answers.append(
                RasAnswer(position=apos, label=answer["label"].strip(), points=answer["points"])
            )
    session.flush()
    audit.record(session, actor, "ras.created", ras)
    return ras


def _check_ras(commissioner, name, pence_per_point, questions) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(commissioner, Organisation) or commissioner.kind is not OrgKind.COMMISSIONER:
        errors["commissioner"] = ["A RAS belongs to a commissioning organisation"]
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors["name"] = ["Enter a name of up to 200 characters"]
    if not is_pence(pence_per_point, allow_zero=False):
        errors["pence_per_point"] = ["Enter a whole number of pence per point, more than zero"]
    if not questions:
        errors["questions"] = ["Add at least one question"]
    for i, spec in enumerate(questions or []):
        if not str(spec.get("text", "")).strip():
            errors[f"questions.{i}.text"] = ["Enter the question"]
        answers = spec.get("answers") or []
        if len(answers) < 2:
            errors[f"questions.{i}.answers"] = ["Give each question at least two answers"]
        for a in answers:
            points = a.get("points")
            if (
                not str(a.get("label", "")).strip()
                or not isinstance(points, int)
                or isinstance(points, bool)
                or points < 0
            ):
                errors[f"questions.{i}.answers"] = [
                    "Each answer needs a label and a whole number of points, 0 or more"
                ]
    return errors


def publish_ras(session: Session, ras: ResourceAllocationSystem, *, actor) -> ResourceAllocationSystem:
    """Publish a draft RAS, retiring the commissioner's previously published one: one live RAS per
    commissioner (a unique constraint backs this). A published or retired RAS never changes."""
    # Serialise publications by one commissioner (two at once both retired the old RAS, then the
    # second broke the one-live-RAS constraint: a 500): lock the commissioner's row (NO KEY
    # UPDATE, so rows referencing it are not held up), then re-read this RAS under the lock.
    session.execute(
        select(Organisation.id).where(Organisation.id == ras.commissioner_id).with_for_update(key_share=True)
    ).scalar_one()
    session.execute(
        select(ResourceAllocationSystem)
        .where(ResourceAllocationSystem.id == ras.id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if ras.published_at is not None:
        raise Conflict(
            "This RAS has already been published; create a new version to change it", code="already_published"
        )
    session.execute(
        update(ResourceAllocationSystem)
        .where(
            ResourceAllocationSystem.commissioner_id == ras.commissioner_id,
            ResourceAllocationSystem.live.is_(True),
        )
        .values(live=None)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    ras.live = True
    ras.published_at = utcnow()
    session.flush()
    audit.record(session, actor, "ras.published", ras)
    return ras


def assess(
    session: Session, ras: ResourceAllocationSystem, *, child: Child, actor, answers: dict[int, int]
) -> RasAssessment:
    """Score a child against a published RAS: one answer per question; indicative allocation =
    total points × pence per point (integers only). The chosen answers are stored as a snapshot."""
    if not ras.live:
        raise Conflict("This RAS is not published; answer the one in use", code="ras_not_published")
    errors: dict[str, list[str]] = {}
    chosen = []
    for question in ras.questions:
        answer_id = answers.get(question.id)
        answer = next((a for a in question.answers if a.id == answer_id), None)
        if answer is None:
            errors[f"q{question.id}"] = [f"Answer: {question.text}"]
            continue
        chosen.append(
            {
                "question_id": str(question.id),
                "question": question.text,
                "answer_id": str(answer.id),
                "answer": answer.label,
                "points": answer.points,
            }
        )
    if errors:
        raise ValidationFailed("Answer every question", fields=errors)
    total = sum(c["points"] for c in chosen)
    assessment = RasAssessment(
        ras=ras,
        child=child,
        family_id=child.family_id,
        assessed_by_id=getattr(actor, "id", None),
        total_points=total,
        pence_per_point=ras.pence_per_point,
        indicative_amount=total * ras.pence_per_point,
        answers=chosen,
    )
    session.add(assessment)
    session.flush()
    audit.record(session, actor, "ras.assessed", assessment, indicative_amount=assessment.indicative_amount)
    return assessment
