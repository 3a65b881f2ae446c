from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo for `make run`: `seed_demo` and `demo_traffic`.

    It sits on top like the console: it may use every app's models and services to set the
    scene, and no app imports it (it has no models).
    """

    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo"
