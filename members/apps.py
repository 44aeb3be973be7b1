from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    label = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from . import schema, signals  # noqa: F401  (OpenAPI auth; MFA cuts sessions)
