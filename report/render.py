"""Render the weekly report of one ISO week to HTML (Jinja2) and PDF (WeasyPrint), archived under
``<data dir>/reports/<YYYY-Www>/report.<language>.{html,pdf}``.

The HTML holds no clock time: rendering a week again from the same warehouse gives the same file, and
the numbers depend only on the marts. The PDF engine uses the Noto Sans CJK font that the set-up
installs from PyPI (package ``noto-cjk-sans-otc``), declared with ``@font-face`` and a file URL;
``lang="zh-CN"`` selects its Simplified Chinese glyphs (also for Chinese names in the English report).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from parkplatform.config import Settings, get_settings
from parkplatform.serving import open_serving
from report.charts import ACCENT, funnel_chart, trend_chart
from report.data import FUNNEL_STAGES, IsoWeek, WeeklyReportData, read_report_data
from report.i18n import Formatter

log = logging.getLogger(__name__)

HTML_LANG = {"zh": "zh-CN", "en": "en"}
TONE_COLOURS = {"good": "#1a8754", "bad": "#c9302c", "flat": ACCENT}


@dataclass(frozen=True)
class RenderedReport:
    week: IsoWeek
    language: str
    html_path: Path
    pdf_path: Path
    subject: str
    summary: str

    @property
    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8")

    def to_record(self) -> dict[str, str]:
        """As plain strings (what an Airflow task passes to the next through XCom)."""
        return {
            "week": self.week.label,
            "language": self.language,
            "html_path": str(self.html_path),
            "pdf_path": str(self.pdf_path),
            "subject": self.subject,
            "summary": self.summary,
        }

    @classmethod
    def from_record(cls, record: dict[str, str]) -> RenderedReport:
        return cls(
            week=IsoWeek.parse(record["week"]),
            language=record["language"],
            html_path=Path(record["html_path"]),
            pdf_path=Path(record["pdf_path"]),
            subject=record["subject"],
            summary=record["summary"],
        )


def cjk_font_file() -> Path:
    """The Noto Sans CJK collection that the PDF engine embeds (installed by ``uv sync``)."""
    import noto_cjk_sans_otc

    font = Path(noto_cjk_sans_otc.__file__).parent / "NotoSansCJK-Regular.ttc"
    if not font.is_file():
        raise FileNotFoundError(f"the CJK font {font} is missing: run `make setup`")
    return font


def report_dir(settings: Settings, week: IsoWeek) -> Path:
    return settings.reports_dir / week.label


def latest_complete_week(warehouse: Path | None = None) -> IsoWeek:
    """The newest ISO week of ``mart_weekly_indicators`` (the mart holds complete weeks only) in the serving
    warehouse of the configured engine, or in the DuckDB file ``warehouse``."""
    with open_serving(warehouse=warehouse) as con:
        label = con.rows("select max(iso_week_label) as week from mart_weekly_indicators")[0]["week"]
        if label is None:
            raise LookupError(f"mart_weekly_indicators of {con.location} holds no complete week")
    return IsoWeek.parse(label)


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["raw"] = lambda value: "" if value is None else repr(float(value))
    return environment


def render_html(data: WeeklyReportData, language: str) -> str:
    """The report as one self-contained HTML document (styles and charts inline)."""
    fmt = Formatter(language)
    environment = _environment()
    charts = {
        indicator.code: Markup(
            trend_chart(
                indicator.trend,
                label=f"{fmt.pick(indicator.name_cn, indicator.name_en)} {fmt.t('trend')}",
                axis_value=lambda value, unit=indicator.unit: fmt.axis_value(value, unit),
                colour=TONE_COLOURS[fmt.change(indicator.week_over_week_change, indicator.higher_is_better).tone],
            )
        )
        for indicator in data.indicators
    }
    funnel = Markup(
        funnel_chart(
            [(fmt.t(f"stage_{stage}"), data.funnel.stages[stage]) for stage in FUNNEL_STAGES], label=fmt.t("funnel")
        )
    )
    css = environment.get_template("report.css").render(
        font_url=cjk_font_file().as_uri(), footer=fmt.t("footer", week=data.week.label)
    )
    return environment.get_template("report.html.j2").render(
        data=data,
        fmt=fmt,
        lang=HTML_LANG[language],
        css=Markup(css),
        charts=charts,
        funnel_chart=funnel,
        generated_parts=fmt.join([fmt.t(f"part_{part}") for part in data.generated_parts]),
    )


def write_pdf(html: str, path: Path) -> Path:
    from weasyprint import HTML

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    HTML(string=html, base_url=str(path.parent)).write_pdf(partial)
    partial.replace(path)
    return path


def subject(data: WeeklyReportData, language: str) -> str:
    fmt = Formatter(language)
    flag = f" [{fmt.t('generated_title')}]" if data.is_generated else ""
    return f"{fmt.t('title')} {data.week.label}{flag}"


def summary_text(data: WeeklyReportData, language: str) -> str:
    """A plain-text digest of the headline numbers, for the e-mail's text part."""
    fmt = Formatter(language)
    lines = [subject(data, language), fmt.t("as_of", as_of=fmt.date(data.as_of), week=data.week.label), ""]
    if data.is_generated:
        parts = fmt.join([fmt.t(f"part_{part}") for part in data.generated_parts])
        lines += [fmt.t("generated_body", parts=parts), ""]
    for indicator in data.indicators:
        name = fmt.pick(indicator.name_cn, indicator.name_en)
        wow = fmt.change(indicator.week_over_week_change, indicator.higher_is_better)
        yoy = fmt.change(indicator.year_over_year_change, indicator.higher_is_better)
        lines.append(
            f"{name}: {fmt.value(indicator.value, indicator.unit)} "
            f"({fmt.t('wow')} {wow.arrow}{wow.text}, {fmt.t('yoy')} {yoy.arrow}{yoy.text})"
        )
    return "\n".join(lines) + "\n"


def render_week(
    week: IsoWeek,
    language: str = "zh",
    *,
    warehouse: Path | None = None,
    out_dir: Path | None = None,
) -> RenderedReport:
    """Render ``week`` from ``warehouse`` (a DuckDB file; default: the serving warehouse of the configured
    engine) into ``out_dir`` (default: ``<data dir>/reports/<week>``) as ``report.<language>.html`` and
    ``report.<language>.pdf``."""
    settings = get_settings()
    out_dir = out_dir or report_dir(settings, week)
    data = read_report_data(warehouse, week)
    html = render_html(data, language)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"report.{language}.html"
    html_path.write_text(html, encoding="utf-8")
    pdf_path = write_pdf(html, out_dir / f"report.{language}.pdf")
    log.info("weekly report %s (%s): %s and %s", week.label, language, html_path, pdf_path)
    return RenderedReport(
        week=week,
        language=language,
        html_path=html_path,
        pdf_path=pdf_path,
        subject=subject(data, language),
        summary=summary_text(data, language),
    )


def week_of_interval(start: date) -> IsoWeek:
    """The ISO week a DAG run's data interval starts in (the week just ended, for a Monday run)."""
    return IsoWeek.of(start)
