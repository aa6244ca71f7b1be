"""`medatlas access --compare-official` against an independent recomputation with scipy/numpy.

The binary writes, beside its figures, every commune's pair of values (ours, DREES's) and
populations; this test recomputes the figures from those two columns with scipy.stats and
numpy and checks that the binary printed the same. Run by scripts/test-python.sh.
"""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("MEDATLAS_BIN", REPO / "target" / "release" / "medatlas"))


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "compare.json"
    run = subprocess.run(
        [str(BIN), "access", "--compare-official", "--compare-json", str(out)],
        capture_output=True, text=True, timeout=600, check=True,
    )
    return json.loads(out.read_text()), run.stdout


def paired(rows):
    both = [r for r in rows if r["ours"] is not None and r["official"] is not None]
    ours = np.array([r["ours"] for r in both])
    official = np.array([r["official"] for r in both])
    pop = np.array([r["population"] for r in both])
    std = np.array([r["population_standardised"] if r["population_standardised"] is not None else r["population"] for r in both])
    return both, ours, official, pop, std


def test_correlations_and_means_match_scipy(result):
    data, _ = result
    c = data["comparison"]
    both, ours, official, _, std = paired(data["rows"])
    assert c["n"] == len(both) > 1000, "the embedded default has Auvergne's 1,283 communes with an official APL"
    assert c["pearson"] == pytest.approx(stats.pearsonr(ours, official).statistic, abs=1e-9)
    assert c["spearman"] == pytest.approx(stats.spearmanr(ours, official).statistic, abs=1e-9)
    assert c["mean_ours"] == pytest.approx(np.average(ours, weights=std), rel=1e-12)
    assert c["mean_official"] == pytest.approx(np.average(official, weights=std), rel=1e-12)


def test_shares_under_the_threshold_and_agreement_match_numpy(result):
    data, _ = result
    c = data["comparison"]
    _, ours, official, pop, _ = paired(data["rows"])
    t = c["threshold"]
    assert t == 2.5
    under_o, under_f = ours < t, official < t
    assert c["share_under_ours"] == pytest.approx(pop[under_o].sum() / pop.sum(), rel=1e-12)
    assert c["share_under_official"] == pytest.approx(pop[under_f].sum() / pop.sum(), rel=1e-12)
    assert c["agreement"] == pytest.approx(pop[under_o == under_f].sum() / pop.sum(), rel=1e-12)
    table = c["classes"]
    assert table["both_under"] == pytest.approx(pop[under_o & under_f].sum())
    assert table["ours_over_official_under"] == pytest.approx(pop[~under_o & under_f].sum())


def test_largest_differences_are_the_largest(result):
    data, stdout = result
    _, ours, official, _, _ = paired(data["rows"])
    diffs = sorted(abs(ours - official), reverse=True)
    listed = [abs(d["difference"]) for d in data["comparison"]["largest_differences"]]
    assert listed == pytest.approx(diffs[: len(listed)], abs=1e-12)
    # What the user reads says what both sides are.
    assert "official DREES APL 2023" in stdout
    assert "our travel times: estimated" in stdout
