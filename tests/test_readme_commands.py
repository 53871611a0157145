"""Issue 13 point 16: the README's commands run as written after its own set-up (the virtual
environment's Python and cnn-tui, never a bare ``python``), in an order where every run folder and
picture a command reads was written by an earlier one; its Models table lists every registry
model (``fast-net`` included) with its true parameter count; ``--image`` is not AlexNet-only."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from engine.models.catalog import MODEL_NAMES


def readme(repo_root: Path) -> str:
    return (repo_root / "README.md").read_text()


def bash_lines(text: str) -> list[str]:
    """Every command line of the README's bash blocks, in order."""
    blocks = re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def code_spans(text: str) -> list[str]:
    """Every inline code span and fenced line outside the bash blocks."""
    return re.findall(r"`([^`\n]+)`", text) + re.findall(r"```\n(.*?)\n```", text, flags=re.S)


def engine_argv(line: str) -> list[str] | None:
    """The arguments after ``-m engine`` of a command line, or None for another command."""
    words = shlex.split(line.split("  #")[0], comments=True)
    if words[:3] != [".venv/bin/python", "-m", "engine"]:
        return None
    return words[3:]


def test_every_command_uses_the_virtual_environment(repo_root: Path) -> None:
    text = readme(repo_root)
    for line in bash_lines(text):
        for part in re.split(r"&&|;", line):
            words = part.split()
            if words and words[0] in ("python", "python3") and "venv" not in part:
                pytest.fail(f"bare python outside the venv set-up: {line}")
            if words and words[0] in ("cnn-tui", "pip", "pytest", "lint-imports"):
                pytest.fail(f"a command the fresh machine's PATH lacks: {line}")
    for span in code_spans(text):
        assert not re.search(r"(?<![/\w])python -m ", span), span
        assert not re.match(r"cnn-tui --", span.strip()), span


def test_every_engine_command_parses_and_reads_only_what_earlier_ones_wrote(
    repo_root: Path,
) -> None:
    from engine.cli.main import build_parser

    parser = build_parser()
    written: set[str] = set()
    commands = [argv for line in bash_lines(readme(repo_root)) if (argv := engine_argv(line))]
    assert len(commands) >= 15
    for line in bash_lines(readme(repo_root)):
        if "im.save('" in line:
            written.add(re.search(r"im\.save\('([^']+)'\)", line)[1])
        argv = engine_argv(line)
        if not argv or argv == ["--help"]:
            continue
        args = parser.parse_args(argv)  # exits (fails the test) on an unknown option
        for option in ("checkpoint", "resume", "baseline", "image"):
            path = getattr(args, option, None)
            if path:
                folder = str(Path(path).parent if path.endswith(".pt") else Path(path))
                assert folder in written, f"{line}: nothing earlier writes {path}"
        if getattr(args, "run_dir", None):
            written.add(args.run_dir)


def test_the_models_table_lists_every_registry_model_with_its_parameters(
    repo_root: Path,
) -> None:
    from engine.models.registry import build_model, count_params

    section = readme(repo_root).split("### Models", 1)[1].split("###", 1)[0]
    rows = {m[1]: m[2] for m in re.finditer(r"^\| `([\w-]+)` \|.*\| ([\d,]+) \|$", section, re.M)}
    assert list(rows) == MODEL_NAMES  # fast-net included, in the registry's order
    for name, params in rows.items():
        assert int(params.replace(",", "")) == count_params(build_model(name)[0]), name


def test_the_readme_says_image_works_for_mnist_models(repo_root: Path) -> None:
    text = " ".join(readme(repo_root).split())
    assert "`--image` works with every model" in text
    assert "inverted when it is dark on light" in text
    assert "centre of mass is at the centre" in text
    assert ".venv/bin/cnn-tui --image seven.png" in text
