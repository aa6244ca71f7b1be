"""Generate the PySAL `mapclassify` parity fixtures in tests/fixtures/classify/*.json.

Run with the parity venv (scripts/setup-parity.sh prints its python):

    "$(scripts/setup-parity.sh)" scripts/parity/classify_fixtures.py [--out-dir DIR]

Each fixture holds one data set (seeded numpy default_rng draws, or hand-laid values) and, for
k in {3, 5, 7}, what mapclassify 2.10.0 answers through its public API:
`mapclassify.Quantiles(y, k=k)` and `mapclassify.FisherJenks(y, k=k)` (`.bins`, `.counts`, and
for Fisher-Jenks `.tss`, its within-class sum of squares). The Rust test
(tests/classify_parity.rs) reads the files and must reproduce every case with
`medatlas::analysis::classify::classify`. Running the script twice gives byte-identical files
(timings go to the console only). mapclassify runs without numba here (it is not in
requirements.txt): FisherJenks then uses its pure-Python fallback of the same function, same
float32 arithmetic, about 20 s for n = 2,000 and k = 7.

Conventions of mapclassify 2.10.0 (mapclassify/classifiers.py) that a re-implementation must
match
--------------------------------------------------------------------------------------------
1. `bins` are the classes' UPPER bounds; a value y goes to the first class with y <= bin
   (`bin1d`: class i is (bins[i-1], bins[i]], class 0 is (-inf, bins[0]]); the last bin is the
   maximum, so every value has a class. `counts` are the class sizes by that rule.

2. Quantiles (`quantile()`): w = 100 / k, p = np.arange(w, 100 + w, w) with the last element
   clamped to 100 (for k <= 12 the array has exactly k elements), then
   `scipy.stats.scoreatpercentile(y, p_i)` for each p_i: idx = p_i / 100 * (n - 1); the sorted
   value at idx when idx is whole, else (a[i] * (j - idx) + a[j] * (idx - i)) / ((j - idx) +
   (idx - i)) with i = int(idx), j = i + 1 (linear interpolation written that way, so the
   result is not always bit-equal to a[i] when a[i] == a[j]). Then `np.unique` (sorted,
   duplicates dropped): with many ties there are fewer bins than k ("pseudo quantiles", a
   UserWarning). A bin is generally NOT a data value (the median of 1, 2, 3, 4 is 2.5). A
   class is EMPTY (count 0) when its bin falls strictly inside the gap that follows the
   previous bin, e.g. the previous bin is the last of many zeros and this percentile lands
   between that zero and the first positive value; mapclassify keeps it (`empty_classes`
   counts them; zero_heavy_20 has one at k=5), medatlas drops it: the Rust test compares
   with the non-empty classes.
   np.arange's elements are start + i * delta with delta = (start + step) - start, which
   this script records (`percentiles`) so the Rust side can check its own.

3. FisherJenks (`_fisher_jenks_means`): the Fisher (1958) dynamic programme over ALL sorted
   values (ties not merged), minimising the within-class sum of squared deviations from the
   class means, in FLOAT32 (sums s1, s2 and the cost matrix are np.float32). Among equal
   costs the `>=` keeps the last candidate scanned, i.e. the split where the last class
   starts EARLIEST (largest last class), recursively for the classes before it. bins =
   the largest value of each class. It raises ValueError when the data have fewer distinct
   values than k (recorded here as `error`; medatlas then returns one class per distinct
   value instead).
   Float32 means mapclassify can miss the true optimum when two partitions' costs differ by
   less than float32 resolution of the running sums. So every Fisher-Jenks case is checked
   here against an independent float64 dynamic programme over the distinct values (with
   multiplicities), both candidates' costs then recomputed EXACTLY (fractions.Fraction):
     `optimum_sse`         the exact within-class SSE of the optimal partition (as a float);
     `mapclassify_optimal` mapclassify's partition has exactly that SSE;
     `optimum_unique`      the best partition different from the optimum is worse by more than
                           1e-9 x (total sum of squares): found by re-running the programme
                           with each of the optimum's cuts forbidden in turn;
     `second_best_sse`     that runner-up's exact SSE (null with one class).
   When mapclassify is optimal and the optimum is unique the Rust test demands the same bins
   and counts; otherwise equal-or-lower SSE, equal to `optimum_sse` to 1e-9 (tied optima,
   e.g. the symmetric gaps of the hand-laid set, have several right answers).

4. Non-finite values: none in the fixtures (mapclassify does not filter NaN; medatlas ignores
   them, see src/analysis/classify.rs).

Fixture format: see write_fixture(). `values` in input order, each written with Python's repr
(round-trips to the same f64); the generated draws are rounded (2 to 6 decimals) as a real
indicator would be, which also keeps the files small and creates realistic ties.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np

import mapclassify

GENERATOR = "scripts/parity/classify_fixtures.py"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "tests" / "fixtures" / "classify"
KS = (3, 5, 7)
# A runner-up partition within this share of the total sum of squares counts as a tie.
TIE_REL = 1e-9


# ---------------------------------------------------------------------------------------
# Exact within-class sums of squares


def exact_sse(values: np.ndarray, bins) -> Fraction:
    """Within-class SSE of the classes that `bins` (upper bounds, bin1d rule) make, exactly:
    per class sum(x^2) - (sum x)^2 / n over Fractions of the f64 values."""
    ys = np.sort(values)
    total = Fraction(0)
    lo = -np.inf
    for b in bins:
        cls = ys[(ys > lo) & (ys <= b)]
        lo = b
        if len(cls) == 0:
            continue
        fs = [Fraction(float(x)) for x in cls]
        s1 = sum(fs, Fraction(0))
        s2 = sum((f * f for f in fs), Fraction(0))
        total += s2 - s1 * s1 / len(fs)
    return total


def total_ss(values: np.ndarray) -> Fraction:
    return exact_sse(values, [float(np.max(values))])


# ---------------------------------------------------------------------------------------
# Independent float64 Fisher programme over distinct values (the reference optimum)


def fisher_f64(values: np.ndarray, k: int, forbid=frozenset()):
    """Optimal k-class partition of the distinct values (weights = multiplicities), float64,
    O(k d^2). Cut j means "a class starts at distinct index j"; cuts in `forbid` are not
    allowed. Smallest argmin (the last class starts earliest) among equal costs, as
    mapclassify. Returns the classes' upper bounds (data values), or None if infeasible."""
    x, w = np.unique(values, return_counts=True)
    d = len(x)
    if d < k:
        return None
    c = float(np.median(values))
    xs = x - c
    p0 = np.concatenate([[0.0], np.cumsum(w.astype(np.float64))])
    p1 = np.concatenate([[0.0], np.cumsum(w * xs)])
    p2 = np.concatenate([[0.0], np.cumsum(w * xs * xs)])

    def cost(js, i):  # classes js..=i
        n = p0[i + 1] - p0[js]
        s1 = p1[i + 1] - p1[js]
        return np.maximum((p2[i + 1] - p2[js]) - s1 * s1 / n, 0.0)

    inf = np.inf
    prev = np.array([cost(np.array([0]), i)[0] for i in range(d)])
    back = [np.zeros(d, dtype=np.int64)]
    allowed = np.array([j not in forbid for j in range(d)])
    for m in range(1, k):
        cur = np.full(d, inf)
        arg = np.zeros(d, dtype=np.int64)
        for i in range(m, d):
            js = np.arange(m, i + 1)
            tot = prev[js - 1] + cost(js, i)
            tot = np.where(allowed[js], tot, inf)
            a = int(np.argmin(tot))
            cur[i] = tot[a]
            arg[i] = js[a]
        prev = cur
        back.append(arg)
    if not np.isfinite(prev[d - 1]):
        return None
    uppers = []
    i = d - 1
    for m in range(k - 1, -1, -1):
        uppers.append(float(x[i]))
        if m > 0:
            i = int(back[m][i]) - 1
    uppers.reverse()
    return uppers, [int(j) for j in np.searchsorted(x, uppers[:-1], side="right")]


# ---------------------------------------------------------------------------------------
# mapclassify


def run_quantiles(y: np.ndarray, k: int) -> dict:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        q = mapclassify.Quantiles(y, k=k)
    bins = [float(b) for b in q.bins]
    counts = [int(c) for c in q.counts]
    assert all(a < b for a, b in zip(bins, bins[1:])), bins
    assert bins[-1] == float(np.max(y)) and sum(counts) == len(y)
    w = 100.0 / k
    p = np.arange(w, 100 + w, w)
    if p[-1] > 100.0:
        p[-1] = 100.0
    assert len(p) == k
    msgs = [str(m.message) for m in caught if issubclass(m.category, UserWarning)]
    return {
        "method": "quantiles",
        "k": k,
        "percentiles": [float(v) for v in p],
        "bins": bins,
        "counts": counts,
        "warning": msgs[0] if msgs else None,
        "empty_classes": sum(1 for c in counts if c == 0),
    }


def run_fisher_jenks(y: np.ndarray, k: int) -> dict:
    case = {"method": "fisher_jenks", "k": k}
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Numba not installed. Using slow pure python"
            fj = mapclassify.FisherJenks(y, k=k)
    except ValueError as e:
        case["error"] = str(e)
        print(f"    fisher_jenks k={k}: ValueError {e}", file=sys.stderr)
        return case
    secs = time.perf_counter() - t0
    bins = [float(b) for b in fj.bins]
    counts = [int(c) for c in fj.counts]
    assert sum(counts) == len(y) and bins[-1] == float(np.max(y))
    assert all(a < b for a, b in zip(bins, bins[1:])), f"mapclassify split ties: {bins}"
    assert all(c > 0 for c in counts), counts

    theirs = exact_sse(y, bins)
    best, cuts = fisher_f64(y, k)
    best_sse = exact_sse(y, best)
    tss = total_ss(y)
    # The reference must be at least as good as mapclassify (it is exact up to float64 noise).
    assert best_sse <= theirs or float(best_sse - theirs) <= 1e-12 * float(tss), (
        bins,
        best,
    )
    optimum = min(best_sse, theirs)
    runner_up = None
    for cut in cuts:
        alt = fisher_f64(y, k, forbid=frozenset([cut]))
        if alt is None:
            continue
        s = exact_sse(y, alt[0])
        runner_up = s if runner_up is None else min(runner_up, s)
    unique = runner_up is None or float(runner_up - optimum) > TIE_REL * float(tss)
    case.update(
        {
            "bins": bins,
            "counts": counts,
            "tss": float(fj.tss),
            "optimum_sse": float(optimum),
            "mapclassify_optimal": theirs == optimum,
            "optimum_unique": bool(unique) if k > 1 else True,
            "second_best_sse": None if runner_up is None else float(runner_up),
        }
    )
    print(
        f"    fisher_jenks k={k}: {secs:.1f} s, sse {float(theirs):.6g} (optimum "
        f"{float(optimum):.6g}, runner-up {case['second_best_sse']}), "
        f"optimal={case['mapclassify_optimal']} unique={case['optimum_unique']}",
        file=sys.stderr,
    )
    return case


# ---------------------------------------------------------------------------------------
# Data sets


def hand_ties(_rng):
    # Ties everywhere (0 x5, 8 x5, 21 x3 ...), a repeated maximum; small enough to reason
    # about by hand.
    return [0, 0, 0, 0, 1, 1, 2, 2, 2, 3, 5, 5, 8, 8, 8, 8, 13, 21, 21, 34,
            1, 2, 3, 7, 8, 9, 21, 34, 0, 5]


def hand_tied_optima(_rng):
    # Three tight symmetric groups {1,2,2,3}, {11,12,12,13}, {21,22,22,23}: k=3 has one
    # optimum, but for k=5 and 7 the extra splits ({1},{2,2,3} or {1,2,2},{3}, in any group)
    # all save exactly the same, so the optimum is tied. The costs divide by 3, so float32
    # (mapclassify) and float64 (medatlas) rounding, not only the tie rule, decide which of
    # the tied partitions each returns: for k=5 they differ, with the same SSE.
    return [1, 11, 21, 2, 12, 22, 3, 13, 23, 2, 12, 22]


def zero_heavy(_rng):
    # 12 zeros and 8 positive densities: for k=5 the 60th percentile (idx 11.4) falls
    # between the last zero and 0.8, so mapclassify's class (0, 0.32] is empty.
    return [0.0, 4.7, 0.0, 0.0, 15.2, 0.0, 0.8, 0.0, 0.0, 2.2, 0.0, 6.0, 0.0, 1.5, 0.0,
            0.0, 9.3, 0.0, 3.1, 0.0]


def lognormal_500(rng):
    return np.round(rng.lognormal(mean=1.0, sigma=0.8, size=500), 6)


def gp_density_2000(rng):
    # GPs per 10,000 inhabitants of small communes: ~60% have no GP, the others a gamma tail
    # (mean ~9, a few above 40), rounded to 2 decimals as a published indicator.
    n = 2000
    zero = rng.random(n) < 0.6
    tail = rng.gamma(shape=2.0, scale=4.5, size=n)
    return np.round(np.where(zero, 0.0, tail), 2)


def uniform_int_1000(rng):
    return rng.integers(0, 20, size=1000).astype(np.float64)


def near_constant_300(rng):
    # 300 values, all 12.5 but five: fewer distinct values (4) than k = 5 and 7.
    v = np.full(300, 12.5)
    idx = rng.choice(300, size=5, replace=False)
    v[idx[:2]] = 12.500001
    v[idx[2]] = 12.499999
    v[idx[3:]] = 13.0
    return v


def calemp_58(_rng):
    # mapclassify's own example data (employment density of 58 California counties), whose
    # Quantiles and FisherJenks results its docstrings quote.
    return np.asarray(mapclassify.load_example(), dtype=np.float64)


DATASETS = [
    ("hand_ties_30.json", 0, hand_ties,
     "Hand-laid, 30 small integers with many ties (0 x5, 8 x5, 21 x3, 34 x2): quantiles that "
     "land on tied values, Fisher-Jenks classes that must keep ties together."),
    ("hand_tied_optima_12.json", 0, hand_tied_optima,
     "Hand-laid, three symmetric groups {1,2,2,3}, {11,12,12,13}, {21,22,22,23}: for k=5 and "
     "7 several partitions reach the optimal SSE exactly (ties between optima)."),
    ("zero_heavy_20.json", 0, zero_heavy,
     "Hand-laid, 12 zeros and 8 positive values: a quantile class that mapclassify leaves "
     "empty (k=5), as a zero-heavy GP density can give."),
    ("lognormal_500.json", 7, lognormal_500,
     "numpy lognormal(mean=1, sigma=0.8), n=500, rounded to 6 decimals: a skewed continuous "
     "indicator."),
    ("gp_density_2000.json", 2026, gp_density_2000,
     "GP-density-like: n=2,000, ~60% exact zeros, the rest gamma(shape=2, scale=4.5), rounded "
     "to 2 decimals: the zero class and a long tail."),
    ("uniform_int_1000.json", 5, uniform_int_1000,
     "numpy integers in [0, 20), n=1,000: 20 distinct values, ~50 copies each."),
    ("near_constant_300.json", 9, near_constant_300,
     "300 values: 295 x 12.5, 2 x 12.500001, 1 x 12.499999, 2 x 13.0: fewer distinct values "
     "than k = 5 or 7 (mapclassify's FisherJenks raises, its Quantiles collapse)."),
    ("calemp_58.json", 0, calemp_58,
     "mapclassify.load_example(): 58 California counties' employment density, the data of "
     "mapclassify's docstrings (Quantiles k=5 bins 1.464 ... 4111.45, FisherJenks k=5 counts "
     "[49, 3, 4, 1, 1])."),
]


# ---------------------------------------------------------------------------------------
# Output


def dumps(v) -> str:
    return json.dumps(v, allow_nan=False, ensure_ascii=False)


def write_fixture(path: Path, head: dict, values, cases) -> int:
    """One JSON document: header fields, the values on one line, one case a line."""
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"  {dumps(k)}: {dumps(v)},")
    lines.append(f'  "values": {dumps(values)},')
    lines.append('  "cases": [')
    lines.append(",\n".join(f"    {dumps(c)}" for c in cases))
    lines.append("  ]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    back = json.loads(text)
    assert back["values"] == values and back["cases"] == cases
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for fname, seed, build, description in DATASETS:
        y = np.asarray(build(np.random.default_rng(seed)), dtype=np.float64)
        assert np.isfinite(y).all()
        values = [float(v) for v in y]
        print(f"{fname}: n={len(y)}, {len(np.unique(y))} distinct", file=sys.stderr)
        cases = []
        for k in KS:
            cases.append(run_quantiles(y, k))
        for k in KS:
            cases.append(run_fisher_jenks(y, k))
        head = {
            "generator": GENERATOR,
            "mapclassify_version": mapclassify.__version__,
            "numpy_version": np.__version__,
            "seed": seed,
            "description": description,
            "n": len(values),
            "distinct": int(len(np.unique(y))),
        }
        size = write_fixture(args.out_dir / fname, head, values, cases)
        print(f"  {size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
