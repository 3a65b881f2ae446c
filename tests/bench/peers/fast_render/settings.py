"""A consumer whose sends render with the old FastTemplate (benchmark contender only)."""

from tests.bench.settings import *  # noqa: F403
from tests.bench.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.bench.peers.fast_render.apps.FastRenderConfig"]
