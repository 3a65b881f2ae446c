"""The time periodic jobs see: the real clock, or (tests only) an accelerated one."""

import datetime as dt
import time

from django.conf import settings
from django.utils import timezone

_started = time.time()


def now() -> dt.datetime:
    """Aware UTC now; with JOBS_SIMULATED_CLOCK_RATE set, a clock running that much faster."""
    rate = settings.JOBS_SIMULATED_CLOCK_RATE
    if not rate:
        return timezone.now()
    epoch = dt.datetime.fromisoformat(settings.JOBS_SIMULATED_EPOCH).replace(tzinfo=dt.UTC)
    started = settings.JOBS_SIMULATED_STARTED_AT or _started
    return epoch + dt.timedelta(seconds=(time.time() - started) * rate)
