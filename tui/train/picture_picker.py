"""PicturePicker: a dialog to choose a picture file (a DirectoryTree of folders and pictures)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label

# What Pillow reads that a person would call a picture (engine.data.images.read_picture).
PICTURE_SUFFIXES = frozenset(
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".bmp",
        ".gif",
        ".tif",
        ".tiff",
        ".webp",
        ".pgm",
        ".ppm",
        ".pbm",
        ".pnm",
        ".ico",
        ".tga",
    ]
)


def is_picture_name(path: Path) -> bool:
    """Whether ``path``'s name ends as a picture file's does (any case)."""
    return path.suffix.lower() in PICTURE_SUFFIXES


class PictureTree(DirectoryTree):
    """A DirectoryTree that lists folders and picture files only, hidden ones left out."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [
            path
            for path in paths
            if not path.name.startswith(".") and (_is_folder(path) or is_picture_name(path))
        ]


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # unreadable: left out
        return False


class PicturePicker(ModalScreen[Path | None]):
    """Pick a picture under ``start`` (enter opens a folder or picks a file; escape cancels).
    Dismissed with the file's path, or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("backspace", "up", "Up a folder"),
    ]
    DEFAULT_CSS = """
    PicturePicker #picture-dialog { width: 76; max-width: 100%; height: 80%; }
    PicturePicker PictureTree { height: 1fr; }
    """

    def __init__(self, start: Path) -> None:
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical(id="picture-dialog", classes="dialog"):
            yield Label("Open a picture", classes="dialog-title")
            yield Label(str(self.start), id="picture-path", classes="dialog-hint", markup=False)
            yield PictureTree(self.start, id="picture-tree")
            yield Input(placeholder="or type a folder or picture path (tab here, enter opens)",
                        id="picture-path-input")  # fmt: skip
            yield Label("enter opens · backspace: .. (up a folder) · escape cancels",
                        classes="dialog-hint", markup=False)  # fmt: skip

    def on_mount(self) -> None:
        self.query_one(PictureTree).focus()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(event.path)

    def action_up(self) -> None:
        """The tree shows the folder above the one it shows (the root folder stays)."""
        tree = self.query_one(PictureTree)
        folder = Path(tree.path).resolve()
        if folder.parent != folder:
            tree.path = folder.parent
            self.query_one("#picture-path", Label).update(str(folder.parent))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """A typed folder shows in the tree, a typed file is picked; else one line says so."""
        event.stop()
        path = Path(event.value.strip()).expanduser()
        if path.is_dir():
            self.query_one(PictureTree).path = path.resolve()
            self.query_one("#picture-path", Label).update(str(path.resolve()))
        elif path.is_file():
            self.dismiss(path.resolve())
        else:
            self.query_one("#picture-path", Label).update(f"no such file or folder: {path}")

    def action_cancel(self) -> None:
        self.dismiss(None)
