"""Security-game solvers against published references and against each other."""

from __future__ import annotations

import itertools
import math

import nashpy
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khazar.errors import GameError
from khazar.patrol.eraser import solve_eraser
from khazar.patrol.game import SecurityGame, Status, game_from_dict
from khazar.patrol.lp import solve_bimatrix_stackelberg, solve_multiple_lp, solve_zero_sum
from khazar.patrol.origami import solve_origami

# Kukreja, Halfond & Tambe (2013), 1 resource, 5 targets.
KUKREJA = SecurityGame.from_arrays(
    1,
    udc=[2, 7, 6, 9, 9],
    udu=[-10, -4, -1, -9, -9],
    uac=[-7, -1, -6, -3, -10],
    uau=[4, 3, 5, 7, 3],
)
KUKREJA_COVERAGE = [0.1398, 0.1344, 0.2307, 0.4538, 0.0414]


@pytest.mark.parametrize("solver", [solve_origami, solve_multiple_lp, solve_eraser])
def test_kukreja_reference(solver):  # type: ignore[no-untyped-def]
    sol = solver(KUKREJA)
    assert sol.status is Status.OPTIMAL
    assert np.allclose(sol.coverage, KUKREJA_COVERAGE, atol=1e-4)
    assert sol.defender_utility == pytest.approx(0.614850, abs=1e-6)
    # the attacker is indifferent between targets 0..3 (utility ≈ 2.46); target 2 is best
    # for the defender, so strong Stackelberg tie-breaking makes it the attacked one
    assert sol.attacked_target == 2


def test_openspiel_normal_form_check() -> None:
    sol = solve_bimatrix_stackelberg([[2, 4], [1, 3]], [[1, 0], [0, 1]])
    assert sol.status is Status.OPTIMAL
    assert sol.leader_strategy == pytest.approx((0.5, 0.5), abs=1e-9)
    assert sol.leader_value == pytest.approx(3.5, abs=1e-9)
    assert sol.follower_action == 1


@st.composite
def games(draw: st.DrawFn, zero_sum: bool = False) -> SecurityGame:
    n = draw(st.integers(1, 50))
    m = draw(st.integers(0, min(n, 12)) if zero_sum else st.floats(0.0, float(n)))
    vals = st.floats(0.0, 10.0, allow_nan=False).map(lambda v: round(v, 3))
    pos = st.floats(0.05, 10.0).map(lambda v: round(v, 3))
    udu = [-draw(vals) for _ in range(n)]
    udc = [u + draw(pos) for u in udu]
    if zero_sum:
        return SecurityGame.from_arrays(m, udc, udu, [-x for x in udc], [-x for x in udu],
                                        zero_sum=True)
    uau = [draw(vals) for _ in range(n)]
    uac = [u - draw(pos) for u in uau]
    return SecurityGame.from_arrays(m, udc, udu, uac, uau)


@settings(max_examples=40, deadline=None)
@given(games())
def test_origami_multiple_lp_eraser_agree(game: SecurityGame) -> None:
    o, lp, er = solve_origami(game), solve_multiple_lp(game), solve_eraser(game)
    assert o.ok and lp.ok and er.ok
    assert lp.defender_utility == pytest.approx(o.defender_utility, abs=1e-6)
    assert er.defender_utility == pytest.approx(o.defender_utility, abs=1e-6)
    # ORIGAMI's coverage is a valid strategy: at most m resources, each in [0, 1]
    assert sum(o.coverage) <= game.resources + 1e-9
    assert all(0.0 <= c <= 1.0 for c in o.coverage)


def _pure_matrix(game: SecurityGame) -> np.ndarray:
    udc, udu, _, _ = game.arrays()
    m = int(game.resources)
    rows = []
    for subset in itertools.combinations(range(game.n), min(m, game.n)):
        covered = np.zeros(game.n, dtype=bool)
        covered[list(subset)] = True
        rows.append(np.where(covered, udc, udu))
    return np.array(rows)


@settings(max_examples=25, deadline=None)
@given(games(zero_sum=True).filter(lambda g: math.comb(g.n, int(g.resources)) <= 300))
def test_zero_sum_matches_nashpy(game: SecurityGame) -> None:
    sol = solve_zero_sum(game)
    assert sol.ok
    a = _pure_matrix(game)
    row, col = nashpy.Game(a, -a).linear_program()
    value = float(row @ a @ col)
    assert sol.defender_utility == pytest.approx(value, abs=1e-6)
    # and ORIGAMI (attacker-utility minimisation) gives the same value on zero-sum games
    assert solve_origami(game).defender_utility == pytest.approx(value, abs=1e-6)


def test_all_resources_cover_everything() -> None:
    game = SecurityGame.from_arrays(3, [1, 1, 1], [-5, -2, -1], [-1, -1, -1], [5, 2, 1])
    for solver in (solve_origami, solve_multiple_lp, solve_eraser):
        sol = solver(game)
        assert sol.coverage == pytest.approx((1.0, 1.0, 1.0))
        assert sol.defender_utility == pytest.approx(1.0)


def test_origami_refuses_non_security_payoffs_as_a_value() -> None:
    game = SecurityGame.from_arrays(1, [1, 1], [-1, -1], [3, -1], [2, 1])  # Uac > Uau
    sol = solve_origami(game)
    assert sol.status is Status.ERROR
    assert "t0" in sol.message
    assert math.isnan(sol.defender_utility)
    assert solve_multiple_lp(game).ok


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"targets": []}, "resources"),
        ({"resources": "two", "targets": []}, "resources"),
        ({"resources": 1, "targets": []}, "targets"),
        ({"resources": 1, "targets": [{"id": "a"}]}, "targets[0].defender_covered"),
        (
            {"resources": 1, "targets": [{"id": "a", "defender_covered": 1,
                                          "defender_uncovered": "x", "attacker_covered": 0,
                                          "attacker_uncovered": 1}]},
            "targets[0].defender_uncovered",
        ),
        ({"resources": 1, "targets": [{"defender_covered": 1}]}, "targets[0].id"),
        ({"resources": 1, "zero_sum": "yes", "targets": [{"id": "a"}]}, "zero_sum"),
    ],
)
def test_malformed_game_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(GameError, match=field.replace("[", r"\[").replace("]", r"\]")):
        game_from_dict(data)


def test_duplicate_ids_rejected() -> None:
    t = {"id": "a", "defender_covered": 1, "defender_uncovered": 0, "attacker_covered": 0,
         "attacker_uncovered": 1}
    with pytest.raises(GameError, match="repeated"):
        game_from_dict({"resources": 1, "targets": [t, t]})


def test_public_surface() -> None:
    import khazar.patrol as patrol

    assert set(patrol.__all__) <= set(dir(patrol))
    assert {"solve_game", "plan_shift", "plan_dispatch", "evaluate_policies"} <= set(patrol.__all__)
