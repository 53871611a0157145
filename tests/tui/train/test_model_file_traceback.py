"""A model file that fails (issue 15): the inspector shows the engine's one-line summary and,
below it, the user's own traceback (their file, line and code), so model.py can be fixed
without leaving the app; the fix (press c) stays in view."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from engine.errors import ModelSourceError
from engine.process.protocol import Reply

SIZES = [(80, 24), (100, 30), (200, 60)]
SUMMARY = "my_model.py:Net does not build: NameError: name 'nn_Conv2d' is not defined"
TRACEBACK = "\n".join(
    [
        "Traceback (your code only):",
        '  File "/home/me/my_model.py", line 12, in __init__',
        "    self.conv = nn_Conv2d(1, 8, 3)",
        "NameError: name 'nn_Conv2d' is not defined",
    ]
)


def failing_engine(base: type) -> object:
    class BrokenModelEngine(base):  # type: ignore[misc, valid-type]
        """Answers loading ``...:Net`` as the engine does a model file that fails: the
        reply's error is the ModelSourceError's text, summary then traceback lines."""

        def send(self, op, **kwargs):
            if op != "load" or not str(kwargs.get("model", "")).endswith(":Net"):
                return super().send(op, **kwargs)
            with self._lock:
                self._ids += 1
                self.sent.append((op, kwargs))
                error = str(ModelSourceError(SUMMARY, TRACEBACK))
                self._queue.append(Reply(self._ids, op, False, None, error))
                return self._ids

    return BrokenModelEngine()


def shown_lines(note: Static) -> list[str]:
    return ["".join(s.text for s in note.render_line(y)).rstrip() for y in range(note.size.height)]


@pytest.mark.parametrize("size", SIZES)
async def test_the_users_traceback_shows_under_the_summary(make_app, wait_for, size) -> None:
    from conftest import FakeEngine

    fake = failing_engine(FakeEngine)
    app, _ = make_app(fake, model="/home/me/my_model.py:Net")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        inspector = app.main.train.inspector
        await wait_for(pilot, lambda: "my_model" in str(inspector.message), what="the error")
        await pilot.pause()
        note = app.main.query_one("#inspector-message", Static)
        lines = shown_lines(note)
        text = "\n".join(lines)
        flat = "".join(text.split())
        assert "".join(SUMMARY.split()) in flat  # the summary first, whole
        assert flat.index("NameError") < flat.index("line12")
        assert "line12,in__init__" in flat  # where, in the user's file
        assert "self.conv=nn_Conv2d(1,8,3)" in flat  # and the line of code that failed
        assert "Pressctochooseanothermodel" in flat
        assert lines[0].strip().startswith("my_model.py:Net")
