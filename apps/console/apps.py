from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConsoleConfig(AppConfig):
    """The ops console: what staff see (dashboard, audit trail, roles); it holds no business."""

    name = "apps.console"
    label = "console"
    verbose_name = "Console"

    def ready(self) -> None:
        from huey import signals
        from huey.contrib.djhuey import HUEY

        from .alerts import on_task_error

        post_migrate.connect(_sync_roles, sender=self)
        HUEY.signal(signals.SIGNAL_ERROR, signals.SIGNAL_TIMEOUT)(on_task_error)


def _sync_roles(sender, **kwargs) -> None:
    # Models added after the roles migration get their view permission into every role too.
    from .roles import roles_sync

    roles_sync()
