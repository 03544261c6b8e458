"""A statement of account as JSON (amounts in pence, dates ISO): for a provider's or a payer's
finance system. The same statement as the page (statements.statement), the same refusals."""

from flask import request
from flask_login import current_user

from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.openapi import describe
from marketplace.core.schemas import parse
from marketplace.invoicing import permissions, statements
from marketplace.invoicing.api import bp
from marketplace.invoicing.schemas import StatementOut, StatementPeriodIn


@bp.get(statements.STATEMENT_RULE)
@describe(
    "get",
    "/statements/{provider_id}/{payer_kind}/{payer_id}",
    "The statement of account between a provider and a payer (payer_kind org or family): opening "
    "balance, each invoice, credit note and payment with the running balance, closing balance",
    response=StatementOut,
    params=StatementPeriodIn,
)
@signed_in
def get_statement(provider_id: int, payer_kind: str, payer_id: int):
    provider, payer = permissions.statement_parties(current_user, provider_id, payer_kind, payer_id)
    asked = parse(StatementPeriodIn(), request.args.to_dict(), "Check the statement period")
    start, end = (asked["from_"], asked["to"]) if asked["from_"] else statements.default_period()
    return StatementOut().dump(statements.statement(db.session, provider, payer, start, end))
