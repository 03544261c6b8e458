"""The ISF JSON API: list, detail, statement; receipts, contingency releases, un-parking."""

from flask import Blueprint, jsonify, request
from flask_login import current_user

from marketplace.budgets.models import FundingStream
from marketplace.core.api import json_body, page_args
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.errors import ValidationFailed
from marketplace.core.openapi import describe
from marketplace.core.schemas import parse
from marketplace.isf import operations, permissions, reading, statements
from marketplace.isf.models import ContingencyRelease
from marketplace.isf.schemas import (
    DecisionIn,
    IsfDetailOut,
    IsfOut,
    PeriodIn,
    ReceiptIn,
    ReceiptOut,
    ReleaseIn,
    ReleaseOut,
    StatementOut,
    UnparkIn,
)

bp = Blueprint("isf_api", __name__)


@bp.get("/isfs")
@describe("get", "/isfs", "ISFs the caller may see", response=IsfOut, many=True, params=["page", "per_page"])
@signed_in
def list_isfs():
    page, per_page = page_args()
    query = permissions.visible_isfs(current_user).limit(per_page).offset((page - 1) * per_page)
    isfs = db.session.scalars(query).all()
    return jsonify(IsfOut(many=True).dump([reading.summary(db.session, i) for i in isfs]))


@bp.get("/isfs/<int:isf_id>")
@describe(
    "get",
    "/isfs/{id}",
    "One ISF: terms, balances, funding schedule, drawdowns, releases",
    response=IsfDetailOut,
)
@signed_in
def get_isf(isf_id: int):
    isf = permissions.get_visible(current_user, isf_id)
    return IsfDetailOut().dump(reading.detail(db.session, isf))


@bp.get("/isfs/<int:isf_id>/statement")
@describe(
    "get",
    "/isfs/{id}/statement",
    "Totals over the period, balances at its ends, per funder, and its lines",
    response=StatementOut,
    params=PeriodIn,
)
@signed_in
def get_statement(isf_id: int):
    isf = permissions.get_visible(current_user, isf_id)
    period = parse(PeriodIn(), request.args.to_dict(), "Check the statement period")
    return StatementOut().dump(statements.statement(db.session, isf, period["from_"], period["to"]))


@bp.post("/isfs/<int:isf_id>/receipts")
@describe("post", "/isfs/{id}/receipts", "Record funding received (idempotent on reference)",
          body=ReceiptIn, response=ReceiptOut, status=201)  # fmt: skip
@signed_in
def post_receipt(isf_id: int):
    isf = permissions.get_visible(current_user, isf_id)
    permissions.require_holder(current_user, isf)
    data = parse(ReceiptIn(), json_body(), "Check the receipt")
    receipt = operations.record_receipt(
        db.session,
        isf,
        stream=stream_or_family(isf, data["stream_id"]),
        amount=data["amount"],
        received_on=data["received_on"],
        reference=data["reference"],
        actor=current_user,
    )
    db.session.commit()
    return ReceiptOut().dump(receipt), 201


def stream_or_family(isf, raw: str) -> FundingStream | None:
    """'family' for the family's contribution, else one of the ISF's funding stream ids."""
    if raw.strip() == "family":
        return None
    for stream in isf.streams:
        if str(stream.id) == raw.strip():
            return stream
    raise ValidationFailed(
        "Check the receipt", fields={"stream_id": ["Not one of this ISF's funding streams"]}
    )


@bp.post("/isfs/<int:isf_id>/releases")
@describe("post", "/isfs/{id}/releases", "Request a contingency release (the provider)",
          body=ReleaseIn, response=ReleaseOut, status=201)  # fmt: skip
@signed_in
def post_release(isf_id: int):
    isf = permissions.get_visible(current_user, isf_id)
    permissions.require_holder(current_user, isf)
    data = parse(ReleaseIn(), json_body(), "Check the release request")
    release = operations.request_release(
        db.session, isf, amount=data["amount"], reason=data["reason"], actor=current_user
    )
    db.session.commit()
    return ReleaseOut().dump(release), 201


def _release(isf, release_id: int) -> ContingencyRelease:
    release = db.session.get(ContingencyRelease, release_id)
    return permissions.visible(release, release is not None and release.isf_id == isf.id, "release")


@bp.post("/isfs/<int:isf_id>/releases/<int:release_id>/approve")
@describe("post", "/isfs/{id}/releases/{release_id}/approve", "Approve and spend a release (a funding commissioner)",
          body=DecisionIn, response=ReleaseOut)  # fmt: skip
@signed_in
def approve_release(isf_id: int, release_id: int):
    return _decide(isf_id, release_id, operations.approve_release)


@bp.post("/isfs/<int:isf_id>/releases/<int:release_id>/refuse")
@describe("post", "/isfs/{id}/releases/{release_id}/refuse", "Refuse a release, saying why (a funding commissioner)",
          body=DecisionIn, response=ReleaseOut)  # fmt: skip
@signed_in
def refuse_release(isf_id: int, release_id: int):
    return _decide(isf_id, release_id, operations.refuse_release)


def _decide(isf_id, release_id, decision):
    isf = permissions.get_visible(current_user, isf_id)
    release = _release(isf, release_id)
    organisation = permissions.funding_organisation(current_user, isf)
    data = parse(DecisionIn(), request.get_json(silent=True) or {}, "Check the decision")
    decision(db.session, release, organisation=organisation, actor=current_user, note=data["note"])
    db.session.commit()
    return ReleaseOut().dump(release)


@bp.post("/isfs/<int:isf_id>/unpark")
@describe(
    "post",
    "/isfs/{id}/unpark",
    "Un-park a fund and catch up its drawdowns (the provider); with `weeks`, only if that many are posted",
    body=UnparkIn,
    response=IsfOut,
)
@signed_in
def unpark(isf_id: int):
    isf = permissions.get_visible(current_user, isf_id)
    permissions.require_holder(current_user, isf)
    weeks = parse(UnparkIn(), request.get_json(silent=True) or {}, "Check the request").get("weeks")
    operations.unpark_isf(db.session, isf, actor=current_user, expected_weeks=weeks)
    db.session.commit()
    return IsfOut().dump(reading.summary(db.session, isf))


@bp.post("/isfs/<int:isf_id>/agree")
@describe(
    "post", "/isfs/{id}/agree", "Record the caller's organisation's agreement to the ISF", response=IsfOut
)
@signed_in
def agree(isf_id: int):
    isf = permissions.get_visible(current_user, isf_id)
    organisation = permissions.agreeing_organisation(current_user, isf)
    operations.agree_isf(db.session, isf, organisation, current_user)
    db.session.commit()
    return IsfOut().dump(reading.summary(db.session, isf))
