"""Bookings: a family's claim on slot capacity, paid from a budget through ledger holds."""
