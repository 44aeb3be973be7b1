"""Uploaded files: stored under random names, reached only through a view that has
checked access (post images, avatars; later documents and petitions).

A view fetches the row through `federation.access`, then answers `file_response()`.
How the bytes leave depends on `settings.MEDIA_SERVE`:

- "django": Django streams the file (development, tests);
- "x-accel": an empty answer with `X-Accel-Redirect`, nginx sends the file from an
  `internal` location that no client can ask for directly (deploy/nginx.conf);
- "s3": a redirect to a URL of the S3-compatible storage, signed for a minute, so
  several application servers share the files and none streams them.

Requests are refused before they are read when they announce more than
`UPLOAD_MAX_REQUEST_BYTES` (`UploadSizeLimitMiddleware`), and a file past
`UPLOAD_MAX_FILE_BYTES` is not stored while it arrives (`CappedUploadHandler`): its
field then gets the clear "too large" error of the form or service that checks it.
"""

import io
import mimetypes
import re
import secrets
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

SERVE_MODES = ("django", "x-accel", "s3")
_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")
# A file served from our origin can never run as a page, even if a browser sniffs it.
FILE_CSP = "default-src 'none'; sandbox"


def random_name(folder: str, filename: str = "") -> str:
    """`folder/<random>.<ext>`: nothing of the uploader's file name nor of the date,
    and no name another person could guess. The extension is kept when it is plain."""
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    token = secrets.token_urlsafe(18)  # 144 bits
    return (
        f"{folder}/{token}.{extension}"
        if _EXTENSION.match(extension)
        else (f"{folder}/{token}")
    )


@deconstructible
class RandomName:
    """`upload_to` for a FileField: a random name in `folder` (see random_name)."""

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        return random_name(self.folder, filename)

    def __eq__(self, other) -> bool:
        return isinstance(other, RandomName) and other.folder == self.folder


def file_response(
    field_file: FieldFile, *, max_age: int = 3600, download_name: str = ""
) -> HttpResponse:
    """The answer that hands `field_file` to a client who may read it (the caller has
    checked access). Cached only by that client's own browser (`private`)."""
    name = field_file.name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    disposition = "attachment" if download_name else "inline"
    if download_name:
        disposition += f"; filename*=UTF-8''{quote(download_name)}"
    mode = settings.MEDIA_SERVE
    if mode == "s3":
        url = field_file.storage.url(
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": f"private, max-age={max_age}",
            },
            expire=settings.MEDIA_URL_EXPIRE_SECONDS,
        )
        response = HttpResponseRedirect(url)
        # The signed address expires: the browser asks us again next time.
        response["Cache-Control"] = "private, no-store"
        return response
    if mode == "x-accel":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_PREFIX + quote(name)
    else:
        response = FileResponse(field_file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = f"private, max-age={max_age}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    return response


# --- Refusing large uploads early ------------------------------------------------


class UploadSizeLimitMiddleware:
    """Answer 413 to a request that announces a body over UPLOAD_MAX_REQUEST_BYTES,
    before anything reads it (the proxy has the same limit: client_max_body_size)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.UPLOAD_MAX_REQUEST_BYTES
        if length > limit:
            megabytes = limit // (1024 * 1024)
            message = _(
                "This upload is too large: at most %(n)d MB may be sent at once."
            ) % {"n": megabytes}
            # Nothing of the body is read: the connection cannot be reused.
            if request.path.startswith("/api/"):
                response = JsonResponse({"detail": message}, status=413)
            else:
                response = render(request, "413.html", {"message": message}, status=413)
            response["Connection"] = "close"
            return response
        return self.get_response(request)


class RefusedUpload(UploadedFile):
    """A file that went past UPLOAD_MAX_FILE_BYTES while it arrived: nothing of it is
    kept, only its name and how much of it came before we stopped storing it."""

    def __init__(self, name: str, content_type: str, size: int):
        super().__init__(io.BytesIO(), name, content_type, size)

    def read(self, *args, **kwargs) -> bytes:
        return b""


class CappedUploadHandler(FileUploadHandler):
    """First upload handler: passes the chunks of each file on to Django's usual
    handlers until the file passes UPLOAD_MAX_FILE_BYTES, then drops the rest and hands
    the field a RefusedUpload (whose size says it is too large)."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.refused = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_FILE_BYTES:
            self.refused = True
        return None if self.refused else raw_data

    def file_complete(self, file_size):
        if self.refused:
            return RefusedUpload(self.file_name, self.content_type, self.received)
        return None
