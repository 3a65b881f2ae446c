"""Variables: the declared names are valid and have sample values, and every variable a template
uses is declared (or provided by the engine) and has a value in the sample data."""

import re

from ..bounds import line_col
from ..exceptions import Problem
from ..sandbox import VariableUse

# Provided by the engine at send time (see rendering.system_context); the layout uses these.
SYSTEM_VARIABLES = {
    "site_name",
    "site_url",
    "preheader",
    "unsubscribe_url",
    "preferences_url",
    "recipient_email",
    "current_year",
    "language",
}

_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def check_declarations(variables, sample) -> list[Problem]:
    """The declared variables are a list of valid names, each with a value in the sample."""
    problems = []
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        return [Problem("variables", 1, 1, "variables must be a list of names")]
    if not isinstance(sample, dict):
        return [Problem("sample_context", 1, 1, "the sample data must be a JSON object")]
    for name in variables:
        if not _NAME.fullmatch(name):
            problems.append(Problem("variables", 1, 1, f"{name!r} is not a valid variable name"))
        elif name in SYSTEM_VARIABLES:
            problems.append(
                Problem("variables", 1, 1, f"{name!r} is provided by the engine; do not declare it")
            )
        elif name not in sample:
            problems.append(
                Problem("sample_context", 1, 1, f"declared variable {name!r} has no sample value")
            )
    return problems


def variable_problem(
    use: VariableUse, source: str, *, field_name: str, declared: set[str], sample: dict
) -> Problem | None:
    """What is wrong with one variable a field of `source` uses, or None."""
    first = use.lookups[0]
    if use.loop_source is None and first not in declared | SYSTEM_VARIABLES:
        why = f"variable {first!r} is used but not declared; add it to the template's variables"
    elif first not in SYSTEM_VARIABLES and not _covered(use, sample):
        why = f"variable {'.'.join(use.lookups)!r} has no value in the sample data"
    else:
        return None
    return Problem(field_name, *line_col(source, use.start), why)


def _covered(use: VariableUse, sample: dict) -> bool:
    """Whether the sample data has a value for `use` (for a loop variable: in the first item)."""
    try:
        if use.loop_source is None:
            _resolve(sample, use.lookups)
        elif use.loop_source:
            items = _resolve(sample, use.loop_source)
            if isinstance(items, list) and items:
                _resolve(items[0], use.lookups[1:])
        return True
    except LookupError:
        return False


def _resolve(data, parts):
    for part in parts:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            raise LookupError(part)
    return data
