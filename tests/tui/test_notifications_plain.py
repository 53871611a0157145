"""Notifications are plain text: the spec grammar's ``[b]`` and paths are never markup."""

from __future__ import annotations

from textual.widgets._toast import Toast


async def test_a_notification_shows_brackets_as_typed(make_app, ready) -> None:
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        grammar = "c<N>[k<K>][s<S>][p<P>][b] conv+ReLU, [red]not a colour[/red]"
        app.main.train.error(grammar)  # a widget's notify, as the tabs send them
        app.notify("runs/[x]/checkpoint.pt", markup=True)  # and the app's own, even asked
        await pilot.pause()
        *_, tab_note, app_note = list(app._notifications)
        assert not tab_note.markup and not app_note.markup
        assert tab_note.message == grammar
        assert "runs/[x]/checkpoint.pt" in str(Toast(app_note).render())  # what it draws
