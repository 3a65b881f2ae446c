"""Is rendering a stored version for one recipient cheaper than compiling its MJML once?"""

import time
from dataclasses import dataclass

from .mjml_compile import compile_mjml
from .rendering import combine
from .services import render_for, template_active_version


@dataclass
class BenchResult:
    template_key: str
    iterations: int
    html_bytes: int
    renders_per_second: float
    compiles_per_second: float

    @property
    def ratio(self) -> float:
        return self.renders_per_second / self.compiles_per_second

    def lines(self) -> list[str]:
        return [
            f"template {self.template_key}: {self.iterations} iterations, "
            f"{self.html_bytes:,} bytes of rendered HTML",
            f"personalized renders (subject + HTML + text, signed links): "
            f"{self.renders_per_second:,.0f}/s",
            f"bare mjml2html compiles of the same template: {self.compiles_per_second:,.0f}/s",
            f"ratio: a personalized render is {self.ratio:.2f}x as fast as one bare compile",
        ]


def _rate(function, iterations: int) -> float:
    function(0)  # warm caches (parsed templates, imports)
    start = time.perf_counter()
    for i in range(iterations):
        function(i)
    return iterations / (time.perf_counter() - start)


def bench_render(*, template_key: str, iterations: int = 2000) -> BenchResult:
    version = template_active_version(key=template_key)
    document, _ = combine(version.layout_mjml, version.mjml)
    sample = version.sample_context

    def personalized(i: int):
        context = {**sample, "name": f"Recipient {i}"}
        return render_for(version=version, address=f"user{i}@example.com", context=context)

    html_bytes = len(personalized(0).html.encode())
    renders = _rate(personalized, iterations)
    compiles = _rate(lambda i: compile_mjml(document), iterations)
    return BenchResult(template_key, iterations, html_bytes, renders, compiles)
