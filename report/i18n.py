"""The report's words in Chinese (the default) and English, and how numbers are written in each.

Formatting only: a value is shown as the mart stores it, in the unit of its indicator (counts as
integers, yuan in 万元 / 亿元 or million / billion, shares and changes as percentages).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

LANGUAGES = ("zh", "en")
DASH = "—"

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "园区联盟每周指标报告",
        "subtitle": "{year} 年第 {week} 周（{start} 至 {end}）",
        "as_of": "数据截至 {as_of}（北京时间），报告为 {week} 周",
        "generated_title": "演示数据",
        "generated_body": "本报告中的{parts}为程序生成的模拟数据，仅用于演示与测试，不代表真实业务。",
        "part_crm": "CRM（对接与投资项目）",
        "part_submissions": "园区企业报送",
        "part_registry": "园区名录",
        "headline": "核心指标",
        "headline_note": "箭头与颜色表示变化：绿色为向好，红色为变差；灰色为无变化或无可比数据。",
        "this_week": "本周",
        "previous_week": "上周",
        "last_year": "去年同周",
        "wow": "环比",
        "yoy": "同比",
        "ytd": "年初至今",
        "target": "目标",
        "vs_target": "完成目标",
        "trend": "近 12 周趋势",
        "trend_legend": "实线：今年；虚线：去年同周",
        "no_comparison": "无可比数据",
        "funnel": "对接漏斗",
        "funnel_note": "{first} 至 {last} 推荐的对接（按推荐月份），已到达各阶段的数量。",
        "stage_recommended": "推荐",
        "stage_contacted": "接洽",
        "stage_meeting": "会谈/考察",
        "stage_negotiation": "谈判",
        "stage_signed": "签约",
        "stage_landed": "落地",
        "lost": "流失",
        "stalled": "停滞",
        "at_a_glance": "本周概览",
        "stalled_deals": "停滞对接（超过 90 天无进展）",
        "week_data": "本周数据",
        "complete": "完整",
        "incomplete": "不完整",
        "checks": "质量校验",
        "checks_passed": "全部通过",
        "checks_failed": "{failed} 项未通过（关键 {critical} 项）",
        "checks_absent": "暂无结果",
        "stalled_title": "需关注的停滞对接",
        "stalled_note": "共 {count} 个对接超过 90 天无进展（截至 {as_of}），以下按阶段由深到浅列出前 {shown} 个。",
        "stalled_none": "目前没有停滞的对接。",
        "match": "对接编号",
        "stage": "所处阶段",
        "parties": "需求方 → 供给方",
        "park": "园区",
        "cluster": "产业集群",
        "committee": "委员会",
        "no_committee": "无",
        "last_event": "最近事件",
        "days_silent": "停滞天数",
        "corridors": "主要外资流入走廊",
        "corridors_note": "{year} 年签约的外资流入项目（来源国 → 园区），按合同美元金额排名。",
        "share_of_year": "占全年",
        "corridors_absent": "仓库中尚无走廊指标表（mart_investment_corridors_year），本节暂缺。",
        "paid_in_ratio": "到位率",
        "top_parks_note": "{first} 至 {last} 签约的项目（外资、国内与对外投资），按合同金额排序。",
        "corridor": "走廊",
        "direction_inbound_foreign": "外资流入",
        "direction_domestic": "国内",
        "direction_outbound": "对外投资",
        "direction": "类型",
        "projects": "项目数",
        "contracted": "合同金额",
        "paid_in": "到位资金",
        "top_parks": "签约金额居前的园区",
        "province": "省份",
        "started": "已开工",
        "none_in_window": "该期间没有签约项目。",
        "tiers": "产业集群层级变化",
        "tiers_note": "{year} 年与 {previous} 年相比层级发生变化的园区产业集群。",
        "tiers_none": "{year} 年与 {previous} 年相比没有层级变化。",
        "tiers_single_year": "仓库中只有 {year} 年的集群数据，尚无上一年可比较。",
        "tiers_no_data": "仓库中没有集群数据。",
        "tier_strong": "强",
        "tier_significant": "显著",
        "tier_emerging": "新兴",
        "lq": "区位熵",
        "employment": "就业人数",
        "quality": "数据质量",
        "quality_complete": "本周数据完整：每日数据源均已加载至 {sunday} 及以后。",
        "quality_incomplete": "本周数据不完整：{sources} 尚未加载到 {sunday}。",
        "batches": "各数据源最新批次（截至 {cut_off}）",
        "source": "数据源",
        "batch": "批次",
        "received": "接收",
        "landed_rows": "入库",
        "quarantined": "隔离",
        "reconciles": "对账",
        "batches_in_week": "本周批次",
        "validation": "质量校验",
        "validation_run": "最近一次校验 {run_id}（{validated_at}）：共 {total} 项，未通过 {failed} 项，其中关键项 {critical} 项。",
        "validation_failed": "未通过的校验",
        "validation_all_passed": "全部校验通过。",
        "validation_absent": "仓库中尚无质量校验结果表（quality_validation_results），本节暂缺。",
        "validation_no_run": "截至 {cut_off} 没有质量校验记录。",
        "suite": "校验集",
        "expectation": "校验项",
        "severity": "级别",
        "expected": "期望",
        "observed": "实际",
        "quarantine": "本周隔离明细",
        "quarantine_absent": "仓库中尚无隔离汇总表（mart_quarantine_batches），隔离行数见上表。",
        "quarantine_none": "本周批次没有被隔离的行。",
        "reason": "原因",
        "rows": "行数",
        "intake": "园区报送",
        "intake_absent": "仓库中尚无报送情况表（mart_intake_status），本节暂缺。",
        "intake_no_period": "截至本周尚无到期的报送月份。",
        "intake_tally": "{period} 数据：{expected} 个成员园区中，{tally}。",
        "intake_count_reported": "{count} 个已报送",
        "intake_count_late": "{count} 个逾期未报送",
        "intake_count_rejected": "{count} 个文件被拒收、需重报",
        "intake_count_received": "{count} 个已收到、待入库",
        "intake_count_not_yet_due": "{count} 个未到截止日",
        "tally_separator": "，",
        "intake_all": "{expected} 个成员园区均已报送 {period} 数据。",
        "intake_status": "状态",
        "due_date": "截止日",
        "intake_late": "逾期未报",
        "intake_not_yet_due": "未到截止日",
        "intake_rejected": "文件被整体拒收",
        "intake_received": "已收到，待入库",
        "intake_review": "待人工核对",
        "file": "文件",
        "period": "报告期",
        "footer": "园区指标平台 · 数据来自已发布仓库的指标表 · {week}",
        "yes": "是",
        "no": "否",
        "unit_window": "{first} 至 {last}",
    },
    "en": {
        "title": "Park Alliance Weekly Indicators",
        "subtitle": "Week {week} of {year} ({start} to {end})",
        "as_of": "Data as of {as_of} (Asia/Shanghai); report for {week}",
        "generated_title": "Demonstration data",
        "generated_body": "The {parts} in this report are generated by a program for demonstration and testing; "
        "they describe no real business.",
        "part_crm": "CRM (matches and investment projects)",
        "part_submissions": "park offices' enterprise submissions",
        "part_registry": "park registry",
        "headline": "Headline indicators",
        "headline_note": "Arrows and colours show the change: green is better, red is worse; grey is no change "
        "or nothing to compare with.",
        "this_week": "This week",
        "previous_week": "Week before",
        "last_year": "Same week last year",
        "wow": "WoW",
        "yoy": "YoY",
        "ytd": "Year to date",
        "target": "Target",
        "vs_target": "of target",
        "trend": "12-week trend",
        "trend_legend": "solid: this year; dashed: same weeks last year",
        "no_comparison": "n/a",
        "funnel": "Matchmaking funnel",
        "funnel_note": "Matches recommended {first} to {last} (by month of recommendation) that reached each stage.",
        "stage_recommended": "Recommended",
        "stage_contacted": "Contacted",
        "stage_meeting": "Meeting / visit",
        "stage_negotiation": "Negotiation",
        "stage_signed": "Signed",
        "stage_landed": "Landed",
        "lost": "Lost",
        "stalled": "Stalled",
        "at_a_glance": "At a glance",
        "stalled_deals": "Stalled deals (no event for 90+ days)",
        "week_data": "This week's data",
        "complete": "complete",
        "incomplete": "incomplete",
        "checks": "Quality checks",
        "checks_passed": "all passed",
        "checks_failed": "{failed} failed ({critical} critical)",
        "checks_absent": "no results yet",
        "stalled_title": "Stalled deals that need attention",
        "stalled_note": "{count} matches have had no event for 90 days or more (as of {as_of}); the {shown} "
        "furthest down the funnel first.",
        "stalled_none": "No match is stalled.",
        "match": "Match",
        "stage": "Stage",
        "parties": "Demand → supply",
        "park": "Park",
        "cluster": "Cluster",
        "committee": "Committee",
        "no_committee": "none",
        "last_event": "Last event",
        "days_silent": "Days silent",
        "corridors": "Top inbound corridors",
        "corridors_note": "Inbound foreign projects signed in {year} (origin country → park), ranked by contracted "
        "US dollars.",
        "share_of_year": "Share of year",
        "corridors_absent": "The warehouse has no corridor mart yet (mart_investment_corridors_year): this part "
        "is not available.",
        "paid_in_ratio": "Paid-in ratio",
        "top_parks_note": "Projects signed {first} to {last} (inbound, domestic and outbound), by contracted amount.",
        "corridor": "Corridor",
        "direction_inbound_foreign": "Inbound",
        "direction_domestic": "Domestic",
        "direction_outbound": "Outbound",
        "direction": "Type",
        "projects": "Projects",
        "contracted": "Contracted",
        "paid_in": "Paid-in",
        "top_parks": "Top parks by signed amount",
        "province": "Province",
        "started": "Started",
        "none_in_window": "No project was signed in this period.",
        "tiers": "Cluster tier changes",
        "tiers_note": "Park clusters whose tier in {year} differs from {previous}.",
        "tiers_none": "No tier changed between {previous} and {year}.",
        "tiers_single_year": "The warehouse holds cluster data for {year} only: no earlier year to compare with.",
        "tiers_no_data": "The warehouse holds no cluster data.",
        "tier_strong": "strong",
        "tier_significant": "significant",
        "tier_emerging": "emerging",
        "lq": "LQ",
        "employment": "Employment",
        "quality": "Data quality",
        "quality_complete": "The week is complete: every daily source has landed a batch for {sunday} or later.",
        "quality_incomplete": "The week is NOT complete: {sources} not landed up to {sunday}.",
        "batches": "Newest batch per source (up to {cut_off})",
        "source": "Source",
        "batch": "Batch",
        "received": "Received",
        "landed_rows": "Landed",
        "quarantined": "Quarantined",
        "reconciles": "Reconciles",
        "batches_in_week": "Batches this week",
        "validation": "Validation",
        "validation_run": "Latest validation run {run_id} ({validated_at}): {total} expectations, {failed} failed, "
        "{critical} of them critical.",
        "validation_failed": "Failed expectations",
        "validation_all_passed": "Every expectation passed.",
        "validation_absent": "The warehouse has no validation results yet (table quality_validation_results): "
        "this part is not available.",
        "validation_no_run": "No validation run up to {cut_off}.",
        "suite": "Suite",
        "expectation": "Expectation",
        "severity": "Severity",
        "expected": "Expected",
        "observed": "Observed",
        "quarantine": "Quarantined this week",
        "quarantine_absent": "The warehouse has no quarantine mart yet (mart_quarantine_batches); quarantined "
        "rows per batch are in the table above.",
        "quarantine_none": "The week's batches quarantined no row.",
        "reason": "Reason",
        "rows": "Rows",
        "intake": "Park offices' reporting",
        "intake_absent": "The warehouse has no intake status yet (table mart_intake_status): this part is not available.",
        "intake_no_period": "No reporting month is due by this week.",
        "intake_tally": "{period}: of {expected} member parks, {tally}.",
        "intake_count_reported": "{count} reported",
        "intake_count_late": "{count} late (past the due date)",
        "intake_count_rejected": "{count} with a rejected file (to send again)",
        "intake_count_received": "{count} received, not yet landed",
        "intake_count_not_yet_due": "{count} not yet due",
        "tally_separator": ", ",
        "intake_all": "All {expected} member parks have reported {period}.",
        "intake_status": "Status",
        "due_date": "Due date",
        "intake_late": "late",
        "intake_not_yet_due": "not yet due",
        "intake_rejected": "file rejected whole",
        "intake_received": "received, not yet landed",
        "intake_review": "sent for review",
        "file": "File",
        "period": "Period",
        "footer": "Park Indicators Platform · numbers from the published warehouse's marts · {week}",
        "yes": "yes",
        "no": "no",
        "unit_window": "{first} to {last}",
    },
}


@dataclass(frozen=True)
class Change:
    """A change as shown: text with its sign, an arrow and a CSS class (good, bad or flat)."""

    text: str
    arrow: str
    tone: str


class Formatter:
    """Numbers, dates and changes written the way readers of ``language`` expect."""

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language {language!r}: expected one of {', '.join(LANGUAGES)}")
        self.language = language
        self.text = TEXT[language]

    def t(self, key: str, **values: object) -> str:
        return self.text[key].format(**values) if values else self.text[key]

    def tally(self, key: str, counts: list[tuple[str, int]]) -> str:
        """Counts said one after the other, each by its text ``<key>_<what>`` (``{count}``): 93 个已报送，8 个逾期未报送."""
        return self.t("tally_separator").join(self.t(f"{key}_{what}", count=self.integer(n)) for what, n in counts)

    def integer(self, value: float | None) -> str:
        return DASH if _missing(value) else f"{round(value):,}"

    def percent(self, share: float | None, digits: int = 1) -> str:
        return DASH if _missing(share) else f"{share * 100:.{digits}f}%"

    def yuan(self, amount: float | None) -> str:
        """Yuan in 万元 / 亿元 (Chinese) or million / billion (English)."""
        if _missing(amount):
            return DASH
        amount = float(amount)
        if self.language == "zh":
            if abs(amount) >= 1e8:
                return f"{amount / 1e8:,.2f} 亿元"
            return f"{amount / 1e4:,.0f} 万元"
        if abs(amount) >= 1e9:
            return f"CNY {amount / 1e9:,.2f} bn"
        return f"CNY {amount / 1e6:,.1f} m"

    def usd(self, amount: float | None) -> str:
        """US dollars in 万美元 / 亿美元 (Chinese) or million (English)."""
        if _missing(amount):
            return DASH
        amount = float(amount)
        if self.language == "zh":
            return f"{amount / 1e8:,.2f} 亿美元" if abs(amount) >= 1e8 else f"{amount / 1e4:,.0f} 万美元"
        return f"USD {amount / 1e6:,.1f} m"

    def value(self, value: float | None, unit: str) -> str:
        """A value in its indicator's unit (the seed's ``unit``: matches, projects, CNY, share)."""
        if unit == "CNY":
            return self.yuan(value)
        if unit == "share":
            return self.percent(value)
        return self.integer(value)

    def axis_value(self, value: float | None, unit: str) -> str:
        """A short form for chart labels."""
        if unit == "CNY" and not _missing(value):
            if self.language == "zh":
                return f"{value / 1e8:,.1f}亿" if abs(value) >= 1e8 else f"{value / 1e4:,.0f}万"
            return f"{value / 1e9:,.1f}bn" if abs(value) >= 1e9 else f"{value / 1e6:,.0f}m"
        if unit == "share":
            return self.percent(value, 0)
        return self.integer(value)

    def change(self, change: float | None, higher_is_better: bool) -> Change:
        """A relative change (0.5 = +50%) with ▲/▼ and a tone: good, bad or flat (none to compare with)."""
        if _missing(change):
            return Change(self.t("no_comparison"), "", "flat")
        if abs(change) < 0.0005:
            return Change("0.0%", "▬", "flat")
        rising = change > 0
        return Change(
            f"{'+' if rising else '−'}{abs(change) * 100:,.1f}%",
            "▲" if rising else "▼",
            "good" if rising == higher_is_better else "bad",
        )

    def join(self, items: list[str]) -> str:
        """一、二和三 / one, two and three."""
        if len(items) < 2:
            return "".join(items)
        if self.language == "zh":
            return "、".join(items[:-1]) + "和" + items[-1]
        return ", ".join(items[:-1]) + " and " + items[-1]

    def date(self, day: date | None) -> str:
        if day is None:
            return DASH
        return f"{day.year}年{day.month}月{day.day}日" if self.language == "zh" else day.isoformat()

    def month(self, day: date) -> str:
        return f"{day.year}年{day.month}月" if self.language == "zh" else day.strftime("%b %Y")

    def pick(self, cn: str | None, en: str | None) -> str:
        """The Chinese or the English name, falling back to the other when one is missing."""
        first, second = (cn, en) if self.language == "zh" else (en, cn)
        return first or second or DASH

    def name(self, row: dict, cn_key: str, en_key: str) -> str:
        """The name of a row in the report's language (columns ``cn_key`` and ``en_key``)."""
        return self.pick(row.get(cn_key), row.get(en_key))


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
