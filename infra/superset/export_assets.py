"""Writes what Superset holds now (dashboards, charts, datasets, the warehouse connection) back into
``infra/superset/assets/``: ``make superset-export`` after editing dashboards in the UI, then review the
diff and commit it.

It asks the running Superset (``SUPERSET_URL``, default http://127.0.0.1:8088, as ``SUPERSET_ADMIN_USER`` /
``SUPERSET_ADMIN_PASSWORD``) for ``/api/v1/assets/export/``, Superset's own export, and unpacks it in place
of the bundle. The connection's URI of this machine is replaced by the placeholder that ``bootstrap.py``
fills in at import, so no local path reaches git.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_assets import ASSETS, URI_PLACEHOLDER


def _uuid(text: str) -> str | None:
    match = re.search(r"^uuid: (\S+)$", text, flags=re.MULTILINE)
    return match.group(1).strip("'\"") if match else None


def _keep_file_names(files: dict[str, str], target: Path) -> dict[str, str]:
    """Superset names exported files after titles and ids (``charts/Some_title_12.yaml``); a file whose UUID
    the bundle already has keeps the bundle's name, so the diff shows what changed, not renames."""
    known = {}
    if target.exists():
        for path in target.rglob("*.yaml"):
            if (uuid := _uuid(path.read_text())) is not None:
                known[uuid] = str(path.relative_to(target))
    return {known.get(_uuid(text) or "", name): text for name, text in files.items()}


def export(base_url: str, username: str, password: str, target: Path = ASSETS) -> list[str]:
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
    files: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        for name in bundle.namelist():
            relative = name.split("/", 1)[1]  # drop the export's dated root folder
            if relative.endswith(".yaml"):
                files[relative] = bundle.read(name).decode()
    for name, text in files.items():
        if name.startswith("databases/"):
            lines = [
                f"sqlalchemy_uri: {URI_PLACEHOLDER}" if line.startswith("sqlalchemy_uri:") else line
                for line in text.splitlines()
            ]
            files[name] = "\n".join(lines) + "\n"
    files = _keep_file_names(files, target)
    if target.exists():
        shutil.rmtree(target)
    for name, text in sorted(files.items()):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return sorted(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("SUPERSET_URL", "http://127.0.0.1:8088"))
    parser.add_argument("--target", type=Path, default=ASSETS)
    args = parser.parse_args()
    written = export(
        args.url,
        os.environ.get("SUPERSET_ADMIN_USER") or "admin",
        os.environ.get("SUPERSET_ADMIN_PASSWORD") or "admin",
        args.target,
    )
    print(f"wrote {len(written)} files into {args.target}; review with `git diff -- {args.target}` and commit")


if __name__ == "__main__":
    main()
