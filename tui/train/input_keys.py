"""Which Train-tab keys make sense for the input in view: a test digit, or the ``--image`` picture.

AlexNet takes 3x224x224 photos and names ImageNet classes: in photo mode the digit keys
(``h``/``l``, ``r``, ``m``) would swap the photo for an MNIST digit it cannot classify, and ``m``
(the next misclassified digit) means nothing for it at all. A digit model given ``--image``
can leave the picture for the test digits and come back with ``i``. ``TrainTab.check_action``
disables a key with a problem (the footer dims it) and says why when it is pressed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.train.keys import TRAIN_KEYS
from tui.train.local_digits import MNIST_INPUT

if TYPE_CHECKING:
    from textual import events

    from tui.train.tab import TrainTab

DIGIT_ACTIONS = ("sample", "random_sample", "misclassified")
SHOW_IMAGE = "show_image"


def takes_digits(info: dict[str, Any]) -> bool:
    """Whether the model takes MNIST digits (1x28x28); True before any model has loaded."""
    shape = info.get("input_shape")
    return shape is None or tuple(shape) == MNIST_INPUT


def input_key_problem(
    action: str, info: dict[str, Any], showing_image: bool, image: str | None
) -> str | None:
    """Why ``action`` makes no sense for the input in view (one line), or None when it does.

    ``info`` is the model's ``load`` info, ``showing_image`` whether the ``--image`` picture
    (``image``, None when none was given) is the input in view."""
    name = info.get("name") or "this model"
    if action in DIGIT_ACTIONS and not takes_digits(info):
        if showing_image:
            return (
                f"{name} classifies photos into ImageNet classes; an MNIST digit is not "
                "its input, so the photo stays"
            )
        if action == "misclassified":
            return f"{name} names ImageNet classes, not digits: no digit is right or wrong"
    if action == SHOW_IMAGE:
        if image is None:
            return "no picture to show: start cnn-tui with --image PATH"
        if showing_image:
            return "the picture is already the input in view"
    return None


class InputKeys:
    """The Train tab's keys checked against the input in view: ``problem`` for its
    ``check_action``, ``explain`` for a disabled key pressed, ``show_image`` for ``i``."""

    def __init__(self, tab: TrainTab) -> None:
        self.tab = tab

    def problem(self, action: str) -> str | None:
        """Why ``action`` makes no sense for the input in view, or None."""
        tab = self.tab
        if action == "toggle_training":  # a model for inspection only (AlexNet)
            return tab.control.train_problem()
        showing_image = tab.selection.sample_index < 0
        return input_key_problem(action, tab.inspector.info, showing_image, tab.options.image)

    def explain(self, event: events.Key) -> None:
        """A key disabled by ``check_action`` reaches the tab unhandled: say why it does
        nothing (the notification names the key and the reason)."""
        for key in TRAIN_KEYS:
            action = key.action.split("(")[0]  # "sample(1)": the action's name
            if event.key in key.keys.split(",") and (problem := self.problem(action)):
                event.stop()
                self.tab.notify(f"{key.display}: {problem}.", timeout=4)
                return

    def show_image(self) -> None:
        """The --image picture as the input again (index -1), after test digits."""
        if self.tab.options.image:
            self.tab.engine.want("image", "image", path=self.tab.options.image)
