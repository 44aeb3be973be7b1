from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgendaConfig(AppConfig):
    name = "organising.agenda"
    label = "agenda"
    verbose_name = _("Agenda")

    def ready(self) -> None:
        from . import live

        live.register()
