"""Time PySAL access's E2SFCA with the DREES APL decay on a CSV input.

    "$(scripts/setup-parity.sh)" scripts/parity/bench_pysal_e2sfca.py DIR [--repeat N]
        [--out result.csv]

DIR holds three CSV files with a header line:
    demand.csv  id,value            (demand location id, population)
    supply.csv  id,value            (supply location id, supply, e.g. GP FTE)
    cost.csv    origin,dest,cost    (origin = demand id, dest = supply id, minutes)

Runs Access.enhanced_two_stage_fca(max_cost=20, weight_fn=step_fn({10: 1, 15: 2/3,
20: 1/3})) N times, each on a fresh Access object built outside the timed region, and prints
one JSON line: {"rows": cost rows, "demand": ..., "supply": ..., "load_s": CSV reading and
Access construction, "e2sfca_s": [seconds per run], "median_s": ...}. Only the E2SFCA call
is timed. --out writes PySAL's raw result as id,value (value empty where PySAL gives NaN,
floats in repr so they round-trip), one line per demand id in demand.csv order.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from access import Access, weights

DREES_STEPS = {10: 1.0, 15: 2.0 / 3.0, 20: 1.0 / 3.0}
MAX_COST = 20.0


def load(directory: Path):
    # Ids stay strings (INSEE codes such as 01004 or 2A004). pandas 3's default float parser
    # is exact (round-trips repr), as the Rust side's parse is.
    opts = {"dtype": {"id": str, "origin": str, "dest": str}}
    demand = pd.read_csv(directory / "demand.csv", **opts)
    supply = pd.read_csv(directory / "supply.csv", **opts)
    cost = pd.read_csv(directory / "cost.csv", **opts)
    for name, df, cols in (
        ("demand.csv", demand, ["id", "value"]),
        ("supply.csv", supply, ["id", "value"]),
        ("cost.csv", cost, ["origin", "dest", "cost"]),
    ):
        if list(df.columns) != cols:
            sys.exit(f"{name}: expected columns {cols}, found {list(df.columns)}")
    # Distinct value column names (PySAL joins the supply and the aggregated demand).
    demand = demand.rename(columns={"value": "demand"})
    supply = supply.rename(columns={"value": "supply"})
    return demand, supply, cost


def make_access(demand, supply, cost) -> Access:
    return Access(
        demand_df=demand,
        demand_index="id",
        demand_value="demand",
        supply_df=supply,
        supply_index="id",
        supply_value="supply",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description="Time PySAL access's E2SFCA (DREES APL decay).")
    ap.add_argument("dir", type=Path, help="directory with demand.csv, supply.csv, cost.csv")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs (default 3)")
    ap.add_argument("--out", type=Path, help="write id,value of PySAL's result here")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")

    t0 = time.perf_counter()
    demand, supply, cost = load(args.dir)
    make_access(demand, supply, cost)
    load_s = time.perf_counter() - t0

    weight_fn = weights.step_fn(DREES_STEPS)
    runs = []
    result = None
    for _ in range(args.repeat):
        acc = make_access(demand, supply, cost)
        t = time.perf_counter()
        out = acc.enhanced_two_stage_fca(name="e2sfca", max_cost=MAX_COST, weight_fn=weight_fn)
        runs.append(time.perf_counter() - t)
        result = out["e2sfca_supply"]

    if args.out is not None:
        lines = ["id,value"]
        for i in demand["id"]:
            v = float(result.loc[i])
            lines.append(f"{i}," + ("" if math.isnan(v) else repr(v)))
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")

    print(
        json.dumps(
            {
                "rows": len(cost),
                "demand": len(demand),
                "supply": len(supply),
                "load_s": load_s,
                "e2sfca_s": runs,
                "median_s": statistics.median(runs),
            }
        )
    )


if __name__ == "__main__":
    main()
