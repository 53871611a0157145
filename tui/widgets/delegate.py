"""Widget attributes kept in the widget's plain state object (read and written there)."""

from __future__ import annotations

from typing import Any


def state_attribute(name: str, doc: str, holder: str = "state") -> property:
    """A property reading and writing attribute ``name`` of the object in ``self.<holder>``:
    the thin widget keeps its public attributes while a plain class owns the values."""

    def get(widget: Any) -> Any:
        return getattr(getattr(widget, holder), name)

    def put(widget: Any, value: Any) -> None:
        setattr(getattr(widget, holder), name, value)

    return property(get, put, doc=doc)
