from django.db import connection
from huey.contrib.djhuey import HUEY


def backing_services_status() -> dict[str, str]:
    """Ask the database and the task broker for a sign of life; "ok" or the error's text."""
    status = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception as exc:  # any failure means "not healthy"; the text says which
        status["database"] = f"error: {exc.__class__.__name__}: {exc}"
    try:
        HUEY.pending_count()
        status["broker"] = "ok"
    except Exception as exc:
        status["broker"] = f"error: {exc.__class__.__name__}: {exc}"
    return status
