"""Generate the PySAL `spopt` MCLP parity fixtures in tests/fixtures/mclp/*.json.

Run with the parity venv (scripts/setup-parity.sh prints its python):

    "$(scripts/setup-parity.sh)" scripts/parity/mclp_fixtures.py [--out-dir DIR]

Each fixture holds one random (seeded, numpy default_rng) or hand-laid instance of the maximal
covering location problem — demand points with weights, candidate sites, a dense cost matrix,
a service radius and p — and the optimum that spopt finds for it with
`spopt.locate.MCLP.from_cost_matrix(cost, weights, service_radius, p_facilities)` then
`.solve(pulp.PULP_CBC_CMD(msg=False))`. The Rust tests read the files and must reach the same
covered weight. Running the script twice gives byte-identical files (solve times, which vary,
are printed on the console only, with the weight a plain greedy and a greedy + interchange
reach on each instance).

Conventions of spopt 0.7.0 (spopt/locate/coverage.py MCLP, spopt/locate/base.py
FacilityModelBuilder and mixins) that a re-implementation must match
-----------------------------------------------------------------------------------------
Notation: demand point i with weight w_i, candidate j, cost c_ij (dense, every pair), radius S.

1. Coverage is `c_ij <= S`, INCLUSIVE: from_cost_matrix builds `aij[cost_matrix <= S] = 1`
   on the float64 matrix, exactly that comparison. (The class docstring writes
   N_i = {j | d_ij < S}, strict; the code is inclusive, and the code is what runs.) A cost
   equal to the radius covers; a cost one ulp above does not; a cost of 0 covers. The costs
   in the files round-trip exactly to the f64 that spopt compared.

2. The model: maximize sum_i w_i * y_i subject to y_i <= sum_j aij * x_j for every i,
   sum_j x_j == p, x_j and y_i binary. So a demand point counts ONCE (y_i <= 1) however many
   selected sites cover it; a point that no candidate reaches within S can never count.

3. Exactly p sites are selected (`== p`, not `<= p`): when fewer sites already cover all
   that can be covered, spopt still opens p, the extra ones arbitrary (zero marginal gain).
   `spopt.selected` always holds exactly p distinct candidate ids, in candidate order.

4. The optimum is a proven CBC optimum (status "Optimal"; CBC 2.10.3 as bundled in pulp, run
   single-threaded with its defaults: no relative gap, so the objective is exact). The
   objective coefficients reach CBC through pulp's MPS file at 13 significant digits; every
   weight here has fewer, so CBC optimizes the exact weights. Several selections can reach
   the optimal weight: `selected` is then only the one CBC returned, and the Rust test must
   compare `covered_weight`, not the selection. Each description says whether the optimal
   selection is unique (by enumerating all C(m, p) selections where that is cheap, otherwise
   by re-solving with a no-good cut excluding spopt's selection).

5. Results: `covered_demand` is every demand id with at least one selected candidate at
   cost <= S (rule 1), in demand order; `covered_weight` is the sum of their weights added
   left to right in demand order (plain f64 additions: a Rust sum in the same order is bit
   for bit equal; with the integer weights of most instances any order is exact). Both are
   recomputed here from the selection, and checked against spopt: the objective value (to
   1e-9 relative) and `cli2fac` (the demand points spopt reports as served: non-empty rows).
   They agree on every instance. (`fac2cli` / `cli2fac` follow the y_i variables, so they
   would leave out a covered point of weight 0; every weight here is > 0.)

6. Each weight is > 0 and every cost >= 0 and finite. Weights are written as floats
   (1234.0); costs are written in the shortest form that reads back to the same f64, so
   integral costs are written as JSON integers (15, not 15.0) to keep the files small.

Fixture format: see write_fixture(). One JSON document; demand entries and cost rows one a
line; `cost[i][j]` is the cost from demand i to candidate j (len(demand) rows of
len(candidates)); `total_weight` is the sum of all weights in demand order.
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
from spopt.locate import MCLP

GENERATOR = "scripts/parity/mclp_fixtures.py"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "tests" / "fixtures" / "mclp"
# Enumerate every selection to prove uniqueness / optimality when there are at most this many.
BRUTE_FORCE_MAX = 200_000
# Travel times of the geographic instances are capped here (> every radius they use).
CUTOFF_MIN = 30.0

# pulp 3.3 flags PULP_CBC_CMD as deprecated (for pulp 4.0); it is still the bundled CBC.
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=FutureWarning)


# ---------------------------------------------------------------------------------------
# Solving


def solve_spopt(cost: np.ndarray, weights: np.ndarray, radius: float, p: int, cut=None):
    """spopt's MCLP through its public API. `cut`: a selection to exclude (no-good cut), used
    only for the uniqueness check. Returns (selected indices, objective, served, status,
    seconds)."""
    t0 = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weights, service_radius=radius, p_facilities=p)
    if cut is not None:
        model.problem += pulp.lpSum(model.fac_vars[j] for j in cut) <= p - 1
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    secs = time.perf_counter() - t0
    status = pulp.LpStatus[model.problem.status]
    selected = [j for j, v in enumerate(model.fac_vars) if v.value() > 0]
    # fac2cli has a row per candidate, non-empty only for selected ones.
    assert all(len(model.fac2cli[j]) == 0 for j in range(cost.shape[1]) if j not in selected)
    served = [i for i, facs in enumerate(model.cli2fac) if facs]
    return selected, float(model.problem.objective.value()), served, status, secs


def coverage(cost: np.ndarray, radius: float) -> np.ndarray:
    """spopt's rule: aij = cost <= radius (inclusive)."""
    return cost <= radius


def covered_mask(a: np.ndarray, selected) -> np.ndarray:
    return a[:, list(selected)].any(axis=1) if len(selected) else np.zeros(a.shape[0], bool)


def ordered_sum(weights, mask) -> float:
    """Sum of the covered weights, left to right in demand order (plain f64 additions)."""
    s = 0.0
    for w, m in zip(weights.tolist(), mask.tolist()):
        if m:
            s += w
    return s


def greedy(a: np.ndarray, weights: np.ndarray, p: int):
    """Plain greedy: p times, the candidate with the largest marginal covered weight (ties:
    lowest index)."""
    covered = np.zeros(a.shape[0], bool)
    chosen = []
    for _ in range(p):
        gains = (weights * ~covered) @ a
        gains[chosen] = -1.0
        j = int(np.argmax(gains))  # first maximum: lowest index
        chosen.append(j)
        covered |= a[:, j]
    return sorted(chosen)


def interchange(a: np.ndarray, weights: np.ndarray, start):
    """Teitz & Bart style 1-swap local search from `start`: apply the best strictly improving
    swap (selected site out, unselected site in) until none is left."""
    sel = list(start)
    best = float(weights[covered_mask(a, sel)].sum())
    while True:
        move = None
        counts = a[:, sel].sum(axis=1)
        for k, s in enumerate(sel):
            without = (counts - a[:, s]) > 0
            base = float(weights[without].sum())
            gains = (weights * ~without) @ a
            gains[sel] = -1.0
            j = int(np.argmax(gains))
            if base + gains[j] > best + 1e-9 * max(1.0, best):
                if move is None or base + gains[j] > move[0]:
                    move = (base + gains[j], k, j)
        if move is None:
            return sorted(sel), best
        best, k, j = move
        sel[k] = j


def brute_force(a: np.ndarray, weights: np.ndarray, p: int):
    """Every selection of p candidates: (best weight, number of selections reaching it)."""
    best, count = -1.0, 0
    for combo in itertools.combinations(range(a.shape[1]), p):
        v = float(weights[a[:, combo].any(axis=1)].sum())
        if v > best + 1e-9 * max(1.0, best):
            best, count = v, 1
        elif abs(v - best) <= 1e-9 * max(1.0, best):
            count += 1
    return best, count


# ---------------------------------------------------------------------------------------
# Writing


def dumps(v) -> str:
    return json.dumps(v, allow_nan=False, ensure_ascii=False)


def cost_text(c: float) -> str:
    """Shortest text that reads back to the same f64: integral values as JSON integers."""
    assert math.isfinite(c) and c >= 0.0
    if c == int(c) and abs(c) < 2**53:
        return str(int(c))
    return repr(c)


def write_fixture(path: Path, head: dict, demand, candidates, cost, tail: dict) -> int:
    """One JSON document: header fields, demand entries and cost rows one a line, results."""
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {dumps(k)}: {dumps(v)},")
    lines.append('  "demand": [')
    lines.append(",\n".join(f"    {dumps({'id': d, 'weight': w})}" for d, w in demand))
    lines.append("  ],")
    lines.append(f'  "candidates": {dumps(candidates)},')
    lines.append('  "cost": [')
    lines.append(
        ",\n".join("    [" + ",".join(cost_text(c) for c in row) + "]" for row in cost.tolist())
    )
    lines.append("  ],")
    items = list(tail.items())
    for n, (k, v) in enumerate(items):
        comma = "," if n + 1 < len(items) else ""
        lines.append(f"  {dumps(k)}: {dumps(v)}{comma}")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    # The file must be plain JSON that reads back to exactly what was computed.
    back = json.loads(text)
    assert back["cost"] == cost.tolist()
    assert [d["weight"] for d in back["demand"]] == [w for _, w in demand]
    assert back["spopt"] == tail["spopt"]
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def pct(x: float, total: float) -> str:
    return f"{100.0 * x / total:.2f}%"


def make_fixture(path: Path, seed: int, description: str, weights, cost, radius, p):
    weights = np.asarray(weights, dtype=np.float64)
    cost = np.asarray(cost, dtype=np.float64)
    n, m = cost.shape
    assert weights.shape == (n,) and (weights > 0).all() and 1 <= p <= m
    assert np.isfinite(cost).all() and (cost >= 0).all()
    demand_ids = [f"d{i}" for i in range(n)]
    cand_ids = [f"c{j}" for j in range(m)]
    a = coverage(cost, radius)
    total = ordered_sum(weights, np.ones(n, bool))

    selected, objective, served, status, secs = solve_spopt(cost, weights, radius, p)
    assert status == "Optimal", status
    assert len(selected) == p, selected
    mask = covered_mask(a, selected)
    covered_weight = ordered_sum(weights, mask)
    covered = [demand_ids[i] for i in np.flatnonzero(mask)]
    # Cross-checks against spopt's own outputs.
    assert abs(covered_weight - objective) <= 1e-9 * max(1.0, covered_weight), (
        covered_weight,
        objective,
    )
    assert served == np.flatnonzero(mask).tolist(), "cli2fac differs from the recomputation"

    g_sel = greedy(a, weights, p)
    g_w = ordered_sum(weights, covered_mask(a, g_sel))
    gi_sel, _ = interchange(a, weights, g_sel)
    gi_w = ordered_sum(weights, covered_mask(a, gi_sel))
    assert g_w <= covered_weight + 1e-9 * total and gi_w <= covered_weight + 1e-9 * total

    n_sel = math.comb(m, p)
    cut_secs = 0.0
    if n_sel <= BRUTE_FORCE_MAX:
        bf_best, bf_count = brute_force(a, weights, p)
        assert abs(bf_best - covered_weight) <= 1e-9 * max(1.0, bf_best), (bf_best, covered_weight)
        unique = bf_count == 1
        how = f"all {n_sel} selections enumerated: {bf_count} of them optimal"
    else:
        _, alt_obj, _, alt_status, cut_secs = solve_spopt(cost, weights, radius, p, cut=selected)
        unique = not (alt_status == "Optimal" and alt_obj >= covered_weight - 1e-9 * total)
        how = "re-solved with a no-good cut on spopt's selection: " + (
            "the next best is lower" if unique else "another selection reaches the optimum"
        )
    # What a strict `<` would have given, for the selection found (rule 1 matters or not),
    # and as an optimum where enumeration is cheap.
    strict_w = ordered_sum(weights, covered_mask(cost < radius, selected))
    on_radius = int((cost == radius).sum())
    strict_text = f"under a strict < spopt's selection would cover {strict_w!r}"
    if n_sel <= BRUTE_FORCE_MAX:
        strict_opt, _ = brute_force(cost < radius, weights, p)
        strict_text += f" and the best selection {strict_opt!r}"

    facts = (
        f" Optimum (spopt/CBC): {covered_weight!r} of {total!r} ({pct(covered_weight, total)}),"
        f" {len(covered)}/{n} demand points covered; plain greedy reaches {g_w!r}"
        f" ({pct(g_w, total)}), greedy + 1-swap interchange {gi_w!r}. Optimal selection "
        f"{'unique' if unique else 'NOT unique'} ({how}). {on_radius} cost cells equal the"
        f" radius; {strict_text}."
        f" covered_weight equals spopt's objective and its cli2fac."
    )
    head = {
        "generator": GENERATOR,
        "spopt_version": spopt.__version__,
        "pulp_version": pulp.__version__,
        "seed": seed,
        "description": description + facts,
    }
    tail = {
        "service_radius": float(radius),
        "p": int(p),
        "spopt": {
            "selected": [cand_ids[j] for j in selected],
            "covered_weight": covered_weight,
            "covered_demand": covered,
            "status": status,
        },
        "total_weight": total,
    }
    size = write_fixture(
        path, head, list(zip(demand_ids, weights.tolist())), cand_ids, cost, tail
    )
    return {
        "n": n,
        "m": m,
        "p": p,
        "radius": radius,
        "opt": covered_weight,
        "total": total,
        "greedy": g_w,
        "greedy_swap": gi_w,
        "unique": unique,
        "secs": secs,
        "cut_secs": cut_secs,
        "size": size,
        "strict": strict_w,
    }


# ---------------------------------------------------------------------------------------
# Instances


def hand_8x5(seed):
    """8 demand points x 5 candidates, p = 2, radius 15, laid by hand so that greedy is not
    optimal. c0 alone covers the most (d0..d5, 570); c1 (d0, d1, d2, d6) and c2 (d3, d4, d5,
    d7) together cover everything (950). Greedy takes c0 then c1 (marginal d6 = 200): 770.
    The pairs: c0c1 770, c0c2 750, c0c3 750, c0c4 570, c1c2 950, c1c3 680, c1c4 500,
    c2c3 550, c2c4 530, c3c4 360 — the optimum {c1, c2} is unique. c1 reaches d6 at exactly
    15 (inclusive rule: under a strict < the optimum would drop to 750); c4 reaches d1 at
    exactly 15 and d6 at 15.01 (a near miss). Costs of uncovered pairs are random integers
    in [16, 45] (seeded)."""
    rng = np.random.default_rng(seed)
    weights = [120.0, 80.0, 100.0, 90.0, 110.0, 70.0, 200.0, 180.0]
    cost = rng.integers(16, 46, size=(8, 5)).astype(np.float64)
    laid = {
        # c0: d0..d5
        (0, 0): 3.5, (1, 0): 7.0, (2, 0): 12.25, (3, 0): 9.0, (4, 0): 14.0, (5, 0): 10.0,
        (6, 0): 15.01,  # near miss
        # c1: d0, d1, d2, d6 (d6 exactly on the radius)
        (0, 1): 2.0, (1, 1): 0.0, (2, 1): 8.5, (6, 1): 15.0,
        # c2: d3, d4, d5, d7
        (3, 2): 4.0, (4, 2): 6.5, (5, 2): 14.99, (7, 2): 11.0,
        # c3: d2, d7
        (2, 3): 13.0, (7, 3): 5.0,
        # c4: d1 exactly on the radius; d6 just above it
        (1, 4): 15.0, (6, 4): 15.01,
    }
    for (i, j), c in laid.items():
        cost[i, j] = c
    return np.array(weights), cost


def ties_integer(seed, n=60, m=15):
    """Integer costs only, most of them on or next to the radius (14, 15, 16)."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(50, 5000, size=n).astype(np.float64)
    hot = np.array([14, 15, 15, 15, 16])
    cost = np.where(
        rng.random(size=(n, m)) < 0.3,
        rng.choice(hot, size=(n, m)),
        rng.integers(0, 40, size=(n, m)),
    ).astype(np.float64)
    return weights, cost


def geographic(rng, n_d, n_c, side_km, n_towns, min_per_km, frac_weights, resolution):
    """Demand points in a square, 70% scattered around a few towns, 30% uniform; candidates
    half at demand points (cost 0 to their own point), half uniform. Travel time = Euclidean
    distance x min_per_km x a per-pair detour in [1, 1.4], rounded to `resolution` minutes.
    Times above CUTOFF_MIN are set to CUTOFF_MIN. Populations lognormal (median ~400), whole
    numbers or (frac_weights) to 0.1."""
    towns = rng.uniform(0.1 * side_km, 0.9 * side_km, size=(n_towns, 2))
    n_town_pts = int(round(0.7 * n_d))
    which = rng.integers(n_towns, size=n_town_pts)
    spread = rng.uniform(1.5, 5.0, size=n_towns)
    near = towns[which] + rng.normal(size=(n_town_pts, 2)) * spread[which, None]
    far = rng.uniform(0, side_km, size=(n_d - n_town_pts, 2))
    dxy = np.clip(np.vstack([near, far]), 0, side_km)
    dxy = dxy[rng.permutation(n_d)]
    n_at = n_c // 2
    at = rng.choice(n_d, size=n_at, replace=False)
    cxy = np.vstack([dxy[at], rng.uniform(0, side_km, size=(n_c - n_at, 2))])
    cxy = cxy[rng.permutation(n_c)]
    dist = np.sqrt(((dxy[:, None, :] - cxy[None, :, :]) ** 2).sum(axis=2))
    detour = rng.uniform(1.0, 1.4, size=dist.shape)
    minutes = dist * min_per_km * detour
    minutes = np.round(minutes / resolution) * resolution
    minutes = np.round(minutes, 1)  # clean 0.1 multiples (repr like 12.3)
    # A distancier's cutoff, which also keeps the dense files small: every time above
    # CUTOFF_MIN is set to CUTOFF_MIN, still above every radius used here.
    minutes = np.minimum(minutes, CUTOFF_MIN)
    pop = rng.lognormal(6.0, 1.3, size=n_d)
    weights = np.round(pop, 1) + 1.0 if frac_weights else np.round(pop) + 1.0
    return weights, minutes


def geo(n_d, n_c, side_km, n_towns, frac_weights=False, resolution=0.1, min_per_km=1.5):
    def build(seed):
        rng = np.random.default_rng(seed)
        return geographic(rng, n_d, n_c, side_km, n_towns, min_per_km, frac_weights, resolution)

    return build


GEO_TEXT = (
    "{n}x{m} geographic instance: {side} km square, 70% of the demand points around {towns} "
    "towns, half the candidates at demand points (cost 0 there); travel time = distance x "
    "1.5 min/km x a per-pair detour in [1, 1.4], {res}, times above 30 min set to 30 (a "
    "distancier cutoff, above every radius); lognormal {w} populations; "
    "radius {r} min, p = {p}."
)


def geo_text(n, m, side, towns, r, p, frac=False, res="rounded to 0.1 min"):
    return GEO_TEXT.format(
        n=n, m=m, side=side, towns=towns, res=res, w="0.1-resolution" if frac else "whole",
        r=r, p=p,
    )


# (file name, seed, builder, radius, p, description)
INSTANCES = [
    (
        "hand_8x5_p2.json",
        3,
        hand_8x5,
        15.0,
        2,
        "Hand-laid 8x5, p = 2, radius 15, where plain greedy is not optimal: c0 alone covers "
        "the most (d0..d5, weight 570) but overlaps c1 (d0, d1, d2, d6) and c2 (d3, d4, d5, "
        "d7), which together cover everything (950); greedy takes c0 then c1 (770). c1 reaches "
        "d6 at exactly 15 and c4 reaches d1 at exactly 15 (inclusive rule; with a strict < "
        "the optimum would be 750), 15.01 and 14.99 just around the radius, a cost 0.",
    ),
    (
        "ties_integer_60x15_p3.json",
        11,
        ties_integer,
        15.0,
        3,
        "60x15, integer costs only, 30% of them drawn from {14, 15, 15, 15, 16} and the rest "
        "in [0, 39]: pins the inclusive <= of the radius on ties; integer weights in "
        "[50, 5000); radius 15, p = 3.",
    ),
    (
        "geo_200x40_r10_p1.json",
        101,
        geo(200, 40, 40.0, 5),
        10.0,
        1,
        geo_text(200, 40, 40, 5, 10, 1) + " p = 1: greedy is optimal by construction.",
    ),
    (
        "geo_400x60_r15_p3.json",
        202,
        geo(400, 60, 60.0, 7),
        15.0,
        3,
        geo_text(400, 60, 60, 7, 15, 3),
    ),
    (
        "geo_500x80_r20_p5_frac.json",
        303,
        geo(500, 80, 80.0, 8, frac_weights=True),
        20.0,
        5,
        geo_text(500, 80, 80, 8, 20, 5, frac=True)
        + " Fractional weights: covered_weight is the left-to-right sum in demand order.",
    ),
    (
        "geo_600x120_r10_p10.json",
        404,
        geo(600, 120, 70.0, 10),
        10.0,
        10,
        geo_text(600, 120, 70, 10, 10, 10),
    ),
    (
        "geo_800x100_r15_p10.json",
        505,
        geo(800, 100, 90.0, 12),
        15.0,
        10,
        geo_text(800, 100, 90, 12, 15, 10),
    ),
    (
        "large_1500x200_r15_p8.json",
        606,
        geo(1500, 200, 100.0, 16, resolution=1.0),
        15.0,
        8,
        geo_text(1500, 200, 100, 16, 15, 8, res="rounded to whole minutes (many ties on the "
                 "radius)") + " Volume check.",
    ),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--only", help="generate only the instances whose file name contains this")
    args = ap.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    total_size = 0
    for fname, seed, build, radius, p, description in INSTANCES:
        if args.only and args.only not in fname:
            continue
        weights, cost = build(seed)
        r = make_fixture(args.out_dir / fname, seed, description, weights, cost, radius, p)
        total_size += r["size"]
        print(
            f"{fname}: {r['n']}x{r['m']} p={r['p']} radius={r['radius']}: optimum "
            f"{r['opt']!r} / {r['total']!r} ({pct(r['opt'], r['total'])}), greedy {r['greedy']!r} "
            f"(gap {r['opt'] - r['greedy']!r}), greedy+swap {r['greedy_swap']!r} "
            f"(gap {r['opt'] - r['greedy_swap']!r}), strict-< coverage of the selection "
            f"{r['strict']!r}, unique={r['unique']}, CBC {r['secs']:.2f} s"
            + (f" (+ {r['cut_secs']:.2f} s uniqueness re-solve)" if r["cut_secs"] else "")
            + f", {r['size']} bytes",
            file=sys.stderr,
        )
    print(f"total {total_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
