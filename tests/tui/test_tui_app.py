"""Pilot tests of the cnn-tui app against a fake engine: start-up, keys, tabs, help."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Static, TabbedContent

from tui.commands import WorkbenchCommands
from tui.screens import HelpScreen
from tui.tabs import TABS
from tui.train.inspector import Inspector
from tui.train.keys import train_keys
from tui.train.layer_table import LayerTable
from tui.train.training_pane import TrainingPane

# --------------------------------------------------------------------- start-up


async def test_opens_model_and_fills_every_pane(app_size, make_app, ready, ops, header) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        main = app.main.train
        assert ops(fake)[0] == "load" and fake.sent[0][1] == {"model": "tiny"}
        assert {"kernels", "activations", "sample"} <= set(ops(fake))
        assert main.layer_name == "conv1" and main.sample_index == 0
        assert "tiny" in header(app) and "idle" in header(app)
        table = main.query_one(LayerTable)
        assert table.row_count >= 8  # eight layers (and a totals row)
        assert main.query_one(TrainingPane).display
        assert main.query_one(Inspector).display
        assert not app.main.query_one("#too-small").display


async def test_checkpoint_opens_for_inspection_and_corrupt_one_shows_error(
    tmp_path, app_size, make_app, wait_for, ready
) -> None:
    good = tmp_path / "run.pt"
    good.write_bytes(b"x")
    app, fake = make_app(checkpoint=str(good))
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        assert fake.sent[0] == ("load", {"checkpoint": str(good)})
        assert app.main.train.next_config.model == "tiny"
    bad = tmp_path / "corrupt.pt"
    bad.write_bytes(b"x")
    app, fake = make_app(checkpoint=str(bad))
    async with app.run_test(size=app_size) as pilot:
        await wait_for(pilot, lambda: app.main.train.state == "idle", what="the failed load")
        messages = [n.message for n in app._notifications]
        assert any("not a cnn-tui checkpoint" in m for m in messages)
        assert app.main.train.loaded_model is None
        await pilot.press("question_mark")  # still usable
        assert isinstance(app.screen, HelpScreen)


async def test_image_option_inspects_the_picture(
    tmp_path, app_size, make_app, wait_for, ready
) -> None:
    picture = tmp_path / "cat.png"
    picture.write_bytes(b"png")
    app, fake = make_app(image=str(picture), model="tiny")
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: app.main.train.sample_index == -1, what="the image sample")
        assert ("image", {"path": str(picture)}) in fake.sent


# --------------------------------------------------------------------------- keys


async def test_layer_keys_move_through_the_table(app_size, make_app, wait_for, ready) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        main = app.main.train
        for key, expected in (
            ("j", "relu1"),
            ("down", "pool1"),
            ("k", "relu1"),
            ("up", "conv1"),
            ("up", "conv1"),
        ):
            await pilot.press(key)
            await wait_for(pilot, lambda e=expected: main.layer_name == e, what=expected)
        await pilot.press("j", "j", "j")
        await wait_for(pilot, lambda: main.layer_name == "conv2")
        await wait_for(pilot, lambda: not app.link.pending)
        assert ("kernels", {"layer": "conv2"}) in fake.sent
        assert ("activations", {"layer": "conv2", "index": 0}) in fake.sent
        # Arrows move layers even when the inspector has the focus.
        main.query_one(Inspector).focus()
        await pilot.press("down")
        await wait_for(pilot, lambda: main.layer_name == "relu2")
        assert ("kernels", {"layer": "relu2"}) not in fake.sent


async def test_sample_keys_random_and_misclassified(app_size, make_app, wait_for, ready) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        main = app.main.train
        await pilot.press("l", "right")
        assert main.sample_index == 2
        await pilot.press("h", "left", "left")
        assert main.sample_index == 9999  # wraps around the test split
        await pilot.press("r")
        first = main.sample_index
        assert first not in (9999, 2)
        await pilot.press("m")
        await wait_for(
            pilot,
            lambda: main.sample_index % 7 == 0 and main.sample_index > first,
            what="the next misclassified digit",
        )
        await wait_for(pilot, lambda: not app.link.pending)
        assert ("sample", {"index": main.sample_index}) in fake.sent
        assert ("activations", {"layer": "conv1", "index": main.sample_index}) in fake.sent


async def test_sample_key_draws_the_digit_before_the_engine_replies(
    monkeypatch, app_size, make_app, wait_for, ready
) -> None:
    from engine.data.idx import read_split
    from tui.train.probabilities import Probabilities

    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        main = app.main.train
        await wait_for(pilot, lambda: main.local_digits.images is not None, what="the digits")
        answer = fake.poll
        monkeypatch.setattr(fake, "poll", lambda timeout=0.0: None)  # an engine busy training
        await pilot.press("l")
        await pilot.pause()
        images, labels = read_split("test")
        sample = main.inspector.sample
        assert sample["index"] == 1 and (sample["image"] == images[1]).all()
        probs = main.inspector.query_one(Probabilities)
        assert str(probs.as_text()) == "predicting…"
        digit = main.inspector.query_one("#digit")
        digit_text = "".join(digit.render_line(y).text for y in range(digit.size.height))
        assert f"true {labels[1]} pred …" in digit_text
        monkeypatch.setattr(fake, "poll", answer)
        await wait_for(pilot, lambda: not main.inspector.sample.get("pending"), what="the reply")
        assert main.inspector.sample["pred"] is not None and "T" in str(probs.as_text())


async def test_inspector_keys_reach_the_inspector(
    monkeypatch, app_size, make_app, wait_for, ready, ops
) -> None:
    app, fake = make_app()
    calls: list[str] = []
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        inspector = app.main.query_one(Inspector)
        inspector_keys = [k for k in train_keys() if k.group == "Inspector"]
        assert {k.action for k in inspector_keys} >= {
            "inspect('next_page')",
            "inspect('previous_page')",
            "inspect('toggle_scale')",
            "inspect('next_channel')",
            "inspect('previous_channel')",
            "inspect('toggle_mean')",
            "inspect('toggle_many')",
        }
        for key in inspector_keys:
            name = key.action.split("'")[1]
            if name == "toggle_many":
                continue
            original = getattr(inspector, name)
            monkeypatch.setattr(
                inspector, name, lambda n=name, o=original: (calls.append(n), o())[1]
            )
            await pilot.press(key.keys.split(",")[0])
            assert calls[-1] == name
        await pilot.press("d")  # several digits: the app asks for activations_many
        await wait_for(pilot, lambda: "activations_many" in ops(fake), what="activations_many")
        assert ("activations_many", {"layer": "conv1", "indices": [0, 1, 2, 3, 4, 5]}) in fake.sent


async def test_tab_moves_focus_and_number_keys_switch_tabs(app_size, make_app, ready) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        assert isinstance(app.focused, LayerTable)
        await pilot.press("tab")
        assert not isinstance(app.focused, LayerTable)
        tabs = app.main.query_one(TabbedContent)
        extra_tabs = [spec.id for spec in TABS[1:]]
        if extra_tabs:  # the conv lab joined
            await pilot.press("2")
            assert tabs.active == extra_tabs[0]
            await pilot.press("j")  # layer keys do nothing outside the first tab
            assert app.main.train.layer_name == "conv1"
        await pilot.press("1")
        assert tabs.active == "train"


async def test_help_screen_lists_every_key(app_size, make_app, ready) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#help-keys", Static).content)
        text = console.export_text()
        for key in app.screen.shown_keys:
            assert key.display in text and key.help[:40] in text.replace("\n", " ")
        assert "j / down" in text and "? " in text and "[ " in text
        await pilot.press("escape")
        assert app.screen is app.main


async def test_too_small_terminal_shows_notice(make_app, ready) -> None:
    app, fake = make_app()
    async with app.run_test(size=(70, 20)) as pilot:
        await ready(pilot)
        assert app.main.query_one("#too-small").display
        assert not app.main.query_one("#tabs").display
        await pilot.resize_terminal(80, 24)
        assert not app.main.query_one("#too-small").display
        assert app.main.query_one("#tabs").display


async def test_command_palette_offers_the_actions(app_size, make_app, wait_for, ready) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        provider = WorkbenchCommands(app.main)
        hits = [hit async for hit in provider.search("misclass")]
        assert hits and "Misclassified" in str(hits[0].match_display)
        discovered = [hit async for hit in provider.discover()]
        assert {str(h.display) for h in discovered} >= {"Train/stop", "Save", "Next layer"}
        hit = next(h for h in discovered if str(h.display) == "Next layer")
        await hit.command()
        await wait_for(pilot, lambda: app.main.train.layer_name == "relu1")
