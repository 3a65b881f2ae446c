"""The one place that knows huey's internals (its task registry, its scheduler's timing).

Everything else in the project goes through these functions, so a huey upgrade is checked here.
"""

from huey.api import Task, TaskWrapper
from huey.contrib.djhuey import HUEY
from huey.exceptions import HueyException

from .exceptions import UnknownTaskError


def task_name(task) -> str:
    """The dotted name huey registers a task under, from a task, its class or its wrapper."""
    if isinstance(task, TaskWrapper):
        task = task.task_class
    elif isinstance(task, Task):
        task = type(task)
    return HUEY._registry.task_to_string(task)


def task_class(name: str) -> type[Task]:
    """The task class registered under `name`; UnknownTaskError when this code has none."""
    try:
        return HUEY._registry.string_to_task(name)
    except HueyException as exc:
        raise UnknownTaskError(f"{name} is not a task this code base defines.") from exc


def task_names() -> list[str]:
    """Every task this code base registers with huey, sorted."""
    return sorted(HUEY._registry._registry)
