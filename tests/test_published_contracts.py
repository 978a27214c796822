"""A published table is declared once, in its dbt model's YAML: the quality gate's contract of it is read
from the dbt manifest (column types, key, required columns, domains, ranges from the tests; the rest from
``meta.gate``), so a change made only in the YAML changes the gate's checks."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from expectations import suites as gate_suites
from expectations.suites import RunFacts, published_contracts
from parkplatform import dbt
from parkplatform.contracts import Rule
from parkplatform.sources import source_contracts

FACTS = RunFacts(as_of=date(2026, 11, 23), sources={}, previous_counts={}, row_count_band=0.1, freshness_grace_days=3)


@pytest.fixture(scope="module")
def manifest() -> dict:
    """The manifest of the YAML as it is now (parsed, not a stale one)."""
    dbt.parse_project()
    return dbt.read_manifest()


def _checks(suite: list, expectation: str, column: str | None = None) -> list[dict]:
    found = []
    for check in suite:
        config = check.expectation.configuration
        if config.type == expectation and config.kwargs.get("column") == column:
            found.append(dict(config.kwargs) | {"severity": check.severity})
    return found


def test_every_mart_is_a_published_contract_and_nothing_else_is(manifest):
    marts = {
        f"main.{node['name']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
    contracts = {contract.table: contract for contract in published_contracts(manifest)}
    assert set(contracts) == marts and len(marts) >= 20
    dim_park = contracts["main.dim_park"]
    assert list(dim_park.column_types)[:3] == ["park_id", "zone_code", "zone_code_clash"]
    assert dim_park.key == ("park_id",) and dim_park.domains["level"] == ["national", "provincial", "unlisted"]
    assert "approval_date" in dim_park.not_future and "approved_area_ha" in dim_park.non_negative
    # not_null with `where: "in_catalogue"` (a boolean column): a rule on those rows
    assert Rule("not_null", "province_adcode", when="in_catalogue") in dim_park.rules
    assert contracts["main.mart_investment_flows_month"].shares == ("paid_in_ratio", "start_rate", "production_rate")
    assert not contracts["main.mart_regional_indicators"].non_empty and contracts["main.dim_park"].non_empty
    (row_count,) = contracts["main.dim_cluster"].rules
    assert (row_count.kind, row_count.value) == ("row_count", 20)


def test_a_type_or_domain_changed_only_in_the_yaml_changes_the_gate(manifest, monkeypatch):
    """The gate's suites follow the manifest: a column's type and an accepted_values domain edited in a
    copy of it (as a YAML edit would after `dbt parse`) are what the gate checks, and nothing in the
    gate's code restates them."""
    before = gate_suites.suites(FACTS, {"main.fct_investment_project", "main.fct_match"})
    (types,) = _checks(before["main.fct_investment_project"], "expect_table_columns_to_have_logical_types")
    assert types["column_types"]["contracted_amount"] == "decimal"
    (channel,) = _checks(before["main.fct_match"], "expect_column_values_to_be_in_set", "channel")
    assert "webinar" not in channel["value_set"]

    edited = copy.deepcopy(manifest)
    nodes = edited["nodes"]
    nodes["model.park_indicators.fct_investment_project"]["columns"]["contracted_amount"]["data_type"] = "double"
    (accepted,) = [
        node
        for node in nodes.values()
        if node["resource_type"] == "test"
        and node.get("attached_node") == "model.park_indicators.fct_match"
        and node.get("column_name") == "channel"
        and node["test_metadata"]["name"] == "accepted_values"
    ]
    accepted["test_metadata"]["kwargs"]["values"] = [*accepted["test_metadata"]["kwargs"]["values"], "webinar"]
    accepted["config"]["severity"] = "warn"
    with pytest.raises(ValueError, match="no conditional or warning form of accepted_values"):
        published_contracts(edited)
    accepted["config"]["severity"] = "ERROR"
    monkeypatch.setattr(dbt, "read_manifest", lambda: edited)

    after = gate_suites.suites(FACTS, {"main.fct_investment_project", "main.fct_match"})
    (types,) = _checks(after["main.fct_investment_project"], "expect_table_columns_to_have_logical_types")
    assert types["column_types"]["contracted_amount"] == "double"
    (channel,) = _checks(after["main.fct_match"], "expect_column_values_to_be_in_set", "channel")
    assert channel["value_set"][-1] == "webinar" and channel["severity"] == "critical"


def _node(columns: dict, meta: dict | None = None) -> dict:
    return {
        "resource_type": "model",
        "package_name": "p",
        "name": "m",
        "unique_id": "model.p.m",
        "config": {"schema": None},
        "meta": meta or {},
        "columns": {name: {"name": name, **spec} for name, spec in columns.items()},
    }


def _test(name: str, column: str | None, severity: str = "ERROR", where: str | None = None, **kwargs) -> dict:
    return {
        "resource_type": "test",
        "unique_id": f"test.p.{name}_{column}",
        "attached_node": "model.p.m",
        "column_name": column,
        "test_metadata": {"name": name, "kwargs": kwargs},
        "config": {"severity": severity, "where": where},
    }


def _manifest(model: dict, *tests: dict) -> dict:
    staging = {**model, "name": "stg", "unique_id": "model.p.stg", "config": {"schema": "staging"}}
    nodes = {node["unique_id"]: node for node in (model, staging, *tests)}
    return {"metadata": {"project_name": "p"}, "nodes": nodes}


def test_how_each_declaration_of_the_yaml_reads():
    model = _node(
        {
            "id": {"data_type": "text"},
            "code": {"data_type": "text"},
            "active": {"data_type": "boolean"},
            "amount": {"data_type": "double", "meta": {"gate": {"rules": [{"kind": "between", "high": 9}]}}},
            "day": {"data_type": "date", "meta": {"gate": {"not_future": True}}},
        },
        meta={"gate": {"may_be_empty": True, "rules": [{"kind": "row_count", "value": 3, "severity": "warning"}]}},
    )
    (contract,) = published_contracts(
        _manifest(
            model,
            _test("unique_combination", None, columns=["code", "day"]),
            _test("unique", "id"),
            _test("not_null", "id"),
            _test("not_null", "code", where="active"),  # a boolean column: a rule
            _test("not_null", "day", where="amount > 0"),  # any other condition: dbt's alone
            _test("not_null", "amount", severity="warn"),
            _test("accepted_values", "code", values=["a", "b"]),
            _test("non_negative", "amount"),
            _test("share_between_0_and_1", "amount", where="active"),
            _test("relationships", "code", to="ref('x')", field="code"),  # dbt's alone
        )
    )
    assert contract.table == "main.m"  # the staging model (a custom schema) is not published
    assert contract.columns == "id text, code text, active boolean, amount double, day date"
    assert (contract.key, contract.alternate_keys) == (("id",), (("code", "day"),))
    assert contract.required == ("id",) and contract.domains == {"code": ["a", "b"]}
    assert (contract.non_negative, contract.shares, contract.not_future) == (("amount",), (), ("day",))
    assert not contract.non_empty
    assert set(contract.rules) == {
        Rule("not_null", "code", when="active"),
        Rule("not_null", "amount", severity="warning"),
        Rule("between", "amount", low=0, high=1, when="active"),
        Rule("between", "amount", high=9),
        Rule("row_count", value=3, severity="warning"),
    }


@pytest.mark.parametrize(
    ("columns", "meta", "message"),
    [
        ({"id": {}}, None, "no data_type on column"),
        ({"id": {"data_type": "varchar"}}, None, "unknown column type"),
        ({"id": {"data_type": "text", "meta": {"gate": {"not_futur": True}}}}, None, "unknown meta.gate key"),
        ({"id": {"data_type": "text"}}, {"gate": {"rules": [{"kind": "between", "lo": 1}]}}, "meta.gate rule"),
    ],
)
def test_a_contract_the_gate_cannot_read_is_refused(columns, meta, message):
    with pytest.raises(ValueError, match=message):
        published_contracts(_manifest(_node(columns, meta)))


# A published column that keeps a landed column's domain keeps it exactly (the landing validated the rows
# against it): published domains are matched to the sources' domains of the same column name.
NOT_A_SOURCE_DOMAIN = {"main.dim_park.data_origin"}  # the registry's origin: catalogue_2018 or generated
WIDER_THAN_THE_SOURCE = {"main.dim_park.level": ["unlisted"]}  # an alliance park the catalogue does not list


def test_published_domains_agree_with_the_sources_contracts(manifest):
    raw: dict[str, list[set]] = {}
    for contract in source_contracts():
        for column, values in contract.domains.items():
            raw.setdefault(column, []).append(set(values))
    compared = 0
    for contract in published_contracts(manifest):
        for column, values in contract.domains.items():
            name = f"{contract.table}.{column}"
            if column not in raw or name in NOT_A_SOURCE_DOMAIN:
                continue
            (expected,) = {frozenset(domain) for domain in raw[column]}  # the sources agree among themselves
            assert set(values) == expected | set(WIDER_THAN_THE_SOURCE.get(name, [])), name
            compared += 1
    assert compared >= 25
    # the funnel's stages are the landed events' stages without the outcome lost
    fct_match = {contract.table: contract for contract in published_contracts(manifest)}["main.fct_match"]
    (stages,) = raw["stage"]
    assert set(fct_match.domains["furthest_stage"]) == stages - {"lost"}
