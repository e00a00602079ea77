"""The report's charts: matplotlib (Agg, no display) to PNG bytes, sized for a 700 px mail pane."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from resync_assets.lib.report.data import RESOURCES, ReportData, Series

# Rendered at 1.2x (792 px wide) for sharper text on high-density screens; shown at WIDTH_PX in the HTML.
WIDTH_PX = 660
_DPI = 120
_WIDTH_IN = 6.6
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


@dataclass
class Chart:
    """One PNG image of the report."""

    name: str
    title: str
    alt: str
    png: bytes
    width: int = WIDTH_PX
    height: int = 0

    @property
    def filename(self) -> str:
        return f"{self.name}.png"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, name: str, title: str, alt: str) -> Chart:
    plt = _pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    width_in, height_in = fig.get_size_inches()
    plt.close(fig)
    return Chart(name, title, alt, buf.getvalue(), WIDTH_PX, round(WIDTH_PX * height_in / width_in))


def _style(ax) -> None:
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=7)


def _dates(ax) -> None:
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO, interval=2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))


def _plot_series(ax, s: Series, color: str, label: str | None = None) -> None:
    if s.history:
        xs, ys = zip(*s.history)
        ax.plot(xs, ys, color=color, linewidth=1.2, label=label)
    if s.forecast:
        xs = [p.ds for p in s.forecast]
        ax.plot(xs, [p.yhat for p in s.forecast], color=color, linewidth=1.2, linestyle="--")
        if all(p.lower_95 is not None and p.upper_95 is not None for p in s.forecast):
            ax.fill_between(xs, [p.lower_95 for p in s.forecast], [p.upper_95 for p in s.forecast],
                            color=color, alpha=0.10, linewidth=0)  # fmt: skip
        if all(p.lower_80 is not None and p.upper_80 is not None for p in s.forecast):
            ax.fill_between(xs, [p.lower_80 for p in s.forecast], [p.upper_80 for p in s.forecast],
                            color=color, alpha=0.22, linewidth=0)  # fmt: skip


def _week_span(ax, data: ReportData) -> None:
    ax.axvspan(data.week.start, data.week.end + dt.timedelta(days=1), color="#fff3c4", alpha=0.6, linewidth=0)


def workload_chart(data: ReportData) -> Chart | None:
    """Runs per day with the forecast's 80 / 95 % bands, and failed runs per day."""
    if data.runs is None or not data.runs.history:
        return None
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(_WIDTH_IN, 3.6), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]}
    )
    for ax in (top, bottom):
        _style(ax)
        _week_span(ax, data)
    _plot_series(top, data.runs, _COLORS[0], "runs per day")
    top.set_ylabel("runs / day", fontsize=8)
    top.set_title(f"Workload, {data.week} shaded; forecast dashed with 80 / 95 % bands", fontsize=9)
    if data.failures and data.failures.history:
        xs, ys = zip(*data.failures.history)
        bottom.bar(xs, ys, color=_COLORS[1], width=0.8)
    bottom.set_ylabel("failed", fontsize=8)
    _dates(bottom)
    fig.tight_layout()
    last = data.runs.forecast[-1] if data.runs.forecast else None
    alt = f"Runs per day over {len(data.runs.history)} days" + (
        f", forecast to {last.ds}: {last.yhat:.0f} runs/day" if last else ", no forecast yet"
    )
    return _save(fig, "workload", "Workload trend", alt)


def runtime_chart(data: ReportData) -> Chart | None:
    """Median runtime per day of the key jobs, with their forecasts: one small panel per job."""
    series = [s for s in data.job_runtimes if s.history or s.forecast]
    if not series:
        return None
    plt = _pyplot()
    rows = (len(series) + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(_WIDTH_IN, 1.9 * rows + 0.2), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(series):
            ax.set_visible(False)
            continue
        s = series[i]
        _style(ax)
        _week_span(ax, data)
        _plot_series(ax, s, _COLORS[i % len(_COLORS)])
        label = s.label if len(s.label) <= 42 else "…" + s.label[-41:]
        ax.set_title(label, fontsize=7)
        ax.set_ylabel("seconds", fontsize=7)
        _dates(ax)
    fig.tight_layout()
    return _save(
        fig,
        "runtimes",
        "Key jobs' runtime",
        "Median runtime per day of " + ", ".join(s.label for s in series),
    )


def host_chart(data: ReportData, resource: str) -> Chart | None:
    """A resource's daily p95 on the charted hosts, forecasts, the 85 / 95 % lines and the ETAs."""
    series = [s for s in data.host_series.get(resource, []) if s.history or s.forecast]
    if not series:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(_WIDTH_IN, 2.5))
    _style(ax)
    _week_span(ax, data)
    for i, s in enumerate(series):
        _plot_series(ax, s, _COLORS[i % len(_COLORS)], s.label.split(".")[0])
    degraded, unhealthy = data.thresholds
    ax.axhline(degraded, color="#e69500", linewidth=1, linestyle=":")
    ax.axhline(unhealthy, color="#c00000", linewidth=1, linestyle=":")
    ax.text(0.995, degraded, f"{degraded:g} %", color="#e69500", fontsize=6, va="top", ha="right",
            transform=ax.get_yaxis_transform())  # fmt: skip
    ax.text(0.995, unhealthy, f"{unhealthy:g} %", color="#c00000", fontsize=6, va="bottom", ha="right",
            transform=ax.get_yaxis_transform())  # fmt: skip
    charted = {s.label for s in series}
    for eta in data.etas:
        if eta.resource == resource and eta.host in charted and eta.eta_50 is not None:
            ax.axvline(eta.eta_50, color="#c00000", linewidth=0.8, alpha=0.6)
            ax.text(eta.eta_50, 2, f"ETA {eta.threshold:g}%", rotation=90, fontsize=6, color="#c00000",
                    va="bottom", ha="right")  # fmt: skip
    ax.set_ylim(0, 100)
    ax.set_ylabel(f"{resource} % (daily p95)", fontsize=8)
    ax.legend(fontsize=6, loc="lower left", ncol=min(4, len(series)), frameon=False)
    _dates(ax)
    fig.tight_layout()
    return _save(
        fig,
        f"host_{resource}",
        f"Host {resource}",
        f"Daily p95 {resource} % of " + ", ".join(s.label for s in series) + " with 85 / 95 % thresholds",
    )


def patterns_chart(data: ReportData) -> Chart | None:
    """Failed runs this week per failure pattern, growing patterns in red."""
    patterns = [p for p in data.patterns if p.runs_this_week or p.runs]
    if not patterns:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(_WIDTH_IN, 0.32 * len(patterns) + 0.7))
    _style(ax)
    labels = [(p.template if len(p.template) <= 55 else p.template[:54] + "…") for p in patterns][::-1]
    values = [p.runs_this_week for p in patterns][::-1]
    colors = [("#d62728" if p.trend == "increasing" else "#7f7f7f") for p in patterns][::-1]
    ax.barh(range(len(patterns)), values, color=colors)
    ax.set_yticks(range(len(patterns)), labels, fontsize=6)
    ax.set_xlabel(f"failed runs in {data.week} (red: increasing)", fontsize=7)
    fig.tight_layout()
    return _save(fig, "patterns", "Top failure patterns", "Failed runs this week per failure pattern")


def build_charts(data: ReportData) -> list[Chart]:
    """Every chart the data allows, in report order."""
    charts = [workload_chart(data), runtime_chart(data)]
    charts += [host_chart(data, r) for r in RESOURCES]
    charts.append(patterns_chart(data))
    return [c for c in charts if c is not None]
