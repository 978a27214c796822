"""Prepares Superset for the platform; runs with Superset's own environment (infra/superset/.venv).

    python infra/superset/bootstrap.py setup        # db upgrade + init (cached), admin, roles, connection, dashboards
    python infra/superset/bootstrap.py import       # import infra/superset/assets again (overwrite)
    python infra/superset/bootstrap.py add-user lin:secret:Park:G110001 wang:secret:Analyst

Everything is idempotent: running it twice changes nothing. Settings come from the environment
(``superset_config.py``; ``SUPERSET_ADMIN_USER`` / ``SUPERSET_ADMIN_PASSWORD``, ``SUPERSET_WAREHOUSE_URI``).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
os.environ.setdefault("SUPERSET_CONFIG_PATH", str(HERE / "superset_config.py"))
os.environ.setdefault("FLASK_APP", "superset")

from assets_io import ASSETS, dashboard_tables, datasets, import_contents, read_bundle
from english import ENGLISH_SUFFIX

log = logging.getLogger("park.superset")

DEFAULT_ADMIN_USER = "admin"
DEFAULT_ADMIN_PASSWORD = "admin"  # dev default, printed by make up; set SUPERSET_ADMIN_PASSWORD elsewhere

ROLES = ("Analyst", "Leadership", "Park")
# the quarantine counts: the data-quality dashboard reads them; no Analyst may (issue 6: no raw or quarantine data)
QUARANTINE_TABLES = {"mart_quarantine_batches"}
# the column row-level security filters park staff on
PARK_COLUMN = "park_id"
# what every role reads, park staff included: the one-row status of the warehouse behind every dashboard's banner
# (its as-of date and which data are generated); it holds nothing of any park
ALL_ROLES_TABLES = {"mart_serving_status"}


def grants(assets: Path = ASSETS) -> dict[str, list[str]]:
    """The datasets (by table) each role may read, from the bundle. Analyst: every dataset but the quarantine
    counts (the bundle has a physical dataset on each published table, what lets SQL Lab query it);
    Leadership: the datasets the dashboards' charts read; Park: those of them with a park column, each
    filtered to the staff's own park by row-level security (:func:`park_filtered`), and the warehouse's
    status (:data:`ALL_ROLES_TABLES`), which every dashboard's banner reads."""
    found = datasets(read_bundle(assets))
    return {
        "Analyst": [d.table for d in found if d.table not in QUARANTINE_TABLES],
        "Leadership": [d.table for d in found if d.charted],
        "Park": [d.table for d in found if d.charted and (PARK_COLUMN in d.columns or d.table in ALL_ROLES_TABLES)],
    }


def park_filtered(assets: Path = ASSETS) -> list[str]:
    """The Park role's datasets that row-level security filters to the staff's park: those with a park column."""
    return [
        d.table for d in datasets(read_bundle(assets)) if d.table in grants(assets)["Park"] and PARK_COLUMN in d.columns
    ]


# the park's own view: for park staff only (row-level security shows them their park; anyone it does not filter
# would read every park added up)
PARK_STAFF_DASHBOARDS = {"my-park"}
# the alliance's own views, for the secretariat's analysts and leaders: park staff, whom row-level security shows
# their own park only, would see a map and a member list of one park
ALLIANCE_WIDE_DASHBOARDS = {"alliance-members"}


def dashboard_roles(assets: Path = ASSETS) -> dict[str, list[str]]:
    """Which roles see each dashboard of the bundle (Superset's DASHBOARD_RBAC), by slug: every role that may
    read all the tables the dashboard reads (:func:`grants`), so that no one is shown a dashboard with a chart
    or a filter it may not read; a park-staff dashboard (:data:`PARK_STAFF_DASHBOARDS`) the Park role only, an
    alliance-wide one (:data:`ALLIANCE_WIDE_DASHBOARDS`) never the Park role.
    A dashboard no role may read is an error: Superset would fall back to showing it to anyone who may
    read one of its charts."""
    granted = {role: set(tables) for role, tables in grants(assets).items()}
    roles = {}
    for slug, tables in sorted(dashboard_tables(read_bundle(assets)).items()):
        if slug in PARK_STAFF_DASHBOARDS:
            candidates: tuple[str, ...] = ("Park",)
        elif slug in ALLIANCE_WIDE_DASHBOARDS:
            candidates = tuple(role for role in ROLES if role != "Park")
        else:
            candidates = ROLES
        roles[slug] = [role for role in candidates if tables <= granted[role]]
        if not roles[slug]:
            raise ValueError(f"dashboard {slug}: no role may read all of {sorted(tables)}")
    return roles


def admin_credentials() -> tuple[str, str]:
    """The admin's log-in; the shipped default password only in the demo profile."""
    password = os.environ.get("SUPERSET_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD
    if os.environ.get("PARK_PROFILE", "").strip() == "production" and password == DEFAULT_ADMIN_PASSWORD:
        raise SystemExit("PARK_PROFILE=production: set SUPERSET_ADMIN_PASSWORD (the default is refused)")
    return os.environ.get("SUPERSET_ADMIN_USER") or DEFAULT_ADMIN_USER, password


def warehouse_uri() -> str:
    """The serving warehouse as Superset reaches it: SUPERSET_WAREHOUSE_URI, else the DuckDB serving file."""
    explicit = os.environ.get("SUPERSET_WAREHOUSE_URI", "").strip()
    if explicit:
        return explicit
    data_dir = Path(os.environ.get("PARK_DATA_DIR") or REPO_ROOT / "data").resolve()
    return f"duckdb:///{data_dir / 'warehouse' / 'serving.duckdb'}"


def _app() -> Any:
    from superset.app import create_app

    return create_app()


def remove_superseded_datasets(app: Any, assets: Path = ASSETS) -> None:
    """Removes, before the import, a dataset Superset holds on the table of one of the bundle's datasets but
    under another UUID, when no chart reads it: the bundle replaced it (as when the virtual datasets over
    the marts became the marts' physical datasets, keeping their UUIDs and charts). Superset's import
    matches a dataset by its table as well as by its UUID: it would update the replaced one and leave the
    bundle's dataset as it was, for the next export to write back."""
    from superset import db
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.slice import Slice

    bundle = {(d.schema, d.table): d.uuid for d in datasets(read_bundle(assets)) if not d.sql}
    with app.app_context():
        for dataset in db.session.query(SqlaTable).all():
            uuid = bundle.get((dataset.schema, dataset.table_name))
            if uuid is None or str(dataset.uuid) == uuid:
                continue
            if db.session.query(Slice).filter_by(datasource_type="table", datasource_id=dataset.id).count():
                continue  # charts read it: the import will say what clashes
            log.info("removing dataset %s (%s): the bundle's %s replaces it", dataset.table_name, dataset.uuid, uuid)
            db.session.delete(dataset)
        db.session.commit()


def import_assets(app: Any, assets: Path = ASSETS) -> None:
    """Superset's own import of the whole bundle (ImportAssetsCommand, as /api/v1/assets/import/ does):
    databases, datasets, charts and dashboards matched by UUID and overwritten; the bundle as
    ``assets_io.import_contents`` prepares it (this machine's connection, descriptions from the dbt YAML)."""
    from flask import g
    from superset import security_manager
    from superset.commands.importers.v1.assets import ImportAssetsCommand

    remove_superseded_datasets(app, assets)
    with app.test_request_context():
        g.user = security_manager.find_user(username=admin_credentials()[0])
        ImportAssetsCommand(import_contents(warehouse_uri(), assets)).run()


def ensure_admin(app: Any) -> None:
    from superset import db, security_manager

    username, password = admin_credentials()
    with app.app_context():
        if security_manager.find_user(username=username) is None:
            role = security_manager.find_role("Admin")
            security_manager.add_user(username, "Park", "Admin", f"{username}@park-alliance.example", role, password)
            db.session.commit()
            log.info("created admin user %s", username)


def _dataset(table: str) -> Any:
    from superset import db
    from superset.connectors.sqla.models import SqlaTable

    return db.session.query(SqlaTable).filter_by(table_name=table).one()


def ensure_roles(app: Any, assets: Path = ASSETS) -> None:
    """Analyst, Leadership and Park, each Gamma's permissions (read dashboards and charts) plus its datasets
    (:func:`grants`); Analyst also SQL Lab (on the datasets it may read only: no schema or database access)."""
    from superset import db, security_manager

    granted = grants(assets)
    with app.app_context():
        gamma = set(security_manager.find_role("Gamma").permissions)
        sql_lab = {
            p for p in security_manager.find_role("sql_lab").permissions if p.permission.name != "database_access"
        }
        for role_name in ROLES:
            role = security_manager.find_role(role_name) or security_manager.add_role(role_name)
            wanted = set(gamma) | (sql_lab if role_name == "Analyst" else set())
            for table in granted[role_name]:
                dataset = _dataset(table)
                pv = security_manager.add_permission_view_menu("datasource_access", dataset.perm)
                wanted.add(pv)
            role.permissions = sorted(wanted, key=lambda pv: pv.id or 0)
        db.session.commit()
        log.info("roles %s ready", ", ".join(ROLES))


def ensure_dashboard_roles(app: Any, assets: Path = ASSETS) -> None:
    """Each dashboard, and its English twin, given the roles :func:`dashboard_roles` derives: with DASHBOARD_RBAC
    (superset_config.py) a user's dashboard list holds exactly the dashboards of its roles."""
    from superset import db, security_manager
    from superset.models.dashboard import Dashboard

    with app.app_context():
        for slug, role_names in dashboard_roles(assets).items():
            roles = [security_manager.find_role(name) for name in role_names]
            slugs = [slug, f"{slug}{ENGLISH_SUFFIX}"]
            for dashboard in db.session.query(Dashboard).filter(Dashboard.slug.in_(slugs)).all():
                dashboard.roles = roles
        db.session.commit()
        log.info("dashboard roles set")


def park_role_name(park_id: str) -> str:
    return f"Park {park_id}"


def ensure_park_role(park_id: str, assets: Path = ASSETS) -> Any:
    """A role for one park's staff carrying the row-level security filter ``<park column> = '<park id>'``
    on every park-level dataset (the Park role grants the datasets themselves)."""
    from superset import db, security_manager
    from superset.connectors.sqla.models import RowLevelSecurityFilter

    if not park_id.replace("_", "").isalnum():
        raise ValueError(f"park id {park_id!r}: expected letters and digits (e.g. G110001)")
    role = security_manager.find_role(park_role_name(park_id)) or security_manager.add_role(park_role_name(park_id))
    name = f"park {park_id}"
    rls = db.session.query(RowLevelSecurityFilter).filter_by(name=name).one_or_none()
    if rls is None:
        rls = RowLevelSecurityFilter(name=name, filter_type="Regular")
        db.session.add(rls)
    rls.clause = f"{PARK_COLUMN} = '{park_id}'"
    rls.description = f"Staff of park {park_id} see only its rows"
    rls.tables = [_dataset(table) for table in park_filtered(assets)]
    rls.roles = [role]
    db.session.commit()
    return role


def add_user(app: Any, username: str, password: str, role_name: str, park_id: str | None = None) -> None:
    from superset import db, security_manager

    with app.app_context():
        roles = [security_manager.find_role(role_name)]
        if role_name == "Park":
            if not park_id:
                raise SystemExit("a Park user needs --park <park id>")
            roles.append(ensure_park_role(park_id))
        user = security_manager.find_user(username=username)
        if user is None:
            security_manager.add_user(
                username, username, role_name, f"{username}@park-alliance.example", roles, password
            )
        else:
            user.roles = roles
            security_manager.reset_password(user.id, password)
        db.session.commit()


def add_users(app: Any, specs: list[str]) -> None:
    """Users given as USERNAME:PASSWORD:ROLE[:PARK_ID]."""
    for spec in specs:
        parts = spec.split(":")
        if len(parts) not in (3, 4) or parts[2] not in (*ROLES, "Admin"):
            raise SystemExit(f"{spec!r}: expected USERNAME:PASSWORD:ROLE[:PARK_ID] with a role of {ROLES} or Admin")
        add_user(app, parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else None)


def metadata_key() -> str:
    """What the migrated, initialised metadata depends on: Superset's locked environment and its configuration."""
    digest = hashlib.sha256()
    for path in (HERE / "uv.lock", HERE / "superset_config.py"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _sqlite_metadata_path() -> Path | None:
    import superset_config

    uri = superset_config.SQLALCHEMY_DATABASE_URI
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def metadata_cache_dir() -> Path:
    data_dir = Path(os.environ.get("PARK_DATA_DIR") or REPO_ROOT / "data").resolve()
    return Path(os.environ.get("SUPERSET_METADATA_CACHE") or data_dir / "cache" / "superset-metadata")


def restore_metadata(cache_dir: Path | None) -> bool:
    """Brings the migrated, initialised metadata database (``superset db upgrade`` and ``superset init``:
    permissions and built-in roles), which depends only on :func:`metadata_key`, without redoing the work:
    a Superset home already prepared for the key (its ``metadata.key``) is left as it is, a new one gets a
    copy of ``cache_dir/superset-<key>.db``. Returns True when the work is still to be done (no cached copy,
    or a metadata database that is not SQLite). Runs before the app exists: the app opens the file."""
    key = metadata_key()
    target = _sqlite_metadata_path()
    if target is None:
        return True
    stamp = target.with_name("metadata.key")
    if target.exists() and stamp.exists() and stamp.read_text().strip() == key:
        log.info("metadata %s already migrated and initialised for %s", target, key)
        return False
    cached = cache_dir / f"superset-{key}.db" if cache_dir else None
    if cached and cached.exists() and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, target)
        stamp.write_text(key)
        log.info("metadata %s copied from the cache %s", target, cached)
        return False
    return True


def superset_cli(*args: str) -> None:
    command = [str(Path(sys.executable).parent / "superset"), *args]
    log.info("running %s", " ".join(command))
    subprocess.run(command, check=True)


def init_metadata(cache_dir: Path | None) -> None:
    """``superset db upgrade`` and ``superset init`` (Superset's own commands), then the result into the cache.
    Before this process creates its app: ``superset init`` registers the views' permissions of a fresh app."""
    superset_cli("db", "upgrade")
    superset_cli("init")
    target = _sqlite_metadata_path()
    if target is None:
        return
    key = metadata_key()
    target.with_name("metadata.key").write_text(key)
    if cache_dir:
        cached = cache_dir / f"superset-{key}.db"
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        with sqlite3.connect(target) as source, sqlite3.connect(partial) as copy:
            source.backup(copy)
        os.replace(partial, cached)  # whole or absent, even with two set-ups at once
        log.info("metadata cached in %s", cached)


def setup(users: list[str], cache_dir: Path | None = None) -> None:
    if restore_metadata(cache_dir):
        init_metadata(cache_dir)
    app = _app()
    ensure_admin(app)
    import_assets(app)
    ensure_roles(app)
    ensure_dashboard_roles(app)
    add_users(app, users)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    setup_parser = sub.add_parser("setup")
    setup_parser.add_argument("users", nargs="*", help="USERNAME:PASSWORD:ROLE[:PARK_ID]")
    setup_parser.add_argument(
        "--metadata-cache",
        type=Path,
        default=metadata_cache_dir(),
        help="folder of migrated metadata databases, one per Superset lock and configuration "
        "(default $SUPERSET_METADATA_CACHE, else $PARK_DATA_DIR/cache/superset-metadata)",
    )
    import_parser = sub.add_parser("import")
    import_parser.add_argument("--assets", type=Path, default=ASSETS, help="the bundle's folder (default: the repo's)")
    import_parser.add_argument("--times", type=int, default=1, help="import it this many times (idempotence checks)")
    sub.add_parser("add-user").add_argument("users", nargs="+", help="USERNAME:PASSWORD:ROLE[:PARK_ID]")
    args = parser.parse_args()
    if args.command == "setup":
        setup(args.users, args.metadata_cache)
    elif args.command == "import":
        app = _app()
        for _ in range(args.times):
            import_assets(app, args.assets)
            ensure_roles(app, args.assets)
            ensure_dashboard_roles(app, args.assets)
    else:
        add_users(_app(), args.users)


if __name__ == "__main__":
    main()
