import numpy as np
import polars as pl

from extractors.park_submissions import credit_code


def _valid(codes: list[str | None]) -> list[bool]:
    return (
        pl.DataFrame({"code": codes}, schema={"code": pl.String})
        .select(credit_code.is_valid(pl.col("code")))["code"]
        .to_list()
    )


def test_published_example_code_is_valid_and_each_changed_check_character_is_not():
    # 91350100M000100Y43 is the example code of GB 32100-2015 commentaries; its check character is 3
    assert _valid(["91350100M000100Y43"]) == [True]
    others = [f"91350100M000100Y4{ch}" for ch in credit_code.CHARSET if ch != "3"]
    assert _valid(others) == [False] * len(others)


def test_malformed_codes_are_invalid():
    assert _valid(["91350100M000100Y4", "91350100M000100Y43X", "91350100I000100Y43", "91350100m000100y43", None]) == [
        False,
        False,
        False,
        False,
        False,
    ]


def test_generated_codes_carry_the_right_check_character():
    body = np.random.default_rng(7).integers(0, 31, (200, 17))
    codes = credit_code.encode(np.column_stack([body, credit_code.check_values(body)]))
    assert all(_valid(codes))
