"""A periodic job's lock, holding the name of its holder, so that only its holder frees it.

huey's `TaskLock` writes "1": any release frees it, whoever took it. A run declared lost while
it waited for its job's lock then took it (the reaper had freed it); if the reaper freed it
again and the run that took the period over took it in that instant, the first run's release
freed the second run's lock, and two runs of one job could overlap. With the holder in the
lock, a release is a compare-and-delete in the broker (a Lua call on Redis, one DELETE ...
WHERE value = ? on SQLite), and the reaper frees only the lock of the claim it declared lost.

The key is huey's own (`lock_task`): huey's `flush_locks` and the console's lock list see it.
"""

from huey.exceptions import TaskLockedException

# What huey's TaskLock writes: a lock taken before locks named their holder (a rolling deploy).
_HUEYS_OWN_VALUE = "1"


class JobLock:
    """The lock of one job: taken by one holder (a name unique to one claim of a period)."""

    def __init__(self, name: str):
        from . import _huey

        self.name = name
        self._huey = _huey()
        self._key = self._huey.lock_task(name)._key  # huey's key, in huey's set of locks

    def acquire(self, holder: str) -> None:
        """Take the lock for `holder`, or raise TaskLockedException (huey's) when it is held."""
        if not self._huey.storage.put_if_empty(self._key, holder.encode()):
            raise TaskLockedException(f"unable to acquire lock {self.name}")

    def release(self, holder: str) -> bool:
        """Free the lock if `holder` holds it; whether it did."""
        return self._huey.storage.delete_if_equal(self._key, holder.encode())

    def release_dead(self, holder: str) -> bool:
        """Free the lock of a holder known dead: its own, or one taken by huey's TaskLock
        (which names no holder: from before locks did, so as before, it is freed)."""
        legacy = self._huey.serializer.serialize(_HUEYS_OWN_VALUE)
        return self.release(holder) or self._huey.storage.delete_if_equal(self._key, legacy)

    def holder(self) -> str | None:
        """Who holds the lock (None: free; "" when it names no holder)."""
        value = self._huey.storage.peek_data(self._key)
        if not isinstance(value, bytes | memoryview):
            return None  # huey's EmptyData
        try:
            return bytes(value).decode()
        except UnicodeDecodeError:
            return ""

    def is_locked(self) -> bool:
        return self._huey.storage.has_data_for_key(self._key)

    def clear(self) -> bool:
        """Free the lock whoever holds it (an operator's action on a stale lock)."""
        return self._huey.storage.delete_data(self._key)


def job_lock(name: str) -> JobLock:
    """The lock of the periodic job `name`."""
    return JobLock(f"jobs.{name}")
