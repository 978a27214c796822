"""`make down` (park.services.stop): every service's process group signalled at once, each gone afterwards, one that
ignores SIGTERM killed when the timeout ends; real processes started as `make up` starts them."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from park import services

# exits on SIGTERM (Python's default), after it wrote that it started
POLITE = "import time, pathlib, sys; pathlib.Path(sys.argv[1]).touch(); time.sleep(600)"
# ignores SIGTERM, as a service stuck in its shutdown would
STUBBORN = (
    "import signal, time, pathlib, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "pathlib.Path(sys.argv[1]).touch(); time.sleep(600)"
)


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_stop_ends_every_service_and_kills_the_one_that_ignores_sigterm():
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
            ready = run / f"{name}.ready"
            service = services.Service(name, [sys.executable, "-c", program, str(ready)], dict(os.environ), "", "")
            started[name] = (services.start(service, data_dir), ready)
        for pid, ready in started.values():
            while not ready.exists():
                assert _group_alive(pid), "a service ended before it started"
        assert services.stop(data_dir, "polite", "stubborn", "absent", timeout=2.0) == {
            "polite": True,
            "stubborn": True,
            "absent": False,
        }
        for name, (pid, _) in started.items():
            assert not _group_alive(pid), name
            assert not services.pid_file(data_dir, name).exists(), name
    finally:
        shutil.rmtree(base, ignore_errors=True)
