"""A change of MFA ends the other sessions, like a password change does; a new
password or a new second factor revokes every API token."""

from allauth.account import signals as account_signals
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


@receiver(account_signals.password_changed)
@receiver(account_signals.password_set)
@receiver(account_signals.password_reset)
def revoke_tokens_on_new_password(sender, request, user, **kwargs):
    from .services import tokens_revoke_all

    tokens_revoke_all(user=user, reason="password")


@receiver(mfa_signals.authenticator_added)
def revoke_tokens_on_new_second_factor(sender, request, user, **kwargs):
    from .services import tokens_revoke_all

    tokens_revoke_all(user=user, reason="mfa")
