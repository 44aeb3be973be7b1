"""Every write about people: invitations, memberships, roles, join requests, tokens,
sessions. Each is atomic, records who did it, and sends e-mail or live events only
once the transaction has committed."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from federation import access
from federation.models import Level, Unit
from organising import ratelimits
from organising.audit.services import audit_record
from organising.contacts.joining import contacts_joined
from organising.live import close_user_sockets
from organising.messaging.images import AVATAR_MAX_SIDE, image_clean

from . import joining
from .models import (
    ApiToken,
    Application,
    Invitation,
    Membership,
    Role,
    User,
    hash_secret,
)
from .names import display_name_clean, officer_name_check

INVITATION_VALIDITY = timedelta(days=14)


def _normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    return email


def _require_cell(unit: Unit, field: str = "unit") -> None:
    if Level.objects.filter(depth__gt=unit.level.depth).exists():
        raise ValidationError({field: _("Members belong to a cell: choose a cell.")})


def membership_current(*, member: User) -> Membership | None:
    return (
        Membership.objects.current().filter(user=member).select_related("unit").first()
    )


def _absolute(path: str) -> str:
    from django.conf import settings

    return settings.SITE_URL + path


def _mail(*, to: str, template: str, context: dict) -> None:
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"emails/{template}.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [to]))


@transaction.atomic
def invitation_create(
    *,
    unit: Unit,
    email: str,
    by: User,
    display_name: str = "",
    status: str = Membership.Status.ADHERENT,
) -> tuple[Invitation, str]:
    """Invite a person into a cell; returns the invitation and its one-time secret."""
    access.require(by, "member.invite", unit)
    ratelimits.charge("invitation", member=by)
    email = _normalise_email(email)
    _require_cell(unit)
    existing = User.objects.filter(email=email).first()
    if existing and membership_current(member=existing):
        raise ValidationError({"email": _("This person is already a member.")})
    # A new invitation replaces any pending one for the same address.
    Invitation.objects.filter(email=email, state=Invitation.State.PENDING).update(
        state=Invitation.State.REVOKED
    )
    raw = get_random_string(40)
    invitation = Invitation.objects.create(
        email=email,
        display_name=display_name_clean(display_name),
        unit=unit,
        status=status,
        token_hash=hash_secret(raw),
        invited_by=by,
        expires_at=timezone.now() + INVITATION_VALIDITY,
    )
    audit_record(actor=by, action="member.invite", target=invitation, unit=unit)
    link = _absolute(reverse("members:invitation_accept", kwargs={"token": raw}))
    _mail(
        to=email,
        template="invitation",
        context={"invitation": invitation, "link": link, "inviter": by},
    )
    return invitation, raw


def invitation_for_token(raw: str) -> Invitation:
    """The usable invitation behind a secret, or a ValidationError saying why not."""
    invitation = (
        Invitation.objects.select_related("unit")
        .filter(token_hash=hash_secret(raw))
        .first()
    )
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."))
    if invitation.state == Invitation.State.ACCEPTED:
        raise ValidationError(_("This invitation has already been used."))
    if not invitation.is_usable:
        raise ValidationError(_("This invitation has expired or was withdrawn."))
    return invitation


def invitation_account(invitation: Invitation) -> User | None:
    """The account an invitation's address already signs in to (a password or a
    second factor), if any: that person must sign in as usual, then accept. An
    invitation link never sets the password of such an account, nor signs in."""
    user = User.objects.filter(email=invitation.email).first()
    return user if user is not None and joining.account_signs_in(user) else None


def _pending_invitation(raw_token: str) -> Invitation:
    invitation = invitation_for_token(raw_token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != Invitation.State.PENDING:
        raise ValidationError(_("This invitation has already been used."))
    return invitation


def _invitation_used(invitation: Invitation, *, by: User) -> None:
    invitation.state = Invitation.State.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["state", "accepted_at"])
    audit_record(
        actor=by, action="member.join", target=invitation, unit=invitation.unit
    )
    # A contact invited to join keeps its history, now linked to the account.
    contacts_joined(invitation=invitation, user=by)


@transaction.atomic
def invitation_accept_signed_in(*, raw_token: str, user: User) -> Membership:
    """The invited person, signed in to their existing account (password and second
    factor, as every sign-in), accepts: their membership opens in the cell."""
    invitation = _pending_invitation(raw_token)
    if invitation.email != (user.email or "").strip().lower():
        raise PermissionDenied(_("This invitation is for another address."))
    if membership_current(member=user):
        raise ValidationError(_("You are already a member."))
    membership = _open_membership(
        user=user, unit=invitation.unit, status=invitation.status
    )
    _invitation_used(invitation, by=user)
    return membership


@transaction.atomic
def invitation_accept(*, raw_token: str, password: str, display_name: str) -> User:
    """Create the invited person's account with their password and open their
    membership in the invitation's cell (an account that already signs in accepts
    with `invitation_accept_signed_in` instead)."""
    invitation = _pending_invitation(raw_token)
    if invitation_account(invitation) is not None:
        raise PermissionDenied(
            _("An account already uses this address: sign in, then accept.")
        )
    display_name = display_name_clean(display_name or invitation.display_name)
    if not display_name:
        raise ValidationError({"display_name": _("Tell us your name.")})
    officer_name_check(
        user=User.objects.filter(email=invitation.email).first(),
        name=display_name,
        unit=invitation.unit,
    )
    user = User.objects.filter(email=invitation.email).first()
    probe = user or User(email=invitation.email, display_name=display_name)
    try:
        password_validation.validate_password(password, probe)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    if user is None:
        user = User.objects.create_user(
            invitation.email, password, display_name=display_name
        )
    else:
        user.set_password(password)
        user.display_name = display_name
        user.save(update_fields=["password", "display_name"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    _open_membership(user=user, unit=invitation.unit, status=invitation.status)
    _invitation_used(invitation, by=user)
    return user


def _open_membership(*, user: User, unit: Unit, status: str) -> Membership:
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, unit=unit, status=status)
    except IntegrityError:
        raise ValidationError(
            {"email": _("This person already has a home cell.")}
        ) from None
    access.forget_viewer(user)
    return membership


@transaction.atomic
def membership_create(
    *, member: User, unit: Unit, by: User, status: str = Membership.Status.ADHERENT
) -> Membership:
    """Give an existing account a home cell (an administrator's shortcut)."""
    access.require(by, "member.invite", unit)
    _require_cell(unit)
    membership = _open_membership(user=member, unit=unit, status=status)
    audit_record(actor=by, action="membership.create", target=membership, unit=unit)
    return membership


@transaction.atomic
def membership_transfer(*, member: User, to_cell: Unit, by: User) -> Membership:
    """End the member's current home membership and open one in `to_cell`; the
    secretary must administer both cells."""
    current = (
        Membership.objects.current().select_for_update().filter(user=member).first()
    )
    if current is None:
        raise ValidationError({"member": _("This person has no current membership.")})
    access.require(by, "member.transfer", current.unit)
    if not access.can(by, "member.transfer", to_cell):
        raise ValidationError(
            {"to_cell": _("You can only transfer members to a cell you administer.")}
        )
    _require_cell(to_cell, "to_cell")
    if current.unit_id == to_cell.pk:
        raise ValidationError({"to_cell": _("The member is already in this cell.")})
    today = timezone.localdate()
    current.ended_on = today
    current.end_reason = Membership.EndReason.TRANSFER
    current.save(update_fields=["ended_on", "end_reason"])
    new = Membership.objects.create(
        user=member, unit=to_cell, status=current.status, started_on=today
    )
    data = {"from": current.unit.name, "to": to_cell.name}
    audit_record(
        actor=by, action="membership.transfer", target=new, unit=to_cell, data=data
    )
    audit_record(
        actor=by,
        action="membership.transfer",
        target=current,
        unit=current.unit,
        data=data,
    )
    access.forget_viewer(member)
    return new


@transaction.atomic
def membership_end(*, member: User, by: User) -> Membership:
    """Mark a member as former: the period ends, their sessions, tokens and sockets
    are cut at once, and they keep only their own data."""
    current = (
        Membership.objects.current().select_for_update().filter(user=member).first()
    )
    if current is None:
        raise ValidationError({"member": _("This person is already a former member.")})
    access.require(by, "member.end", current.unit)
    current.ended_on = timezone.localdate()
    current.end_reason = Membership.EndReason.LEFT
    current.save(update_fields=["ended_on", "end_reason"])
    Role.objects.filter(user=member, ended_on__isnull=True).update(
        ended_on=current.ended_on
    )
    audit_record(actor=by, action="membership.end", target=current, unit=current.unit)
    sessions_cut(user=member)
    return current


@transaction.atomic
def role_assign(*, member: User, unit: Unit, kind: str, by: User) -> Role:
    """Give an office at `unit` to a current adherent of the unit or a unit below it
    (a secretary there or above decides: `member.role`). Holding it again is a no-op."""
    access.require(by, "member.role", unit)
    if kind not in Role.Kind.values:
        raise ValidationError({"kind": _("Choose an office.")})
    membership = (
        Membership.objects.current()
        .select_for_update(of=("self",))
        .select_related("unit")
        .filter(user=member)
        .first()
    )
    if (
        membership is None
        or membership.status != Membership.Status.ADHERENT
        or not membership.unit.is_within(unit)
    ):
        raise ValidationError(
            {
                "member": _(
                    "Only an adherent of this unit or below can hold its offices."
                )
            }
        )
    role = Role.objects.filter(
        user=member, unit=unit, kind=kind, ended_on__isnull=True
    ).first()
    if role is not None:
        return role
    role = Role.objects.create(user=member, unit=unit, kind=kind)
    audit_record(
        actor=by, action="role.assign", target=role, unit=unit, data={"kind": kind}
    )
    access.forget_viewer(member)
    return role


@transaction.atomic
def role_end(*, role: Role, by: User) -> Role:
    """End an office today (a secretary of its unit or above); ending it twice is a
    no-op. The holder loses what it granted at once (their context changes)."""
    access.require(by, "member.role", role.unit)
    role = (
        Role.objects.select_for_update(of=("self",))
        .select_related("unit", "user")
        .get(pk=role.pk)
    )
    if role.ended_on is None:
        role.ended_on = timezone.localdate()
        role.save(update_fields=["ended_on"])
        audit_record(
            actor=by,
            action="role.end",
            target=role,
            unit=role.unit,
            data={"kind": role.kind},
        )
        access.forget_viewer(role.user)
    return role


@transaction.atomic
def sessions_cut(*, user: User, revoke_tokens: bool = True) -> None:
    """End every session of the user (a new security stamp invalidates their session
    hash), revoke their API tokens and close their live sockets."""
    user.security_stamp = get_random_string(32)
    user.save(update_fields=["security_stamp"])
    if revoke_tokens:
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    user_id = user.pk
    transaction.on_commit(lambda: close_user_sockets(user_id))


@transaction.atomic
def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token; the secret is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the token (where you will use it).")})
    raw = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=user, name=name[:80], key_hash=hash_secret(raw), hint=raw[:8]
    )
    audit_record(actor=user, action="token.create", target=token)
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    if token.user_id != by.pk:
        raise ValidationError(_("This token is not yours."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=by, action="token.revoke", target=token)
        # Sockets opened with this token close now; the browser's reconnect at once.
        user_id = token.user_id
        transaction.on_commit(lambda: close_user_sockets(user_id))
    return token


@transaction.atomic
def tokens_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every API token of the user (they asked, changed their password or
    turned on a second factor: a token made before may be someone else's); the
    number revoked. Their sockets opened with a token close."""
    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if count:
        audit_record(
            actor=user,
            action="token.revoke_all",
            target=user,
            data={"count": count, "reason": reason},
        )
        user_id = user.pk
        transaction.on_commit(lambda: close_user_sockets(user_id))
    return count


@transaction.atomic
def application_submit(
    *,
    unit: Unit,
    email: str,
    display_name: str,
    postcode: str,
    commune: str = "",
    phone: str = "",
    message: str = "",
) -> Application:
    """A visitor asks to join; the unit's secretary will decide."""
    email = _normalise_email(email)
    display_name = display_name_clean(display_name)
    if not display_name:
        raise ValidationError({"display_name": _("Tell us your name.")})
    if Application.objects.filter(
        email=email, state=Application.State.PENDING
    ).exists():
        raise ValidationError(
            {
                "email": _(
                    "A request with this address is already waiting for an answer."
                )
            }
        )
    existing = User.objects.filter(email=email).first()
    if existing and membership_current(member=existing):
        raise ValidationError({"email": _("This address already belongs to a member.")})
    application = Application.objects.create(
        unit=unit,
        email=email,
        display_name=display_name.strip(),
        postcode=postcode.strip(),
        commune=commune.strip(),
        phone=phone.strip(),
        message=message.strip(),
    )
    audit_record(actor=None, action="application.submit", target=application, unit=unit)
    joining.application_announce(application=application)
    return application


@transaction.atomic
def application_decide(
    *, application: Application, accept: bool, by: User
) -> User | None:
    """Accept (the applicant gets an account and lands in the cell as an adherent,
    with a link to set a password) or decline a join request."""
    access.require(by, "application.decide", application.unit)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.state != Application.State.PENDING:
        raise ValidationError(_("This request has already been answered."))
    application.state = (
        Application.State.ACCEPTED if accept else Application.State.DECLINED
    )
    application.decided_by = by
    application.decided_at = timezone.now()
    application.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(
        actor=by,
        action="application.accept" if accept else "application.decline",
        target=application,
        unit=application.unit,
    )
    if not accept:
        return None
    # A section (or the national unit, for a postcode nobody covers) accepts into
    # itself; its officers place the member in a cell later (a transfer).
    cell = application.unit
    user = User.objects.filter(email=application.email).first()
    if user is None:
        user = User.objects.create_user(
            application.email,
            None,
            display_name=application.display_name,
            commune=application.commune,
            phone=application.phone,
        )
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    _open_membership(user=user, unit=cell, status=Membership.Status.ADHERENT)
    _mail(
        to=user.email,
        template="application_accepted",
        context={
            "user": user,
            "unit": cell,
            # An account that already signs in keeps its sign-in (second factor).
            "link": _absolute(reverse("account_login"))
            if joining.account_signs_in(user)
            else joining.welcome_link(user),
        },
    )
    return user


@transaction.atomic
def profile_update(*, user: User, **fields) -> User:
    allowed = {"display_name", "commune", "phone", "bio", "avatar", "shared_fields"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in unknown}
        )
    shared = fields.get("shared_fields")
    if shared is not None and not set(shared) <= set(User.SHAREABLE_FIELDS):
        raise ValidationError({"shared_fields": _("Unknown profile field.")})
    if "display_name" in fields:
        fields["display_name"] = display_name_clean(fields["display_name"])
        stored = User.objects.filter(pk=user.pk).values_list("display_name", flat=True)
        if fields["display_name"] != stored.first():
            officer_name_check(user=user, name=fields["display_name"])
    if "avatar" in fields:
        _avatar_replace(user=user, value=fields.pop("avatar"), fields=fields)
    for name, value in fields.items():
        setattr(user, name, value)
    # Sharing nothing is an empty list, which the model's field calls blank; the
    # list's contents are checked above.
    user.full_clean(exclude=["password", "email", "shared_fields"])
    user.save(update_fields=list(fields))
    return user


def _avatar_replace(*, user: User, value, fields: dict) -> None:
    """A new picture (checked, shrunk and re-encoded without metadata), none (False or
    empty: the picture is removed), or the current one (nothing changes). The file it
    replaces is deleted once the change is committed."""
    # What is stored, not what a form may already have put on the instance.
    old_name = User.objects.filter(pk=user.pk).values_list("avatar", flat=True)[0]
    if isinstance(value, UploadedFile):
        fields["avatar"] = image_clean(
            value, field_name="avatar", max_side=AVATAR_MAX_SIDE
        )
    elif not value:
        fields["avatar"] = ""
    elif getattr(value, "name", None) == old_name:
        return  # the current picture, as the form gives it back
    else:
        raise ValidationError(
            {"avatar": _("This file is not an image (JPEG, PNG, GIF or WebP).")}
        )
    if old_name:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_name))


def personal_data_access_record(*, by: User, unit: Unit, kind: str, count: int) -> None:
    """Record that `by` viewed or exported the personal data of `count` members of
    `unit` in bulk (the party must be able to say who saw its members' list)."""
    audit_record(
        actor=by,
        action=f"members.{kind}",
        target=unit,
        unit=unit,
        data={"count": count},
    )
