"""Shared plumbing: database, money, allocation, errors, audit, authorisation helpers."""
