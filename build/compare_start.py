#!/usr/bin/env python3
"""Start-up of two or more built binaries, interleaved on one machine: CPU time and wall time from
launch to the first ``/api/health`` answer, and idle RSS, on existing data (a restart).

    python build/compare_start.py OLD_BINARY NEW_BINARY [--rounds 5]

Each binary gets its own data dir (created by a first start that is not counted: a newer binary may
migrate the database). Then every round starts and stops each binary once, in turn, so all see the
same machine load (build/smoke.py measures the same way; this only compares). Prints the medians and
the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from smoke import Smoke  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binaries", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="im-compare-"))
    runs: list[tuple[Smoke, dict[str, list[float]]]] = []
    try:
        for i, binary in enumerate(args.binaries):
            smoke = Smoke(binary, work / str(i))
            smoke.stop(smoke.start())  # first start: creates the database, not counted
            runs.append((smoke, {"cpu": [], "wall": [], "rss": []}))
        load_before = os.getloadavg()
        for _ in range(max(1, args.rounds)):
            for smoke, figures in runs:
                server = smoke.start()
                smoke.stop(server)
                figures["cpu"].append(server.cpu_s)
                figures["wall"].append(server.startup_s)
                figures["rss"].append(server.rss_bytes / 1e6)
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for smoke, f in runs:
        print(f"{smoke.binary.name} ({smoke.binary.parent}): CPU to first answer median "
              f"{statistics.median(f['cpu']):.2f} s ({', '.join(f'{x:.2f}' for x in f['cpu'])}); "
              f"wall median {statistics.median(f['wall']):.2f} s; idle RSS median {statistics.median(f['rss']):.1f} MB "
              f"({', '.join(f'{x:.1f}' for x in f['rss'])})")
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
