"""The layer table's tree (tui.train.layer_tree): which rows show when containers fold, their
labels, a folded block's totals (a module called twice counted once) and old flat payloads."""

from __future__ import annotations

from tui.train.layer_tree import LayerTree, row_key


def row(name, depth=1, leaf=True, params=0, macs=0, call=0, key="", recursive=False) -> dict:
    return {"name": name, "type": "X", "depth": depth, "leaf": leaf, "params": params,
            "macs": macs, "call": call, "key": key, "recursive": recursive}  # fmt: skip


ROWS = [
    row("stem", leaf=False),
    row("stem.0", 2, params=10, macs=100),
    row("block", leaf=False),
    row("block.conv", 2, params=20, macs=200),
    row("block.conv", 2, params=20, macs=200, call=1, recursive=True),
    row("block.inner", 2, leaf=False),
    row("block.inner.fc", 3, params=5, macs=5),
    row("head", params=1, macs=1),
]


def test_labels_indent_by_depth_and_name_the_part_inside_the_block() -> None:
    tree = LayerTree(ROWS)
    labels = [tree.label(i) for i in range(len(ROWS))]
    assert labels == ["▾stem", " 0", "▾block", " conv", " conv#2", " ▾inner", "  fc", "head"]
    assert tree.keys[4] == "block.conv#2" == row_key(ROWS[4])
    assert tree.first_leaf() == 1  # the first row is a block: the cursor starts on its layer


def test_folding_hides_the_subtree_and_shows_its_totals_once() -> None:
    tree = LayerTree(ROWS)
    assert tree.toggle(2)
    assert tree.visible_keys == ["stem", "stem.0", "block", "head"]
    assert tree.label(2) == "▸block"
    shown = tree.shown_row(2)
    assert (shown["params"], shown["macs"]) == (25, 405)  # conv's weights once, its MACs twice
    assert tree.toggle(5) and tree.visible_keys == ["stem", "stem.0", "block", "head"]
    assert tree.toggle(2)  # unfolding the block keeps the inner fold
    assert tree.visible_keys == ["stem", "stem.0", "block", "block.conv", "block.conv#2",
                                 "block.inner", "head"]  # fmt: skip
    assert not tree.toggle(7)  # a layer does not fold


def test_new_rows_keep_the_folds_of_blocks_still_there() -> None:
    tree = LayerTree(ROWS)
    tree.toggle(0)
    tree.set_rows(ROWS[:3])
    assert tree.folded == {"stem"} and tree.visible_keys == ["stem", "block"]


def test_a_payload_without_depths_is_a_flat_list_of_layers() -> None:
    flat = [{"name": "conv1", "params": 80}, {"name": "fc1", "params": 7850}]
    tree = LayerTree(flat)
    assert not tree.has_containers and tree.visible_keys == ["conv1", "fc1"]
    assert [tree.label(i) for i in range(2)] == ["conv1", "fc1"] and tree.leaf_count() == 2


def test_a_folded_block_counts_the_parameters_it_holds_itself() -> None:
    # ConvNeXt's block keeps a per-channel layer scale (8 numbers) outside its layers: its
    # row's params (everything inside it) says 8 more than its layers' sum
    block = row("block", leaf=False, params=28, macs=200) | {"own_params": 8}
    conv = row("block.conv", 2, params=20, macs=200) | {"own_params": 20}
    tree = LayerTree([block, conv])
    assert tree.toggle(0)
    shown = tree.shown_row(0)
    assert (shown["params"], shown["macs"]) == (28, 200)
