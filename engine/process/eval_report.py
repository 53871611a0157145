"""The headless ``python -m engine eval`` report: per-class accuracy, confusion, mistakes.

Built from a Workbench's evaluation ops (``engine.process.interpret_ops``) and printed as
terminal text, with the saliency of one digit as a heatmap.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

GRADCAM_FIELDS = ("index", "label", "pred", "target", "layer", "empty", "nonfinite")


def eval_report(
    bench: Any,
    confusion: bool = False,
    misclassified: int = 0,
    saliency: int | None = None,
    split: str = "test",
    limit: int | None = None,
    gradcam: int | None = None,
) -> dict[str, Any]:
    """What ``python -m engine eval`` prints, from a Workbench with a model loaded."""
    result = bench.evaluate(split, limit)
    report: dict[str, Any] = {
        "split": split,
        "count": result["count"],
        "loss": result["loss"],
        "accuracy": result["accuracy"],
        "per_class": [_finite(v) for v in result["per_class"]],
        "classes": [str(name) for name in getattr(bench.info, "classes", ())],
    }
    if confusion:
        report["confusion"] = result["confusion"].tolist()
    if misclassified:
        page = bench.gallery(None, None, 0, int(misclassified), split)
        report["misclassified"] = page["items"]
        report["misclassified_total"] = page["total"]
    if saliency is not None:
        sal = bench.saliency(int(saliency), None, split)
        report["saliency"] = {
            "index": sal["index"],
            "label": sal["label"],
            "pred": sal["pred"],
            "target": sal["target"],
            "values": np.round(sal["saliency"], 6).tolist(),
        }
    if gradcam is not None:
        cam = bench.gradcam(int(gradcam), None, None, split)
        report["gradcam"] = {
            **{key: cam[key] for key in GRADCAM_FIELDS},
            "values": np.round(cam["cam"], 6).tolist(),
        }
    return report


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def format_eval_report(report: dict[str, Any], mode: str = "256") -> str:
    """The report as terminal text: summary (when in it), per-class accuracy, matrix,
    mistakes, saliency."""
    lines = []
    if "loss" in report:
        lines += [
            f"{report['split']} split: {report['count']} samples, loss "
            f"{report['loss']:.4f}, accuracy {100 * report['accuracy']:.2f}%",
            "",
        ]
    names = _class_names(report)
    lines += _per_class_lines(report["per_class"], names)
    if "confusion" in report:
        lines += ["", *confusion_lines(report["confusion"], names)]
    if "misclassified" in report:
        lines += [
            "",
            f"misclassified: {report['misclassified_total']} (first "
            f"{len(report['misclassified'])})",
            " index  true  pred  confidence",
        ]
        named = not _numbered(names)
        lines += [
            f"{m['index']:>6} {m['label']:>5} {m['pred']:>5}  {100 * m['confidence']:9.1f}%"
            + (f"  {names[m['label']]} as {names[m['pred']]}" if named else "")
            for m in report["misclassified"]
        ]
    if "saliency" in report:
        lines += ["", _saliency_text(report["saliency"], mode)]
    if "gradcam" in report:
        lines += ["", _gradcam_text(report["gradcam"], mode)]
    return "\n".join(lines)


def _class_names(report: dict[str, Any]) -> list[str]:
    """The report's class names; the numbers 0..N-1 when it has none."""
    count = len(report["per_class"])
    names = [str(name) for name in report.get("classes") or []]
    return names if len(names) == count else [str(i) for i in range(count)]


def _numbered(names: list[str]) -> bool:
    """Whether the class names are just their numbers (MNIST's digits)."""
    return names == [str(i) for i in range(len(names))]


def _per_class_lines(per_class: list[float | None], names: list[str]) -> list[str]:
    """Per-class accuracy: one row of numbered classes (the digits), else a line per class."""
    shown = ["     -" if v is None else f"{100 * v:6.1f}" for v in per_class]
    if _numbered(names):
        return [
            "class  " + " ".join(f"{c:>6}" for c in range(len(per_class))),
            "acc %  " + " ".join(shown),
        ]
    width = max(len(name) for name in names)
    return [f"{'class'.ljust(width)}  acc %"] + [
        f"{name.ljust(width)} {value}" for name, value in zip(names, shown, strict=True)
    ]


def confusion_lines(confusion: list[list[int]], names: list[str]) -> list[str]:
    """The N x N matrix as text, rows the true class. Digits head their rows and columns;
    other class names head the rows with their number, and the columns carry the numbers."""
    count = len(confusion)
    cell = max(6, len(str(max((max(row) for row in confusion), default=0))) + 1)
    numbered = _numbered(names)
    heads = names if numbered else [f"{i} {name}" for i, name in enumerate(names)]
    width = max(6, *(len(h) + 1 for h in heads))
    align = ">" if numbered else "<"
    lines = [
        "confusion (rows: true class, columns: predicted)",
        " " * width + "".join(f"{c:>{cell}}" for c in range(count)),
    ]
    lines += [
        f"{head:{align}{width}}" + "".join(f"{n:>{cell}}" for n in row)
        for head, row in zip(heads, confusion, strict=True)
    ]
    return lines


def _saliency_text(saliency: dict[str, Any], mode: str) -> str:
    from engine.render.colormap import SEQUENTIAL
    from engine.render.maps import scale_maps
    from engine.render.terminal import heatmap_lines, legend

    values = np.asarray(saliency["values"], dtype=np.float32)
    scaled = scale_maps(values[None], shared=True)
    lo, hi = scaled.shared_range
    head = (
        f"saliency of test digit {saliency['index']} (true {saliency['label']}, pred "
        f"{saliency['pred']}): |d score[{saliency['target']}] / d input|"
    )
    body = heatmap_lines(scaled.values[0], SEQUENTIAL, mode)
    return "\n".join([head, *body, *legend(lo, hi, SEQUENTIAL, mode, values.shape[1])])


def _gradcam_text(cam: dict[str, Any], mode: str) -> str:
    """Grad-CAM of one digit as a heatmap, or one line saying the map is empty."""
    from engine.render.colormap import SEQUENTIAL
    from engine.render.terminal import heatmap_lines, legend

    head = (
        f"Grad-CAM of test digit {cam['index']} (true {cam['label']}, pred {cam['pred']}) "
        f"at {cam['layer']}, class {cam['target']}"
    )
    if cam.get("nonfinite"):
        return f"{head}: not a number (the model gives NaN/inf; nothing to draw)"
    if cam["empty"]:
        return (
            f"{head}: empty, no place at {cam['layer']} raises the score of {cam['target']} "
            "(nothing to draw)"
        )
    values = np.asarray(cam["values"], dtype=np.float32)
    body = heatmap_lines(values, SEQUENTIAL, mode)
    return "\n".join([head, *body, *legend(0.0, 1.0, SEQUENTIAL, mode, values.shape[1])])
