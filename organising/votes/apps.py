from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VotesConfig(AppConfig):
    name = "organising.votes"
    label = "votes"
    verbose_name = _("Votes")

    def ready(self) -> None:
        from . import live

        live.register()
