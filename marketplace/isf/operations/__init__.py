"""The only code that changes ISFs and moves their money. Operations flush; callers commit.

This package is their public face (`from marketplace.isf import operations;
operations.record_receipt(...)`).
"""

from marketplace.isf.operations.agreements import (
    AMENDABLE,
    FundOutcome,
    agree_isf,
    amend_isf,
    approve_release,
    check_terms,
    create_isf,
    park_isf,
    post_due_drawdowns,
    receipt_window,
    record_receipt,
    refuse_release,
    request_release,
    spend_release,
    unpark_isf,
)

__all__ = [
    "AMENDABLE",
    "FundOutcome",
    "agree_isf",
    "amend_isf",
    "approve_release",
    "check_terms",
    "create_isf",
    "park_isf",
    "post_due_drawdowns",
    "receipt_window",
    "record_receipt",
    "refuse_release",
    "request_release",
    "spend_release",
    "unpark_isf",
]
