"""Every string is translated: the French catalogue has no untranslated or fuzzy entry,
every string marked in the code is in it, and French typography holds (a narrow
no-break space before : ; ? !), none of it in the English source strings."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# What `make messages` leaves out.
NOT_SCANNED = {".venv", "var", "tests", "bench", ".git", "staticfiles", "locale"}
# A : ; ? ! ending a word (or a placeholder) and followed by a space or the end, with
# a plain space or none before it (what French typography writes as U+202F).
BAD_FRENCH_PUNCTUATION = re.compile(r"(?:(?<=[\w)»%’])| )[:;?!](?=\s|$)")


def _entries():
    return [entry for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete]


def _key(entry) -> tuple:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def test_every_french_entry_is_translated_and_not_fuzzy():
    untranslated = [e.msgid for e in _entries() if not e.translated()]
    fuzzy = [e.msgid for e in _entries() if "fuzzy" in e.flags]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:10]}"


def test_french_typography():
    wrong = [
        text
        for entry in _entries()
        for text in [entry.msgstr, *entry.msgstr_plural.values()]
        if BAD_FRENCH_PUNCTUATION.search(text)
    ]
    assert not wrong, wrong[:10]


def test_english_source_strings_have_no_space_before_punctuation():
    wrong = [
        # (";" stays: "income ; rate" is the shape of a CSV line, not punctuation.)
        e.msgid
        for e in _entries()
        if re.search(r"[ \u00a0\u202f][:?!](\s|$)", e.msgid)
    ]
    assert not wrong, wrong[:10]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext")
def test_every_marked_string_in_the_code_is_in_the_catalogue(tmp_path):
    """makemessages over a copy of the sources (the checkout's catalogue stays
    untouched), then compare its strings with the committed catalogue's."""
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=lambda folder, names: (
            [n for n in names if n in NOT_SCANNED] if Path(folder) == ROOT else []
        ),
    )
    (copy / "locale" / "fr" / "LC_MESSAGES").mkdir(parents=True)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "fr",
            "--no-obsolete",
            "--no-location",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "organising.settings",
            "MAILLAGE_VAR_DIR": str(tmp_path / "var"),
        },
    )
    in_code = {
        _key(e)
        for e in polib.pofile(str(copy / "locale/fr/LC_MESSAGES/django.po"))
        if e.msgid
    }
    in_catalogue = {_key(e) for e in _entries()}
    missing = sorted(in_code - in_catalogue, key=str)
    assert not missing, f"{len(missing)} strings not in the catalogue: {missing[:10]}"
