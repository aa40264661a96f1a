"""The time-expanded patrol graph: patrol areas × time steps of one shift.

Nodes are ``(location, step)`` with locations = patrol areas ``0..A-1`` followed by the
bases ``A..A+K-1``; steps run ``0..T`` (``T = shift_h / step_h``). A boat of base ``k`` starts
at ``(base_k, 0)`` and must be at ``(base_k, T_k)`` where ``T_k = min(T, endurance)``; it waits
there until ``T``. An edge ``(i, t) → (j, t+1)`` exists when the water distance from ``i`` to
``j`` is at most the base's cruise speed × step (``i == j``: the boat stays and patrols).
The graph is built per base (a *commodity*): its boats must come back to their own base.
Area nodes a base's boats cannot reach in time, or from which they could not return in
time, are pruned. Pure: distances are given, nothing is read.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from khazar.errors import InputError

__all__ = ["BaseFleet", "TimeGraph", "build_time_graph"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class BaseFleet:
    """The boats of one base as one commodity of the flow (boats of a base are alike)."""

    name: str
    lat: float
    lon: float
    boats: tuple[str, ...]
    cruise_speed_kn: float  # slowest cruise speed of the base's boats
    endurance_h: float  # shortest endurance of the base's boats


@dataclass(frozen=True, slots=True)
class TimeGraph:
    """Edges of every commodity, as flat arrays (one entry per edge and commodity)."""

    n_areas: int
    bases: tuple[BaseFleet, ...]
    steps: int  # T: the last step index (the shift has T+1 instants)
    step_h: float
    src: IntArray  # node index of the tail: step * n_locations + location
    dst: IntArray  # node index of the head
    commodity: IntArray  # base index of the edge
    end_step: tuple[int, ...]  # T_k per base: back at base by this step

    @property
    def n_locations(self) -> int:
        return self.n_areas + len(self.bases)

    @property
    def n_nodes(self) -> int:
        return self.n_locations * (self.steps + 1)

    def loc(self, node: IntArray | int) -> IntArray | int:
        return node % self.n_locations

    def step(self, node: IntArray | int) -> IntArray | int:
        return node // self.n_locations

    def node(self, loc: int, step: int) -> int:
        return step * self.n_locations + loc

    def base_loc(self, k: int) -> int:
        return self.n_areas + k

    def is_area(self, node: IntArray) -> npt.NDArray[np.bool_]:
        return np.asarray(node % self.n_locations < self.n_areas)


def _hops(n_areas: int, adj: list[list[int]], starts: list[int]) -> IntArray:
    """Fewest steps from the base to each area (BFS); unreachable = a large number."""
    hops = np.full(n_areas, 10**9, dtype=np.int64)
    queue: deque[int] = deque()
    for s in starts:
        hops[s] = 1
        queue.append(s)
    while queue:
        i = queue.popleft()
        for j in adj[i]:
            if hops[j] > hops[i] + 1:
                hops[j] = hops[i] + 1
                queue.append(j)
    return hops


def build_time_graph(
    area_area_m: dict[tuple[int, int], float],
    base_area_m: list[dict[int, float]],
    n_areas: int,
    bases: tuple[BaseFleet, ...],
    shift_h: float,
    step_h: float,
) -> TimeGraph:
    """Build the graph from water distances.

    ``area_area_m[(i, j)]``: water distance between neighbouring area centres (only pairs
    that may be within one step are needed, both orders or one); ``base_area_m[k][j]``: water
    distance from base ``k`` to area ``j`` (only areas near the base are needed).
    """
    if step_h <= 0 or shift_h < step_h:
        raise InputError(f"shift {shift_h} h must be at least one step of {step_h} h")
    steps = round(shift_h / step_h)
    if abs(steps * step_h - shift_h) > 1e-9:
        raise InputError(f"shift {shift_h} h is not a whole number of {step_h} h steps")
    n_loc = n_areas + len(bases)
    src_all: list[IntArray] = []
    dst_all: list[IntArray] = []
    com_all: list[IntArray] = []
    end_steps: list[int] = []
    pairs = np.array(list(area_area_m.keys()), dtype=np.int64).reshape(-1, 2)
    dists = np.array(list(area_area_m.values()), dtype=np.float64)
    for k, base in enumerate(bases):
        reach_m = base.cruise_speed_kn * 1852.0 * step_h
        keep = dists <= reach_m
        p = pairs[keep]
        p = np.unique(np.vstack([p, p[:, ::-1], np.c_[np.arange(n_areas), np.arange(n_areas)]]),
                      axis=0)
        adj: list[list[int]] = [[] for _ in range(n_areas)]
        for i, j in p:
            if i != j:
                adj[int(i)].append(int(j))
        exits = [j for j, d in base_area_m[k].items() if d <= reach_m]
        hops = _hops(n_areas, adj, exits)
        end = min(steps, int(np.floor(base.endurance_h / step_h + 1e-9)))
        end_steps.append(end)
        bl = n_areas + k
        exits_arr = np.array(sorted(exits), dtype=np.int64)
        for t in range(steps):
            ok_t = (hops <= t) & (hops <= end - t)  # area usable at step t
            ok_t1 = (hops <= t + 1) & (hops <= end - t - 1)
            srcs = [np.array([t * n_loc + bl])]  # wait at base
            dsts = [np.array([(t + 1) * n_loc + bl])]
            m = ok_t[p[:, 0]] & ok_t1[p[:, 1]]
            srcs.append(t * n_loc + p[m, 0])
            dsts.append((t + 1) * n_loc + p[m, 1])
            if exits_arr.size:
                out = exits_arr[ok_t1[exits_arr]]
                srcs.append(np.full(out.size, t * n_loc + bl))
                dsts.append((t + 1) * n_loc + out)
                back = exits_arr[ok_t[exits_arr]]
                srcs.append(t * n_loc + back)
                dsts.append(np.full(back.size, (t + 1) * n_loc + bl))
            s = np.concatenate(srcs)
            d = np.concatenate(dsts)
            src_all.append(s)
            dst_all.append(d)
            com_all.append(np.full(s.size, k, dtype=np.int64))
    return TimeGraph(
        n_areas=n_areas,
        bases=bases,
        steps=steps,
        step_h=step_h,
        src=np.concatenate(src_all).astype(np.int64),
        dst=np.concatenate(dst_all).astype(np.int64),
        commodity=np.concatenate(com_all).astype(np.int64),
        end_step=tuple(end_steps),
    )


def restrict_to_owners(graph: TimeGraph, flow: FloatArray) -> TimeGraph:
    """The same graph with every area node owned by one base: the base carrying most of
    ``flow`` into it (nodes without flow: the base with most boats among those that can
    reach it). Bases then share no node, so the flow polytope is integral."""
    n_com = len(graph.bases)
    per = np.zeros((n_com, graph.n_nodes))
    np.add.at(per, (graph.commodity, graph.dst), flow)
    reach = np.zeros((n_com, graph.n_nodes))
    boats = np.array([len(b.boats) for b in graph.bases], dtype=np.float64)
    np.add.at(reach, (graph.commodity, graph.dst), 1e-9 * boats[graph.commodity])
    owner = np.argmax(per + reach, axis=0)
    area_src = graph.is_area(graph.src)
    area_dst = graph.is_area(graph.dst)
    keep = (~area_src | (owner[graph.src] == graph.commodity)) & (
        ~area_dst | (owner[graph.dst] == graph.commodity)
    )
    return TimeGraph(
        n_areas=graph.n_areas,
        bases=graph.bases,
        steps=graph.steps,
        step_h=graph.step_h,
        src=graph.src[keep],
        dst=graph.dst[keep],
        commodity=graph.commodity[keep],
        end_step=graph.end_step,
    )
