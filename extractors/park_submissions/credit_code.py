"""Unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from a 31-character set (no I, O, S, V, Z); positions 3-8 are the GB/T 2260 division
code of the registering authority; the 18th is a check character over the first 17.
"""

from __future__ import annotations

import numpy as np
import polars as pl

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUE_OF = {char: value for value, char in enumerate(CHARSET)}
FORMAT_PATTERN = f"^[{CHARSET}]{{18}}$"


def check_values(body_values: np.ndarray) -> np.ndarray:
    """Check-character values for an (n, 17) array of character values."""
    weighted = (body_values * np.asarray(WEIGHTS)).sum(axis=1)
    return (31 - weighted % 31) % 31


def encode(values: np.ndarray) -> list[str]:
    """Codes from an (n, 18) array of character values."""
    characters = np.ascontiguousarray(np.array(list(CHARSET))[values])
    return characters.view(f"<U{values.shape[1]}").ravel().tolist()


def is_valid(code: pl.Expr) -> pl.Expr:
    """True where ``code`` is well formed and its check character matches (null stays null)."""
    weighted = pl.sum_horizontal(
        code.str.slice(position, 1).replace_strict(VALUE_OF, default=0, return_dtype=pl.Int64) * weight
        for position, weight in enumerate(WEIGHTS)
    )
    expected = (31 - weighted % 31) % 31
    actual = code.str.slice(17, 1).replace_strict(VALUE_OF, default=-1, return_dtype=pl.Int64)
    return code.str.contains(FORMAT_PATTERN) & (expected == actual)


def with_check_character(body: str) -> str:
    """The code whose first 17 characters are ``body``, with its check character."""
    values = np.array([[VALUE_OF[char] for char in body]])
    return body + CHARSET[int(check_values(values)[0])]
