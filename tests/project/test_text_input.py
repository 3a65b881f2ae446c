"""The one definition of text that cannot be stored, used by every edge and writer."""

import json

from hypothesis import given
from hypothesis import strategies as st

from apps.text_input import is_poisoned, poison_in, poison_message, scrub, scrub_text
from tests.strategies import hostile_text


def test_a_lone_surrogate_from_valid_json_is_found_and_named():
    value = json.loads('{"context": {"items": ["ok", "bad \\ud800 here"]}}')
    assert poison_in(value) == "context.items[1]"
    assert "context.items[1]" in poison_message("context.items[1]")


def test_nul_and_surrogates_are_cleaned_so_utf8_and_postgres_accept_them():
    cleaned = scrub({"a\x00": ["x\ud800y", ("\udfff",)], "n": 3})
    assert cleaned == {"a": ["x\ufffdy", ("\ufffd",)], "n": 3}
    json.dumps(cleaned).encode("utf-8")


def test_paired_surrogates_and_astral_text_are_left_alone():
    assert not is_poisoned("emoji \U0001f600 é")
    assert scrub_text("emoji \U0001f600") == "emoji \U0001f600"


@given(hostile_text())
def test_scrubbed_text_always_encodes_and_is_never_poisoned(text):
    cleaned = scrub_text(text)
    cleaned.encode("utf-8")
    assert not is_poisoned(cleaned)
    assert poison_in(cleaned) is None
    assert (poison_in(text) is None) == (cleaned == text)


@given(st.recursive(hostile_text(), lambda c: st.lists(c) | st.dictionaries(hostile_text(), c)))
def test_scrubbed_structures_serialize_as_utf8(value):
    json.dumps(scrub(value), ensure_ascii=False).encode("utf-8")
