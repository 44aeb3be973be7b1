"""API shapes of votes, ballots, receipts and results."""

from rest_framework import serializers

from .models import Vote

ELECTORATES = ["unit_tree", "unit", "officers", "group"]


class VoteUnitSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class OptionSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    label = serializers.CharField()


class VoteSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    unit = VoteUnitSerializer(read_only=True)
    group = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    options = OptionSerializer(many=True, read_only=True)

    class Meta:
        model = Vote
        fields = [
            "id",
            "unit",
            "group",
            "audience",
            "subject",
            "kind",
            "status",
            "title",
            "text",
            "text_html",
            "options",
            "max_choices",
            "seats",
            "opens_at",
            "closes_at",
            "quorum_percent",
            "quorum_count",
            "secret",
            "results_while_open",
            "adherents_only",
            "dues_required",
            "allow_change",
            "max_proxies",
            "weighted",
            "electorate_size",
            "created_at",
            "opened_at",
            "closed_at",
        ]
        read_only_fields = fields


class VoteCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(max_length=20000, required=False, default="")
    kind = serializers.ChoiceField(choices=Vote.Kind.choices)
    options = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list
    )
    audience = serializers.ChoiceField(choices=ELECTORATES, default="unit_tree")
    unit = serializers.SlugField(required=False, help_text="The unit that votes.")
    group = serializers.IntegerField(required=False, help_text="The group that votes.")
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    max_choices = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    seats = serializers.IntegerField(required=False, default=1, min_value=1)
    quorum_percent = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100
    )
    quorum_count = serializers.IntegerField(
        required=False, allow_null=True, min_value=0
    )
    secret = serializers.BooleanField(required=False, default=True)
    results_while_open = serializers.BooleanField(required=False, default=False)
    adherents_only = serializers.BooleanField(required=False, default=True)
    dues_required = serializers.BooleanField(required=False, default=False)
    allow_change = serializers.BooleanField(required=False, default=False)
    max_proxies = serializers.IntegerField(
        required=False, default=2, min_value=0, max_value=10
    )
    weighted = serializers.BooleanField(required=False, default=False)

    def validate(self, data):
        if data.get("audience") == "group":
            if data.get("group") is None:
                raise serializers.ValidationError({"group": ["Give the group."]})
        elif not data.get("unit"):
            raise serializers.ValidationError({"unit": ["Give the unit's slug."]})
        return data


class VoteEditSerializer(serializers.Serializer):
    """What a draft may change (options included: refused once open)."""

    title = serializers.CharField(max_length=200, required=False)
    text = serializers.CharField(max_length=20000, required=False)
    options = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False
    )
    opens_at = serializers.DateTimeField(required=False)
    closes_at = serializers.DateTimeField(required=False)
    max_choices = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    seats = serializers.IntegerField(required=False, min_value=1)
    quorum_percent = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100
    )
    quorum_count = serializers.IntegerField(
        required=False, allow_null=True, min_value=0
    )


class BallotSerializer(serializers.Serializer):
    choices = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=10_000),
        allow_empty=True,
        max_length=64,
        help_text="Option positions; ranked: in order of preference.",
    )
    for_member = serializers.UUIDField(
        required=False, help_text="Cast the ballot of a member whose proxy you hold."
    )


class BallotChangeSerializer(serializers.Serializer):
    receipt = serializers.CharField(max_length=20)
    choices = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=10_000),
        allow_empty=True,
        max_length=64,
    )


class ReceiptSerializer(serializers.Serializer):
    receipt = serializers.CharField()


class ReceiptCheckSerializer(serializers.Serializer):
    receipt = serializers.CharField()
    found = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.IntegerField())
    counted = serializers.BooleanField(help_text="The vote is closed and counted.")


class TurnoutSerializer(serializers.Serializer):
    ballots = serializers.IntegerField()
    electorate = serializers.IntegerField()
    percent = serializers.FloatField()
    quorum_needed = serializers.IntegerField()
    quorum_met = serializers.BooleanField()


class UnitFiguresSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField()
    name = serializers.CharField()
    path = serializers.CharField()
    depth = serializers.IntegerField()
    electorate = serializers.IntegerField()
    ballots = serializers.IntegerField()
    by_proxy = serializers.IntegerField()
    votes = serializers.ListField(child=serializers.IntegerField())
    turnout_percent = serializers.FloatField()


class RoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    totals = serializers.DictField(
        child=serializers.CharField(), help_text="Option position → votes (decimal)."
    )
    exhausted = serializers.CharField()
    elected = serializers.ListField(child=serializers.IntegerField())
    excluded = serializers.IntegerField(allow_null=True)
    transferred_from = serializers.IntegerField(allow_null=True)
    transfer_value = serializers.CharField(allow_null=True)


class ResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField())
    electorate = serializers.IntegerField()
    ballots = serializers.IntegerField()
    by_proxy = serializers.IntegerField()
    turnout_percent = serializers.FloatField()
    votes = serializers.ListField(child=serializers.IntegerField())
    proxy_votes = serializers.ListField(child=serializers.IntegerField())
    quorum_needed = serializers.IntegerField()
    quorum_met = serializers.BooleanField()
    winners = serializers.ListField(child=serializers.IntegerField())
    tie = serializers.BooleanField()
    adopted = serializers.BooleanField(allow_null=True)
    seats = serializers.IntegerField()
    pairwise = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), allow_null=True
    )
    paths = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), allow_null=True
    )
    order = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    quota = serializers.IntegerField(allow_null=True)
    rounds = RoundSerializer(many=True, allow_null=True)
    breakdown = UnitFiguresSerializer(many=True)
    final = serializers.BooleanField(help_text="False while the vote is open.")
