"""The ledger knows nothing of Flask or of other domains (STYLE.md), and its public face is whole."""

from pathlib import Path

import marketplace
from marketplace import ledger
from tests.layout import imports_of

ROOT = Path(marketplace.__file__).parent


def _module_path(name: str) -> Path:
    parts = name.split(".")[1:]
    package = ROOT.joinpath(*parts, "__init__.py")
    return package if package.exists() else ROOT.joinpath(*parts[:-1], parts[-1] + ".py")


def test_the_ledger_imports_nothing_from_flask_or_other_domains():
    seen, todo = set(), [f"marketplace.ledger.{p.stem}" for p in (ROOT / "ledger").glob("*.py")]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for imported in imports_of(_module_path(name)):
            assert not imported.split(".")[0].startswith(("flask", "werkzeug", "jinja2")), (name, imported)
            if imported.startswith("marketplace."):
                assert imported.startswith(("marketplace.ledger", "marketplace.core.")), (name, imported)
                todo.append(imported)
    assert "marketplace.core.sql" in seen and "marketplace.core.money" in seen


def test_the_public_face_names_what_it_exports():
    assert all(hasattr(ledger, name) for name in ledger.__all__)
    assert {"transfer", "reverse", "place_hold", "post_hold", "void_hold", "transfer_many"} <= set(
        ledger.__all__
    )
