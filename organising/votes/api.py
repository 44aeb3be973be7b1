"""REST endpoints of the votes under /api/v1/: my votes (open, closed, drafts I
run), a vote, create, edit a draft, open, close, cast or change a ballot, check a
receipt, the turnout, the results with the breakdown. Views parse, fetch through
the policy, call one service; domain errors answer 400 naming the field."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from federation import access
from federation.models import Group, Unit

from . import results, selectors, services
from .models import Ballot, Proxy, Vote
from .serializers import (
    BallotChangeSerializer,
    BallotSerializer,
    ReceiptCheckSerializer,
    ReceiptSerializer,
    ResultSerializer,
    TurnoutSerializer,
    VoteCreateSerializer,
    VoteEditSerializer,
    VoteSerializer,
)


def _vote(request, public_id, action: str = "vote.view") -> Vote:
    vote = access.get_visible_or_404(
        request.user,
        Vote.objects.select_related(
            "unit", "group", "audience_unit", "audience_group"
        ).prefetch_related("options"),
        public_id=public_id,
    )
    if not access.can(request.user, "vote.view", vote):
        raise Http404
    if action != "vote.view":
        access.require(request.user, action, vote)
    return vote


class VoteList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_votes_list",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=["open", "closed", "draft"],
                description="Default: open. Drafts: those of the units you run.",
            )
        ],
        responses=VoteSerializer(many=True),
    )
    def get(self, request):
        """My votes in one state (at most 50): open ones closing first, closed ones
        latest first."""
        state = request.query_params.get("status", "open")
        if state not in ("open", "closed", "draft"):
            raise ValidationError({"status": ["open, closed or draft."]})
        votes = selectors.votes_for(request.user, state)
        prefetch_related_objects(votes, "options")
        return Response(VoteSerializer(votes, many=True).data)

    @extend_schema(request=VoteCreateSerializer, responses={201: VoteSerializer})
    def post(self, request):
        """Put a question to the vote (a draft, opened on time). Officers of the
        unit (or above), a group's admins."""
        data = VoteCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        unit_slug, group_id = fields.pop("unit", None), fields.pop("group", None)
        if fields["audience"] == "group":
            fields["group"] = get_object_or_404(
                Group.objects.select_related("unit"), pk=group_id
            )
        else:
            fields["unit"] = get_object_or_404(Unit, slug=unit_slug)
        vote = services.vote_create(by=request.user, **fields)
        return Response(
            VoteSerializer(_vote(request, vote.public_id)).data,
            status=status.HTTP_201_CREATED,
        )


class VoteDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=VoteSerializer)
    def get(self, request, public_id):
        return Response(VoteSerializer(_vote(request, public_id)).data)

    @extend_schema(request=VoteEditSerializer, responses=VoteSerializer)
    def patch(self, request, public_id):
        """Change a draft (once open, its options and rules are fixed: 400)."""
        vote = _vote(request, public_id, "vote.manage")
        data = VoteEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.vote_edit(vote=vote, by=request.user, **data.validated_data)
        return Response(VoteSerializer(_vote(request, public_id)).data)


class VoteOpen(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=VoteSerializer)
    def post(self, request, public_id):
        """Open now (the electorate is fixed at this moment)."""
        vote = _vote(request, public_id, "vote.open")
        services.vote_open(vote=vote, by=request.user)
        return Response(VoteSerializer(_vote(request, public_id)).data)


class VoteClose(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=VoteSerializer)
    def post(self, request, public_id):
        """Close now (final: the count is kept)."""
        vote = _vote(request, public_id, "vote.close")
        services.vote_close(vote=vote, by=request.user)
        return Response(VoteSerializer(_vote(request, public_id)).data)


class BallotCast(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=BallotSerializer, responses={201: ReceiptSerializer})
    def post(self, request, public_id):
        """Cast my ballot (or, with `for_member`, the ballot of a member whose proxy
        I hold). The receipt code is given once, here."""
        vote = _vote(request, public_id, "vote.cast")
        data = BallotSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        for_member = None
        if data.validated_data.get("for_member"):
            proxy = (
                Proxy.objects.filter(
                    vote=vote,
                    holder_id=request.user.pk,
                    giver__public_id=data.validated_data["for_member"],
                )
                .select_related("giver")
                .first()
            )
            if proxy is None:
                raise ValidationError({"for_member": ["You hold no proxy from them."]})
            for_member = proxy.giver
        receipt = services.ballot_cast(
            vote=vote,
            by=request.user,
            choices=data.validated_data["choices"],
            for_member=for_member,
        )
        return Response({"receipt": receipt}, status=status.HTTP_201_CREATED)


class BallotChange(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=BallotChangeSerializer, responses=ReceiptSerializer)
    def post(self, request, public_id):
        """Replace my ballot, found by its receipt, if the vote allows it."""
        vote = _vote(request, public_id, "vote.cast")
        data = BallotChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ballot = services.ballot_change(
            vote=vote,
            by=request.user,
            receipt=data.validated_data["receipt"],
            choices=data.validated_data["choices"],
        )
        return Response({"receipt": ballot.receipt})


class ReceiptCheck(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ReceiptCheckSerializer)
    def get(self, request, public_id, receipt):
        """Whether a ballot with this receipt is in the box, and what it says."""
        vote = _vote(request, public_id)
        code = receipt.strip().upper()[:20]
        ballot = Ballot.objects.filter(vote=vote, receipt=code).first()
        return Response(
            {
                "receipt": code,
                "found": ballot is not None,
                "choices": ballot.positions if ballot else [],
                "counted": ballot is not None and vote.is_closed,
            }
        )


class VoteTurnout(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=TurnoutSerializer)
    def get(self, request, public_id):
        """How many have voted, against the electorate, and the quorum."""
        return Response(selectors.turnout(_vote(request, public_id)))


class VoteResults(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ResultSerializer)
    def get(self, request, public_id):
        """Totals, turnout, quorum, winners with the count's rounds, and the
        breakdown by every unit below the vote's (closed, or live where allowed)."""
        vote = _vote(request, public_id, "vote.results.view")
        data = results.result_of(vote).as_json()
        data["final"] = vote.is_closed
        return Response(data)
