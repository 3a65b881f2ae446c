"""Checking a task's arguments against its signature before it is enqueued (issue 19.10).

An operator re-runs a task with arguments edited as JSON: they must bind to the function's
parameters (no missing one, no unknown one, not too many), and each value must fit the
parameter's annotation where that is a JSON type (`int`, `str`, `list[int] | int`...). A huey
task is found through its module attribute (huey's TaskWrapper keeps the function in `func`),
a django.tasks task through its own `func`; the `task` parameter of a context task is huey's
to fill. Annotations that are not JSON types are not checked.
"""

import inspect
import types
import typing
from collections.abc import Callable

from django.utils.module_loading import import_string

from .adapter import django_task
from .exceptions import ArgumentsError

JSON_TYPES = {
    int: "an integer",
    float: "a number",
    str: "a string",
    bool: "true or false",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


def task_function(name: str) -> tuple[Callable, bool]:
    """The function behind task `name` and whether huey passes it the task (`context`)."""
    declared = django_task(name)
    if declared is not None:
        return declared.func, False
    try:
        wrapper = import_string(name)
    except ImportError as exc:
        raise ArgumentsError(f"{name} is not a task this code base defines.") from exc
    func = getattr(wrapper, "func", None)
    if func is None:
        raise ArgumentsError(f"{name} is not a task this code base defines.")
    return func, bool(getattr(wrapper, "context", False))


def arguments_check(*, name: str, args: list, kwargs: dict) -> None:
    """Raise ArgumentsError, saying which argument and why, unless `args` and `kwargs` bind to
    task `name`'s signature with values of the annotated JSON types."""
    func, context = task_function(name)
    signature = inspect.signature(func)
    if context:  # huey fills `task`: nobody else may
        if "task" in kwargs:
            raise ArgumentsError("`task` is given by huey to the running task: remove it.")
        params = [p for n, p in signature.parameters.items() if n != "task"]
        signature = signature.replace(parameters=params)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        message = f"These arguments do not fit {_short(name)}{signature}: {exc}."
        raise ArgumentsError(message) from exc
    hints = _hints(func)
    for param, value in bound.arguments.items():
        kind = signature.parameters[param].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            for index, item in enumerate(value):
                _check(f"{param}[{index}]", item, hints.get(param))
        elif kind is inspect.Parameter.VAR_KEYWORD:
            for key, item in value.items():
                _check(key, item, hints.get(param))
        else:
            _check(param, value, hints.get(param))


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _hints(func: Callable) -> dict:
    try:
        return typing.get_type_hints(inspect.unwrap(func))
    except Exception:  # an annotation that does not resolve is not checked
        return {}


def _check(where: str, value, annotation) -> None:
    if annotation is None or _fits(value, annotation) is not False:
        return
    raise ArgumentsError(f"{where} must be {_words(annotation)}, not {_json_words(value)}.")


def _fits(value, annotation) -> bool | None:
    """Whether `value` (from JSON) fits `annotation`; None when the annotation is not a JSON
    type this checks (then anything goes)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        answers = [_fits(value, option) for option in typing.get_args(annotation)]
        return None if None in answers else any(answers)
    if origin in (list, dict):
        if not isinstance(value, origin):
            return False
        items = value if origin is list else value.values()
        item_type = typing.get_args(annotation)[-1:] or [None]
        return all(_fits(item, item_type[0]) is not False for item in items)
    if annotation in (None, type(None)):
        return value is None
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation in JSON_TYPES:
        return isinstance(value, annotation)
    return None


def _words(annotation) -> str:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_words(option) for option in typing.get_args(annotation))
    if origin is list and typing.get_args(annotation):
        item = typing.get_args(annotation)[0]
        return f"a list of {PLURALS.get(item, getattr(item, '__name__', str(item)))}"
    if origin is dict:
        return "an object"
    return JSON_TYPES.get(annotation, getattr(annotation, "__name__", str(annotation)))


PLURALS = {
    int: "integers",
    float: "numbers",
    str: "strings",
    bool: "booleans",
    list: "lists",
    dict: "objects",
}


def _json_words(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return next(
        (words for kind, words in JSON_TYPES.items() if isinstance(value, kind)),
        type(value).__name__,
    )
