"""A generated reference folder, in exactly the layouts of the real one (``PARK_REFERENCE_DIR``).

Without the real reference data (../shared/data/reference, see its PROVENANCE.md) the platform still
runs end to end: this simulator writes a complete folder of GENERATED demonstration data in the same
files and layouts, ``PARK_REFERENCE_DIR`` points at it, and every extractor reads it through the same
code path as the real data. ``generated.json`` marks the folder as generated, so the registry is
labelled ``data_origin = generated`` (:func:`parkplatform.origin.is_generated`).

What is written (paths relative to the target folder):

- ``parks/development_zones_2018.csv``: ``parks`` development zones with the catalogue's Chinese
  headers; codes G/S + the province's 2 digits + 4 digits, names built from the generated divisions
  and the zone type, approval level and date, approved area, 主导产业 terms that the cluster keyword
  seed maps, and a geocode (WGS84, jittered around the generated county) with a formatted address
  that names province, city and county, status ``ok``;
- ``admin_divisions/{provinces,cities,areas,adcode_centroids}.csv``: the 31 provinces of the seed
  ``province_names.csv``; 3 generated (fictional) prefecture-level cities per province with 2
  districts and 1 county each, a ``市辖区`` with 6 districts for each municipality; centroids around
  hand-written approximate coordinates of the provincial capitals;
- ``industry/gbt4754_2017.csv`` and ``gbt4754_2017_isic4_crosswalk.csv``: every GB/T 4754-2017
  class the generators use (seed ``cluster_industry_classes.csv``, with its real class names) under
  its group, division and section (real section names; division and group names are labelled
  generated placeholders; ISIC Rev.4 codes are a generated division-level mapping);
- ``world/country_codes.csv``: the countries the CRM and submission generators use, plus China, with
  hand-written names, UN M49 codes and regions and ISO 4217 currencies (the reader's columns filled);
- ``world/wdi/<indicator>.csv``: the six WDI indicators for those countries plus the aggregates EMU
  (euro area) and WLD, each a sum over the generated economies, from 2000 to ``last_year``; the
  exchange rates follow the CRM generator's ``CNY_PER_UNIT`` with a small year-to-year drift;
- ``china/province_gdp_annual.xlsx``: the NBS "Annual by Province" layout (metadata lines, header,
  31 provinces x 20 years, source line) written with xlsxwriter (Python cannot write BIFF .xls);
- ``generated.json`` and ``PROVENANCE.md``.

The folder is deterministic for ``(parks, seed, last_year)`` (byte-identical files), written
atomically (a temporary sibling renamed into place) and idempotent: when ``generated.json`` already
records the same parameters and format version, nothing is rewritten. It never replaces a folder
without ``generated.json`` (such as the real reference data).

    python -m simulators.reference --target DIR --parks N --seed S
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import tempfile
import uuid
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from extractors.nbs_province_gdp import extract as nbs_province_gdp
from extractors.reference_tables import extract as reference_tables
from extractors.world_bank import contract as world_bank
from parkplatform import catalogue as park_registry
from parkplatform.config import SCALES
from parkplatform.origin import GENERATED_MARKER
from simulators import crm as crm_generator
from simulators import submissions as generator

FORMAT_VERSION = 1
GENERATOR = "simulators.reference"
NOTE = (
    "GENERATED demonstration data written by simulators.reference in the layouts of the real reference "
    "folder; not the 2018 catalogue, not GB/T 2260, not NBS and not World Bank data."
)
FIRST_YEAR = world_bank.FIRST_YEAR
NBS_YEARS = 20
NBS_WORKBOOK = nbs_province_gdp.WORKBOOK.with_suffix(".xlsx")
# a fixed creation time keeps the workbook byte-identical from one write to the next
WORKBOOK_CREATED = datetime(2018, 1, 1)

# --------------------------------------------------------------------------- administrative divisions

MUNICIPALITIES = ("11", "12", "31", "50")
CITIES_PER_PROVINCE = 3
MUNICIPAL_DISTRICTS = 6
# county-level units of a generated city: (code suffix, kind) - two districts and a county
COUNTY_SLOTS = (("02", "区"), ("03", "区"), ("21", "县"))
# invented two-character place names: FIRST x SECOND gives 120 distinct stems
STEM_FIRST = "澄澜沐汐霁岚枫柏蓉槿宥翊"
STEM_SECOND = "原墩屿埔湾坪塘坝垣岗"
COUNTY_STEMS = ("城东", "城西", "临江", "高桥", "安平", "永和", "新桥", "河口", "青石", "白沙")

# Approximate WGS84 longitude/latitude of each provincial capital (general knowledge, rounded).
CAPITALS = {
    "11": (116.40, 39.90),  # 北京
    "12": (117.20, 39.13),  # 天津
    "13": (114.51, 38.04),  # 石家庄
    "14": (112.55, 37.87),  # 太原
    "15": (111.75, 40.84),  # 呼和浩特
    "21": (123.43, 41.80),  # 沈阳
    "22": (125.32, 43.82),  # 长春
    "23": (126.53, 45.80),  # 哈尔滨
    "31": (121.47, 31.23),  # 上海
    "32": (118.80, 32.06),  # 南京
    "33": (120.16, 30.27),  # 杭州
    "34": (117.23, 31.82),  # 合肥
    "35": (119.30, 26.08),  # 福州
    "36": (115.86, 28.68),  # 南昌
    "37": (117.00, 36.65),  # 济南
    "41": (113.63, 34.75),  # 郑州
    "42": (114.31, 30.59),  # 武汉
    "43": (112.94, 28.23),  # 长沙
    "44": (113.26, 23.13),  # 广州
    "45": (108.37, 22.82),  # 南宁
    "46": (110.30, 19.95),  # 海口
    "50": (106.55, 29.56),  # 重庆
    "51": (104.07, 30.57),  # 成都
    "52": (106.63, 26.65),  # 贵阳
    "53": (102.83, 24.88),  # 昆明
    "54": (91.12, 29.65),  # 拉萨
    "61": (108.94, 34.34),  # 西安
    "62": (103.83, 36.06),  # 兰州
    "63": (101.78, 36.62),  # 西宁
    "64": (106.23, 38.49),  # 银川
    "65": (87.62, 43.83),  # 乌鲁木齐
}
# how far (degrees) a generated city centroid may lie from the capital: small for small provinces
CITY_SPREAD = {"11": 0.15, "12": 0.15, "31": 0.12, "50": 0.3, "46": 0.25, "64": 0.3}
DEFAULT_CITY_SPREAD = 0.6
COUNTY_SPREAD = 0.12
ZONE_SPREAD = 0.03

# --------------------------------------------------------------------------- the catalogue

NATIONAL_SHARE_EVERY = 4  # every 4th zone is national (国务院, code G...), as in the old generated registry
NATIONAL_TYPES = {
    "经济技术开发区": 0.40,
    "高新技术产业开发区": 0.30,
    "海关特殊监管区域": 0.24,
    "边境/跨境经济合作区": 0.035,
    "其他类型开发区": 0.025,
}
PROVINCIAL_TYPES = {"经济开发区": 0.50, "工业园区": 0.43, "高新技术产业开发区": 0.065, "其他类型开发区": 0.005}
BORDER_PROVINCES = ("15", "21", "22", "23", "45", "53", "54", "65")
# how a zone of each type is named (the endings the alliance member matching knows)
TYPE_NAME_ENDINGS = {
    "经济技术开发区": "经济技术开发区",
    "高新技术产业开发区": "高新技术产业开发区",
    "海关特殊监管区域": "综合保税区",
    "边境/跨境经济合作区": "边境经济合作区",
    "经济开发区": "经济开发区",
    "工业园区": "工业园区",
    "其他类型开发区": "产业园",
}
# inserted before the ending when a name is taken already
NAME_QUALIFIERS = ("临港", "滨江", "空港", "滨湖", "新城", "科技城", "北部", "南部", "东部", "西部")
# 主导产业 terms, one per cluster of the keyword seed (each maps to its cluster only)
INDUSTRY_TERMS = (
    "新材料",
    "电子信息",
    "装备制造",
    "汽车及零部件",
    "生物医药",
    "新能源",
    "节能环保",
    "石油装备",
    "半导体照明",
    "化工",
    "冶金",
    "建材",
    "纺织服装",
    "食品",
    "现代物流",
    "电子商务",
    "软件和信息服务",
    "金融服务",
    "文化旅游",
    "现代农业",
)

# --------------------------------------------------------------------------- GB/T 4754-2017

SECTION_NAMES = {  # the 20 sections of GB/T 4754-2017
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}
# the first division of each section (GB/T 4754-2017: 01-05 A, 06-12 B, 13-43 C, ...)
SECTION_FIRST_DIVISION = {
    "A": 1, "B": 6, "C": 13, "D": 44, "E": 47, "F": 51, "G": 53, "H": 61, "I": 63, "J": 66,
    "K": 70, "L": 71, "M": 73, "N": 76, "O": 80, "P": 83, "Q": 84, "R": 86, "S": 91, "T": 97,
}  # fmt: skip
# A generated ISIC Rev.4 class per GB/T 4754 division (a representative class, not appendix C).
ISIC_OF_DIVISION = {
    "01": "0111", "03": "0141", "13": "1061", "14": "1079", "17": "1311", "18": "1410", "19": "1410",
    "25": "1920", "26": "2011", "27": "2100", "29": "2220", "30": "2394", "31": "2410", "32": "2420",
    "33": "2511", "34": "2813", "35": "2824", "36": "2930", "38": "2710", "39": "2620", "40": "2651",
    "44": "3510", "46": "3700", "51": "4690", "52": "4791", "54": "4923", "58": "5229", "59": "5210",
    "61": "5510", "64": "6312", "65": "6201", "66": "6419", "72": "7010", "77": "3900", "78": "9103",
    "88": "9000",
}  # fmt: skip
DEFAULT_ISIC = "9609"

# --------------------------------------------------------------------------- countries and WDI

COUNTRY_CODES_HEADER = (
    "FIFA", "Dial", "ISO3166-1-Alpha-3", "MARC", "is_independent", "ISO3166-1-numeric", "GAUL", "FIPS", "WMO",
    "ISO3166-1-Alpha-2", "ITU", "IOC", "DS", "UNTERM Spanish Formal", "Global Code", "Intermediate Region Code",
    "official_name_fr", "UNTERM French Short", "ISO4217-currency_name", "UNTERM Russian Formal",
    "UNTERM English Short", "ISO4217-currency_alphabetic_code", "Small Island Developing States (SIDS)",
    "UNTERM Spanish Short", "ISO4217-currency_numeric_code", "UNTERM Chinese Formal", "UNTERM French Formal",
    "UNTERM Russian Short", "M49", "Sub-region Code", "Region Code", "official_name_ar",
    "ISO4217-currency_minor_unit", "UNTERM Arabic Formal", "UNTERM Chinese Short",
    "Land Locked Developing Countries (LLDC)", "Intermediate Region Name", "official_name_es",
    "UNTERM English Formal", "official_name_cn", "official_name_en", "ISO4217-currency_country_name",
    "Least Developed Countries (LDC)", "Region Name", "UNTERM Arabic Short", "Sub-region Name", "official_name_ru",
    "Global Name", "Capital", "Continent", "TLD", "Languages", "Geoname ID", "CLDR display name", "EDGAR",
    "wikidata_id",
)  # fmt: skip
REGION_CODES = {"Africa": 2, "Americas": 19, "Asia": 142, "Europe": 150, "Oceania": 9}
SUB_REGION_CODES = {
    "Northern Africa": 15, "Sub-Saharan Africa": 202, "Latin America and the Caribbean": 419,
    "Northern America": 21, "Eastern Asia": 30, "South-eastern Asia": 35, "Western Asia": 145,
    "Eastern Europe": 151, "Northern Europe": 154, "Southern Europe": 39, "Western Europe": 155,
}  # fmt: skip
INTERMEDIATE_REGION_CODES = {
    "Eastern Africa": 14, "Middle Africa": 17, "Southern Africa": 18, "Western Africa": 11,
    "Caribbean": 29, "Central America": 13, "South America": 5,
}  # fmt: skip
_AF, _AM, _AS, _EU = "Africa", "Americas", "Asia", "Europe"
_NAF, _SSA, _LAC, _NAM = "Northern Africa", "Sub-Saharan Africa", "Latin America and the Caribbean", "Northern America"
_EAS, _SEA, _WAS = "Eastern Asia", "South-eastern Asia", "Western Asia"
_EEU, _NEU, _SEU, _WEU = "Eastern Europe", "Northern Europe", "Southern Europe", "Western Europe"


@dataclass(frozen=True)
class Country:
    """A country as the simulator writes it (general knowledge, rounded): population in millions and
    GDP per head in current US$ around 2023 anchor the generated WDI series."""

    iso3: str
    iso2: str
    m49: int
    name_en: str
    name_cn: str
    region: str
    sub_region: str
    intermediate_region: str
    currencies: str
    population_m: float
    gdp_per_head_usd: float

    @property
    def currency(self) -> str:
        return self.currencies.split(",")[0]


COUNTRIES = tuple(
    Country(*row)
    for row in (
        ("CHN", "CN", 156, "China", "中国", _AS, _EAS, "", "CNY", 1410, 12600),
        ("HKG", "HK", 344, "Hong Kong, China", "中国香港特别行政区", _AS, _EAS, "", "HKD", 7.5, 50500),
        ("MAC", "MO", 446, "Macao, China", "中国澳门特别行政区", _AS, _EAS, "", "MOP", 0.68, 70000),
        ("JPN", "JP", 392, "Japan", "日本", _AS, _EAS, "", "JPY", 124, 33800),
        ("KOR", "KR", 410, "Republic of Korea", "大韩民国", _AS, _EAS, "", "KRW", 51.7, 33100),
        ("USA", "US", 840, "United States of America", "美利坚合众国", _AM, _NAM, "", "USD", 335, 81000),
        ("CAN", "CA", 124, "Canada", "加拿大", _AM, _NAM, "", "CAD", 40, 53000),
        ("DEU", "DE", 276, "Germany", "德国", _EU, _WEU, "", "EUR", 84, 52000),
        ("FRA", "FR", 250, "France", "法国", _EU, _WEU, "", "EUR", 68, 44000),
        ("GBR", "GB", 826, "United Kingdom", "英国", _EU, _NEU, "", "GBP", 68, 48000),
        ("ITA", "IT", 380, "Italy", "意大利", _EU, _SEU, "", "EUR", 59, 38000),
        ("ESP", "ES", 724, "Spain", "西班牙", _EU, _SEU, "", "EUR", 48, 33000),
        ("NLD", "NL", 528, "Netherlands", "荷兰", _EU, _WEU, "", "EUR", 18, 62000),
        ("CHE", "CH", 756, "Switzerland", "瑞士", _EU, _WEU, "", "CHF", 8.8, 99000),
        ("SWE", "SE", 752, "Sweden", "瑞典", _EU, _NEU, "", "SEK", 10.5, 55000),
        ("POL", "PL", 616, "Poland", "波兰", _EU, _EEU, "", "PLN", 37, 22000),
        ("BEL", "BE", 56, "Belgium", "比利时", _EU, _WEU, "", "EUR", 11.8, 53000),
        ("AUT", "AT", 40, "Austria", "奥地利", _EU, _WEU, "", "EUR", 9.1, 56000),
        ("CZE", "CZ", 203, "Czechia", "捷克", _EU, _EEU, "", "CZK", 10.9, 31000),
        ("HUN", "HU", 348, "Hungary", "匈牙利", _EU, _EEU, "", "HUF", 9.6, 22000),
        ("SRB", "RS", 688, "Serbia", "塞尔维亚", _EU, _SEU, "", "RSD", 6.6, 11000),
        ("BLR", "BY", 112, "Belarus", "白俄罗斯", _EU, _EEU, "", "BYN", 9.2, 7800),
        ("RUS", "RU", 643, "Russian Federation", "俄罗斯联邦", _EU, _EEU, "", "RUB", 144, 13000),
        ("GRC", "GR", 300, "Greece", "希腊", _EU, _SEU, "", "EUR", 10.4, 22000),
        ("PRT", "PT", 620, "Portugal", "葡萄牙", _EU, _SEU, "", "EUR", 10.5, 27000),
        ("IRL", "IE", 372, "Ireland", "爱尔兰", _EU, _NEU, "", "EUR", 5.3, 103000),
        ("DNK", "DK", 208, "Denmark", "丹麦", _EU, _NEU, "", "DKK", 5.9, 68000),
        ("NOR", "NO", 578, "Norway", "挪威", _EU, _NEU, "", "NOK", 5.5, 87000),
        ("FIN", "FI", 246, "Finland", "芬兰", _EU, _NEU, "", "EUR", 5.6, 53000),
        ("EGY", "EG", 818, "Egypt", "埃及", _AF, _NAF, "", "EGP", 112, 3500),
        ("MAR", "MA", 504, "Morocco", "摩洛哥", _AF, _NAF, "", "MAD", 37.8, 3700),
        ("DZA", "DZ", 12, "Algeria", "阿尔及利亚", _AF, _NAF, "", "DZD", 45.6, 5300),
        ("TUN", "TN", 788, "Tunisia", "突尼斯", _AF, _NAF, "", "TND", 12.4, 4000),
        ("LBY", "LY", 434, "Libya", "利比亚", _AF, _NAF, "", "LYD", 6.9, 6200),
        ("SDN", "SD", 729, "Sudan", "苏丹", _AF, _NAF, "", "SDG", 48, 1000),
        ("NGA", "NG", 566, "Nigeria", "尼日利亚", _AF, _SSA, "Western Africa", "NGN", 224, 1600),
        ("ETH", "ET", 231, "Ethiopia", "埃塞俄比亚", _AF, _SSA, "Eastern Africa", "ETB", 127, 1300),
        ("KEN", "KE", 404, "Kenya", "肯尼亚", _AF, _SSA, "Eastern Africa", "KES", 55, 1950),
        ("ZAF", "ZA", 710, "South Africa", "南非", _AF, _SSA, "Southern Africa", "ZAR", 61, 6000),
        ("TZA", "TZ", 834, "United Republic of Tanzania", "坦桑尼亚", _AF, _SSA, "Eastern Africa", "TZS", 67, 1200),
        ("GHA", "GH", 288, "Ghana", "加纳", _AF, _SSA, "Western Africa", "GHS", 34, 2200),
        ("AGO", "AO", 24, "Angola", "安哥拉", _AF, _SSA, "Middle Africa", "AOA", 37, 2300),
        ("ZMB", "ZM", 894, "Zambia", "赞比亚", _AF, _SSA, "Eastern Africa", "ZMW", 20.6, 1350),
        ("CIV", "CI", 384, "Côte d'Ivoire", "科特迪瓦", _AF, _SSA, "Western Africa", "XOF", 28.9, 2650),
        ("SEN", "SN", 686, "Senegal", "塞内加尔", _AF, _SSA, "Western Africa", "XOF", 18, 1700),
        ("UGA", "UG", 800, "Uganda", "乌干达", _AF, _SSA, "Eastern Africa", "UGX", 48.6, 1000),
        ("RWA", "RW", 646, "Rwanda", "卢旺达", _AF, _SSA, "Eastern Africa", "RWF", 14, 1000),
        ("DJI", "DJ", 262, "Djibouti", "吉布提", _AF, _SSA, "Eastern Africa", "DJF", 1.1, 3600),
        ("BRA", "BR", 76, "Brazil", "巴西", _AM, _LAC, "South America", "BRL", 216, 10000),
        ("MEX", "MX", 484, "Mexico", "墨西哥", _AM, _LAC, "Central America", "MXN", 129, 13800),
        ("ARG", "AR", 32, "Argentina", "阿根廷", _AM, _LAC, "South America", "ARS", 46.7, 13700),
        ("CHL", "CL", 152, "Chile", "智利", _AM, _LAC, "South America", "CLP", 19.6, 17000),
        ("PER", "PE", 604, "Peru", "秘鲁", _AM, _LAC, "South America", "PEN", 34.4, 7800),
        ("COL", "CO", 170, "Colombia", "哥伦比亚", _AM, _LAC, "South America", "COP", 52, 7000),
        ("ECU", "EC", 218, "Ecuador", "厄瓜多尔", _AM, _LAC, "South America", "USD", 18, 6500),
        ("URY", "UY", 858, "Uruguay", "乌拉圭", _AM, _LAC, "South America", "UYU", 3.4, 22800),
        ("PAN", "PA", 591, "Panama", "巴拿马", _AM, _LAC, "Central America", "PAB,USD", 4.5, 18700),
        ("CUB", "CU", 192, "Cuba", "古巴", _AM, _LAC, "Caribbean", "CUP", 11, 9500),
        ("VEN", "VE", 862, "Venezuela", "委内瑞拉", _AM, _LAC, "South America", "VES", 28.8, 3800),
        ("SGP", "SG", 702, "Singapore", "新加坡", _AS, _SEA, "", "SGD", 5.9, 85000),
        ("MYS", "MY", 458, "Malaysia", "马来西亚", _AS, _SEA, "", "MYR", 34.3, 11600),
        ("THA", "TH", 764, "Thailand", "泰国", _AS, _SEA, "", "THB", 71.8, 7200),
        ("IDN", "ID", 360, "Indonesia", "印度尼西亚", _AS, _SEA, "", "IDR", 277, 4900),
        ("VNM", "VN", 704, "Viet Nam", "越南", _AS, _SEA, "", "VND", 99, 4300),
        ("PHL", "PH", 608, "Philippines", "菲律宾", _AS, _SEA, "", "PHP", 117, 3700),
        ("KHM", "KH", 116, "Cambodia", "柬埔寨", _AS, _SEA, "", "KHR", 17, 2400),
        ("LAO", "LA", 418, "Lao People's Democratic Republic", "老挝", _AS, _SEA, "", "LAK", 7.6, 2000),
        ("MMR", "MM", 104, "Myanmar", "缅甸", _AS, _SEA, "", "MMK", 54, 1200),
        ("BRN", "BN", 96, "Brunei Darussalam", "文莱", _AS, _SEA, "", "BND", 0.45, 33000),
        ("SAU", "SA", 682, "Saudi Arabia", "沙特阿拉伯", _AS, _WAS, "", "SAR", 36.9, 32500),
        ("ARE", "AE", 784, "United Arab Emirates", "阿拉伯联合酋长国", _AS, _WAS, "", "AED", 9.5, 53700),
        ("QAT", "QA", 634, "Qatar", "卡塔尔", _AS, _WAS, "", "QAR", 2.7, 80000),
        ("KWT", "KW", 414, "Kuwait", "科威特", _AS, _WAS, "", "KWD", 4.3, 38000),
        ("OMN", "OM", 512, "Oman", "阿曼", _AS, _WAS, "", "OMR", 4.6, 23000),
        ("BHR", "BH", 48, "Bahrain", "巴林", _AS, _WAS, "", "BHD", 1.5, 29000),
        ("JOR", "JO", 400, "Jordan", "约旦", _AS, _WAS, "", "JOD", 11.3, 4500),
        ("IRQ", "IQ", 368, "Iraq", "伊拉克", _AS, _WAS, "", "IQD", 45.5, 5600),
    )
)
# WDI aggregates the simulator writes, each a sum over the generated economies (EMU: the euro users)
AGGREGATES = {"EMU": "Euro area", "WLD": "World"}
WDI_ANCHOR_YEAR = 2023  # population and GDP per head of COUNTRIES are about this year
RATE_ANCHOR_YEAR = 2025  # CNY_PER_UNIT of the CRM generator are rounded 2025 averages
# approximate local currency units per US$ (2025, general knowledge) of the currencies that the CRM
# generator does not convert; the others follow crm_generator.CNY_PER_UNIT
OTHER_UNITS_PER_USD = {
    "MOP": 8.05, "KRW": 1390.0, "CZK": 22.5, "HUF": 370.0, "RSD": 105.0, "BYN": 3.2, "DKK": 6.9, "NOK": 10.7,
    "DZD": 133.0, "TND": 3.05, "LYD": 5.2, "SDG": 600.0, "ETB": 125.0, "TZS": 2550.0, "GHS": 12.5,
    "AOA": 915.0, "ZMW": 26.0, "XOF": 600.0, "UGX": 3650.0, "RWF": 1420.0, "DJF": 177.7, "ARS": 1100.0,
    "PEN": 3.7, "COP": 4100.0, "UYU": 40.0, "PAB": 1.0, "CUP": 24.0, "VES": 70.0, "KHR": 4020.0,
    "LAK": 21600.0, "MMK": 2100.0, "BND": 1.32, "OMR": 0.3845, "BHD": 0.376, "JOD": 0.709, "IQD": 1310.0,
}  # fmt: skip
PEGGED = ("HKD", "MOP", "AED", "SAR", "QAR", "OMR", "BHD", "JOD", "DJF", "PAB", "BND")
VOLATILE = ("ARS", "VES", "SDG", "EGP", "NGN", "ETB", "GHS", "LYD", "CUP", "LAK", "MMK", "ZMW", "AOA", "IQD")
FDI_SHARE = {"SGP": 0.20, "HKG": 0.18, "IRL": 0.06, "NLD": 0.04}  # FDI net inflows / GDP, else 2.5%

# --------------------------------------------------------------------------- NBS province GDP

# Gross Regional Product around 2023 (100 million yuan), rounded to thousands (general knowledge);
# the series are generated around these magnitudes.
PROVINCE_GDP_ANCHOR = {
    "11": 44000, "12": 17000, "13": 44000, "14": 26000, "15": 25000, "21": 30000, "22": 14000, "23": 16000,
    "31": 47000, "32": 128000, "33": 83000, "34": 47000, "35": 54000, "36": 32000, "37": 92000, "41": 59000,
    "42": 56000, "43": 50000, "44": 136000, "45": 27000, "46": 7500, "50": 30000, "51": 60000, "52": 21000,
    "53": 30000, "54": 2400, "61": 34000, "62": 12000, "63": 3800, "64": 5300, "65": 19000,
}  # fmt: skip


# --------------------------------------------------------------------------- helpers


def _rng(seed: int, *keys: str) -> np.random.Generator:
    """A random stream of its own for each key, so that one table never shifts another."""
    return np.random.default_rng([seed, *(zlib.crc32(key.encode()) for key in keys)])


def _field(value: object, quote: bool) -> str:
    text = "" if value is None else str(value)
    if quote or any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_csv(
    path: Path,
    header: tuple[str, ...] | list[str],
    rows: list[tuple],
    *,
    quoted: tuple[str, ...] = (),
    newline: str = "\n",
) -> int:
    """A UTF-8 CSV (no BOM) with the real file's header, quoting, and line endings; returns its rows."""
    quote = [column in quoted for column in header]
    lines = [",".join(_field(name, False) for name in header)]
    lines += [",".join(_field(value, q) for value, q in zip(row, quote, strict=True)) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return len(rows)


def _stem(index: int) -> str:
    """The ``index``-th fictional place name (0 <= index < 120), spread over the character table."""
    spread = (index * 7) % (len(STEM_FIRST) * len(STEM_SECOND))
    return STEM_FIRST[spread // len(STEM_SECOND)] + STEM_SECOND[spread % len(STEM_SECOND)]


def _seed_provinces() -> pl.DataFrame:
    return park_registry.provinces().with_columns(pl.col("province_adcode").str.slice(0, 2).alias("code"))


# --------------------------------------------------------------------------- administrative divisions


@dataclass(frozen=True)
class County:
    code: str  # 6 digits
    name: str
    city_code: str  # 4 digits
    city_name: str
    province_code: str  # 2 digits
    province_name: str
    place: str  # the 城市/区县 of the catalogue: the city's stem, or the district's in a municipality
    name_stem: str  # the distinctive part a zone name starts with
    address: str  # province, city and county as a formatted address writes them
    lon: float
    lat: float


@dataclass(frozen=True)
class Divisions:
    provinces: list[tuple[str, str, float, float]]  # code, name, lon, lat
    cities: list[tuple[str, str, str, float, float]]  # code, name, province code, lon, lat
    counties: list[County]


def _jitter(rng: np.random.Generator, lon: float, lat: float, spread: float) -> tuple[float, float]:
    d_lon, d_lat = rng.uniform(-spread, spread, 2)
    return round(lon + float(d_lon), 6), round(lat + float(d_lat), 6)


def build_divisions(seed: int) -> Divisions:
    """The 31 provinces of the seed, generated cities and counties under them, with centroids."""
    provinces, cities, counties = [], [], []
    stem_index = 0
    for code, name, short in _seed_provinces().select("code", "province_name_cn", "province_short_cn").iter_rows():
        capital = CAPITALS[code]
        provinces.append((code, name, *capital))
        rng = _rng(seed, "divisions", code)
        if code in MUNICIPALITIES:
            city_code = f"{code}01"
            cities.append((city_code, "市辖区", code, *capital))
            for j in range(MUNICIPAL_DISTRICTS):
                stem = _stem(stem_index)
                stem_index += 1
                district = f"{stem}区"
                counties.append(
                    County(
                        f"{city_code}{j + 1:02d}",
                        district,
                        city_code,
                        "市辖区",
                        code,
                        name,
                        stem,
                        f"{short}{stem}",
                        f"{name}{district}",
                        *_jitter(rng, *capital, CITY_SPREAD.get(code, DEFAULT_CITY_SPREAD)),
                    )
                )
            continue
        for k in range(CITIES_PER_PROVINCE):
            stem = _stem(stem_index)
            stem_index += 1
            city_code, city_name = f"{code}{k + 1:02d}", f"{stem}市"
            # the first city is the provincial capital's place; the others lie around it
            centre = capital if k == 0 else _jitter(rng, *capital, CITY_SPREAD.get(code, DEFAULT_CITY_SPREAD))
            cities.append((city_code, city_name, code, *centre))
            city_number = len(cities)
            for j, (suffix, kind) in enumerate(COUNTY_SLOTS):
                county_stem = COUNTY_STEMS[(city_number + 3 * j) % len(COUNTY_STEMS)]
                county = f"{county_stem}{kind}"
                counties.append(
                    County(
                        f"{city_code}{suffix}",
                        county,
                        city_code,
                        city_name,
                        code,
                        name,
                        stem,
                        f"{stem}{county_stem}",
                        f"{name}{city_name}{county}",
                        *_jitter(rng, *centre, COUNTY_SPREAD),
                    )
                )
    return Divisions(provinces, cities, counties)


def write_divisions(folder: Path, divisions: Divisions) -> dict[str, int]:
    """``admin_divisions/`` in the real files' layouts (names quoted, as there; centroids with CRLF)."""
    admin = folder / reference_tables.ADMIN_DIR
    counts = {
        "provinces": _write_csv(
            folder / reference_tables.PROVINCES_FILE,
            ("code", "name"),
            [(code, name) for code, name, _, _ in divisions.provinces],
            quoted=("name",),
        ),
        "cities": _write_csv(
            folder / reference_tables.CITIES_FILE,
            ("code", "name", "provinceCode"),
            [(code, name, province) for code, name, province, _, _ in divisions.cities],
            quoted=("name",),
        ),
        "counties": _write_csv(
            folder / reference_tables.AREAS_FILE,
            ("code", "name", "cityCode", "provinceCode"),
            [(c.code, c.name, c.city_code, c.province_code) for c in divisions.counties],
            quoted=("name",),
        ),
    }
    centroids = [
        *((f"{code:0<12}", name, lon, lat) for code, name, lon, lat in divisions.provinces),
        *((f"{code:0<12}", name, lon, lat) for code, name, _, lon, lat in divisions.cities),
        *((f"{c.code:0<12}", c.name, c.lon, c.lat) for c in divisions.counties),
    ]
    counts["centroids"] = _write_csv(
        admin / "adcode_centroids.csv",
        ("adcode", "name", "longitude", "latitude"),
        [(adcode, name, f"{lon:.6f}", f"{lat:.6f}") for adcode, name, lon, lat in sorted(centroids)],
        newline="\r\n",
    )
    return counts


# --------------------------------------------------------------------------- the catalogue


def _weighted(rng: np.random.Generator, options: dict[str, float], size: int) -> np.ndarray:
    keys = list(options)
    weights = np.array([options[key] for key in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=size, p=weights / weights.sum())]


def build_catalogue(parks: int, seed: int, divisions: Divisions) -> list[tuple]:
    """``parks`` zones as rows of the catalogue (CATALOGUE_COLUMNS order), G series then S series,
    grouped by zone type; 序号 restarts with each series, as in the real catalogue."""
    if parks < 1:
        raise ValueError("parks must be at least 1")
    rng = _rng(seed, "catalogue")
    provinces = [code for code, *_ in divisions.provinces]
    weights = np.array([crm_generator.PROVINCE_WEIGHTS[f"{code}0000"] for code in provinces], dtype=float)
    counties_of = {code: [c for c in divisions.counties if c.province_code == code] for code in provinces}
    type_order = {name: i for i, name in enumerate(park_registry.zone_types()["zone_type_cn"])}

    index = np.arange(parks)
    national = index % NATIONAL_SHARE_EVERY == 0
    province_pick = rng.choice(len(provinces), size=parks, p=weights / weights.sum())
    county_u = rng.random(parks)
    national_types = _weighted(rng, NATIONAL_TYPES, parks)
    provincial_types = _weighted(rng, PROVINCIAL_TYPES, parks)
    first_year = np.where(national, 1984, 1992)
    years = first_year + (rng.random(parks) * (2018 - first_year)).astype(int)
    months = rng.integers(1, 13, parks)
    areas = np.where(national, rng.lognormal(7.0, 0.9, parks), rng.lognormal(6.5, 1.0, parks))
    term_counts = rng.integers(2, 5, parks)
    zone_jitter = rng.uniform(-ZONE_SPREAD, ZONE_SPREAD, (parks, 2))

    zones, taken = [], set()
    for i in range(parks):
        province = provinces[province_pick[i]]
        candidates = counties_of[province]
        county = candidates[int(county_u[i] * len(candidates))]
        zone_type = national_types[i] if national[i] else provincial_types[i]
        if zone_type == "边境/跨境经济合作区" and province not in BORDER_PROVINCES:
            zone_type = "经济技术开发区"
        ending = TYPE_NAME_ENDINGS[zone_type]
        name = next(
            candidate
            for candidate in (
                f"{county.name_stem}{ending}",
                *(f"{county.name_stem}{qualifier}{ending}" for qualifier in NAME_QUALIFIERS),
                *(f"{county.name_stem}第{n}{ending}" for n in range(2, parks + 2)),
            )
            if (province, candidate) not in taken
        )
        taken.add((province, name))
        terms = rng.choice(len(INDUSTRY_TERMS), size=int(term_counts[i]), replace=False)
        lon = round(county.lon + float(zone_jitter[i, 0]), 6)
        lat = round(county.lat + float(zone_jitter[i, 1]), 6)
        series = "G" if national[i] else "S"
        zones.append(
            {
                "series": series,
                "type_rank": type_order[zone_type],
                "row": [
                    None,  # 序号, numbered below
                    f"{series}{province}{i:04d}",
                    name,
                    county.province_name,
                    county.place,
                    "国务院" if national[i] else "省政府",
                    zone_type,
                    f"{years[i]}.{months[i]:02d}",
                    f"{areas[i]:.2f}",
                    "、".join(INDUSTRY_TERMS[t] for t in terms),
                    f"{lon:.6f}",
                    f"{lat:.6f}",
                    f"{county.address}{name}",
                    "ok",
                ],
            }
        )
    zones.sort(key=lambda zone: (zone["series"] != "G", zone["type_rank"], zone["row"][1]))
    rows, seq = [], {"G": 0, "S": 0}
    for zone in zones:
        seq[zone["series"]] += 1
        rows.append((str(seq[zone["series"]]), *zone["row"][1:]))
    return rows


# --------------------------------------------------------------------------- GB/T 4754-2017


def _section_of(division: str) -> str:
    number = int(division)
    return max((first, letter) for letter, first in SECTION_FIRST_DIVISION.items() if first <= number)[1]


def build_industry() -> tuple[list[tuple[str, str]], list[tuple[str, str, str, str]]]:
    """GB/T 4754-2017 lines (sections, divisions, groups, classes in the standard's order) for every
    class the generators use, and one crosswalk row per class."""
    classes = (
        generator.cluster_classes()
        .select("industry_code", "industry_name_cn")
        .unique("industry_code", keep="first")
        .sort("industry_code")
    )
    names = dict(classes.iter_rows())
    lines: list[tuple[str, str]] = []
    for section in sorted({_section_of(code[:2]) for code in names}):
        lines.append((section, SECTION_NAMES[section]))
        for division in sorted({code[:2] for code in names if _section_of(code[:2]) == section}):
            lines.append((division, f"大类{division}（生成的占位名称）"))
            for group in sorted({code[:3] for code in names if code.startswith(division)}):
                lines.append((group, f"中类{group}（生成的占位名称）"))
                lines += [(code, names[code]) for code in sorted(names) if code.startswith(group)]
    crosswalk = []
    for code, name in sorted(names.items()):
        isic = ISIC_OF_DIVISION.get(code[:2], DEFAULT_ISIC)
        crosswalk.append((code, name, isic, f"ISIC Rev.4 {isic}（生成的对应关系，非标准附录C）"))
    return lines, crosswalk


def write_industry(folder: Path) -> dict[str, int]:
    lines, crosswalk = build_industry()
    return {
        "gbt4754_lines": _write_csv(folder / reference_tables.GBT4754_FILE, ("code", "name"), lines),
        "crosswalk": _write_csv(
            folder / reference_tables.CROSSWALK_FILE, tuple(reference_tables.CROSSWALK_COLUMNS), crosswalk
        ),
    }


# --------------------------------------------------------------------------- countries


def country_rows() -> list[tuple]:
    """``world/country_codes.csv`` rows in the real header's order, the reader's columns filled."""
    rows = []
    for country in COUNTRIES:
        values = dict.fromkeys(COUNTRY_CODES_HEADER, "")
        values |= {
            "ISO3166-1-Alpha-3": country.iso3,
            "ISO3166-1-Alpha-2": country.iso2,
            "ISO3166-1-numeric": str(country.m49),
            "M49": str(country.m49),
            "is_independent": "Part of CN" if country.iso3 in ("HKG", "MAC") else "Yes",
            "official_name_en": country.name_en,
            "official_name_cn": country.name_cn,
            "CLDR display name": country.name_en,
            "Global Code": "1",
            "Global Name": "World",
            "Region Code": str(REGION_CODES[country.region]),
            "Region Name": country.region,
            "Sub-region Code": str(SUB_REGION_CODES[country.sub_region]),
            "Sub-region Name": country.sub_region,
            "Intermediate Region Code": str(INTERMEDIATE_REGION_CODES.get(country.intermediate_region, "")),
            "Intermediate Region Name": country.intermediate_region,
            "ISO4217-currency_alphabetic_code": country.currencies,
        }
        rows.append(tuple(values[column] for column in COUNTRY_CODES_HEADER))
    return sorted(rows, key=lambda row: row[COUNTRY_CODES_HEADER.index("ISO3166-1-Alpha-3")])


# --------------------------------------------------------------------------- WDI


def units_per_usd_base(currency: str) -> float:
    """Local currency units per US$ in RATE_ANCHOR_YEAR: the CRM generator's rates where it has one."""
    if currency in crm_generator.CNY_PER_UNIT:
        return crm_generator.CNY_PER_UNIT["USD"] / crm_generator.CNY_PER_UNIT[currency]
    return OTHER_UNITS_PER_USD[currency]


def rate_series(currency: str, seed: int, years: list[int]) -> dict[int, float]:
    """Yearly average units per US$: the anchor-year rate, drifting a little from year to year."""
    base = units_per_usd_base(currency)
    if currency == "USD":
        return dict.fromkeys(years, 1.0)
    sigma = 0.002 if currency in PEGGED else 0.06 if currency in VOLATILE else 0.02 if currency == "CNY" else 0.035
    rng = _rng(seed, "fx", currency)
    steps = dict(zip(years, rng.normal(0.0, sigma, len(years)), strict=True))
    rates = {RATE_ANCHOR_YEAR: base}
    for year in range(RATE_ANCHOR_YEAR + 1, max(years) + 1):
        rates[year] = rates[year - 1] * math.exp(steps[year])
    for year in range(RATE_ANCHOR_YEAR - 1, min(years) - 1, -1):
        rates[year] = rates[year + 1] * math.exp(-steps[year + 1])
    return {year: rates[year] for year in years}


@dataclass
class Economy:
    iso3: str
    name: str
    gdp: dict[int, float]
    growth: dict[int, float]
    population: dict[int, float]
    fdi: dict[int, float]
    rate: dict[int, float] | None


def _country_economy(country: Country, seed: int, years: list[int], rate: dict[int, float]) -> Economy:
    rng = _rng(seed, "wdi", country.iso3)
    per_head = country.gdp_per_head_usd
    if per_head >= 30000:
        pop_growth, mean_growth, shock = 0.004, 1.8, 1.0
    elif per_head >= 8000:
        pop_growth, mean_growth, shock = 0.009, 3.0, 0.8
    elif per_head >= 3000:
        pop_growth, mean_growth, shock = 0.016, 4.2, 0.6
    else:
        pop_growth, mean_growth, shock = 0.026, 5.2, 0.5
    if country.iso3 == "CHN":
        pop_growth, mean_growth = 0.003, 7.5
    pop_growth += float(rng.normal(0.0, 0.002))
    anchor_pop = country.population_m * 1e6
    population = {year: anchor_pop * (1 + pop_growth) ** (year - WDI_ANCHOR_YEAR) for year in years}

    growth, index, level = {}, {}, 1.0
    noise, prices = rng.normal(0.0, 1.6, len(years)), rng.normal(0.02, 0.04, len(years))
    for i, year in enumerate(years):
        g = mean_growth + float(noise[i])
        if country.iso3 == "CHN":
            g = max(10.0 - 0.25 * (year - FIRST_YEAR), 4.5) + float(noise[i]) / 3
        g += {2009: -4.0 * shock, 2020: -6.0 * shock, 2021: 3.0 * shock}.get(year, 0.0)
        growth[year] = g
        level *= (1 + g / 100) * (1 + min(max(float(prices[i]), -0.2), 0.25))
        index[year] = level
    scale = anchor_pop * per_head / index[WDI_ANCHOR_YEAR] if WDI_ANCHOR_YEAR in index else anchor_pop * per_head
    gdp = {year: index[year] * scale for year in years}
    share = FDI_SHARE.get(country.iso3, 0.025)
    fdi = {year: gdp[year] * float(s) for year, s in zip(years, rng.normal(share, 0.012, len(years)), strict=True)}
    return Economy(country.iso3, country.name_en, gdp, growth, population, fdi, rate)


def _aggregate(iso3: str, name: str, members: list[Economy], years: list[int], rate: dict | None) -> Economy:
    gdp = {year: sum(m.gdp[year] for m in members) for year in years}
    return Economy(
        iso3,
        name,
        gdp,
        {year: sum(m.gdp[year] * m.growth[year] for m in members) / gdp[year] for year in years},
        {year: sum(m.population[year] for m in members) for year in years},
        {year: sum(m.fdi[year] for m in members) for year in years},
        rate,
    )


def build_economies(seed: int, last_year: int) -> list[Economy]:
    """Every generated country, then the aggregates EMU and WLD, 2000 to ``last_year``."""
    years = list(range(FIRST_YEAR, last_year + 1))
    rates = {c.currency: rate_series(c.currency, seed, years) for c in COUNTRIES}
    countries = [_country_economy(c, seed, years, rates[c.currency]) for c in COUNTRIES]
    euro = [economy for economy, c in zip(countries, COUNTRIES, strict=True) if c.currency == "EUR"]
    return [
        *countries,
        _aggregate("EMU", AGGREGATES["EMU"], euro, years, rates["EUR"]),
        _aggregate("WLD", AGGREGATES["WLD"], countries, years, None),
    ]


def _text(value: float, digits: int | None) -> str:
    """A WDI value as the CSV writes it: a whole number, or a float rounded to ``digits``."""
    return str(round(value)) if digits is None else repr(round(value, digits))


def write_wdi(folder: Path, economies: list[Economy]) -> dict[str, int]:
    """``world/wdi/<code>.csv`` (Country Name, Country Code, Year, Value; CRLF, as the real extracts)."""
    series = {
        "BX.KLT.DINV.CD.WD": (lambda e: e.fdi, None),
        "NY.GDP.MKTP.CD": (lambda e: e.gdp, None),
        "NY.GDP.MKTP.KD.ZG": (lambda e: e.growth, 4),
        "NY.GDP.PCAP.CD": (lambda e: {y: e.gdp[y] / e.population[y] for y in e.gdp}, 2),
        "SP.POP.TOTL": (lambda e: e.population, None),
        "PA.NUS.FCRF": (lambda e: e.rate, 8),
    }
    assert set(series) == set(world_bank.INDICATORS)
    counts = {}
    for code, (values_of, digits) in series.items():
        rows = [
            (economy.name, economy.iso3, str(year), _text(value, digits))
            for economy in sorted(economies, key=lambda e: e.iso3)
            if (values := values_of(economy)) is not None
            for year, value in sorted(values.items())
        ]
        counts[code] = _write_csv(
            world_bank.wdi_csv(folder, code), ("Country Name", "Country Code", "Year", "Value"), rows, newline="\r\n"
        )
    return counts


# --------------------------------------------------------------------------- NBS province GDP


def build_province_gdp(seed: int, last_year: int) -> tuple[list[int], list[tuple[str, list[float]]]]:
    """Years (latest first, the 20 before ``last_year``) and each province's GDP (100 million yuan)."""
    years = list(range(last_year - 1, last_year - 1 - NBS_YEARS, -1))
    rows = []
    for code, name_en in _seed_provinces().select("code", "province_name_en").iter_rows():
        rng = _rng(seed, "nbs", code)
        level = PROVINCE_GDP_ANCHOR[code] * float(rng.uniform(0.92, 1.08))
        values = {WDI_ANCHOR_YEAR: level}
        nominal = {
            year: float(rng.normal(0.03, 0.015) if year == 2020 else rng.normal(0.10 if year <= 2012 else 0.065, 0.02))
            for year in range(min(years), max(years) + 1)
        }
        for year in range(WDI_ANCHOR_YEAR + 1, max(years) + 1):
            values[year] = values[year - 1] * (1 + nominal[year])
        for year in range(WDI_ANCHOR_YEAR - 1, min(years) - 1, -1):
            values[year] = values[year + 1] / (1 + nominal[year + 1])
        rows.append((name_en, [round(values[year], 1) for year in years]))
    return years, rows


def write_province_gdp(folder: Path, seed: int, last_year: int) -> int:
    """The NBS export's layout: three metadata lines, the header (Region, years latest first), one
    row per province, a source line below; years as text and values as numbers, as NBS writes them."""
    import xlsxwriter

    years, rows = build_province_gdp(seed, last_year)
    path = folder / NBS_WORKBOOK
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"title": "Annual by Province (GENERATED demonstration data)", "created": WORKBOOK_CREATED})
    sheet = workbook.add_worksheet("sheet1")
    sheet.write_string(0, 0, "Database：Annual by Province")
    sheet.write_string(1, 0, f"Indicators：{nbs_province_gdp.INDICATOR}({nbs_province_gdp.UNIT})")
    sheet.write_string(2, 0, f"Year：LATEST{NBS_YEARS}")
    sheet.write_string(3, 0, "Region")
    for j, year in enumerate(years, start=1):
        sheet.write_string(3, j, str(year))
    for i, (name, values) in enumerate(rows, start=4):
        sheet.write_string(i, 0, name)
        for j, value in enumerate(values, start=1):
            sheet.write_number(i, j, value)
    sheet.write_string(4 + len(rows), 0, "Data Sources：GENERATED demonstration data (simulators.reference), not NBS")
    workbook.close()
    return len(rows) * len(years)


# --------------------------------------------------------------------------- the folder


PROVENANCE = """# Generated reference data: GENERATED demonstration data, not real data

Every file in this folder is GENERATED demonstration data, written by the module `{generator}` of the
Park Indicators Platform (`python -m simulators.reference --target DIR --parks {parks} --seed {seed}`), in
the layouts of the real reference folder so that the platform's extractors read it through the same
code as the real data. It is not the 2018 China Development Zone Audit Catalogue, not the GB/T 2260
division codes, not the GB/T 4754-2017 classification with its ISIC crosswalk, not NBS data and not
World Bank data. Parameters: parks {parks}, seed {seed}, years up to {last_year}, format version
{format_version} (`generated.json`).

| file | what it holds (generated) | rows |
|---|---|---|
| parks/development_zones_2018.csv | development zones in the catalogue's layout: codes G/S + province + 4 digits, names built from fictional place names, approval level and date, area, 主导产业 terms the cluster keyword seed maps, a geocode jittered around the zone's generated county | {zones} |
| admin_divisions/provinces.csv, cities.csv, areas.csv | the 31 provinces (names as in the dbt seed province_names.csv); fictional prefecture-level cities and counties with codes in the GB/T 2260 form | {provinces} / {cities} / {counties} |
| admin_divisions/adcode_centroids.csv | 12-digit adcodes with centroids around approximate coordinates of the provincial capitals | {centroids} |
| industry/gbt4754_2017.csv | the GB/T 4754-2017 classes the generators use (class names from the seed cluster_industry_classes.csv) under their groups, divisions and sections; division and group names are placeholders marked 生成 | {gbt4754_lines} |
| industry/gbt4754_2017_isic4_crosswalk.csv | one row per class with a generated, division-level ISIC Rev.4 code (not appendix C of the standard) | {crosswalk} |
| world/country_codes.csv | the countries the CRM and submission generators use and China: hand-written names, M49 codes and regions, ISO 4217 currencies; the other columns of the real header are empty | {countries} |
| world/wdi/*.csv | six WDI-shaped indicators, {first_year}–{last_year}, for those countries and the aggregates EMU and WLD (sums over the generated economies only); exchange rates follow the CRM generator's rates with a small yearly drift | {wdi_rows} |
| china/province_gdp_annual.xlsx | an NBS-shaped "Annual by Province" sheet of Gross Regional Product (100 million yuan), 31 provinces × {nbs_years} years, generated around rounded magnitudes | {nbs_values} values |
"""


def _spec(parks: int, seed: int, last_year: int) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "generator": GENERATOR,
        "parks": parks,
        "seed": seed,
        "last_year": last_year,
        "note": NOTE,
    }


def _recorded_spec(folder: Path) -> dict | None:
    try:
        return json.loads((folder / GENERATED_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_current(folder: Path, spec: dict) -> bool:
    recorded = _recorded_spec(folder)
    keys = ("format_version", "generator", "parks", "seed", "last_year")
    return recorded is not None and all(recorded.get(key) == spec[key] for key in keys)


def write_files(folder: Path, parks: int, seed: int, last_year: int) -> dict[str, int]:
    """Write every file of the generated folder into ``folder`` (not atomic); returns row counts."""
    divisions = build_divisions(seed)
    counts = write_divisions(folder, divisions)
    counts["zones"] = _write_csv(
        folder / park_registry.CATALOGUE_FILE,
        tuple(park_registry.CATALOGUE_COLUMNS),
        build_catalogue(parks, seed, divisions),
    )
    counts |= write_industry(folder)
    counts["countries"] = _write_csv(folder / reference_tables.COUNTRIES_FILE, COUNTRY_CODES_HEADER, country_rows())
    wdi = write_wdi(folder, build_economies(seed, last_year))
    counts["wdi_rows"] = sum(wdi.values())
    counts["nbs_values"] = write_province_gdp(folder, seed, last_year)
    spec = _spec(parks, seed, last_year)
    (folder / "PROVENANCE.md").write_text(
        PROVENANCE.format(**spec, **counts, first_year=FIRST_YEAR, nbs_years=NBS_YEARS),
        encoding="utf-8",
    )
    # the marker last: a folder without it is never taken for a complete one
    (folder / GENERATED_MARKER).write_text(json.dumps(spec, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return counts


def write_generated_reference(target: Path, parks: int, seed: int, *, last_year: int | None = None) -> Path:
    """Write the generated reference folder at ``target`` and return it (see the module docstring).

    Deterministic for ``(parks, seed, last_year)``; ``last_year`` (the WDI series' last year) defaults
    to the current year. Leaves ``target`` untouched when its ``generated.json`` records the same
    parameters and format version; otherwise writes a temporary sibling folder and renames it into
    place. Refuses to replace a non-empty folder that has no ``generated.json``."""
    target = Path(target).absolute()
    last_year = date.today().year if last_year is None else last_year
    if parks < 1 or seed < 0 or last_year < FIRST_YEAR + NBS_YEARS:
        raise ValueError(f"parks must be >= 1, seed >= 0 and last_year >= {FIRST_YEAR + NBS_YEARS}")
    spec = _spec(parks, seed, last_year)
    if _is_current(target, spec):
        return target
    if target.exists() and not (target / GENERATED_MARKER).is_file() and any(target.iterdir()):
        raise FileExistsError(f"{target} holds files but no {GENERATED_MARKER}: not a generated folder, not replaced")

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the folder is read by other accounts (services)
        write_files(staging, parks, seed, last_year)
        if target.exists():
            if _is_current(target, spec):  # another writer finished first
                shutil.rmtree(staging)
                return target
            retired = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
            target.rename(retired)
            staging.rename(target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            try:
                staging.rename(target)
            except OSError:
                if not _is_current(target, spec):
                    raise
                shutil.rmtree(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulators.reference",
        description="Write a GENERATED reference folder in the layouts of the real one (PARK_REFERENCE_DIR).",
    )
    parser.add_argument("--target", type=Path, required=True, help="the folder to write (replaced if generated)")
    parser.add_argument(
        "--parks", type=int, default=None, help="zones of the catalogue (default: the parks of PARK_SCALE, demo)"
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: PARK_SEED, 20180101)")
    parser.add_argument("--last-year", type=int, default=None, help="last year of the WDI series (default: this year)")
    args = parser.parse_args(argv)
    parks = args.parks if args.parks is not None else SCALES[os.environ.get("PARK_SCALE", "").strip() or "demo"].parks
    seed = args.seed if args.seed is not None else int(os.environ.get("PARK_SEED", "").strip() or 20180101)
    folder = write_generated_reference(args.target, parks, seed, last_year=args.last_year)
    spec = _recorded_spec(folder)
    print(
        f"{folder}: generated reference data, parks={spec['parks']} seed={spec['seed']} last_year={spec['last_year']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
