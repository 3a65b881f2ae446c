"""Deleting many rows in bounded batches, for every app's retention jobs (task history, the
send log, interaction logs). Generic: this module imports nothing of the project, so any app may
use it without reaching into another app's internals.
"""

from collections.abc import Callable


def delete_in_batches(
    queryset,
    *,
    batch_size: int,
    progress: Callable | None = None,
    before: Callable | None = None,
) -> int:
    """Delete a queryset's rows in primary-key ranges of about `batch_size` rows.

    Each batch is one `DELETE ... WHERE pk > last AND pk <= edge`: bounded memory, short
    transactions, no long parameter lists, and no batch rescans rows deleted before it.
    `before(batch)` runs first on each batch (e.g. to delete rows that hang off it).
    """
    total = last = 0
    while True:
        rest = queryset.filter(pk__gt=last)
        edge = list(rest.order_by("pk").values_list("pk", flat=True)[batch_size - 1 : batch_size])
        batch = rest.filter(pk__lte=edge[0]) if edge else rest
        if before is not None:
            before(batch)
        deleted, _ = batch.delete()
        total += deleted
        if not edge:
            return total
        last = edge[0]
        if progress:
            progress(total)
