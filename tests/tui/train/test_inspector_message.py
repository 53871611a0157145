"""The inspector's note shows a whole error, wrapped, even at 80x24: the fix at its end is read."""

from __future__ import annotations

from textual.widgets import Static


async def test_a_long_load_error_is_shown_whole_at_80x24(tmp_path, make_app, wait_for) -> None:
    bad = tmp_path / "a-rather-long-folder-name-for-runs" / "corrupt-checkpoint.pt"
    bad.parent.mkdir()
    bad.write_bytes(b"x")
    app, fake = make_app(checkpoint=str(bad))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.main.train.state == "idle", what="the failed load")
        await pilot.pause()
        note = app.main.query_one("#inspector-message", Static)
        text = str(app.main.train.inspector.message)
        assert "pass a file saved by cnn-tui" in text  # the fix ends the message
        shown = "".join(
            "".join(segment.text for segment in note.render_line(y)).strip()
            for y in range(note.size.height)
        )
        assert note.size.height > 1  # wrapped, not cut at one line
        assert "passafilesavedbycnn-tui" in "".join(shown.split())
