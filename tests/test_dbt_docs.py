"""dbt docs build for the warehouse, and every model is documented: a description for the model and
for each of its columns as the built warehouse has them."""

import json

from parkplatform.dbt import generate_docs


def test_docs_generate_and_every_model_and_column_is_documented(tiny_warehouse, tmp_path):
    target = tmp_path / "docs"
    assert generate_docs(tiny_warehouse, target) == target / "index.html"
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
        "my_park",
        "regional_indicators",
        "alliance_members",
        "weekly_indicator_report",
    }
    assert "model.park_indicators.mart_weekly_indicators" in exposures["weekly_indicator_report"]
    assert all(node in manifest["nodes"] | manifest["sources"] for nodes in exposures.values() for node in nodes)


def test_the_data_dictionary_in_docs_is_the_one_dbt_declares():
    """docs/data-dictionary.md is generated from the dbt YAML; it must not drift from it (regenerate it
    with `.venv/bin/python -m parkplatform.dbt dictionary` after changing a model's YAML)."""
    from parkplatform.dbt import DATA_DICTIONARY, data_dictionary, parse_project

    expected = data_dictionary(json.loads(parse_project().read_text(encoding="utf-8")))
    assert DATA_DICTIONARY.read_text(encoding="utf-8") == expected, "docs/data-dictionary.md is stale"
    assert "### `mart_weekly_indicators`" in expected and "| `paid_in_cny` |" in expected


def test_the_transforms_dbt_build_starts_from_the_parse_that_set_up_made():
    """``parse_project`` (set-up: ``make demo``, ``make up``) leaves the partial-parse state that the transform
    DAG's Cosmos producer can use: dbt re-parses the whole project when the profile or target flags differ
    from the last parse's (about 4 s of CPU in every transform run)."""
    import os
    import subprocess

    from parkplatform.config import get_settings, runtime_environment
    from parkplatform.dbt import DBT_PROJECT_DIR, dbt_executable, parse_project

    parse_project()
    from dags.transform_publish import DBT_PROFILE  # drawn from the manifest parse_project wrote

    producer_flags = ["--profile", DBT_PROFILE.profile_name, "--target", DBT_PROFILE.target_name]
    again = subprocess.run(
        [str(dbt_executable()), "parse", "--profiles-dir", str(DBT_PROJECT_DIR), *producer_flags],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **runtime_environment(get_settings())},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Unable to do partial parsing" not in again.stdout, again.stdout[-2000:]


def test_dbt_writes_its_log_file_at_info_unless_told_otherwise(tmp_path, monkeypatch):
    """dbt's log file at ``debug`` (dbt's default) holds every statement of every node, and writing it cost a
    fifth of a small build's CPU: the runtime environment sets ``info``, and PARK_DBT_FILE_LOG_LEVEL changes it."""
    import os
    import subprocess

    from parkplatform.config import get_settings, runtime_environment
    from parkplatform.dbt import DBT_PROJECT_DIR, dbt_executable, profile_arguments

    env = {**os.environ, **runtime_environment(get_settings()), "DBT_LOG_PATH": str(tmp_path)}
    assert env["DBT_LOG_LEVEL_FILE"] == "info"
    subprocess.run(
        [str(dbt_executable()), "parse", "--profiles-dir", str(DBT_PROJECT_DIR), *profile_arguments(), "--quiet"],
        cwd=DBT_PROJECT_DIR,
        env=env,
        check=True,
    )
    lines = (tmp_path / "dbt.log").read_text(encoding="utf-8").splitlines()
    assert any("[info ]" in line for line in lines), lines[:5]
    assert not [line for line in lines if "[debug]" in line]
    monkeypatch.setenv("PARK_DBT_FILE_LOG_LEVEL", "debug")
    assert runtime_environment(get_settings())["DBT_LOG_LEVEL_FILE"] == "debug"
