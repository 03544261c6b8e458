import pytest

from marketplace import ledger


class LedgerFactory:
    """Accounts that read like the domain: the outside world, a protected budget, a provider."""

    def __init__(self, session):
        self.session = session
        self.n = 0

    def world(self):
        return ledger.open_account(self.session, "world", 0, "outside", name="Outside world")

    def budget(self, funded=0, name="Ben's budget"):
        self.n += 1
        account = ledger.open_account(
            self.session, "budget_stream", 1000 + self.n, "available", non_negative=True, name=name
        )
        if funded:
            ledger.transfer(self.session, self.world(), account, funded, "allocation")
        return account

    def provider(self):
        self.n += 1
        return ledger.open_account(self.session, "organisation", 2000 + self.n, "income")


@pytest.fixture
def ledger_make(session):
    return LedgerFactory(session)
