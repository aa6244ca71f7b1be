#!/usr/bin/env python3
"""Helpers of scripts/bench_tiles.sh (standard library only).

  urls     N SEED OUT                 a seeded random list of z5-z12 tiles over metropolitan France
  probe    BASE SUFFIX LIST OUT.tsv   fetch every tile once, in order, on one keep-alive connection
                                      (gzip accepted): status, bytes, milliseconds per tile
  keep     PROBE.tsv OUT              the tiles of a probe that answered 200, in list order
  pass     PROBE.tsv [LABEL]          the 200 answers of a probe: count, total seconds, p50/p99 ms,
                                      median ms and gzip bytes by zoom
  compare  A_BASE A_SUFFIX B_BASE B_SUFFIX LIST   decode a few tiles of each zoom 6, 9, 12 from
                                      both servers: bytes (raw, gzip), features, vertices
  table    RESULT.tsv                 the Markdown table of the wrk runs
"""

import gzip
import http.client
import math
import random
import statistics
import sys
import time
import urllib.parse
import zlib

# Metropolitan France (and Corsica), degrees.
WEST, EAST, SOUTH, NORTH = -5.0, 10.0, 41.0, 51.5
ZOOMS = range(5, 13)


def tile_of(lon, lat, z):
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    r = math.radians(lat)
    y = int((1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0 * n)
    return x, y


def cmd_urls(n, seed, out):
    """Uniform zoom, then a uniform point of the France box: one tile per draw. Repeats are kept
    (each draw is one request, as a viewer asks about as many tiles at each zoom)."""
    rng = random.Random(int(seed))
    with open(out, "w") as f:
        for _ in range(int(n)):
            z = rng.choice(ZOOMS)
            x, y = tile_of(rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH), z)
            f.write(f"{z}/{x}/{y}\n")


def read_list(path):
    with open(path) as f:
        return [l.strip() for l in f if l.strip()]


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects if the server closes it."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = u.hostname, u.port, u.path.rstrip("/")
        self.conn = None

    def get(self, path, accept_gzip=True):
        headers = {"Accept-Encoding": "gzip"} if accept_gzip else {}
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                t0 = time.perf_counter()
                self.conn.request("GET", self.prefix + path, headers=headers)
                r = self.conn.getresponse()
                body = r.read()
                ms = (time.perf_counter() - t0) * 1000.0
                return r.status, r.getheader("Content-Encoding") or "", body, ms
            except (http.client.HTTPException, ConnectionError):
                self.conn = None
                if attempt:
                    raise


def raw_body(enc, body):
    if enc == "gzip":
        return gzip.decompress(body)
    if enc == "deflate":
        return zlib.decompress(body)
    if enc in ("", "identity"):
        return body
    raise SystemExit(f"unexpected Content-Encoding {enc!r}")


def cmd_probe(base, suffix, list_path, out):
    c = Client(base)
    with open(out, "w") as f:
        f.write("tile\tstatus\tencoding\tbytes\traw_bytes\tms\n")
        for t in read_list(list_path):
            status, enc, body, ms = c.get(f"/{t}{suffix}")
            raw = len(raw_body(enc, body)) if status == 200 else 0
            f.write(f"{t}\t{status}\t{enc or '-'}\t{len(body)}\t{raw}\t{ms:.3f}\n")


def read_probe(path):
    rows = []
    with open(path) as f:
        next(f)
        for line in f:
            t, status, enc, size, raw, ms = line.rstrip("\n").split("\t")
            rows.append((t, int(status), enc, int(size), int(raw), float(ms)))
    return rows


def cmd_keep(probe, out):
    with open(out, "w") as f:
        for t, status, *_ in read_probe(probe):
            if status == 200:
                f.write(t + "\n")


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100.0 * len(v)) - 1))]


def cmd_pass(probe, label=""):
    """Statistics of the tiles that answered 200 (the other answers are counted only)."""
    statuses = {}
    for r in read_probe(probe):
        statuses[r[1]] = statuses.get(r[1], 0) + 1
    rows = [r for r in read_probe(probe) if r[1] == 200]
    ms = [r[5] for r in rows]
    print(f"{label}{len(rows)} tiles (200) in {sum(ms) / 1000:.1f} s (one connection, in order); "
          f"per tile p50 {pct(ms, 50):.1f} ms, p99 {pct(ms, 99):.1f} ms, max {max(ms):.0f} ms; "
          f"statuses {dict(sorted(statuses.items()))}; "
          f"gzip bytes p50 {pct([r[3] for r in rows], 50)}, max {max(r[3] for r in rows)}")
    by_zoom = {}
    for r in rows:
        by_zoom.setdefault(int(r[0].split("/")[0]), []).append(r)
    parts = []
    for z in sorted(by_zoom):
        zr = by_zoom[z]
        parts.append(f"z{z} {statistics.median(r[5] for r in zr):.1f} ms / {int(statistics.median(r[3] for r in zr))} B")
    print(f"{label}median per zoom (ms / gzip bytes): " + ", ".join(parts))


# --- a minimal MVT reader: layer names, features, geometry commands ---

def varint(b, i):
    shift = result = 0
    while True:
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        if c < 0x80:
            return result, i
        shift += 7


def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        else:
            raise ValueError(f"wire type {wt}")
        yield num, wt, v


def packed(b):
    out, i = [], 0
    while i < len(b):
        v, i = varint(b, i)
        out.append(v)
    return out


def decode_mvt(data):
    """{layer: (features, vertices, rings, distinct property keys)}"""
    layers = {}
    for num, _, layer in fields(data):
        if num != 3:
            continue
        name, feats, verts, rings, keys = "", 0, 0, 0, 0
        for lnum, _, v in fields(layer):
            if lnum == 1:
                name = v.decode()
            elif lnum == 3:
                keys += 1
            elif lnum == 2:
                feats += 1
                for fnum, _, fv in fields(v):
                    if fnum == 4:
                        g, i = packed(fv), 0
                        while i < len(g):
                            cmd, count = g[i] & 7, g[i] >> 3
                            i += 1
                            if cmd in (1, 2):
                                verts += count
                                i += 2 * count
                            elif cmd == 7:
                                rings += 1
        layers[name] = (feats, verts, rings, keys)
    return layers


def cmd_compare(a_base, a_suffix, b_base, b_suffix, list_path, per_zoom=3):
    tiles = read_list(list_path)
    chosen = []
    for z in (6, 9, 12):
        seen = []
        for t in tiles:
            if t.startswith(f"{z}/") and t not in seen:
                seen.append(t)
            if len(seen) == per_zoom:
                break
        chosen += seen
    a, b = Client(a_base), Client(b_base)
    print("| tile | server | bytes | gzip bytes | features | vertices | rings |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for t in chosen:
        for label, c, suffix in (("medatlas", a, a_suffix), ("martin", b, b_suffix)):
            status, enc, body, _ = c.get(f"/{t}{suffix}")
            if status != 200:
                print(f"| {t} | {label} | status {status} | | | | |")
                continue
            raw = raw_body(enc, body)
            gz = len(body) if enc == "gzip" else len(gzip.compress(raw))
            layers = decode_mvt(raw)
            f = sum(v[0] for v in layers.values())
            v = sum(v[1] for v in layers.values())
            r = sum(v[2] for v in layers.values())
            print(f"| {t} | {label} | {len(raw):,} | {gz:,} | {f:,} | {v:,} | {r:,} |")


def cmd_table(path):
    rows = []
    with open(path) as f:
        for line in f:
            label, res = line.rstrip("\n").split("\t", 1)
            d = dict(kv.split("=") for kv in res.split())
            rows.append((label, {k: int(v) for k, v in d.items()}))
    print("| server | req/s | p50 | p99 | max | requests | MB/s (gzip) | non-2xx/3xx | socket errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rate = {}
    for label, d in rows:
        rps = d["requests"] / (d["duration_us"] / 1e6)
        rate[label] = rps
        print(f"| {label} | {rps:,.0f} | {d['p50_us'] / 1000:.2f} ms | {d['p99_us'] / 1000:.2f} ms | "
              f"{d['max_us'] / 1000:.0f} ms | {d['requests']:,} | {d['bytes'] / (d['duration_us'] / 1e6) / 1e6:.1f} | "
              f"{d['non2xx3xx']} | {d['socket_errors']} |")
    m_unc, m_c = rate.get("martin uncached"), rate.get("martin cached")
    print()
    for label, r in rate.items():
        if label == "medatlas cached z10-12" and rate.get("martin cached z10-12"):
            print(f"- {label}: {r / rate['martin cached z10-12']:.0f}x martin cached z10-12")
        elif label.startswith("medatlas"):
            ratios = []
            if m_unc:
                ratios.append(f"{r / m_unc:.2f}x martin uncached")
            if m_c:
                ratios.append(f"{r / m_c:.2f}x martin cached")
            print(f"- {label}: " + ", ".join(ratios))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"urls": cmd_urls, "probe": cmd_probe, "keep": cmd_keep, "pass": cmd_pass,
     "compare": cmd_compare, "table": cmd_table}[cmd](*args)
