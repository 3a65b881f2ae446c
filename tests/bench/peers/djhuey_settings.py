"""Bare djhuey: a Django project holding nothing but huey's Django integration and a no-op
`db_task`, drained by `run_huey` (how a Django user runs huey, without our jobs app).

    DJANGO_SETTINGS_MODULE=tests.bench.peers.djhuey_settings python -m django run_huey -w 4
"""

import os

import dj_database_url

SECRET_KEY = "bench-djhuey-peer"
USE_TZ = True
INSTALLED_APPS = ["huey.contrib.djhuey", "tests.bench.peers.djhuey_app"]
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
HUEY = {
    "huey_class": "huey.RedisHuey",
    "name": os.environ.get("BENCH_DJHUEY_NAME", "bench-djhuey"),
    "url": os.environ["REDIS_URL"],
    "consumer": {"workers": 4, "worker_type": "thread"},
}
