"""API shapes of petitions and signatures."""

from rest_framework import serializers

from .models import Petition, Signature


class PetitionUnitSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class PetitionSerializer(serializers.ModelSerializer):
    """What anyone may read of a petition."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    unit = PetitionUnitSerializer(read_only=True)
    accepts_signatures = serializers.BooleanField(read_only=True)

    class Meta:
        model = Petition
        fields = [
            "id",
            "slug",
            "uri",
            "unit",
            "title",
            "text_html",
            "goal",
            "ends_at",
            "status",
            "location",
            "ask_phone",
            "consent_text",
            "signature_count",
            "accepts_signatures",
            "opened_at",
            "closed_at",
        ]
        read_only_fields = fields


class PetitionOfficerSerializer(PetitionSerializer):
    """A petition as its officers read it (with the text as written)."""

    class Meta(PetitionSerializer.Meta):
        fields = [*PetitionSerializer.Meta.fields, "text", "created_at"]
        read_only_fields = fields


class PetitionWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(max_length=20000)
    goal = serializers.IntegerField(min_value=1, max_value=100_000_000, default=1000)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    location = serializers.ChoiceField(
        choices=Petition.Location.choices, default=Petition.Location.POSTCODE
    )
    ask_phone = serializers.BooleanField(default=False)
    consent_text = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )


class PetitionCreateSerializer(PetitionWriteSerializer):
    unit = serializers.SlugField(help_text="The slug of the unit hosting it.")
    slug = serializers.SlugField(
        max_length=80, required=False, allow_blank=True, default=""
    )


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Petition.Status.choices)


class SignSerializer(serializers.Serializer):
    """A signature request. `website` is a trap for robots: leave it out or empty."""

    first_name = serializers.CharField(max_length=80)
    last_name = serializers.CharField(max_length=80)
    email = serializers.CharField(max_length=254)
    postcode = serializers.CharField(
        max_length=10, required=False, allow_blank=True, default=""
    )
    commune = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default=""
    )
    phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, default=""
    )
    consent_contact = serializers.BooleanField(default=False)
    show_publicly = serializers.BooleanField(default=False)
    website = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class SignatureTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=100)


class ConfirmedSerializer(serializers.Serializer):
    petition = serializers.SlugField()
    signature_count = serializers.IntegerField()


class PetitionMessageSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SignerSerializer(serializers.Serializer):
    first_name = serializers.CharField()
    commune = serializers.CharField()


class SignatureSerializer(serializers.ModelSerializer):
    routed_to = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Signature
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "postcode",
            "commune",
            "phone",
            "consent_contact",
            "show_publicly",
            "confirmed_at",
            "routed_to",
        ]
        read_only_fields = fields


class SignaturePageSerializer(serializers.Serializer):
    results = SignatureSerializer(many=True)
    next = serializers.CharField(
        allow_null=True, help_text="Pass it as ?before= for the next page."
    )


class ActivitySerializer(serializers.Serializer):
    requested_last_hour = serializers.IntegerField()
    confirmed_last_hour = serializers.IntegerField()
    unconfirmed = serializers.IntegerField()
    hourly_mean_before = serializers.FloatField()
    surge = serializers.BooleanField()
    top_domains = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField())
    )
    top_networks = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField())
    )
