from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationConfig(AppConfig):
    name = "federation"
    label = "federation"
    verbose_name = _("Organisation tree")

    def ready(self) -> None:
        from . import viewer_cache

        viewer_cache.connect()
