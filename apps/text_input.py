"""Text that cannot be stored: the one place that knows what it is, for every edge and writer.

Python's `json.loads` accepts a lone surrogate ("\\ud800", valid JSON), but PostgreSQL refuses it
in `json`/`jsonb` and `str.encode("utf-8")` raises on it; PostgreSQL refuses NUL in any text. An
edge (the API, a webhook, a studio form) refuses such input with a 4xx (`poison_in` says where)
or cleans it (`scrub`); a background writer scrubs what it was handed, so that one poisoned
event never stops it. This module imports nothing of the project: every app may use it.
"""

import re

# A surrogate code point on its own: Python strings may hold one, UTF-8 cannot.
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"
_MAX_DEPTH = 200  # deeper structures are refused at the edges long before this


def is_poisoned(text: str) -> bool:
    """True when `text` holds a NUL or a lone surrogate."""
    return "\x00" in text or _SURROGATE.search(text) is not None


def scrub_text(text: str) -> str:
    """`text` with NULs removed and lone surrogates replaced by U+FFFD."""
    if not is_poisoned(text):
        return text
    return _SURROGATE.sub(REPLACEMENT, text.replace("\x00", ""))


def scrub(value, _depth: int = 0):
    """A copy of a JSON-like value (dicts, lists, tuples, strings) with every string and key
    scrubbed; other values are returned as they are."""
    if _depth > _MAX_DEPTH:
        raise ValueError("The value nests too deeply to clean.")
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {scrub(k, _depth + 1): scrub(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(item, _depth + 1) for item in value)
    return value


def poison_in(value, path: str = "", _depth: int = 0) -> str | None:
    """Where the first NUL or lone surrogate of a JSON-like value is (a path such as
    `context.items[2]`, or "" for the value itself), or None when there is none."""
    if _depth > _MAX_DEPTH:
        return None  # the edge's own depth limit refuses it
    if isinstance(value, str):
        return path if is_poisoned(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and is_poisoned(key):
                return scrub_text(where)
            found = poison_in(item, scrub_text(where), _depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = poison_in(item, f"{path}[{index}]", _depth + 1)
            if found is not None:
                return found
    return None


def poison_message(where: str) -> str:
    """What an edge answers when `poison_in` found something."""
    field = f" in {where}" if where else ""
    return f"Text{field} holds a NUL character or an unpaired surrogate, which cannot be stored."
