"""python -m bench_suite [--quick]: run the benchmark, write docs/PERFORMANCE.md and docs/performance.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path

from bench_suite import machine, report
from bench_suite.paths import ROOT
from bench_suite.run import Options, run


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the run at once: every finally block runs and stops what it started.

    Our own handler for both, even where the shell started us with SIGINT ignored (a background
    job): asyncio's would only cancel the main task, which a library waiting inside may absorb.
    """
    def interrupt(signum, frame):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, to try the harness (figures not for the report)")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated")
    parser.add_argument("--no-report", action="store_true", help="print the results; leave docs/ alone")
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="measure the Renkei of another checkout (a git worktree of an older commit), for before/after")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    quick = args.quick
    options = Options(workers=tuple(int(n) for n in args.workers.split(",")), seconds=3 if quick else 8,
                      warmup_seconds=1 if quick else 2, flow_customers=16, tree=args.tree.resolve())
    _stop_on_signals()
    print(f"machine: {machine.describe()}", flush=True)
    results = asyncio.run(run(options))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.no_report or quick or args.tree.resolve() != ROOT:
        print(report.table(results))
    else:
        report.write(results)
        print(f"wrote {report.MARKDOWN} and {report.JSON}")


if __name__ == "__main__":
    main()
