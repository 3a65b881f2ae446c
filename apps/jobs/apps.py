from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "apps.jobs"
    label = "jobs"
    verbose_name = "Jobs"

    def ready(self):
        from django.conf import settings
        from django.utils.module_loading import autodiscover_modules
        from huey.contrib.djhuey import HUEY

        from . import clock
        from .heartbeat import heartbeat_start
        from .recorder import RECORDED, recorder

        if settings.JOBS_TASK_HISTORY:
            HUEY.signal(*RECORDED)(recorder.on_signal)
            HUEY.post_execute("jobs_result")(recorder.on_result)
            # A finished task leaves the in-flight register once its outcome is written.
            HUEY.release_later = recorder.release_later
        HUEY.on_startup("jobs_heartbeat")(heartbeat_start)
        HUEY.on_shutdown("jobs_history_flush")(recorder.flush)
        # Every process knows every periodic job (jobs_list, the console), not only consumers.
        autodiscover_modules("tasks")
        if settings.JOBS_SIMULATED_CLOCK_RATE:  # tests only: schedulers read a faster clock
            HUEY.clock = clock.now
