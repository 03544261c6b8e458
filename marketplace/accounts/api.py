from flask import Blueprint
from flask_login import current_user

from marketplace.accounts.schemas import MeOut
from marketplace.core.auth import signed_in
from marketplace.core.openapi import describe

bp = Blueprint("accounts_api", __name__)


@bp.get("/me")
@describe("get", "/me", "Who the caller is", response=MeOut)
@signed_in
def me():
    return MeOut().dump(current_user)
