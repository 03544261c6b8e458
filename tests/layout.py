"""Reading a module's imports without running it, for the tests of what may import what."""

import ast
from pathlib import Path


def imports_of(path: Path, *, names: bool = False) -> set[str]:
    """The modules `path` imports; with `names`, also each `from module import name` as
    "module.name" (so `from marketplace import ledger` shows as "marketplace.ledger")."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if names:
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found
