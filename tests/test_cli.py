"""The one command line: ``park --help`` explains every subcommand, and each reaches its module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PARK = Path(sys.executable).parent / "park"
SUBCOMMANDS = ("demo", "intake", "reference", "simulate", "reprocess", "report", "bench", "services", "settings")


def _park(*args: str) -> subprocess.CompletedProcess:
    wide = {"PATH": "/usr/bin:/bin", "COLUMNS": "200"}  # rich wraps help text at the terminal's width
    return subprocess.run([str(PARK), *args], capture_output=True, text=True, timeout=120, check=False, env=wide)


def test_park_help_names_every_subcommand_and_what_it_does():
    completed = _park("--help")
    assert completed.returncode == 0, completed.stderr
    for name in SUBCOMMANDS:
        assert f" {name} " in completed.stdout, name
    reprocess = _park("reprocess", "--help")
    assert "batch_id" in reprocess.stdout and "as mart_quarantine_batches names it" in reprocess.stdout


def test_a_subcommand_reaches_its_module_and_says_what_is_wrong():
    completed = _park("reprocess", "no_such_source", "no_such_source-20261123")
    assert completed.returncode == 2  # the module's own argument check: the source is not one of the sources
    assert "invalid choice: 'no_such_source'" in completed.stderr and "park_submissions" in completed.stderr


def test_settings_hide_secrets(monkeypatch):
    completed = subprocess.run(
        [str(PARK), "settings"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PARK_CRM_DSN": "postgresql://crm:s3cret@127.0.0.1/crm"},
    )
    assert completed.returncode == 0, completed.stderr
    assert "crm_dsn = ***" in completed.stdout and "s3cret" not in completed.stdout
