"""Weekly report build time on a demo warehouse: gather, charts, HTML + text, MIME message.

    make demo && .venv/bin/python -m benchmarks.report_build [--warehouse data/warehouse.duckdb] [--repeat 3]

Prints the median seconds of each stage over `--repeat` builds and the sizes of the outputs, and
writes them to benchmarks/results/report_build.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.report_build", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--warehouse", default="data/warehouse.duckdb", help="a warehouse made by `make demo`"
    )
    parser.add_argument("--week", default=None, help="ISO week (default: the newest week with runs)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from resync_assets.lib.report.charts import build_charts
    from resync_assets.lib.report.data import gather
    from resync_assets.lib.report.render import build_message, render_html, render_text
    from resync_assets.lib.report.week import IsoWeek
    from resync_assets.lib.warehouse import read_only

    path = Path(args.warehouse)
    if not path.exists():
        print(f"no warehouse at {path}: run `make demo` first")
        return 2
    stages: dict[str, list[float]] = {"gather": [], "charts": [], "html+text": [], "mime": []}
    with read_only(path) as con:
        if args.week:
            week = IsoWeek.parse(args.week)
        else:
            ((last,),) = con.execute("select max(activity_date) from marts.agg_job_runs__daily").fetchall()
            week = IsoWeek.of(last)
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            data = gather(con, week)
            t1 = time.perf_counter()
            charts = build_charts(data)
            t2 = time.perf_counter()
            html = render_html(data, charts, lambda c: "data:", str(path))
            text = render_text(data, str(path))
            t3 = time.perf_counter()
            message = build_message(
                data, charts, sender="r@example.net", recipients=["o@example.net"], warehouse=str(path)
            )
            raw = message.as_bytes()
            t4 = time.perf_counter()
            for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                stages[name].append(seconds)
    medians = {name: round(statistics.median(v), 3) for name, v in stages.items()}
    figures = {
        "week": str(week),
        "repeat": args.repeat,
        "median_seconds": medians,
        "total_seconds": round(sum(medians.values()), 3),
        "charts": len(charts),
        "png_bytes": sum(len(c.png) for c in charts),
        "html_bytes_without_images": len(html.encode()),
        "text_bytes": len(text.encode()),
        "eml_bytes": len(raw),
        "missing_sections": sorted(data.missing),
    }
    for key, value in figures.items():
        print(f"{key:>26}: {value}")
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "report_build.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
