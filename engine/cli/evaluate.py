"""Subcommand ``eval`` of ``python -m engine``: a checkpoint's test loss and accuracy, and
optionally its confusion matrix, misclassified digits and one digit's saliency."""

from __future__ import annotations

import argparse
import math
from typing import Any

from engine.cli.data_args import add_data_args, dataset_for_model
from engine.render.json_out import strict_json
from engine.training.events import counted


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``eval``."""
    evaluate = subparsers.add_parser(
        "eval",
        help="test loss and accuracy of a checkpoint",
        description="Evaluate a checkpoint on the test split of the dataset it was trained on "
        "(or --dataset).",
    )
    evaluate.add_argument("--checkpoint", required=True, metavar="PATH")
    add_data_args(evaluate, "the one the checkpoint was trained on")
    evaluate.add_argument("--data-dir", metavar="DIR", help="folder with the MNIST IDX files")
    evaluate.add_argument("--device", default="auto", metavar="auto|cpu|cuda|cuda:N")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument(
        "--confusion",
        action="store_true",
        help="also the confusion matrix, N x N for N classes (rows: true class)",
    )
    evaluate.add_argument(
        "--confusion-png",
        metavar="FILE",
        help="also write the confusion matrix as a PNG: counts in the cells, labels, title",
    )
    evaluate.add_argument(
        "--misclassified",
        type=int,
        default=0,
        metavar="N",
        help="also list the first N misclassified test digits",
    )
    evaluate.add_argument(
        "--saliency", type=int, metavar="N", help="also the saliency map of test digit N"
    )
    evaluate.add_argument(
        "--gradcam",
        type=int,
        metavar="N",
        help="also the Grad-CAM map of test digit N (the last conv layer's rectified output)",
    )
    evaluate.add_argument(
        "--baseline",
        metavar="PATH",
        help="also a baseline checkpoint (e.g. an mlp run): the improvement over it",
    )
    evaluate.set_defaults(handler=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    from engine.training.checkpoint import model_from_checkpoint
    from engine.training.device import resolve_device
    from engine.training.steps import evaluate, normalization

    if args.confusion_png:
        from engine.cli.eval_png import check_png_path

        check_png_path(args.confusion_png)
    device = resolve_device(args.device)
    model, info, ckpt = model_from_checkpoint(
        args.checkpoint, device=device, input_shape=args.input_shape
    )
    if args.dataset:
        info = dataset_for_model(info, args.dataset)
    test = test_split(info, args.data_dir)
    mean, std = normalization(info)
    loss, acc = evaluate(model, test.to(device), mean=mean, std=std)
    result = {
        "checkpoint": str(args.checkpoint),
        "model": info.name,
        "dataset": info.dataset,
        "classes": list(info.classes),
        "epoch": ckpt["epoch"],
        "test_loss": loss,
        "test_acc": acc,
        "samples": len(test),
    }
    if args.baseline:  # the tutorials' "Improvement over dense network"
        from engine.cli.eval_baseline import baseline_result

        result["baseline"] = baseline_result(args.baseline, test.to(device), device, acc)
    if args.confusion_png:
        from engine.cli.eval_png import write_confusion_png

        written = write_confusion_png(
            args.confusion_png, model, info, args.data_dir, str(args.checkpoint)
        )
        result["confusion_png"] = str(written)
    warning = nonfinite_loss_line(model, loss)
    if warning:
        result["warning"] = warning
    from engine.process.eval_report import format_eval_report  # issue 5 extras
    from engine.render.terminal import output_color_mode

    details = eval_details(
        model, info, args.data_dir, args.confusion, args.misclassified, args.saliency, args.gradcam
    )
    if args.json:
        print(strict_json({**result, **(details or {})}))
    else:
        on = "" if info.dataset == "mnist" else f" on {info.dataset}"
        print(f"{args.checkpoint}: {info.name} after {counted(ckpt['epoch'], 'epoch')}{on}")
        print(
            f"test loss {loss:.4f}  test accuracy {acc:.2%} ({round(acc * len(test))}/{len(test)})"
        )
        if warning:
            print(warning)
        if args.confusion_png:
            print(f"wrote {result['confusion_png']}")
        if args.baseline:
            from engine.cli.eval_baseline import improvement_line

            print(improvement_line(result["baseline"]))
        if details:
            print("\n" + format_eval_report(details, output_color_mode()))
    return 0


def nonfinite_loss_line(model: Any, loss: float) -> str | None:
    """One line saying why the test loss is not a number (None when it is finite)."""
    if math.isfinite(loss):
        return None
    from engine.process.interpret_ops import nonfinite_weights

    bad = nonfinite_weights(model)
    total = sum(p.numel() for p in model.parameters())
    if bad:
        why = f"{bad:,} of {total:,} weights are not finite (NaN or inf)"
    else:
        why = "the weights are finite but the outputs overflow"
    return (
        f"test loss is {loss}: {why}, so this checkpoint predicts nothing; retrain, or use a "
        "checkpoint saved before the run diverged"
    )


def eval_details(
    model: Any,
    info: Any,
    data_dir: str | None = None,
    confusion: bool = False,
    misclassified: int = 0,
    saliency: int | None = None,
    gradcam: int | None = None,
) -> dict[str, Any] | None:
    """``eval_report`` for a model already built (the CLI's ``eval`` extras); None when no
    extra was asked for."""
    if not confusion and not misclassified and saliency is None and gradcam is None:
        return None
    from engine.process.eval_report import eval_report
    from engine.process.interpret_ops import InterpretOpError
    from engine.process.workbench import Workbench

    if misclassified < 0:
        raise InterpretOpError(f"--misclassified {misclassified}: use a count of 0 or more")
    for flag, index in (("--saliency", saliency), ("--gradcam", gradcam)):
        if index is not None and index < 0:  # -1 is the workbench's custom image, not a digit
            raise InterpretOpError(f"{flag} {index}: use a test digit index, 0 or more")
    bench = Workbench(data_dir)
    bench.set_model(model, info)
    report = eval_report(bench, confusion, misclassified, saliency, gradcam=gradcam)
    for key in ("split", "count", "loss", "accuracy"):  # the caller prints these already
        report.pop(key)
    return report


def test_split(info: Any, data_dir: str | None = None) -> Any:
    """The test split (uint8, on the CPU) of the dataset ``info`` names, at its input shape."""
    from engine.data.datasets import load_dataset

    return load_dataset(info.dataset or "mnist", tuple(info.input_shape), data_dir).test
