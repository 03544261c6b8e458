"""Everything that changes budgets, streams, support plans and RAS. Operations flush; callers commit.

One module per topic; this package is their public face (`from marketplace.budgets import
operations as ops; ops.create_budget(...)`):

- `budgets`: creating a budget with its streams, and its status (`TRANSITIONS`);
- `amendments`: changing a stream, recorded and moved through the ledger;
- `support_plan`: outcomes and progress on them;
- `ras`: Resource Allocation Systems and assessments.

The budget's ledger accounts are looked up in `budgets.books`, a support-plan outcome by id in
`budgets.lookups`.
"""

from marketplace.budgets.operations.amendments import AMENDABLE, amend_stream
from marketplace.budgets.operations.budgets import TRANSITIONS, change_budget_status, create_budget
from marketplace.budgets.operations.ras import assess, create_ras, publish_ras
from marketplace.budgets.operations.support_plan import add_outcome, update_outcome

__all__ = [
    "AMENDABLE",
    "TRANSITIONS",
    "add_outcome",
    "amend_stream",
    "assess",
    "change_budget_status",
    "create_budget",
    "create_ras",
    "publish_ras",
    "update_outcome",
]
