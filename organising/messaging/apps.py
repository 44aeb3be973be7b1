from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "organising.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from . import broadcast, pagecache, signals  # noqa: F401 - signals: logout

        pagecache.connect()
        broadcast.connect()
