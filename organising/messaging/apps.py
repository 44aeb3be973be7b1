from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "organising.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the logout receiver
