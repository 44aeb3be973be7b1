"""What only PostgreSQL enforces: the append-only ledger (a trigger refuses UPDATE and
DELETE), and recordings that stay single under truly concurrent requests."""

import threading

import pytest
from django.db import (
    DatabaseError,
    close_old_connections,
    connection,
    connections,
    transaction,
)
from django.utils import timezone

from members.models import Membership
from organising.dues import periods as P
from organising.dues import services
from organising.dues.models import Balance, Kind, LedgerEntry, LedgerLine, Reminder

from .conftest import pay as record
from .conftest import this_month

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL): the append-only trigger and row "
    "locks exist only there; SQLite serialises every write anyway",
)


def test_database_refuses_to_update_an_entry(schedule, treasurer, member):
    entry = record(member, treasurer, "k").entry
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_cents=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerLine.objects.filter(entry=entry).update(amount_cents=1)
    entry.refresh_from_db()
    assert entry.amount_cents == 1000


def test_database_refuses_to_delete_an_entry(schedule, treasurer, member):
    entry = record(member, treasurer, "k").entry
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerLine.objects.filter(entry=entry).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM dues_ledgerentry WHERE id = %s", [entry.pk])
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()
    assert LedgerLine.objects.filter(entry=entry).count() == 1


def run_together(count: int, work):
    """Run `work(index)` in `count` threads released at the same instant; each thread
    has its own database connection. Returns the results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index):
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as error:  # reported to the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_key_record_one_payment(
    schedule, treasurer, member
):
    results = run_together(8, lambda i: record(member, treasurer, "same-click"))
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert sum(1 for r in results if r.created) == 1
    assert len({r.entry.pk for r in results}) == 1
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 1
    assert Balance.objects.get(member=member).paid_cents == 1000


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_of_one_member_keep_the_balance_right(
    schedule, treasurer, member
):
    results = run_together(
        6, lambda i: record(member, treasurer, f"k{i}", amount=100 + i)
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert Balance.objects.get(member=member).paid_cents == sum(
        100 + i for i in range(6)
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_dues_calls_call_each_member_once(schedule, member):
    results = run_together(4, lambda i: services.charges_issue())
    assert not [r for r in results if isinstance(r, Exception)]
    adherents = Membership.objects.current().filter(status="adherent").count()
    assert sum(results) == adherents
    assert LedgerLine.objects.filter(kind=Kind.CHARGE).count() == adherents


@pytest.mark.django_db(transaction=True)
def test_concurrent_reminder_runs_send_once(schedule, member, mailoutbox):
    Membership.objects.filter(user=member).update(
        started_on=P.add_months(this_month(), -2)
    )
    for offset in (2, 1, 0):
        services.charges_issue(on=P.add_months(this_month(), -offset))
    day = this_month().replace(day=20)
    results = run_together(4, lambda i: services.reminders_send(on=day))
    assert not [r for r in results if isinstance(r, Exception)]
    # Each late member (the test's treasurers joined long ago too) once.
    late = set(Reminder.objects.values_list("member_id", flat=True))
    assert sum(results) == Reminder.objects.count() == len(late) >= 1
    assert Reminder.objects.filter(member=member).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_import_confirmations_record_each_line_once(
    tree, schedule, treasurer, make_member
):
    members = [make_member(tree.cell_a1x) for _ in range(5)]
    today = timezone.localdate().isoformat()
    csv = "email;amount;date\n" + "".join(f"{m.email};12,00;{today}\n" for m in members)
    first = services.import_create(
        unit=tree.cell_a1x, by=treasurer, filename="a.csv", content=csv.encode()
    )
    second = services.import_create(
        unit=tree.cell_a1x, by=treasurer, filename="b.csv", content=csv.encode()
    )
    batches = [first, first, second, second]
    results = run_together(
        4, lambda i: services.import_confirm(batch=batches[i], by=treasurer)
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 5


@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_for_one_receipt_give_that_receipt(
    schedule, treasurer, member
):
    """Two downloads of the same receipt at once: both get it, one number is
    taken (the year's counter is locked before the receipt is looked for)."""
    from datetime import date

    from members.models import User
    from organising.dues.models import Receipt

    last_year = timezone.localdate().year - 1
    record(member, treasurer, "k", paid_on=date(last_year, 5, 1))

    def work(_index):
        return services.receipt_issue(
            member=User.objects.get(pk=member.pk), year=last_year, by=member
        ).pk

    for _attempt in range(5):
        Receipt.objects.all().delete()
        results = run_together(4, work)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert len(set(results)) == 1
    assert Receipt.objects.count() == 1


# --- The application's role and TRUNCATE (issue 17) ---------------------------

APP_ROLE = "dues_app_role_test"


@pytest.fixture
def app_role(db):
    """A role like production's maillage_app (deploy/postgres/roles.sql): owns
    nothing, may use every table, then the ledger's grants narrowed as migration
    0009 does. Created in the test's transaction (rolled back with it)."""
    from importlib import import_module

    migration = import_module(
        "organising.dues.migrations.0009_ledger_truncate_and_app_role"
    )
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{APP_ROLE}" NOLOGIN NOINHERIT')
        cursor.execute(f'GRANT USAGE ON SCHEMA public TO "{APP_ROLE}"')
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
            f'TO "{APP_ROLE}"'
        )
        cursor.execute(
            f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{APP_ROLE}"'
        )
        for statement in migration.app_role_sql(APP_ROLE):
            cursor.execute(statement)
    return APP_ROLE


def as_role(role: str, sql: str, params=()):
    """Run `sql` as `role` in a savepoint (undone whatever happens)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')
        cursor.execute(sql, params)


@pytest.mark.django_db(transaction=True)
def test_truncate_is_refused_by_a_trigger(schedule, treasurer, member):
    entry = record(member, treasurer, "k").entry
    for table in ("dues_ledgerline", "dues_ledgerentry"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL dues.allow_truncate = 'off'")
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE dues_ledgerentry SET amount_cents = 1",
        "DELETE FROM dues_ledgerline",
        "TRUNCATE dues_ledgerentry CASCADE",
        "ALTER TABLE dues_ledgerentry DISABLE TRIGGER USER",
        "SET session_replication_role = replica",
    ],
)
def test_the_application_role_cannot_rewrite_the_ledger(
    schedule, treasurer, member, app_role, sql
):
    record(member, treasurer, "k")
    with pytest.raises(DatabaseError, match="permission denied|must be owner"):
        as_role(app_role, sql)
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 1


def test_the_application_role_reads_and_adds_to_the_ledger(
    schedule, treasurer, member, app_role
):
    entry = record(member, treasurer, "k").entry
    as_role(app_role, "SELECT count(*) FROM dues_ledgerentry")
    as_role(
        app_role,
        "INSERT INTO dues_ledgerentry (kind, member_id, unit_id, amount_cents, method,"
        " paid_on, cheque_number, reference, note, source, idempotency_key,"
        " fingerprint, created_at) SELECT kind, member_id, unit_id, amount_cents,"
        " method, paid_on, cheque_number, reference, note, source, 'role-test', '',"
        " now() FROM dues_ledgerentry WHERE id = %s",
        [entry.pk],
    )
