class JobsError(Exception):
    """Base of the jobs app's errors."""


class PeriodError(JobsError, ValueError):
    """A period kind or key that does not exist."""


class UnknownJobError(JobsError, LookupError):
    """No periodic job has this name."""


class TaskRunStateError(JobsError, ValueError):
    """The task run is in a state that does not allow the requested action."""


class UnknownTaskError(JobsError, LookupError):
    """No task of this name is registered with huey (renamed or removed since it ran)."""


class ScheduleError(JobsError, ValueError):
    """A crontab that is not five fields the schedule engine and huey both read."""


class ArgumentsError(JobsError, ValueError):
    """Arguments that do not fit the task's signature (the message says which and why)."""


class PeriodSupersededError(JobsError):
    """A periodic run's claim was taken over while it ran (it was declared lost): its
    outcome is discarded, and an atomic job's writes are rolled back."""
