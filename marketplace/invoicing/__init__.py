"""Invoicing: billable items, invoices with gap-free numbers, invoice runs."""
