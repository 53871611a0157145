"""The layer table's rows as a tree: containers fold and unfold, leaves are module calls.

Plain (no Textual). Summary rows come in execution order, pre-order (a container's row before
its children's), with ``depth`` (children of the model are 1), ``call`` (0-based call of the
module), ``leaf`` (False for a residual block or an ``nn.Sequential``), ``key`` (``conv1#2``;
"" means ``name``) and ``recursive`` (a second or later call: its parameters are counted once).
Rows without these fields (older payloads) are leaves at depth 1, so a flat model is a flat list.
"""

from __future__ import annotations

from typing import Any

from engine.models.layer_keys import layer_key

EXPANDED = "▾"  # a container whose children show
FOLDED = "▸"  # a container whose children are hidden


def row_key(row: dict[str, Any]) -> str:
    """The key that names this row's call in every op (``conv1``, ``conv1#2``)."""
    key = str(row.get("key") or "")
    return key or layer_key(str(row.get("name", "")), int(row.get("call", 0) or 0))


def is_container(row: dict[str, Any]) -> bool:
    """Whether the row is a container (a block whose children have rows of their own)."""
    return not bool(row.get("leaf", True))


class LayerTree:
    """Which rows show, given the folded containers; each row's label and shown numbers.

    ``rows``: summary rows (see the module docstring). ``folded``: keys of folded containers.
    """

    def __init__(self, rows: list[dict[str, Any]] | None = None) -> None:
        self.rows: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.parents: list[int | None] = []
        self.folded: set[str] = set()
        self.visible: list[int] = []
        self.set_rows(rows or [])

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        """New rows; folds of containers that still exist are kept."""
        self.rows = [dict(row) for row in rows]
        self.keys = [row_key(row) for row in self.rows]
        self.parents = self._parents()
        containers = {
            key for key, row in zip(self.keys, self.rows, strict=True) if is_container(row)
        }
        self.folded &= containers
        self._refresh()

    def _parents(self) -> list[int | None]:
        """Each row's container (the nearest earlier row of smaller depth), None at the top."""
        parents: list[int | None] = []
        stack: list[int] = []
        for index, row in enumerate(self.rows):
            depth = self.depth(index)
            while stack and self.depth(stack[-1]) >= depth:
                stack.pop()
            parents.append(stack[-1] if stack else None)
            if is_container(row):
                stack.append(index)
        return parents

    def depth(self, index: int) -> int:
        return max(1, int(self.rows[index].get("depth", 1) or 1))

    @property
    def has_containers(self) -> bool:
        return any(is_container(row) for row in self.rows)

    def _hidden(self, index: int) -> bool:
        parent = self.parents[index]
        while parent is not None:
            if self.keys[parent] in self.folded:
                return True
            parent = self.parents[parent]
        return False

    def _refresh(self) -> None:
        self.visible = [i for i in range(len(self.rows)) if not self._hidden(i)]

    def toggle(self, index: int) -> bool:
        """Fold or unfold the container at row ``index``; False when it is not a container."""
        if not 0 <= index < len(self.rows) or not is_container(self.rows[index]):
            return False
        self.folded ^= {self.keys[index]}
        self._refresh()
        return True

    def set_folded(self, index: int, folded: bool) -> bool:
        """Fold (True) or unfold the container at ``index``; True when that changed anything."""
        if not 0 <= index < len(self.rows) or not is_container(self.rows[index]):
            return False
        if (self.keys[index] in self.folded) == folded:
            return False
        return self.toggle(index)

    def descendants(self, index: int) -> list[int]:
        """Rows inside the container at ``index`` (children, their children, ...)."""
        depth, inside = self.depth(index), []
        for later in range(index + 1, len(self.rows)):
            if self.depth(later) <= depth:
                break
            inside.append(later)
        return inside

    def subtree_totals(self, index: int) -> tuple[int, int]:
        """(parameters, MACs) of the container at ``index`` folded to one row.

        A row that carries ``own_params`` already holds its folded totals (``params``:
        everything inside it, parameters it holds itself too, such as a block's layer scale;
        ``macs``: its leaf rows'). An older row without it: its leaves' sums, a module called
        again counted once for parameters; its own numbers when it has no leaf rows."""
        row = self.rows[index]
        leaves = [self.rows[i] for i in self.descendants(index) if not is_container(self.rows[i])]
        if "own_params" in row or not leaves:
            return int(row.get("params", 0) or 0), int(row.get("macs", 0) or 0)
        params = sum(int(r.get("params", 0) or 0) for r in leaves if not r.get("recursive"))
        return params, sum(int(r.get("macs", 0) or 0) for r in leaves)

    def label(self, index: int) -> str:
        """The name cell: indented by depth, a container marked ▾ (open) or ▸ (folded), a
        child named by the part after its container's name (``layer1.0.conv1`` -> ``conv1``)."""
        row, key = self.rows[index], self.keys[index]
        name = key
        parent = self.parents[index]
        if parent is not None:
            prefix = str(self.rows[parent].get("name", "")) + "."
            if name.startswith(prefix) and len(name) > len(prefix):
                name = name[len(prefix) :]
        indent = " " * (self.depth(index) - 1)
        if is_container(row):
            return indent + (FOLDED if key in self.folded else EXPANDED) + name
        return indent + name

    def shown_row(self, index: int) -> dict[str, Any]:
        """The row as the table shows it: its label as ``name``, a container's subtree
        totals as its parameters and MACs."""
        shown = dict(self.rows[index], name=self.label(index))
        if is_container(self.rows[index]):
            shown["params"], shown["macs"] = self.subtree_totals(index)
        return shown

    def shown_rows(self) -> list[dict[str, Any]]:
        """Every row as drawn (folded or not: folding never changes the columns' widths)."""
        return [self.shown_row(i) for i in range(len(self.rows))]

    @property
    def visible_keys(self) -> list[str]:
        return [self.keys[i] for i in self.visible]

    def is_open(self, index: int) -> bool:
        """Whether the row at ``index`` is a container whose children show."""
        return is_container(self.rows[index]) and self.keys[index] not in self.folded

    def first_leaf(self) -> int:
        """Position among the visible rows of the first layer (a model's first row may be a
        block: its first conv has kernels to show); 0 when there is none."""
        return next((p for p, i in enumerate(self.visible) if not is_container(self.rows[i])), 0)

    def leaf_count(self) -> int:
        return sum(1 for row in self.rows if not is_container(row))
