"""The engine's answers for the Train tab's inspector: kernels, maps, samples and jumps.

Each answer is shown only while it still matches the selection (keys move faster than the
engine answers); ``handlers`` maps each request purpose to its method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.train.inspector_requests import TEST_SAMPLES

if TYPE_CHECKING:
    from tui.train.inspector_requests import InspectorFeed, Selection
    from tui.train.tab import TrainTab

Handler = Callable[[dict[str, Any], dict[str, Any]], None]


class InspectorReplies:
    """Hands the answers to the inspector (``tab.inspector``) when they are still wanted."""

    def __init__(self, selection: Selection, feed: InspectorFeed, tab: TrainTab) -> None:
        self.selection = selection
        self.feed = feed
        self.tab = tab

    def handlers(self) -> dict[str, Handler]:
        """Request purpose -> the method that shows its payload."""
        return {
            "kernels": self.got_kernels,
            "activations": self.got_activations,
            "many": self.got_many,
            "explain": self.got_explain,
            "story": self.got_story,
            "sample": self.got_sample,
            "image": self.got_image,
            "misclassified": self.got_misclassified,
        }

    def got_kernels(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if payload.get("layer") == self.selection.layer_name:
            self.tab.inspector.set_kernels(payload)

    def got_activations(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        chosen = self.selection
        if payload.get("layer") == chosen.layer_name and payload.get("index") == (
            chosen.sample_index
        ):
            self.tab.inspector.set_activations(payload)

    def got_many(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if payload.get("layer") == self.selection.layer_name:
            self.tab.inspector.set_many(payload)

    def got_explain(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if kwargs.get("index") == self.selection.sample_index:
            self.tab.inspector.set_explanation(payload)

    def got_story(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        chosen = self.selection
        if payload.get("layer") == chosen.layer_name and payload.get("index") == (
            chosen.sample_index
        ):
            self.tab.inspector.set_story(payload)

    def got_sample(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if payload.get("index") == self.selection.sample_index:
            self.tab.inspector.set_sample(payload)

    def got_image(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        """The --image picture replaced the digits (index -1)."""
        self.selection.sample_index = payload.get("index", -1)
        self.tab.inspector.set_sample(payload)
        self.feed.refresh(kernels=False, sample=False)

    def got_misclassified(self, payload: dict[str, Any], kwargs: dict[str, Any]) -> None:
        index = payload.get("index")
        if index is None:
            self.tab.notify("The model gets every test digit right.")
            return
        self.tab.notify(
            f"Test digit {index} is misclassified ({payload.get('count', '?')} of "
            f"{TEST_SAMPLES:,} are).",
            timeout=3,
        )
        self.feed.select_sample(int(index))
