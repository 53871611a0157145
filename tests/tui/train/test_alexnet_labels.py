"""Issue 13 point 4: AlexNet in the app names ImageNet classes, says when its weights are random,
and in photo mode the keys that would swap the photo for an MNIST digit are disabled and say why;
a digit model given ``--image`` can go to the test digits and back to the picture (``i``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tui.train.probabilities import Probabilities
from tui.train.sample_panel import RANDOM_WEIGHTS
from tui.widgets.heatmap import HeatmapGrid

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]
# Names like ImageNet's (the engine sends torchvision's; the UI only shows what it is sent).
IMAGENET_LIKE = [f"class {i}" for i in range(1000)]
IMAGENET_LIKE[285] = "Egyptian cat"
IMAGENET_LIKE[281] = "tabby"


@pytest.fixture
def photo(tmp_path: Path) -> str:
    path = tmp_path / "photo.png"
    path.write_bytes(b"not read by the fake engine")
    return str(path)


@pytest.fixture
def alexnet_fake(fake_engine_class: type) -> type:
    """A FakeEngine whose ``alexnet`` takes 3x224x224 photos, names 1000 ImageNet-like classes
    and reports random weights, as the engine does for AlexNet without pretrained weights."""

    class AlexNetFake(fake_engine_class):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__(models=("tiny", "alexnet"))

        def op_load(self, model: str | None = None, **kwargs: Any) -> dict[str, Any]:
            payload = super().op_load(model=model, **kwargs)
            if model == "alexnet":
                payload["info"].update(
                    name="alexnet",
                    input_shape=(3, 224, 224),
                    weights="random init (no pretrained weights found: pass --weights FILE)",
                )
                payload["classes"] = IMAGENET_LIKE
            return payload

        def op_sample(self, index: int, split: str = "test") -> dict[str, Any]:
            payload = super().op_sample(index, split)
            if self.model != "alexnet":
                return payload
            probs = np.full(1000, 0.0005, dtype=np.float32)
            probs[[281, 285]] = (0.2, 0.3)
            payload.update(probs=probs, pred=285, random_weights=True)
            if index == -1:
                payload["image"] = np.zeros((3, 224, 224), np.uint8)
            return payload

    return AlexNetFake


def probabilities_text(app: Any) -> str:
    return app.main.query_one(Probabilities).as_text().plain


def caption(app: Any) -> str:
    return app.main.query_one("#digit", HeatmapGrid).model.caption


@pytest.mark.parametrize("size", SIZES)
async def test_alexnet_names_imagenet_classes_and_says_its_weights_are_random(
    make_app, ready, wait_for, alexnet_fake, photo, size
) -> None:
    app, _ = make_app(alexnet_fake(), model="alexnet", image=photo)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        tab = app.main.train
        await wait_for(pilot, lambda: tab.sample_index == -1, "the photo")
        await wait_for(pilot, lambda: RANDOM_WEIGHTS in probabilities_text(app), "the label")
        lines = probabilities_text(app).split("\n")
        assert lines[0] == RANDOM_WEIGHTS
        # The most probable class first, by name: whole where the column is wide enough,
        # else cut with an ellipsis (never a class number).
        first = lines[1].split(" P")[0].strip()
        assert first == "Egyptian cat" or (first.endswith("…") and len(first) >= 7)
        assert "Egyptian cat".startswith(first.rstrip("…")) and "tabby" in lines[2]
        if app.main.query_one(Probabilities).size.width >= 24:
            assert first == "Egyptian cat"
        assert caption(app) == "pred Egyptian cat"


async def test_a_digit_shown_to_alexnet_is_not_graded_against_imagenet_classes(
    make_app, ready, wait_for, alexnet_fake
) -> None:
    app, _ = make_app(alexnet_fake(), model="alexnet")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: "pred" in caption(app), "the prediction")
        assert caption(app) == "digit 7 · pred Egyptian cat"  # test digit 0 is a 7
        assert " T" not in probabilities_text(app)  # 7 is no ImageNet class of this digit


@pytest.mark.parametrize("keys", [("r",), ("l",), ("h",), ("left",), ("m",)])
async def test_in_photo_mode_alexnet_s_digit_keys_are_disabled_and_say_why(
    make_app, ready, wait_for, alexnet_fake, photo, keys
) -> None:
    app, fake = make_app(alexnet_fake(), model="alexnet", image=photo)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        tab = app.main.train
        await wait_for(pilot, lambda: tab.sample_index == -1, "the photo")
        for action in ("random_sample", "sample", "misclassified"):
            assert tab.check_action(action, ()) is None  # dimmed in the footer
        before = len(fake.sent)
        await pilot.press(*keys)
        await wait_for(
            pilot,
            lambda: any("the photo stays" in n.message for n in app._notifications),
            "the reason",
        )
        await pilot.pause(0.1)
        assert tab.sample_index == -1 and caption(app) == "pred Egyptian cat"
        asked = fake.sent[before:]
        assert all(kwargs.get("index", -1) == -1 for _, kwargs in asked)
        assert "misclassified" not in [op for op, _ in asked]


async def test_a_digit_model_given_a_picture_goes_to_the_digits_and_back(
    make_app, ready, wait_for, photo, sent
) -> None:
    app, fake = make_app(image=photo)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        tab = app.main.train
        await wait_for(pilot, lambda: tab.sample_index == -1, "the picture")
        assert tab.check_action("show_image", ()) is None  # the picture is in view
        await pilot.press("r")
        await wait_for(pilot, lambda: tab.sample_index >= 0, "a test digit")
        await wait_for(pilot, lambda: caption(app).startswith("true "), "the graded digit")
        assert tab.check_action("show_image", ()) is True
        images_before = len(sent(fake, "image"))
        await pilot.press("i")
        await wait_for(pilot, lambda: tab.sample_index == -1, "the picture again")
        assert len(sent(fake, "image")) == images_before + 1
        assert caption(app).startswith("pred ")


async def test_without_a_picture_i_says_how_to_give_one(make_app, ready, wait_for) -> None:
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert app.main.train.check_action("show_image", ()) is None
        await pilot.press("i")
        await wait_for(
            pilot,
            lambda: any("--image PATH" in n.message for n in app._notifications),
            "the reason",
        )
