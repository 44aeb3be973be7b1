from rest_framework import serializers

from federation.models import Unit

from .models import ApiToken, Invitation, Membership, Role, User


class MembershipSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["unit", "unit_name", "status", "started_on", "ended_on", "end_reason"]


class RoleSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Role
        fields = ["unit", "kind", "started_on"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)
    roles = serializers.SerializerMethodField()
    shared_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=User.SHAREABLE_FIELDS), required=False
    )

    class Meta:
        model = User
        fields = [
            "public_id",
            "email",
            "display_name",
            "commune",
            "phone",
            "bio",
            "shared_fields",
            "memberships",
            "roles",
        ]
        read_only_fields = ["public_id", "email"]

    def get_roles(self, user: User) -> list[dict]:
        current = [role for role in user.roles.all() if role.ended_on is None]
        return RoleSerializer(current, many=True).data


class MemberRowSerializer(serializers.Serializer):
    """A member as their unit's officers see them in a list."""

    public_id = serializers.UUIDField(source="user.public_id")
    display_name = serializers.CharField(source="user.display_name")
    email = serializers.EmailField(source="user.email")
    cell = serializers.CharField(source="unit.slug")
    status = serializers.CharField()
    started_on = serializers.DateField()
    ended_on = serializers.DateField()


class InvitationCreateSerializer(serializers.Serializer):
    unit = serializers.SlugRelatedField(slug_field="slug", queryset=Unit.objects.all())
    email = serializers.EmailField()
    display_name = serializers.CharField(max_length=120, required=False, default="")
    status = serializers.ChoiceField(
        choices=Membership.Status.choices, default=Membership.Status.ADHERENT
    )


class InvitationSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "display_name",
            "unit",
            "status",
            "state",
            "expires_at",
        ]


class OfficeHolderSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    display_name = serializers.CharField()


class OfficeSerializer(serializers.ModelSerializer):
    """An office held at a unit (the API's offices of a unit)."""

    unit = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    member = OfficeHolderSerializer(source="user", read_only=True)

    class Meta:
        model = Role
        fields = ["id", "unit", "kind", "member", "started_on", "ended_on"]


class OfficeAssignSerializer(serializers.Serializer):
    member = serializers.UUIDField(
        help_text="The public id of an adherent of the unit."
    )
    kind = serializers.ChoiceField(choices=Role.Kind.choices)


class TransferSerializer(serializers.Serializer):
    to_cell = serializers.SlugRelatedField(
        slug_field="slug", queryset=Unit.objects.all()
    )


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "hint", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["hint", "created_at", "last_used_at", "revoked_at"]
