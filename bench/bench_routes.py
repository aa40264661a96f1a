"""Routes: a 12 h plan for the 12-boat fleet over >= 200 patrol areas (real geography).

Reports wall and CPU seconds of the plan (flow LP, decomposition or column generation), the
number of areas, edges and joint plans, and the setup time (targets, areas, water distances).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from khazar.config import load_settings
from khazar.patrol.service import patrol_setup, plan_shift


def run(quick: bool) -> dict[str, Any]:
    settings = load_settings()
    t0 = time.perf_counter()
    setup = patrol_setup(settings)
    setup_s = time.perf_counter() - t0
    hours = 6.0 if quick else 12.0
    w0, c0 = time.perf_counter(), time.process_time()
    rp = plan_shift(setup, settings.fleet, datetime(2026, 11, 27, 6, tzinfo=UTC), hours)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {
        "boats": len(settings.fleet),
        "hours": hours,
        "areas": setup.areas.n,
        "graph_edges": int(rp.graph.src.size),
        "status": rp.status.value,
        "plans": len(rp.decomposition.plans),
        "coverage_error": rp.decomposition.max_coverage_error,
        "attacker_utility": rp.solution.attacker_utility,
        "notes": rp.notes,
        "setup_s": round(setup_s, 2),
        "plan_wall_s": round(wall, 2),
        "plan_cpu_s_process": round(cpu, 2),
        "target_s": 30,
    }
