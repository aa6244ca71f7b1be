"""Generate the parity fixtures of the ours-vs-official comparison (src/analysis/compare.rs) in
tests/fixtures/compare/cases.json.

Run with the parity venv (scripts/setup-parity.sh prints its python):

    "$(scripts/setup-parity.sh)" scripts/parity/compare_fixtures.py [--out FILE]

Each case is a list of rows {code, ours, official, population, population_standardised}
(null where a value is missing) drawn from a seeded numpy default_rng, values rounded to one or
two decimals so that ties are frequent, and what scipy and numpy answer:

- `pearson`: scipy.stats.pearsonr(ours, official).statistic over the rows with both values;
  `spearman`: scipy.stats.spearmanr(...).statistic (ties get their average rank); null where
  scipy gives NaN (a constant side) or with fewer than 2 rows;
- `mean_ours`, `mean_official`: numpy.average(values, weights=w), w the standardised
  population, or the raw population where the row has none (`mean_weight_fallbacks` counts them);
- `share_under_*`, `agreement`, `classes`: sums of raw population over the classes
  `value < threshold`, divided by the compared rows' population;
- `largest_differences`: the `top` rows by |ours - official| descending, ties by code;
- `left_out`: rows without both values, by reason (neither / no official / no ours).

Every float is written with Python's repr (round-trips to the same f64). The Rust test
(tests/compare_parity.rs) must reproduce every number to 1e-12. Running the script twice gives
the same file.
"""

from __future__ import annotations

import argparse
import json
import math
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.stats

ROOT = Path(__file__).resolve().parents[2]


def draw_case(name, rng, n, *, decimals, p_missing_ours, p_missing_official, p_missing_std, noise, constant_official=False, levels=None):
    rows = []
    for i in range(n):
        population = float(int(rng.lognormal(6.0, 1.5)) + 1)
        std = round(population * float(rng.uniform(0.85, 1.25)), 3)
        if levels is not None:
            truth = float(rng.choice(levels))
            ours = truth if rng.random() < 0.6 else float(rng.choice(levels))
            official = truth
        else:
            truth = float(rng.gamma(4.0, 0.75))
            ours = round(truth + float(rng.normal(0.0, noise)), decimals)
            official = round(truth, decimals)
        if constant_official:
            official = 2.5
        rows.append(
            {
                "code": f"{63000 + int(rng.integers(0, 1000)):05d}-{i:04d}",
                "ours": None if rng.random() < p_missing_ours else max(ours, 0.0),
                "official": None if rng.random() < p_missing_official else official,
                "population": population,
                "population_standardised": None if rng.random() < p_missing_std else std,
            }
        )
    return rows


def nan_to_none(x):
    x = float(x)
    return None if math.isnan(x) else x


def expected(rows, threshold, top):
    left_out = {"neither": 0, "no_official_value": 0, "no_value_of_ours": 0}
    kept = []
    for r in rows:
        if r["ours"] is None and r["official"] is None:
            left_out["neither"] += 1
        elif r["official"] is None:
            left_out["no_official_value"] += 1
        elif r["ours"] is None:
            left_out["no_value_of_ours"] += 1
        else:
            kept.append(r)
    x = np.array([r["ours"] for r in kept], dtype=float)
    y = np.array([r["official"] for r in kept], dtype=float)
    pop = np.array([r["population"] for r in kept], dtype=float)
    std = [r["population_standardised"] for r in kept]
    w = np.array([s if s is not None else p for s, p in zip(std, pop)], dtype=float)

    pearson = spearman = None
    if len(kept) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pearson = nan_to_none(scipy.stats.pearsonr(x, y).statistic)
            spearman = nan_to_none(scipy.stats.spearmanr(x, y).statistic)

    under_x, under_y = x < threshold, y < threshold
    total = float(pop.sum())
    classes = {
        "both_under": float(pop[under_x & under_y].sum()),
        "ours_under_official_over": float(pop[under_x & ~under_y].sum()),
        "ours_over_official_under": float(pop[~under_x & under_y].sum()),
        "both_over": float(pop[~under_x & ~under_y].sum()),
    }
    share = (lambda part: part / total) if total > 0 else (lambda part: None)
    diffs = sorted(
        ({"code": r["code"], "ours": r["ours"], "official": r["official"], "difference": r["ours"] - r["official"]} for r in kept),
        key=lambda d: (-abs(d["difference"]), d["code"]),
    )
    return {
        "n": len(kept),
        "left_out": left_out,
        "pearson": pearson,
        "spearman": spearman,
        "mean_ours": float(np.average(x, weights=w)) if len(kept) and w.sum() > 0 else None,
        "mean_official": float(np.average(y, weights=w)) if len(kept) and w.sum() > 0 else None,
        "mean_weight_fallbacks": sum(1 for s in std if s is None),
        "population": total,
        "share_under_ours": share(float(pop[under_x].sum())),
        "share_under_official": share(float(pop[under_y].sum())),
        "agreement": share(float(pop[under_x == under_y].sum())),
        "classes": classes,
        "largest_differences": diffs[:top],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "compare" / "cases.json")
    args = parser.parse_args()

    specs = [
        ("noisy_300", 300, dict(decimals=1, p_missing_ours=0.05, p_missing_official=0.05, p_missing_std=0.1, noise=0.6), 2.5, 10),
        ("close_1000", 1000, dict(decimals=2, p_missing_ours=0.02, p_missing_official=0.01, p_missing_std=0.0, noise=0.15), 2.5, 15),
        ("levels_60", 60, dict(decimals=1, p_missing_ours=0.1, p_missing_official=0.1, p_missing_std=0.3, noise=0.0, levels=[1.0, 1.5, 2.0, 2.5, 3.0, 4.0]), 2.5, 8),
        ("threshold_3_40", 40, dict(decimals=1, p_missing_ours=0.0, p_missing_official=0.0, p_missing_std=0.5, noise=0.8), 3.0, 5),
        ("constant_official_12", 12, dict(decimals=1, p_missing_ours=0.0, p_missing_official=0.0, p_missing_std=0.0, noise=0.5, constant_official=True), 2.5, 3),
        ("tiny_3", 3, dict(decimals=1, p_missing_ours=0.0, p_missing_official=0.0, p_missing_std=0.0, noise=0.5), 2.5, 5),
    ]
    cases = []
    for seed, (name, n, kw, threshold, top) in enumerate(specs, start=2024):
        rng = np.random.default_rng(seed)
        rows = draw_case(name, rng, n, **kw)
        cases.append({"name": name, "seed": seed, "threshold": threshold, "top": top, "rows": rows, "expected": expected(rows, threshold, top)})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {"scipy_version": scipy.__version__, "numpy_version": np.__version__, "cases": cases}
    args.out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    for c in cases:
        e = c["expected"]
        print(f"{c['name']}: n={e['n']} left_out={e['left_out']} pearson={e['pearson']} spearman={e['spearman']}")


if __name__ == "__main__":
    main()
