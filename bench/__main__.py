"""`make bench`: run every benchmark module (bench/bench_*.py) and write bench/results/*.json.

Each module exposes ``run(quick: bool) -> dict``: its figures, peers side by side, ratios.
Benchmarks are never tests; the machines are shared and noisy, so quote ratios.
Usage: python -m bench [NAME ...] [--quick]
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results"


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("--")]
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if names:
        modules = [m for m in modules if m.removeprefix("bench_") in names]
    RESULTS.mkdir(exist_ok=True)
    failed = 0
    for mod_name in modules:
        name = mod_name.removeprefix("bench_")
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{mod_name}")
            figures = module.run(quick=quick)
        except Exception as exc:  # a failing benchmark is reported, the others still run
            failed += 1
            print(f"   FAILED: {type(exc).__name__}: {exc}", flush=True)
            continue
        figures["_meta"] = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "wall_s": round(time.perf_counter() - started, 2),
            "quick": quick,
        }
        out = RESULTS / f"{name}.json"
        out.write_text(json.dumps(figures, indent=2, default=str) + "\n")
        print(json.dumps({k: v for k, v in figures.items() if k != "_meta"}, indent=2,
                         default=str), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
