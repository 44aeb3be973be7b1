from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "organising.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from organising.votes.signals import vote_closed

        from .services import on_vote_closed

        # An amendment sent to a vote is applied or rejected when the vote closes.
        vote_closed.connect(on_vote_closed, dispatch_uid="documents.amendment_vote")
        from . import live

        live.register()
