"""Build the pystray menu from plain data, so the tray's menu can be checked without a display.

An entry is an :class:`Entry` (or a ``(label, callable)`` tuple, or ``None`` for a separator). The
menu is rebuilt from ``entries()`` every time pystray asks for it, so labels, check marks and the
list of backups stay current.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Action = Callable[[], Any]


@dataclass
class Entry:
    label: str
    action: Action | None = None
    default: bool = False
    checked: bool | None = None  # None: no check mark
    radio: bool = False
    enabled: bool = True
    submenu: Sequence["Entry | tuple[str, Action] | None"] = field(default_factory=list)


EntryLike = Entry | tuple[str, Action] | None


def as_entry(value: EntryLike) -> Entry | None:
    if value is None or isinstance(value, Entry):
        return value
    label, action = value
    return Entry(label, action)


def build_menu(entries: Callable[[], Sequence[EntryLike]]) -> Any:
    """A ``pystray.Menu`` whose items come from ``entries()`` each time it is shown."""
    import pystray

    def items() -> Any:
        return tuple(_item(e) for e in entries())

    return pystray.Menu(items)


def _item(value: EntryLike) -> Any:
    import pystray

    entry = as_entry(value)
    if entry is None:
        return pystray.Menu.SEPARATOR
    if entry.submenu:
        sub = tuple(_item(e) for e in entry.submenu)
        return pystray.MenuItem(entry.label, pystray.Menu(*sub), enabled=entry.enabled)
    action = entry.action

    def run(icon: Any, item: Any) -> None:
        if action is not None:
            action()

    checked = None if entry.checked is None else (lambda item, value=entry.checked: value)
    return pystray.MenuItem(entry.label, run, default=entry.default, checked=checked, radio=entry.radio,
                            enabled=entry.enabled and action is not None)


def describe(menu: Any) -> list[dict[str, Any]]:
    """The visible menu as plain data: text, enabled, checked, default, submenu."""
    import pystray

    out: list[dict[str, Any]] = []
    for item in menu:
        if item is pystray.Menu.SEPARATOR:
            out.append({"separator": True})
            continue
        node: dict[str, Any] = {"text": item.text, "enabled": item.enabled, "checked": item.checked,
                                "default": item.default}
        if item.submenu:
            node["submenu"] = describe(item.submenu)
        out.append(node)
    return out


def find(menu: Any, path: Sequence[str]) -> Any:
    """The menu item reached by the labels in ``path`` (KeyError when there is none)."""
    import pystray

    current = menu
    item = None
    for label in path:
        if current is None:
            raise KeyError(label)
        item = next((i for i in current if i is not pystray.Menu.SEPARATOR and i.text == label), None)
        if item is None:
            raise KeyError(label)
        current = item.submenu
    if item is None:
        raise KeyError("empty path")
    return item
