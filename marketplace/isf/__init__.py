"""Individual Service Funds: agreements, receipts, contingency, and the weekly drawdown."""
