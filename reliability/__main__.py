"""`make reliability`: run the reliability scenarios of issue 18 and write RELIABILITY.md.

Everything runs on loopback, every loop is bounded in time and count. Sections:

- the kill matrix (:mod:`reliability.kill_matrix`): ``kill -9`` of ingest, serve under a
  feed, plan, report and migrate, at three points each, and what was lost;
- a login flood with a 5k msg/s feed: ``GET /api/alerts`` p99 quiet, under the feed and
  under the feed plus 8 password guessers (``bench/bench_logins.py``);
- track viewers: ``GET /api/alerts`` p99 quiet and under four clients pulling a simulated
  day's tracks in a loop, every track in one answer against the shipped pages
  (:mod:`reliability.tracks`);
- the behaviour tests that carry their own figures (revocation of a streaming user,
  oversized and garbage datagrams, audit truncation and re-hashing, schemathesis with every
  role, reads while a writer holds the store, two servers with the leader killed): run here
  again, their result and what they print.

Usage: python -m reliability [--quick] [SECTION ...]   (sections: kill, logins, tracks, tests)
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "RELIABILITY.md"
RESULTS = ROOT / "reliability" / "results.json"

#: (title, pytest node ids): behaviour tests whose runs belong in the record
TESTS: list[tuple[str, list[str]]] = [
    ("Revocation of a streaming user (logout, disable, role, password, admin; two servers)",
     ["tests/api/test_session_streams.py", "tests/api/test_session_streams_servers.py",
      "tests/e2e/test_console_sessions.py"]),
    ("Reads while a writer holds the store", ["tests/api/test_reads_unlocked.py"]),
    ("Login throttling and lockout", ["tests/api/test_login_lockout.py"]),
    ("Schemathesis with every role: no 5xx", ["tests/api/test_fuzz_api.py"]),
    ("kill -9 during a file ingest, then the same ingest again",
     ["tests/ingest/test_crash.py"]),
    ("Two servers on one PostgreSQL, the detection leader killed",
     ["tests/e2e/test_two_servers.py"]),
]


def _pytest(nodes: list[str]) -> dict[str, Any]:
    existing = [n for n in nodes if (ROOT / n.split("::")[0]).exists()]
    if not existing:
        return {"result": "not run: no such test file", "nodes": nodes}
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                           "--durations=0", *existing], cwd=ROOT, capture_output=True,
                          text=True, timeout=3600)
    text = done.stdout + done.stderr
    summary = next((ln.strip("= ") for ln in reversed(text.splitlines())
                    if re.search(r"\d+ (passed|failed|error)", ln)), "no summary")
    printed = [ln.strip() for ln in text.splitlines()
               if not _noise(ln.strip()) and re.search(r"\d", ln)
               and not re.match(r"^[.sxFE]+\s*(\[|$)", ln.strip())
               and ("s " in ln or ":" in ln) and "passed" not in ln and len(ln) < 300
               and not ln.lstrip().startswith(("tests/", "=", "-", "(", "warnings"))]
    return {"result": summary, "exit": done.returncode, "wall_s": round(time.monotonic() - t0),
            "printed": printed[:12], "nodes": existing,
            "failures": [ln for ln in text.splitlines() if ln.startswith(("E ", "FAILED"))][:20]}


def _noise(line: str) -> bool:
    """pytest's durations and Hypothesis's seeds: not a test's figures."""
    return ("You can reproduce" in line
            or re.match(r"^[\d.]+s (call|setup|teardown) ", line) is not None)


def _md(results: dict[str, Any]) -> str:
    meta = results["_meta"]
    lines = [
        "# RELIABILITY",
        "",
        f"Written by `make reliability` on {meta['when']} from commit `{meta['commit']}` "
        f"({meta['cores']} cores, load average {meta['load_before']} before and "
        f"{meta['load_after']} after; {'quick' if meta['quick'] else 'full'} run, "
        f"{meta['wall_s']} s). Every figure below comes from this run; the machine is shared: "
        "quote ratios.",
        "",
    ]
    if "logins" in results:
        lg = results["logins"]
        lines += ["## Login flood with a 5k msg/s feed", "", *_own_run(lg),
                  f"`GET /api/alerts` as an admin, {lg.get('samples')} samples per phase, "
                  "p50 / p99 "
                  f"(`bench/bench_logins.py`; {lg.get('guessers')} guessing clients, feed "
                  f"target {lg.get('feed_target_per_s')} lines/s). The feed, the guessers "
                  "and an admin's open console each run in a process of their own; the "
                  "console's live stream is open in every phase. *Guessers' share*: feed + "
                  "guessers over the feed alone. *Quiet after*: the feed and the guessers "
                  "stopped and the server settled, over the alerts the feed raised (the "
                  "first quiet list was shorter). *default* is the shipped configuration: "
                  "a console polling the list gets the answer the server kept while no "
                  "alert changed; *answers_built* builds every answer from the store "
                  "(`serve.answer_cache_s = 0`).", "",
                  "| configuration | quiet | feed | feed + guessers | quiet after | p99 "
                  "ratio to quiet (to quiet after) | guessers' share | guesses answered | "
                  "outcome for the guessed account |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for phase in ("unthrottled", "default", "answers_built"):
            ph = lg.get(phase)
            if not isinstance(ph, dict):
                continue
            after = ph.get("right_password_after")
            outcome = (f"right password → {after['status']} (Retry-After {after['retry_after']}"
                       " s): locked" if after else "throttling off")
            if ph.get("admin_security_events"):
                outcome += f"; admin told: {ph['admin_security_events'][0].get('event')}"
            lines.append(f"| {phase} | {_p50_p99(ph['quiet'])} | {_p50_p99(ph['feed'])} | "
                         f"{_p50_p99(ph['feed_and_guessers'])} | "
                         f"{_p50_p99(ph['quiet_after']) if 'quiet_after' in ph else '—'} | "
                         f"{ph['p99_ratio_to_quiet']}× "
                         f"({ph.get('p99_ratio_to_quiet_after', '—')}×) | "
                         f"{ph.get('p99_ratio_to_feed_only', '—')}× | "
                         f"{', '.join(f'{n} × {k}' for k, n in ph.get('guesses', {}).items())}"
                         f" | {outcome} |")
        lines.append("")
    if "tracks" in results:
        lines += _tracks_md(results["tracks"])
    if "kill" in results:
        kill = results["kill"]
        lines += ["## Kill matrix", "",
                  "Each command on a copy of one store (a simulated red-team day ingested and "
                  f"detected: {kill.get('store')}), `kill -9` at 25, 50 and 75 % of its "
                  "clean run; then the store is opened, the audit chain verified, and the "
                  "command run again (ingest, plan, report, migrate).", "",
                  "| command | killed at | store opened | committed rows lost | audit verifies "
                  "| left behind | run again |", "|---|---|---|---|---|---|---|"]
        for name, rows in kill.items():
            if name == "store":
                continue
            if isinstance(rows, dict):
                lines.append(f"| {name} | — | error: {rows.get('error')} | | | | |")
                continue
            for r in rows:
                lost = r.get("lost_rows")
                lost_s = ("none" if lost == {} else json.dumps(lost) if lost is not None
                          else f"target rows after kill: {r.get('target_rows_after_kill')}")
                again = "—"
                if "again_exit" in r:
                    same = r.get("again_equals_clean", {})
                    again = (f"exit {r['again_exit']}; "
                             + ("same store as a clean run" if same and all(same.values())
                                else f"differs: {[t for t, ok in same.items() if not ok]}"))
                    if "output_after_again" in r:
                        again += f"; output {r['output_after_again']}"
                state = r.get("store_opened")
                opened = (state if isinstance(state, str) else "yes" if state
                          else f"NO: {r.get('open_error')}")
                verified = ("— (no chain yet)" if r.get("audit_verifies", False) is None
                            else "yes" if r.get("audit_verifies") else "NO")
                lines.append(
                    f"| {name} | {r['killed_at_s']} s of {r['of_clean_s']} s"
                    f"{' (had finished)' if r.get('finished_before_kill') else ''} | {opened} | "
                    f"{lost_s} | {verified} | "
                    f"{r.get('output_left', '—')} | {again} |")
        lines.append("")
    if "tests" in results:
        lines += ["## Behaviour tests", "",
                  "Run again here (`pytest -s`); what each printed with figures.", ""]
        for title, res in results["tests"].items():
            if title.startswith("_"):  # a partial run's own record (shown elsewhere)
                continue
            lines += [f"### {title}", "", f"`{' '.join(res.get('nodes', []))}`: "
                      f"**{res['result']}** ({res.get('wall_s', 0)} s)", ""]
            for p in res.get("printed", []):
                if not _noise(p):
                    lines.append(f"    {p}")
            for f in res.get("failures", []):
                lines.append(f"    {f}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _own_run(section: dict[str, Any]) -> list[str]:
    """For a section run on its own (``python -m reliability SECTION``): when, from which
    commit and at what load; nothing for one of the full run the header describes."""
    run = section.get("_run")
    if not run:
        return []
    return [f"Run on its own on {run['when']} from commit `{run['commit']}` (load "
            f"average {run['load_before']} before and {run['load_after']} after; "
            f"{'quick' if run['quick'] else 'full'} run, {run['wall_s']} s).", ""]


def _p50_p99(times: dict[str, float]) -> str:
    return f"{times['p50_ms']} / {times['p99_ms']} ms"


def _tracks_md(tr: dict[str, Any]) -> list[str]:
    if "error" in tr:
        return ["## Track viewers against the alert list", "", f"Not run: {tr['error']}", ""]
    st = tr.get("store", {})
    lines = ["## Track viewers against the alert list", "", *_own_run(tr)]
    lines += [
        f"`GET /api/alerts` as an admin, {tr.get('samples')} samples per phase, quiet and "
        f"while {tr.get('viewers')} clients pull every track of a simulated day "
        f"({st.get('hours')} h, {st.get('vessels')} vessels, {st.get('positions')} "
        "positions) again and again, following the `next` links "
        "(`reliability/tracks.py`). *one answer*: `serve.track_page_points` at its maximum, "
        "every track in one answer, as before paging; *pages*: the shipped default. Both "
        "build one track answer at a time (`serve.track_readers` = 1). The viewers run on "
        "the same two cores as the server.", "",
        "| configuration | quiet p99 | with viewers p99 (max) | ratio to quiet | largest "
        "answer | pages (whole days) pulled |", "|---|---|---|---|---|---|"]
    for phase in ("one answer", "pages"):
        ph = tr.get(phase)
        if not isinstance(ph, dict):
            continue
        lines.append(f"| {phase} | {ph['quiet']['p99_ms']} ms | {ph['viewers']['p99_ms']} ms "
                     f"({ph['viewers']['max_ms']} ms) | {ph['p99_ratio_to_quiet']}× | "
                     f"{ph['largest_page_mb']} MB | {ph['pages']} ({ph['whole_answers']}) |")
    return [*lines, ""]


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    wanted = [a for a in argv if not a.startswith("--")] or ["logins", "tracks", "kill", "tests"]
    started = time.monotonic()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    results: dict[str, Any] = {}
    load_before = [round(x, 2) for x in os.getloadavg()]
    if "logins" in wanted:
        print("== login flood", flush=True)
        from bench.bench_logins import run as logins

        results["logins"] = logins(quick)
    if "tracks" in wanted:
        print("== track viewers", flush=True)
        from reliability.tracks import run as track_viewers

        try:
            results["tracks"] = track_viewers(quick)
        except Exception as exc:  # reported in RELIABILITY.md; the other sections run
            results["tracks"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    if "kill" in wanted:
        from reliability.kill_matrix import run as kill

        with tempfile.TemporaryDirectory(prefix="khazar-kill-") as work:
            try:
                results["kill"] = kill(Path(work), quick)
            except Exception as exc:  # reported in RELIABILITY.md; the other sections run
                results["kill"] = {"store": None,
                                   "preparing": {"error": f"{type(exc).__name__}: {exc}"}}
    if "tests" in wanted:
        results["tests"] = {}
        for title, nodes in TESTS:
            print(f"== {title}", flush=True)
            results["tests"][title] = _pytest(nodes)
            print(f"   {results['tests'][title]['result']}", flush=True)
    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit,
        "cores": os.cpu_count(), "python": platform.python_version(), "quick": quick,
        "load_before": load_before, "load_after": [round(x, 2) for x in os.getloadavg()],
        "wall_s": round(time.monotonic() - started),
    }
    every = {"logins", "tracks", "kill", "tests"}
    if not every <= set(wanted) and RESULTS.exists():
        # a partial run: the other sections stay as the last run left them, and the ones
        # run now say when they were run (RELIABILITY.md prints it under their heading)
        earlier = json.loads(RESULTS.read_text())
        for name in wanted:
            if isinstance(results.get(name), dict):
                results[name]["_run"] = meta
        results = {**earlier, **{k: v for k, v in results.items() if k in wanted}}
    else:
        results["_meta"] = meta
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    OUT.write_text(_md(results))
    print(f"wrote {OUT.relative_to(ROOT)} and {RESULTS.relative_to(ROOT)}")
    failed = [t for t, r in results.get("tests", {}).items() if r.get("exit") not in (0, None)]
    return 1 if failed else 0


def rewrite() -> None:
    """RELIABILITY.md again from the last run's results.json (no run)."""
    OUT.write_text(_md(json.loads(RESULTS.read_text())))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
