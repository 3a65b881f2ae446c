from django.apps import AppConfig


class FastRenderConfig(AppConfig):
    name = "tests.bench.peers.fast_render"
    label = "bench_fast_render"

    def ready(self):
        from . import install

        install()
