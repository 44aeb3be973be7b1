from django.apps import AppConfig


class OrganisingConfig(AppConfig):
    """The project itself, for what must hold in every app from the start."""

    name = "organising"
    label = "organising"

    def ready(self) -> None:
        from organising.api_fields import refuse_non_strings

        refuse_non_strings()
