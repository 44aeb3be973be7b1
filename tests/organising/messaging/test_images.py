"""Hostile images: what a member may upload, what is kept, and how it is refused
(the form's field error, the API's 400 naming the field)."""

import io
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, PngImagePlugin

from organising.messaging.images import AVATAR_MAX_SIDE, POST_MAX_SIDE, image_clean
from organising.messaging.models import Post, PostImage


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_SERVE = "django"


def upload(data: bytes, name: str = "photo.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_bomb(width: int = 8000, height: int = 5000) -> bytes:
    """A PNG of width x height black pixels: 40 megapixels in about 5 KB (8-bit
    grey: 40 MB once decoded, 160 MB as RGBA)."""
    raw = zlib.compress(b"\x00" * (width + 1) * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (
        width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def gif_frames(count: int, size=(320, 240)) -> bytes:
    frames = [Image.new("P", size, color) for color in range(count)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A phone photo: EXIF with a GPS position, the camera, the orientation (rotated
    a quarter turn), an XMP packet, a comment and an ICC profile."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (45.0, 45.0, 52.0), 3: "E", 4: (4.0, 50.0, 32.0)}
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "green").save(
        out,
        format="JPEG",
        exif=exif,
        comment=b"home address",
        xmp=b"<x:xmpmeta><exif:GPSLatitude>45,45N</exif:GPSLatitude></x:xmpmeta>",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    return out.getvalue()


def stored_bytes(post: Post) -> list[bytes]:
    return [row.image.read() for row in post.images.all()]


# --- What is kept --------------------------------------------------------------------


def test_a_phone_photo_loses_its_gps_position_and_every_other_metadata(people, post_as):
    post = post_as(people.alice, "holiday", images=[upload(jpeg_with_gps(), "p.jpg")])
    (data,) = stored_bytes(post)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(stored.info)
        assert stored.size == (20, 40)  # turned upright before EXIF was dropped
    for secret in (b"PhoneMaker", b"home address", b"GPSLatitude", b"Exif"):
        assert secret not in data
    assert post.images.get().width == 20


def test_png_text_and_exif_chunks_are_dropped(people, post_as):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "my street")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>where</x:xmpmeta>")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    source = io.BytesIO()
    Image.new("RGBA", (30, 30), (10, 20, 30, 128)).save(
        source, format="PNG", pnginfo=info, exif=exif
    )
    post = post_as(people.alice, "logo", images=[upload(source.getvalue())])
    (data,) = stored_bytes(post)
    for secret in (b"my street", b"xmpmeta", b"PhoneMaker", b"tEXt", b"iTXt", b"eXIf"):
        assert secret not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.mode == "RGBA"  # transparency kept


def test_a_large_photo_is_kept_at_most_2560_pixels_wide(people, post_as):
    source = io.BytesIO()
    Image.new("RGB", (6000, 3000), "white").save(source, format="JPEG")
    post = post_as(people.alice, "wide", images=[upload(source.getvalue(), "w.jpg")])
    image = post.images.get()
    assert (image.width, image.height) == (POST_MAX_SIDE, POST_MAX_SIDE // 2)


def test_an_animated_gif_keeps_only_its_first_frame(people, post_as):
    post = post_as(people.alice, "anim", images=[upload(gif_frames(30), "a.gif")])
    (data,) = stored_bytes(post)
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "PNG"
        assert getattr(stored, "n_frames", 1) == 1
        assert stored.size == (320, 240)
    assert post.images.get().image.name.endswith(".png")


# --- What is refused -----------------------------------------------------------------


def test_a_decompression_bomb_is_refused_from_its_header(people, post_as):
    bomb = png_bomb()
    assert len(bomb) < 120 * 1024
    with pytest.raises(ValidationError) as error:
        post_as(people.alice, "bomb", images=[upload(bomb)])
    assert "too many pixels" in str(error.value.message_dict["images"])
    assert not Post.objects.exists() and not PostImage.objects.exists()


def test_a_bomb_over_pillows_own_limit_gets_the_same_answer():
    with pytest.raises(ValidationError) as error:
        image_clean(upload(png_bomb(20_000, 10_000)))
    assert "too many pixels" in str(error.value)


def test_a_huge_gif_is_refused_before_any_frame_is_decoded():
    """6000 x 6000 frames: 36 megapixels each, over the cap whatever the frames."""
    header = (
        b"GIF89a"
        + (6000).to_bytes(2, "little")
        + (6000).to_bytes(2, "little")
        + b"\x00\x00\x00"
    )
    frame = (
        b"\x2c\x00\x00\x00\x00"
        + (6000).to_bytes(2, "little")
        + (6000).to_bytes(2, "little")
        + b"\x00\x08\x02\x4c\x01\x00"
    )
    gif = header + frame * 30 + b"\x3b"
    with pytest.raises(ValidationError) as error:
        image_clean(upload(gif, "big.gif", "image/gif"))
    assert "too many pixels" in str(error.value)


@pytest.mark.parametrize(
    "content",
    [
        b"<?php system($_GET['c']); ?>",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature and nothing after
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",  # Pillow reads EPS
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    ],
    ids=["php", "truncated-png", "eps", "svg"],
)
def test_a_file_that_is_not_an_image_is_refused(content):
    with pytest.raises(ValidationError) as error:
        image_clean(upload(content, "x.png"))
    assert "not an image" in str(error.value.message_dict["images"])


def test_a_truncated_jpeg_is_refused():
    source = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(source, format="JPEG")
    with pytest.raises(ValidationError):
        image_clean(upload(source.getvalue()[:200], "t.jpg"))


def test_avatars_are_square_enough_and_small():
    source = io.BytesIO()
    Image.new("RGB", (2000, 1000)).save(source, format="PNG")
    cleaned = image_clean(
        upload(source.getvalue()), field_name="avatar", max_side=AVATAR_MAX_SIDE
    )
    with Image.open(cleaned) as stored:
        assert stored.size == (AVATAR_MAX_SIDE, AVATAR_MAX_SIDE // 2)


# --- How the refusals reach people and clients ---------------------------------------


def test_the_composer_names_the_images_field_for_a_bomb(tree, people, client_as):
    response = client_as(people.alice).post(
        "/posts/new/",
        {
            "body": "bomb",
            "audience": f"unit:{tree.cell_a1x.pk}",
            "images": upload(png_bomb()),
        },
    )
    assert response.status_code == 400
    form = response.context["composer"]
    assert "too many pixels" in " ".join(form.errors["images"])
    assert not Post.objects.exists()


def test_the_api_answers_400_naming_images_for_a_bomb(people, api_as):
    response = api_as(people.alice).post(
        "/api/v1/posts/",
        {"body": "bomb", "audience": "party", "images": [upload(png_bomb())]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "too many pixels" in " ".join(response.json()["images"])
