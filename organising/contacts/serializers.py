"""API shapes of contacts, their history, imports and the member directory."""

from rest_framework import serializers

from .models import Consent, Contact, ContactImport, Interaction


class ContactUnitSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class ContactMemberSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField(source="display_name")


class ConsentSerializer(serializers.ModelSerializer):
    covers = serializers.SerializerMethodField()

    class Meta:
        model = Consent
        fields = ["source", "given_at", "covers", "withdrawn_at"]
        read_only_fields = fields

    def get_covers(self, consent) -> list[str]:
        return sorted(consent.covers)


class ContactSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    unit = ContactUnitSerializer(read_only=True)
    follower = ContactMemberSerializer(read_only=True, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), source="tag_list")
    email = serializers.CharField(read_only=True)  # may be empty: not format "email"

    class Meta:
        model = Contact
        fields = [
            "id",
            "unit",
            "first_name",
            "last_name",
            "email",
            "phone",
            "address",
            "postcode",
            "commune",
            "tags",
            "notes",
            "follower",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContactDetailSerializer(ContactSerializer):
    consents = ConsentSerializer(many=True, read_only=True)
    shared_with = serializers.SerializerMethodField()
    member = ContactMemberSerializer(read_only=True, allow_null=True)

    class Meta(ContactSerializer.Meta):
        fields = [*ContactSerializer.Meta.fields, "consents", "shared_with", "member"]
        read_only_fields = fields

    def get_shared_with(self, contact) -> list[str]:
        return [str(share.member.public_id) for share in contact.shares.all()]


class ContactFieldsSerializer(serializers.Serializer):
    """The fields a client writes (all optional on a change)."""

    first_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)
    commune = serializers.CharField(max_length=120, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=30
    )
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class ContactCreateSerializer(ContactFieldsSerializer):
    unit = serializers.SlugField(help_text="The slug of the unit that keeps it")
    consent_source = serializers.CharField(max_length=120)
    consent_covers = serializers.ListField(
        child=serializers.ChoiceField(choices=Consent.Covers.choices),
        allow_empty=True,
        max_length=2,
    )
    consent_at = serializers.DateTimeField(required=False)


class InteractionSerializer(serializers.ModelSerializer):
    by = ContactMemberSerializer(read_only=True, allow_null=True)
    kind = serializers.ChoiceField(choices=Interaction.Kind.choices)
    at = serializers.DateTimeField(required=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)

    class Meta:
        model = Interaction
        fields = ["kind", "at", "note", "by"]


class MemberChoiceSerializer(serializers.Serializer):
    member = serializers.UUIDField(
        allow_null=True, help_text="A member's id (null: nobody, when reassigning)"
    )


class MergeSerializer(serializers.Serializer):
    keep = serializers.UUIDField(help_text="The contact that stays")
    other = serializers.UUIDField(help_text="The contact merged into it, then gone")


class ContactImportCreateSerializer(serializers.Serializer):
    unit = serializers.SlugField()
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=ContactImport.Format.choices)
    encoding = serializers.ChoiceField(
        choices=["utf-8", "cp1252", "latin-1"], default="utf-8"
    )
    consent_source = serializers.CharField(max_length=120)
    consent_covers = serializers.ListField(
        child=serializers.ChoiceField(choices=Consent.Covers.choices),
        allow_empty=True,
        max_length=2,
        required=False,
        default=list,
    )
    consent_at = serializers.DateTimeField(required=False)


class ContactImportSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    unit = ContactUnitSerializer(read_only=True)
    report = serializers.SerializerMethodField()

    class Meta:
        model = ContactImport
        fields = [
            "id",
            "unit",
            "format",
            "filename",
            "state",
            "rows_total",
            "counts",
            "report",
            "error",
            "created_at",
            "applied_at",
        ]
        read_only_fields = fields

    def get_report(self, batch) -> list[dict]:
        """One entry per row (the first 5,000): line, outcome, reason."""
        return [
            {"line": line, "outcome": outcome, "reason": why}
            for line, outcome, why in batch.report[:5000]
        ]


class DirectoryMemberSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    commune = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)
    email = serializers.CharField(required=False)
    bio = serializers.CharField(required=False)
    avatar_url = serializers.CharField(required=False)


class ContactDuplicateSerializer(serializers.Serializer):
    first = ContactSerializer()
    second = ContactSerializer()
    reason = serializers.ChoiceField(choices=["phone", "name"])
