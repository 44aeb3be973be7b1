from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuesConfig(AppConfig):
    name = "organising.dues"
    label = "dues"
    verbose_name = _("Dues")

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the system checks)
