"""A large import's background jobs show how far they have gone (lines done of the
total) on the import's page, which htmx polls, and in the API: the confirmation too,
while its one transaction (every line or none) is still open."""

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from organising.dues import services
from organising.dues.models import Import, ImportProgress, Kind, LedgerEntry
from organising.dues.services import imports
from tests.celery_worker import skip_unless_postgres_and_redis

TODAY = timezone.localdate()


@pytest.fixture
def payers(tree, make_member):
    return [make_member(tree.cell_a1x) for _ in range(5)]


def big_file(payers) -> bytes:
    rows = "".join(
        f"{member.email},{10 + i}.00,{TODAY.isoformat()}\n"
        for i, member in enumerate(payers)
    )
    return ("email,amount,date\n" + rows).encode()


def previewed(tree, treasurer, payers, capture) -> Import:
    with capture(execute=True):
        batch = services.import_create(
            unit=tree.cell_a1x,
            by=treasurer,
            filename="big.csv",
            content=big_file(payers),
        )
    batch.refresh_from_db()
    assert batch.job_state == Import.Job.DONE
    return batch


def test_a_queued_confirmation_shows_lines_done_of_the_total(
    tree,
    schedule,
    treasurer,
    payers,
    settings,
    client_as,
    django_capture_on_commit_callbacks,
):
    settings.DUES_IMPORT_BACKGROUND_LINES = 3
    batch = previewed(tree, treasurer, payers, django_capture_on_commit_callbacks)
    client = client_as(treasurer)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("dues:import_confirm", args=[batch.pk]))
    assert response.status_code == 302
    poll = client.get(reverse("dues:import_job", args=[batch.pk]))
    html = poll.content.decode()
    assert 'value="0" max="5"' in html and "0 of 5 lines" in html
    assert 'hx-trigger="every 1s"' in html
    api = client.get(reverse("api-dues-import", args=[batch.pk])).json()
    assert (api["job_kind"], api["job_state"]) == ("confirm", "queued")
    assert (api["job_progress"], api["job_total"]) == (0, 5)
    for callback in queued:
        callback()  # the worker runs the job
    batch.refresh_from_db()
    assert batch.state == Import.State.CONFIRMED
    assert (batch.job_state, batch.job_progress) == (Import.Job.DONE, 5)
    assert ImportProgress.objects.get(batch=batch).done == 5
    assert client.get(reverse("dues:import_job", args=[batch.pk]))["HX-Refresh"]
    api = client.get(reverse("api-dues-import", args=[batch.pk])).json()
    assert (api["job_state"], api["job_progress"]) == ("done", 5)
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 5


def test_a_running_confirmation_reads_its_progress_apart(
    tree, schedule, treasurer, payers, settings, django_capture_on_commit_callbacks
):
    """While the job runs, the page reads the progress row the job writes, not the
    import row's figure (which the job's transaction holds)."""
    settings.DUES_IMPORT_BACKGROUND_LINES = 3
    batch = previewed(tree, treasurer, payers, django_capture_on_commit_callbacks)
    Import.objects.filter(pk=batch.pk).update(
        job_state=Import.Job.RUNNING, job_kind="confirm", job_total=5, job_progress=0
    )
    ImportProgress.objects.create(batch=batch, done=4)
    batch.refresh_from_db()
    from organising.dues.selectors import import_job_done

    assert import_job_done(batch) == 4


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_progress_is_seen_by_others_while_its_transaction_is_open(
    tree, schedule, treasurer, payers, settings, monkeypatch
):
    """On PostgreSQL the job writes its progress on a connection of its own: another
    session reads 2, then 4, then 5 of 5 lines while nothing is recorded yet."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite lets one connection write at a time")
    skip_unless_postgres_and_redis()
    settings.DUES_IMPORT_BACKGROUND_LINES = 3
    monkeypatch.setattr(imports, "CHUNK", 2)
    batch = services.import_create(
        unit=tree.cell_a1x, by=treasurer, filename="big.csv", content=big_file(payers)
    )
    batch.refresh_from_db()
    assert batch.job_state == Import.Job.DONE  # the preview ran at commit
    observer = connections.create_connection("default")
    seen = []
    write = imports.JobProgress.__call__

    def observed(self, done):
        write(self, done)
        with observer.cursor() as cursor:
            cursor.execute(
                "SELECT p.done, i.job_state, "
                "(SELECT count(*) FROM dues_ledgerentry WHERE kind = 'payment') "
                "FROM dues_importprogress p JOIN dues_import i ON i.id = p.batch_id "
                "WHERE p.batch_id = %s",
                [batch.pk],
            )
            seen.append(cursor.fetchone())

    monkeypatch.setattr(imports.JobProgress, "__call__", observed)
    try:
        services.import_confirm_start(batch=batch, by=treasurer)
    finally:
        observer.close()
    assert seen == [(0, "running", 0), (2, "running", 0), (4, "running", 0)] + [
        (5, "running", 0)
    ]
    batch.refresh_from_db()
    assert (batch.state, batch.job_state, batch.job_progress) == (
        Import.State.CONFIRMED,
        Import.Job.DONE,
        5,
    )
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 5
