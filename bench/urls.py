"""ROOT_URLCONF of the bench servers (MAILLAGE_ROOT_URLCONF=bench.urls): the site's
own URLs, plus `/bench/bare/` when MAILLAGE_BENCH_BARE=1 (bench.common.serve() sets
both)."""

import os

from django.urls import include, path

from bench.bare_view import bare

urlpatterns = []
if os.environ.get("MAILLAGE_BENCH_BARE") == "1":
    urlpatterns.append(path("bench/bare/", bare, name="bench-bare"))
urlpatterns.append(path("", include("organising.urls")))
