"""The Evaluate tab's act-max grid: every class (or a conv layer's channels) with a colour bar,
filled one engine reply at a time while the UI stays responsive."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine.process.protocol import Reply, Request
from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp
from tui.evaluate.actmax_state import CLASSES, ActMaxState, caption, grid_maps, halved
from tui.evaluate.actmax_view import ActMaxView
from tui.widgets.colorbar import ColorBar
from tui.widgets.fit_line import FitLine
from tui.widgets.heatmap import HeatmapGrid

SIZES = [(80, 24), (120, 40)]


def class_reply(k: int, p: float = 0.95) -> dict[str, Any]:
    image = np.zeros((28, 28), np.float32)
    image[5:20, k] = 1.0
    return {"mode": "class", "layer": "fc2", "target": k, "probability": p, "image": image,
            "layers": ["conv1", "conv2"], "start": 0.0, "end": 5.0, "total_variation": 0.1,
            "noise_total_variation": 0.5, "channel": None, "channels": None}  # fmt: skip


# ------------------------------------------------------------------------------ state


def test_the_grid_asks_one_panel_at_a_time_and_the_next_on_each_reply() -> None:
    state = ActMaxState()
    evaluation = object()
    assert state.restart(evaluation) == [("actmax", "actmax", {"target_class": 0})]
    assert state.next_requests() == []  # one in flight
    for k in range(10):
        follow = state.got(class_reply(k), {"target_class": k}, asking=True)
        expected = [] if k == 9 else [("actmax", "actmax", {"target_class": k + 1})]
        assert follow == expected
    assert state.done and sorted(state.panels) == list(range(10))
    maps, titles = grid_maps(state)
    assert maps.shape == (10, 28, 28) and titles[3] == "3 p=0.95"
    assert "p(K) 0.95–0.95" in caption(state) and "TV 0.20–0.20× noise's" in caption(state)
    assert state.restart(evaluation) == []  # the same weights: kept
    assert state.restart(object()) == [("actmax", "actmax", {"target_class": 0})]  # new ones


def test_g_cycles_classes_and_conv_layers_and_stale_replies_are_kept_aside() -> None:
    state = ActMaxState()
    state.restart(None)
    state.got(class_reply(0), {"target_class": 0}, asking=True)  # asks class 1
    assert state.next_target() == [("actmax", "actmax", {"layer": "conv1", "channel": 0})]
    follow = state.got(class_reply(1), {"target_class": 1}, asking=True)  # the older ask
    assert follow == [] and 1 in state.items[CLASSES]  # kept, and nothing asked twice
    conv1 = {"layer": "conv1", "channel": 0, "channels": 4, "layers": ["conv1", "conv2"],
             "image": np.zeros((28, 28), np.float32), "end": 0.4}  # fmt: skip
    follow = state.got(conv1, {"layer": "conv1", "channel": 0}, asking=True)
    assert follow == [("actmax", "actmax", {"layer": "conv1", "channel": 1})]
    assert state.count == 4 and grid_maps(state)[1][:2] == ["#0 0.4", "#1 …"]
    assert np.isnan(grid_maps(state)[0][1]).all()  # not computed yet: drawn empty
    state.got({**conv1, "channel": 1}, {"layer": "conv1", "channel": 1}, asking=False)
    assert state.asked is None and state.next_requests()  # out of sight: no ask until back
    state.next_target()
    assert state.target == "conv2"
    state.next_target()
    assert state.target == CLASSES and sorted(state.panels) == [0, 1]


# ------------------------------------------------------------------------------ pilot


class HeldActMax:
    """Wraps an EvalFakeEngine so act-max replies wait until the test releases them."""

    def __init__(self, fake: Any) -> None:
        self.fake, self.held = fake, []
        original = fake.send

        def send(op: str, **kwargs: Any) -> int:
            if op != "actmax":
                return original(op, **kwargs)
            with fake._lock:
                fake._ids += 1
                fake.sent.append((op, kwargs))
                self.held.append(Request(fake._ids, op, kwargs))
                return fake._ids

        fake.send = send

    def release(self) -> None:
        request = self.held.pop(0)
        with self.fake._lock:
            reply = self.fake.answer(request.op, **request.kwargs)
            self.fake._queue.append(Reply.success(request, reply))


def make_app(eval_engine_class, held: bool = False) -> tuple[CnnTuiApp, Any, HeldActMax | None]:
    fake = eval_engine_class()
    gate = HeldActMax(fake) if held else None
    app = CnnTuiApp(
        AppOptions(config=make_config("fast", model="tiny", epochs=1), seed=7,
                   color_mode="truecolor"),
        engine_factory=lambda data_dir, log_file: fake,
    )  # fmt: skip
    return app, fake, gate


def painted(widget) -> str:
    """The widget's lines as drawn on screen (text only)."""
    lines = [widget.render_line(y) for y in range(widget.size.height)]
    return "\n".join("".join(segment.text for segment in line) for line in lines)


def actmax_parts(pane) -> tuple[HeatmapGrid, ColorBar, FitLine]:
    view = pane.query_one(ActMaxView)
    return view.query_one(HeatmapGrid), view.query_one(ColorBar), pane.query_one("#eval-status")


@pytest.mark.parametrize("size", SIZES)
async def test_a_shows_all_ten_classes_with_probability_colour_bar_and_how_to_read(
    size, eval_engine_class, open_tab, wait_for, sent
) -> None:
    app, fake, _ = make_app(eval_engine_class)
    async with app.run_test(size=size) as pilot:
        pane = await open_tab(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: pane.state.actmax.done, "all ten classes")
        await pilot.pause()
        assert pane.view == "actmax"
        assert sent(fake, "actmax") == [{"target_class": k} for k in range(10)]
        grid, bar, how = actmax_parts(pane)
        assert grid.region.height > 0 and bar.region.height == 1 and how.region.height == 1
        assert not pane.query_one("#eval-maps").display  # the digit views' grid gives way
        assert grid.titles == [f"{k} p={0.9 + k / 100:.2f}" for k in range(10)]
        assert "act-max of each class's logit" in grid.model.caption
        assert "p(K) 0.90–0.99" in grid.model.caption
        assert (bar.lo, bar.hi, bar.label) == (0.0, 1.0, "pixel value, all panels")
        assert how.plain().startswith("bright:") and "logit" in how.plain()  # the status line
        assert "regularised (jitter, T" in how.plain() and len(how.plain()) <= how.size.width
        screen_text = painted(grid)
        assert all(title in screen_text for title in grid.visible_titles)
        assert "act-max of each class" in screen_text
        seen = set(grid.visible_titles)
        for _ in range(grid.page_count):  # [ and ] page through panels that do not fit
            await pilot.press("right_square_bracket")
            await pilot.pause()
            seen |= set(grid.visible_titles)
        assert seen == set(grid.titles)
        await pilot.press("x")
        await wait_for(pilot, lambda: sent(fake, "export"), "the export")
        export = sent(fake, "export")[-1]
        assert export["name"] == "actmax-classes"
        assert len(export["figures"]["panels"]["panels"]) == 10
        assert [row["probability"] for row in export["tables"]["actmax"]][:2] == [0.9, 0.91]
        await pilot.press("escape")
        assert pane.view == "matrix"


async def test_the_grid_fills_in_reply_by_reply_and_keys_still_work(
    eval_engine_class, open_tab, wait_for, sent
) -> None:
    app, fake, gate = make_app(eval_engine_class, held=True)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_tab(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(gate.held) == 1, "the first request")
        grid, _, _ = actmax_parts(pane)
        await wait_for(pilot, lambda: "computing 0/10…" in grid.model.caption, "progress")
        assert grid.titles[:2] == ["0 …", "1 …"]
        gate.release()
        await wait_for(pilot, lambda: "computing 1/10…" in grid.model.caption, "one panel")
        assert grid.titles[0] == "0 p=0.90" and len(gate.held) == 1
        assert sent(fake, "actmax")[-1] == {"target_class": 1}
        await pilot.press("g")  # responsive while the engine works: conv1's channels
        await wait_for(pilot, lambda: pane.state.actmax.target == "conv1", "conv1")
        await wait_for(pilot, lambda: "conv1's channels" in grid.model.caption, "conv1 caption")
        while gate.held:
            gate.release()
            await pilot.pause(0.05)
        await wait_for(pilot, lambda: pane.state.actmax.done, "conv1's 8 channels")
        assert grid.titles[0] == "#0 2.5" and len(grid.titles) == 8
        assert sent(fake, "actmax")[-1] == {"layer": "conv1", "channel": 7}
        assert 1 in pane.state.actmax.items[CLASSES]  # the reply asked before g is kept


def test_halved_averages_2x2_blocks_and_keeps_empty_panels_empty() -> None:
    maps = np.zeros((2, 3, 4), np.float32)
    maps[0, 0, :2] = 1.0  # half of the first 2x2 block
    maps[1] = np.nan
    out = halved(maps)
    assert out.shape == (2, 2, 2) and out[0, 0, 0] == 0.5 and out[0, 1, 1] == 0.0
    assert np.isnan(out[1]).all()


@pytest.mark.parametrize(("size", "side"), [((80, 24), 14), ((120, 40), 14), ((200, 60), 28)])
async def test_panels_are_full_size_when_all_fit_else_averaged_not_sampled(
    size, side, eval_engine_class, open_tab, wait_for
) -> None:
    app, _, _ = make_app(eval_engine_class)
    async with app.run_test(size=size) as pilot:
        pane = await open_tab(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: pane.state.actmax.done, "all ten classes")
        await pilot.pause()
        grid = actmax_parts(pane)[0]
        assert grid.model.codes.shape[1:3] == (side, side)
        assert grid.page_count == 1  # all ten in view, 80x24 included
