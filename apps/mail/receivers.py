"""anymail's tracking signal, handed to the service that stores events."""

from . import services


def tracking_received(sender, event, esp_name, **kwargs) -> None:
    services.tracking_event_record(event=event, esp_name=esp_name)


def delivery_lost(sender, *, task_name: str, task_id: str, **kwargs) -> None:
    """The reaper found a delivery task whose consumer died: settle the rows it had claimed."""
    from apps.jobs.adapter import task_name as name_of

    from .tasks import email_deliver_task

    if task_name == name_of(email_deliver_task):
        services.emails_interrupted(claim_id=task_id)
