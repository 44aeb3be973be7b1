"""Join requests without dead ends: where a request goes, who hears of it, the reminder
when it waits, and the first password of an accepted applicant.

A request goes to the cell covering the postcode, else to the (nearest) section, else
to the national unit. The officers who may decide it (`application.decide`) at the
nearest level that has any are told at once (e-mail, and the count on their
Administration link); the applicant gets an acknowledgement. A request still waiting
after `JOIN_REMINDER_DAYS` reminds them once and tells the level above, whose officers
see the requests below them anyway.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from federation import access
from federation.models import Unit
from organising.audit.models import AuditEntry
from organising.audit.services import audit_record
from organising.messaging import services as messaging
from organising.messaging.models import Notification

from .models import Application, User

REMIND_ACTION = "application.remind"


def join_target(found: dict) -> Unit | None:
    """The unit a request from this postcode goes to (see the module docstring)."""
    return found["cell"] or found["section"] or national_unit()


def national_unit() -> Unit | None:
    return Unit.objects.filter(depth=1).order_by("pk").first()


def deciders(unit: Unit, *, above: bool = False) -> list[User]:
    """The active accounts who may decide a request to `unit`, at the nearest level
    where someone may (or the level above that one, with `above`)."""
    by_path = access.office_holders("application.decide", unit)
    paths = sorted(by_path, key=len, reverse=True)
    if above:
        paths = paths[1:]
    if not paths:
        return []
    return list(User.objects.filter(pk__in=by_path[paths[0]], is_active=True))


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _send(*, to: list[str], template: str, context: dict, language: str) -> None:
    """Render in `language` now and send once the transaction commits."""
    if not to:
        return
    with translation.override(language):
        subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        body = render_to_string(f"emails/{template}.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, to))


def application_announce(*, application: Application) -> None:
    """Tell the deciding officers of a new request and acknowledge it to the
    applicant (inside the submitting transaction; mail leaves on commit)."""
    officers = deciders(application.unit)
    language = translation.get_language() or settings.LANGUAGE_CODE
    context = {
        "application": application,
        "unit": application.unit,
        "link": _absolute(reverse("members:admin_home")),
    }
    # Their notifications (and so the badge on their menu) show it too.
    for officer in officers:
        messaging.notification_create(
            recipient=officer,
            kind=Notification.Kind.JOIN,
            actor=None,
            text=f"{application.display_name} → {application.unit.name}"[:300],
        )
    _send(
        to=[officer.email for officer in officers],
        template="application_to_officers",
        context=context,
        language=settings.LANGUAGE_CODE,
    )
    _send(
        to=[application.email],
        template="application_received",
        context=context,
        language=language,
    )


def reminder_due_before(now=None):
    days = getattr(settings, "JOIN_REMINDER_DAYS", 3)
    return (now or timezone.now()) - timedelta(days=days)


def applications_remind(*, now=None) -> int:
    """Remind the officers of each request waiting for more than a few days, exactly
    once per request (the audit row is the marker, written with the reminder), and
    tell the level above. Safe to run twice, or in two workers at once."""
    waiting = Application.objects.filter(
        state=Application.State.PENDING, created_at__lte=reminder_due_before(now)
    ).exclude(
        Exists(
            AuditEntry.objects.filter(
                action=REMIND_ACTION,
                target_type=Application._meta.label_lower,
                target_id=Cast(OuterRef("pk"), CharField()),
            )
        )
    )
    sent = 0
    for pk in waiting.values_list("pk", flat=True)[:500]:
        sent += application_remind(application_id=pk)
    return sent


@transaction.atomic
def application_remind(*, application_id: int) -> int:
    application = (
        Application.objects.select_for_update()
        .select_related("unit")
        .filter(pk=application_id, state=Application.State.PENDING)
        .first()
    )
    if (
        application is None
        or AuditEntry.objects.filter(
            action=REMIND_ACTION,
            target_type=Application._meta.label_lower,
            target_id=str(application.pk),
        ).exists()
    ):
        return 0
    officers = deciders(application.unit) + deciders(application.unit, above=True)
    audit_record(
        actor=None,
        action=REMIND_ACTION,
        target=application,
        unit=application.unit,
        data={"officers": len(officers)},
    )
    _send(
        to=sorted({officer.email for officer in officers}),
        template="application_reminder",
        context={
            "application": application,
            "unit": application.unit,
            "link": _absolute(reverse("members:admin_home")),
        },
        language=settings.LANGUAGE_CODE,
    )
    return 1


def pending_for(user) -> int:
    """How many requests wait for a decision the user may take (their Administration
    link shows it)."""
    from .selectors import pending_applications

    if not access.can_somewhere(user, "application.decide"):
        return 0
    units = access.units_with_office(user, frozenset({access.SECRETARY}))
    return pending_applications(units=units).count()


# --- The accepted applicant's first password ---------------------------------------


def welcome_link(user: User) -> str:
    """The link in the acceptance e-mail: choose a password, then land signed in on
    the welcome page."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    path = reverse(
        "members:welcome_password",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return _absolute(path)


def welcome_user(uidb36: str, key: str) -> User | None:
    """The account behind a welcome link that is still valid (the key dies once the
    password is set, as allauth's reset keys do)."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import url_str_to_user_pk

    try:
        pk = url_str_to_user_pk(uidb36)
    except (ValueError, TypeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, key):
        return None
    if account_signs_in(user):
        return None  # a link never replaces a sign-in (and its second factor)
    return user


def account_signs_in(user: User) -> bool:
    """Whether the account already has a way to sign in (a password or a second
    factor): then it signs in as usual, and no e-mailed link sets its password."""
    from allauth.mfa.models import Authenticator

    if user.has_usable_password():
        return True
    return Authenticator.objects.filter(user=user).exists()


@transaction.atomic
def member_password_choose(*, user: User, password: str) -> User:
    """Set the first password of an accepted applicant."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=user, action="member.password_choose", target=user)
    return user
