"""`Authorization: Bearer <token>` for the API, with personal tokens."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiToken, hash_secret


def user_for_token(raw: str):
    """The active user behind a live token, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_secret(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None, None
    return token.user, token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        user, token = user_for_token(header[1].decode(errors="replace"))
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        # Write at most once a minute per token: a busy client must not write per call.
        if (
            token.last_used_at is None
            or (now - token.last_used_at).total_seconds() > 60
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
