"""The benchmark's URLconf: the project's own routes, plus the API peer at /bench-peer/."""

from django.urls import path

from project.urls import urlpatterns as project_urlpatterns
from tests.bench.peers.ninja_api import peer_api

urlpatterns = [path("bench-peer/", peer_api.urls), *project_urlpatterns]
