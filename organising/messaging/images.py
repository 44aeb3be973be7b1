"""Checks and cleaning of uploaded images: real images of a known type, at most
10 MB, at most 40 megapixels; re-encoded so that no metadata (GPS position of a phone
photo) leaves the author's device through us."""

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_IMAGES = 4
FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


def image_clean(upload: UploadedFile, field_name: str = "images") -> ContentFile:
    """The upload as a clean image file, or a ValidationError that says why not."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError({field_name: _("An image may weigh at most 10 MB.")})
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError({field_name: _("An image may weigh at most 10 MB.")})
    not_an_image = ValidationError(
        {field_name: _("This file is not an image (JPEG, PNG, GIF or WebP).")}
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            probe.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ):
        raise not_an_image from None
    if image_format not in FORMATS:
        raise not_an_image
    if width * height > MAX_PIXELS:
        raise ValidationError({field_name: _("This image has too many pixels.")})
    if image_format == "GIF":
        # Animated GIFs keep their frames; GIF carries no camera metadata.
        return ContentFile(data, name=f"image.{FORMATS[image_format]}")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            if image_format == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format=image_format, quality=85)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    return ContentFile(out.getvalue(), name=f"image.{FORMATS[image_format]}")
