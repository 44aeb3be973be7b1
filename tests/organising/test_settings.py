"""Settings come from the environment, strictly; production settings pass the deploy
checks. Each case runs Django in a subprocess with its own environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "maillage.example.org",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("value", ["maybe", "2", "vrai"])
def test_a_bad_boolean_is_an_error_not_false(value):
    result = manage("check", DEBUG=value)
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_debug_off_refuses_to_start_without_secret_key():
    result = manage("check", DEBUG="false", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_seed_demo_refuses_production_without_force():
    result = manage("seed_demo", **PRODUCTION)
    assert result.returncode != 0
    assert "--force" in result.stderr
