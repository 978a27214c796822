"""Source extractors: one module per source (fetch, parse, validate rows, land a batch)."""
