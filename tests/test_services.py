"""`make down` (park.services.stop): every service's process group signalled before any is waited for, each gone
afterwards, one that ignores SIGTERM killed when the timeout ends; real processes started as `make up` starts them."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from park import services

# each writes <name>.ready once it runs. On SIGTERM the polite one writes polite.terminated and exits; the stubborn
# one ignores it, as a service stuck in its shutdown would, but notes whether the polite one ended meanwhile
# (stubborn.saw-polite-end): stopped one after another, stubborn first, the polite one would be signalled only
# after the stubborn one was killed
POLITE = """
import pathlib, signal, sys, time
run = pathlib.Path(sys.argv[1])
def ended(*_):
    (run / "polite.terminated").touch()
    sys.exit(0)
signal.signal(signal.SIGTERM, ended)
(run / "polite.ready").touch()
time.sleep(600)
"""
STUBBORN = """
import pathlib, signal, sys, time
run = pathlib.Path(sys.argv[1])
asked = []
signal.signal(signal.SIGTERM, lambda *_: asked.append(1))
(run / "stubborn.ready").touch()
while True:
    if asked and (run / "polite.terminated").exists():
        (run / "stubborn.saw-polite-end").touch()
    time.sleep(0.05)
"""


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_stop_signals_every_service_first_and_kills_the_one_that_ignores_sigterm():
    # started as root, a service runs as the unprivileged service account: a folder that account can reach (pytest's
    # own temporary folders are private to root), as the Superset tests use
    base = Path(tempfile.mkdtemp(prefix="park-services-"))
    base.chmod(0o755)
    data_dir = base / "data"
    run = services.run_dir(data_dir)
    run.chmod(0o777)  # the account writes its ready file there
    try:
        started = {}
        for name, program in (("polite", POLITE), ("stubborn", STUBBORN)):
            service = services.Service(name, [sys.executable, "-c", program, str(run)], dict(os.environ), "", "")
            started[name] = services.start(service, data_dir)
        deadline = time.monotonic() + 60
        while not all((run / f"{name}.ready").exists() for name in started):
            assert time.monotonic() < deadline, "the services did not start: " + str(list(run.iterdir()))
            time.sleep(0.05)
        assert services.stop(data_dir, "stubborn", "polite", "absent", timeout=2.0) == {
            "stubborn": True,
            "polite": True,
            "absent": False,
        }
        # both were signalled before either was waited for: the polite one ended while the stubborn one still ran
        assert (run / "stubborn.saw-polite-end").exists()
        for name, pid in started.items():
            assert not _group_alive(pid), name
            assert not services.pid_file(data_dir, name).exists(), name
    finally:
        shutil.rmtree(base, ignore_errors=True)
