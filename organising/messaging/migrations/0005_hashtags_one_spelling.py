"""Hashtags written in full width or capitals (#Ｌyon, #LYON) become the tag they
read as (#lyon): each tag takes its NFKC case-folded name, and tags that fold to the
same name are merged (their posts keep every tag they had)."""

import unicodedata

from django.db import migrations


def fold(name: str) -> str:
    # organising.messaging.text.hashtag_key, frozen here as migrations must be.
    return unicodedata.normalize("NFKC", name).casefold()[:60]


def one_spelling(apps, schema_editor):
    Hashtag = apps.get_model("messaging", "Hashtag")
    Post = apps.get_model("messaging", "Post")
    links = Post.hashtags.through
    for tag in Hashtag.objects.order_by("pk").iterator():
        key = fold(tag.name)
        if key == tag.name:
            continue
        target = Hashtag.objects.filter(name=key).first()
        if target is None:
            tag.name = key
            tag.save(update_fields=["name"])
            continue
        tagged = links.objects.filter(hashtag=target).values_list("post_id", flat=True)
        links.objects.filter(hashtag=tag).exclude(post_id__in=list(tagged)).update(
            hashtag=target
        )
        links.objects.filter(hashtag=tag).delete()
        tag.delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0004_notification_kind_join")]

    operations = [migrations.RunPython(one_spelling, migrations.RunPython.noop)]
