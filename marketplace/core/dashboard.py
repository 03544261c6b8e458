"""Each role's home page is made of panels that the domains contribute.

A domain registers `register_panel("family", fn)` where `fn(user) -> (template, context) | None`;
the dashboard renders every panel that returns something. Domains never edit the dashboard.
"""

from collections.abc import Callable

_PANELS: dict[str, list[Callable]] = {"family": [], "provider": [], "commissioner": [], "admin": []}


def register_panel(role: str, panel: Callable) -> None:
    if panel not in _PANELS[role]:
        _PANELS[role].append(panel)


def panels_for(role: str, user) -> list[tuple[str, dict]]:
    rendered = []
    for panel in _PANELS[role]:
        result = panel(user)
        if result is not None:
            rendered.append(result)
    return rendered
