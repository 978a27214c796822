from datetime import date

import polars as pl
import pytest

from extractors import park_submissions
from parkplatform.config import get_settings
from parkplatform.landing import QUARANTINED_FILE


def test_tiny_submissions_reconcile_with_exact_quarantine_reasons(tiny):
    report = park_submissions.extract(get_settings(), date(2026, 11, 23))
    # 500 rows received, 2 % corrupted, one kind after the other
    assert (report.received, report.landed, report.quarantined) == (500, 490, 10)
    assert report.quarantine_reasons == {
        "credit_code (统一社会信用代码) fails the GB 32100-2015 format or check character": 3,
        "park_code (园区代码) is not a zone of the park registry": 3,
        "employees (从业人员) is not a non-negative integer": 2,
        "enterprise_name (企业名称) is missing": 2,
    }
    # one file per park office, 20 parks at the tiny scale
    assert len(report.files) == 20
    assert all(f.received == f.landed + f.quarantined for f in report.files)
    quarantined = pl.read_parquet(f"{report.path}/{QUARANTINED_FILE}")
    assert quarantined["_source_file"].str.ends_with(".csv").all()
    assert quarantined["_source_row"].min() >= 2


def test_same_seed_same_batch(tiny):
    first = park_submissions.extract(get_settings(), date(2026, 11, 23))
    again = park_submissions.extract(get_settings(), date(2026, 11, 23))
    assert (first.received, first.landed, first.quarantine_reasons) == (
        again.received,
        again.landed,
        again.quarantine_reasons,
    )


def test_a_file_without_a_required_column_is_rejected_whole_naming_column_and_file(tmp_path):
    path = tmp_path / "G000001.csv"
    path.write_text("credit_code,enterprise_name,park_code\n91350100M000100Y43,某公司,G000001\n", encoding="utf-8")
    with pytest.raises(
        park_submissions.SubmissionFileError, match=r"G000001\.csv: required column\(s\) industry_code, .*employees"
    ):
        park_submissions.read_submission(path)


def test_a_shared_zone_code_is_quarantined_not_guessed():
    rules = park_submissions.validation_rules(known_parks=["S377018", "G321001"], shared_codes=["S377018"])
    frame = pl.DataFrame(
        {
            "credit_code": ["91350100M000100Y43"] * 2,
            "enterprise_name": ["甲", "乙"],
            "park_code": ["S377018", "G321001"],
            "industry_code": ["3311"] * 2,
            "employees": ["5"] * 2,
            "revenue_10k_cny": ["1.5"] * 2,
        }
    )
    from parkplatform.landing import first_reject_reason

    assert frame.select(first_reject_reason(rules))["_reject_reason"].to_list() == [
        "park_code (园区代码) is shared by several registry zones; the park cannot be told apart",
        None,
    ]
