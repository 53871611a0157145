"""Training and the workbench on any dataset (issue 15, point 5): TrainConfig's dataset and
input shape, per-channel normalisation and augmentation background, colour samples served as
(C, H, W) uint8, class names from the data, live runs serving their own dataset."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.errors import ConfigError
from engine.training.augment import ShiftRotate, black_background
from engine.training.checkpoint_fields import checked_config
from engine.training.config import TrainConfig, make_config

REPO = Path(__file__).resolve().parents[3]
SHAPES = ["circle", "square", "triangle"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-class folder of coloured 32x32 shapes, 20 per class (tests/engine/data)."""
    sys.path.insert(0, str(REPO / "tests" / "engine" / "data"))
    try:
        from shapes_folder import make_shapes_folder
    finally:
        sys.path.pop(0)
    return make_shapes_folder(tmp_path_factory.mktemp("shapes") / "shapes", 20)


def test_config_takes_a_dataset_and_an_input_shape(shapes: Path) -> None:
    config = make_config("fast", dataset=f"folder:{shapes}", input_shape=(3, 16, 16))
    assert config.dataset == f"folder:{shapes}" and config.input_shape == (3, 16, 16)
    assert TrainConfig().dataset == "mnist" and TrainConfig().input_shape is None
    # config.json holds lists: read back as the tuple it was
    assert TrainConfig.from_dict(config.to_dict() | {"input_shape": [3, 16, 16]}) == config


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"dataset": "imagenet"}, "unknown dataset 'imagenet'"),
        ({"dataset": "folder:/no/such/folder"}, "/no/such/folder"),
        ({"dataset": "cifar10"}, "needs a path"),
        ({"input_shape": (3, 0, 32)}, "out of range"),
        ({"input_shape": (3, 32)}, "not C,H,W"),
    ],
)
def test_bad_datasets_and_shapes_are_one_line(overrides: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        make_config("fast", **overrides)
    assert "\n" not in str(caught.value)


def test_a_checkpoint_config_is_read_without_its_folder(tmp_path: Path) -> None:
    """A run on a folder another machine had still opens (the form is checked, not the disk),
    and a shape of the wrong form is refused as a corrupt field."""
    data = TrainConfig(dataset="folder:/elsewhere/pictures", input_shape=(3, 32, 32)).to_dict()
    assert checked_config(data, tmp_path / "c.pt").input_shape == (3, 32, 32)
    with pytest.raises(Exception, match="config.input_shape"):
        checked_config(data | {"input_shape": [3, "x", 32]}, tmp_path / "c.pt")


def test_augmentation_fills_each_channel_with_its_own_black() -> None:
    mean, std = (0.5, 0.25, 0.1), (0.2, 0.5, 0.25)
    background = black_background(mean, std)
    assert isinstance(background, torch.Tensor) and background.shape == (1, 3, 1, 1)
    expected = [-m / s for m, s in zip(mean, std, strict=True)]
    assert background.flatten().tolist() == pytest.approx(expected)
    assert black_background((0.1307,), (0.3081,)) == pytest.approx(-0.1307 / 0.3081)
    torch.manual_seed(0)
    warp = ShiftRotate(background=background, max_shift=6.0, max_degrees=0.0).train()
    out = warp(torch.full((8, 3, 16, 16), 5.0))
    uncovered = out != 5.0  # pixels shifted in from outside the picture
    for channel, black in enumerate(expected):
        values = out[:, channel][uncovered[:, channel]]
        assert len(values) and values.min() >= min(black, 5.0) - 1e-4
        assert torch.isclose(values.min(), torch.tensor(black), atol=1e-4)


def test_the_workbench_serves_a_folder_model_in_colour_with_its_class_names(
    shapes: Path,
) -> None:
    from engine.process.workbench import Workbench

    bench = Workbench()
    described = bench.load(model="c4-p-f16", dataset=f"folder:{shapes}")
    assert described["classes"] == SHAPES
    assert described["info"]["classes"] == tuple(SHAPES)
    assert tuple(described["info"]["input_shape"]) == (3, 32, 32)
    assert len(described["info"]["mean"]) == 3 and described["info"]["dataset"].endswith("shapes")
    sample = bench.sample(0)
    assert sample["image"].dtype == np.uint8 and sample["image"].shape == (3, 32, 32)
    assert sample["label"] in (0, 1, 2) and sample["probs"].shape == (3,)
    report = bench.evaluate()
    assert report["confusion"].shape == (3, 3)
    assert report["count"] == len(bench.split("test"))


def test_the_load_op_builds_for_another_input_shape_and_resizes_samples() -> None:
    from engine.process.workbench import Workbench

    bench = Workbench()
    described = bench.load(model="c4-p-f16", input_shape=[1, 20, 20])
    assert tuple(described["info"]["input_shape"]) == (1, 20, 20)
    x, images, _ = bench.inputs([0])
    assert tuple(x.shape) == (1, 1, 20, 20)
    assert images[0].shape == (28, 28)  # shown as the dataset holds it
    # grey digits for a colour model: read at 28x28, each channel normalised as grey
    described = bench.load(model="c4-p-f16", input_shape=[3, 32, 32])
    assert described["info"]["mean"] == (0.1307,) * 3
    x, _, _ = bench.inputs([0])
    assert tuple(x.shape) == (1, 3, 32, 32) and torch.equal(x[0, 0], x[0, 2])
    described = bench.load(model="fast-net", dataset="fashion-mnist")
    assert described["classes"][0] == "T-shirt/top" and described["info"]["mean"] == (0.286,)


def test_a_run_on_a_folder_records_its_data_and_trains_colour_batches(
    shapes: Path, tiny_config
) -> None:
    from engine.training.checkpoint import load_checkpoint, model_from_checkpoint
    from engine.training.events import Finished
    from engine.training.loop import train_events

    config = tiny_config(
        dataset=f"folder:{shapes}",
        augment="shift-rotate",
        train_subset=None,
        test_subset=None,
        batch_size=16,
        precision="float32",
        compile=False,
    )
    events = list(train_events(config))
    assert isinstance(events[-1], Finished), events[-1]
    ckpt = load_checkpoint(config.run_dir)
    assert ckpt["config"]["dataset"] == f"folder:{shapes}"
    assert tuple(ckpt["info"]["classes"]) == tuple(SHAPES)
    assert tuple(ckpt["info"]["input_shape"]) == (3, 32, 32)
    model, info, _ = model_from_checkpoint(config.run_dir)
    assert info.classes == tuple(SHAPES) and info.dataset == f"folder:{shapes}"
    assert len(info.mean) == 3 and model(torch.zeros(2, 3, 32, 32)).shape == (2, 3)


def test_a_live_run_serves_its_own_dataset(shapes: Path, tiny_config) -> None:
    from engine.process.workbench import Workbench
    from engine.training.build import build_state

    config = tiny_config(dataset=f"folder:{shapes}", train_subset=None, test_subset=None)
    state = build_state(config, None, Path(config.run_dir))
    bench = Workbench()
    bench.set_live(state)
    assert bench.samples.dataset() is state.dataset  # not read a second time
    assert bench.describe()["classes"] == SHAPES


def test_the_load_op_opens_a_checkpoint_on_its_own_or_another_dataset(
    tiny_trained_run: Path, shapes: Path
) -> None:
    from engine.process.current_model import OpError
    from engine.process.workbench import Workbench

    bench = Workbench()
    own = bench.load(checkpoint=str(tiny_trained_run))
    assert own["classes"] == [str(d) for d in range(10)] and own["info"]["dataset"] == "mnist"
    same = bench.load(checkpoint=str(tiny_trained_run), dataset="mnist")
    assert same["info"] == own["info"]
    fashion = bench.load(checkpoint=str(tiny_trained_run), dataset="fashion-mnist")
    assert fashion["classes"][9] == "Ankle boot"
    assert fashion["info"]["mean"] == own["info"]["mean"]  # the model keeps its own
    assert bench.sample(0)["label"] == 9  # Fashion-MNIST's first test image: an ankle boot
    with pytest.raises(OpError, match="has 10 classes but folder:.* has 3"):
        bench.load(checkpoint=str(tiny_trained_run), dataset=f"folder:{shapes}")


def test_a_folder_subset_holds_every_class(shapes: Path) -> None:
    """Folder files come class by class: a subset is drawn across them, not the first ones."""
    from engine.data.datasets import load_dataset
    from engine.training.build import subset_of

    data = load_dataset(f"folder:{shapes}")
    assert data.train.labels[:10].unique().tolist() == [0]  # why the first ten would not do
    picked = subset_of(data.train, 24, f"folder:{shapes}")
    assert len(picked) == 24 and picked.labels.unique().tolist() == [0, 1, 2]
    assert torch.equal(picked.labels, subset_of(data.train, 24, f"folder:{shapes}").labels)
    mnist = load_dataset("mnist")
    assert torch.equal(subset_of(mnist.test, 5, "mnist").labels, mnist.test.labels[:5])
