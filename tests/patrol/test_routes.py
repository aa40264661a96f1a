"""Executable routes: exact decomposition, sampling frequencies, feasibility."""

from __future__ import annotations

import numpy as np
import pytest
from tests.patrol.builders import grid_plan, grid_problem

from khazar.patrol.colgen import column_generation, exact_capture
from khazar.patrol.decompose import decompose, plan_coverage
from khazar.patrol.evaluate import evaluate_policies
from khazar.patrol.flowlp import capture_matrix
from khazar.patrol.game import Status
from khazar.patrol.routes import RoutePlan, sample_plans, sample_shift

Fixture = tuple[RoutePlan, dict[tuple[int, int], float], list[dict[int, float]]]


@pytest.fixture(scope="module")
def two_bases() -> Fixture:
    return grid_plan(hours=4.0)


def test_lp_solves_and_weights_reproduce_coverage(two_bases: Fixture) -> None:
    rp, _, _ = two_bases
    assert rp.status is Status.OPTIMAL
    dec = rp.decomposition
    assert dec.complete
    assert sum(dec.weights) == pytest.approx(1.0, abs=1e-12)
    cov = plan_coverage(rp.graph, dec.plans, dec.weights)
    assert np.abs(cov - rp.solution.coverage).max() <= 1e-6
    assert dec.max_coverage_error <= 1e-6
    assert len(dec.plans) > 1  # randomized, not a single fixed round


def test_single_base_extraction_is_exact() -> None:
    rp, _, _ = grid_plan(hours=3.0, bases=((0, 0, 3),), n=5)
    assert "column generation" not in " ".join(rp.notes)
    dec = decompose(rp.graph, rp.solution.flow)
    assert dec.complete
    cov = plan_coverage(rp.graph, dec.plans, dec.weights)
    assert np.abs(cov - rp.solution.coverage).max() <= 1e-9


def test_sampled_frequencies_match_coverage(two_bases: Fixture) -> None:
    rp, _, _ = two_bases
    n = 10_000
    idx = sample_plans(rp, n, seed=42)
    dec = rp.decomposition
    counts = np.bincount(idx, minlength=len(dec.plans)) / n
    emp = plan_coverage(rp.graph, dec.plans, list(counts))
    p = rp.solution.coverage
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(emp - p) <= 5 * se + 1e-12)


def test_every_route_is_feasible(two_bases: Fixture) -> None:
    rp, aa, ba = two_bases
    g = rp.graph
    for plan in rp.decomposition.plans:
        seen: set[tuple[int, int]] = set()
        for route, k in zip(plan.routes, plan.bases, strict=True):
            base = g.bases[k]
            reach = base.cruise_speed_kn * 1852.0 * g.step_h
            assert route[0] == route[-1] == g.base_loc(k)  # from home base, back at it
            assert all(loc == g.base_loc(k) for loc in route[g.end_step[k]:])  # endurance
            for t in range(1, len(route)):
                a, b = route[t - 1], route[t]
                if a == b:
                    continue
                if a >= g.n_areas:
                    d = ba[k][b]
                elif b >= g.n_areas:
                    d = ba[k][a]
                else:
                    d = aa[(min(a, b), max(a, b))]
                assert d <= reach + 1e-6  # within cruise speed for one step
                if b < g.n_areas:
                    assert (b, t) not in seen  # one boat per (area, step)
                    seen.add((b, t))


def test_sampling_is_reproducible(two_bases: Fixture) -> None:
    rp, _, _ = two_bases
    assert sample_shift(rp, 7).plan_index == sample_shift(rp, 7).plan_index


def test_observing_attacker_gains_least_against_the_game_plan(two_bases: Fixture) -> None:
    rp, _, _ = two_bases
    pay = grid_problem()[-1]
    res = {r.policy: r for r in evaluate_policies(
        rp.graph, pay, -pay.udu, rp.decomposition.plans, rp.decomposition.weights, 2,
        n_observed=30, n_uniform=200, seed=1)}
    assert res["game"].attacker_gain < res["uniform"].attacker_gain
    assert res["game"].attacker_gain < res["fixed"].attacker_gain


def test_column_generation_is_bounded_by_the_flow_lp(two_bases: Fixture) -> None:
    rp, _, _ = two_bases
    pay = grid_problem()[-1]
    g = rp.graph
    capm = capture_matrix(g, 2)
    cg = column_generation(g, pay, capm, [], 1e-3, 2, budget_s=60.0)
    assert sum(cg.weights) == pytest.approx(1.0)
    # the flow LP is a relaxation of the mixtures of joint plans: its value bounds the master
    assert cg.attacker_utility >= rp.solution.attacker_utility - 1e-7
    # and the master's value is what its mixture really achieves (exact capture)
    cap = sum(w * exact_capture(g, p, 2) for p, w in zip(cg.plans, cg.weights, strict=True))
    n_w = capm.shape[0] // g.n_areas
    reach = np.diff(capm.indptr) > 0
    ua = np.repeat(pay.uac, n_w) * cap + np.repeat(pay.uau, n_w) * (1 - cap)
    assert float(ua[reach].max()) == pytest.approx(cg.attacker_utility, abs=1e-6)
    assert cg.attacker_utility <= rp.solution.attacker_utility * 1.25 + 1e-9
