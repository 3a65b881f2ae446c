from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "apps.mail"
    label = "mail"
    verbose_name = "Email"

    def ready(self) -> None:
        from anymail.signals import tracking

        from apps.jobs.signals import run_lost

        from .receivers import delivery_lost, tracking_received

        tracking.connect(tracking_received, dispatch_uid="mail.tracking_received")
        run_lost.connect(delivery_lost, dispatch_uid="mail.delivery_lost")
