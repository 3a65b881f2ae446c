"""Settings for `make bench` (`--ds=tests.bench.settings`): the project's own, plus the Django
apps of the peers we are measured against (the `bench` extra: django-post-office for delivery,
django-celery-results for the task list) and the API peer's route (a minimal django-ninja
endpoint at /bench-peer/summaries, tests/bench/peers/ninja_api.py). Nothing here changes how
our own code runs."""

from project.settings import *  # noqa: F403
from project.settings import INSTALLED_APPS, LOGGING

INSTALLED_APPS = [*INSTALLED_APPS, "post_office", "django_celery_results"]
ROOT_URLCONF = "tests.bench.peers.api_urls"

# django-post-office as its users run it: full logging (every attempt logged), its own lock,
# no rendering at enqueue time (the template is rendered when sent, as ours is).
POST_OFFICE = {"LOG_LEVEL": 2, "BATCH_SIZE": 100, "MESSAGE_ID_ENABLED": True}

# post-office logs every batch at INFO (with a handler of its own unless the logger has one):
# keep the benchmark's output to the figures.
_quiet = {"handlers": ["console"], "level": "WARNING", "propagate": False}
LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"], "post_office": _quiet}}
