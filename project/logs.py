"""Logging set-up (`LOGGING_CONFIG`): Django's dictConfig, then the Python docs' speed-ups
that no formatter of this process misses.

Every `LogRecord` looks up where it was logged from (a walk up the stack: the costly part),
its thread, its process, its multiprocessing process name and its asyncio task, whether or
not a formatter prints them. A consumer logs two lines per task (huey's "Executing" and
"executed in") through our "plain" format, which prints none of them: skipping the lookups
there cut about a third of each line's cost. But a lookup switched off for the whole process
leaves its field None, and a format asking for it fails: gunicorn's error log is
"%(asctime)s [%(process)d] ..." and `%d` of None raises, so each such line was lost
("--- Logging error ---"), in the worker and, with --preload, the master.

So each lookup is switched off only when none of the formatters configured in this process
(ours, Django's, and those set up before Django, as gunicorn's are) names a field it fills;
a formatter class that may print more than its format string keeps every lookup on. A
handler added later with a format that needs a lookup must call `configure` again.
"""

import logging
import logging.config
import os
import re

from django.utils.log import ServerFormatter

# The switch of each lookup (a `logging` module attribute) -> the record fields it fills.
LOOKUPS = {
    "logThreads": {"thread", "threadName"},
    "logProcesses": {"process"},
    "logMultiprocessing": {"processName"},
    "logAsyncioTasks": {"taskName"},
}
CALLER_FIELDS = {"pathname", "filename", "module", "lineno", "funcName"}
# What `logging` itself sets `_srcfile` to: frames from this file are skipped by findCaller.
_LOGGING_SRCFILE = os.path.normcase(logging.addLevelName.__code__.co_filename)
# Formatter classes that print only the fields their format string names.
_BY_FORMAT_STRING = (logging.Formatter, ServerFormatter)
_WORD = re.compile(r"\w+")


def configure(config: dict) -> None:
    """Apply `config` (dictConfig), then switch off each lookup no formatter needs."""
    logging.config.dictConfig(config)
    used = fields_used()
    for switch, fields in LOOKUPS.items():
        setattr(logging, switch, used is None or bool(used & fields))
    logging._srcfile = _LOGGING_SRCFILE if used is None or used & CALLER_FIELDS else None


def fields_used() -> set[str] | None:
    """The words of every configured format string, or None when a formatter might print
    any field (a class that formats more than its format string)."""
    used: set[str] = set()
    for formatter in _formatters():
        if type(formatter) not in _BY_FORMAT_STRING:
            return None
        used.update(_WORD.findall(formatter._fmt or ""))
    return used


def _formatters():
    loggers = [logging.getLogger()] + [
        logger
        for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            yield handler.formatter or logging._defaultFormatter
