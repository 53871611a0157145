"""One explained conv cell as text, the Conv lab's way: patch × kernel = products, their sum per
input channel, then the per-channel sums plus the bias, equal to the layer's output.

Plain Rich text (no widgets): ``cell_text(payload, in_index, width, mode)``. Numbers are
coloured by sign (red positive, blue negative, as the diverging maps) except in ASCII mode,
and shortened to fit: 5x5 kernels fit 78 columns, 3x3 ones 40.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.text import Text

POSITIVE = "#e8705f"
NEGATIVE = "#5fa8e8"
TERMS_SHOWN = 4  # per-channel sums always written out; more only when they fit SUM_LINES
SUM_LINES = 3  # lines the written-out sums may take before they are summed into one term
GAP = " "


def short_number(value: float, width: int) -> str:
    """``value`` in at most ``width`` characters: 2 decimals, fewer when needed, no leading
    zero (".42", "-.4", "12.3", "1e+03")."""
    value = float(value)
    if not np.isfinite(value):
        return str(value)[:width]
    if value == 0:
        return "0"
    for decimals in (2, 1, 0):
        text = f"{value:.{decimals}f}".replace("0.", ".", 1) if abs(value) < 1 else None
        text = text or f"{value:.{decimals}f}"
        text = text.replace("-0.", "-.", 1)
        if len(text) <= width and text not in ("-0", "-", ".", "-.", "0"):
            return text  # ".00" for a tiny product: not exactly 0
    return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")


def _style(value: float, coloured: bool) -> str:
    if not coloured or value == 0:
        return ""
    return POSITIVE if value > 0 else NEGATIVE


def _block_rows(
    values: np.ndarray, cell: int, coloured: bool, pad: np.ndarray | None = None
) -> list[Text]:
    """One Text per row of ``values``; cells where ``pad`` (same shape) is True read a dim
    "pad" (zero padding, not an input value)."""
    pad = np.zeros(np.shape(values), dtype=bool) if pad is None else np.asarray(pad, dtype=bool)
    rows = []
    for r, row in enumerate(np.asarray(values, dtype=np.float64)):
        line = Text()
        for k, value in enumerate(row):
            if k:
                line.append(GAP)
            if pad[r, k]:
                line.append("pad".rjust(cell), style="dim")
                continue
            line.append(short_number(value, cell).rjust(cell), style=_style(value, coloured))
        rows.append(line)
    return rows


def _cell_width(kw: int, width: int, blocks: int) -> int:
    """The widest number cell (5 down to 3 characters) that puts ``blocks`` blocks of ``kw``
    numbers side by side in ``width`` columns (3 if none does)."""
    for cell in (5, 4, 3):
        if blocks * (kw * (cell + 1) - 1) + (blocks - 1) * 3 <= width:
            return cell
    return 3


def _side_by_side(titles: list[str], blocks: list[list[Text]], cell: int, kw: int) -> list[Text]:
    block_w = kw * (cell + 1) - 1
    signs = ["", " × ", " = "]
    head = Text()
    for k, title in enumerate(titles):
        head.append((signs[k] if k else "") + title.ljust(block_w)[:block_w], style="bold")
    lines = [head]
    for r in range(len(blocks[0])):
        line = Text()
        for k, block in enumerate(blocks):
            line.append(signs[k] if k and r == 0 else ("   " if k else ""))
            line.append_text(block[r])
            line.append(" " * max(0, block_w - block[r].cell_len))
        lines.append(line)
    return lines


def products_lines(payload: dict[str, Any], k: int, width: int, coloured: bool) -> list[Text]:
    """Patch | kernel | products of input channel position ``k`` (side by side when they
    fit ``width``, else patch and kernel above the products)."""
    patch = np.asarray(payload["patch"])[k]
    kernel = np.asarray(payload["kernel"])[k]
    products = np.asarray(payload["products"])[k]
    kw = patch.shape[-1]
    cell = _cell_width(kw, width, 3)
    titles = ["patch", "kernel", "products"]
    pad = payload.get("pad_mask")
    blocks = [_block_rows(patch, cell, coloured, pad)]
    blocks += [_block_rows(v, cell, coloured) for v in (kernel, products)]
    if 3 * (kw * (cell + 1) - 1) + 6 <= width:
        return _side_by_side(titles, blocks, cell, kw)
    cell = _cell_width(kw, width, 2)
    blocks = [_block_rows(patch, cell, coloured, pad)]
    blocks += [_block_rows(v, cell, coloured) for v in (kernel, products)]
    return _side_by_side(titles[:2], blocks[:2], cell, kw) + _side_by_side(
        ["= products"], blocks[2:], cell, kw
    )


def _fmt(value: float) -> str:
    return f"{float(value):.3f}"


def total_line(payload: dict[str, Any], width: int) -> str:
    """'Σ s_c + bias = s0 0.1 + s1 -0.2 + bias 0.01 = -0.09 · layer output -0.09', on as many
    lines of ``width`` as it needs: every channel's sum when they fit in ``SUM_LINES`` lines,
    else one summed term; "no bias" for a conv built without one (``has_bias`` False)."""
    sums = [float(v) for v in payload["contributions"]]
    channels = list(payload.get("channels") or range(len(sums)))
    bias, total = float(payload["bias"]), float(payload["total"])
    output = float(payload.get("captured", payload.get("output", total)))
    has_bias = payload.get("has_bias", True)
    head = "Σ s_c + bias =" if has_bias else "Σ s_c (no bias) ="
    tail = f"+ bias {_fmt(bias)} = {_fmt(total)}" if has_bias else f"= {_fmt(total)}"
    terms = [f"s{c} {_fmt(v)}" for c, v in zip(channels, sums, strict=False)]
    each = [
        head,
        *[t + " +" for t in terms[:-1]],
        terms[-1],
        tail,
        f"· layer output {_fmt(output)}",
    ]
    packed = pack(each, width)
    if len(terms) <= TERMS_SHOWN or packed.count("\n") < SUM_LINES:
        return packed
    summed = f"Σ of {len(terms)} sums {_fmt(sum(sums))}"
    return pack([head, summed, tail, f"· layer output {_fmt(output)}"], width)


def pack(parts: list[str], width: int, joint: str = " ") -> str:
    """``parts`` joined by ``joint`` on as few lines of ``width`` as they fit."""
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + len(joint) + len(part) <= width:
            lines[-1] += joint + part
        else:
            lines.append(part)
    return "\n".join(lines)


def head_line(payload: dict[str, Any], k: int, width: int = 200) -> str:
    """'conv2 map 3 · row 12, col 7 (strongest) · input ch 2 of 8' (on two lines when
    narrower than ``width``)."""
    channels = list(payload.get("channels") or range(len(payload["contributions"])))
    where = f"row {payload['row']}, col {payload['col']}"
    strongest = " (strongest)" if payload.get("strongest") else ""
    head = f"{payload['layer']} map {payload['out_channel']} · {where}{strongest}"
    return pack([head, f"input ch {channels[k]} of {len(channels)}"], width, " · ")


def cell_text(payload: dict[str, Any], in_index: int, width: int, mode: str = "256") -> Text:
    """The explanation of one conv cell for input channel position ``in_index`` (wrapping)."""
    count = len(payload["contributions"])
    k = in_index % max(count, 1)
    coloured = mode != "ascii"
    channel = list(payload.get("channels") or range(count))[k]
    lines = [Text(head_line(payload, k, width), style="bold")]
    lines += products_lines(payload, k, width, coloured)
    lines.append(Text(f"Σ products = s{channel} = {_fmt(payload['contributions'][k])}"))
    total = Text(total_line(payload, width))
    total.highlight_regex(rf"(?<![\w.-])s{channel} -?\d+\.\d+", "bold reverse")  # the chosen one
    lines.append(total)
    return Text("\n").join(lines)
