"""What a newcomer sees of the set-up: readable console e-mail, one log line per
request, SITE_URL following `make run`'s port, the demo's national welcome post."""

import io
import logging
import subprocess

from django.conf import settings as django_settings
from django.core.mail import EmailMessage
from django.core.management import call_command

from organising.logs import OneLinePerRequest
from organising.mail import ReadableConsoleBackend


def test_console_email_prints_accents_and_long_links_whole():
    link = "http://127.0.0.1:8000/welcome/password/2/" + "a" * 90 + "/"
    stream = io.StringIO()
    message = EmailMessage(
        "Bienvenue à la cellule", f"Bonjour Éric,\n{link}\n", to=["x@y.z"]
    )
    ReadableConsoleBackend(stream=stream).send_messages([message])
    printed = stream.getvalue()
    assert "Subject: Bienvenue à la cellule" in printed
    assert "Bonjour Éric" in printed and link in printed
    assert "quoted-printable" not in printed


def test_development_uses_the_readable_console_backend():
    # The test settings replace the backend; the module's choice is what runs.
    source = (django_settings.BASE_DIR / "organising" / "settings.py").read_text()
    assert '"BACKEND": "organising.mail.ReadableConsoleBackend"' in source


def _record(name, level, status, exc=False):
    try:
        raise PermissionDenied_()
    except PermissionDenied_:
        import sys

        info = sys.exc_info() if exc else None
    record = logging.LogRecord(name, level, __file__, 1, "msg", (), info)
    record.status_code = status
    return record


class PermissionDenied_(Exception):
    pass


def test_refused_and_missing_pages_log_no_traceback_server_errors_do():
    keep = OneLinePerRequest().filter
    assert not keep(_record("django.request", logging.WARNING, 403, exc=True))
    assert not keep(_record("django.request", logging.WARNING, 404))
    assert keep(_record("django.request", logging.ERROR, 500, exc=True))
    assert keep(_record("django.channels.server", logging.INFO, 404))


def test_django_logs_through_one_handler_only():
    # (pytest adds its capturing handlers to the loggers: read the configuration.)
    django_logger = django_settings.LOGGING["loggers"]["django"]
    assert django_logger["handlers"] == ["console"]
    assert django_logger["propagate"] is False
    assert not logging.getLogger("django").propagate


def test_make_run_passes_a_site_url_following_the_port():
    base = django_settings.BASE_DIR
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=base, capture_output=True, text=True
    ).stdout
    assert "SITE_URL=http://127.0.0.1:8123 " in dry
    assert "runserver 127.0.0.1:8123" in dry


def test_the_demo_welcome_post_is_from_the_national_unit(db, settings):
    from organising.messaging.models import Post

    settings.DEBUG = True
    call_command("seed_demo")
    welcome = Post.objects.get(body__startswith="Bienvenue sur Maillage")
    assert welcome.unit.depth == 1
