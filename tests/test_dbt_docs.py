"""dbt docs build for the warehouse, and every model is documented: a description for the model and
for each of its columns as the built warehouse has them."""

import json
import os
import subprocess

from parkplatform.config import get_settings, runtime_environment
from parkplatform.dbt import DBT_PROJECT_DIR, dbt_executable


def test_docs_generate_and_every_model_and_column_is_documented(tiny_warehouse, reference_dir, tmp_path):
    target = tmp_path / "docs"
    env = {
        **os.environ,
        **runtime_environment(get_settings()),
        "PARK_DATA_DIR": str(tiny_warehouse.parent.parent),
        "PARK_REFERENCE_DIR": str(reference_dir),
    }
    subprocess.run(
        [
            str(dbt_executable()),
            "docs",
            "generate",
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    assert (target / "index.html").is_file()
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))

    models = {key: node for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    assert len(models) >= 30
    undocumented = [node["name"] for node in models.values() if not node["description"].strip()]
    assert not undocumented, f"models without a description: {undocumented}"

    missing: dict[str, list[str]] = {}
    for key, node in models.items():
        built = {column.lower() for column in catalog["nodes"][key]["columns"]}
        described = {name.lower() for name, column in node["columns"].items() if column["description"].strip()}
        if built - described:
            missing[node["name"]] = sorted(built - described)
    assert not missing, f"columns without a description: {missing}"

    # the dashboards and the weekly report are declared as exposures of the marts they read
    exposures = {node["name"]: node["depends_on"]["nodes"] for node in manifest["exposures"].values()}
    assert set(exposures) == {
        "leadership_weekly_overview",
        "industrial_clusters",
        "investment_flows",
        "matchmaking_outcomes",
        "data_quality",
        "weekly_indicator_report",
    }
    assert "model.park_indicators.mart_weekly_indicators" in exposures["weekly_indicator_report"]
    assert all(node in manifest["nodes"] for nodes in exposures.values() for node in nodes)
