"""Generate the PySAL `access` parity fixtures in tests/fixtures/access/*.json.

Run with the parity venv (scripts/setup-parity.sh prints its python):

    "$(scripts/setup-parity.sh)" scripts/parity/access_fixtures.py [--out-dir DIR]

Each fixture holds random (seeded, numpy default_rng) demand, supply and cost tables and, for a
list of cases, the raw result of PySAL's `access.Access` public API on them. The Rust tests
read the files and must reproduce every value. Running the script twice gives byte-identical
files.

Conventions of access 1.1.10.post3 (access/access.py, access/fca.py, access/weights.py) that a
re-implementation must match
-------------------------------------------------------------------------------------------
Notation: a cost row is (origin = demand id i, dest = supply id j, cost c_ij); D_i demand,
S_j supply; w(c) the weight function, w = 1 when no weight function is given.

1. Row filter. With `max_cost` given, a row is kept iff `c_ij <= max_cost` (inclusive). With
   `max_cost=None` every row is kept, whatever its cost. The same filter is applied in both
   steps of the 2SFCA, and in the catchment.

2. step_fn(steps): w(c) = the value of the smallest threshold k with `c <= k` (inclusive,
   thresholds scanned in increasing order), and 0 when c is above the largest threshold. So
   with {10: 1, 20: 0.68, 30: 0.22}: w(10) = 1, w(10.0001) = 0.68, w(30) = 0.22, w(30.5) = 0,
   w(0) = 1. A row of weight 0 is still a kept row (see 6).

3. gravity(scale, alpha, min_dist): w(c) = pow(max(c, min_dist) / scale, alpha), computed
   with numpy.power on float64 (the C library pow). Costs below min_dist are raised to
   min_dist, so with min_dist = 1 a cost of 0 or 0.4 weighs exactly as a cost of 1. alpha is
   used as given (negative for a decay): alpha = -1 gives scale / max(c, 1). No normalisation.

4. 2SFCA (`two_stage_fca`) and E2SFCA (`enhanced_two_stage_fca`) are the same code; the
   E2SFCA only substitutes step_fn({10: 1, 20: 0.68, 30: 0.22}) when weight_fn is None
   (max_cost stays None unless given). The weight is applied in BOTH steps:
     step 1, per supply j: W_j = sum over kept rows (i, j) whose origin i is a demand id of
         D_i * w(c_ij); only supply ids that have at least one kept row get a W_j.
         R_j = S_j / W_j, with S_j = 0 for a cost-row dest absent from the supply table.
     step 2, per demand i: A_i = sum over kept rows (i, j) whose j has an R_j of
         R_j * w(c_ij).
   The sums skip NaN terms (pandas groupby-sum), and a sum of only NaN terms is 0.0.
   Special cases, all of them exercised by the fixtures:
     - S_j = 0 with W_j > 0: R_j = 0, contributes 0.
     - W_j = 0 (every kept row of j has weight 0, e.g. all its costs above the largest step
       threshold with max_cost=None): R_j = S_j / 0 = +inf (S_j > 0) or NaN (S_j = 0). In
       step 2 each of j's rows has weight 0, so each term is inf * 0 = NaN or NaN * 0 = NaN,
       and is skipped: j contributes nothing, and no +inf ever reaches a result.
     - A_i = NaN (JSON null) iff demand i has no kept row (no cost row at all, or all its
       rows above max_cost) reaching a supply id that got an R_j.
     - A_i = 0.0 (not null) when i has kept rows but they all weigh 0 (max_cost=None and all
       costs above the largest step) or reach only zero-supply / W_j = 0 sites.
     - Supply ids with no cost row are simply unused; demand values are all > 0 here.
5. Catchment (`weighted_catchment`, PySAL's gravity-type score): A_i = sum over kept rows
   (i, j) with j in the supply table of S_j * w(c_ij); null iff no such row.
6. Results are the raw series (normalize=False, the default): no scaling of any kind.
7. Summation: pandas' groupby sum is Kahan-compensated and adds rows in cost-table order, so
   a plain f64 sum agrees only to ~1e-15 relative, not bit for bit: compare with a relative
   tolerance (1e-12 is ample), and null exactly against NaN/None. Products and divisions are
   plain IEEE f64 and match exactly.

Fixture format: see write_fixture(). `result` holds one entry per demand id (every demand id,
also those in no cost row), the float written with Python's repr (round-trips exactly), null
where PySAL gives NaN. The step weights are written as [[threshold, weight], ...] in
increasing threshold order; the case `e2sfca_default_steps` calls PySAL with weight_fn=None
and records the default PySAL then applies.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import access
from access import Access, weights

GENERATOR = "scripts/parity/access_fixtures.py"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "tests" / "fixtures" / "access"

# The DREES APL decay (travel time in minutes) and PySAL's own E2SFCA default.
DREES_STEPS = {10: 1.0, 15: 2.0 / 3.0, 20: 1.0 / 3.0}
PYSAL_DEFAULT_STEPS = {10: 1.0, 20: 0.68, 30: 0.22}


def step(steps: dict) -> dict:
    return {"kind": "step", "steps": [[k, float(v)] for k, v in sorted(steps.items())]}


def gravity(scale: float, alpha: float, min_dist: float) -> dict:
    return {"kind": "gravity", "scale": scale, "alpha": alpha, "min_dist": min_dist}


# (name, method, max_cost, weight spec). The weight spec None means no weight function,
# except for "e2sfca_default_steps" which passes weight_fn=None to the E2SFCA (PySAL's default
# steps) and records those steps.
ALL_CASES = [
    ("2sfca_max20", "2sfca", 20.0, None),
    ("2sfca_max15", "2sfca", 15.0, None),
    ("2sfca_nomax", "2sfca", None, None),
    ("e2sfca_drees_max20", "e2sfca", 20.0, step(DREES_STEPS)),
    ("e2sfca_drees_nomax", "e2sfca", None, step(DREES_STEPS)),
    ("e2sfca_drees_max15", "e2sfca", 15.0, step(DREES_STEPS)),
    ("e2sfca_default_steps", "e2sfca", None, step(PYSAL_DEFAULT_STEPS)),
    ("e2sfca_default_steps_max25", "e2sfca", 25.0, step(PYSAL_DEFAULT_STEPS)),
    ("catchment_max20", "catchment", 20.0, None),
    ("gravity_catchment", "catchment", 60.0, gravity(60.0, -1.0, 1.0)),
    ("gravity_2sfca", "2sfca", None, gravity(30.0, -2.0, 1.0)),
    ("gravity_2sfca_max30", "2sfca", 30.0, gravity(30.0, -1.0, 1.0)),
]
# The large instance keeps fewer cases to stay small on disk.
LARGE_CASES = [
    "2sfca_max20",
    "e2sfca_drees_max20",
    "e2sfca_default_steps",
    "gravity_catchment",
    "gravity_2sfca",
]


def weight_fn_of(name: str, spec: dict | None):
    if spec is None or name == "e2sfca_default_steps":
        return None
    if spec["kind"] == "step":
        return weights.step_fn({k: v for k, v in spec["steps"]})
    if spec["kind"] == "gravity":
        return weights.gravity(spec["scale"], spec["alpha"], spec["min_dist"])
    raise ValueError(spec)


def run_case(demand, supply, cost, name, method, max_cost, spec) -> dict:
    """Run one case through the public Access API; returns {demand id: float or None}."""
    dem = pd.DataFrame({"id": [d for d, _ in demand], "demand": [v for _, v in demand]})
    sup = pd.DataFrame({"id": [s for s, _ in supply], "supply": [v for _, v in supply]})
    cst = pd.DataFrame(cost, columns=["origin", "dest", "cost"])
    # A fresh object per case: Access keeps its results in access_df.
    acc = Access(
        demand_df=dem,
        demand_index="id",
        demand_value="demand",
        supply_df=sup,
        supply_index="id",
        supply_value="supply",
        cost_df=cst,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    weight_fn = weight_fn_of(name, spec)
    if method == "2sfca":
        out = acc.two_stage_fca(name="res", max_cost=max_cost, weight_fn=weight_fn)
    elif method == "e2sfca":
        out = acc.enhanced_two_stage_fca(name="res", max_cost=max_cost, weight_fn=weight_fn)
    elif method == "catchment":
        out = acc.weighted_catchment(name="res", max_cost=max_cost, weight_fn=weight_fn)
    else:
        raise ValueError(method)
    series = out["res_supply"]
    result = {}
    for d, _ in demand:
        v = float(series.loc[d])
        if math.isinf(v):
            raise AssertionError(f"{name}: PySAL gave {v} for {d}")
        result[d] = None if math.isnan(v) else v
    return result


def check_instance(demand, supply, cost):
    ids = [d for d, _ in demand]
    assert len(set(ids)) == len(ids)
    assert all(v > 0 for _, v in demand), "demand values must be > 0"
    sids = {s for s, _ in supply}
    pairs = [(o, d) for o, d, _ in cost]
    assert len(set(pairs)) == len(pairs), "duplicate (origin, dest) pair"
    assert all(o in set(ids) and d in sids for o, d in pairs)
    assert all(c >= 0 and math.isfinite(c) for _, _, c in cost)


def dumps(v) -> str:
    return json.dumps(v, allow_nan=False, ensure_ascii=False)


def write_fixture(path: Path, seed: int, description: str, demand, supply, cost, cases):
    """Writes the fixture: one JSON document, one table row / result entry per line."""
    check_instance(demand, supply, cost)
    head = {
        "generator": GENERATOR,
        "access_version": access.__version__,
        "pandas_version": pd.__version__,
        "seed": seed,
        "description": description,
    }
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {dumps(k)}: {dumps(v)},")
    lines.append('  "demand": [')
    lines.append(",\n".join(f"    {dumps({'id': d, 'value': v})}" for d, v in demand))
    lines.append("  ],")
    lines.append('  "supply": [')
    lines.append(",\n".join(f"    {dumps({'id': s, 'value': v})}" for s, v in supply))
    lines.append("  ],")
    lines.append('  "cost": [')
    lines.append(",\n".join(f"    {dumps([o, d, c])}" for o, d, c in cost))
    lines.append("  ],")
    lines.append('  "cases": [')
    blocks = []
    for case in cases:
        meta = ", ".join(
            f"{dumps(k)}: {dumps(case[k])}" for k in ("name", "method", "max_cost", "weight")
        )
        res = ",\n".join(f"      {dumps(d)}: {dumps(v)}" for d, v in case["result"].items())
        blocks.append(f'    {{{meta}, "result": {{\n{res}\n    }}}}')
    lines.append(",\n".join(blocks))
    lines.append("  ]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    # The file must be plain JSON that reads back to exactly what was computed.
    back = json.loads(text)
    assert back["cost"] == [list(r) for r in cost]
    assert [c["result"] for c in back["cases"]] == [c["result"] for c in cases]
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def make_fixture(path, seed, description, demand, supply, cost, case_names=None):
    cases = []
    for name, method, max_cost, spec in ALL_CASES:
        if case_names is not None and name not in case_names:
            continue
        result = run_case(demand, supply, cost, name, method, max_cost, spec)
        cases.append(
            {"name": name, "method": method, "max_cost": max_cost, "weight": spec,
             "result": result}
        )
    return write_fixture(path, seed, description, demand, supply, cost, cases)


# ---------------------------------------------------------------------------------------
# Instances


def small_10x5(seed):
    """Hand-laid costs on a random population: every convention on a table small enough to
    check by hand."""
    rng = np.random.default_rng(seed)
    demand = [(f"d{i}", float(v)) for i, v in enumerate(rng.integers(100, 5000, size=10))]
    # s3 has no supply; s4 appears in no cost row.
    supply = [("s0", 2.0), ("s1", 1.5), ("s2", 3.0), ("s3", 0.0), ("s4", 4.0)]
    cost = [
        ("d0", "s0", 0.0),  # cost 0: gravity min_dist lifts it to 1
        ("d0", "s1", 10.0),  # exactly on the first step
        ("d0", "s2", 15.0),  # exactly on the DREES middle step and on max_cost=15
        ("d1", "s0", 0.5),  # below min_dist
        ("d1", "s1", 20.0),  # exactly on max_cost=20 and on the last DREES step
        ("d1", "s2", 30.0),  # exactly on the last default step and on max_cost=30
        ("d2", "s0", 10.5),
        ("d2", "s3", 5.0),
        ("d3", "s1", 15.0),
        ("d3", "s2", 20.0),
        ("d3", "s3", 25.0),  # exactly on max_cost=25
        ("d4", "s2", 30.0),  # d4: every row above 20
        ("d4", "s0", 31.0),
        ("d5", "s1", 9.99),
        ("d5", "s2", 20.01),  # just above 20
        ("d5", "s0", 29.5),
        ("d6", "s3", 12.0),  # d6 reaches only the zero-supply site
        ("d7", "s0", 45.0),  # d7: every row above the last default step
        ("d7", "s1", 60.0),  # exactly on the gravity catchment's max_cost=60
        ("d8", "s2", 60.5),  # d8: a single row, above every max_cost
        # d9: no cost row at all
    ]
    return demand, supply, cost


def ties_integer_costs(seed, n_demand=60, n_supply=15):
    """Integer costs only, most of them on or next to a threshold (10, 15, 20, 25, 30)."""
    rng = np.random.default_rng(seed)
    demand = [(f"d{i}", float(v)) for i, v in enumerate(rng.integers(50, 20000, size=n_demand))]
    supply = [(f"s{j}", float(v)) for j, v in enumerate(rng.integers(0, 6, size=n_supply))]
    supply[3] = ("s3", 0.0)
    hot = np.array([0, 1, 9, 10, 11, 14, 15, 16, 19, 20, 21, 24, 25, 26, 29, 30, 31, 40, 60])
    cost = []
    for i in range(n_demand):
        for j in range(n_supply):
            if rng.random() < 0.45:
                c = rng.choice(hot) if rng.random() < 0.75 else rng.integers(0, 45)
                cost.append((f"d{i}", f"s{j}", float(c)))
    return demand, supply, cost


def geometric(rng, n_demand, n_supply, side_km, cutoff_min, snap_frac):
    """Demand and supply points in a square; cost = road-like travel time in minutes
    (distance x detour / speed, plus a terminal time), rows kept up to cutoff_min, a fraction
    snapped to integer minutes, a few co-located pairs below 1 min. Costs at 0.01 min
    resolution."""
    dxy = rng.uniform(0, side_km, size=(n_demand, 2))
    sxy = rng.uniform(0, side_km, size=(n_supply, 2))
    dist = np.sqrt(((dxy[:, None, :] - sxy[None, :, :]) ** 2).sum(axis=2))
    speed = rng.uniform(35, 75, size=(n_demand, n_supply))  # km/h
    minutes = dist * 1.3 / speed * 60.0 + rng.uniform(0, 1.5, size=(n_demand, n_supply))
    minutes = np.round(minutes, 2)
    snap = rng.random(size=minutes.shape) < snap_frac
    minutes = np.where(snap, np.round(minutes), minutes)
    # ~5% of demand points get a supply in the same place: a cost in [0, 1), some exactly 0.
    for i in rng.choice(n_demand, size=max(1, n_demand // 20), replace=False):
        j = rng.integers(n_supply)
        minutes[i, j] = 0.0 if rng.random() < 0.3 else np.round(rng.uniform(0.01, 0.99), 2)
    demand = [
        (f"d{i}", float(v))
        for i, v in enumerate(np.round(rng.lognormal(7.0, 1.2, size=n_demand), 1) + 1.0)
    ]
    sup_vals = np.round(rng.gamma(1.2, 1.5, size=n_supply), 2)
    sup_vals[rng.random(size=n_supply) < 0.1] = 0.0
    supply = [(f"s{j}", float(v)) for j, v in enumerate(sup_vals)]
    cost = [
        (f"d{i}", f"s{j}", float(minutes[i, j]))
        for i in range(n_demand)
        for j in range(n_supply)
        if minutes[i, j] <= cutoff_min
    ]
    return demand, supply, cost


def medium_300x60(seed):
    rng = np.random.default_rng(seed)
    return geometric(rng, 300, 60, side_km=40.0, cutoff_min=45.0, snap_frac=0.08)


def large_2000x400(seed):
    rng = np.random.default_rng(seed)
    return geometric(rng, 2000, 400, side_km=150.0, cutoff_min=30.0, snap_frac=0.05)


def sparse_unreachable(seed, n_demand=120, n_supply=30):
    """Sparse geometric table plus every way of being unreachable or useless."""
    rng = np.random.default_rng(seed)
    demand, supply, cost = geometric(rng, n_demand, n_supply, 60.0, 35.0, 0.1)
    ids = [d for d, _ in demand]
    sids = [s for s, _ in supply]
    picks = rng.permutation(n_demand)
    no_rows = {ids[i] for i in picks[:12]}  # demand ids in no cost row -> null everywhere
    far20 = {ids[i] for i in picks[12:22]}  # every row in (20, 35]
    far30 = {ids[i] for i in picks[22:28]}  # every row in (30, 60]
    spicks = rng.permutation(n_supply)
    isolated = {sids[j] for j in spicks[:4]}  # supply ids in no cost row
    zero = {sids[j] for j in spicks[4:8]}  # supply value 0
    s_far = sids[spicks[8]]  # positive supply, every row above 30 (W_j = 0 with default steps)
    s_far0 = sids[spicks[9]]  # zero supply, every row above 30 (0/0)
    s_mid = sids[spicks[10]]  # positive supply, every row in (20, 30] (W_j = 0 with DREES)
    supply = [(s, 0.0 if s in zero or s == s_far0 else v) for s, v in supply]
    out = []
    for o, d, c in cost:
        if o in no_rows or d in isolated:
            continue
        if o in far20 and c <= 20.0:
            c = float(np.round(rng.uniform(20.01, 35.0), 2))
        if o in far30 and c <= 30.0:
            c = float(np.round(rng.uniform(30.01, 60.0), 2))
        if d in (s_far, s_far0) and c <= 30.0:
            c = float(np.round(c + 30.0, 2))
        if d == s_mid and o in far30:
            continue
        if d == s_mid and not 20.0 < c <= 30.0:
            c = float(np.round(rng.uniform(20.01, 30.0), 2))
        out.append((o, d, c))
    # Make sure the special supplies have rows at all.
    have = {d for _, d, _ in out}
    for s in (s_far, s_far0, s_mid):
        if s not in have:
            lo = 30.5 if s != s_mid else 20.5
            plain = [i for i in ids if i not in no_rows | far20 | far30]
            for o in rng.choice(plain, size=3, replace=False):
                out.append((str(o), s, float(np.round(rng.uniform(lo, lo + 9.0), 2))))
    return demand, supply, out


INSTANCES = [
    (
        "small_10x5.json",
        7,
        small_10x5,
        "Hand-laid 10x5 table on a random population: costs 0 and 0.5 (gravity min_dist), "
        "costs exactly 10/15/20/25/30/60 (inclusive max_cost and step thresholds), 9.99 and "
        "20.01 around them, a zero-supply site (s3), a supply in no cost row (s4), demand with "
        "every row above 20 (d4), above 30 (d7), above 60 (d8), only a zero-supply site (d6), "
        "no cost row (d9).",
        None,
    ),
    (
        "ties_integer_costs.json",
        11,
        ties_integer_costs,
        "60x15, integer costs only, 75% drawn from {0,1,9,10,11,14,15,16,19,20,21,24,25,26,29,"
        "30,31,40,60}: pins the inclusive <= of max_cost and of step_fn thresholds on ties; "
        "integer supplies including zeros.",
        None,
    ),
    (
        "sparse_unreachable.json",
        23,
        sparse_unreachable,
        "120x30 sparse geometric table: 12 demand ids in no cost row, 10 with every row in "
        "(20,35], 6 with every row in (30,60]; 4 supply ids in no cost row, 5 forced zero "
        "supplies besides random ones, a positive supply whose rows are all above 30 and a "
        "zero one likewise (W_j = 0 -> inf/NaN ratio, skipped), a positive supply with rows "
        "only in (20,30] (W_j = 0 under the DREES steps without max_cost).",
        None,
    ),
    (
        "medium_300x60.json",
        42,
        medium_300x60,
        "300x60 geometric table (40 km square, rows up to 45 min, costs at 0.01 min, 8% "
        "snapped to whole minutes, ~15 pairs below 1 min, some exactly 0), lognormal "
        "fractional populations, fractional supplies with ~10% zeros.",
        None,
    ),
    (
        "large_2000x400.json",
        2024,
        large_2000x400,
        "2000x400 geometric table (150 km square, rows up to 30 min, 5% snapped to whole "
        "minutes, ~100 pairs below 1 min): volume check on a subset of the cases.",
        LARGE_CASES,
    ),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for fname, seed, build, description, case_names in INSTANCES:
        demand, supply, cost = build(seed)
        size = make_fixture(
            args.out_dir / fname, seed, description, demand, supply, cost, case_names
        )
        print(
            f"{fname}: {len(demand)} demand, {len(supply)} supply, {len(cost)} cost rows, "
            f"{size} bytes",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
