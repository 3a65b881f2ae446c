"""huey's embedded storages (SQLite, and memory for immediate mode) with the in-flight
register the Redis one keeps (storage_redis.py says what the register holds); their `take`
returns (data, receipt, None): huey's own revoke check is local and cheap here.
"""

import time

from huey.storage import MemoryStorage, SqliteStorage


class SqliteInflightStorage(SqliteStorage):
    """huey's SQLite storage; a dequeue moves the task into the in-flight table, atomically."""

    ddl = [
        *SqliteStorage.ddl,
        "create table if not exists inflight (id integer not null primary key, "
        "queue text not null, consumer text not null, data blob not null, "
        "taken_at real not null, finished integer not null default 0)",
        "create index if not exists inflight_queue_consumer on inflight (queue, consumer)",
    ]

    def take(self, consumer: str, *, finish=None, release=None, unflag=None):
        """Dequeue into the register; the previous task's `finish` or `release` rides along in
        the same transaction. Its revoke flag `unflag` goes first (a local write: nothing to
        save by folding it in)."""
        if unflag is not None:
            self.delete_data(unflag)
        empty = not self.sql(
            "select 1 from task where queue = ? limit 1", (self.name,), results=True
        )
        if empty:
            if finish is not None:
                self.finish(consumer, finish)
            if release is not None:
                self.release(consumer, [release], finished=False)
            return None
        with self.db(commit=True) as curs:
            if finish is not None:
                curs.execute("update inflight set finished = 1 where id = ?", (finish,))
            if release is not None:
                curs.execute("delete from inflight where id = ?", (release,))
            curs.execute(
                "select id, data from task where queue = ? order by priority desc, id limit 1",
                (self.name,),
            )
            row = curs.fetchone()
            if row is None:
                return None
            curs.execute("delete from task where id = ?", (row[0],))
            curs.execute(
                "insert into inflight (queue, consumer, data, taken_at) values (?, ?, ?, ?)",
                (self.name, consumer, self.to_blob(row[1]), time.time()),
            )
            return bytes(row[1]), curs.lastrowid, None

    def finish(self, consumer: str, receipt) -> None:
        self.sql("update inflight set finished = 1 where id = ?", (receipt,), commit=True)

    def release(self, consumer: str, receipts: list, *, finished: bool) -> None:
        for start in range(0, len(receipts), 500):
            chunk = receipts[start : start + 500]
            self.sql(
                f"delete from inflight where id in ({','.join('?' * len(chunk))})",
                chunk,
                commit=True,
            )

    def registered(self) -> dict[str, float]:
        rows = self.sql(
            "select consumer, min(taken_at) from inflight where queue = ? group by consumer",
            (self.name,),
            results=True,
        )
        return dict(rows)

    def taken_by(self, consumer: str) -> list[tuple[bytes, int, bool]]:
        rows = self.sql(
            "select data, id, finished from inflight where queue = ? and consumer = ? order by id",
            (self.name, consumer),
            results=True,
        )
        return [(bytes(data), receipt, bool(finished)) for data, receipt, finished in rows]

    def rescue(self, consumer: str, receipt, data: bytes | None, *, finished: bool) -> bool:
        with self.db(commit=True) as curs:
            curs.execute("delete from inflight where id = ? and consumer = ?", (receipt, consumer))
            if curs.rowcount != 1:
                return False
            if data is not None:  # first in line, as on Redis
                curs.execute(
                    "insert into task (queue, data, priority) select ?, ?, "
                    "coalesce(max(priority), 0) + 1 from task where queue = ?",
                    (self.name, self.to_blob(data), self.name),
                )
            return True

    def forget(self, consumer: str) -> None:
        """Registrations are the rows themselves: nothing to drop."""

    def delete_if_equal(self, key: str, value: bytes) -> bool:
        with self.db(commit=True) as curs:
            curs.execute(
                "delete from kv where queue = ? and key = ? and value = ?",
                (self.name, key, self.to_blob(value)),
            )
            return curs.rowcount == 1

    def flush_all(self):
        super().flush_all()
        self.sql("delete from inflight where queue = ?", (self.name,), commit=True)

    def waiting(self, page: int = 1000):
        """Every task the broker holds (schedule, queue, in-flight), as serialized data."""
        yield from self.scheduled_items()
        yield from self.enqueued_items()
        rows = self.sql("select data from inflight where queue = ?", (self.name,), results=True)
        yield from (bytes(data) for (data,) in rows)

    def health(self) -> dict:
        """A SQLite file keeps what it holds across restarts."""
        return {"persistent": True, "started": None, "run_id": ""}


class MemoryInflightStorage(MemoryStorage):
    """huey's in-memory storage (immediate mode) with the same in-flight register."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._inflight: dict[str, dict[int, list]] = {}  # receipt -> [data, finished]
        self._since: dict[str, float] = {}
        self._receipts = 0

    def take(self, consumer: str, *, finish=None, release=None, unflag=None):
        if unflag is not None:
            self.delete_data(unflag)
        if finish is not None:
            self.finish(consumer, finish)
        if release is not None:
            self.release(consumer, [release], finished=False)
        data = self.dequeue()
        if data is None:
            return None
        with self._lock:
            self._receipts += 1
            self._since.setdefault(consumer, time.time())
            self._inflight.setdefault(consumer, {})[self._receipts] = [data, False]
            return data, self._receipts, None

    def finish(self, consumer: str, receipt) -> None:
        with self._lock:
            if receipt in self._inflight.get(consumer, {}):
                self._inflight[consumer][receipt][1] = True

    def release(self, consumer: str, receipts: list, *, finished: bool) -> None:
        with self._lock:
            for receipt in receipts:
                self._inflight.get(consumer, {}).pop(receipt, None)

    def registered(self) -> dict[str, float]:
        return dict(self._since)

    def taken_by(self, consumer: str) -> list[tuple[bytes, int, bool]]:
        items = self._inflight.get(consumer, {}).items()
        return [(data, receipt, finished) for receipt, (data, finished) in items]

    def rescue(self, consumer: str, receipt, data: bytes | None, *, finished: bool) -> bool:
        with self._lock:
            if self._inflight.get(consumer, {}).pop(receipt, None) is None:
                return False
            if data is not None:
                self.enqueue(data, priority=1_000_000)
            return True

    def forget(self, consumer: str) -> None:
        with self._lock:
            if not self._inflight.get(consumer):
                self._inflight.pop(consumer, None)
                self._since.pop(consumer, None)

    def delete_if_equal(self, key: str, value: bytes) -> bool:
        with self._lock:
            if self._results.get(key) != value:
                return False
            del self._results[key]
            return True

    def flush_all(self):
        super().flush_all()
        self._inflight.clear()
        self._since.clear()

    def waiting(self, page: int = 1000):
        yield from self.scheduled_items()
        yield from self.enqueued_items()
        with self._lock:
            taken = [data for entries in self._inflight.values() for data, _ in entries.values()]
        yield from taken

    def health(self) -> dict:
        return {"persistent": None, "started": None, "run_id": ""}  # tasks run inline
