from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


class ConsoleConfig(AppConfig):
    """The ops console: what staff see (dashboard, audit trail, roles); it holds no business."""

    name = "apps.console"
    label = "console"
    verbose_name = "Console"

    def ready(self) -> None:
        from huey import signals
        from huey.contrib.djhuey import HUEY

        from apps.jobs.signals import broker_lost_runs

        from .alerts import on_broker_lost_runs, on_task_error
        from .timezones import on_login

        post_migrate.connect(_sync_roles, sender=self)
        user_logged_in.connect(on_login, dispatch_uid="console.time_zone")
        broker_lost_runs.connect(on_broker_lost_runs, dispatch_uid="console.broker_lost_runs")
        HUEY.signal(signals.SIGNAL_ERROR, signals.SIGNAL_TIMEOUT)(on_task_error)


def _sync_roles(sender, **kwargs) -> None:
    # Models added after the roles migration get their view permission into every role too.
    from .roles import roles_sync

    roles_sync()
