//! GP head counts per commune from the Annuaire Santé extraction
//! `PS_LibreAcces_Personne_activite_*.txt` (RPPS / ADELI, published by the ANS).
//!
//! # Format
//!
//! `|` separated, a trailing `|` on every line, header on line 1, no quoting, UTF-8 or
//! Windows-1252 depending on the vintage (decoded by [`text::decode`]). One row per
//! professional × activity site, so the same person appears on several rows.
//!
//! Columns are found by header name, compared without case or accents, because the casing of
//! the names changed between vintages (`(coord. structure)` / `(coord. Structure)`) and columns
//! were added over the years; positions are not stable, names are.
//!
//! # Who counts as a GP
//!
//! A row counts when `Code profession` is `10` (médecin) **and** its savoir-faire is general
//! practice: `Code savoir-faire` is `SM54`, or `Libellé savoir-faire` reads (ignoring case and
//! accents) « Médecine générale », « Qualifié en Médecine Générale » or « Spécialiste en
//! Médecine Générale ». The labels are accepted as well as the code because the ordinal
//! nomenclature changed over the years (qualification, then specialty) and extractions of
//! different years carry different codes for the same practice.
//!
//! Rows of physicians with an **empty** savoir-faire are **not** GPs here. A third-party
//! pipeline counted them as GPs, which inflates counts with physicians whose specialty is
//! simply not recorded (students, retired physicians keeping a registration, etc.); the
//! report notes how many such rows were left out so the choice stays visible.
//!
//! Every other row is *skipped* (a design choice, not an error): `not a physician`, or
//! `physician, not general practice`. Skip counts are rows, not people. All modes of
//! practice (libéral, salarié, ...) count in the total `gp`: the question is where GPs work.
//!
//! # Modes of practice
//!
//! The same GPs are also split by mode ([`GpByMode`]), because the DREES APL counts only
//! liberal GPs and GPs salaried in a centre de santé (its « Champ de l'indicateur »), not
//! hospital or other salaried GPs. A row's mode comes from `Code mode exercice` (ANS
//! nomenclature TRE_R23, `Libellé mode exercice` when the code is empty) and, for salaried
//! rows, from the site's `Code secteur d'activité` (TRE_R02, `Libellé secteur d'activité`
//! when the code is empty):
//!
//! | `Code mode exercice` | `Code secteur d'activité` | counts as |
//! |----------------------|---------------------------|-----------|
//! | `L` Libéral          | any (SA07 cabinet individuel, SA08 cabinet de groupe, SA52 maison de santé, SA05…) | `liberal` |
//! | `S` Salarié          | `SA05` « Centre de santé » (or that label) | `health_centre` |
//! | `S` Salarié          | any other, or empty: SA01 établissement public de santé, SA03/SA04 établissements privés, SA02/SA06 armed forces, SA17 EHPAD, SA60 centres médicaux SNCF… | `other_salaried` |
//! | `B` Bénévole         | any                       | `volunteer` |
//! | empty                | any                       | `unknown` |
//! | any other code       | any                       | `unknown`, reported (note with its lines) |
//!
//! The codes were checked against the ANS nomenclature TRE_R02-SecteurActivite (repository
//! `ansforge/IG-NOS`, `ig/allNos2/CodeSystem-TRE-R02-SecteurActivite.ttl`, commit
//! `b8b0cc32cc5e1471d417d6d3a3dd17bfb0fce3e9`): `SA05` is « Centre de santé » and `SA07`
//! « Cabinet individuel » (not a health centre). `SA60` « Centres médicaux SNCF » is left with
//! the other salaried GPs: DREES names centres de santé only.
//!
//! A GP with several rows in one commune counts **once** there, in the first of these modes
//! that any of their rows has: liberal, health centre, other salaried, volunteer, unknown.
//! So a GP with a cabinet and a hospital post in the same town is a liberal GP of that town
//! (DREES counts them through their liberal activity), and the split adds up to `gp`. A GP
//! in two communes counts in both, in each with the mode of their rows there (the cabinet's
//! town liberal, the hospital's town salaried). An extraction without the
//! `Code mode exercice` column gives totals only (`gp_by_mode` stays `None`, with a note).
//!
//! # Placing a row
//!
//! Through `Code commune (coord. structure)` when it is filled (arrondissements count in their
//! city; former communes are rejected unless [`RppsOptions::remap_merged`]). Liberal cabinets
//! often have no commune code, only a postal code: those rows are placed by postal code and
//! town name, the town being `Libellé commune` or else `Bureau cedex` without its leading postal
//! code (`01390 MIONNAY` → `MIONNAY`). A row with neither code nor postal code, or with a
//! foreign `Code pays`, cannot be placed and is rejected (`no_location`); the atlas is about
//! French communes and a foreign site must not fall into a French commune with the same
//! postal code.
//!
//! # Counting
//!
//! A physician counts once per commune: rows are de-duplicated on
//! (`Identification nationale PP`, commune), because a GP with a cabinet and a hospital
//! activity in the same town is one GP for that town. A physician who practises in two
//! communes counts in **both**: the count is "GPs practising here", not full-time
//! equivalents, so summing communes over-counts people. Merged duplicates are reported as a
//! note, not as rejections.
//!
//! A row with fewer fields than the header (a truncated line, typically the last line of an
//! interrupted download) is rejected with the first missing column, never guessed.
//!
//! # What this file cannot give
//!
//! The extraction has no age or birth-date column: near-retirement counts
//! (`gp_near_retirement`) cannot come from it and stay `None`.

use super::Reader;
use super::CommuneValues;
use crate::model::GpByMode;
use crate::model::report::{ImportReport, Imported, RejectReason};
use super::text::{self, Encoding};
use crate::model::CommuneRegistry;
use crate::error::{Error, Result};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Format name written in the import report.
pub const FORMAT: &str = "rpps";

/// Column names, as in the published header (matched without case or accents).
pub const COL_ID: &str = "Identification nationale PP";
pub const COL_PROFESSION: &str = "Code profession";
pub const COL_SF_CODE: &str = "Code savoir-faire";
pub const COL_SF_LABEL: &str = "Libellé savoir-faire";
pub const COL_POSTAL: &str = "Code postal (coord. structure)";
pub const COL_COMMUNE_CODE: &str = "Code commune (coord. structure)";
pub const COL_COMMUNE_NAME: &str = "Libellé commune (coord. structure)";
pub const COL_CEDEX: &str = "Bureau cedex (coord. structure)";
pub const COL_COUNTRY: &str = "Code pays (coord. structure)";
pub const COL_COUNTRY_NAME: &str = "Libellé pays (coord. structure)";
pub const COL_MODE: &str = "Code mode exercice";
pub const COL_MODE_LABEL: &str = "Libellé mode exercice";
pub const COL_SECTOR: &str = "Code secteur d'activité";
pub const COL_SECTOR_LABEL: &str = "Libellé secteur d'activité";

/// Columns without which GPs cannot be selected or placed: their absence means the file is
/// not this extraction (or a vintage we do not know), so reading stops rather than guessing.
const REQUIRED: [&str; 8] = [
    COL_ID,
    COL_PROFESSION,
    COL_SF_CODE,
    COL_SF_LABEL,
    COL_POSTAL,
    COL_COMMUNE_CODE,
    COL_COMMUNE_NAME,
    COL_CEDEX,
];

/// `Code profession` of physicians.
const PHYSICIAN: &str = "10";
/// `Code savoir-faire` of general practice.
const GP_SAVOIR_FAIRE: &str = "SM54";
/// `Libellé savoir-faire` values meaning general practice across vintages.
const GP_LABELS: [&str; 3] = [
    "Médecine générale",
    "Qualifié en Médecine Générale",
    "Spécialiste en Médecine Générale",
];

/// `Code pays` values meaning France. Most French rows leave it empty; `99100` is France in
/// the INSEE country list (the ANS TRE_R20 nomenclature), `99000` is what the format notes saw.
const FRANCE: [&str; 5] = ["99000", "99100", "FR", "FRA", "FRANCE"];

/// `Code secteur d'activité` of a centre de santé (TRE_R02), and its label.
pub const HEALTH_CENTRE_SECTOR: &str = "SA05";
const HEALTH_CENTRE_LABEL: &str = "Centre de santé";

/// How one row's GP practises, in the order a GP with several rows in one commune is
/// counted: the first mode any of their rows has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// `L`: liberal, whatever the site.
    Liberal,
    /// `S` in a centre de santé (`SA05`).
    HealthCentre,
    /// `S` anywhere else (hospital, clinic, employer).
    OtherSalaried,
    /// `B`: volunteer.
    Volunteer,
    /// No mode, or a code this reader does not know.
    Unknown,
}

/// The mode of a row from its mode code (or label) and its site's sector code (or label);
/// `Err` carries an unknown mode code, which counts as [`Mode::Unknown`] and is reported.
pub fn mode_of(mode_code: &str, mode_label: &str, sector_code: &str, sector_label: &str) -> std::result::Result<Mode, String> {
    let code = mode_code.trim();
    let key = if code.is_empty() {
        match loose_key(mode_label).as_str() {
            "liberal" => "L",
            "salarie" => "S",
            "benevole" => "B",
            "" => "",
            _ => return Err(mode_label.trim().to_string()),
        }
    } else {
        code
    };
    Ok(match key.to_ascii_uppercase().as_str() {
        "L" => Mode::Liberal,
        "S" if is_health_centre(sector_code, sector_label) => Mode::HealthCentre,
        "S" => Mode::OtherSalaried,
        "B" => Mode::Volunteer,
        "" => Mode::Unknown,
        _ => return Err(code.to_string()),
    })
}

/// Whether a site's sector is a centre de santé: code `SA05`, or that label when the code is empty.
pub fn is_health_centre(sector_code: &str, sector_label: &str) -> bool {
    let code = sector_code.trim();
    if !code.is_empty() {
        return code.eq_ignore_ascii_case(HEALTH_CENTRE_SECTOR);
    }
    loose_key(sector_label) == loose_key(HEALTH_CENTRE_LABEL)
}

impl Mode {
    fn count_in(self, split: &mut GpByMode) {
        let slot = match self {
            Mode::Liberal => &mut split.liberal,
            Mode::HealthCentre => &mut split.health_centre,
            Mode::OtherSalaried => &mut split.other_salaried,
            Mode::Volunteer => &mut split.volunteer,
            Mode::Unknown => &mut split.unknown,
        };
        *slot += 1;
    }
}

pub const SKIP_NOT_PHYSICIAN: &str = "not a physician";
pub const SKIP_NOT_GP: &str = "physician, not general practice";

/// How to read an RPPS extraction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RppsOptions {
    /// Count rows whose commune code is a former (merged) commune in its successor. Off by
    /// default so that a geography older or newer than the file shows up as rejections
    /// instead of silently moving GPs.
    pub remap_merged: bool,
}

/// The rpps format behind the [`Reader`] trait.
pub struct RppsReader;

impl Reader for RppsReader {
    type Record = CommuneValues;
    type Options = RppsOptions;
    const KIND: &'static str = FORMAT;

    /// Reads an extraction already in memory; `name` is used in errors and the report.
    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, opts: &RppsOptions) -> Result<Imported<CommuneValues>> {
        parse_text(name, &decode(bytes), registry, opts)
    }

    /// Decodes, then frees the raw bytes before parsing: a national extraction is large.
    fn read(path: &Path, registry: &CommuneRegistry, options: &RppsOptions) -> Result<Imported<CommuneValues>> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let decoded = decode(&bytes);
        drop(bytes);
        parse_text(&path.display().to_string(), &decoded, registry, options)
    }
}

/// Decoded text of an extraction.
struct Decoded {
    text: String,
    encoding: Encoding,
    /// The bytes ended inside a UTF-8 character (a download cut short).
    cut_character: bool,
}

/// Like [`text::decode`], except that a UTF-8 file cut inside a multi-byte character stays
/// UTF-8: otherwise the whole file, header included, would be read as Windows-1252 and every
/// accented column name would stop matching, turning one truncated row into a fatal error.
fn decode(bytes: &[u8]) -> Decoded {
    if let Err(e) = std::str::from_utf8(bytes)
        && e.error_len().is_none()
    {
        let (text, encoding) = text::decode(&bytes[..e.valid_up_to()]);
        return Decoded {
            text,
            encoding,
            cut_character: true,
        };
    }
    let (text, encoding) = text::decode(bytes);
    Decoded {
        text,
        encoding,
        cut_character: false,
    }
}

/// Positions of the columns the reader uses, found in the header.
#[derive(Debug)]
struct Columns {
    names: Vec<String>,
    id: usize,
    profession: usize,
    sf_code: usize,
    sf_label: usize,
    postal: usize,
    commune_code: usize,
    commune_name: usize,
    cedex: usize,
    country: Option<usize>,
    country_name: Option<usize>,
    mode: Option<usize>,
    mode_label: Option<usize>,
    sector: Option<usize>,
    sector_label: Option<usize>,
}

/// Key used to compare header names and labels: accents, case and spacing differ between
/// vintages and encodings, the words do not.
fn loose_key(s: &str) -> String {
    deunicode::deunicode(s)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The separator a header line is most likely written with, to explain a wrong file.
fn likely_separator(line: &str) -> char {
    let mut best = ('|', line.matches('|').count());
    for sep in [';', ',', '\t'] {
        let n = line.matches(sep).count();
        if n > best.1 {
            best = (sep, n);
        }
    }
    best.0
}

impl Columns {
    fn from_header(file: &str, line: &str) -> Result<Columns> {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            return Err(Error::format(
                file,
                1,
                "header",
                "empty first line: expected the '|' separated RPPS header",
            ));
        }
        let sep = likely_separator(line);
        if sep != '|' || !line.contains('|') {
            let found = match sep {
                '|' => "no separator".to_string(),
                '\t' => "tabs".to_string(),
                other => format!("'{other}'"),
            };
            return Err(Error::format(
                file,
                1,
                "header",
                format!(
                    "expected '|' separated header (PS_LibreAcces_Personne_activite), found {found}"
                ),
            ));
        }
        let mut names: Vec<String> = line.split('|').map(|s| s.trim().to_string()).collect();
        if names.last().is_some_and(|s| s.is_empty()) {
            names.pop();
        }
        let keys: Vec<String> = names.iter().map(|n| loose_key(n)).collect();
        let find = |wanted: &str| {
            let key = loose_key(wanted);
            keys.iter().position(|k| *k == key)
        };
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|c| find(c).is_none())
            .collect();
        if let Some(first) = missing.first() {
            return Err(Error::format(
                file,
                1,
                *first,
                format!(
                    "not an RPPS PS_LibreAcces_Personne_activite header: missing column(s) {}",
                    missing
                        .iter()
                        .map(|c| format!("{c:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let pos = |wanted: &str| find(wanted).unwrap_or_default();
        Ok(Columns {
            id: pos(COL_ID),
            profession: pos(COL_PROFESSION),
            sf_code: pos(COL_SF_CODE),
            sf_label: pos(COL_SF_LABEL),
            postal: pos(COL_POSTAL),
            commune_code: pos(COL_COMMUNE_CODE),
            commune_name: pos(COL_COMMUNE_NAME),
            cedex: pos(COL_CEDEX),
            country: find(COL_COUNTRY),
            country_name: find(COL_COUNTRY_NAME),
            mode: find(COL_MODE),
            mode_label: find(COL_MODE_LABEL),
            sector: find(COL_SECTOR),
            sector_label: find(COL_SECTOR_LABEL),
            names,
        })
    }

    fn width(&self) -> usize {
        self.names.len()
    }
}

/// Whether a physician row's savoir-faire is general practice (see the module doc).
pub fn is_general_practice(code: &str, label: &str) -> bool {
    if code.trim().eq_ignore_ascii_case(GP_SAVOIR_FAIRE) {
        return true;
    }
    let key = loose_key(label);
    !key.is_empty() && GP_LABELS.iter().any(|l| loose_key(l) == key)
}

/// The town of a `Bureau cedex` value: the postal code that starts it is not part of the name
/// the postal table knows.
pub fn town_from_cedex<'a>(cedex: &'a str, postal: &str) -> &'a str {
    let t = cedex.trim();
    let postal = postal.trim();
    if !postal.is_empty()
        && let Some(rest) = t.strip_prefix(postal)
        && (rest.is_empty() || rest.starts_with(char::is_whitespace))
    {
        return rest.trim();
    }
    match t.split_once(char::is_whitespace) {
        Some((first, rest))
            if (4..=5).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_digit()) =>
        {
            rest.trim()
        }
        _ => t,
    }
}

fn is_french_country(code: &str) -> bool {
    let c = code.trim();
    c.is_empty() || FRANCE.iter().any(|f| f.eq_ignore_ascii_case(c))
}

/// GP counts of one commune while reading.
#[derive(Debug)]
struct Tally {
    gp: u32,
    first_line: u64,
    source_codes: BTreeSet<String>,
}

fn parse_text(
    name: &str,
    decoded: &Decoded,
    registry: &CommuneRegistry,
    opts: &RppsOptions,
) -> Result<Imported<CommuneValues>> {
    let text = decoded.text.as_str();
    let mut report = ImportReport::new(name, FORMAT);
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or_default();
    let cols = Columns::from_header(name, header)?;
    report.note(match decoded.encoding {
        Encoding::Utf8 => "encoding: UTF-8".to_string(),
        Encoding::Windows1252 => "encoding: Windows-1252 (not valid UTF-8)".to_string(),
    });
    if decoded.cut_character {
        report.note("the file ends inside a UTF-8 character: it looks truncated");
    }

    let has_modes = cols.mode.is_some() || cols.mode_label.is_some();
    let mut scan = Scan::default();
    let ends_with_newline = text.ends_with('\n');
    let last_line = last_line_number(text);
    let mut fields: Vec<&str> = Vec::with_capacity(cols.width() + 1);

    for (index, raw) in lines.enumerate() {
        // `index` counts from the line after the header (line 2).
        let line_no = index as u64 + 2;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            // The empty segment after the final newline is not a line of the file.
            if !(ends_with_newline && line_no == last_line) {
                scan.blank_lines += 1;
            }
            continue;
        }
        report.rows_read += 1;

        fields.clear();
        fields.extend(line.split('|'));
        if fields.len() == cols.width() + 1 && fields.last().is_some_and(|f| f.is_empty()) {
            fields.pop();
        }
        if fields.len() < cols.width() {
            let field = cols.names.get(fields.len()).cloned().unwrap_or_default();
            report.reject(line_no, RejectReason::MissingField { field });
            if !ends_with_newline && line_no == last_line {
                scan.truncated_last_line = Some(line_no);
            }
            continue;
        }
        if fields.len() > cols.width() {
            // A '|' inside a value (the format has no quoting) shifts every later column.
            report.reject(
                line_no,
                RejectReason::InvalidValue {
                    field: "fields".into(),
                    value: format!("{} fields", fields.len()),
                    expected: format!("{} '|' separated fields as in the header", cols.width()),
                },
            );
            continue;
        }
        let Some(id) = gp_id(&fields, &cols, line_no, &mut scan, &mut report) else { continue };
        let Some((commune, source)) = place(&fields, &cols, line_no, registry, opts, &mut scan, &mut report) else { continue };
        report.rows_used += 1;
        scan.count(&fields, &cols, line_no, id, commune, source);
    }

    let (tallies, splits) = scan.finish(has_modes, &mut report);
    let records = records_of(tallies, &splits, has_modes);
    Ok(Imported { records, report })
}

/// What the row loop of [`parse_text`] accumulates.
#[derive(Default)]
struct Scan {
    tallies: BTreeMap<String, Tally>,
    /// (GP, commune) -> the mode they count in there (the first in `Mode` order).
    seen: HashMap<(String, String), Mode>,
    unknown_modes: BTreeMap<String, Vec<u64>>,
    communes_per_gp: HashMap<String, u32>,
    duplicates: u64,
    empty_savoir_faire: u64,
    via_former_name: u64,
    blank_lines: u64,
    truncated_last_line: Option<u64>,
}

impl Scan {
    /// Counts a placed GP row once per (GP, commune), in the mode it is found under first in
    /// `Mode` order.
    fn count(&mut self, fields: &[&str], cols: &Columns, line_no: u64, id: &str, commune: String, source: String) {
        let get = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or_default();
        let mode = match mode_of(
            cols.mode.map(get).unwrap_or_default(),
            cols.mode_label.map(get).unwrap_or_default(),
            cols.sector.map(get).unwrap_or_default(),
            cols.sector_label.map(get).unwrap_or_default(),
        ) {
            Ok(mode) => mode,
            Err(code) => {
                self.unknown_modes.entry(code).or_default().push(line_no);
                Mode::Unknown
            }
        };
        match self.seen.entry((id.to_string(), commune.clone())) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                self.duplicates += 1;
                if mode < *e.get() {
                    e.insert(mode);
                }
                return;
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(mode);
            }
        }
        *self.communes_per_gp.entry(id.to_string()).or_default() += 1;
        let tally = self.tallies.entry(commune).or_insert_with(|| Tally {
            gp: 0,
            first_line: line_no,
            source_codes: BTreeSet::new(),
        });
        tally.gp += 1;
        tally.source_codes.insert(source);
    }

    /// The report's notes on what the loop saw; returns the per-commune split by mode.
    fn finish(self, has_modes: bool, report: &mut ImportReport) -> (BTreeMap<String, Tally>, HashMap<String, GpByMode>) {
        let Scan { tallies, seen, unknown_modes, communes_per_gp, duplicates, empty_savoir_faire, via_former_name, blank_lines, truncated_last_line } = self;
        let mut splits: HashMap<String, GpByMode> = HashMap::new();
        for ((_, commune), mode) in seen {
            mode.count_in(splits.entry(commune).or_default());
        }
        if has_modes {
            let mut all = GpByMode::default();
            for s in splits.values() {
                all.add(s);
            }
            report.note(format!(
                "GPs by mode (once per commune): {} liberal, {} salaried in a centre de santé, {} other salaried, \
                 {} volunteer, {} without a known mode; {} in the DREES APL field (liberal + centre de santé)",
                all.liberal,
                all.health_centre,
                all.other_salaried,
                all.volunteer,
                all.unknown,
                all.drees_field()
            ));
        } else {
            report.note(format!("no {COL_MODE:?} column: GP totals only, no split by mode of practice"));
        }
        for (code, lines) in &unknown_modes {
            // Every line up to a bound, so a national file with a new code keeps a readable report.
            const SHOWN: usize = 20;
            let shown: Vec<String> = lines.iter().take(SHOWN).map(u64::to_string).collect();
            let more = lines.len().saturating_sub(SHOWN);
            report.note(format!(
                "unknown {COL_MODE} {code:?} on {} GP rows, counted in the total without a mode: line(s) {}{}",
                lines.len(),
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ));
        }
        if duplicates > 0 {
            report.note(format!(
                "{duplicates} duplicate activity rows of the same GP in the same commune merged"
            ));
        }
        let multi = communes_per_gp.values().filter(|n| **n > 1).count();
        if multi > 0 {
            report.note(format!(
                "{multi} GPs practise in more than one commune and count in each ({} distinct GPs placed)",
                communes_per_gp.len()
            ));
        }
        if empty_savoir_faire > 0 {
            report.note(format!(
                "{empty_savoir_faire} physician rows with no savoir-faire were not counted as GPs"
            ));
        }
        if via_former_name > 0 {
            report.note(format!(
                "{via_former_name} GP rows placed through a former commune's name under its successor's postal code"
            ));
        }
        if blank_lines > 0 {
            report.note(format!("{blank_lines} blank lines ignored"));
        }
        if let Some(line) = truncated_last_line {
            report.note(format!(
                "last line {line} is incomplete and has no end of line: the file looks truncated"
            ));
        }
        (tallies, splits)
    }
}

/// One record per commune: its GP count, and its split by mode when the file gives modes.
fn records_of(tallies: BTreeMap<String, Tally>, splits: &HashMap<String, GpByMode>, has_modes: bool) -> Vec<CommuneValues> {
    tallies
        .into_iter()
        .map(|(commune, t)| {
            // One source code when every row named the commune the same way, so the join can
            // still tell an arrondissement's or a former commune's rows apart; else the commune.
            let source_code = match t.source_codes.len() {
                1 => t
                    .source_codes
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| commune.clone()),
                _ => commune.clone(),
            };
            let gp_by_mode = if has_modes { splits.get(&commune).copied() } else { None };
            CommuneValues {
                source_code,
                line: t.first_line,
                gp: Some(t.gp),
                gp_by_mode,
                commune,
                ..Default::default()
            }
        })
        .collect()
}

/// The RPPS id of a row when it is a GP practising in France; otherwise the row is skipped or
/// rejected in `report` and `None` returned.
fn gp_id<'r>(fields: &[&'r str], cols: &Columns, line_no: u64, scan: &mut Scan, report: &mut ImportReport) -> Option<&'r str> {
    let get = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or_default();
    if get(cols.profession) != PHYSICIAN {
        report.skip(SKIP_NOT_PHYSICIAN);
        return None;
    }
    let (sf_code, sf_label) = (get(cols.sf_code), get(cols.sf_label));
    if !is_general_practice(sf_code, sf_label) {
        if sf_code.is_empty() && sf_label.is_empty() {
            scan.empty_savoir_faire += 1;
        }
        report.skip(SKIP_NOT_GP);
        return None;
    }
    let id = get(cols.id);
    if id.is_empty() {
        report.reject(
            line_no,
            RejectReason::MissingField {
                field: COL_ID.into(),
            },
        );
        return None;
    }
    if let Some(country) = cols.country.map(get)
        && !is_french_country(country)
    {
        let detail = match cols.country_name.map(get).unwrap_or_default() {
            "" => format!("foreign address (Code pays {country})"),
            label => format!("foreign address (Code pays {country}, {label})"),
        };
        report.reject(line_no, RejectReason::NoLocation { detail });
        return None;
    }

    Some(id)
}

/// The current commune a row counts in and the code it was given under (its commune code, or its
/// postal code and town); a row that cannot be placed is rejected in `report`.
fn place(
    fields: &[&str],
    cols: &Columns,
    line_no: u64,
    registry: &CommuneRegistry,
    opts: &RppsOptions,
    scan: &mut Scan,
    report: &mut ImportReport,
) -> Option<(String, String)> {
    let get = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or_default();
    let code = get(cols.commune_code);
    let placed = if !code.is_empty() {
        registry
            .commune_for_code(code, opts.remap_merged)
            .map(|commune| {
                let source = crate::model::registry::normalize_insee_code(code)
                    .unwrap_or_else(|| code.to_string());
                (commune, source)
            })
    } else {
        let postal = get(cols.postal);
        if postal.is_empty() {
            report.reject(
                line_no,
                RejectReason::NoLocation {
                    detail: "no commune code and no postal code".into(),
                },
            );
            return None;
        }
        let town = match get(cols.commune_name) {
            "" => town_from_cedex(get(cols.cedex), postal),
            named => named,
        };
        registry.commune_for_postal(postal, town).map(|m| {
            if m.via_former_name {
                scan.via_former_name += 1;
            }
            (m.code.clone(), m.code)
        })
    };
    match placed {
        Ok(p) => Some(p),
        Err(reason) => {
            report.reject(line_no, reason);
            None
        }
    }
}

/// 1-based number of the last line of `text` (the line after the last newline).
fn last_line_number(text: &str) -> u64 {
    text.bytes().filter(|b| *b == b'\n').count() as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_practice_by_code_or_by_any_vintage_label() {
        assert!(is_general_practice("SM54", ""));
        assert!(is_general_practice("sm54 ", "whatever"));
        assert!(is_general_practice(
            "SM53",
            "Spécialiste en Médecine Générale"
        ));
        assert!(is_general_practice("SM26", "QUALIFIE EN MEDECINE GENERALE"));
        assert!(is_general_practice("", "médecine  générale"));
        assert!(!is_general_practice(
            "SM49",
            "Santé publique et médecine sociale"
        ));
        assert!(!is_general_practice("", ""));
        assert!(!is_general_practice("SM54X", "Médecine générale et sport"));
    }

    #[test]
    fn cedex_loses_its_postal_code_only() {
        assert_eq!(town_from_cedex("01390 MIONNAY", "01390"), "MIONNAY");
        assert_eq!(
            town_from_cedex(" 03100 MONTLUCON CEDEX ", "3100"),
            "MONTLUCON CEDEX"
        );
        assert_eq!(town_from_cedex("MONTLUCON", "03100"), "MONTLUCON");
        assert_eq!(town_from_cedex("01390", "01390"), "");
        assert_eq!(town_from_cedex("", ""), "");
        assert_eq!(
            town_from_cedex("GL 5O 2QJ CHELTENHAM", "GL"),
            "5O 2QJ CHELTENHAM"
        );
    }

    #[test]
    fn header_separator_is_named_in_the_error() {
        assert_eq!(likely_separator("a;b;c"), ';');
        assert_eq!(likely_separator("a|b;c|"), '|');
        let err = Columns::from_header("f.csv", "Identification nationale PP,Code profession")
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("f.csv") && msg.contains("found ','"), "{msg}");
    }

    #[test]
    fn header_names_match_without_case_or_accents() {
        let header = "identification NATIONALE pp|Code Profession|code savoir-faire|Libelle savoir-faire|\
                      Code postal (coord. Structure)|CODE COMMUNE (COORD. STRUCTURE)|Libellé Commune (coord. structure)|\
                      Bureau cedex (coord. structure)|";
        let cols = Columns::from_header("f", header).unwrap();
        assert_eq!((cols.id, cols.cedex, cols.width()), (0, 7, 8));
        assert_eq!(cols.country, None);
    }

    #[test]
    fn modes_follow_the_table_of_the_module_doc() {
        assert_eq!(mode_of("L", "Libéral", "SA05", ""), Ok(Mode::Liberal));
        assert_eq!(mode_of("S", "Salarié", "SA05", "Centre de santé"), Ok(Mode::HealthCentre));
        assert_eq!(mode_of("s", "", " sa05 ", ""), Ok(Mode::HealthCentre));
        assert_eq!(mode_of("S", "", "", "CENTRE DE SANTE"), Ok(Mode::HealthCentre));
        // SA07 is a cabinet individuel, not a centre de santé; a code wins over its label.
        assert_eq!(mode_of("S", "", "SA07", "Cabinet individuel"), Ok(Mode::OtherSalaried));
        assert_eq!(mode_of("S", "", "SA01", "Centre de santé"), Ok(Mode::OtherSalaried));
        assert_eq!(mode_of("S", "", "", ""), Ok(Mode::OtherSalaried));
        assert_eq!(mode_of("B", "", "SA05", ""), Ok(Mode::Volunteer));
        assert_eq!(mode_of("", "", "SA05", ""), Ok(Mode::Unknown));
        assert_eq!(mode_of("", "Salarié", "SA05", ""), Ok(Mode::HealthCentre));
        assert_eq!(mode_of("", "bénévole", "", ""), Ok(Mode::Volunteer));
        assert_eq!(mode_of("X", "Libéral", "", ""), Err("X".to_string()));
        assert_eq!(mode_of("", "Autre", "", ""), Err("Autre".to_string()));
        // A GP with several rows in one commune counts in the first mode of this order.
        assert!(Mode::Liberal < Mode::HealthCentre && Mode::HealthCentre < Mode::OtherSalaried);
        assert!(Mode::OtherSalaried < Mode::Volunteer && Mode::Volunteer < Mode::Unknown);
    }

    #[test]
    fn only_empty_or_french_country_codes_are_french() {
        assert!(is_french_country(""));
        assert!(is_french_country("99000"));
        assert!(is_french_country("99100"));
        assert!(!is_french_country("99132"));
    }
}
