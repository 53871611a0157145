"""Packaging: README and CI agree, the wheel carries the bundled MNIST, modules are documented."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


def _bash_blocks(readme: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)


def test_ci_runs_exactly_the_readme_test_command(repo_root: Path) -> None:
    setup = _bash_blocks((repo_root / "README.md").read_text())[:2]
    assert "cnn-tui" in setup[0] and "pytest" in setup[1]
    ci_lines = (repo_root / ".ci" / "run").read_text().splitlines()
    assert setup[1] in ci_lines


def test_every_module_has_a_docstring(repo_root: Path) -> None:
    for path in [
        *repo_root.glob("engine/**/*.py"),
        *repo_root.glob("tui/**/*.py"),
        *repo_root.glob("tests/*.py"),
    ]:
        docstring = ast.get_docstring(ast.parse(path.read_text()))
        assert docstring, f"{path} has no module docstring"


@pytest.mark.slow
def test_wheel_carries_bundled_mnist(tmp_path: Path, repo_root: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(repo_root),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    wheel = next(tmp_path.glob("cnn_tui-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("data/share/cnn-tui/mnist/t10k-images-idx3-ubyte.gz") for n in names)
    assert "tui/app.tcss" in names
    assert any(n.startswith("engine/") for n in names)
    assert "tui/widgets/heatmap.py" in names
