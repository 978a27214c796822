"""Shared library of the Park Indicators Platform: configuration, the landing contract,
Polars normalisation, warehouse loading, dbt invocation and publishing."""
