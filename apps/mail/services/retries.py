"""The one "last try" rule of email delivery: when a transient failure is final.

huey owns the retries (tasks.py: MAIL_MAX_ATTEMPTS - 1 of them, with a doubling delay), and each
run of a delivery task claims its rows once more, so an email's `attempts` counts its tries. The
two counts part ways when an email travels between tasks: the sweeper or an operator queues it in
a new task (its tries so far still count), an interrupted run gives back the tries of the rows it
never handed over, and a run also claims due urgent rows it was not started for. So a transient
failure is final when either count has run out:

| the task carrying the email | the email's tries, this one included | a transient failure |
| --- | --- | --- |
| will run again (huey retries left) | fewer than MAIL_MAX_ATTEMPTS | queued for the retry |
| will not run again (or no task) | any | fails: gave up |
| any | MAIL_MAX_ATTEMPTS | fails: gave up |
"""

from django.conf import settings


def is_last_try(*, retries_left: int | None = None, attempts: int = 0) -> bool:
    """Whether a transient delivery failure now is final (see the table above).

    `retries_left`: how many more times the task will run (huey's `task.retries`, 0 without a
    task); `attempts`: the email's tries, this one included. Either may be left out (None, 0)
    when the caller only knows the other.
    """
    out_of_retries = retries_left is not None and retries_left <= 0
    return out_of_retries or attempts >= settings.MAIL_MAX_ATTEMPTS
