from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "apps.mail"
    label = "mail"
    verbose_name = "Email"

    def ready(self) -> None:
        from anymail.signals import tracking

        from .receivers import tracking_received

        tracking.connect(tracking_received, dispatch_uid="mail.tracking_received")
