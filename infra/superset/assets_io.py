"""Between the bundle and Superset: ``infra/superset/assets/`` is the one source of truth of the dashboards,
charts and datasets, in Superset's own export format (``metadata.yaml``, ``databases/``, ``datasets/``,
``charts/``, ``dashboards/``), versioned. Nothing restates it; two steps adapt it on its way in and out:

- on import (``bootstrap.py``, ``make superset-import``, ``make up``), :func:`import_contents`: the bundle's
  files as Superset's importer reads them, with this machine's warehouse connection in place of
  :data:`URI_PLACEHOLDER`, each dataset and its columns described from the dbt YAML of its table
  (:func:`dbt_tables`), and each dashboard's and chart's English twin (``english.py``);
  :func:`bundle_zip` packs the same files for ``/api/v1/assets/import/``;
- on export (``export_assets.py``, ``make superset-export``), :func:`bundle_files`: what Superset exports,
  made into the bundle's files: the English twins left out, the placeholder back in place of the connection, the descriptions the
  dbt YAML holds left out (a description edited in Superset's UI is reported, not kept: it belongs in
  the YAML), each file under the bundle's own name.

Every dataset is a physical dataset on a published table, declared once in dbt: a model of
``dbt_project/models/marts/`` or a table the quality gate writes, declared as a dbt source in schema
``main``; joins and computed columns belong in those models, not in Superset SQL (tests/test_superset.py
checks the bundle against the dbt manifest).

Runs in Superset's environment and the platform's alike: the standard library and PyYAML only.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from english import derive, strip_derived

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
ASSETS = HERE / "assets"
DBT_MARTS = REPO_ROOT / "dbt_project" / "models" / "marts"
PUBLISHED_SCHEMA = "main"
# replaced at import time by the connection of this machine; never a real path in git
URI_PLACEHOLDER = "duckdb:///PARK_SERVING_WAREHOUSE"


@dataclass(frozen=True)
class DbtTable:
    """A published table as its dbt YAML declares it (descriptions with their whitespace collapsed)."""

    name: str
    description: str
    columns: dict[str, str]  # column -> description, in the YAML's order
    path: Path  # the YAML file that declares it


@dataclass(frozen=True)
class Dataset:
    """A dataset of the bundle, as the roles and the checks need it."""

    path: str  # relative to the bundle
    uuid: str
    table: str
    schema: str | None
    sql: str | None
    columns: tuple[str, ...]
    charted: bool  # a chart of the bundle reads it


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def dbt_tables(marts: Path = DBT_MARTS) -> dict[str, DbtTable]:
    """Every published table the dbt YAML declares, by name: the models under ``models/marts/`` and the
    tables of the sources in schema ``main`` (what the quality gate writes). Read from the YAML itself, so
    that neither a dbt installation nor a parsed manifest is needed where Superset runs."""
    found: dict[str, DbtTable] = {}

    def add(spec: dict[str, Any], path: Path) -> None:
        columns = {column["name"]: _one_line(column.get("description")) for column in spec.get("columns") or []}
        found[spec["name"]] = DbtTable(spec["name"], _one_line(spec.get("description")), columns, path)

    for path in sorted(marts.rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models") or []:
            add(model, path)
        for source in document.get("sources") or []:
            if source.get("schema") == PUBLISHED_SCHEMA:
                for table in source.get("tables") or []:
                    add(table, path)
    return found


def read_bundle(assets: Path = ASSETS) -> dict[str, str]:
    """The bundle's files, by path relative to it."""
    return {str(path.relative_to(assets)): path.read_text(encoding="utf-8") for path in sorted(assets.rglob("*.yaml"))}


def load(text: str) -> dict[str, Any]:
    return yaml.safe_load(text) or {}


def dump(content: dict[str, Any]) -> str:
    """YAML as Superset's export writes it (so that an export rewrites only what changed)."""
    return yaml.safe_dump(content, sort_keys=False)


def _is_dataset(name: str) -> bool:
    return name.startswith("datasets/")


def datasets(files: dict[str, str]) -> list[Dataset]:
    """The bundle's datasets, each with whether a chart of the bundle reads it."""
    charted = {load(text).get("dataset_uuid") for name, text in files.items() if name.startswith("charts/")}
    found = []
    for name, text in sorted(files.items()):
        if _is_dataset(name):
            content = load(text)
            found.append(
                Dataset(
                    name,
                    str(content["uuid"]),
                    content["table_name"],
                    content.get("schema"),
                    content.get("sql"),
                    tuple(column["column_name"] for column in content.get("columns") or []),
                    content["uuid"] in charted,
                )
            )
    return found


def dashboard_tables(files: dict[str, str]) -> dict[str, set[str]]:
    """The tables each dashboard of the bundle reads, by slug: those of the charts it lays out and of its native
    filters' datasets."""
    table_of = {d.uuid: d.table for d in datasets(files)}
    chart_tables = {
        str(chart["uuid"]): table_of[str(chart["dataset_uuid"])]
        for chart in (load(text) for name, text in files.items() if name.startswith("charts/"))
    }
    found = {}
    for name, text in files.items():
        if name.startswith("dashboards/"):
            dashboard = load(text)
            read = {
                chart_tables[node["meta"]["uuid"]]
                for node in dashboard["position"].values()
                if isinstance(node, dict) and node.get("type") == "CHART"
            }
            for native_filter in dashboard.get("metadata", {}).get("native_filter_configuration") or []:
                read |= {table_of[t["datasetUuid"]] for t in native_filter["targets"] if t.get("datasetUuid")}
            found[dashboard["slug"]] = read
    return found


# ---------------------------------------------------------------------------------------------- import


def describe(content: dict[str, Any], tables: dict[str, DbtTable]) -> dict[str, Any]:
    """A dataset described from the dbt YAML of its table: its description and each column's that the YAML
    declares (a column the YAML does not know, such as a calculated one, keeps its own)."""
    table = tables.get(content.get("table_name"))
    if table is None or content.get("sql"):
        return content
    described = {**content, "description": table.description or None, "columns": []}
    for column in content.get("columns") or []:
        if column["column_name"] in table.columns:
            column = {**column, "description": table.columns[column["column_name"]] or None}
        described["columns"].append(column)
    return described


def _with_connection(text: str, uri: str) -> str:
    text = text.replace(URI_PLACEHOLDER, uri)
    if uri.startswith("postgresql"):  # a server warehouse: no DuckDB read-only flag
        text = text.replace("connect_args:\n      read_only: true", "connect_args: {}")
    return text


def import_contents(uri: str, assets: Path = ASSETS, tables: dict[str, DbtTable] | None = None) -> dict[str, str]:
    """The bundle as Superset's importer reads it (``ImportAssetsCommand``'s contents): the warehouse
    connection ``uri`` of this machine, every dataset described from the dbt YAML."""
    tables = dbt_tables() if tables is None else tables
    contents = {}
    for name, text in read_bundle(assets).items():
        if name.startswith("databases/"):
            text = _with_connection(text, uri)
        elif _is_dataset(name):
            text = dump(describe(load(text), tables))
        contents[name] = text
    return derive(contents)[0]


def bundle_zip(uri: str, assets: Path = ASSETS) -> bytes:
    """The same contents as a zip for ``/api/v1/assets/import/`` (files under one root folder)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, text in import_contents(uri, assets).items():
            bundle.writestr(f"bundle/{name}", text)
    return archive.getvalue()


# ---------------------------------------------------------------------------------------------- export


def undescribe(content: dict[str, Any], tables: dict[str, DbtTable]) -> tuple[dict[str, Any], list[str]]:
    """A dataset as the bundle keeps it: without the descriptions its dbt YAML holds, its columns in the
    YAML's order (then any other, such as a calculated one, by name) and its metrics by name, whatever
    order Superset holds them in. Returns it and the descriptions edited in Superset that differ from
    the YAML's (lost here: they belong in the YAML)."""
    table = tables.get(content.get("table_name"))
    if table is None or content.get("sql"):
        return content, []
    order = {name: position for position, name in enumerate(table.columns)}
    content = {
        **content,
        "columns": sorted(
            content.get("columns") or [],
            key=lambda column: (order.get(column["column_name"], len(order)), column["column_name"]),
        ),
        "metrics": sorted(content.get("metrics") or [], key=lambda metric: metric["metric_name"]),
    }
    where = f"{table.path.relative_to(REPO_ROOT)}, {table.name}"
    edited = []
    if content.get("description") and _one_line(content["description"]) != table.description:
        edited.append(f"{where}: description {content['description']!r}")
    columns = []
    for column in content.get("columns") or []:
        name = column["column_name"]
        if name in table.columns:
            if column.get("description") and _one_line(column["description"]) != table.columns[name]:
                edited.append(f"{where}, column {name}: description {column['description']!r}")
            column = {**column, "description": None}
        columns.append(column)
    return {**content, "description": None, "columns": columns}, edited


def _uuid(text: str) -> str | None:
    match = re.search(r"^uuid: (\S+)$", text, flags=re.MULTILINE)
    return match.group(1).strip("'\"") if match else None


def bundle_files(
    exported: dict[str, str], current: dict[str, str], tables: dict[str, DbtTable] | None = None
) -> tuple[dict[str, str], list[str]]:
    """What Superset exported (paths relative to the export's root folder) as the bundle's files, given the
    bundle's ``current`` files: without the English twins and the language switches (derived again at each
    import), the connection's placeholder, the dbt descriptions left out, each file
    under the name the bundle already gives its UUID (Superset names files after titles and ids, so the
    diff would show renames), a new dataset under its table's name, and the bundle's ``metadata.yaml``
    kept (Superset's differs only by the export's time). Returns them and the descriptions edited in
    Superset that the YAML does not hold."""
    tables = dbt_tables() if tables is None else tables
    known = {uuid: name for name, text in current.items() if (uuid := _uuid(text)) is not None}
    files: dict[str, str] = {}
    edited: list[str] = []
    for name, text in strip_derived(exported).items():
        if name.startswith("databases/"):
            lines = [
                f"sqlalchemy_uri: {URI_PLACEHOLDER}" if line.startswith("sqlalchemy_uri:") else line
                for line in text.splitlines()
            ]
            text = "\n".join(lines) + "\n"
        elif _is_dataset(name):
            content, lost = undescribe(load(text), tables)
            text = dump(content)
            edited += lost
            if _uuid(text) not in known:
                name = f"{name.rsplit('/', 1)[0]}/{content['table_name']}.yaml"
        elif name == "metadata.yaml" and name in current:
            text = current[name]
        files[known.get(_uuid(text) or "", name)] = text
    return files, edited


def write_bundle(files: dict[str, str], target: Path = ASSETS) -> None:
    """The bundle's folder holding exactly ``files``."""
    if target.exists():
        for path in target.rglob("*.yaml"):
            if str(path.relative_to(target)) not in files:
                path.unlink()
    for name, text in sorted(files.items()):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in sorted((p for p in target.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
