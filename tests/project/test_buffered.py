"""The one buffered writer (apps/buffered.py) that the task history and the interaction log
share: a poisoned item is dropped alone, a batch the database cannot take now is kept in order
and written once it is back, a long outage drops the oldest items past the bound, and the
thread writes within its interval."""

import threading

import pytest
from django.db import IntegrityError, OperationalError

from apps.buffered import BufferedWriter
from tests.conftest import wait_until


class Writer(BufferedWriter):
    """Stores items in a list; refuses "poison"; can be told the database is away."""

    def __init__(self, pause: float = 0.0):
        super().__init__()
        self.pause, self.stored, self.calls, self.away = pause, [], 0, False
        self.away_from_call = None  # the database goes away at this call

    def interval(self) -> float:
        return self.pause

    def write_batch(self, items: list) -> int:
        self.calls += 1
        if self.away_from_call is not None and self.calls >= self.away_from_call:
            self.away = True
        if self.away:
            raise OperationalError("connection refused")
        if "poison" in items:
            raise IntegrityError("invalid byte sequence for encoding UTF8")
        self.stored.extend(items)
        return len(items)


def test_a_poisoned_item_is_dropped_alone_and_never_retried():
    writer = Writer()
    items = [f"call {i}" for i in range(1000)]
    items[617] = "poison"
    for item in items:
        writer.add(item)
    assert writer.flush() == 999 and writer.dropped == 1
    assert writer.stored == [i for i in items if i != "poison"]  # in order, nothing twice
    assert writer.calls <= 2 * 11  # halving: about two writes a level, ten levels
    calls = writer.calls
    assert writer.flush() == 0 and writer.calls == calls  # nothing kept to retry for ever


def test_a_batch_the_database_cannot_take_now_is_kept_in_order_and_written_once_back():
    writer = Writer()
    for item in ("a", "b"):
        writer.add(item)
    writer.away = True
    with pytest.raises(OperationalError):
        writer.flush()
    writer.add("c")  # arrives during the outage, after what was kept
    with pytest.raises(OperationalError):
        writer.flush()
    assert writer.stored == [] and writer.dropped == 0
    writer.away = False
    assert writer.flush() == 3 and writer.stored == ["a", "b", "c"]


def test_an_outage_while_a_poisoned_batch_is_halved_keeps_only_what_was_not_written():
    writer = Writer()
    for item in ("a", "poison", "c", "d"):
        writer.add(item)
    # Calls: [a, poison, c, d] refused, [a, poison] refused, [a] stored, [poison] dropped,
    # then the database goes away as [c, d] is written.
    writer.away_from_call = 5
    with pytest.raises(OperationalError):
        writer.flush()
    assert writer.stored == ["a"] and writer.dropped == 1
    writer.away, writer.away_from_call = False, None
    assert writer.flush() == 2
    assert writer.stored == ["a", "c", "d"]  # "a" once: not kept to be written again


def test_a_long_outage_drops_the_oldest_items_past_the_bound():
    writer = Writer()
    writer.max_pending = 3
    for item in "abcde":
        writer.add(item)
    assert writer.dropped == 2 and writer.flush() == 3 and writer.stored == ["c", "d", "e"]


def test_the_thread_writes_within_its_interval_and_none_runs_when_it_is_off():
    writer = Writer(pause=0.05)
    writer.add("a")
    wait_until(lambda: writer.stored == ["a"], timeout=5)
    assert any(t.name == writer.thread_name for t in threading.enumerate())
    off = Writer(pause=0)
    off.thread_name = "buffered-writer-off"
    off.add("b")
    assert not any(t.name == off.thread_name for t in threading.enumerate())
    assert off.stored == [] and off.flush() == 1


def test_a_held_writer_leaves_items_for_an_explicit_flush():
    writer = Writer(pause=0.02)
    writer.held = True
    writer.add("a")
    threading.Event().wait(0.2)
    assert writer.stored == []
    writer.discard()
    assert writer.flush() == 0
