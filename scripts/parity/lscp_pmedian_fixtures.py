"""Generate the PySAL `spopt` parity fixtures of set covering (LSCP) and p-median in
tests/fixtures/lscp/*.json and tests/fixtures/pmedian/*.json.

Run with the parity venv (scripts/setup-parity.sh prints its python):

    "$(scripts/setup-parity.sh)" scripts/parity/lscp_pmedian_fixtures.py [--out-dir DIR]

Each fixture holds one hand-laid or seeded random (numpy default_rng) instance — demand points
with weights, candidate sites (some of them possibly "predefined": already open), a dense cost
matrix — and the optimum spopt finds with

    LSCP.from_cost_matrix(cost, service_radius, predefined_facilities_arr=...)
    PMedian.from_cost_matrix(cost, weights, p_facilities, predefined_facilities_arr=...)

then `.solve(pulp.PULP_CBC_CMD(msg=False))`. tests/siting_objectives_parity.rs must reach the
same objective: the number of sites for LSCP (exactly), the weighted total cost for p-median
(to 1e-9 relative). Running the script twice gives byte-identical files (solve times are
printed on the console only).

Conventions of spopt 0.7.0 (spopt/locate/coverage.py LSCP, spopt/locate/p_median.py PMedian,
spopt/locate/base.py FacilityModelBuilder) that a re-implementation must match
-----------------------------------------------------------------------------------------
Notation: demand point i with weight w_i, candidate j, cost c_ij (dense), radius S, p sites.

1. LSCP coverage is `c_ij <= S`, INCLUSIVE (`aij[cost_matrix <= service_radius] = 1`, on the
   float64 matrix), as for MCLP (see mclp_fixtures.py). The model: minimise sum_j y_j subject to
   sum_j aij y_j >= 1 for EVERY demand point, y binary. LSCP has no weights.

2. LSCP with a demand point that no candidate covers: the constraint 0 >= 1 makes the model
   infeasible; CBC reports it and `solve` raises RuntimeError("Model is not solved:
   Infeasible ..."). medatlas instead sets such points aside and lists them as uncoverable.
   Fixtures with uncoverable points (`uncoverable` non-empty) record spopt's optimum on the
   other rows (the same matrix without those rows) and this script checks that spopt raises on
   the full matrix.

3. Predefined facilities (`predefined_facilities_arr`, here a 0/1 array of one entry per
   candidate: an array as long as the candidates is read as dummies, a shorter one as indices)
   are fixed open (`fixValue()` at 1). They COUNT in LSCP's objective and in PMedian's p
   (`sum_j y_j == p`). medatlas models them as existing sites outside the candidates: for LSCP
   the points they cover need nothing and its count is spopt's minus the predefined ones; for
   p-median k = p - (number predefined) and each point's cost to the existing sites is its
   least cost to a predefined one. Fixture field `predefined` lists them.

4. PMedian: minimise sum_ij (w_i c_ij) z_ij subject to sum_j z_ij == 1 for every i,
   z_ij <= y_j, sum_j y_j == p, all binary: every point assigned to one open site; at an optimum
   the nearest (ties: any of them, same objective). The objective coefficients are the numpy
   products w_i * c_ij, reaching CBC through pulp's MPS file at 13 significant digits: the
   fixture's `total_cost` is recomputed here from spopt's selection as sum_i w_i * min_j c_ij
   over demand order (plain f64 additions), and checked against spopt's objective value to
   1e-9 relative. A weight of 0 is allowed (such a point costs nothing anywhere).

5. Ties: several selections can reach the optimum. `selected` is only the one CBC returned;
   tests compare objectives, not selections. Where C(m, p) is small the optimum is also
   checked here by enumerating every selection.

6. Exactly p sites (`== p`): extra sites never hurt p-median, so p sites are always opened.
   Infeasible requests (p larger than the candidates) make CBC report the model infeasible;
   medatlas answers them with a typed error before solving (tested in Rust, no fixture).

Fixture format: see write_fixture(). `cost[i][j]` is the cost from demand i to candidate j;
integral costs are written as JSON integers, others in the shortest form that reads back to the
same f64.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pulp

import spopt
from spopt.locate import LSCP, PMedian

GENERATOR = "scripts/parity/lscp_pmedian_fixtures.py"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "tests" / "fixtures"
BRUTE_FORCE_MAX = 50_000

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=FutureWarning)


def cbc():
    return pulp.PULP_CBC_CMD(msg=False)


def dumps(v) -> str:
    return json.dumps(v, allow_nan=False, ensure_ascii=False)


def cost_text(c: float) -> str:
    assert math.isfinite(c) and c >= 0.0
    if c == int(c) and abs(c) < 2**53:
        return str(int(c))
    return repr(c)


def dummies(m: int, predefined) -> np.ndarray | None:
    if not predefined:
        return None
    d = np.zeros(m, dtype=int)
    d[list(predefined)] = 1
    return d


# ---------------------------------------------------------------------------------------
# Solving


def solve_lscp(cost: np.ndarray, radius: float, predefined):
    t0 = time.perf_counter()
    model = LSCP.from_cost_matrix(cost, radius, predefined_facilities_arr=dummies(cost.shape[1], predefined))
    model = model.solve(cbc())
    secs = time.perf_counter() - t0
    selected = [j for j, v in enumerate(model.fac_vars) if v.value() > 0.5]
    return selected, float(model.problem.objective.value()), pulp.LpStatus[model.problem.status], secs


def solve_pmedian(cost: np.ndarray, weights: np.ndarray, p: int, predefined):
    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(cost, weights, p, predefined_facilities_arr=dummies(cost.shape[1], predefined))
    model = model.solve(cbc())
    secs = time.perf_counter() - t0
    selected = [j for j, v in enumerate(model.fac_vars) if v.value() > 0.5]
    return selected, float(model.problem.objective.value()), pulp.LpStatus[model.problem.status], secs


def median_cost(cost: np.ndarray, weights: np.ndarray, selected) -> float:
    """sum_i w_i * min_{j in selected} c_ij, left to right in demand order."""
    nearest = cost[:, list(selected)].min(axis=1)
    s = 0.0
    for w, c in zip(weights.tolist(), nearest.tolist()):
        s += w * c
    return s


def lscp_brute_force(a: np.ndarray, predefined, max_extra: int):
    """Fewest extra candidates covering every row (predefined ones open), by enumeration."""
    m = a.shape[1]
    base = a[:, list(predefined)].any(axis=1) if predefined else np.zeros(a.shape[0], bool)
    free = [j for j in range(m) if j not in predefined]
    for r in range(0, max_extra + 1):
        for combo in itertools.combinations(free, r):
            if (base | a[:, list(combo)].any(axis=1)).all():
                return r
    return None


def pmedian_brute_force(cost, weights, p, predefined):
    free = [j for j in range(cost.shape[1]) if j not in predefined]
    best = math.inf
    for combo in itertools.combinations(free, p - len(predefined)):
        best = min(best, median_cost(cost, weights, list(predefined) + list(combo)))
    return best


# ---------------------------------------------------------------------------------------
# Writing


def write_fixture(path: Path, head: dict, demand, candidates, cost, tail: dict) -> int:
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {dumps(k)}: {dumps(v)},")
    lines.append('  "demand": [')
    lines.append(",\n".join(f"    {dumps({'id': d, 'weight': w})}" for d, w in demand))
    lines.append("  ],")
    lines.append(f'  "candidates": {dumps(candidates)},')
    lines.append('  "cost": [')
    lines.append(",\n".join("    [" + ",".join(cost_text(c) for c in row) + "]" for row in cost.tolist()))
    lines.append("  ],")
    items = list(tail.items())
    for n, (k, v) in enumerate(items):
        comma = "," if n + 1 < len(items) else ""
        lines.append(f"  {dumps(k)}: {dumps(v)}{comma}")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    back = json.loads(text)
    assert back["cost"] == cost.tolist()
    assert [d["weight"] for d in back["demand"]] == [w for _, w in demand]
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def head(seed, description):
    return {
        "generator": GENERATOR,
        "spopt_version": spopt.__version__,
        "pulp_version": pulp.__version__,
        "seed": seed,
        "description": description,
    }


def make_lscp(path: Path, seed, description, weights, cost, radius, predefined):
    weights = np.asarray(weights, dtype=np.float64)
    cost = np.asarray(cost, dtype=np.float64)
    n, m = cost.shape
    a = cost <= radius
    demand_ids = [f"d{i}" for i in range(n)]
    cand_ids = [f"c{j}" for j in range(m)]
    uncoverable = [i for i in range(n) if not a[i].any()]
    rows = [i for i in range(n) if a[i].any()]
    if uncoverable:
        try:
            solve_lscp(cost, radius, predefined)
            raise AssertionError("spopt solved an LSCP with an uncoverable point")
        except RuntimeError as e:
            assert "Infeasible" in str(e), e
    selected, objective, status, secs = solve_lscp(cost[rows], radius, predefined)
    assert status == "Optimal", status
    assert objective == len(selected), (objective, selected)
    assert all(j in selected for j in predefined)
    assert a[np.ix_(rows, selected)].any(axis=1).all(), "spopt's selection leaves a row uncovered"
    new_sites = len(selected) - len(predefined)
    facts = ""
    if new_sites <= 4 and math.comb(m, new_sites) <= BRUTE_FORCE_MAX:
        bf = lscp_brute_force(a[rows], predefined, new_sites)
        assert bf == new_sites, (bf, new_sites)
        facts = f" Enumeration confirms that no {new_sites - 1} extra sites suffice." if new_sites else ""
    on_radius = int((cost == radius).sum())
    strict_rows = [i for i in rows if (cost[i] < radius).any()]
    description += (
        f" spopt/CBC optimum: {len(selected)} sites ({len(predefined)} predefined, {new_sites} new);"
        f" {len(uncoverable)} uncoverable demand points; {on_radius} cost cells equal the radius"
        f" ({len(rows) - len(strict_rows)} rows covered only at exactly the radius).{facts}"
    )
    tail = {
        "service_radius": float(radius),
        "predefined": [cand_ids[j] for j in predefined],
        "uncoverable": [demand_ids[i] for i in uncoverable],
        "spopt": {
            "selected": [cand_ids[j] for j in selected],
            "sites": len(selected),
            "new_sites": new_sites,
            "status": status,
        },
    }
    size = write_fixture(path, head(seed, description), list(zip(demand_ids, weights.tolist())), cand_ids, cost, tail)
    return f"{path.name}: {n}x{m} radius {radius}: {len(selected)} sites ({new_sites} new), {len(uncoverable)} uncoverable, CBC {secs:.2f} s, {size} bytes"


def make_pmedian(path: Path, seed, description, weights, cost, p, predefined):
    weights = np.asarray(weights, dtype=np.float64)
    cost = np.asarray(cost, dtype=np.float64)
    n, m = cost.shape
    assert (weights >= 0).all() and np.isfinite(cost).all() and (cost >= 0).all() and 1 <= p <= m
    demand_ids = [f"d{i}" for i in range(n)]
    cand_ids = [f"c{j}" for j in range(m)]
    selected, objective, status, secs = solve_pmedian(cost, weights, p, predefined)
    assert status == "Optimal", status
    assert len(selected) == p and all(j in selected for j in predefined)
    total = median_cost(cost, weights, selected)
    assert abs(total - objective) <= 1e-9 * max(1.0, total), (total, objective)
    facts = ""
    if math.comb(m - len(predefined), p - len(predefined)) <= BRUTE_FORCE_MAX:
        bf = pmedian_brute_force(cost, weights, p, predefined)
        assert abs(bf - total) <= 1e-9 * max(1.0, total), (bf, total)
        facts = f" Enumeration of all {math.comb(m - len(predefined), p - len(predefined))} selections confirms the optimum."
    total_weight = float(sum(weights.tolist()))
    description += (
        f" spopt/CBC optimum: weighted cost {total!r} (mean {total / total_weight:.4f} per unit"
        f" of weight); p = {p} including {len(predefined)} predefined.{facts}"
    )
    tail = {
        "p": int(p),
        "predefined": [cand_ids[j] for j in predefined],
        "spopt": {
            "selected": [cand_ids[j] for j in selected],
            "total_cost": total,
            "objective": objective,
            "status": status,
        },
        "total_weight": total_weight,
    }
    size = write_fixture(path, head(seed, description), list(zip(demand_ids, weights.tolist())), cand_ids, cost, tail)
    return f"{path.name}: {n}x{m} p={p}: cost {total!r}, CBC {secs:.2f} s, {size} bytes"


# ---------------------------------------------------------------------------------------
# Instances


def geographic(seed, n_d, n_c, side_km, n_towns, cutoff=None, frac_weights=False, resolution=0.1, zero_weights=0):
    """Demand points in a square, 70% around a few towns, 30% uniform; half the candidates at
    demand points (cost 0 there), half uniform. Minutes = distance x 1.5 min/km x a per-pair
    detour in [1, 1.4], rounded to `resolution`; above `cutoff` (a distancier's range) set to
    `cutoff`. Lognormal populations (median ~400), whole or to 0.1; `zero_weights` of them 0."""
    rng = np.random.default_rng(seed)
    towns = rng.uniform(0.1 * side_km, 0.9 * side_km, size=(n_towns, 2))
    n_town = int(round(0.7 * n_d))
    which = rng.integers(n_towns, size=n_town)
    spread = rng.uniform(1.5, 5.0, size=n_towns)
    near = towns[which] + rng.normal(size=(n_town, 2)) * spread[which, None]
    far = rng.uniform(0, side_km, size=(n_d - n_town, 2))
    dxy = np.clip(np.vstack([near, far]), 0, side_km)[rng.permutation(n_d)]
    at = rng.choice(n_d, size=n_c // 2, replace=False)
    cxy = np.vstack([dxy[at], rng.uniform(0, side_km, size=(n_c - n_c // 2, 2))])[rng.permutation(n_c)]
    dist = np.sqrt(((dxy[:, None, :] - cxy[None, :, :]) ** 2).sum(axis=2))
    minutes = dist * 1.5 * rng.uniform(1.0, 1.4, size=dist.shape)
    minutes = np.round(np.round(minutes / resolution) * resolution, 1)
    if cutoff is not None:
        minutes = np.minimum(minutes, cutoff)
    pop = rng.lognormal(6.0, 1.3, size=n_d)
    weights = np.round(pop, 1) + 1.0 if frac_weights else np.round(pop) + 1.0
    if zero_weights:
        weights[rng.choice(n_d, size=zero_weights, replace=False)] = 0.0
    return weights, minutes


def odd_cycle(seed, length=7, radius=10.0):
    """`length` rows on a cycle of `length` candidates: row r covered by c_r (at exactly the
    radius for even r) and c_(r+1) (below it); every other cost above the radius. The LP
    relaxation is length/2, the optimum ceil(length/2)."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(int(radius) + 1, 40, size=(length, length)).astype(np.float64)
    for r in range(length):
        cost[r, r] = radius if r % 2 == 0 else radius - 0.5
        cost[r, (r + 1) % length] = radius - 2.25
    return np.ones(length), cost


def ties_integer(seed, n=60, m=15):
    """Integer costs, 30% of them from {14, 15, 15, 15, 16}, the rest in [0, 39]."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(50, 5000, size=n).astype(np.float64)
    hot = np.array([14, 15, 15, 15, 16])
    cost = np.where(rng.random(size=(n, m)) < 0.3, rng.choice(hot, size=(n, m)), rng.integers(0, 40, size=(n, m))).astype(np.float64)
    return weights, cost


def hand_line(seed):
    """Six towns on a road at km 0, 2, 3, 9, 10, 14 (weights 300, 80, 120, 90, 400, 60),
    candidates at the towns, minutes = km x 1.25. p = 2: the single best site (km 9, 3)
    is in no optimal pair; greedy opens it first, interchange must move it."""
    km = np.array([0.0, 2.0, 3.0, 9.0, 10.0, 14.0])
    weights = np.array([300.0, 80.0, 120.0, 90.0, 400.0, 60.0])
    return weights, np.abs(km[:, None] - km[None, :]) * 1.25


LSCP_INSTANCES = [
    ("odd_cycle_7.json", 1, lambda s: odd_cycle(s), 10.0, [],
     "Hand-laid 7-cycle: row r covered by c_r (at exactly the radius 10 for even r: inclusive rule) "
     "and c_(r+1) at 7.75; every other cost in [11, 39]. LP relaxation 3.5, packing bound 3, optimum 4."),
    ("ties_integer_60x15_r15.json", 11, lambda s: ties_integer(s), 15.0, [],
     "60x15, integer costs, 30% of them from {14, 15, 15, 15, 16}: pins the inclusive <= on ties; radius 15."),
    ("geo_200x40_r10.json", 101, lambda s: geographic(s, 200, 40, 40.0, 5, cutoff=30.0), 10.0, [],
     "200x40 geographic instance (40 km square, 5 towns, minutes = km x 1.5 x detour [1, 1.4] to 0.1, 30-min cutoff), radius 10."),
    ("geo_300x80_r12_predefined.json", 202, lambda s: geographic(s, 300, 80, 60.0, 7, cutoff=30.0), 12.0, [3, 17, 42],
     "300x80 geographic instance (60 km square, 7 towns), radius 12, candidates c3, c17, c42 predefined (existing sites)."),
    ("geo_400x100_r8_uncoverable.json", 303, lambda s: geographic(s, 400, 100, 80.0, 8, cutoff=30.0), 8.0, [],
     "400x100 geographic instance (80 km square, 8 towns), radius 8: some points no candidate reaches (spopt: infeasible)."),
    ("geo_250x120_r15_whole_minutes.json", 404, lambda s: geographic(s, 250, 120, 70.0, 10, cutoff=30.0, resolution=1.0), 15.0, [],
     "250x120 geographic instance (70 km square, 10 towns), whole minutes (many ties on the radius), radius 15."),
]

PMEDIAN_INSTANCES = [
    ("hand_line_6_p2.json", 0, hand_line, 2, [],
     "Hand-laid: six towns on a road at km 0, 2, 3, 9, 10, 14 (weights 300, 80, 120, 90, 400, 60), minutes = km x 1.25, p = 2."),
    ("ties_integer_60x15_p3.json", 11, lambda s: ties_integer(s), 3, [],
     "60x15, integer costs with many equal values, p = 3."),
    ("geo_100x30_p4.json", 101, lambda s: geographic(s, 100, 30, 40.0, 4), 4, [],
     "100x30 geographic instance (40 km square, 4 towns, no cutoff), p = 4."),
    ("geo_200x50_p5_predefined.json", 202, lambda s: geographic(s, 200, 50, 60.0, 6), 5, [7, 31],
     "200x50 geographic instance (60 km square, 6 towns), p = 5 including c7 and c31 predefined (existing sites): 3 new."),
    ("geo_300x60_p8_frac_zero.json", 303, lambda s: geographic(s, 300, 60, 70.0, 8, frac_weights=True, zero_weights=10), 8, [],
     "300x60 geographic instance (70 km square, 8 towns), 0.1-resolution weights, 10 of them 0, p = 8."),
    ("geo_400x80_p10_cutoff.json", 404, lambda s: geographic(s, 400, 80, 90.0, 10, cutoff=30.0), 10, [],
     "400x80 geographic instance (90 km square, 10 towns), times above 30 min set to 30 (ties), p = 10."),
    ("geo_150x150_p1.json", 505, lambda s: geographic(s, 150, 150, 50.0, 3), 1, [],
     "150x150 geographic instance (50 km square, 3 towns), p = 1: the 1-median."),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--only", help="only the fixtures whose file name contains this")
    args = ap.parse_args(argv)
    for sub, instances in (("lscp", LSCP_INSTANCES), ("pmedian", PMEDIAN_INSTANCES)):
        out = args.out_dir / sub
        out.mkdir(parents=True, exist_ok=True)
        for fname, seed, build, param, predefined, description in instances:
            if args.only and args.only not in fname:
                continue
            weights, cost = build(seed)
            if sub == "lscp":
                line = make_lscp(out / fname, seed, description, weights, cost, param, predefined)
            else:
                line = make_pmedian(out / fname, seed, description, weights, cost, param, predefined)
            print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
