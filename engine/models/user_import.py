"""Importing the user's model file or module: a file as a module of a package made for its
folder (its own imports of the files beside it work), a module by name; an error in their
code is their traceback trimmed to their files."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from engine.errors import ModelSourceError
from engine.models.user_traceback import is_user_file, user_error

USER_PACKAGE_PREFIX = "cnn_tui_user_"  # + a hash of the model file's folder
# Modules the last model file imported from its own folder (its helpers.py): forgotten before
# the next model file runs, so each model gets its own, current helpers.
_HELPER_MODULES: set[str] = set()


@dataclass(frozen=True)
class Imported:
    """An imported model module and how to name it and its files."""

    module: ModuleType
    label: str  # "model.py" or "package.module": how messages name where the model lives
    source: str
    roots: tuple[str, ...]  # the user's files: frames inside them are theirs


def import_file(location: str) -> Imported:
    """Run the file as a module of a package made for its folder, so that both its sibling
    imports (``import helpers``: the folder goes on sys.path, as for a script) and its relative
    ones (``from .helpers import Block``) find the files beside it. Run afresh every call, so
    an edited file is read again."""
    path = Path(location).expanduser().resolve()
    folder = str(path.parent)
    stem = "".join(ch if ch.isalnum() else "_" for ch in path.stem)
    module_name = f"{_package_for(folder)}.{stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ModelSourceError(f"model file {location} cannot be read as Python; pass a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    roots = (folder,)
    before = set(sys.modules)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(module_name, None)
        raise user_error(exc, roots, f"importing {path.name}") from None
    finally:
        _HELPER_MODULES.update(
            name
            for name in set(sys.modules) - before
            if is_user_file(str(getattr(sys.modules[name], "__file__", None) or "<>"), roots)
        )
    return Imported(module, path.name, str(path), roots)


def _package_for(folder: str) -> str:
    """The name of the package made for ``folder`` (its files are its modules), with the
    folder first on sys.path and the previous model's helper modules forgotten."""
    if folder in sys.path:  # first, as for a script: its helpers.py before any other
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    for old in _HELPER_MODULES:  # helpers.py of an earlier model, or an older helpers.py
        sys.modules.pop(old, None)
    _HELPER_MODULES.clear()
    package = USER_PACKAGE_PREFIX + hashlib.sha1(folder.encode()).hexdigest()[:12]
    if package not in sys.modules:
        spec = importlib.util.spec_from_loader(package, None, is_package=True)
        assert spec is not None and spec.submodule_search_locations is not None
        spec.submodule_search_locations.append(folder)
        sys.modules[package] = importlib.util.module_from_spec(spec)
    return package


def import_module(location: str) -> Imported:
    """import_module(location); a module that is not there is one line, an error inside it
    the user's traceback trimmed to the files of its top-level package."""
    roots = _module_roots(location.split(".")[0])
    try:
        module = importlib.import_module(location)
    except ModuleNotFoundError as exc:
        if exc.name and (location == exc.name or location.startswith(exc.name + ".")):
            raise ModelSourceError(
                f"no module named {location!r}; check the name, or pass its file as "
                f"path/to/{location.split('.')[-1]}.py:Name"
            ) from None
        raise user_error(exc, roots, f"importing {location}") from None
    except (Exception, SystemExit) as exc:
        raise user_error(exc, roots, f"importing {location}") from None
    return Imported(module, location, location, roots)


def _module_roots(top: str) -> tuple[str, ...]:
    """The folder of a top-level package, or the file of a top-level module."""
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return ()
    if spec is None:
        return ()
    if spec.submodule_search_locations:
        return tuple(str(Path(path).resolve()) for path in spec.submodule_search_locations)
    return (str(Path(spec.origin).resolve()),) if spec.origin else ()
