"""Writes what Superset holds now (dashboards, charts, datasets, the warehouse connection) back into
``infra/superset/assets/``, the bundle that is the one source of truth: ``make superset-export`` after
editing dashboards in the UI, then review the diff and commit it.

It asks the running Superset (``SUPERSET_URL``, default http://127.0.0.1:8088, as ``SUPERSET_ADMIN_USER`` /
``SUPERSET_ADMIN_PASSWORD``) for ``/api/v1/assets/export/``, Superset's own export, and writes it in place
of the bundle through ``assets_io.bundle_files``: the connection's URI of this machine replaced by the
placeholder that ``bootstrap.py`` fills in at import, so no local path reaches git; the descriptions of
datasets and columns left to the dbt YAML they are imported from (one edited in the UI is reported);
each file under the bundle's own name; the English versions of the dashboards left out (``english.py`` derives
them again at each import).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import zipfile
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from assets_io import ASSETS, bundle_files, read_bundle, write_bundle


def export(base_url: str, username: str, password: str, target: Path = ASSETS) -> tuple[list[str], list[str]]:
    """Returns the files written and the descriptions edited in Superset that the dbt YAML does not hold."""
    session = requests.Session()
    login = session.post(
        f"{base_url}/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db", "refresh": True},
        timeout=60,
    )
    login.raise_for_status()
    session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    response = session.get(f"{base_url}/api/v1/assets/export/", timeout=300)
    response.raise_for_status()
    exported: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        for name in bundle.namelist():
            relative = name.split("/", 1)[1]  # drop the export's dated root folder
            if relative.endswith(".yaml"):
                exported[relative] = bundle.read(name).decode()
    files, edited = bundle_files(exported, read_bundle(target) if target.exists() else {})
    write_bundle(files, target)
    return sorted(files), edited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("SUPERSET_URL", "http://127.0.0.1:8088"))
    parser.add_argument("--target", type=Path, default=ASSETS)
    args = parser.parse_args()
    written, edited = export(
        args.url,
        os.environ.get("SUPERSET_ADMIN_USER") or "admin",
        os.environ.get("SUPERSET_ADMIN_PASSWORD") or "admin",
        args.target,
    )
    for description in edited:
        print(f"not kept, descriptions come from the dbt YAML (write it there): {description}")
    print(f"wrote {len(written)} files into {args.target}; review with `git diff -- {args.target}` and commit")


if __name__ == "__main__":
    main()
