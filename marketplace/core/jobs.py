"""Running a scheduled job's work with an app and its database session."""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


def in_app(work: Callable[[Session], T]) -> T:
    """`work(session)` in the current app if there is one (tests, CLI), else in an app built for
    it (the scheduler's thread), whose session is removed afterwards."""
    from flask import has_app_context

    from marketplace.core.db import db

    if has_app_context():
        return work(db.session)
    from marketplace import create_app

    with create_app().app_context():
        try:
            return work(db.session)
        finally:
            db.session.remove()
