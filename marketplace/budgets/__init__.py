"""Personal budgets: funding streams from several funders, live balances from the ledger."""
