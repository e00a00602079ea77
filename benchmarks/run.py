"""Run every benchmark in turn and print its figures.

    .venv/bin/python -m benchmarks.run            # all, at their default sizes
    .venv/bin/python -m benchmarks.run loghub     # just one (module name under benchmarks/)

Each benchmark is also runnable on its own (`python -m benchmarks.<name> --help`) and writes its
figures to `benchmarks/results/<name>.json`.
"""

from __future__ import annotations

import importlib
import sys
import time

BENCHMARKS = (
    "sim_serving",
    "client_paging",
    "ingest_e2e",
    "dbt_build",
    "loghub",
    "incident_analysis",
    "report_build",
    "ui_materialize",
)


def main(argv: list[str] | None = None) -> int:
    """Run the named benchmarks (default: all) and return non-zero if any failed."""
    names = (argv if argv is not None else sys.argv[1:]) or list(BENCHMARKS)
    failed = []
    for name in names:
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
            return 2
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        rc = module.main([])
        print(f"=== {name}: exit {rc or 0} in {time.perf_counter() - started:.1f} s ===", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
