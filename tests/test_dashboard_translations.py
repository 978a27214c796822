"""The dashboards' English version (issue 18), derived from the Chinese bundle and the translation table
infra/superset/translations/en.yaml by infra/superset/english.py, checked without starting Superset: every
Chinese text of the bundle has its English, no English chart or filter reads a Chinese-labelled column, the
twins are deterministic and cross-linked, and what the export gets back is the Chinese bundle exactly.
(tests/test_superset.py imports them into a real Superset and renders both versions in Chromium.)"""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path

import pytest
import yaml

SUPERSET_DIR = Path(__file__).resolve().parents[1] / "infra" / "superset"
if str(SUPERSET_DIR) not in sys.path:
    sys.path.insert(0, str(SUPERSET_DIR))

import assets_io
import english


@pytest.fixture(scope="module")
def bundle() -> dict[str, str]:
    return assets_io.read_bundle()


@pytest.fixture(scope="module")
def derived(bundle: dict[str, str]) -> dict[str, str]:
    return english.derive(bundle)[0]


def _strings(value: object) -> list[str]:
    """Every string of a chart's or dashboard's content, keys included, the query context's JSON opened."""
    if isinstance(value, str):
        if value.startswith('{"'):
            return _strings(yaml.safe_load(value))
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (*_strings(key), *_strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_every_chinese_text_of_the_bundle_has_its_english(bundle: dict[str, str]) -> None:
    """A chart or dashboard added (or retitled) without its translations fails here: add each listed text
    to infra/superset/translations/en.yaml (docs/analyst-guide.md, "Dashboards in English")."""
    assert english.untranslated(bundle) == []


def test_a_chart_added_without_translations_is_caught(bundle: dict[str, str]) -> None:
    chart = yaml.safe_load(bundle["charts/match_stalled.yaml"])
    chart["slice_name"] = "新图表：尚未翻译"
    chart["params"]["all_columns"].append("match_type_cn")
    files = {**bundle, "charts/new_chart.yaml": yaml.safe_dump(chart, sort_keys=False)}
    # its title, and the Chinese name (verbose name) of the column it adds, which its table shows as a header
    assert english.untranslated(files) == ["charts/new_chart.yaml: 新图表：尚未翻译", "charts/new_chart.yaml: 对接类型"]
    # a Chinese-labelled column without an English twin in its dataset: the English chart would still read it
    dataset_name = "datasets/Park_warehouse/fct_match.yaml"
    dataset = yaml.safe_load(bundle[dataset_name])
    dataset["columns"] = [c for c in dataset["columns"] if c["column_name"] != "channel_en"]
    files = {**bundle, dataset_name: yaml.safe_dump(dataset, sort_keys=False)}
    missing = english.untranslated(files)
    assert "charts/match_stalled_en.yaml: reads channel_cn, which has no English twin in its dataset" in missing
    assert "charts/match_cycle_times_en.yaml: reads channel_cn, which has no English twin in its dataset" in missing


def test_each_dashboard_and_chart_has_a_deterministic_english_twin(
    bundle: dict[str, str], derived: dict[str, str]
) -> None:
    chinese = {
        name: yaml.safe_load(text) for name, text in bundle.items() if name.startswith(("charts/", "dashboards/"))
    }
    assert chinese
    for name, content in chinese.items():
        twin = yaml.safe_load(derived[name.replace(".yaml", "_en.yaml")])
        assert twin["uuid"] == str(uuid.uuid5(uuid.UUID(content["uuid"]), "en")), name
        if name.startswith("charts/"):
            assert twin["dataset_uuid"] == content["dataset_uuid"], name  # the same dataset: same grants and RLS
        else:
            assert twin["slug"] == f"{content['slug']}-en"
            laid_out = {
                n["meta"]["uuid"]
                for n in content["position"].values()
                if isinstance(n, dict) and n.get("type") == "CHART"
            }
            twins = {
                n["meta"]["uuid"] for n in twin["position"].values() if isinstance(n, dict) and n.get("type") == "CHART"
            }
            assert twins == {english.english_uuid(u) for u in laid_out}, name
    assert english.derive(bundle)[0] == derived  # deterministic


def test_the_english_twins_hold_no_chinese_but_the_language_switch(
    derived: dict[str, str], bundle: dict[str, str]
) -> None:
    found = []
    for name, text in derived.items():
        if name in bundle or not name.startswith(("charts/", "dashboards/")):
            continue
        content = yaml.safe_load(text)
        for string in _strings(content):
            if english.is_chinese(string) and string != content["position"][english.SWITCH]["meta"]["code"]:
                found.append((name, string))
            found += [(name, column) for column in re.findall(r"\b\w+_cn\b", string)]
    assert found == []


def test_the_two_versions_link_each_other(bundle: dict[str, str], derived: dict[str, str]) -> None:
    for name in bundle:
        if name.startswith("dashboards/"):
            chinese = yaml.safe_load(derived[name])
            twin = yaml.safe_load(derived[name.replace(".yaml", "_en.yaml")])
            assert f"(/superset/dashboard/{twin['slug']}/)" in chinese["position"][english.SWITCH]["meta"]["code"]
            assert f"(/superset/dashboard/{chinese['slug']}/)" in twin["position"][english.SWITCH]["meta"]["code"]
            for dashboard in (chinese, twin):
                assert dashboard["position"]["GRID_ID"]["children"][0] == english.SWITCH_ROW


def test_the_export_gets_back_the_chinese_bundle_exactly(bundle: dict[str, str], derived: dict[str, str]) -> None:
    """What Superset exports after importing the derived bundle is the bundle again, byte for byte: no English
    file and no language switch reaches git (the English version of a UI edit comes from the Chinese one)."""
    assert english.strip_derived(derived) == bundle
