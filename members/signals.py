"""A change of MFA ends the other sessions, like a password change does."""

from allauth.mfa import signals as mfa_signals
from django.contrib.auth import update_session_auth_hash
from django.dispatch import receiver


@receiver(mfa_signals.authenticator_added)
@receiver(mfa_signals.authenticator_removed)
@receiver(mfa_signals.authenticator_reset)
def cut_other_sessions_on_mfa_change(sender, request, user, **kwargs):
    from .services import sessions_cut

    sessions_cut(user=user, revoke_tokens=False)
    if request is not None:
        user.refresh_from_db(fields=["security_stamp"])
        update_session_auth_hash(request, user)  # keep the session that made the change
