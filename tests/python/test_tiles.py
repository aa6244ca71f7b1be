"""Acceptance tests of the vector tiles, from Python, on the embedded default data set.

The exported PMTiles archive is read back with Python's `pmtiles` package and compared byte
for byte with what `medatlas serve` answers; tiles are decoded with `mapbox-vector-tile`, a
decoder independent of the Rust encoder, and checked against the GeoJSON export of the same
atlas with shapely.

Run by scripts/test-python.sh; MEDATLAS_BIN names the binary (default target/debug/medatlas).
Nothing is built here.
"""

import csv
import gzip
import json
import math
import random
import subprocess
import urllib.error
import urllib.request

import mapbox_vector_tile
import pytest
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType
from shapely.geometry import box, shape

from medatlas_server import BIN, REPO, serve

# The archive holds the layers in the order of `--layers` (default: all, in this order), so the
# server is asked for the same list.
LAYERS = "communes,departements,msp"
MAXZOOM = 12
EXTENT = 4096
# Clip margin around each tile, in tile units (src/tiles/encode.rs BUFFER).
BUFFER = 64
COMMUNE_FIELDS = {
    "code", "name", "dep", "population", "gp", "gp_near_retirement", "gp_near_retirement_estimated",
    "gp_per_10k", "gp_per_10k_in_5y", "apl", "apl_official", "apl_official_year", "near_retirement_share",
    "zoning", "msp_count", "synthetic",
}
# Present on every commune feature (the others are absent where the value is unknown).
COMMUNE_ALWAYS = {"code", "name", "dep", "population", "msp_count"}
MONTLUCON = ("03185", 2.60, 46.34)


def lonlat_to_tile(lon, lat, z):
    """Fractional tile coordinates (XYZ, y down) of a point."""
    n = 2**z
    lat_r = math.radians(lat)
    return (lon + 180.0) / 360.0 * n, (1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n


def tile_to_lonlat(tx, ty, z):
    n = 2**z
    return tx / n * 360.0 - 180.0, math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * ty / n))))


def tile_window(z, x, y, margin):
    """The lon/lat box of a tile grown by `margin` tile units on each side (negative: shrunk)."""
    m = margin / EXTENT
    west, north = tile_to_lonlat(x - m, y - m, z)
    east, south = tile_to_lonlat(x + 1 + m, y + 1 + m, z)
    return box(west, south, east, north)


def run(*args, **kwargs):
    return subprocess.run([str(BIN), *args], check=True, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="session")
def export(tmp_path_factory):
    if not BIN.is_file():
        pytest.fail(f"{BIN} not found: build it (cargo build) or set MEDATLAS_BIN")
    tmp = tmp_path_factory.mktemp("export")
    out, stats = tmp / "default.pmtiles", tmp / "stats.json"
    # The layers the server is asked for (the EPCI layer is checked by tests/tiles.rs).
    run("tiles", "export", "--out", str(out), "--layers", LAYERS, "--minzoom", "0", "--maxzoom", str(MAXZOOM), "--stats", str(stats))
    return out, json.loads(stats.read_text())


@pytest.fixture(scope="session")
def archive(export):
    with open(export[0], "rb") as f:
        get_bytes = MmapSource(f)
        reader = Reader(get_bytes)
        yield {
            "header": reader.header(),
            "metadata": reader.metadata(),
            "tiles": {zxy: bytes(data) for zxy, data in all_tiles(get_bytes)},
        }


@pytest.fixture(scope="session")
def communes_geojson(tmp_path_factory):
    out = tmp_path_factory.mktemp("geojson") / "communes.geojson"
    run("tiles", "geojson", "--layer", "communes", "--out", str(out))
    features = json.loads(out.read_text())["features"]
    return {f["properties"]["code"]: shape(f["geometry"]) for f in features}


@pytest.fixture(scope="session")
def server():
    with serve() as base:
        yield base


def get(url, gzip_ok):
    """(status, headers, raw body) of a GET; urllib never decompresses."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def decode(data):
    """Layers of a gzipped tile, in tile coordinates with y down like the encoder's."""
    return mapbox_vector_tile.decode(gzip.decompress(data), default_options={"y_coord_down": True})


def sample(archive):
    """Every archive tile of z <= 8 and a fixed pseudo-random 100 of z9-12."""
    low = sorted(k for k in archive["tiles"] if k[0] <= 8)
    high = sorted(k for k in archive["tiles"] if k[0] > 8)
    return low + random.Random(20261122).sample(high, min(100, len(high)))


def tile_at(archive, lon, lat, z):
    fx, fy = lonlat_to_tile(lon, lat, z)
    key = (z, int(fx), int(fy))
    assert key in archive["tiles"], f"tile {key} not in the archive"
    return key, decode(archive["tiles"][key])


def test_header_and_metadata(archive, export):
    h, m = archive["header"], archive["metadata"]
    assert h["tile_type"] == TileType.MVT
    assert h["tile_compression"] == Compression.GZIP
    assert (h["min_zoom"], h["max_zoom"]) == (0, MAXZOOM)
    assert h["clustered"]
    assert h["addressed_tiles_count"] == len(archive["tiles"]) == export[1]["tiles"]
    assert [l["id"] for l in m["vector_layers"]] == LAYERS.split(",")
    communes = m["vector_layers"][0]
    assert set(communes["fields"]) == COMMUNE_FIELDS
    assert "SanteScope 2026" in m["attribution"], "the embedded GP counts name their source"
    assert "estimated" in m["attribution"], "near-retirement counts say they are estimated"
    assert "synthetic" not in m["attribution"].lower(), "the embedded GP counts are real"


def test_stats_match_the_archive_and_stay_small(archive, export):
    stats = export[1]
    assert [z["z"] for z in stats["zooms"]] == list(range(MAXZOOM + 1))
    for z in stats["zooms"]:
        sizes = sorted(len(d) for k, d in archive["tiles"].items() if k[0] == z["z"])
        assert z["tiles"] == len(sizes) > 0, z
        assert z["max_bytes"] == sizes[-1]
        assert z["max_bytes"] < 500_000, f"zoom {z['z']}: largest tile {z['max_tile']} is {z['max_bytes']} bytes"


def test_archive_tiles_are_the_server_tiles(archive, server):
    for z, x, y in sample(archive):
        stored = archive["tiles"][(z, x, y)]
        url = f"{server}/tiles/{LAYERS}/{z}/{x}/{y}.mvt"
        status, headers, body = get(url, gzip_ok=True)
        assert status == 200, url
        assert headers["Content-Encoding"] == "gzip", url
        assert headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
        assert body == stored, f"{url}: gzip bytes differ from the archive"
        status, headers, body = get(url, gzip_ok=False)
        assert status == 200 and headers["Content-Encoding"] is None, url
        assert body == gzip.decompress(stored), f"{url}: decompressed bytes differ"


def test_tiles_left_out_of_the_archive_are_empty(archive, server):
    """Around the data, every tile of z <= 9 the archive lacks is one the server has nothing for."""
    bounds = archive["header"]
    for z in range(10):
        x0, y0 = lonlat_to_tile(bounds["min_lon_e7"] / 1e7, bounds["max_lat_e7"] / 1e7, z)
        x1, y1 = lonlat_to_tile(bounds["max_lon_e7"] / 1e7, bounds["min_lat_e7"] / 1e7, z)
        n = 2**z
        for x in range(max(int(x0) - 1, 0), min(int(x1) + 2, n)):
            for y in range(max(int(y0) - 1, 0), min(int(y1) + 2, n)):
                if (z, x, y) not in archive["tiles"]:
                    status, _, body = get(f"{server}/tiles/{LAYERS}/{z}/{x}/{y}.mvt", gzip_ok=True)
                    assert (status, body) == (204, b""), f"{z}/{x}/{y} has data but is not in the archive"


def test_empty_tile_is_204(server):
    status, _, body = get(f"{server}/tiles/communes/12/0/0.mvt", gzip_ok=True)
    assert (status, body) == (204, b"")


def test_tilejson_describes_the_archive_layers(archive, server):
    status, _, body = get(f"{server}/tiles/{LAYERS}.json", gzip_ok=False)
    assert status == 200
    served = json.loads(body)
    archived = archive["metadata"]
    assert [l["id"] for l in served["vector_layers"]] == [l["id"] for l in archived["vector_layers"]]
    for s, a in zip(served["vector_layers"], archived["vector_layers"]):
        assert s["fields"] == a["fields"], s["id"]


def test_sampled_tiles_decode_with_the_declared_layers_and_fields(archive):
    expected_layers = set(LAYERS.split(","))
    for key in sample(archive):
        layers = decode(archive["tiles"][key])
        assert layers, key
        assert set(layers) <= expected_layers, key
        for f in layers.get("communes", {"features": []})["features"]:
            props = set(f["properties"])
            assert COMMUNE_ALWAYS <= props <= COMMUNE_FIELDS, (key, f["properties"])
            assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        for f in layers.get("msp", {"features": []})["features"]:
            assert f["geometry"]["type"] == "Point"


def test_montlucon_at_z12(archive):
    code, lon, lat = MONTLUCON
    (z, x, y), layers = tile_at(archive, lon, lat, MAXZOOM)
    assert (x, y) == (2077, 1451)
    features = [f for f in layers["communes"]["features"] if f["properties"]["code"] == code]
    assert len(features) == 1
    p = features[0]["properties"]
    assert p["name"] == "Montluçon"
    assert p["zoning"] == "ZAC"
    assert p["dep"] == "03"
    assert set(p) == COMMUNE_FIELDS, "Montluçon has every commune field"
    assert p["synthetic"] is False
    # geodata/santescope_auvergne_2026.csv line 184: 03185;Montluçon;03;84;33147;55;167;...
    assert p["gp"] == 55
    # × Allier's share of physicians aged 55+, geodata/medecins_55plus_2025.csv line 4
    # (0.47418335089567965): 26.08, 2 decimals in tiles, flagged estimated.
    assert abs(p["gp_near_retirement"] - 55 * 0.47418335089567965) <= 0.005
    assert p["gp_near_retirement_estimated"] is True
    # Half the near-retirement GPs gone in 5 years (10-year horizon, no replacement).
    expected = (p["gp"] - p["gp_near_retirement"] / 2) * 10_000 / p["population"]
    assert abs(p["gp_per_10k_in_5y"] - expected) <= 0.05 + 1e-9
    assert 0 < p["apl"] < 50, p["apl"]
    # The point lies inside the decoded polygon, in tile coordinates.
    fx, fy = lonlat_to_tile(lon, lat, z)
    point = shape({"type": "Point", "coordinates": [(fx - x) * EXTENT, (fy - y) * EXTENT]})
    assert shape(features[0]["geometry"]).buffer(0).contains(point)
    assert any(f["properties"]["code"] == "03" for f in layers["departements"]["features"])


@pytest.mark.parametrize("z", [8, 10, 12])
def test_commune_counts_around_montlucon(archive, communes_geojson, z):
    """The communes of a tile are those whose polygon meets the tile and its clip buffer, give
    or take the slivers within 2 tile units of the buffer's edge that quantisation may drop."""
    code, lon, lat = MONTLUCON
    (z, x, y), layers = tile_at(archive, lon, lat, z)
    decoded = {f["properties"]["code"] for f in layers["communes"]["features"]}
    outer, inner = tile_window(z, x, y, BUFFER + 2), tile_window(z, x, y, BUFFER - 2)
    may = {c for c, g in communes_geojson.items() if g.intersects(outer)}
    must = {c for c, g in communes_geojson.items() if g.intersects(inner)}
    assert code in decoded
    assert must <= decoded, f"missing {sorted(must - decoded)}"
    assert decoded <= may, f"unexpected {sorted(decoded - may)}"
    assert len(decoded) == len(layers["communes"]["features"]), "one feature per commune"


def test_every_allier_msp_is_in_the_z8_tiles(archive):
    with open(REPO / "geodata" / "msp_allier_2022.csv", newline="", encoding="utf-8") as f:
        expected = {row["id"] for row in csv.DictReader(f) if row["kind"] == "msp"}
    assert len(expected) == 29
    seen = set()
    for (z, _, _), data in archive["tiles"].items():
        if z == 8:
            seen |= {f["properties"]["id"] for f in decode(data).get("msp", {"features": []})["features"]}
    assert expected <= seen, f"missing {sorted(expected - seen)}"
    allier = {i for i in seen if i in expected}
    assert len(allier) == 29
