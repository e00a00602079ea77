"""Rendering the report: Jinja2 templates (package files) to HTML and plain text, and the MIME message."""

from __future__ import annotations

import datetime as dt
import email.utils
import secrets
from collections.abc import Callable, Sequence
from email.message import EmailMessage

from markupsafe import Markup, escape

from resync_assets.lib.report.charts import WIDTH_PX, Chart
from resync_assets.lib.report.data import ReportData

RECOMMENDATIONS_SHOWN = 12
HTML_TEMPLATE = "weekly_report.html.j2"
TEXT_TEMPLATE = "weekly_report.txt.j2"


def _num(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    value = float(value)
    if value.is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def _pct(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f} %"


def _pct0(value, scale: float = 1.0) -> str:
    return "–" if value is None else f"{value * scale:.0f} %"


def _signed_pct(value) -> str:
    return "–" if value is None else f"{value * 100:+.0f} %"


def _day(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat()


def _stamp(value) -> str:
    if value is None:
        return "–"
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _environment(autoescape: bool):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("resync_assets.lib.report", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    env.filters.update(num=_num, pct=_pct, pct0=_pct0, signed_pct=_signed_pct, day=_day, stamp=_stamp)
    return env


def render_html(
    data: ReportData, charts: Sequence[Chart], image_src: Callable[[Chart], str], warehouse: str
) -> str:
    """The HTML report; `image_src` gives each chart's `src` (a `cid:` reference in the e-mail, a
    `data:` URI in the standalone file)."""
    by_name = {c.name: c for c in charts}

    def chart(name: str) -> Markup:
        c = by_name.get(name)
        if c is None:
            return Markup("")
        return Markup(
            '<img class="chart" src="{src}" width="{w}" height="{h}" alt="{alt}" title="{title}">'
        ).format(src=image_src(c), w=c.width, h=c.height, alt=c.alt, title=c.title)

    def missing(section: str, default: str | None = None) -> Markup:
        text = data.missing.get(section) or default
        return Markup('<p class="missing">{}</p>').format(text) if text else Markup("")

    def source(section: str) -> Markup:
        tables = data.sources.get(section)
        if not tables:
            return Markup("")
        return Markup('<p class="muted">source: {}</p>').format(", ".join(tables))

    template = _environment(True).get_template(HTML_TEMPLATE)
    return template.render(
        d=data,
        chart=chart,
        missing=missing,
        source=source,
        chart_width=WIDTH_PX,
        warehouse=escape(warehouse),
        shown=RECOMMENDATIONS_SHOWN,
    )


def render_text(data: ReportData, warehouse: str) -> str:
    """The plain-text alternative."""

    def tmissing(section: str, default: str | None = None) -> str:
        return data.missing.get(section) or default or ""

    def tsource(section: str) -> str:
        tables = data.sources.get(section)
        return f"  (source: {', '.join(tables)})" if tables else ""

    template = _environment(False).get_template(TEXT_TEMPLATE)
    return template.render(
        d=data, tmissing=tmissing, tsource=tsource, warehouse=warehouse, shown=RECOMMENDATIONS_SHOWN
    )


def message_id(week: str, domain: str) -> str:
    """The report's Message-ID: the same for every attempt of a week, so a mail system that did
    receive a retried message can drop the copy."""
    return f"<resync-weekly-report-{week}@{domain}>"


def build_message(
    data: ReportData,
    charts: Sequence[Chart],
    *,
    sender: str,
    recipients: Sequence[str],
    warehouse: str,
    subject_prefix: str = "[resync]",
) -> EmailMessage:
    """multipart/alternative: the plain text, then multipart/related with the HTML and its charts as
    inline `cid:` images."""
    msg = EmailMessage()
    k = data.kpis
    msg["Subject"] = (
        f"{subject_prefix} Weekly capacity report {data.week}: {k.runs:,} runs, {k.failures:,} failed, "
        f"{len(data.recommendations)} recommendations"
    )
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = email.utils.format_datetime(data.generated_at)
    domain = sender.rpartition("@")[2].strip("> ") or "resync.local"
    msg["Message-ID"] = message_id(str(data.week), domain)
    # Short Content-IDs (a long one is folded over two header lines, which some clients mishandle).
    nonce = secrets.token_hex(4)
    cids = {c.name: f"<{c.name}.{data.week}.{nonce}@{domain}>" for c in charts}
    msg.set_content(render_text(data, warehouse))
    html = render_html(data, charts, lambda c: "cid:" + cids[c.name][1:-1], warehouse)
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]
    for chart in charts:
        html_part.add_related(
            chart.png, maintype="image", subtype="png", cid=cids[chart.name], filename=chart.filename,
            disposition="inline",
        )  # fmt: skip
    return msg
