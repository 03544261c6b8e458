"""core is the shared plumbing: it imports no domain (the domains register what core serves)."""

from pathlib import Path

import marketplace
from marketplace.domains import DOMAINS
from tests.layout import imports_of

CORE = Path(marketplace.__file__).parent / "core"


def test_core_imports_no_domain():
    domains = tuple(f"marketplace.{domain}" for domain in DOMAINS)
    found = {
        (path.name, name)
        for path in CORE.glob("*.py")
        for name in imports_of(path, names=True)
        if name in domains or name.startswith(tuple(d + "." for d in domains))
    }
    assert found == set()
