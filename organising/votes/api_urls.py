"""API routes of the votes, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("votes/", api.VoteList.as_view(), name="api-votes"),
    path("votes/<uuid:public_id>/", api.VoteDetail.as_view(), name="api-vote"),
    path("votes/<uuid:public_id>/open/", api.VoteOpen.as_view(), name="api-vote-open"),
    path(
        "votes/<uuid:public_id>/close/", api.VoteClose.as_view(), name="api-vote-close"
    ),
    path(
        "votes/<uuid:public_id>/ballots/",
        api.BallotCast.as_view(),
        name="api-vote-ballots",
    ),
    path(
        "votes/<uuid:public_id>/ballots/change/",
        api.BallotChange.as_view(),
        name="api-vote-ballot-change",
    ),
    path(
        "votes/<uuid:public_id>/receipts/<str:receipt>/",
        api.ReceiptCheck.as_view(),
        name="api-vote-receipt",
    ),
    path(
        "votes/<uuid:public_id>/turnout/",
        api.VoteTurnout.as_view(),
        name="api-vote-turnout",
    ),
    path(
        "votes/<uuid:public_id>/results/",
        api.VoteResults.as_view(),
        name="api-vote-results",
    ),
]
