"""The English version of every dashboard, derived from the Chinese bundle at import (issue 18: Chinese first,
English available, from the same bundle). Nothing in ``assets/`` is English-only: each dashboard and chart of
the bundle gets an English twin built from it and from one translation table, ``translations/en.yaml``:

- UUIDs: ``uuid5(<Chinese UUID>, "en")``, so the twins are the same objects at every import; the dashboard's
  slug is ``<slug>-en``; the datasets are the same (same grants, same row-level security for park staff);
- every string holding Chinese (titles, subheaders, metric labels, axis titles, markdown, filter names, SQL
  filters on a Chinese value) is looked up whole in the table's ``strings``;
- every Chinese-labelled column and metric a chart or filter reads is replaced by its English twin in the same
  dataset: ``X_cn`` by ``X_en``, the others as the table's ``columns`` and ``metrics`` say;
- a table's column shown under its dataset's (Chinese) verbose name is read as an adhoc column carrying the
  English name instead, since the dataset, shared by both versions, keeps its Chinese verbose names;
- each dashboard, Chinese and English, gets a language switch at the top (:data:`SWITCH`) linking the other.

The export (``assets_io.bundle_files``) drops the twins and the switches again (:func:`strip_derived`): what
goes back into the bundle is the Chinese version only. :func:`untranslated` lists what the table misses, and a
unit test fails on it, so a chart cannot be added without its translations.

Runs in Superset's environment and the platform's alike: the standard library and PyYAML only.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
TRANSLATIONS = HERE / "translations" / "en.yaml"
# what Chinese text is: CJK ideographs and the full-width punctuation that goes with them
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# the charts that show a column under its name (their headers): there the English name replaces the verbose one
LABELLED_VIZ_TYPES = {"table", "pivot_table_v2"}
COLUMN_LISTS = ("all_columns", "groupby", "columns")
# the language switch's layout node and its row, first in each dashboard's grid
SWITCH = "MARKDOWN-language-switch"
SWITCH_ROW = "ROW-language-switch"
ENGLISH_SUFFIX = "-en"


@dataclass(frozen=True)
class Translations:
    strings: dict[str, str]  # Chinese text -> English text, whole strings
    columns: dict[str, str]  # a Chinese-labelled column that is not X_cn -> its English twin
    metrics: dict[str, str]  # a saved metric with a Chinese name -> its English twin


def load_translations(path: Path = TRANSLATIONS) -> Translations:
    table = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Translations(table.get("strings") or {}, table.get("columns") or {}, table.get("metrics") or {})


def english_uuid(chinese: str) -> str:
    return str(uuid.uuid5(uuid.UUID(str(chinese)), "en"))


def is_chinese(text: str) -> bool:
    return bool(CJK.search(text))


def _dump(content: dict[str, Any]) -> str:
    return yaml.safe_dump(content, sort_keys=False)


@dataclass(frozen=True)
class _Dataset:
    columns: dict[str, str | None]  # name -> verbose name
    metrics: set[str]


def _datasets(files: dict[str, str]) -> dict[str, _Dataset]:
    found = {}
    for name, text in files.items():
        if name.startswith("datasets/"):
            content = yaml.safe_load(text)
            columns = {c["column_name"]: c.get("verbose_name") for c in content.get("columns") or []}
            metrics = {m["metric_name"] for m in content.get("metrics") or []}
            found[str(content["uuid"])] = _Dataset(columns, metrics)
    return found


def twins(dataset: _Dataset, translations: Translations) -> dict[str, str]:
    """The dataset's Chinese-labelled columns and metrics that have an English twin in it, with the twin."""
    found = {}
    for names, table in ((dataset.columns, translations.columns), (dataset.metrics, translations.metrics)):
        for name in names:
            twin = table.get(name) or (f"{name[:-3]}_en" if name.endswith("_cn") else None)
            if twin and twin in names:
                found[name] = twin
    return found


class _Translator:
    """Translates one chart's or dashboard's strings; remembers the Chinese ones the table lacks."""

    def __init__(self, translations: Translations, renames: dict[str, str]) -> None:
        self.strings = translations.strings
        self.pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(renames, key=len, reverse=True))) + r")\b")
        self.renames = renames
        self.missing: list[str] = []

    def text(self, value: str) -> str:
        if is_chinese(value):
            if value in self.strings:
                value = self.strings[value]
            else:
                self.missing.append(value)
        return self.pattern.sub(lambda match: self.renames[match.group(1)], value) if self.renames else value

    def tree(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.tree(item) for item in value]
        if isinstance(value, dict):
            return {self.text(key) if isinstance(key, str) else key: self.tree(item) for key, item in value.items()}
        return value


def _columns(
    params: dict[str, Any], dataset: _Dataset, renames: dict[str, str], translator: _Translator, labelled: bool
) -> dict[str, Any]:
    """A chart's column lists in English: a column read twice once only (a chart that shows a column and its
    twin, as the banner does, reads the twin twice in English); in a table (``labelled``), the columns that
    its dataset names in Chinese (verbose name) as adhoc columns named in English, their column settings
    following them (a table keys them by the column's label)."""
    verbose = {renames.get(c, c): v for c, v in dataset.columns.items() if v and is_chinese(v)}
    relabelled: dict[str, str] = {}
    for key in COLUMN_LISTS:
        items = params.get(key)
        if not isinstance(items, list):
            continue
        converted, seen = [], set()
        for item in items:
            if isinstance(item, str):
                if item in seen:
                    continue
                seen.add(item)
            if labelled and isinstance(item, str) and item in verbose:
                label = relabelled.setdefault(item, translator.text(verbose[item]))
                item = {"expressionType": "SQL", "sqlExpression": item, "label": label, "hasCustomLabel": True}
            converted.append(item)
        params = {**params, key: converted}
    if relabelled and isinstance(params.get("column_config"), dict):
        params["column_config"] = {relabelled.get(k, k): v for k, v in params["column_config"].items()}
    return params


def english_chart(
    content: dict[str, Any], datasets: dict[str, _Dataset], translations: Translations
) -> tuple[dict[str, Any], list[str]]:
    """A chart's English twin, and the Chinese strings the table lacks for it."""
    dataset = datasets.get(str(content.get("dataset_uuid")), _Dataset({}, set()))
    renames = twins(dataset, translations)
    translator = _Translator(translations, renames)
    english = translator.tree(content)
    labelled = english.get("viz_type") in LABELLED_VIZ_TYPES
    english["params"] = _columns(english["params"], dataset, renames, translator, labelled)
    if english.get("query_context"):
        context = translator.tree(json.loads(content["query_context"]))
        context["form_data"] = _columns(context.get("form_data") or {}, dataset, renames, translator, labelled)
        context["queries"] = [
            _columns(query, dataset, renames, translator, labelled) for query in context.get("queries") or []
        ]
        english["query_context"] = json.dumps(context, ensure_ascii=False)
    english["uuid"] = english_uuid(content["uuid"])
    return english, translator.missing


def _switch_markdown(slug: str, english: bool) -> str:
    chinese_slug = slug.removesuffix(ENGLISH_SUFFIX)
    if english:
        return f"[中文](/superset/dashboard/{chinese_slug}/) | **English**"
    return f"**中文** | [English](/superset/dashboard/{chinese_slug}{ENGLISH_SUFFIX}/)"


def with_switch(content: dict[str, Any], english: bool) -> dict[str, Any]:
    """The dashboard with the language switch as the first row of its grid."""
    position = dict(content["position"])
    grid = position["GRID_ID"]
    position["GRID_ID"] = {**grid, "children": [SWITCH_ROW, *grid.get("children", [])]}
    position[SWITCH_ROW] = {
        "children": [SWITCH],
        "id": SWITCH_ROW,
        "meta": {"background": "BACKGROUND_TRANSPARENT"},
        "parents": ["ROOT_ID", "GRID_ID"],
        "type": "ROW",
    }
    position[SWITCH] = {
        "children": [],
        "id": SWITCH,
        "meta": {"code": _switch_markdown(content["slug"], english), "height": 8, "width": 12},
        "parents": ["ROOT_ID", "GRID_ID", SWITCH_ROW],
        "type": "MARKDOWN",
    }
    return {**content, "position": position}


def without_switch(content: dict[str, Any]) -> dict[str, Any]:
    position = content.get("position")
    if not isinstance(position, dict) or SWITCH not in position:
        return content
    position = {key: node for key, node in position.items() if key not in (SWITCH, SWITCH_ROW)}
    grid = position["GRID_ID"]
    position["GRID_ID"] = {**grid, "children": [c for c in grid.get("children", []) if c != SWITCH_ROW]}
    return {**content, "position": position}


def english_dashboard(
    content: dict[str, Any], datasets: dict[str, _Dataset], translations: Translations
) -> tuple[dict[str, Any], list[str]]:
    """A dashboard's English twin (its charts' twins laid out), and the Chinese strings the table lacks for it."""
    translator = _Translator(translations, {})
    english = translator.tree({key: value for key, value in content.items() if key not in ("metadata", "position")})
    position = {}
    for key, node in content["position"].items():
        node = translator.tree(node)
        if isinstance(node, dict) and node.get("type") == "CHART" and node.get("meta", {}).get("uuid"):
            node["meta"]["uuid"] = english_uuid(node["meta"]["uuid"])
        position[key] = node
    metadata = translator.tree(content["metadata"])
    for native_filter in metadata.get("native_filter_configuration") or []:
        for target in native_filter.get("targets") or []:
            column = (target.get("column") or {}).get("name")
            dataset = datasets.get(str(target.get("datasetUuid")))
            if column and dataset:
                target["column"]["name"] = twins(dataset, translations).get(column, column)
    english.update(
        {
            "slug": f"{content['slug']}{ENGLISH_SUFFIX}",
            "uuid": english_uuid(content["uuid"]),
            "position": position,
            "metadata": metadata,
        }
    )
    return with_switch(english, english=True), translator.missing


def _english_name(name: str) -> str:
    return f"{name.removesuffix('.yaml')}{ENGLISH_SUFFIX.replace('-', '_')}.yaml"


def derive(files: dict[str, str], translations: Translations | None = None) -> tuple[dict[str, str], list[str]]:
    """The bundle's files with each dashboard's and chart's English twin added and the language switch on every
    dashboard; and what the table lacks, as ``<file>: <Chinese string>`` (empty when all is translated)."""
    translations = load_translations() if translations is None else translations
    datasets = _datasets(files)
    # the bundle's files first, in their order, then the twins: a fresh Superset numbers the Chinese charts as
    # the bundle's layouts do (an export writes their ids back)
    derived: dict[str, str] = dict(files)
    english_files: dict[str, str] = {}
    missing: list[str] = []
    for name, text in files.items():
        if name.startswith("charts/"):
            english, lacking = english_chart(yaml.safe_load(text), datasets, translations)
        elif name.startswith("dashboards/"):
            content = yaml.safe_load(text)
            derived[name] = _dump(with_switch(content, english=False))
            english, lacking = english_dashboard(content, datasets, translations)
        else:
            continue
        english_files[_english_name(name)] = _dump(english)
        missing += [f"{name}: {string}" for string in dict.fromkeys(lacking)]
    derived.update(english_files)
    return derived, missing


def untranslated(files: dict[str, str], translations: Translations | None = None) -> list[str]:
    """What keeps the English version from being English: each Chinese string of the bundle the table lacks,
    and each Chinese-labelled column (``*_cn``) an English chart or filter still reads (its dataset has no
    English twin for it)."""
    derived, missing = derive(files, translations)
    for name, text in derived.items():
        if name.startswith(("charts/", "dashboards/")) and name not in files:
            for column in sorted(set(re.findall(r"\b\w+_cn\b", text))):
                missing.append(f"{name}: reads {column}, which has no English twin in its dataset")
    return missing


def strip_derived(exported: dict[str, str]) -> dict[str, str]:
    """What Superset exported without the English twins (any chart or dashboard whose UUID is the twin's of
    another one exported) and without the language switches: the Chinese bundle as it was imported."""
    uuids = {
        str(content["uuid"]): name
        for name, text in exported.items()
        if name.startswith(("charts/", "dashboards/")) and (content := yaml.safe_load(text)).get("uuid")
    }
    twin_uuids = {english_uuid(u) for u in uuids}
    kept = {}
    for name, text in exported.items():
        if name.startswith(("charts/", "dashboards/")):
            content = yaml.safe_load(text)
            if str(content.get("uuid")) in twin_uuids:
                continue
            if name.startswith("dashboards/") and SWITCH in (content.get("position") or {}):
                text = _dump(without_switch(content))
        kept[name] = text
    return kept
