from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    label = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from organising.collation import register_on_sqlite

        # Names sort the same on SQLite as with PostgreSQL's ICU collation.
        connection_created.connect(register_on_sqlite)
        from . import schema, signals  # noqa: F401  (OpenAPI auth; MFA cuts sessions)
