"""The only code that changes ISFs and moves their money. Operations flush; callers commit.

One module per topic; this package is their public face (`from marketplace.isf import
operations; operations.record_receipt(...)`):

- `agreements`: setting an ISF up (`set_up_isf`: the set-up page's one operation), agreeing it,
  amending its terms;
- `receipts`: money paid in, split into contingency and available, and taken back out;
- `contingency`: release requests and the funders' decisions;
- `drawdown`: the weekly drawdown's per-fund posting, parking and un-parking (the job that batches
  funds under an advisory lock is `isf.jobs.run_weekly_drawdowns`), and the preview of what
  un-parking will post (`preview_catch_up`);
- `overdue`: flagging a funder's late instalment to the provider and the funder, once.

The ISF's ledger accounts are opened in `isf.books`.
"""

from marketplace.isf.operations.agreements import (
    AMENDABLE,
    agree_isf,
    amend_isf,
    check_terms,
    create_isf,
    set_up_isf,
)
from marketplace.isf.operations.contingency import (
    approve_release,
    refuse_release,
    request_release,
    spend_release,
)
from marketplace.isf.operations.drawdown import (
    CatchUp,
    FundOutcome,
    park_isf,
    post_due_drawdowns,
    preview_catch_up,
    unpark_isf,
)
from marketplace.isf.operations.overdue import flag_overdue_instalments
from marketplace.isf.operations.receipts import (
    check_receipt_reversible,
    receipt_window,
    record_receipt,
    reverse_receipt,
)

__all__ = [
    "AMENDABLE",
    "CatchUp",
    "FundOutcome",
    "agree_isf",
    "amend_isf",
    "approve_release",
    "check_receipt_reversible",
    "check_terms",
    "create_isf",
    "flag_overdue_instalments",
    "park_isf",
    "preview_catch_up",
    "post_due_drawdowns",
    "receipt_window",
    "record_receipt",
    "refuse_release",
    "request_release",
    "reverse_receipt",
    "set_up_isf",
    "spend_release",
    "unpark_isf",
]
