"""Card payments for families (Stripe): paying family invoices and booking top-ups by card,
webhooks stored by event id and processed once, refunds. Our ledger and invoices stay the record
of truth; Stripe is one way money arrives."""
