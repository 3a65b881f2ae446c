from huey.contrib.djhuey import db_task


@db_task()
def noop(token: str = "") -> str | None:
    """Does nothing; the last task of a batch returns its token (stored as its result)."""
    return token or None
