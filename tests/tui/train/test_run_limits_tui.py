"""Issue 12 points 8 and 10 in the app: a diverged run says so, and the run form and the
command line refuse out-of-range options with the same line as ``python -m engine train``
(TrainConfig.validate, engine.training.options)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Input, Static

from engine.errors import ConfigError
from engine.training.config import make_config
from engine.training.events import Failed, Started
from tui import __main__ as cli
from tui.screens import RunConfigScreen

DIVERGED = (
    "training diverged: the loss rose to 1.6e+11, over 100x its start at epoch 2, step 3 "
    "(lr 1e+06); lower --lr; the last good checkpoint is /tmp/run/checkpoint.pt"
)


async def test_a_diverged_run_says_diverged(
    fake_engine_class, make_app, wait_for, ready, header, app_size
) -> None:
    class Diverging(fake_engine_class):  # type: ignore[misc, valid-type]
        def _events(self, config):
            yield Started(
                run_dir=self.run_dir, model=config.model, device="cpu", epochs=3,
                steps_per_epoch=8, config=config.to_dict(),
            )  # fmt: skip
            failed = Failed(DIVERGED, checkpoint="/tmp/run/checkpoint.pt", reason="diverged")
            yield replace(failed, epoch=2, step=5)  # where the loss ran away

    app, _ = make_app(Diverging())
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.main.train.state == "diverged", what="the failure")
        assert "diverged" in header(app)
        assert "epoch 2/3 step 5/8" in header(app)  # where it diverged, not the last Progress
        assert any(n.title == "Training diverged" for n in app._notifications)
        pane = str(app.main.query_one("#train-message", Static).content)
        assert pane.startswith("Training diverged: the loss rose") and "checkpoint.pt" in pane


@pytest.mark.parametrize(
    ("field", "text", "option"),
    [
        ("batch_size", "10000000", "--batch-size"),
        ("batch_size", "0", "--batch-size"),
        ("epochs", "0", "--epochs"),
        ("epochs", "100000", "--epochs"),
        ("lr", "nan", "--lr"),
        ("lr", "inf", "--lr"),
        ("lr", "-1", "--lr"),
    ],
)
async def test_the_run_form_refuses_out_of_range_values_as_the_cli_does(
    make_app, ready, field: str, text: str, option: str
) -> None:
    app, _ = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        form = app.screen
        assert isinstance(form, RunConfigScreen)
        form.query_one(f"#{field}", Input).value = text
        await pilot.press("ctrl+s")
        assert app.screen is form  # not applied
        shown = str(form.query_one(f"#{field}-error", Static).content)
        value = float(text) if field == "lr" else int(text)
        with pytest.raises(ConfigError) as expected:  # the engine's own range, in the same words
            make_config("fast", model="tiny", **{field: value})
        label = {"batch_size": "Batch size", "epochs": "Epochs", "lr": "Learning rate"}[field]
        engine_says = str(expected.value).split(f"{option} ", 1)[1]  # "must be ..."
        assert shown == f"{label} {engine_says}" and "--" not in shown


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--batch-size", "10000000"], "--batch-size must be a whole number from 1 to 60000"),
        (["--seed", "1180591620717411303424"], "--seed must be a whole number from 0 to"),
        (["--epochs", "100000"], "--epochs must be a whole number from 1 to 10000"),
    ],
)
def test_the_apps_command_line_refuses_them_too(capsys, argv: list[str], says: str) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err, err
