"""Issue 15 point 1: the user's own model from "path/model.py:Name" or "package.module:Name",
built for the data's shape and classes; every problem one ModelSourceError line, an error in
their code their own traceback trimmed to their files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from engine.cli.main import main
from engine.errors import ModelSourceError
from engine.models.catalog import check_model_name, is_model_source, model_source_problem
from engine.models.registry import build_model, kernel_layers, named_layers

ROOT = Path(__file__).resolve().parents[3]
TINY_RESNET = ROOT / "tests" / "zoo" / "tiny_resnet.py"
HEADER = "import torch\nfrom torch import nn\n\n"

# A LeNet whose first dense layer expects 16x5x5 features, but with no padding: 28x28 digits
# give it 16x4x4, as the PyTorch tutorial's Net (written for 32x32 CIFAR images) does.
TUTORIAL_NET = HEADER + textwrap.dedent("""\
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.pool = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 10)

        def forward(self, x):
            x = self.pool(torch.relu(self.conv1(x)))
            x = self.pool(torch.relu(self.conv2(x)))
            return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))
""")


def _write(folder: Path, name: str, code: str) -> Path:
    path = folder / name
    path.write_text(code)
    return path


def _error(source: str, **kwargs) -> ModelSourceError:
    with pytest.raises(ModelSourceError) as info:
        build_model(source, **kwargs)
    return info.value


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# ---------------------------------------------------------------------------- building


def test_tiny_resnet_builds_for_three_classes() -> None:
    model, info = build_model(f"{TINY_RESNET}:TinyResNet", classes=("circle", "square", "cross"))
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 3)
    assert info.name == "TinyResNet" and info.source == f"{TINY_RESNET.resolve()}:TinyResNet"
    assert info.classes == ("circle", "square", "cross") and info.input_shape == (1, 28, 28)
    assert "num_classes=3" in info.description and model.training  # left as it was built
    assert "stem.0" in kernel_layers(model) and "fc" in kernel_layers(model)
    assert ("layer2.shortcut.0", model.layer2.shortcut[0]) in named_layers(model)


def test_relative_path_is_recorded_absolute(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    _, info = build_model("tests/zoo/tiny_resnet.py:TinyResNet", input_shape=(3, 32, 32))
    assert info.source == f"{TINY_RESNET.resolve()}:TinyResNet"
    assert "in_channels=3" in info.description


def test_package_module_source_builds() -> None:
    model, info = build_model("tests.zoo.tiny_resnet:TinyResNet", classes=list("abcd"))
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 4)
    assert info.source == "tests.zoo.tiny_resnet:TinyResNet"


def test_a_package_of_the_users_own(tmp_path, monkeypatch) -> None:
    package = tmp_path / "mynets"
    package.mkdir()
    (package / "__init__.py").write_text("")
    _write(package, "blocks.py", HEADER + "def block(c):\n    return nn.Conv2d(1, c, 3)\n")
    _write(
        package,
        "nets.py",
        HEADER + "from .blocks import block\n\n"
        "def small(num_classes):\n"
        "    return nn.Sequential(block(4), nn.Flatten(), nn.Linear(4 * 26 * 26, num_classes))\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    model, info = build_model("mynets.nets:small")
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 10) and info.name == "small"


@pytest.mark.parametrize(
    "import_line", ["from helpers import make_block", "from .helpers import make_block"]
)
def test_a_model_file_imports_the_files_beside_it(tmp_path, import_line) -> None:
    folder = tmp_path / import_line.split()[1].strip(".")  # one folder per style
    folder.mkdir()
    _write(folder, "helpers.py", HEADER + "def make_block():\n    return nn.Conv2d(1, 2, 3)\n")
    model_file = _write(
        folder,
        "my-model.py",  # not a Python name: still importable as a file
        HEADER + import_line + "\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self, num_classes=10):\n"
        "        super().__init__()\n"
        "        self.block = make_block()\n"
        "        self.fc = nn.Linear(2 * 26 * 26, num_classes)\n\n"
        "    def forward(self, x):\n"
        "        return self.fc(self.block(x).flatten(1))\n",
    )
    model, _ = build_model(f"{model_file}:Net", classes=("a", "b"))
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 2)


def test_functions_and_instances_make_models(tmp_path) -> None:
    code = HEADER + textwrap.dedent("""\
        def make(in_channels, n_classes=5):
            return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 28 * 28, n_classes))

        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    """)
    path = _write(tmp_path, "model.py", code)
    model, info = build_model(f"{path}:make", input_shape=(3, 28, 28), classes=list("abc"))
    assert model(torch.zeros(1, 3, 28, 28)).shape == (1, 3)
    assert "in_channels=3, n_classes=3" in info.description
    model, _ = build_model(f"{path}:net")
    assert isinstance(model, nn.Sequential) and model[1].in_features == 784


def test_num_classes_reaches_a_kwargs_builder_that_takes_it(tmp_path) -> None:
    code = HEADER + textwrap.dedent("""\
        class Head(nn.Module):
            def __init__(self, width, num_classes=10):
                super().__init__()
                self.fc = nn.Sequential(nn.Flatten(), nn.Linear(width, num_classes))

            def forward(self, x):
                return self.fc(x)

        def passes(**kwargs):
            return Head(784, **kwargs)

        def refuses(**kwargs):
            for key in kwargs:  # as a class without such a parameter does
                raise TypeError(f"__init__() got an unexpected keyword argument {key!r}")
            return Head(784)
    """)
    path = _write(tmp_path, "model.py", code)
    model, info = build_model(f"{path}:passes", classes=list("abc"))
    assert (
        model(torch.zeros(1, 1, 28, 28)).shape == (1, 3) and "(num_classes=3)" in info.description
    )
    # a **kwargs builder that cannot take num_classes is called without it
    _, info = build_model(f"{path}:refuses")
    assert "num_classes" not in info.description


def test_a_torchvision_builder_gets_the_classes() -> None:
    model, info = build_model(
        "torchvision.models:resnet18", input_shape=(3, 32, 32), classes=list("abc")
    )
    assert model.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 3)
    assert info.source == "torchvision.models:resnet18" and "num_classes=3" in info.description


def test_an_edited_file_is_read_again(tmp_path) -> None:
    path = _write(tmp_path, "model.py", HEADER + "def make():\n    return nn.Linear(784, 10)\n")
    wrapped = HEADER + "def make():\n    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))\n"
    with pytest.raises(ModelSourceError):  # a Linear on 1x28x28 images: 28 != 784 columns
        build_model(f"{path}:make")
    path.write_text(wrapped)
    assert isinstance(build_model(f"{path}:make")[0], nn.Sequential)


# ---------------------------------------------------------------------------- one-line errors


def test_a_missing_file(tmp_path) -> None:
    missing = tmp_path / "nope" / "model.py"
    error = _error(f"{missing}:Net")
    assert str(error) == f"model file {missing} does not exist; check the path"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: _write(d, "model.txt", "x = 1\n"), "is not a .py file"),
        (lambda d: d, "is a folder; pass the .py file in it"),
    ],
    ids=["not-py", "folder"],
)
def test_not_a_python_file(tmp_path, make, says) -> None:
    assert says in str(_error(f"{make(tmp_path)}:Net"))


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("model.py", "needs ':Name' after the file or module"),
        ("model.py:1Net", "'1Net' after ':' is not a Python name"),
        ("model.py:class", "'class' after ':' is not a Python name"),
        (":Net", "names no file or module"),
        ("no_such_package_xyz.nets:Net", "no module named 'no_such_package_xyz'"),
        ("tests.zoo.no_such_module:Net", "no module named 'tests.zoo.no_such_module'"),
        ("my nets:Net", "is neither a .py file nor a module name"),
    ],
)
def test_malformed_sources_are_one_line(source, says, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    message = str(_error(source))
    assert says in message and "\n" not in message, message


def test_bad_syntax_names_the_line(tmp_path) -> None:
    path = _write(tmp_path, "model.py", HEADER + "class Net(nn.Module:\n    pass\n")
    error = _error(f"{path}:Net")
    assert error.summary.startswith("model.py:4: SyntaxError: ")
    assert "class Net(nn.Module:" in error.details  # the line itself, as Python shows it


def test_a_file_without_the_name_lists_what_it_defines(tmp_path) -> None:
    code = HEADER + textwrap.dedent("""\
        from torch.nn import Conv2d

        class Net(nn.Module):
            pass

        class Block(nn.Module):
            pass

        def make_net():
            return Net()

        SIZE = 3
    """)
    path = _write(tmp_path, "model.py", code)
    message = str(_error(f"{path}:Nett"))
    assert message == (
        "model.py defines no 'Nett' (did you mean Net?); it defines nn.Module subclasses "
        "Net, Block and functions make_net"
    )
    empty = _write(tmp_path, "empty.py", "SIZE = 3\n")
    assert str(_error(f"{empty}:Net")).endswith("it defines no nn.Module subclass or function")


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("SIZE", "SIZE in model.py is an int, not an nn.Module subclass or a function"),
        ("Config", "Config in model.py is a class that is not an nn.Module subclass"),
        ("nn", "nn in model.py is a module, not an nn.Module subclass"),
        ("make_nothing", "make_nothing() in model.py returned None, not an nn.Module"),
    ],
)
def test_a_name_that_is_not_a_model_says_what_it_is(tmp_path, name, says) -> None:
    code = HEADER + "SIZE = 3\n\nclass Config:\n    pass\n\ndef make_nothing():\n    pass\n"
    path = _write(tmp_path, "model.py", code)
    message = str(_error(f"{path}:{name}"))
    assert message.startswith(says) and "\n" not in message, message


def test_a_constructor_that_needs_arguments_names_them(tmp_path) -> None:
    code = HEADER + textwrap.dedent("""\
        class Net(nn.Module):
            def __init__(self, hidden, depth, num_classes=10, *layers, scale=1.0, **options):
                super().__init__()
    """)
    path = _write(tmp_path, "model.py", code)
    message = str(_error(f"{path}:Net"))
    assert message.startswith("Net in model.py needs arguments hidden, depth; give them defaults")


def test_an_input_the_model_rejects_quotes_its_message(tmp_path) -> None:
    path = _write(tmp_path, "model.py", TUTORIAL_NET)
    message = str(_error(f"{path}:Net"))
    assert message == (
        "model Net rejects input 1x28x28: mat1 and mat2 shapes cannot be multiplied "
        "(1x256 and 400x120); pass --input-shape C,H,W that it takes"
    )
    model, info = build_model(f"{path}:Net", input_shape=(1, 32, 32))  # the size it was made for
    assert model(torch.zeros(1, 1, 32, 32)).shape == (1, 10) and info.input_shape == (1, 32, 32)
    channels = str(_error(f"{path}:Net", input_shape=(3, 32, 32)))
    assert channels.startswith("model Net rejects input 3x32x32: Given groups=1, weight of size")


def test_an_output_of_another_width_names_both(tmp_path) -> None:
    path = _write(tmp_path, "model.py", TUTORIAL_NET)
    message = str(_error(f"{path}:Net", input_shape=(1, 32, 32), classes=("cat", "dog", "car")))
    assert message.startswith("model Net outputs 10 columns but the data has 3 classes")
    code = HEADER + "def make():\n    return nn.Conv2d(1, 10, 28)\n"
    conv = _write(tmp_path, "conv.py", code)
    assert "outputs shape [1, 10, 1, 1] for one 1x28x28 input" in str(_error(f"{conv}:make"))
    pair = HEADER + "class Pair(nn.Module):\n    def forward(self, x):\n        return x, x\n"
    assert "returns a tuple, not a tensor" in str(_error(f"{_write(tmp_path, 'p.py', pair)}:Pair"))


# ---------------------------------------------------------------------------- tracebacks


def _assert_only_user_frames(details: str, *files: str) -> None:
    frames = [line for line in details.splitlines() if line.strip().startswith('File "')]
    assert frames, details
    assert all(any(name in frame for name in files) for frame in frames), details
    for ours in ("engine/", "importlib", "site-packages", "torch/"):
        assert ours not in details, details


def test_an_error_in_init_shows_the_users_line_first(tmp_path) -> None:
    code = HEADER + textwrap.dedent("""\
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(x, 10)
    """)
    path = _write(tmp_path, "model.py", code)
    error = _error(f"{path}:Net")
    line = _line_of(path, "nn.Linear(x, 10)")
    expected = f"model.py:{line} in __init__: NameError: name 'x' is not defined"
    assert str(error).splitlines()[0] == expected == error.summary
    assert "self.fc = nn.Linear(x, 10)" in error.details
    _assert_only_user_frames(error.details, str(path))


def test_an_error_inside_torch_is_trimmed_to_the_users_call(tmp_path) -> None:
    path = _write(tmp_path, "model.py", HEADER + "def make():\n    return nn.Linear(10, -1)\n")
    error = _error(f"{path}:make")
    assert error.summary.startswith("model.py:5 in make: RuntimeError: ")
    assert "negative dimension -1" in error.summary
    _assert_only_user_frames(error.details, str(path))


def test_a_traceback_through_two_user_files(tmp_path) -> None:
    _write(tmp_path, "helpers.py", "def width():\n    return {}['width']\n")
    code = HEADER + "import helpers\n\ndef make():\n    return nn.Linear(helpers.width(), 10)\n"
    path = _write(tmp_path, "model.py", code)
    error = _error(f"{path}:make")
    assert error.summary == "helpers.py:2 in width: KeyError: 'width'"
    _assert_only_user_frames(error.details, str(path), str(tmp_path / "helpers.py"))
    assert error.details.index("model.py") < error.details.index("helpers.py")


def test_errors_at_import_and_in_forward(tmp_path) -> None:
    at_import = _write(tmp_path, "boom.py", HEADER + "raise ImportError('no cuda here')\n")
    error = _error(f"{at_import}:Net")
    assert error.summary == "boom.py:4 in <module>: ImportError: no cuda here"
    code = HEADER + textwrap.dedent("""\
        class Net(nn.Module):
            def forward(self, x):
                return self.head(x)
    """)
    in_forward = _write(tmp_path, "fwd.py", code)
    error = _error(f"{in_forward}:Net")
    assert error.summary.startswith("fwd.py:6 in forward: AttributeError: ")
    _assert_only_user_frames(error.details, str(in_forward))


# ---------------------------------------------------------------------------- torch-free parts


def test_sources_are_told_from_names_and_specs() -> None:
    for text in ("model.py:Net", "pkg.mod:Net", "nets/model.py", "model.py"):
        assert is_model_source(text), text
    for text in ("lenet5", "c32-p-f128-d0.25", "fast-net", "alexnet"):
        assert not is_model_source(text), text
    assert model_source_problem(f"{TINY_RESNET}:TinyResNet") is None


def test_the_ui_side_checks_without_torch_or_running_the_file(tmp_path) -> None:
    marker = tmp_path / "ran"
    path = _write(tmp_path, "model.py", f"open({str(marker)!r}, 'w').close()\nimport torch\n")
    script = textwrap.dedent(f"""
        import json, sys
        from engine.errors import ModelSourceError
        from engine.models.catalog import check_model_name, model_source_problem
        check_model_name({f"{path}:Net"!r})
        try:
            check_model_name({str(tmp_path / "missing.py") + ":Net"!r})
        except ModelSourceError as exc:
            problem = str(exc)
        print(json.dumps({{"torch": "torch" in sys.modules, "problem": problem}}))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"torch": False, "problem": report["problem"]}
    assert report["problem"].endswith("missing.py does not exist; check the path")
    assert not marker.exists()  # the user's code runs only in the engine, when it builds
    with pytest.raises(ModelSourceError, match="needs ':Name'"):
        check_model_name(str(path))


# ---------------------------------------------------------------------------- the command line


def test_summary_of_a_user_model_from_the_command_line(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["summary", "--model", "tests/zoo/tiny_resnet.py:TinyResNet"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("TinyResNet: your model TinyResNet from tiny_resnet.py")
    assert "input [1, 28, 28]" in first


@pytest.mark.parametrize(
    ("code", "name", "says"),
    [
        (None, "Net", "model file {path} does not exist; check the path"),
        ("SIZE = 3\n", "Net", "model.py defines no 'Net'; it defines no nn.Module subclass"),
        ("SIZE = 3\n", "SIZE", "SIZE in model.py is an int, not an nn.Module subclass"),
        (TUTORIAL_NET, "Net", "model Net rejects input 1x28x28: mat1 and mat2 shapes cannot"),
    ],
    ids=["missing-file", "no-such-name", "not-a-module", "rejected-input"],
)
def test_bad_model_sources_exit_2_with_one_line(tmp_path, capsys, code, name, says) -> None:
    path = tmp_path / "model.py"
    if code is not None:
        path.write_text(code)
    assert main(["summary", "--model", f"{path}:{name}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: " + says.format(path=path)) and "\n" not in err, err


def test_an_error_in_the_users_code_shows_their_traceback_only(tmp_path, capsys) -> None:
    code = HEADER + "def make():\n    layers = [nn.Conv2d(1, 4, 3)]\n    return layers[1]\n"
    path = _write(tmp_path, "model.py", code)
    assert main(["summary", "--model", f"{path}:make"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "error: model.py:6 in make: IndexError: list index out of range"
    assert lines[1] == "Traceback (most recent call last; your files only):"
    assert "    return layers[1]" in lines and lines[-1] == "IndexError: list index out of range"
    _assert_only_user_frames("\n".join(lines[1:]), str(path))
