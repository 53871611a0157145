"""Reading weights files safely and fitting state dicts into models, each problem one line.

Every checkpoint and weights file cnn-tui reads goes through ``read_torch_file`` (the safe
``weights_only`` loader, with torch's own warnings kept off the terminal) or, for weights,
``read_weights_file`` (which also reads ``.safetensors``), and every state dict through
``fit_state_dict`` (``module.`` prefixes of DataParallel/DistributedDataParallel,
``_orig_mod.`` of ``torch.compile`` and Lightning's ``model.`` removed, nested or not; a state
dict that does not fit is named by its first differing keys and shapes).
"""

from __future__ import annotations

import pickle
import pickletools
import re
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present

from engine.errors import CheckpointError

# DataParallel / DDP, torch.compile, and a LightningModule holding the network as self.model
WRAPPER_PREFIXES = ("module.", "_orig_mod.", "model.")
# Entries of a checkpoint dict that hold the state dict: cnn-tui's, the PyTorch tutorials'
# (model_state_dict), Lightning's and many training scripts' (state_dict), and "model".
STATE_DICT_KEYS = ("model_state", "model_state_dict", "state_dict", "model")
SAFETENSORS_SUFFIX = ".safetensors"
SHOWN_KEYS = 3  # keys named per kind of difference before "and N more"


def one_line(exc: BaseException, limit: int = 120) -> str:
    """An exception's whole message on one line (whitespace collapsed), cut at ``limit``."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_torch_file(
    path: str | Path, what: str, fix: str, map_location: str | torch.device = "cpu"
) -> Any:
    """``torch.load(path, map_location, weights_only=True)``, torch's warnings suppressed.

    ``what`` names the file's role ("checkpoint", "weights file") and ``fix`` ends the message.
    Raises CheckpointError (one line) when the file is missing, truncated, not a torch file,
    or holds objects the safe loader refuses (a hostile pickle is never run).
    """
    file = Path(path).expanduser()
    if file.is_dir():
        raise CheckpointError(f"{what} {file} is a folder; pass the file itself")
    if not file.is_file():
        raise CheckpointError(f"{what} {file} does not exist; check the path")
    try:
        with warnings.catch_warnings():
            # torch warns about legacy pickles and TorchScript archives before refusing them
            warnings.simplefilter("ignore")
            return torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        # The safe loader names a refused class as a GLOBAL; any other unpickling error is a
        # file that is not a pickle at all (random bytes, a truncated or foreign file).
        if "global" in str(exc).lower() or names_python_objects(file):
            reason = "it holds Python objects other than tensors, which the safe loader refuses"
            refused = re.search(r"GLOBAL ([\w.]+)", str(exc))
            reason += f": {refused[1]}" if refused else ""
        else:
            reason = "truncated, corrupt or not a torch file"
    except Exception as exc:  # truncated zip, not torch at all, unreadable: the user's to fix
        reason = f"truncated, corrupt or not a torch file: {type(exc).__name__}"
        if str(exc).strip():
            reason += f": {one_line(exc, 80)}"
    raise CheckpointError(f"{file} is not a readable {what} ({reason}); {fix}")


# Opcodes that make the unpickler import or call something: what a hostile pickle needs.
OBJECT_OPCODES = {"GLOBAL", "STACK_GLOBAL", "INST", "OBJ", "REDUCE", "NEWOBJ", "NEWOBJ_EX"}


def names_python_objects(file: Path) -> bool:
    """Whether ``file`` is a plain pickle (or several, as torch's legacy format writes) that
    imports or calls Python objects. Read with ``pickletools.genops``, which parses opcodes and
    runs nothing; random bytes stop the parse and count as no."""
    with file.open("rb") as handle:
        try:
            while True:
                for opcode, _, _ in pickletools.genops(handle):
                    if opcode.name in OBJECT_OPCODES:
                        return True
                if not handle.peek(1):  # the last pickle ended the file
                    return False
        except Exception:  # not a pickle (any more): nothing hostile was seen
            return False


def is_safetensors(file: Path) -> bool:
    """Whether ``file`` is a safetensors file: by its name, or by its header (8 bytes of
    little-endian header length, then the JSON header's "{"), so a renamed one is read too."""
    if file.suffix == SAFETENSORS_SUFFIX:
        return True
    with file.open("rb") as handle:
        head = handle.read(9)
    size = file.stat().st_size
    return len(head) == 9 and head[8:] == b"{" and int.from_bytes(head[:8], "little") < size


def read_weights_file(path: str | Path, what: str, fix: str) -> Any:
    """The content of a weights file: a torch file (``read_torch_file``) or a ``.safetensors``
    file (its tensors by name, on the CPU). CheckpointError (one line) when it is missing,
    truncated or corrupt."""
    file = Path(path).expanduser()
    if not file.is_file() or not is_safetensors(file):
        return read_torch_file(file, what, fix)
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(file, device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        reason = one_line(exc, 80)
    raise CheckpointError(f"{file} is not a readable safetensors {what} ({reason}); {fix}")


def state_dict_of(content: Any, source: str) -> dict[str, Any]:
    """The state dict in a loaded file: a bare one, or a checkpoint's ``model_state``,
    ``model_state_dict``, ``state_dict`` or ``model`` entry, nested in as many such dicts
    as it is. CheckpointError when there is none."""
    while isinstance(content, dict):
        inner = next((content[key] for key in STATE_DICT_KEYS if key in content), None)
        if not isinstance(inner, dict):
            break
        content = inner
    if not isinstance(content, dict) or not content:
        kind = type(content).__name__ if not isinstance(content, dict) else "empty dict"
        raise CheckpointError(
            f"{source} holds a {kind}, not a state dict; pass a file saved with "
            "torch.save(model.state_dict(), PATH) or a cnn-tui checkpoint"
        )
    bad = next((k for k, v in content.items() if not isinstance(v, torch.Tensor)), None)
    if bad is not None:
        raise CheckpointError(
            f"{source}: entry {bad!r} is a {type(content[bad]).__name__}, not a tensor; "
            "pass a state dict of tensors"
        )
    return content


def strip_wrapper_prefixes(state: dict[str, Any], model: nn.Module) -> dict[str, Any]:
    """``state`` without the key prefixes that wrapping a model adds, unless the model's own
    keys have them, then without an attribute name that all keys share when that makes them
    the model's. Returns a new dict; the caller's is unchanged."""
    own = list(model.state_dict())
    stripped: dict[str, Any] = OrderedDict(state)
    changed = True
    while changed:  # wrappers nest: torch.compile over DataParallel gives "_orig_mod.module."
        changed = False
        for prefix in WRAPPER_PREFIXES:
            if (
                stripped
                and all(k.startswith(prefix) for k in stripped)
                and not any(k.startswith(prefix) for k in own)
            ):
                consume_prefix_in_state_dict_if_present(stripped, prefix)
                changed = True
    return _strip_attribute_prefix(stripped, set(own))


def _strip_attribute_prefix(state: dict[str, Any], own: set[str]) -> dict[str, Any]:
    """``state`` without one first name all its keys share ("net.", "backbone.": the attribute
    a LightningModule or wrapper class keeps the network in) when that gives exactly the
    model's keys; else ``state`` as it is."""
    firsts = {key.split(".", 1)[0] for key in state}
    if len(firsts) != 1 or set(state) == own or "." not in next(iter(state), ""):
        return state
    prefix = firsts.pop() + "."
    inner = OrderedDict((key[len(prefix) :], value) for key, value in state.items())
    return inner if set(inner) == own else state


def _shape(tensor: Any) -> str:
    return str(list(tensor.shape)) if hasattr(tensor, "shape") else "?"


def _listed(keys: list[str], shapes: dict[str, Any]) -> str:
    shown = ", ".join(f"{k} {_shape(shapes[k])}" for k in keys[:SHOWN_KEYS])
    return shown + (f" and {len(keys) - SHOWN_KEYS} more" if len(keys) > SHOWN_KEYS else "")


def state_dict_differences(state: dict[str, Any], model: nn.Module) -> str:
    """What keeps ``state`` from loading into ``model``, in words: the first keys whose shapes
    differ, then keys the model needs but the file lacks, then keys the model has no place for."""
    expected = model.state_dict()
    mismatched = [
        k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)
    ]
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    parts = []
    if mismatched:
        first = mismatched[0]
        more = f" (and {len(mismatched) - 1} more)" if len(mismatched) > 1 else ""
        parts.append(
            f"{first} is {_shape(state[first])} in the file but {_shape(expected[first])} "
            f"in the model{more}"
        )
    if missing:
        parts.append(f"missing {_listed(missing, expected)}")
    if unexpected:
        parts.append(f"unexpected {_listed(unexpected, state)}")
    return "; ".join(parts)


def fit_state_dict(
    model: nn.Module, state: dict[str, Any], source: str, name: str, fix: str
) -> None:
    """Load ``state`` into ``model`` (strict), wrapper prefixes removed first.

    Raises CheckpointError "{source} does not fit model {name}: {differences}; {fix}" naming
    the first mismatching, missing or unexpected keys with their shapes.
    """
    state = strip_wrapper_prefixes(state, model)
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        detail = state_dict_differences(state, model) or one_line(exc)
        raise CheckpointError(f"{source} does not fit model {name}: {detail}; {fix}") from None


def load_weights(model: nn.Module, path: str | Path, name: str, fix: str) -> None:
    """Read a weights file (a state dict, a checkpoint holding one, a Lightning checkpoint or a
    ``.safetensors`` file) into ``model``.

    CheckpointError (one line ending in ``fix``) when it is missing, unreadable or does not fit.
    """
    content = read_weights_file(path, "weights file", fix)
    fit_state_dict(model, state_dict_of(content, str(path)), str(path), name, fix)
