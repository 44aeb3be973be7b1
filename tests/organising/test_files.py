"""Uploaded files: random names, reached only through views that check access, served
by Django, by nginx (X-Accel-Redirect) or by an S3-compatible storage (signed URLs);
uploads refused early when too large."""

import io
import re
import socket
import urllib.error
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test.client import FakePayload
from PIL import Image

from federation.models import Audience
from members.models import Role
from organising.messaging.models import Post, PostImage
from tests.organising.messaging import conftest as messaging_fixtures

people = messaging_fixtures.people
post_as = messaging_fixtures.post_as
stop_the_announcer = messaging_fixtures.stop_the_announcer

RANDOM_POST_NAME = re.compile(r"^posts/[A-Za-z0-9_-]{24}\.png$")
RANDOM_AVATAR_NAME = re.compile(r"^avatars/[A-Za-z0-9_-]{24}\.(png|jpg)$")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_SERVE = "django"


def png(size=(8, 8), color="red", name="holiday-at-home.png") -> SimpleUploadedFile:
    data = io.BytesIO()
    Image.new("RGB", size, color).save(data, format="PNG")
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/png")


def jpeg_with_gps(name="IMG_2031.jpg") -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (45.0, 45.0, 52.0), 3: "E", 4: (4.0, 50.0, 32.0)}
    data = io.BytesIO()
    Image.new("RGB", (900, 600), "blue").save(data, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/jpeg")


def image_url(post: Post) -> str:
    return post.images.get().get_absolute_url()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else b""


# --- Post images ---------------------------------------------------------------------


def test_post_images_get_random_names(people, post_as):
    first = post_as(people.alice, "one", images=[png()])
    second = post_as(people.alice, "two", images=[png()])
    names = [first.images.get().image.name, second.images.get().image.name]
    assert all(RANDOM_POST_NAME.match(name) for name in names), names
    assert names[0] != names[1]
    assert not any("holiday" in name for name in names)


def test_no_address_serves_the_media_folder_openly(people, post_as, client):
    post = post_as(people.alice, "cell only", images=[png()])
    name = post.images.get().image.name
    assert client.get(f"/media/{name}").status_code == 404


def test_a_cell_posts_image_is_served_only_to_those_who_see_the_post(
    people, post_as, client_as, client
):
    post = post_as(people.alice, "cell only", images=[png()])
    url = image_url(post)
    response = client_as(people.bob).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert body(response).startswith(b"\x89PNG")
    for outsider in (people.carol, people.erin, people.former):
        assert client_as(outsider).get(url).status_code == 404
    assert client.get(url).status_code == 404


def test_a_public_posts_image_is_served_to_anyone(people, post_as, client):
    post = post_as(people.alice, "public", audience=Audience.PUBLIC, images=[png()])
    assert client.get(image_url(post)).status_code == 200


def test_an_image_id_from_another_post_is_404(people, post_as, client_as):
    visible = post_as(people.alice, "party", audience=Audience.PARTY)
    hidden = post_as(people.carol, "other cell", images=[png()])
    url = f"/posts/{visible.pk}/images/{hidden.images.get().pk}/"
    assert client_as(people.alice).get(url).status_code == 404


def test_rows_stored_under_the_old_dated_names_keep_working(people, post_as, client_as):
    post = post_as(people.alice, "old")
    data = io.BytesIO()
    Image.new("RGB", (4, 4)).save(data, format="PNG")
    name = default_storage.save("posts/2026/12/image.png", ContentFile(data.getvalue()))
    PostImage.objects.create(post=post, image=name, width=4, height=4)
    response = client_as(people.bob).get(image_url(post))
    assert response.status_code == 200
    assert body(response) == data.getvalue()
    assert client_as(people.carol).get(image_url(post)).status_code == 404


def test_in_production_nginx_sends_the_file_after_the_check(
    people, post_as, client_as, settings
):
    settings.MEDIA_SERVE = "x-accel"
    post = post_as(people.alice, "cell only", images=[png()])
    name = post.images.get().image.name
    response = client_as(people.bob).get(image_url(post))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{name}"
    assert response["Content-Type"] == "image/png"
    assert response.content == b""
    refused = client_as(people.carol).get(image_url(post))
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused


def test_nginx_serves_uploads_only_from_an_internal_location():
    from django.conf import settings

    conf = (settings.BASE_DIR / "deploy" / "nginx.conf").read_text()
    block = re.search(r"location /protected-media/ \{(.*?)\}", conf, re.S)
    assert block and "internal;" in block.group(1)
    assert "location /media/" not in conf
    assert settings.MEDIA_ACCEL_PREFIX == "/protected-media/"


# --- Avatars -------------------------------------------------------------------------


@pytest.fixture
def with_avatar(people, client_as):
    """Alice uploads a phone photo as her avatar, shared with other members."""
    response = client_as(people.alice).post(
        "/me/",
        {
            "display_name": people.alice.display_name,
            "avatar": jpeg_with_gps(),
            "shared_fields": ["avatar"],
        },
    )
    assert response.status_code == 302, response.content
    people.alice.refresh_from_db()
    return people.alice


def test_an_avatar_is_stored_re_encoded_small_under_a_random_name(with_avatar):
    name = with_avatar.avatar.name
    assert RANDOM_AVATAR_NAME.match(name), name
    assert "IMG_2031" not in name
    with Image.open(with_avatar.avatar.open("rb")) as stored:
        assert not stored.getexif()
        assert max(stored.size) == 512


def test_an_avatar_is_served_to_members_when_shared(with_avatar, people, client_as):
    url = with_avatar.avatar_url
    assert url.startswith(f"/members/{with_avatar.public_id}/avatar/?v=")
    response = client_as(people.erin).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"GPS" not in body(response)
    page = client_as(people.erin).get(f"/members/{with_avatar.public_id}/")
    assert url in page.content.decode()


def test_an_avatar_is_not_served_to_those_who_may_not_see_the_member(
    with_avatar, people, client_as, client
):
    url = with_avatar.avatar_url
    assert client_as(people.sympathiser).get(url).status_code == 404
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


def test_an_avatar_not_shared_is_seen_only_by_its_owner_and_secretaries(
    with_avatar, people, tree, make_member, client_as
):
    with_avatar.shared_fields = []
    with_avatar.save(update_fields=["shared_fields"])
    url = with_avatar.avatar_url
    assert client_as(people.bob).get(url).status_code == 404
    assert client_as(with_avatar).get(url).status_code == 200
    secretary = make_member(
        tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.SECRETARY)]
    )
    assert client_as(secretary).get(url).status_code == 200
    page = client_as(people.bob).get(f"/members/{with_avatar.public_id}/")
    assert "/avatar/" not in page.content.decode()


def test_the_profile_form_links_the_avatar_through_the_checked_view(
    with_avatar, client_as
):
    page = client_as(with_avatar).get("/me/").content.decode()
    assert with_avatar.avatar_url.replace("&", "&amp;") in page
    assert with_avatar.avatar.name not in page


def test_replacing_or_clearing_an_avatar_deletes_the_old_file(
    with_avatar, client_as, django_capture_on_commit_callbacks
):
    old = with_avatar.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(with_avatar).post(
            "/me/",
            {
                "display_name": "Alice",
                "avatar": png(name="new.png"),
                "shared_fields": ["avatar"],
            },
        )
    assert response.status_code == 302, response.context["form"].errors
    with_avatar.refresh_from_db()
    assert with_avatar.avatar.name != old
    assert not default_storage.exists(old)
    newer = with_avatar.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        client_as(with_avatar).post(
            "/me/",
            {"display_name": "Alice", "avatar-clear": "on", "shared_fields": ["bio"]},
        )
    with_avatar.refresh_from_db()
    assert not with_avatar.avatar
    assert not default_storage.exists(newer)


def test_an_avatar_that_is_not_an_image_gets_a_field_error(people, client_as):
    fake = SimpleUploadedFile("me.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = client_as(people.alice).post(
        "/me/", {"display_name": "Alice", "avatar": fake}
    )
    assert response.status_code == 200
    assert "not an image" in " ".join(response.context["form"].errors["avatar"])
    people.alice.refresh_from_db()
    assert not people.alice.avatar


# --- Files stored before random names -----------------------------------------------


def test_media_clean_renames_and_re_encodes_old_files(
    people, post_as, client_as, django_capture_on_commit_callbacks
):
    post = post_as(people.alice, "old")
    old_image = default_storage.save(
        "posts/2026/12/image.png", ContentFile(png(size=(4000, 10)).read())
    )
    row = PostImage.objects.create(post=post, image=old_image, width=4000, height=10)
    old_avatar = default_storage.save(
        "avatars/IMG_2031.jpg", ContentFile(jpeg_with_gps().read())
    )
    people.bob.avatar = old_avatar
    people.bob.save(update_fields=["avatar"])
    broken = default_storage.save("avatars/notes.jpg", ContentFile(b"not an image"))
    people.carol.avatar = broken
    people.carol.save(update_fields=["avatar"])

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("media_clean", stdout=out, stderr=io.StringIO())
    assert "messaging.PostImage.image: 1 cleaned" in out.getvalue()
    assert "members.User.avatar: 1 cleaned, 1 refused" in out.getvalue()

    row.refresh_from_db()
    people.bob.refresh_from_db()
    assert RANDOM_POST_NAME.match(row.image.name)
    assert (row.width, row.height) == (2560, 6)
    assert RANDOM_AVATAR_NAME.match(people.bob.avatar.name)
    with Image.open(people.bob.avatar.open("rb")) as avatar:
        assert not avatar.getexif() and max(avatar.size) == 512
    assert not default_storage.exists(old_image)
    assert not default_storage.exists(old_avatar)
    assert default_storage.exists(broken)  # kept, still behind the checked view
    assert client_as(people.alice).get(row.get_absolute_url()).status_code == 200

    again = io.StringIO()
    call_command("media_clean", stdout=again, stderr=io.StringIO())
    assert "messaging.PostImage.image: 0 cleaned" in again.getvalue()


# --- Early refusal of large uploads --------------------------------------------------


def test_a_request_announcing_50_mb_is_refused_before_it_is_read(people, client_as):
    """The body is 1 KB: reading past it would fail the test (FakePayload)."""
    client = client_as(people.alice)
    response = client.generic(
        "POST",
        "/posts/new/",
        b"x" * 1024,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "at most 41 MB" in response.content.decode()
    api = client.generic(
        "POST",
        "/api/v1/posts/",
        b"x" * 1024,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert api.status_code == 413
    assert "41 MB" in api.json()["detail"]
    assert not Post.objects.exists()


def test_fake_payload_really_refuses_reads_past_its_end():
    """What the test above relies on."""
    payload = FakePayload(b"x" * 10)
    with pytest.raises(AssertionError):
        payload.read(11)


def test_a_file_over_10_mb_stops_being_stored_and_its_field_says_why(
    tree, people, client_as, settings
):
    settings.UPLOAD_MAX_FILE_BYTES = 64 * 1024  # the same path, with a smaller file
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    big = SimpleUploadedFile(
        "big.png", b"\x89PNG" + b"0" * (200 * 1024), content_type="image/png"
    )
    response = client_as(people.alice).post(
        "/posts/new/",
        {"body": "big", "audience": f"unit:{tree.cell_a1x.pk}", "images": big},
    )
    assert response.status_code == 400
    assert "10 MB" in " ".join(response.context["composer"].errors["images"])
    assert not Post.objects.exists()


def test_the_refused_file_keeps_nothing_of_its_content(settings):
    from organising.files import CappedUploadHandler

    settings.UPLOAD_MAX_FILE_BYTES = 10
    handler = CappedUploadHandler()
    handler.new_file("images", "x.png", "image/png", 100)
    assert handler.receive_data_chunk(b"a" * 8, 0) == b"a" * 8
    assert handler.receive_data_chunk(b"b" * 8, 8) is None
    refused = handler.file_complete(16)
    assert refused.size == 16 and refused.read() == b""


# --- S3-compatible storage (moto's server on a free local port) ----------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on 127.0.0.1, with a private bucket."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    port = _free_port()
    server = server_module.ThreadedMotoServer(
        ip_address="127.0.0.1", port=port, verbose=False
    )
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket="maillage-media")
    yield endpoint, client
    server.stop()


@pytest.fixture
def s3_storage(s3_server, settings):
    endpoint, client = s3_server
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "maillage-media",
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "signature_version": "s3v4",
                "querystring_auth": True,
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    settings.MEDIA_SERVE = "s3"
    settings.MEDIA_URL_EXPIRE_SECONDS = 60
    return client


def test_with_s3_the_view_redirects_to_a_short_lived_signed_url(
    people, post_as, client_as, client, s3_storage
):
    post = post_as(people.alice, "cell only", images=[png(color="green")])
    name = post.images.get().image.name
    assert RANDOM_POST_NAME.match(name)
    stored = s3_storage.get_object(Bucket="maillage-media", Key=name)["Body"].read()
    assert stored.startswith(b"\x89PNG")

    response = client_as(people.bob).get(image_url(post))
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    signed = response["Location"]
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=60" in signed
    with urllib.request.urlopen(signed, timeout=5) as answer:  # noqa: S310
        assert answer.read() == stored
        assert answer.headers["Content-Type"] == "image/png"
        assert answer.headers["Cache-Control"].startswith("private")

    assert client_as(people.carol).get(image_url(post)).status_code == 404
    assert client.get(image_url(post)).status_code == 404


def test_with_s3_the_object_has_no_public_address(people, post_as, s3_storage):
    """The bucket is private: the plain object URL (no signature) is refused."""
    post = post_as(people.alice, "cell only", images=[png()])
    name = post.images.get().image.name
    endpoint = s3_storage.meta.endpoint_url
    acl = s3_storage.get_object_acl(Bucket="maillage-media", Key=name)
    assert not [
        grant
        for grant in acl["Grants"]
        if grant["Grantee"].get("URI", "").endswith("AllUsers")
    ]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{endpoint}/maillage-media/{name}", timeout=5)  # noqa: S310
    assert refused.value.code == 403


def test_with_s3_avatars_follow_the_same_path(people, client_as, s3_storage):
    response = client_as(people.alice).post(
        "/me/",
        {
            "display_name": "Alice",
            "avatar": jpeg_with_gps(),
            "shared_fields": ["avatar"],
        },
    )
    assert response.status_code == 302
    people.alice.refresh_from_db()
    name = people.alice.avatar.name
    assert RANDOM_AVATAR_NAME.match(name)
    answer = client_as(people.bob).get(people.alice.avatar_url)
    assert answer.status_code == 302
    with urllib.request.urlopen(answer["Location"], timeout=5) as got:  # noqa: S310
        assert got.headers["Content-Type"] == "image/jpeg"
