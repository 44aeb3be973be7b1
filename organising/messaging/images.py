"""Checks and cleaning of uploaded images (post images, avatars).

An image is kept only if it is a JPEG, PNG, GIF or WebP of at most 10 MB whose
decoded size stays under MAX_PIXELS: the size is read from the file's header, before
anything is decoded, so a small file that unpacks into gigabytes (a "decompression
bomb") is refused without costing memory. Animated images keep their first frame only.
What is kept is decoded and encoded again, at most `max_side` pixels wide or high,
without any of the file's metadata (EXIF with a phone's GPS position, XMP, comments,
ICC profiles: colours are converted to sRGB first), so none of it leaves the author's
device through us.
"""

import contextlib
import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from organising.files import RefusedUpload

MAX_BYTES = 10 * 1024 * 1024  # = settings.UPLOAD_MAX_FILE_BYTES
# Decoded pixels: 25 MP in RGBA is 100 MB of memory for the time of one upload.
MAX_PIXELS = 25_000_000
MAX_IMAGES = 4
POST_MAX_SIDE = 2560
AVATAR_MAX_SIDE = 512
# What each accepted format is stored as (a GIF's first frame is stored as a PNG).
FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "PNG", "WEBP": "WEBP"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
_SRGB = ImageCms.createProfile("sRGB")


def image_clean(
    upload: UploadedFile,
    field_name: str = "images",
    *,
    max_side: int = POST_MAX_SIDE,
) -> ContentFile:
    """The upload as a clean image file, or a ValidationError on `field_name` that
    says why not."""
    too_heavy = ValidationError({field_name: _("An image may weigh at most 10 MB.")})
    # A RefusedUpload went past the cap while it arrived; nothing of it was kept.
    if isinstance(upload, RefusedUpload) or (upload.size or 0) > MAX_BYTES:
        raise too_heavy
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise too_heavy
    not_an_image = ValidationError(
        {field_name: _("This file is not an image (JPEG, PNG, GIF or WebP).")}
    )
    too_many_pixels = ValidationError(
        {
            field_name: _("This image has too many pixels (at most %(n)d million).")
            % {"n": MAX_PIXELS // 1_000_000}
        }
    )
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            source_format = image.format
            if source_format == "JPEG":
                # A JPEG can be decoded at 1/2, 1/4 or 1/8 of its size: a big photo
                # costs the memory of the size we keep, not of its full size.
                image.draft(None, (max_side, max_side))
            width, height = image.size  # from the header: nothing decoded yet
            if width * height > MAX_PIXELS:
                raise too_many_pixels
            image.load()  # the first frame only
            out = _reencoded(image, FORMATS[source_format], max_side)
    except Image.DecompressionBombError:
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise not_an_image from None
    target = FORMATS[source_format]
    return ContentFile(out, name=f"image.{EXTENSIONS[target]}")


def _reencoded(image: Image.Image, target: str, max_side: int) -> bytes:
    icc = image.info.get("icc_profile")
    # Turned upright in place: a copy of a 12 MP photo would cost 36 MB more.
    ImageOps.exif_transpose(image, in_place=True)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGBA" if has_alpha else "RGB")
    if target == "JPEG" and image.mode == "RGBA":
        image = image.convert("RGB")
    if icc and image.mode in ("RGB", "RGBA"):
        # An unreadable profile: the colours stay as they are.
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
            image = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB
            )
    image.thumbnail((max_side, max_side))
    # What the encoders would copy from the source (JPEG comments, PNG ICC, EXIF).
    image.info = {}
    out = io.BytesIO()
    if target == "JPEG":
        image.save(out, format="JPEG", quality=85, optimize=True)
    elif target == "WEBP":
        image.save(out, format="WEBP", quality=85)
    else:
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()
