"""SampleInputs: the Workbench's inputs (the model's dataset, checked indices, the custom image).

The splits are those of the dataset the model in view records (``ModelInfo.dataset``: the
bundled MNIST, Fashion-MNIST, an image folder or CIFAR-10; while a run trains, the run's own
dataset). Turns sample indices into model input on the model's device, uint8 images for
display ((H, W) for one channel, (C, H, W) for colour) and labels. Index ``CUSTOM_INDEX`` (-1)
names the picture file set with the ``image`` op, or the drawing set with the ``drawn`` op
(the later of the two).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine.data.mnist import MnistSplit
from engine.process.current_model import CurrentModel, OpError
from engine.process.protocol import CUSTOM_INDEX

SPLITS = ("test", "train")
# Datasets whose images have one fixed size: read at it, resized per batch for the model
# (AlexNet's 3x224x224 from MNIST's 28x28 digits would be 1.5 GB all at once)
FIXED_SIZE = ("mnist", "fashion-mnist")


class SampleInputs:
    """The MNIST splits (loaded on first use) and the custom image, as model inputs."""

    def __init__(self, current: CurrentModel, data_dir: str | Path | None = None) -> None:
        self.current = current
        self.data_dir = data_dir
        self.image_path: str | None = None
        # The drawn canvas (uint8 (H, W), light ink on dark) when it is the custom input.
        self.drawing: np.ndarray | None = None
        self._drawings = 0  # counts drawings, so each new one is prepared anew
        self._datasets: dict[tuple, Any] = {}
        self._custom: tuple[tuple, torch.Tensor, np.ndarray] | None = None

    @staticmethod
    def _key(info: Any) -> tuple[str, tuple[int, ...] | None]:
        """(dataset, the shape it is read at: None for the fixed-size MNISTs)."""
        from engine.data.dataset_ref import parse_dataset
        from engine.errors import DataError

        try:
            ref = parse_dataset(info.dataset)
        except DataError:  # alexnet's "imagenet": no such set on disk, shown MNIST's digits
            ref = parse_dataset("mnist")
        shape = None if ref.kind in FIXED_SIZE else tuple(info.input_shape)
        return (ref.text, shape)

    def remember(self, info: Any, data: Any) -> None:
        """Keep ``data``, read for the model ``info`` describes, so its samples are not read
        twice (a folder or CIFAR-10; the MNISTs are read at their own size anyway)."""
        key = self._key(info)
        if data is not None and key[1] is not None:
            self._datasets = {key: data}

    def dataset(self) -> Any:
        """The dataset (engine.data.datasets.Dataset) of the model in view: the training run's
        own while one trains, else the one its info names, read once."""
        _, info = self.current.require()
        key = self._key(info)
        state = self.current.state
        if getattr(state, "dataset", None) is not None and state.dataset.name == key[0]:
            return state.dataset
        if key not in self._datasets:
            from engine.data.datasets import load_dataset

            self._datasets.clear()  # one dataset at a time: a folder may be large
            self._datasets[key] = load_dataset(key[0], key[1], self.data_dir)
        return self._datasets[key]

    def split(self, name: str = "test") -> MnistSplit:
        """The named split ('test' or 'train') of the model's dataset, read once; OpError for
        another name."""
        if name not in SPLITS:
            raise OpError(f"unknown split {name!r}; use 'test' or 'train'")
        return getattr(self.dataset(), name)

    def class_names(self) -> tuple[str, ...]:
        """The class names of the model in view (its info's, as its dataset gave them)."""
        _, info = self.current.require()
        return tuple(info.classes)

    def check_index(self, index: Any, split: str) -> int:
        """``index`` as an int within the split (or CUSTOM_INDEX when an image is set)."""
        try:
            value = operator.index(index)
        except TypeError:
            raise OpError(f"sample index {index!r} is not an integer") from None
        if value == CUSTOM_INDEX:
            if self.image_path is None and self.drawing is None:
                raise OpError(
                    "index -1 is the custom image, but none is set; send image(path=...) "
                    "or drawn(pixels=...) first"
                )
            return value
        count = len(self.split(split))
        if not 0 <= value < count:
            raise OpError(
                f"sample index {value} is out of range for the {split} split; use 0 to {count - 1}"
            )
        return value

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images (B, H, W) or (B, C, H, W) as the model's normalised input (B, C, H, W):
        resized to its input size, grey copied to every channel or colour averaged to grey
        when the channel counts differ, standardised with its per-channel mean and std."""
        _, info = self.current.require()
        channels, height, width = info.input_shape
        x = images.to(torch.float32).div(255.0)
        if x.dim() == 3:
            x = x.unsqueeze(1)
        if tuple(x.shape[-2:]) != (height, width):
            x = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False)
        if x.shape[1] != channels:
            x = x.mean(dim=1, keepdim=True) if channels == 1 else x[:, :1]
            x = x.expand(-1, channels, -1, -1)
        mean = torch.tensor(info.mean, dtype=torch.float32).reshape(1, -1, 1, 1)
        std = torch.tensor(info.std, dtype=torch.float32).reshape(1, -1, 1, 1)
        return ((x - mean) / std).contiguous()

    prepare_mnist = prepare  # the name the inspection ops know it by

    def set_drawing(self, canvas: np.ndarray | None) -> None:
        """Make ``canvas`` (uint8 (H, W), light ink on dark) the custom input; None: none."""
        self.drawing = None if canvas is None else np.array(canvas, dtype=np.uint8)
        self._drawings += 1

    def _custom_picture_input(self, info: Any) -> torch.Tensor:
        """The drawing (never inverted: it is light on dark) or the picture file as input."""
        from engine.inspect.activations import load_image, prepare_image

        if self.drawing is not None:
            from PIL import Image

            return prepare_image(Image.fromarray(self.drawing), info, invert=False)
        return load_image(self.image_path, info)

    def _custom_input(self) -> tuple[torch.Tensor, np.ndarray]:
        """The custom image as model input (1, C, H, W) and as uint8 for display."""
        from engine.inspect.activations import denormalize

        _, info = self.current.require()
        key = (self.current.generation, self.image_path, self._drawings, info)
        if self._custom is None or self._custom[0] != key:
            x = self._custom_picture_input(info).detach().to("cpu", torch.float32)
            pixels = np.rint(denormalize(x, info) * 255.0).astype(np.uint8)
            display = pixels[0] if pixels.shape[0] == 1 else pixels
            self._custom = (key, x, np.ascontiguousarray(display))
        return self._custom[1], self._custom[2]

    def inputs(
        self, indices: Sequence[int], split: str = "test"
    ) -> tuple[torch.Tensor, list[np.ndarray], list[int | None]]:
        """Model inputs on the model's device, display images and labels for sample indices."""
        checked = [self.check_index(i, split) for i in indices]
        parts, images, labels = [], [], []
        for index in checked:
            if index == CUSTOM_INDEX:
                x, display = self._custom_input()
                parts.append(x)
                images.append(display)
                labels.append(None)
            else:
                data = self.split(split)
                raw = data.images[index : index + 1].cpu()
                parts.append(self.prepare(raw))
                images.append(raw[0].numpy().copy())
                labels.append(int(data.labels[index]))
        x = torch.cat(parts) if parts else torch.empty(0)
        return x.to(self.current.device()), images, labels
