"""Pilot tests of keys per tab: ? lists the keys of the tab in view (and the global ones), the
footer shows that tab's keys, and the command palette offers them."""

from __future__ import annotations

from textual.widgets import TabbedContent
from textual.widgets._footer import FooterKey

from tui.commands import WorkbenchCommands
from tui.screens import HelpScreen

# Labels only one tab has (the global keys' labels are on every tab).
ONLY = {
    "train": {"Next layer", "Random", "Next maps"},
    "conv": {"Padding", "Stride+", "Step mode"},
    "evaluate": {"Mistakes", "Act-max", "Export"},
}
# The run keys (train/stop, pause, configure, save) work on every tab, so help lists them on each.
GLOBAL = {"Keys", "Quit", "Train & inspect", "Conv lab", "Evaluate", "Train/stop", "Save"}


async def show_tab(pilot, wait_for, key: str, tab_id: str) -> None:
    app = pilot.app
    await pilot.press(key)
    await wait_for(pilot, lambda: app.main.query_one(TabbedContent).active == tab_id, tab_id)
    await wait_for(pilot, lambda: app.main.tab_widget(tab_id) is not None, f"{tab_id} widget")
    await pilot.pause()


def footer_labels(app) -> set[str]:
    return {key.description for key in app.screen.query(FooterKey)}


async def test_help_lists_the_keys_of_the_tab_in_view(app_size, make_app, ready, wait_for) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        for key, tab_id in (("1", "train"), ("2", "conv"), ("3", "evaluate"), ("1", "train")):
            await show_tab(pilot, wait_for, key, tab_id)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            labels = {k.label for k in app.screen.shown_keys}
            assert labels >= ONLY[tab_id] | GLOBAL, tab_id
            for other, other_labels in ONLY.items():
                if other != tab_id:
                    assert not other_labels & labels, (tab_id, other)
            await pilot.press("escape")
            assert app.screen is app.main


async def test_footer_shows_the_keys_of_the_tab_in_view(make_app, ready, wait_for) -> None:
    app, fake = make_app()
    async with app.run_test(size=(160, 32)) as pilot:
        await ready(pilot)
        await pilot.pause()
        train = footer_labels(app)
        assert {"Train/stop", "Random", "Keys", "Quit"} <= train
        await show_tab(pilot, wait_for, "2", "conv")
        conv = footer_labels(app)
        assert {"Padding", "Keys", "Quit"} <= conv and "Train/stop" not in conv
        await show_tab(pilot, wait_for, "3", "evaluate")
        evaluate = footer_labels(app)
        assert {"Mistakes", "Keys", "Quit"} <= evaluate
        assert "Train/stop" not in evaluate and "Padding" not in evaluate
        await show_tab(pilot, wait_for, "1", "train")
        assert footer_labels(app) == train


async def test_palette_offers_the_tab_in_view(app_size, make_app, wait_for, ready) -> None:
    app, fake = make_app()
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await show_tab(pilot, wait_for, "2", "conv")
        provider = WorkbenchCommands(app.main)
        discovered = {str(hit.display) for hit in [h async for h in provider.discover()]}
        assert {"Padding", "Quit"} <= discovered and "Next layer" not in discovered
        hit = [h async for h in provider.search("padding")][0]
        lab = app.main.tab_widget("conv")
        before = lab.padding
        await hit.command()
        await wait_for(pilot, lambda: lab.padding != before, "the padding to change")


async def test_run_keys_work_from_every_tab(
    make_app, fake_engine_class, ready, wait_for, app_size
) -> None:
    app, fake = make_app(fake_engine_class(steps_per_epoch=400, step_delay=0.01))
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await show_tab(pilot, wait_for, "2", "conv")
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "training", "training from Conv lab")
        await show_tab(pilot, wait_for, "3", "evaluate")
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state != "training", "stop from Evaluate")


def test_palette_help_shows_brackets_as_written() -> None:
    """The palette reads help as markup; keys such as "[ and ]" must not vanish as a tag."""
    from textual.content import Content

    from tui.commands import plain_markup
    from tui.train.keys import train_keys

    for key in train_keys():
        assert Content.from_markup(plain_markup(key.help)).plain == key.help
    assert any("[ and ]" in key.help for key in train_keys())
