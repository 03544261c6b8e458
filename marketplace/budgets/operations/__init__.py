"""Everything that changes budgets, streams, support plans and RAS. Operations flush; callers commit.

This package is their public face (`from marketplace.budgets import operations as ops;
ops.create_budget(...)`).
"""

from marketplace.budgets.operations.budgets import (
    AMENDABLE,
    TRANSITIONS,
    add_outcome,
    amend_stream,
    assess,
    change_budget_status,
    create_budget,
    create_ras,
    outcome_for_budget,
    publish_ras,
    update_outcome,
)

__all__ = [
    "AMENDABLE",
    "TRANSITIONS",
    "add_outcome",
    "amend_stream",
    "assess",
    "change_budget_status",
    "create_budget",
    "create_ras",
    "outcome_for_budget",
    "publish_ras",
    "update_outcome",
]
