"""Within one email, a figure is formatted once: the parts of an email (its subject, preheader,
HTML and text) are rendered in one `one_email()` block, one language, and the filters whose
answer depends only on the value, the argument and the active language keep their answers for
the block.

Why: the usage report shows each of its 12 figures in its HTML and its text (some in the
preheader too), 26 `floatformat`s a render, and since emails format numbers in their
recipient's language they were a third of its render (cProfile). Keeping the answers renders
it about 1.3x as fast (1,880 vs 1,410 a second, median of 3 alternated runs of `manage.py
bench_render usage_report --iterations 3000`).
"""

import datetime as dt
import functools
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.utils.safestring import SafeString

FORMATTED_ONCE = frozenset({"date", "floatformat", "money", "stringformat", "time"})

_FORMATTED: ContextVar[dict | None] = ContextVar("formatted_in_this_email", default=None)
# Values whose equal copies read the same; the others are told apart by their repr (0.0 and
# -0.0, or Decimal("1.0") and Decimal("1.00"), are equal but do not format alike).
_SAME_WHEN_EQUAL = frozenset({str, int, bool, type(None)})
_BY_REPR = frozenset({float, Decimal, dt.date, dt.datetime, dt.time})


@contextmanager
def one_email():
    """The renders inside this block are the parts of one email."""
    token = _FORMATTED.set({})
    try:
        yield
    finally:
        _FORMATTED.reset(token)


def formatted_once(name: str, bounded: Callable) -> Callable:
    """`bounded` (a filter that takes a value and its arguments), kept per email."""

    @functools.wraps(bounded)
    def once(value, *args):
        formatted = _FORMATTED.get()
        key = None if formatted is None else _formatting_key(name, value, args)
        if key is None:
            return bounded(value, *args)
        if key not in formatted:
            # A filter that fails raises each time: only answers are kept.
            formatted[key] = bounded(value, *args)
        return formatted[key]

    return once


def _formatting_key(name: str, value, args: tuple) -> tuple | None:
    """What tells one formatting from another (the type too: 1, 1.0 and True are equal in
    Python); None when the value or an argument is not a scalar (a list): never kept."""
    parts = []
    for item in (value, *args):
        kind = type(item)
        if kind in _SAME_WHEN_EQUAL:
            parts.append((kind, item))
        elif kind in _BY_REPR:
            parts.append((kind, repr(item)))
        elif isinstance(item, SafeString):
            parts.append((SafeString, str(item)))
        else:
            return None
    return (name, *parts)
