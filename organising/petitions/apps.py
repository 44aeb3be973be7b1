from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "organising.petitions"
    label = "petitions"
    verbose_name = _("Petitions")

    def ready(self) -> None:
        from . import live

        live.register_topic()
