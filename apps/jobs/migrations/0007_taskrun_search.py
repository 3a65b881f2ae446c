"""The console's search in arguments at millions of runs (issue 19.8): TaskRunSearch, fed by a
trigger on every TaskRun insert, with a trigram index on PostgreSQL.

Measured on 5,000,000 runs (PostgreSQL 15, this project's history rows): a search in the
arguments took 1.1 s ('org-4242') to 3.5 s (a term that matches nothing) as a scan of the
history; through this table's trigram index, 2-140 ms. A trigram index on TaskRun itself would
have cost every state change of every run (+50 % per history UPDATE, measured); the trigger
costs one insert per run (+25 % on the history's INSERT, about +7 % of its writes).
"""

import logging

import django.db.models.deletion
from django.db import migrations, models, transaction

logger = logging.getLogger("apps.jobs")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION jobs_taskrun_search_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobs_taskrunsearch (run_id, arguments)
    SELECT id, lower(args::text || ' ' || kwargs::text) FROM new_runs
    ON CONFLICT (run_id) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_taskrun_search AFTER INSERT ON jobs_taskrun
    REFERENCING NEW TABLE AS new_runs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_taskrun_search_insert();
"""
SQLITE_TRIGGER = """
CREATE TRIGGER jobs_taskrun_search AFTER INSERT ON jobs_taskrun
BEGIN
    INSERT INTO jobs_taskrunsearch (run_id, arguments)
    VALUES (NEW.id, lower(NEW.args || ' ' || NEW.kwargs))
    ON CONFLICT (run_id) DO NOTHING;
END;
"""
BACKFILL = {
    "postgresql": "SELECT id, lower(args::text || ' ' || kwargs::text) FROM jobs_taskrun",
    "sqlite": "SELECT id, lower(args || ' ' || kwargs) FROM jobs_taskrun",
}
TRIGRAM_INDEX = (
    "CREATE INDEX jobs_taskrunsearch_trgm ON jobs_taskrunsearch USING gin (arguments gin_trgm_ops)"
)


def forward(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
        elif connection.vendor == "sqlite":
            cursor.execute(SQLITE_TRIGGER)
        else:
            return
        # The runs already in the history (the trigger takes the new ones from now on; WHERE:
        # SQLite parses INSERT ... SELECT ... ON CONFLICT only with one).
        cursor.execute(
            "INSERT INTO jobs_taskrunsearch (run_id, arguments) "
            f"{BACKFILL[connection.vendor]} WHERE true ON CONFLICT (run_id) DO NOTHING"
        )
        if connection.vendor == "postgresql":
            _trigram_index(cursor)


def _trigram_index(cursor) -> None:
    """pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it. Where
    it may not, the search still works, as a scan of this (narrow) table."""
    try:
        with transaction.atomic():
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(TRIGRAM_INDEX)
    except Exception:
        logger.warning("pg_trgm unavailable: the search in arguments will scan", exc_info=True)


def backward(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS jobs_taskrun_search ON jobs_taskrun")
            cursor.execute("DROP FUNCTION IF EXISTS jobs_taskrun_search_insert()")
        elif connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS jobs_taskrun_search")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0006_taskrun_leaner_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="TaskRunSearch",
            fields=[
                (
                    "run",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.DB_CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="jobs.taskrun",
                    ),
                ),
                (
                    "arguments",
                    models.TextField(help_text="args and kwargs as JSON text, in lower case"),
                ),
            ],
        ),
        migrations.RunPython(forward, backward),
    ]
