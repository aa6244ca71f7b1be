"""`/metrics` of `medatlas serve`, read by the reference client's strict OpenMetrics parser
(`prometheus_client.openmetrics.parser`), counting a known sequence of requests exactly.

Run by scripts/test-python.sh; MEDATLAS_BIN names the binary.
"""

import urllib.error
import urllib.request

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from medatlas_server import serve


@pytest.fixture(scope="module")
def base():
    # No tiles rendered ahead: the cache's counts are the test's requests only.
    with serve("--dep", "15", "--prewarm-zoom", "-1") as url:
        yield url


def status_of(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def scrape(base):
    with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
        assert r.headers["Content-Type"].startswith("application/openmetrics-text")
        text = r.read().decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(families, family, sample, **labels):
    for s in families[family].samples:
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise AssertionError(f"no sample {sample} {labels}")


def test_a_known_sequence_of_requests_is_counted_exactly(base):
    for _ in range(3):
        assert status_of(base + "/api/communes/15014") == 200
    assert status_of(base + "/api/communes/15999") == 404
    for _ in range(2):
        assert status_of(base + "/tiles/communes/9/259/184.mvt") == 200
    f = scrape(base)
    requests = "medatlas_http_requests"
    assert f[requests].type == "counter"
    assert value(f, requests, "medatlas_http_requests_total", route="/api/communes/{code}", method="GET", status="200") == 3
    assert value(f, requests, "medatlas_http_requests_total", route="/api/communes/{code}", status="404") == 1
    assert value(f, requests, "medatlas_http_requests_total", route="/tiles/{layers}/{z}/{x}/{y}", status="200") == 2
    # /health was polled while the server started: counted too, by its template.
    assert value(f, requests, "medatlas_http_requests_total", route="/health", status="200") >= 1
    latency = "medatlas_http_request_duration_seconds"
    assert f[latency].type == "histogram"
    assert value(f, latency, latency + "_count", route="/api/communes/{code}") == 4
    assert value(f, latency, latency + "_bucket", route="/api/communes/{code}", le="+Inf") == 4
    assert value(f, "medatlas_tile_cache_hits", "medatlas_tile_cache_hits") == 1
    assert value(f, "medatlas_tile_cache_misses", "medatlas_tile_cache_misses") == 1
    assert value(f, "medatlas_atlas_generation", "medatlas_atlas_generation") == 0
    assert value(f, "medatlas_atlas_load_seconds", "medatlas_atlas_load_seconds") > 0
