"""The user's own model from "path/to/model.py:Name" or "package.module:Name": imported,
built for the data's channels and classes, and checked with one forward pass.

``Name`` is an ``nn.Module`` subclass buildable without arguments, a function returning a
module, or a module instance. A ``num_classes`` / ``in_channels`` parameter of its signature
is given the data's. Every problem is one ``ModelSourceError`` line (with the user's own
traceback after it when their code raised).
"""

from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from torch import nn

from engine.errors import ModelSourceError
from engine.models.catalog import is_file_location, model_source_problem, split_model_source
from engine.models.forward_check import check_forward
from engine.models.user_import import Imported, import_file, import_module
from engine.models.user_traceback import user_error

CLASS_PARAMETERS = ("num_classes", "n_classes")  # given len(classes)
CHANNEL_PARAMETERS = ("in_channels", "in_chans")  # given input_shape[0]
KWARGS_CLASSES = "**num_classes"  # marks num_classes offered to a **kwargs (see _call)
SHOWN_NAMES = 12  # names listed when the asked one is missing


@dataclass(frozen=True)
class UserModel:
    """A built user model: ``name`` as written after ':', ``source`` with the file's absolute
    path ("/abs/model.py:Net") or the module ("pkg.mod:Net"), the arguments it was given."""

    model: nn.Module
    name: str
    source: str
    description: str
    arguments: dict[str, int] = field(default_factory=dict)


def build_user_model(
    text: str, input_shape: tuple[int, int, int], classes: tuple[str, ...]
) -> UserModel:
    """Import, build and check the model ``text`` names, for inputs of ``input_shape``
    (C, H, W) and ``len(classes)`` output columns; in train mode, on torch's default device.

    Raises ModelSourceError: a missing file or module, not a .py file, bad syntax, no such
    name (listing the names it does define), a name that is not a module, a constructor that
    needs arguments (naming them), an exception in the user's code (their trimmed traceback),
    an input the model rejects (its own message), an output with another number of columns."""
    problem = model_source_problem(text)
    if problem:
        raise ModelSourceError(problem)
    location, name = split_model_source(text)
    imported = import_file(location) if is_file_location(location) else import_module(location)
    target = _look_up(imported, name)
    model, arguments = _construct(target, imported, name, input_shape, len(classes))
    check_forward(model, name, input_shape, len(classes), imported.roots)
    given = ", ".join(f"{key}={value}" for key, value in arguments.items())
    description = f"your model {name} from {imported.label}" + (f" ({given})" if given else "")
    return UserModel(model, name, f"{imported.source}:{name}", description, arguments)


# ---------------------------------------------------------------------------- the name


def _buildable_names(module: ModuleType) -> tuple[list[str], list[str]]:
    """(nn.Module subclasses, functions) the module's namespace offers, torch's own left out."""
    classes, functions = [], []
    for key, value in vars(module).items():
        home = str(getattr(value, "__module__", ""))
        if key.startswith("_") or home == "torch" or home.startswith("torch."):
            continue
        if inspect.isclass(value) and issubclass(value, nn.Module):
            classes.append(key)
        elif inspect.isfunction(value):
            functions.append(key)
    return classes, functions


def _listed(names: list[str]) -> str:
    more = f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else ""
    return ", ".join(names[:SHOWN_NAMES]) + more


def _missing(imported: Imported, name: str) -> ModelSourceError:
    classes, functions = _buildable_names(imported.module)
    offered = []
    if classes:
        offered.append(f"nn.Module subclasses {_listed(classes)}")
    if functions:
        offered.append(f"functions {_listed(functions)}")
    defines = (
        "; it defines " + " and ".join(offered)
        if offered
        else ("; it defines no nn.Module subclass or function")
    )
    close = difflib.get_close_matches(name, classes + functions, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return ModelSourceError(f"{imported.label} defines no {name!r}{hint}{defines}")


def _look_up(imported: Imported, name: str) -> Any:
    """The object ``name`` names in the module, if it can make a model; else one line."""
    try:
        target = getattr(imported.module, name)
    except AttributeError:
        raise _missing(imported, name) from None
    except Exception as exc:  # a module __getattr__ that fails
        raise user_error(exc, imported.roots, f"looking up {name}") from None
    if isinstance(target, nn.Module):
        return target
    if inspect.isclass(target):
        if issubclass(target, nn.Module):
            return target
        raise ModelSourceError(
            f"{name} in {imported.label} is a class that is not an nn.Module subclass; "
            "name your model's class or a function that returns the model"
        )
    if callable(target) and not inspect.ismodule(target):
        return target
    kind = "module" if inspect.ismodule(target) else type(target).__name__
    kind = ("an " if kind[0] in "aeiouAEIOU" else "a ") + kind
    raise ModelSourceError(
        f"{name} in {imported.label} is {kind}, not an nn.Module subclass or a function "
        "returning one; name your model's class"
    )


# ---------------------------------------------------------------------------- building


def _arguments(
    target: Any, label: str, name: str, input_shape: tuple[int, int, int], num_classes: int
) -> dict[str, int]:
    """The keyword arguments the tool passes (num_classes, in_channels when the signature
    names them; num_classes offered to a ``**kwargs``, marked KWARGS_CLASSES);
    ModelSourceError naming the parameters that need a value but have none."""
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # no signature to read (a builtin): call it bare
        return {}
    given: dict[str, int] = {}
    needed = []
    for parameter in parameters:
        if parameter.kind == parameter.VAR_KEYWORD:
            given[KWARGS_CLASSES] = num_classes  # offered: a **kwargs may take num_classes
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        keyword = parameter.kind != parameter.POSITIONAL_ONLY
        if keyword and parameter.name in CLASS_PARAMETERS:
            given[parameter.name] = num_classes
        elif keyword and parameter.name in CHANNEL_PARAMETERS:
            given[parameter.name] = input_shape[0]
        elif parameter.default is parameter.empty:
            needed.append(parameter.name)
    if needed:
        raise ModelSourceError(
            f"{name} in {label} needs arguments {', '.join(needed)}; give them defaults, or "
            f"name a function that builds it with none (def make(): return {name}(...))"
        )
    if any(key in given for key in CLASS_PARAMETERS):
        given.pop(KWARGS_CLASSES, None)
    return given


def _call(target: Any, arguments: dict[str, int]) -> tuple[Any, dict[str, int]]:
    """``target(**arguments)``; num_classes offered through a ``**kwargs`` (torchvision's
    ``resnet18(**kwargs)`` passes it on to ``ResNet``) is dropped when the call refuses it."""
    if KWARGS_CLASSES not in arguments:
        return target(**arguments), arguments
    offered = dict(arguments)
    offered["num_classes"] = offered.pop(KWARGS_CLASSES)
    try:
        return target(**offered), offered
    except TypeError as exc:
        if "num_classes" not in str(exc):
            raise
    bare = {key: value for key, value in arguments.items() if key != KWARGS_CLASSES}
    return target(**bare), bare


def _construct(
    target: Any,
    imported: Imported,
    name: str,
    input_shape: tuple[int, int, int],
    num_classes: int,
) -> tuple[nn.Module, dict[str, int]]:
    """The model ``target`` makes, with the arguments it was given."""
    if isinstance(target, nn.Module):
        return target, {}
    arguments = _arguments(target, imported.label, name, input_shape, num_classes)
    try:
        model, arguments = _call(target, arguments)
    except (Exception, SystemExit) as exc:
        raise user_error(exc, imported.roots, f"building {name}") from None
    if not isinstance(model, nn.Module):
        raise ModelSourceError(
            f"{name}() in {imported.label} returned "
            f"{'None' if model is None else 'a ' + type(model).__name__}, not an "
            "nn.Module; return the model"
        )
    return model, arguments
