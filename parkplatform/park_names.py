"""Park names as people write them, made comparable: the alliance's member list, an office's inbox folder.

Members and offices write abbreviations (经开区 for 经济技术开发区), a leading province name or none,
brackets and spaces; :func:`normalise_park_name` turns a name into the key under which the catalogue's
own name is compared, and :func:`normalise_province` a province into its full catalogue name.
"""

from __future__ import annotations

import polars as pl

from parkplatform import catalogue

# As members write them → as the catalogue writes them.
ABBREVIATIONS = {
    "经开区": "经济技术开发区",
    "高新区": "高新技术产业开发区",
    "综保区": "综合保税区",
}
# Spaces, brackets of every width, middle dots and dashes carry no meaning in a park's name.
NAME_NOISE = r"[\s()\[\]{}<>（）【】〔〕［］《》「」『』〈〉·・•—–\-－~～_]"
# Zone-type endings, longest first: the part of a name before one is its distinctive stem.
ZONE_TYPE_SUFFIXES = (
    "边境经济合作区",
    "高新技术产业开发区",
    "高新技术产业园区",
    "经济技术开发区",
    "出口加工区",
    "旅游度假区",
    "综合保税区",
    "工业集中区",
    "经济开发区",
    "产业园区",
    "工业园区",
    "保税港区",
    "保税区",
    "开发区",
    "产业园",
    "工业园",
    "科技园",
)


def _province_lookup() -> tuple[str, dict[str, str]]:
    table = catalogue.provinces()
    to_full = dict(zip(table["province_name_cn"], table["province_name_cn"], strict=True))
    to_full |= dict(zip(table["province_short_cn"], table["province_name_cn"], strict=True))
    return "|".join(sorted(to_full, key=len, reverse=True)), to_full


def normalise_province(province: pl.Expr) -> pl.Expr:
    """A province as its full catalogue name (江苏, 江苏省 → 江苏省); unknown names stay as written."""
    _, to_full = _province_lookup()
    trimmed = province.str.strip_chars().replace("", None)
    return trimmed.replace_strict(to_full, default=trimmed, return_dtype=pl.String)


def normalise_park_name(name: pl.Expr) -> pl.Expr:
    """The comparable form of a park name.

    Unicode NFKC (full-width → half-width), spaces, brackets, middle dots and dashes removed (their
    content kept), abbreviations expanded (经开区, 高新区, 综保区) and a leading province name
    removed (江苏省/江苏 苏州高新区 → 苏州高新技术产业开发区), since members write it or leave it out.
    The province is compared separately.
    """
    alternatives, _ = _province_lookup()
    normalised = name.str.normalize("NFKC").str.replace_all(NAME_NOISE, "")
    for short, full in ABBREVIATIONS.items():
        normalised = normalised.str.replace_all(short, full, literal=True)
    return normalised.str.replace(f"^({alternatives})", "").replace("", None)


def leading_province(name: pl.Expr) -> pl.Expr:
    """The full catalogue name of the province a park's name starts with (天津经开区 → 天津市), else null."""
    alternatives, to_full = _province_lookup()
    written = name.str.normalize("NFKC").str.replace_all(NAME_NOISE, "").str.extract(f"^({alternatives})", 1)
    return written.replace_strict(to_full, default=None, return_dtype=pl.String)
