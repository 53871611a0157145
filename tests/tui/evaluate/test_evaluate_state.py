"""Unit tests of the Evaluate tab's plain state (EvaluateState): keys, replies and requests."""

from __future__ import annotations

import numpy as np

from tui.evaluate.state import DIGIT_OPS, EvaluateState, Step

EVALUATION = {
    "split": "test",
    "count": 20,
    "loss": 0.5,
    "accuracy": 0.9,
    "wrong": 2,
    "confusion": np.eye(10, dtype=np.int64) * 2,
    "per_class": [1.0] * 10,
}


def gallery(true: int | None, pred: int | None, items: int = 3, pages: int = 2) -> dict:
    rows = [{"index": 10 + i, "label": true, "pred": pred} for i in range(items)]
    return {"true": true, "pred": pred, "items": rows, "page": 0, "pages": pages, "total": 9}


def test_enter_on_the_matrix_opens_the_cell_once_evaluated():
    state = EvaluateState()
    assert state.open_key("matrix", (3, 5), 12) == Step()
    state.evaluation = EVALUATION
    step = state.open_key("matrix", (3, 5), 12)
    assert step.view == "gallery" and step.draw
    assert step.requests == [
        ("gallery", "gallery", {"true": 3, "pred": 5, "page": 0, "per_page": 12})
    ]


def test_gallery_replies_for_a_cell_left_since_are_dropped():
    state = EvaluateState()
    state.open_gallery(3, 5, 12)
    assert not state.got_gallery(gallery(1, 1), {"true": 1, "pred": 1})
    assert state.got_gallery(gallery(3, 5), {"true": 3, "pred": 5})
    assert state.selected_item == {"index": 10, "label": 3, "pred": 5}


def test_selection_and_pages_stay_in_range():
    state = EvaluateState()
    state.open_gallery(None, None, 12)
    state.got_gallery(gallery(None, None), {"true": None, "pred": None})
    state.move_selection(10)
    assert state.selected == 2 and state.current_index("gallery") == 12
    assert state.current_index("matrix") is None
    assert state.page_key("gallery", -1, 12) == Step()  # already on the first page
    step = state.page_key("gallery", 1, 12)
    assert state.gallery_page == 1 and state.selected == 0 and step.requests[0][2]["page"] == 1
    assert state.page_key("gallery", 1, 12) == Step()  # the last page


def test_enter_on_a_digit_explains_it_and_escape_goes_back():
    state = EvaluateState()
    state.open_gallery(3, 5, 12)
    state.got_gallery(gallery(3, 5), {"true": 3, "pred": 5})
    step = state.open_key("gallery", (0, 0), 12)
    assert step.view == "digit" and [r[0] for r in step.requests] == list(DIGIT_OPS)
    assert {r[1] for r in step.requests} == {"attribute"}  # true and predicted class at once
    assert step.requests[0][2] == {"index": 10, "method": "saliency"}
    assert state.back_from("digit") == "gallery" and state.back_from("gallery") == "matrix"


def test_digit_parts_the_method_key_and_the_grad_cam_layer():
    state = EvaluateState()
    state.explain(7, 4, "matrix")
    assert not state.got_digit_part("saliency", {"index": 8})
    layers = {"index": 7, "layer": "relu2", "layers": ["relu1", "relu2"], "convs": ["c1", "c2"]}
    assert state.got_digit_part("gradcam", layers)
    assert state.gradcam_layer == "relu2" and state.gradcam_layers == ["relu1", "relu2"]
    assert state.conv_layers == ["c1", "c2"]  # act-max's layers: the convs themselves
    step = state.method_key("digit")
    assert state.overlay_method == "gradcam" and step.draw and not step.requests
    state.method_key("digit")
    assert state.overlay_method == "occlusion"
    step = state.layer_key("digit")
    assert state.gradcam_layer == "relu1" and state.overlay_method == "gradcam"
    assert step.requests == [
        ("gradcam", "attribute", {"index": 7, "method": "gradcam", "layer": "relu1"})
    ]
    assert state.method_key("matrix") == Step()


def test_actmax_key_layer_and_channel():
    state = EvaluateState()
    step = state.actmax_key("gallery")
    assert step.view == "actmax" and state.back_from("actmax") == "gallery"
    assert step.requests == [("actmax", "actmax", {"target_class": 0})]
    assert state.actmax_key("actmax") == Step()
    payload = {"layer": "fc2", "target": 0, "probability": 0.9, "layers": ["conv1", "conv2"]}
    assert state.got_actmax(payload, {"target_class": 0}, "actmax").requests == [
        ("actmax", "actmax", {"target_class": 1})
    ]
    assert state.channel_key("actmax", 1) == Step(draw=True) and state.actmax.page == 1
    step = state.layer_key("actmax")
    assert step.requests == [("actmax", "actmax", {"layer": "conv1", "channel": 0})]
    assert state.channel_key("digit", 1) == Step()


def test_a_problem_stays_on_the_status_line_until_cleared():
    state = EvaluateState()
    assert state.set_status("gradcam failed", error=True)
    assert not state.set_status("a hint") and state.status == "gradcam failed"
    assert state.set_status("") and state.status == ""


def test_exports_need_something_to_export():
    state = EvaluateState()
    assert state.export_parts("matrix") is None
    state.evaluation = EVALUATION
    name, kwargs = state.export_parts("matrix")
    assert name == "confusion" and kwargs["confusion"]["matrix"]["matrix"].shape == (10, 10)
    assert state.export_parts("digit") is None
