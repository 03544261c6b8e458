"""Catalogue fixtures: the shared factories (tests/factories.py) under the names these tests use."""

from datetime import UTC, datetime

import pytest


@pytest.fixture
def catalog(make):
    """Providers (`catalog.provider()`), their staff, offers and slots: `make` itself."""
    return make


@pytest.fixture
def make_offer(make):
    return make.offer


@pytest.fixture
def make_slot(make):
    return make.slot


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
