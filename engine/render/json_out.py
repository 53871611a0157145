"""Strict JSON for ``--json`` outputs: never ``NaN`` or ``Infinity`` (which JSON lacks).

A non-finite number becomes ``null`` and the top-level ``non_finite`` object says what it was,
keyed by its path (``"test_loss"``, ``"confusion.3.1"``): ``{"test_loss": "nan"}``.
"""

from __future__ import annotations

import json
import math
from typing import Any

NON_FINITE_KEY = "non_finite"


def _clean(value: Any, path: str, found: dict[str, str]) -> Any:
    """``value`` with non-finite floats replaced by None, recorded in ``found`` by path."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()  # numpy scalars and arrays
    if isinstance(value, float) and not math.isfinite(value):
        found[path] = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return None
    if isinstance(value, dict):
        return {k: _clean(v, f"{path}.{k}" if path else str(k), found) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v, f"{path}.{i}" if path else str(i), found) for i, v in enumerate(value)]
    return value


def strict_json(value: Any, **dumps_options: Any) -> str:
    """``json.dumps(value)`` that is valid JSON whatever the numbers.

    Non-finite floats become null; when there were any and ``value`` is a dict, its
    ``non_finite`` field maps each one's path to "nan", "inf" or "-inf". numpy scalars and
    arrays are written as numbers and lists.
    """
    found: dict[str, str] = {}
    cleaned = _clean(value, "", found)
    if found and isinstance(cleaned, dict):
        cleaned[NON_FINITE_KEY] = found
    return json.dumps(cleaned, allow_nan=False, **dumps_options)
