"""Values read as words in good French (and English): statuses, audit actions,
periods, dates."""

import re
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import formats, translation

from members.templatetags.maillage_text import (
    AUDIT_LABELS,
    audit_label,
    period_label,
    status_label,
)

ROOT = Path(settings.BASE_DIR)


def test_my_units_says_the_status_in_words(member, client_as, settings):
    page = client_as(member).get("/units/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Votre statut\u202f: adhérent." in page.content.decode()


def test_the_history_shows_actions_in_words(tree, cell_secretary, client_as):
    client = client_as(cell_secretary)
    client.get(f"/units/{tree.cell_a1x.slug}/members/")  # recorded as members.view
    page = client.get(
        f"/units/{tree.cell_a1x.slug}/audit/", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "a consulté la liste des membres" in page
    assert "members.view" not in page


def test_every_audit_action_in_the_code_has_a_label():
    codes = set()
    for path in [*ROOT.glob("members/**/*.py"), *ROOT.glob("federation/**/*.py")]:
        codes |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', path.read_text()))
    for path in ROOT.glob("organising/**/*.py"):
        codes |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', path.read_text()))
    missing = {code for code in codes if code not in AUDIT_LABELS}
    assert not missing


def test_labels_and_periods_in_french_and_english():
    with translation.override("fr"):
        assert status_label("sympathiser") == "sympathisant"
        assert audit_label("membership.transfer") == "a transféré un membre"
        assert period_label("2026-11") == "novembre 2026"
        assert period_label("2026-Q1") == "2026-Q1"
    with translation.override("en"):
        assert period_label("2026-11") == "November 2026"


def test_dates_follow_each_languages_format():
    moment = datetime(2026, 12, 2, 0, 4)
    with translation.override("fr"):
        assert (
            formats.date_format(moment, "SHORT_DATETIME_FORMAT")
            == "2 déc. 2026 à 00\u00a0h\u00a004"
        )
        assert formats.date_format(moment, "DATE_FORMAT") == "2 décembre 2026"
    with translation.override("en"):
        # Day first, not the US month-first default.
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == (
            "2 Dec 2026, 00:04"
        )
        assert formats.date_format(moment, "SHORT_DATE_FORMAT") == "2 Dec 2026"


def test_a_colon_after_a_label_is_french_in_french_only():
    from django.template import Context, Template

    template = Template("{% load maillage_text %}Solde{% colon %} 0,00 €")
    with translation.override("fr"):
        assert template.render(Context()) == "Solde\u202f: 0,00 €"
    with translation.override("en"):
        assert template.render(Context()) == "Solde: 0,00 €"


def test_form_labels_end_with_a_french_colon(db, client):
    page = client.get("/join/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "code postal\u202f:</label>" in page
    english = client.get("/join/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "postcode:</label>" in english.lower()
