"""Refresh without restart, under load from a second process: `wrk` asks for a tile and a
commune's JSON without pause while the GP file named in the server's config is rewritten and
`POST /admin/reload` is called. Checked: no request fails during the swap, the new data is
served as soon as the reload has answered, and no connection is answered the old generation's
tile or figures after it has seen the new ones. Then a broken file keeps the current atlas
and says why, and a reload without the token is refused.

Run by scripts/test-python.sh (which installs wrk); MEDATLAS_BIN names the binary.
"""

import json
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from medatlas_server import serve

WATCH = Path(__file__).resolve().parent / "wrk" / "reload_watch.lua"
TOKEN = "s3cret-for-the-load-test"
AURILLAC = "15014"
# The reload is triggered after LEAD seconds of load, and the load goes on for AFTER seconds
# once the reload has answered (wrk is then stopped by SIGINT, which makes it report); a slow
# machine's longer reload only makes the run longer. MAX_SECONDS bounds wrk in any case.
LEAD, AFTER, MAX_SECONDS = 3, 3, 120


def tile_of(lon, lat, z):
    n = 2**z
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n
    return f"/tiles/communes/{z}/{int((lon + 180) / 360 * n)}/{int(y)}.mvt"


TILE = tile_of(2.4447, 44.9264, 9)  # Aurillac's town hall
COMMUNE = f"/api/communes/{AURILLAC}"


def write_gps(path, aurillac, others):
    path.write_text(f"code_commune,gp_count\n{AURILLAC},{aurillac}\n15187,{others}\n15120,{others}\n")


@pytest.fixture(scope="module")
def server():
    assert shutil.which("wrk"), "wrk is missing: scripts/test-python.sh installs it (apt package wrk)"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        gps = tmp / "gps.csv"
        write_gps(gps, aurillac=40, others=5)
        config = tmp / "medatlas.toml"
        config.write_text('departments = ["15"]\nno_default_health = true\n[[sources]]\nkind = "csv"\npath = "gps.csv"\n')
        with serve("--config", str(config), env={"MEDATLAS_ADMIN_TOKEN": TOKEN}) as url:
            yield url, gps


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.headers, r.read()


def reload(base, token=TOKEN):
    request = urllib.request.Request(base + "/admin/reload", method="POST")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def versions(base):
    """Aurillac's GP count in its JSON and the ETag of its tile."""
    status, _, body = get(base + COMMUNE)
    assert status == 200
    _, headers, _ = get(base + TILE)
    return json.loads(body)["gp"]["gp"], headers["ETag"].strip('"')


def test_requests_never_fail_during_a_reload_and_no_stale_answer_follows_the_new_one(server):
    base, gps = server
    gp_before, tile_before = versions(base)
    assert gp_before == 40
    wrk = subprocess.Popen(
        ["wrk", "-t2", "-c2", f"-d{MAX_SECONDS}s", "--timeout", "30s", "-s", str(WATCH), base],
        env={**os.environ, "WATCH_TILE": TILE, "WATCH_COMMUNE": COMMUNE},
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(LEAD)
    write_gps(gps, aurillac=41, others=5)
    status, body = reload(base)
    assert status == 200, body
    assert (body["before"]["generation"], body["after"]["generation"]) == (0, 1), body
    # Served at once after the answer: the new figures and a new tile.
    gp_after, tile_after = versions(base)
    assert gp_after == 41
    assert tile_after != tile_before, "the tile of generation 0 is still served"
    time.sleep(AFTER)
    wrk.send_signal(signal.SIGINT)
    out, _ = wrk.communicate(timeout=60)
    assert wrk.returncode == 0, out
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[len("RESULT ") :])
    print("wrk:", result)

    assert result["requests"] > 100, f"too little load to say anything: {result}"
    failed = {k: result[k] for k in ("connect", "read", "write", "status", "timeout")}
    assert failed == dict.fromkeys(failed, 0), f"failed requests during the reload: {result}"
    for t in result["threads"]:
        assert (t["not_ok"], t["unparsed"]) == (0, 0), t
        # Each connection saw the old version, then the new one, and never the old one again.
        assert t["communes"] == "40,41", f"GP counts in the order one connection saw them: {t}"
        assert t["tiles"] == f"{tile_before},{tile_after}", f"tile ETags in the order one connection saw them: {t}"


def test_a_broken_file_keeps_the_current_atlas_and_a_reload_needs_the_token(server):
    base, gps = server
    gp, tile = versions(base)
    gps.write_text("this is not,a GP file\n")
    status, body = reload(base)
    assert status == 422, body
    assert "kept" in body["error"], body
    assert versions(base) == (gp, tile), "the current atlas is still served"

    write_gps(gps, aurillac=gp + 1, others=5)
    status, body = reload(base, token=None)
    assert status == 401, body
    status, body = reload(base, token="not-the-token")
    assert status == 401, body
    assert versions(base) == (gp, tile), "nothing reloaded without the token"
