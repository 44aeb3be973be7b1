"""CSV imports: lines matched or reported, nothing recorded before confirmation, each
line recorded once however often it is imported."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from organising.dues import services
from organising.dues.models import Import, ImportLine, Kind, LedgerEntry

TODAY = timezone.localdate()


def csv_bytes(text: str, encoding="utf-8") -> bytes:
    return text.encode(encoding)


def upload(unit, by, text, encoding="utf-8", raw=None):
    return services.import_create(
        unit=unit,
        by=by,
        filename="releve.csv",
        content=raw if raw is not None else csv_bytes(text, encoding),
        encoding=encoding,
    )


@pytest.fixture
def people(tree, make_member):
    return {
        "ana": make_member(
            tree.cell_a1x, display_name="Ana Lopes", email="ana@example.org"
        ),
        "bea": make_member(tree.cell_a1x, display_name="Béatrice Durand"),
        "other": make_member(tree.cell_a2x, email="far@example.org"),
    }


def test_lines_are_matched_by_email_reference_or_name_and_reported_otherwise(
    tree, schedule, treasurer, people
):
    bea = people["bea"]
    text = (
        "Date;Montant;Courriel;Nom;Libellé\n"
        f"{TODAY:%d/%m/%Y};12,50;ana@example.org;;VIR ANA\n"
        f"{TODAY:%d/%m/%Y};10;;;VIR COTISATION MLG{bea.pk}\n"
        f"{TODAY:%d/%m/%Y};8,00;;beatrice durand;\n"
        f"{TODAY:%d/%m/%Y};9,00;far@example.org;;\n"  # outside the unit
        f"{TODAY:%d/%m/%Y};-3,00;ana@example.org;;frais\n"
        f"{TODAY:%d/%m/%Y};1,005;ana@example.org;;\n"
        f"31/02/2025;5;ana@example.org;;\n"
    )
    batch = upload(tree.cell_a1x, treasurer, text)
    statuses = dict(batch.lines.values_list("line_number", "status"))
    assert statuses == {
        2: "matched",
        3: "matched",
        4: "matched",
        5: "unmatched",
        6: "invalid",
        7: "invalid",
        8: "invalid",
    }
    assert batch.counts["matched_cents"] == 1250 + 1000 + 800
    # Nothing reaches the ledger before the treasurer confirms.
    assert not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()
    assert "ambiguous" in batch.lines.get(line_number=7).message


def test_confirming_records_each_ready_line_once(tree, schedule, treasurer, people):
    text = f"email,amount,date\nana@example.org,12.00,{TODAY.isoformat()}\n"
    batch = upload(tree.cell_a1x, treasurer, text)
    services.import_confirm(batch=batch, by=treasurer)
    services.import_confirm(batch=batch, by=treasurer)  # a double click
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT, source="import").count() == 1
    batch.refresh_from_db()
    assert batch.state == Import.State.CONFIRMED
    assert batch.lines.get().status == ImportLine.Status.RECORDED
    # The same statement imported again: every line is already recorded.
    again = upload(tree.cell_a1x, treasurer, text)
    assert again.lines.get().status == ImportLine.Status.DUPLICATE
    services.import_confirm(batch=again, by=treasurer)
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 1


def test_identical_lines_in_one_file_are_flagged_and_recorded_once(
    tree, schedule, treasurer, people
):
    line = f"ana@example.org;5,00;{TODAY.isoformat()}\n"
    batch = upload(tree.cell_a1x, treasurer, "email;montant;date\n" + line + line)
    second = batch.lines.get(line_number=3)
    assert second.status == ImportLine.Status.DUPLICATE
    assert "line 2" in second.message
    services.import_confirm(batch=batch, by=treasurer)
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 1


def test_stated_periods_are_used(tree, schedule, treasurer, people):
    month = TODAY.replace(day=1)
    text = "email;montant;date;periodes\n"
    text += f"ana@example.org;10;{TODAY.isoformat()};{month:%Y-%m}\n"
    batch = upload(tree.cell_a1x, treasurer, text)
    services.import_confirm(batch=batch, by=treasurer)
    entry = LedgerEntry.objects.get(kind=Kind.PAYMENT)
    assert list(entry.lines.values_list("period", flat=True)) == [month]


@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        (b"foo;bar\n1;2\n", "utf-8", "columns are not the expected ones"),
        (
            "date;montant;nom\n01/01/2025;5;Zoë\n".encode("cp1252"),
            "utf-8",
            "not in UTF-8",
        ),
        (b"PK\x03\x04rest-of-an-xlsx", "utf-8", "spreadsheet"),
        (b"", "utf-8", "empty"),
        (b"date;montant;email\n", "utf-8", "no line"),
    ],
)
def test_wrong_columns_or_encoding_give_a_clear_error_and_record_nothing(
    tree, schedule, treasurer, content, encoding, message
):
    with pytest.raises(ValidationError) as error:
        upload(tree.cell_a1x, treasurer, None, encoding=encoding, raw=content)
    assert message in " ".join(error.value.messages)
    assert not Import.objects.exists()


def test_windows_1252_files_are_read_when_chosen(tree, schedule, treasurer, people):
    text = f"date;montant;nom\n{TODAY:%d/%m/%Y};5;Béatrice Durand\n"
    batch = upload(tree.cell_a1x, treasurer, text, encoding="cp1252")
    assert batch.lines.get().status == ImportLine.Status.MATCHED


def test_only_treasurers_of_the_unit_import(
    tree, schedule, cell_secretary, section_treasurer
):
    with pytest.raises(PermissionDenied):
        upload(tree.cell_a1x, cell_secretary, "date;montant;email\n")
    with pytest.raises(PermissionDenied):
        upload(tree.section_a2, section_treasurer, "date;montant;email\n")


def test_member_who_left_between_preview_and_confirmation_is_not_recorded(
    tree, schedule, treasurer, people
):
    from members.models import Membership

    batch = upload(
        tree.cell_a1x, treasurer, f"email;montant;date\nana@example.org;5;{TODAY}\n"
    )
    Membership.objects.filter(user=people["ana"]).update(unit=tree.cell_a2x)
    services.import_confirm(batch=batch, by=treasurer)
    assert not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()
    assert batch.lines.get().status == ImportLine.Status.UNMATCHED


def test_a_line_failing_at_confirm_is_named(
    tree, schedule, treasurer, people, settings
):
    """A rule that changed between the preview and the confirmation (here the
    yearly ceiling) blocks the import with an error naming the line."""
    text = (
        "email,amount,date\n"
        f"ana@example.org,12.00,{TODAY.isoformat()}\n"
        f"ana@example.org,13.00,{TODAY.isoformat()}\n"
    )
    batch = upload(tree.cell_a1x, treasurer, text)
    settings.DUES_YEARLY_CEILING_CENTS = 2000
    with pytest.raises(ValidationError, match="Line 3"):
        services.import_confirm(batch=batch, by=treasurer)
    assert not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()


def test_the_preview_applies_the_ledgers_rules(tree, schedule, treasurer, people):
    text = f"email,amount,date\nana@example.org,7000,{TODAY.isoformat()}\n" + (
        f"ana@example.org,600,{TODAY.isoformat()}\n"
    )
    batch = upload(tree.cell_a1x, treasurer, text)
    assert batch.lines.get(line_number=2).status == ImportLine.Status.MATCHED
    over = batch.lines.get(line_number=3)
    assert over.status == ImportLine.Status.INVALID and "7500" in over.message


def test_a_large_import_runs_as_a_background_job_with_progress(
    tree,
    schedule,
    treasurer,
    people,
    settings,
    client_as,
    django_capture_on_commit_callbacks,
):
    """Over DUES_IMPORT_BACKGROUND_LINES lines, the preview and the confirmation
    are Celery jobs; the page polls the job's progress (htmx) and reloads when it
    is over."""
    from django.urls import reverse

    settings.DUES_IMPORT_BACKGROUND_LINES = 3
    rows = "".join(
        f"ana@example.org,{10 + i}.00,{TODAY.isoformat()}\n" for i in range(5)
    )
    client = client_as(treasurer)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        batch = services.import_create(
            unit=tree.cell_a1x,
            by=treasurer,
            filename="big.csv",
            content=("email,amount,date\n" + rows).encode(),
        )
    assert batch.job_state == Import.Job.QUEUED and not batch.lines.exists()
    page = client.get(reverse("dues:import_detail", args=[batch.pk]))
    html = page.content.decode()
    assert "<progress" in html and 'hx-trigger="every 1s"' in html
    poll = client.get(reverse("dues:import_job", args=[batch.pk]))
    assert "<progress" in poll.content.decode() and "HX-Refresh" not in poll
    for callback in queued:
        callback()  # the worker runs the job (tasks run inline in the tests)
    batch.refresh_from_db()
    assert batch.job_state == Import.Job.DONE and batch.job_progress == 5
    assert batch.lines.filter(status=ImportLine.Status.MATCHED).count() == 5
    assert batch.content is None
    done = client.get(reverse("dues:import_job", args=[batch.pk]))
    assert done["HX-Refresh"] == "true"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dues:import_confirm", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == Import.State.CONFIRMED and batch.job_state == "done"
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 5


def test_a_background_confirmation_that_fails_names_the_line(
    tree, schedule, treasurer, people, settings, django_capture_on_commit_callbacks
):
    settings.DUES_IMPORT_BACKGROUND_LINES = 1
    text = (
        "email,amount,date\n"
        f"ana@example.org,12.00,{TODAY.isoformat()}\n"
        f"ana@example.org,13.00,{TODAY.isoformat()}\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(tree.cell_a1x, treasurer, text)
    settings.DUES_YEARLY_CEILING_CENTS = 2000
    with django_capture_on_commit_callbacks(execute=True):
        services.import_confirm_start(batch=batch, by=treasurer)
    batch.refresh_from_db()
    assert batch.job_state == Import.Job.FAILED and "Line 3" in batch.job_error
    assert batch.state == Import.State.PREVIEW
    assert not LedgerEntry.objects.filter(kind=Kind.PAYMENT).exists()
