"""API shapes of documents, revisions, comments, amendments and files."""

from rest_framework import serializers

from organising.api_fields import id_field

from .models import (
    BODY_MAX_BYTES,
    Amendment,
    Attachment,
    Comment,
    Document,
    Revision,
)


class OwnerSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class DocumentSerializer(serializers.ModelSerializer):
    """A document without its text (lists)."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    unit = OwnerSerializer(allow_null=True, read_only=True)
    group = OwnerSerializer(allow_null=True, read_only=True)
    folder = serializers.CharField(source="folder.name", allow_null=True, default=None)
    revision = serializers.IntegerField(source="revision_number", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "uri",
            "unit",
            "group",
            "folder",
            "title",
            "audience",
            "editors",
            "revision",
            "amendments_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DocumentDetailSerializer(DocumentSerializer):
    body = serializers.CharField(read_only=True)
    body_html = serializers.SerializerMethodField()

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "body", "body_html"]
        read_only_fields = fields

    def get_body_html(self, document) -> str:
        from .services import rendered

        return rendered(document)


class DocumentCreateSerializer(serializers.Serializer):
    unit = serializers.SlugField(required=False, help_text="The unit's slug")
    group = serializers.SlugField(required=False, help_text="Or the group's slug")
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=BODY_MAX_BYTES,
    )
    audience = serializers.ChoiceField(
        choices=Document._meta.get_field("audience").choices, required=False
    )
    editors = serializers.ChoiceField(choices=Document.Editors, required=False)
    folder = serializers.CharField(max_length=120, required=False, allow_blank=True)
    amendments_until = serializers.DateTimeField(required=False, allow_null=True)


class SaveSerializer(serializers.Serializer):
    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=BODY_MAX_BYTES
    )
    base_revision = serializers.IntegerField(min_value=0, max_value=2**31)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True)


class RevisionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.display_name", default=None)
    base_revision = serializers.IntegerField(source="base_number", allow_null=True)
    amendment = serializers.IntegerField(source="amendment.number", default=None)

    class Meta:
        model = Revision
        fields = [
            "number",
            "author",
            "created_at",
            "summary",
            "base_revision",
            "origin",
            "restored_from",
            "amendment",
            "title",
            "length",
        ]
        read_only_fields = fields


class RevisionBodySerializer(RevisionSerializer):
    body = serializers.CharField()

    class Meta(RevisionSerializer.Meta):
        fields = [*RevisionSerializer.Meta.fields, "body"]
        read_only_fields = fields


class SaveResultSerializer(serializers.Serializer):
    revision = RevisionSerializer()
    merged = serializers.BooleanField(
        help_text="Another save came in between: both were merged."
    )


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    merged_text = serializers.CharField(
        help_text="Both versions of each overlap between conflict markers."
    )
    base_revision = serializers.IntegerField(
        help_text="Save the resolved text from this revision."
    )


class HunkSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["equal", "insert", "delete", "skip"])
    text = serializers.CharField()


class DiffSerializer(serializers.Serializer):
    from_revision = serializers.IntegerField()
    to_revision = serializers.IntegerField()
    hunks = HunkSerializer(many=True)


class RestoreSerializer(serializers.Serializer):
    revision = serializers.IntegerField(min_value=1, max_value=2**31)


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.display_name", default=None)
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    resolved = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id",
            "parent",
            "author",
            "revision_number",
            "quote",
            "offset",
            "body",
            "body_html",
            "created_at",
            "resolved",
        ]
        read_only_fields = fields

    def get_resolved(self, comment) -> bool:
        return comment.resolved_at is not None


class CommentWriteSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    quote = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    offset = serializers.IntegerField(min_value=0, max_value=2**31, required=False)
    parent = id_field(required=False)


class ResolveSerializer(serializers.Serializer):
    resolved = serializers.BooleanField(default=True)


class AmendmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    author = serializers.CharField(source="author.display_name", default=None)
    on_behalf_of = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Amendment
        fields = [
            "id",
            "number",
            "author",
            "on_behalf_of",
            "kind",
            "status",
            "quote",
            "offset",
            "text",
            "justification",
            "revision_number",
            "applied_revision",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields


class AmendmentWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Amendment.Kind)
    quote = serializers.CharField(max_length=20000, trim_whitespace=False)
    text = serializers.CharField(
        max_length=20000, required=False, allow_blank=True, trim_whitespace=False
    )
    justification = serializers.CharField(max_length=5000)
    offset = serializers.IntegerField(min_value=0, max_value=2**31, required=False)


class DecideSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["accepted", "rejected", "voting"])


class AttachmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        return attachment.get_absolute_url()


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(max_length=1000)
