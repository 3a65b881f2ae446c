"""anymail's tracking signal, handed to the service that stores events."""

from . import services


def tracking_received(sender, event, esp_name, **kwargs) -> None:
    services.tracking_event_record(event=event, esp_name=esp_name)
