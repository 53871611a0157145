"""Training configuration and the named recipes, without importing torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from engine.errors import ConfigError
from engine.training.options import data_problem, option_problem
from engine.training.recipe_figures import MEASURED
from engine.training.snapshot_plan import DEFAULT_SNAPSHOTS

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "onecycle", "step", "cosine")
AUGMENTS = ("none", "shift-rotate")  # engine.training.augment implements them
PRECISIONS = ("float32", "bf16", "fp16")  # engine.training.accel.named_precision


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; a recipe fills it, options override it."""

    model: str = "fast-net"
    recipe: str = "fast"
    optimizer: str = "adam"
    lr: float = 0.001
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "constant"
    batch_size: int = 64
    epochs: int = 1
    seed: int = 0
    device: str = "auto"
    threads: int = 0  # 0: chosen by measurement for this machine
    channels_last: bool | None = None  # None: chosen by measurement on the CPU, on for CUDA
    # float32, bf16 or fp16 (CUDA only); None: bf16/fp16 autocast on CUDA, the bench's verdict
    # on the CPU. A run records what it chose, so a resume trains as it did.
    precision: str | None = None
    compile: bool | None = None  # torch.compile the step; None: the bench's verdict (CPU)
    label_smoothing: float = 0.0
    augment: str = "none"
    train_subset: int | None = None
    test_subset: int | None = None
    data_dir: str | None = None
    run_dir: str | None = None
    weights: str | None = None
    # The tutorials' "Epoch [e/E], Step [s/S], Loss: x" line every N steps (0: none)
    log_every: int = 0
    expected_acc: float | None = None  # what the recipe was measured to reach, for `recipes`
    # Kernel snapshots spread over the run's steps (engine.training.snapshot_plan); 0 or 1:
    # the initial weights and every epoch's end only
    snapshots: int = DEFAULT_SNAPSHOTS
    # What it trains on (engine.data.dataset_ref: mnist, fashion-mnist, folder:PATH,
    # cifar10:PATH) and the model's input (C, H, W); None: the dataset decides
    dataset: str = "mnist"
    input_shape: tuple[int, int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("input_shape"), list):  # JSON has no tuples
            values["input_shape"] = tuple(values["input_shape"])
        return cls(**values)

    def validate(self, check_paths: bool = True) -> TrainConfig:
        """Return self, or raise ConfigError naming the bad option and its allowed values.

        ``check_paths``: also check that a folder or CIFAR dataset is on disk (off where only
        the form matters: reading a checkpoint that another machine wrote)."""
        checks = [
            (self.optimizer in OPTIMIZERS, f"--optimizer must be one of {', '.join(OPTIMIZERS)}"),
            (self.schedule in SCHEDULES, f"--schedule must be one of {', '.join(SCHEDULES)}"),
            (
                self.precision in (None, *PRECISIONS),
                f"--precision must be one of {', '.join(PRECISIONS)}",
            ),
            (
                (self.augment or "none") in AUGMENTS,
                f"--augment must be one of {', '.join(AUGMENTS)}",
            ),
        ]
        numbers = option_problem(self)  # every numeric option against its real range
        checks.append((numbers is None, numbers or ""))
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"bad training option: {message}")
        # Said as it is: "image folder X has no class subfolders; put each class's images..."
        if problem := data_problem(self.dataset, self.input_shape, check_paths):
            raise ConfigError(problem)
        return self


_RECIPE_SETTINGS: dict[str, TrainConfig] = {
    # fast: 99.0 % in 1 epoch, 3-4 s of training on a 2-core CPU (seeds 0-2: 99.09, 99.17,
    # 99.22 % in float32; 99.06-99.21 % over seeds 0-5 in bf16; lr 0.01 gave 99.04-99.18 %).
    # Threads and channels_last are left to measurement (threads=0, None).
    "fast": TrainConfig(
        model="fast-net",
        optimizer="adam",
        lr=0.015,
        schedule="onecycle",
        batch_size=256,
        epochs=1,
        label_smoothing=0.1,
        threads=0,
        channels_last=None,
    ),
    # challenge: >= 99.5 % test accuracy in 15 epochs. Three conv+batch-norm blocks (61 k
    # parameters), shifts of up to 2 px and rotations of up to 10 degrees on whole batches on the
    # device, label smoothing 0.1, Adam with OneCycle. Seeds 0-2: 99.62, 99.60, 99.66 %; 13-22 s
    # per epoch on a 2-core CPU (bf16 / float32).
    "challenge": TrainConfig(
        model="c24k3b-p-c48k3b-p-c96k3b-p",
        optimizer="adam",
        lr=0.005,
        schedule="onecycle",
        batch_size=128,
        epochs=15,
        label_smoothing=0.1,
        augment="shift-rotate",
        threads=0,
        channels_last=None,
    ),
    "seed-basic-cnn": TrainConfig(
        model="basic-cnn",
        optimizer="adam",
        lr=0.001,
        batch_size=64,
        epochs=5,
    ),
    "seed-convnet": TrainConfig(
        model="convnet",
        optimizer="adam",
        lr=0.001,
        batch_size=64,
        epochs=5,
    ),
    "seed-lenet5": TrainConfig(
        model="lenet5",
        optimizer="sgd",
        lr=0.01,
        momentum=0.9,
        batch_size=64,
        epochs=5,
    ),
    "seed-mlp": TrainConfig(
        model="mlp",
        optimizer="adam",
        lr=0.001,
        batch_size=128,
        epochs=10,
    ),
}
# Each recipe's config names itself, so `recipe` always equals its key.
# Each recipe's expected_acc is the lowest accuracy its measured runs reached
# (engine.training.recipe_figures), never a figure that was not measured.
RECIPES: dict[str, TrainConfig] = {
    name: replace(config, recipe=name, expected_acc=MEASURED[name].floor)
    for name, config in _RECIPE_SETTINGS.items()
}


def recipe_names() -> list[str]:
    return list(RECIPES)


def make_config(recipe: str = "fast", **overrides: Any) -> TrainConfig:
    """The recipe's config with every non-None override applied, validated."""
    if recipe not in RECIPES:
        raise ConfigError(f"unknown recipe {recipe!r}; use one of {', '.join(RECIPES)}")
    given = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(given) - {f.name for f in fields(TrainConfig)}
    if unknown:
        raise ConfigError(f"unknown training option(s): {', '.join(sorted(unknown))}")
    return replace(RECIPES[recipe], **given).validate()
