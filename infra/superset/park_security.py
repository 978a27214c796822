"""What makes Superset a reader of the warehouse and nothing more (imported by ``superset_config.py``).

Two layers, each enough on its own for the DuckDB serving file:

1. The connection itself cannot write or reach outside the warehouse: every DuckDB connection Superset opens
   (SQL Lab, charts, metadata) is read-only, with DuckDB's external access disabled and its configuration
   locked (:func:`lock_warehouse_connection`, Superset's ``DB_CONNECTION_MUTATOR``), so no statement can
   write or read a file, attach another database, install or load an extension, or change a setting,
   whatever the database's settings in the UI say. A PostgreSQL warehouse is read through a role that only
   has SELECT (``parkplatform.publish.grant_serving_reader``), in read-only transactions.
2. SQL Lab runs only queries: every statement of a script must parse (sqlglot, the parser Superset uses)
   to a query (``SELECT``, ``WITH ... SELECT``, ``UNION`` ...) without ``INTO`` and without the functions
   of ``DISALLOWED_SQL_FUNCTIONS`` (:func:`read_only_violations`); anything else is refused with HTTP 403
   naming the statement, and SQL that does not parse with 422, before the query reaches the database
   (:class:`ParkSecurityManager`).

Superset 6.1 answers its own refusals in SQL Lab (a table the role may not read, a disallowed statement)
with HTTP 500, because the refusal surfaces as a failed query; :func:`answer_refusals_with_4xx`
(``FLASK_APP_MUTATOR``) gives those answers the status their error type means: 403 for access and
statement refusals, 422 for SQL that does not parse. The body, Superset's error payload, is unchanged.
The same hook switches off the legacy ``/superset/explore_json/`` endpoints (deprecated since Superset
5.0): none of the platform's charts is a legacy chart, and for every modern chart they failed with 500
(an unknown viz type) before checking anything; they answer 403 naming the chart data API instead.
   Superset's own checks stay on as well (``allow_dml: false`` on the connection, ``DISALLOWED_SQL_FUNCTIONS``).
"""

from __future__ import annotations

from typing import Any

from park_cache import serving_generation
from sqlglot import exp
from superset.errors import ErrorLevel, SupersetError, SupersetErrorType
from superset.exceptions import SupersetErrorException, SupersetParseError, SupersetSecurityException
from superset.security import SupersetSecurityManager
from superset.sql.parse import SQLScript

# DuckDB settings of every connection to the warehouse; lock_configuration last, it freezes the others
DUCKDB_READER_CONFIG = {"enable_external_access": False, "lock_configuration": True}


def lock_warehouse_connection(uri: Any, params: dict[str, Any], username: Any, security_manager: Any, source: Any):
    """``DB_CONNECTION_MUTATOR``: a DuckDB warehouse opens read-only with external access off and the
    configuration locked; a PostgreSQL one in read-only transactions. Applied to every engine Superset
    creates, so an edit of the connection's extra in the UI cannot loosen it."""
    connect_args = params.setdefault("connect_args", {})
    if uri.drivername.startswith("duckdb"):
        connect_args["read_only"] = True
        config = connect_args.setdefault("config", {})
        config.update(DUCKDB_READER_CONFIG)
    elif uri.drivername.startswith("postgresql"):
        options = connect_args.get("options", "")
        connect_args["options"] = f"{options} -c default_transaction_read_only=on".strip()
    return uri, params


def _statement_kind(statement: Any) -> str:
    """The statement's first keyword as written back by the parser (COPY, ATTACH, PRAGMA, LOAD ...)."""
    words = statement.format(comments=False).split()
    return words[0].upper() if words else "empty"


def _function_names(parsed: exp.Expression) -> set[str]:
    """Upper-case names of the functions a statement calls, as Superset's DISALLOWED_SQL_FUNCTIONS check
    names them."""
    return {
        function.name.upper() if function.sql_name() == "ANONYMOUS" else function.sql_name()
        for function in parsed.find_all(exp.Func)
    }


def read_only_violations(sql: str, engine: str, disallowed_functions: set[str] = frozenset()) -> list[str]:
    """Why ``sql`` is not a read-only query script, one message per offending statement (empty when every
    statement is a query that calls none of ``disallowed_functions``). Raises SupersetParseError when the
    script does not parse."""
    script = SQLScript(sql, engine=engine)
    disallowed = {name.upper() for name in disallowed_functions}
    violations = []
    for number, statement in enumerate(script.statements, start=1):
        parsed = statement._parsed  # the sqlglot tree Superset's own checks read
        if not isinstance(parsed, exp.Query):
            violations.append(f"statement {number} is {_statement_kind(statement)}")
        elif parsed.find(exp.Into):
            violations.append(f"statement {number} is SELECT ... INTO")
        elif called := sorted(_function_names(parsed) & disallowed):
            violations.append(f"statement {number} calls {', '.join(name.lower() for name in called)}")
    return violations


# Superset error types that mean "refused", and the HTTP status they are answered with
REFUSAL_STATUS = {
    SupersetErrorType.DML_NOT_ALLOWED_ERROR: 403,
    SupersetErrorType.TABLE_SECURITY_ACCESS_ERROR: 403,
    SupersetErrorType.QUERY_SECURITY_ACCESS_ERROR: 403,
    SupersetErrorType.DATABASE_SECURITY_ACCESS_ERROR: 403,
    SupersetErrorType.DATASOURCE_SECURITY_ACCESS_ERROR: 403,
    SupersetErrorType.SYNTAX_ERROR: 422,
    SupersetErrorType.INVALID_SQL_ERROR: 422,
}
SQL_LAB_EXECUTE = "SqlLabRestApi.execute_sql_query"
LEGACY_EXPLORE_JSON = {"Superset.explore_json", "Superset.explore_json_data"}
LEGACY_EXPLORE_JSON_REFUSAL = (
    "The legacy explore_json endpoint is switched off on this platform. Chart data and its CSV or XLSX "
    "export come from the chart data API, /api/v1/chart/<chart id>/data/?format=csv (the chart's Download menu)."
)


def refusal_status(payload: Any) -> int | None:
    """The status a SQL Lab error payload should have been answered with: the one of its errors' types when
    they all are refusals (403 wins over 422), else None."""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not errors:
        return None
    statuses = [REFUSAL_STATUS.get(SupersetErrorType(error.get("error_type")), 0) for error in errors]
    return max(statuses) if all(statuses) else None


def answer_refusals_with_4xx(app: Any) -> None:
    """``FLASK_APP_MUTATOR``: SQL Lab's refusals answered 403 (or 422), not 500; the legacy explore_json
    endpoints off (module docstring)."""
    from flask import request
    from superset.views.base import json_error_response

    @app.before_request
    def _legacy_explore_json_off() -> Any:
        if request.endpoint in LEGACY_EXPLORE_JSON:
            return json_error_response(LEGACY_EXPLORE_JSON_REFUSAL, status=403)
        return None

    @app.after_request
    def _refusal_status(response: Any) -> Any:
        if response.status_code == 500 and request.endpoint == SQL_LAB_EXECUTE and response.is_json:
            status = refusal_status(response.get_json(silent=True))
            if status:
                response.status_code = status
        return response


class ParkSecurityManager(SupersetSecurityManager):
    """Superset's security manager with the read-only check of SQL Lab queries before the table checks, and
    the serving generation in every chart-data cache key."""

    def get_rls_cache_key(self, datasource: Any) -> list[str]:
        """The row-level security part of a chart-data cache key (``QueryContextProcessor.query_cache_key``
        and the legacy viz add it to every key they make), with the serving generation of the dataset's
        database: the one hook of Superset's key that a configuration reaches, so a publish changes every key
        (``park_cache``)."""
        database = getattr(datasource, "database", None)
        generation = serving_generation(database) if database is not None else ""
        return [*super().get_rls_cache_key(datasource), f"serving:{generation}"]

    def raise_for_access(self, *args: Any, query: Any = None, **kwargs: Any) -> None:
        if query is not None and getattr(query, "sql", None):
            self._raise_unless_read_only(query.sql, query.database.db_engine_spec.engine)
        super().raise_for_access(*args, query=query, **kwargs)

    @staticmethod
    def _raise_unless_read_only(sql: str, engine: str) -> None:
        from flask import current_app

        # Superset checks these functions too, but later and answering 500; here they are refused with 403
        disallowed_functions = current_app.config["DISALLOWED_SQL_FUNCTIONS"].get(engine, set())
        try:
            violations = read_only_violations(sql, engine, disallowed_functions)
        except SupersetParseError as error:
            raise SupersetErrorException(
                SupersetError(
                    message=(
                        f"The SQL could not be parsed ({error.message}), so it was not run. SQL Lab runs "
                        "read-only queries only: SELECT, or WITH ... SELECT."
                    ),
                    error_type=SupersetErrorType.SYNTAX_ERROR,
                    level=ErrorLevel.ERROR,
                ),
                status=422,
            ) from error
        if violations:
            raise SupersetSecurityException(
                SupersetError(
                    message=(
                        "SQL Lab runs read-only queries only (SELECT, or WITH ... SELECT, on the published "
                        f"tables, without file-reading functions): {'; '.join(violations)}, which is not "
                        "allowed. Nothing was run."
                    ),
                    error_type=SupersetErrorType.DML_NOT_ALLOWED_ERROR,
                    level=ErrorLevel.ERROR,
                )
            )
