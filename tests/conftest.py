"""Thin fixtures: a small tree, people placed in it, clients logged in as them."""

import os
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from rest_framework.test import APIClient

from members.models import Membership, Role

from .factories import MembershipFactory, RoleFactory, UserFactory, make_unit

# Browser tests start a live server in a thread; Django's async guard would refuse
# its ORM calls made from Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The dues ledger refuses TRUNCATE (dues migration 0009) except on connections
    that say `dues.allow_truncate = on`: only the tests', which empty every table
    between transactional tests."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        options = database.setdefault("OPTIONS", {})
        options["options"] = (
            options.get("options", "") + " -c dues.allow_truncate=on"
        ).strip()


@pytest.fixture
def tree(db):
    """national > federations A, B > sections A1, A2, B1 > cells A1x, A1y, A2x, B1x."""
    national = make_unit("National")
    fed_a = make_unit("Fédération A", national)
    fed_b = make_unit("Fédération B", national)
    section_a1 = make_unit("Section A1", fed_a)
    section_a2 = make_unit("Section A2", fed_a)
    section_b1 = make_unit("Section B1", fed_b)
    return SimpleNamespace(
        national=national,
        fed_a=fed_a,
        fed_b=fed_b,
        section_a1=section_a1,
        section_a2=section_a2,
        section_b1=section_b1,
        cell_a1x=make_unit("Cellule A1x", section_a1),
        cell_a1y=make_unit("Cellule A1y", section_a1),
        cell_a2x=make_unit("Cellule A2x", section_a2),
        cell_b1x=make_unit("Cellule B1x", section_b1),
    )


@pytest.fixture
def make_member(db):
    """make_member(cell, status="adherent", roles=[(unit, "secretary")], **user)."""

    def make(cell=None, status=Membership.Status.ADHERENT, roles=(), **user_fields):
        user = UserFactory(**user_fields)
        EmailAddress.objects.create(
            user=user, email=user.email, verified=True, primary=True
        )
        if cell is not None:
            MembershipFactory(user=user, unit=cell, status=status)
        for unit, kind in roles:
            RoleFactory(user=user, unit=unit, kind=kind)
        return user

    return make


@pytest.fixture
def member(tree, make_member):
    """An adherent of cell A1x."""
    return make_member(tree.cell_a1x)


@pytest.fixture
def cell_secretary(tree, make_member):
    return make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)])


@pytest.fixture
def section_secretary(tree, make_member):
    return make_member(tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.SECRETARY)])


@pytest.fixture
def outsider(make_member):
    """An account with no membership (a former member)."""
    return make_member(None)


@pytest.fixture
def client_as():
    def login(user) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return login


@pytest.fixture
def api_as():
    def login(user) -> APIClient:
        client = APIClient()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return login


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is right for people and slow for hundreds of test accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english_unless_browser(request, settings):
    """Unit tests read messages in English (the source language); browser tests see the
    site as a French visitor does, since French is the default."""
    if request.node.get_closest_marker("e2e"):
        yield
        return
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters and cached values must not leak from one test to another."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def tasks_run_in_the_test(request):
    """Tasks the code queues run at once, in the test (with Redis too, where nothing
    would consume them); tests marked celery_worker drive a real worker instead."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    from organising.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def redis_down(settings):
    """The production cache backend, with nothing listening where Redis should be."""
    settings.CACHES = {
        "default": {
            "BACKEND": "organising.cached.ForgivingRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
