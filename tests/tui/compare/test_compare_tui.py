"""The Evaluate tab's run comparison (--compare): the view, a foreign run, bad directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.training.config import make_config
from tui.app import AppOptions, CnnTuiApp


@pytest.fixture
def compare_engine_class(eval_engine_class: type) -> type:
    """The eval engine class plus this file's ops."""

    class CompareFakeEngine(eval_engine_class):
        def op_compare_runs(self, dirs) -> dict:
            from engine.errors import EngineError
            from engine.training.compare import compare_runs

            try:
                return {"runs": compare_runs(dirs)}
            except EngineError as exc:  # the fake reports failures as ValueError
                raise ValueError(str(exc)) from None

    return CompareFakeEngine


async def test_compare_view_from_the_command_line_options(
    tmp_path: Path, app_size, wait_for, sent, compare_engine_class, fake_run
) -> None:
    cnn = fake_run(tmp_path / "cnn", "convnet", 421_642, [0.97, 0.985, 0.99])
    mlp = fake_run(tmp_path / "mlp", "mlp", 669_706, [0.95, 0.97])
    fake = compare_engine_class()
    app = CnnTuiApp(
        AppOptions(
            config=make_config("fast", model="tiny"), color_mode="256", compare=(str(cnn), str(mlp))
        ),
        engine_factory=lambda data_dir, log_file: fake,
    )
    from textual.widgets import DataTable

    from tui.compare.runs import CompareScreen

    async with app.run_test(size=app_size) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare view")
        screen = app.screen
        await wait_for(pilot, lambda: screen.runs, "the runs")
        assert sent(fake, "compare_runs")[-1] == {"dirs": [str(cnn), str(mlp)]}
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        assert [str(c) for c in table.get_row_at(0)] == [
            "cnn",
            "convnet",
            "421,642",
            "3",
            "99.00%",
            "99.00%",
            "6.0s",
        ]
        assert [str(c) for c in table.get_row_at(1)][4] == "97.00%"
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.exported, "the export")
        request = sent(fake, "export")[-1]
        assert request["run_dir"] == str(cnn) and request["name"] == "compare"
        assert [row["run"] for row in request["tables"]["curves"]] == ["cnn"] * 3 + ["mlp"] * 2
        assert request["tables"]["runs"][1]["final_acc"] == 0.97
        await pilot.press("escape")
        assert app.screen is app.main


async def test_compare_view_reports_a_foreign_run(
    tmp_path: Path, app_size, wait_for, compare_engine_class
) -> None:
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "history").mkdir()
    (foreign / "history" / "index.json").write_text('{"format": "other"}')
    fake = compare_engine_class()
    app = CnnTuiApp(
        AppOptions(config=make_config("fast", model="tiny"), compare=(str(foreign),)),
        engine_factory=lambda data_dir, log_file: fake,
    )
    from tui.compare.runs import CompareScreen

    async with app.run_test(size=app_size) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare view")
        await wait_for(
            pilot, lambda: "not a cnn-tui history index" in app.screen.status, "the message"
        )


def test_compare_option_checks_the_run_directories(tmp_path: Path, capsys, fake_run) -> None:
    from tui import __main__ as cli

    for bad, message in (
        (tmp_path / "missing", "does not exist"),
        (tmp_path, "is not a cnn-tui run directory"),
    ):
        with pytest.raises(SystemExit) as info:
            cli.main(["--compare", str(bad)])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert message in err and str(bad) in err and len(err.strip().splitlines()) == 1
    run = fake_run(tmp_path / "run", "mlp", 1, [0.5])
    args = cli.build_parser().parse_args(["--compare", str(run), str(run)])
    assert cli.check_paths(args) is None
    assert cli.options_from_args(args).compare == (str(run), str(run))
