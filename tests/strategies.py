"""Hypothesis strategies shared by the hostile-input tests."""

from hypothesis import strategies as st

# Characters a hostile client sends: NUL, lone surrogates (valid in JSON, invalid in UTF-8 and
# PostgreSQL), non-BMP characters, controls, right-to-left marks and plain text.
POISON = st.sampled_from(["\x00", "\ud800", "\udfff", "\udbff", "\U0001f600", "\u202e", "\x1b"])


def hostile_text(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text that mixes ordinary characters with NULs, lone surrogates and non-BMP ones."""
    any_char = st.characters(codec=None, blacklist_categories=())
    return st.lists(st.one_of(POISON, any_char), min_size=min_size, max_size=max_size).map("".join)
