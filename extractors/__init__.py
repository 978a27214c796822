"""The sources: one package per source (``extractors/<source>/``), none importing another.

Each package declares its source in ``__init__`` (a :class:`parkplatform.sources.SourceSpec`, registered as an
entry point in pyproject.toml), its landed tables' contracts in ``contract.py``, and holds its ``extract`` and
``normalise``. What several sources share lives in ``parkplatform`` (the catalogue, the landing, settings).
"""
