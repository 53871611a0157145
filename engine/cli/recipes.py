"""Subcommand ``recipes`` of ``python -m engine``: every training recipe in a table or JSON."""

from __future__ import annotations

import argparse
from typing import Any

from engine.render.json_out import strict_json
from engine.training.config import RECIPES
from engine.training.recipe_figures import MEASURED


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``recipes``."""
    recipes = subparsers.add_parser(
        "recipes",
        help="list the training recipes",
        description="Every recipe and what its measured runs reached.",
    )
    recipes.add_argument("--json", action="store_true")
    recipes.set_defaults(handler=cmd_recipes)


def recipe_rows() -> list[dict[str, Any]]:
    rows = []
    for name, cfg in RECIPES.items():
        figures = MEASURED[name]
        optimiser = f"{cfg.optimizer} lr {cfg.lr:g}"
        if cfg.optimizer == "sgd":
            optimiser += f" momentum {cfg.momentum:g}"
        if cfg.label_smoothing:
            optimiser += f", smoothing {cfg.label_smoothing:g}"
        rows.append(
            {
                "name": name,
                "model": cfg.model,
                "augment": cfg.augment,
                "optimizer": optimiser,
                "schedule": cfg.schedule,
                "batch_size": cfg.batch_size,
                "epochs": cfg.epochs,
                "expected_acc": cfg.expected_acc,
                "measured": [
                    {"seed": run.seed, "test_acc": run.accuracy, "where": run.where}
                    for run in figures.runs
                ],
            }
        )
    return rows


def cmd_recipes(args: argparse.Namespace) -> int:
    from engine.models.registry import describe

    rows = recipe_rows()
    if args.json:
        print(strict_json(rows, indent=2))
        return 0
    table = [
        ("recipe", "network", "optimiser", "schedule", "batch", "epochs", "expected", "measured")
    ]
    for r in rows:
        expected = f"{r['expected_acc']:.1%}" if r["expected_acc"] else "-"
        network = r["model"] + (f" + {r['augment']}" if r["augment"] != "none" else "")
        table.append(
            (
                r["name"],
                network,
                r["optimizer"],
                r["schedule"],
                str(r["batch_size"]),
                str(r["epochs"]),
                expected,
                MEASURED[r["name"]].describe(),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print()
    print(
        "expected: the lowest final test accuracy of the measured runs, rounded down; "
        "measured: full runs (recipes --json says where each ran)"
    )
    for r in rows:
        print(f"{r['model']}: {describe(r['model'])}")
    return 0
