#!/usr/bin/env python3
"""Extracts the per-département GP reference of the atlas from the Cnam demography file.

Input: toutes_specialites_departement.csv (data.ameli.fr « Démographie — effectifs et
densités », 2024, see /work/shared/data/ameli_demographie_2024/PROVENANCE.md).
Output: geodata/ameli_gp_departements_2024.csv, the same format (same header, UTF-8 with
BOM, `,`) restricted to profession « Ensemble des médecins généralistes », tout âge, tout
sexe, the 101 départements (the `999` region and France totals left out), so that
`medatlas::ingest::ameli` reads the extract and the full file alike.

usage: scripts/extract_ameli_reference.py [INPUT] [OUTPUT]
"""
import csv
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data/ameli_demographie_2024/toutes_specialites_departement.csv")
OUTPUT = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "geodata" / "ameli_gp_departements_2024.csv"
PROFESSION = "Ensemble des médecins généralistes"

raw = INPUT.read_bytes()
print(f"input {INPUT} sha256 {hashlib.sha256(raw).hexdigest()}")
text = raw.decode("utf-8-sig")
reader = csv.reader(text.splitlines())
header = next(reader)
col = {name: i for i, name in enumerate(header)}
rows = [
    r for r in reader
    if r[col["profession_sante"]] == PROFESSION
    and r[col["classe_age"]] == "tout_age"
    and r[col["libelle_sexe"]] == "tout sexe"
    and r[col["departement"]] != "999"
]
deps = [r[col["departement"]] for r in rows]
if len(rows) != 101 or len(set(deps)) != 101:
    sys.exit(f"expected 101 distinct départements, got {len(rows)} rows ({len(set(deps))} distinct)")
rows.sort(key=lambda r: r[col["departement"]])
with OUTPUT.open("w", encoding="utf-8-sig", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
total = sum(int(r[col["effectif"]]) for r in rows)
print(f"wrote {OUTPUT}: {len(rows)} départements, {total} GPs, sha256 {hashlib.sha256(OUTPUT.read_bytes()).hexdigest()}")
