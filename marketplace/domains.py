"""The domain packages, in dependency order, and the conventional modules each may have.

create_app() wires every domain the same way, so adding a domain never edits the factory:
  models.py  tables (imported so the metadata and Alembic see them)
  views.py   `bp`, an HTML blueprint; optional `register(app)` for navigation and dashboard panels
  api.py     `bp`, nested under /api/v1
  cli.py     `commands`, a list of click commands added to `marketplace` / `flask`
  jobs.py    `jobs`, a list of marketplace.scheduler.JobSpec the scheduler process runs
  demo.py    `load(session, ctx)`, idempotent demo data, run in this order
"""

from collections.abc import Iterator
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

DOMAINS = [
    "accounts",
    "ledger",
    "catalog",
    "budgets",
    "bookings",
    "isf",
    "invoicing",
    "payments",
    "messages",
    "admin",
]


def domain_modules(part: str) -> Iterator[ModuleType]:
    for domain in DOMAINS:
        name = f"marketplace.{domain}.{part}"
        if find_spec(f"marketplace.{domain}") is not None and find_spec(name) is not None:
            yield import_module(name)
