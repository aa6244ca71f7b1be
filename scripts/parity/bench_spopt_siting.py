"""Times spopt 0.7.0 (CBC) on the instances medatlas's `plan` benchmark solves: set covering at
30 minutes and p-median with k = 5 over a département's communes (benches/planner.rs, group
`plan`), for BENCHMARKS.md. Write the instances first, then run with the parity venv:

    MEDATLAS_WRITE_INSTANCES=/tmp/siting-instances cargo bench --bench planner -- plan/
    "$(scripts/setup-parity.sh)" scripts/parity/bench_spopt_siting.py /tmp/siting-instances 03 63

The MSP, which medatlas counts as open sites, become one extra candidate column "existing"
(cost from each commune = its minutes to the nearest MSP), predefined (fixed open): spopt then
counts it in LSCP's objective and in p, so its LSCP count is medatlas's + 1 and its p is 6.
Prints spopt's objective (to compare with the benchmark's console line) and its time: model
building plus CBC, the same scope as medatlas's `plan` minus the travel times.
"""

from __future__ import annotations

import csv
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pulp
from spopt.locate import LSCP, PMedian

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=FutureWarning)
NO_MSP = 1e6  # a commune no MSP reaches: never covered, never assigned to "existing"


def read(folder: Path, dep: str):
    with open(folder / f"{dep}_weights.csv") as f:
        rows = list(csv.DictReader(f))
    ids = [r["id"] for r in rows]
    weights = np.array([float(r["weight"]) for r in rows])
    at = {c: k for k, c in enumerate(ids)}
    cost = np.full((len(ids), len(ids) + 1), np.nan)
    with open(folder / f"{dep}_costs.csv") as f:
        for r in csv.DictReader(f):
            cost[at[r["demand"]], at[r["candidate"]]] = float(r["cost"])
    with open(folder / f"{dep}_existing.csv") as f:
        for r in csv.DictReader(f):
            cost[at[r["id"]], -1] = float(r["minutes"]) if r["minutes"] else NO_MSP
    assert not np.isnan(cost).any(), "every pair is needed"
    predefined = np.zeros(cost.shape[1], dtype=int)
    predefined[-1] = 1
    return weights, cost, predefined


def main(folder: str, *deps: str):
    for dep in deps:
        weights, cost, predefined = read(Path(folder), dep)
        n = len(weights)
        t0 = time.perf_counter()
        lscp = LSCP.from_cost_matrix(cost, 30.0, predefined_facilities_arr=predefined).solve(pulp.PULP_CBC_CMD(msg=False))
        t_lscp = time.perf_counter() - t0
        sites = round(pulp.value(lscp.problem.objective))
        t0 = time.perf_counter()
        pm = PMedian.from_cost_matrix(cost, weights, 6, predefined_facilities_arr=predefined).solve(pulp.PULP_CBC_CMD(msg=False))
        t_pm = time.perf_counter() - t0
        print(
            f"{dep}: {n} communes; LSCP 30 min: {sites - 1} new sites (+ existing), {t_lscp:.2f} s; "
            f"p-median k = 5: weighted minutes {pulp.value(pm.problem.objective)!r}, {t_pm:.2f} s"
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
