"""``python -m tui.bench --startup``: first paint vs ``import torch`` and the UI's memory only."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

from tui.bench.measure import FIRST_PAINT, REPO, TARGETS, first_paint

# The first-paint probe, then its own memory: the app's process once it has painted.
PAINTED_RSS = FIRST_PAINT + textwrap.dedent("""
    import json
    from tui.bench.measure import rss_mb
    print(json.dumps(rss_mb()), flush=True)
""")


def painted_rss_mb() -> dict[str, Any]:
    """RSS and peak RSS (MB) of a fresh UI process that painted its first screen, and whether
    it had imported torch by then."""
    result = subprocess.run(
        [sys.executable, "-c", PAINTED_RSS], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(f"the first-paint probe failed (exit {result.returncode})")
    lines = result.stdout.strip().splitlines()
    return {**json.loads(lines[-1]), "torch": lines[-2].strip() == "True"}


def startup(repeats: int = 3) -> dict[str, Any]:
    """First paint vs ``import torch`` (fresh processes, same run) and the UI process's RSS."""
    paint = first_paint(repeats)
    memory = painted_rss_mb()
    return {
        **paint,
        "ui_rss_mb": memory["rss"],
        "ui_peak_rss_mb": memory["peak"],
        "torch_in_ui_process": memory["torch"],
        "met": {
            "first_paint_ratio": paint["first_paint_ratio"] <= TARGETS["first_paint_ratio"],
            "ui_rss_mb": memory["peak"] <= TARGETS["ui_rss_mb"],
        },
    }


def startup_report(result: dict[str, Any]) -> str:
    def mark(key: str) -> str:
        return "  ok" if result["met"][key] else "  MISSED"

    return "\n".join(
        [
            f"first paint {1000 * result['first_paint_s']:.0f} ms vs import torch "
            f"{1000 * result['import_torch_s']:.0f} ms: ratio {result['first_paint_ratio']:.2f} "
            f"(target <= {TARGETS['first_paint_ratio']})" + mark("first_paint_ratio"),
            f"UI process RSS after first paint {result['ui_rss_mb']:.0f} MB, peak "
            f"{result['ui_peak_rss_mb']:.0f} MB (target <= {TARGETS['ui_rss_mb']:.0f} MB)"
            + mark("ui_rss_mb")
            + (
                "  (torch was imported in the UI process!)"
                if result["torch_in_ui_process"]
                else ", torch not imported"
            ),
        ]
    )
