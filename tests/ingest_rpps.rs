//! The RPPS reader on fixtures in the exact published format (see tests/fixtures/rpps/README.md
//! for what each line of the sample is and what it must give).

use medatlas::ingest::Reader;
use medatlas::Error;
use medatlas::model::{CommuneRegistry, GpByMode};
use medatlas::ingest::CommuneValues;
use medatlas::model::report::{Imported, RejectReason};
use medatlas::ingest::rpps::{RppsOptions, SKIP_NOT_GP, SKIP_NOT_PHYSICIAN, RppsReader};
use std::collections::BTreeMap;
use std::path::PathBuf;

const SAMPLE: &str = "PS_LibreAcces_Personne_activite_sample.txt";
const SAMPLE_CP1252: &str = "PS_LibreAcces_Personne_activite_sample_cp1252.txt";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rpps")
        .join(name)
}

fn sample_text() -> String {
    std::fs::read_to_string(fixture(SAMPLE)).expect("UTF-8 fixture")
}

fn sample_lines() -> Vec<String> {
    sample_text().lines().map(str::to_string).collect()
}

fn registry() -> CommuneRegistry {
    CommuneRegistry::builder()
        .commune("03185", "Montluçon")
        .commune("03140", "Lavault-Sainte-Anne")
        .commune("01451", "Viriat")
        .commune("01004", "Ambérieu-en-Bugey")
        .commune("01250", "Mionnay")
        .commune("01033", "Valserhône")
        .former("01091", "Châtillon-en-Michaille", "01033")
        .postal("03100", "03185")
        .postal("03100", "03140")
        .postal("01440", "01451")
        .postal("01500", "01004")
        .postal("01390", "01250")
        .postal("01200", "01033")
        .build()
}

fn parse(name: &str, text: &str) -> medatlas::Result<Imported<CommuneValues>> {
    RppsReader::parse(name, text.as_bytes(), &registry(), &RppsOptions::default())
}

/// commune -> (gp, first line, source code)
fn by_commune(imported: &Imported<CommuneValues>) -> BTreeMap<String, (u32, u64, String)> {
    imported
        .records
        .iter()
        .map(|r| {
            (
                r.commune.clone(),
                (r.gp.unwrap_or(0), r.line, r.source_code.clone()),
            )
        })
        .collect()
}

fn expected_sample_counts() -> BTreeMap<String, (u32, u64, String)> {
    BTreeMap::from([
        ("01451".to_string(), (1, 21, "01451".to_string())),
        ("03140".to_string(), (2, 10, "03140".to_string())),
        ("03185".to_string(), (3, 8, "03185".to_string())),
    ])
}

fn rejections(imported: &Imported<CommuneValues>) -> Vec<(u64, &'static str)> {
    imported
        .report
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.kind()))
        .collect()
}

fn has_note(imported: &Imported<CommuneValues>, needle: &str) -> bool {
    imported.report.notes.iter().any(|n| n.contains(needle))
}

#[test]
fn sample_counts_each_gp_once_per_commune() {
    let imported = RppsReader::read(&fixture(SAMPLE), &registry(), &RppsOptions::default()).unwrap();
    assert_eq!(by_commune(&imported), expected_sample_counts());
    for r in &imported.records {
        assert_eq!(
            (r.gp_near_retirement, &r.zoning, r.msp_present),
            (None, &None, None),
            "{r:?}"
        );
        assert!(r.extra.is_empty());
        // Every GP of the sample is liberal in its commune: GP A's hospital row (line 9, S with
        // no sector) is in the same town as her cabinet, so she counts once, as liberal.
        let liberal = GpByMode { liberal: r.gp.unwrap_or(0), ..GpByMode::default() };
        assert_eq!(r.gp_by_mode, Some(liberal), "{r:?}");
    }

    let report = &imported.report;
    assert_eq!(report.format, "rpps");
    assert!(report.source.ends_with(SAMPLE), "{}", report.source);
    assert_eq!(report.rows_read, 21);
    assert_eq!(
        report.rows_used, 7,
        "lines 8-13 and 21, the duplicate on line 9 included"
    );
    assert_eq!(
        report.skipped,
        BTreeMap::from([
            (SKIP_NOT_PHYSICIAN.to_string(), 5),
            (SKIP_NOT_GP.to_string(), 3)
        ])
    );
    assert_eq!(
        rejections(&imported),
        vec![
            (16, "unknown_commune"),
            (17, "merged_commune"),
            (18, "unknown_postal_code"),
            (19, "no_location"),
            (20, "no_location"),
            (22, "name_not_in_postal_code"),
        ]
    );
    // Every data row is accounted for exactly once.
    assert_eq!(
        report.rows_read,
        report.rows_used + report.rows_skipped() + report.rejected.len() as u64
    );

    assert!(
        has_note(
            &imported,
            "1 duplicate activity rows of the same GP in the same commune merged"
        ),
        "{report:?}"
    );
    assert!(
        has_note(&imported, "1 GPs practise in more than one commune"),
        "{report:?}"
    );
    assert!(
        has_note(
            &imported,
            "1 physician rows with no savoir-faire were not counted"
        ),
        "{report:?}"
    );
    assert!(has_note(&imported, "encoding: UTF-8"), "{report:?}");
}

#[test]
fn sample_rejections_carry_the_registry_reason() {
    let imported = RppsReader::read(&fixture(SAMPLE), &registry(), &RppsOptions::default()).unwrap();
    let reason = |line: u64| {
        imported
            .report
            .rejected
            .iter()
            .find(|r| r.line == line)
            .map(|r| r.reason.clone())
    };
    assert_eq!(
        reason(16),
        Some(RejectReason::UnknownCommune {
            code: "03999".into()
        })
    );
    assert_eq!(
        reason(17),
        Some(RejectReason::MergedCommune {
            code: "01091".into(),
            successor: "01033".into()
        })
    );
    assert_eq!(
        reason(18),
        Some(RejectReason::UnknownPostalCode {
            postal_code: "03998".into()
        })
    );
    assert_eq!(
        reason(19),
        Some(RejectReason::NoLocation {
            detail: "no commune code and no postal code".into()
        })
    );
    assert_eq!(
        reason(20),
        Some(RejectReason::NoLocation {
            detail: "foreign address (Code pays 99140, Suisse)".into()
        })
    );
    match reason(22) {
        Some(RejectReason::NameNotInPostalCode {
            postal_code, name, ..
        }) => {
            assert_eq!((postal_code.as_str(), name.as_str()), ("03100", "VICHY"));
        }
        other => panic!("line 22: {other:?}"),
    }
}

#[test]
fn merged_commune_counts_in_its_successor_only_when_asked() {
    let opts = RppsOptions { remap_merged: true };
    let imported = RppsReader::read(&fixture(SAMPLE), &registry(), &opts).unwrap();
    let mut expected = expected_sample_counts();
    expected.insert("01033".into(), (1, 17, "01091".into()));
    assert_eq!(by_commune(&imported), expected);
    assert_eq!(imported.report.rows_used, 8);
    assert!(!rejections(&imported).contains(&(17, "merged_commune")));
    assert_eq!(imported.report.rejected.len(), 5);
}

#[test]
fn windows_1252_file_with_crlf_reads_like_the_utf8_one() {
    let bytes = std::fs::read(fixture(SAMPLE_CP1252)).unwrap();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture must stay Windows-1252"
    );
    assert!(bytes.windows(2).any(|w| w == b"\r\n"));
    let imported = RppsReader::read(
        &fixture(SAMPLE_CP1252),
        &registry(),
        &RppsOptions::default(),
    )
    .unwrap();
    let utf8 = RppsReader::read(&fixture(SAMPLE), &registry(), &RppsOptions::default()).unwrap();
    assert_eq!(imported.records, utf8.records);
    assert_eq!(imported.report.rejected, utf8.report.rejected);
    assert_eq!(imported.report.skipped, utf8.report.skipped);
    assert!(
        has_note(&imported, "Windows-1252"),
        "{:?}",
        imported.report.notes
    );
}

#[test]
fn header_names_match_whatever_their_casing() {
    let text = sample_text();
    let (header, rest) = text.split_once('\n').unwrap();
    let header = header
        .to_uppercase()
        .replace("(COORD. STRUCTURE)", "(coord. Structure)");
    assert_ne!(header, text.split_once('\n').unwrap().0);
    let imported = parse("upper.txt", &format!("{header}\n{rest}")).unwrap();
    assert_eq!(by_commune(&imported), expected_sample_counts());
}

#[test]
fn columns_are_found_by_name_not_position() {
    // Every line's fields reversed: same columns in another order, still a trailing '|'.
    let reversed: String = sample_lines()
        .iter()
        .map(|l| {
            let mut f: Vec<&str> = l.split('|').collect();
            f.pop();
            f.reverse();
            f.join("|") + "|\n"
        })
        .collect();
    let imported = parse("reversed.txt", &reversed).unwrap();
    assert_eq!(by_commune(&imported), expected_sample_counts());
    assert_eq!(imported.report.rejected.len(), 6);
}

#[test]
fn truncated_last_line_is_rejected_not_guessed() {
    let lines = sample_lines();
    // GP D in Montluçon (line 12), cut inside "Code commune": 36 whole fields then "031".
    let fields: Vec<&str> = lines[11].split('|').collect();
    let cut = format!("{}|031", fields[..36].join("|"));
    let text = format!("{}\n{}\n{}", lines[0], lines[7], cut);
    let imported = parse("cut.txt", &text).unwrap();
    assert_eq!(imported.report.rows_read, 2);
    assert_eq!(
        by_commune(&imported),
        BTreeMap::from([("03185".to_string(), (1, 2, "03185".to_string()))])
    );
    assert_eq!(imported.report.rejected.len(), 1);
    assert_eq!(imported.report.rejected[0].line, 3);
    assert_eq!(
        imported.report.rejected[0].reason,
        RejectReason::MissingField {
            field: "Libellé commune (coord. structure)".into()
        }
    );
    assert!(
        has_note(&imported, "looks truncated"),
        "{:?}",
        imported.report.notes
    );

    // Cut after a single byte, and cut inside a multi-byte character: still one rejection.
    for cut in ["8", "8|899900000004|DR|Docteur|M|Monsieur|DUMAS|Herv\u{e9}"] {
        let imported = parse("cut.txt", &format!("{}\n{}", lines[0], cut)).unwrap();
        assert_eq!(rejections(&imported), vec![(2, "missing_field")], "{cut}");
    }
    let mut bytes = format!("{}\n{}", lines[0], lines[11]).into_bytes();
    let e_acute = bytes.iter().rposition(|b| *b == 0xC3).unwrap();
    bytes.truncate(e_acute + 1); // half of a UTF-8 'é': no longer valid UTF-8
    let imported = RppsReader::parse("cut.txt", &bytes, &registry(), &RppsOptions::default()).unwrap();
    assert_eq!(rejections(&imported), vec![(2, "missing_field")]);
    assert!(
        has_note(&imported, "ends inside a UTF-8 character"),
        "{:?}",
        imported.report.notes
    );
}

#[test]
fn short_line_in_the_middle_is_rejected_with_its_line_number() {
    let lines = sample_lines();
    let fields: Vec<&str> = lines[7].split('|').collect();
    let short = fields[..10].join("|");
    let text = format!("{}\n{}\n{}\n{}\n", lines[0], short, lines[11], lines[12]);
    let imported = parse("short.txt", &text).unwrap();
    assert_eq!(
        imported
            .report
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.clone()))
            .collect::<Vec<_>>(),
        vec![(
            2,
            RejectReason::MissingField {
                field: "Libellé profession".into()
            }
        )]
    );
    assert_eq!(imported.report.rows_used, 2);
    assert!(!has_note(&imported, "truncated"));
}

#[test]
fn empty_trailing_lines_are_not_rows() {
    let text = sample_text() + "\n\n";
    let imported = parse("blank.txt", &text).unwrap();
    assert_eq!(imported.report.rows_read, 21);
    assert_eq!(by_commune(&imported), expected_sample_counts());
    assert_eq!(imported.report.rejected.len(), 6);
    assert!(
        has_note(&imported, "2 blank lines ignored"),
        "{:?}",
        imported.report.notes
    );

    // The usual final newline alone is not even a blank line.
    let imported = parse("plain.txt", &sample_text()).unwrap();
    assert!(!has_note(&imported, "blank"), "{:?}", imported.report.notes);
}

#[test]
fn row_with_a_field_too_many_is_rejected_not_shifted() {
    // The physician row exactly as the format document re-joined it: one empty field too many.
    let lines = sample_lines();
    let doc_row = "8|10001045367|810001045367|DR|Docteur|M|Monsieur|GUIGNARD|ERIC|10|Médecin|C|Civil|S|Spécialité ordinale|SM49|Santé publique et médecine sociale|S|Salarié|85131528300016||||R10100000328372|AIMMUNE THERAPEUTICS UK LIMITED|AIMMUNE THERAPEUTICS|AIMMUNE THERAPEUTICS UK LIMITED|||||||CARRICK HOUSE LYPIATT ROAD||GL 5O 2QJ CHELTENHAM|GL|||99132|Royaume-uni|||||||385131528300016|CNOM/CNOM/CNOM|SA32|Fab. Exploit. Import. Méd. DM|||";
    let imported = parse(
        "shifted.txt",
        &format!("{}\n{}\n{}\n", lines[0], doc_row, lines[7]),
    )
    .unwrap();
    assert_eq!(rejections(&imported), vec![(2, "invalid_value")]);
    assert_eq!(imported.report.rows_used, 1);
}

#[test]
fn gp_without_national_id_is_rejected() {
    let lines = sample_lines();
    let row = lines[7].replacen("|899900000001|", "||", 1);
    let imported = parse("noid.txt", &format!("{}\n{}\n", lines[0], row)).unwrap();
    assert_eq!(
        imported
            .report
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.clone()))
            .collect::<Vec<_>>(),
        vec![(
            2,
            RejectReason::MissingField {
                field: "Identification nationale PP".into()
            }
        )]
    );
    assert!(imported.records.is_empty());
}

fn format_error(
    result: medatlas::Result<Imported<CommuneValues>>,
) -> (String, u64, String, String, String) {
    match result {
        Err(e @ Error::Format { .. }) => {
            let shown = e.to_string();
            let Error::Format {
                file,
                line,
                field,
                message,
            } = e
            else {
                unreachable!()
            };
            (file, line, field, message, shown)
        }
        Err(other) => panic!("expected a format error, got {other:?}"),
        Ok(imported) => panic!("expected a format error, got {:?}", imported.report),
    }
}

#[test]
fn semicolon_or_comma_file_is_a_clear_error() {
    for (sep, shown_sep) in [(";", "';'"), (",", "','"), ("\t", "tabs")] {
        let text: String = sample_lines()
            .iter()
            .map(|l| {
                let mut f: Vec<&str> = l.split('|').collect();
                f.pop();
                f.join(sep) + "\n"
            })
            .collect();
        let (file, line, field, message, shown) = format_error(parse("extract.csv", &text));
        assert_eq!(
            (file.as_str(), line, field.as_str()),
            ("extract.csv", 1, "header")
        );
        assert!(
            message.contains("expected '|' separated header") && message.contains(shown_sep),
            "{message}"
        );
        assert!(
            shown.contains("extract.csv") && shown.contains("header"),
            "{shown}"
        );
    }
}

#[test]
fn file_without_its_header_is_a_clear_error() {
    let lines = sample_lines();
    let text = lines[1..].join("\n") + "\n";
    let (file, line, field, message, shown) = format_error(parse("noheader.txt", &text));
    assert_eq!(
        (file.as_str(), line, field.as_str()),
        ("noheader.txt", 1, "Identification nationale PP")
    );
    assert!(message.contains("missing column"), "{message}");
    assert!(
        shown.contains("noheader.txt") && shown.contains("Identification nationale PP"),
        "{shown}"
    );
}

#[test]
fn header_missing_one_required_column_names_it() {
    let text = sample_text().replacen(
        "|Bureau cedex (coord. structure)|",
        "|Bureau distributeur|",
        1,
    );
    let (_, line, field, message, shown) = format_error(parse("old.txt", &text));
    assert_eq!(
        (line, field.as_str()),
        (1, "Bureau cedex (coord. structure)")
    );
    assert!(
        !message.contains("Code commune"),
        "only the missing column is listed: {message}"
    );
    assert!(shown.contains("old.txt"), "{shown}");
}

#[test]
fn empty_file_is_a_clear_error() {
    for text in ["", "\n", "\r\n\r\n"] {
        let (file, line, field, _, _) = format_error(parse("empty.txt", text));
        assert_eq!(
            (file.as_str(), line, field.as_str()),
            ("empty.txt", 1, "header"),
            "{text:?}"
        );
    }
}

#[test]
fn header_only_gives_no_records() {
    let text = sample_lines()[0].clone() + "\n";
    let imported = parse("header.txt", &text).unwrap();
    assert!(imported.records.is_empty());
    assert_eq!(imported.report.rows_read, 0);
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let path = fixture("does_not_exist.txt");
    match RppsReader::read(&path, &registry(), &RppsOptions::default()) {
        Err(e @ Error::Io { .. }) => assert!(e.to_string().contains("does_not_exist.txt"), "{e}"),
        other => panic!("{:?}", other.map(|i| i.report)),
    }
}

// ---------------------------------------------------------------------------------------------
// Modes of practice and the DREES field, on PS_LibreAcces_Personne_activite_modes.txt (README).

const MODES: &str = "PS_LibreAcces_Personne_activite_modes.txt";

use medatlas::analysis::apl::{self, AplParams, GpField};
use medatlas::analysis::scenario::Baseline;
use medatlas::analysis::travel::{TimeMatrix, TravelTimes};
use medatlas::atlas::{Atlas, LoadConfig};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The embedded geography with the modes fixture as its only GP source.
fn modes_atlas() -> &'static Atlas {
    static A: OnceLock<Atlas> = OnceLock::new();
    A.get_or_init(|| {
        let config = LoadConfig { no_default_health: true, ..LoadConfig::default() }.with_file(RppsReader::KIND, fixture(MODES));
        Atlas::load(&config, &|_, _| {}).unwrap()
    })
}

fn split(liberal: u32, health_centre: u32, other_salaried: u32, volunteer: u32, unknown: u32) -> GpByMode {
    GpByMode { liberal, health_centre, other_salaried, volunteer, unknown }
}

/// The README's table: commune -> GPs by mode.
fn expected_modes() -> BTreeMap<&'static str, GpByMode> {
    BTreeMap::from([
        ("03185", split(4, 1, 1, 0, 0)), // Montluçon: lines 2, 3-4, 5, 6, 7, 9-10
        ("03190", split(0, 0, 1, 0, 0)), // Moulins: line 8
        ("03310", split(0, 1, 1, 0, 0)), // Vichy: lines 11, 12
        ("15014", split(0, 1, 0, 1, 2)), // Aurillac: lines 13, 14, 15, 19
        ("03140", split(0, 0, 1, 0, 0)), // Lavault-Sainte-Anne: line 16
        ("43157", split(1, 0, 1, 0, 0)), // Le Puy-en-Velay: lines 17, 18
        ("03321", split(1, 0, 0, 0, 0)), // Yzeure: line 21
        ("15187", split(1, 0, 0, 0, 0)), // Saint-Flour: line 22
    ])
}

#[test]
fn each_gp_counts_once_per_commune_in_one_mode() {
    let atlas = modes_atlas();
    let imported = RppsReader::read(&fixture(MODES), atlas.registry(), &RppsOptions::default()).unwrap();
    let got: BTreeMap<&str, (u32, Option<GpByMode>)> =
        imported.records.iter().map(|r| (r.commune.as_str(), (r.gp.unwrap_or(0), r.gp_by_mode))).collect();
    let expected: BTreeMap<&str, (u32, Option<GpByMode>)> =
        expected_modes().into_iter().map(|(c, m)| (c, (m.total(), Some(m)))).collect();
    assert_eq!(got, expected);

    let report = &imported.report;
    assert_eq!((report.rows_read, report.rows_used), (22, 20));
    assert_eq!(report.skipped, BTreeMap::from([(SKIP_NOT_GP.to_string(), 1)]));
    assert_eq!(rejections(&imported), vec![(20, "no_location")]);
    for note in [
        "GPs by mode (once per commune): 7 liberal, 3 salaried in a centre de santé, 5 other salaried, 1 volunteer, \
         2 without a known mode; 10 in the DREES APL field",
        "unknown Code mode exercice \"X\" on 1 GP rows, counted in the total without a mode: line(s) 15",
        "2 duplicate activity rows of the same GP in the same commune merged",
        "1 GPs practise in more than one commune",
    ] {
        assert!(has_note(&imported, note), "{note}\n{:?}", report.notes);
    }

    // The join carries the split into the atlas and its commune record.
    for (code, m) in expected_modes() {
        let g = atlas.commune(code).and_then(|c| c.gp.as_ref()).unwrap();
        assert_eq!((g.gp, g.gp_by_mode), (m.total(), Some(m)), "{code}");
    }
    let view = serde_json::to_value(atlas.commune_view("03310").unwrap()).unwrap();
    assert_eq!(
        view["gp"]["gp_by_mode"],
        serde_json::json!({"liberal": 0, "health_centre": 1, "other_salaried": 1, "volunteer": 0, "unknown": 0})
    );
}

#[test]
fn an_extraction_without_the_mode_columns_gives_totals_only() {
    let text = std::fs::read_to_string(fixture(MODES))
        .unwrap()
        .replacen("|Code mode exercice|Libellé mode exercice|", "|Code mode|Libellé mode|", 1);
    let imported = RppsReader::parse("old.txt", text.as_bytes(), modes_atlas().registry(), &RppsOptions::default()).unwrap();
    let totals: BTreeMap<&str, u32> = imported.records.iter().map(|r| (r.commune.as_str(), r.gp.unwrap_or(0))).collect();
    let expected: BTreeMap<&str, u32> = expected_modes().into_iter().map(|(c, m)| (c, m.total())).collect();
    assert_eq!(totals, expected);
    assert!(imported.records.iter().all(|r| r.gp_by_mode.is_none()));
    assert!(has_note(&imported, "no \"Code mode exercice\" column"), "{:?}", imported.report.notes);
}

/// Pairs of communes within reach (both ways), in minutes; every other pair is out of reach.
const PAIRS: [(&str, &str, f64); 9] = [
    ("03185", "03140", 6.0),  // Montluçon - Lavault-Sainte-Anne
    ("03185", "03101", 7.0),  // Montluçon - Domérat
    ("03140", "03101", 9.0),  // Lavault-Sainte-Anne - Domérat
    ("03190", "03321", 5.0),  // Moulins - Yzeure
    ("03190", "03013", 6.0),  // Moulins - Avermes
    ("03321", "03013", 8.0),  // Yzeure - Avermes
    ("03310", "03095", 5.0),  // Vichy - Cusset
    ("15187", "15003", 10.0), // Saint-Flour - Andelat
    ("15187", "15014", 45.0), // Saint-Flour - Aurillac: beyond 20 minutes
];

fn pair_matrix(atlas: &Atlas) -> TravelTimes {
    let idx = |c: &str| atlas.commune_index(c).unwrap_or_else(|| panic!("{c} not in the embedded geography"));
    let pairs = PAIRS.iter().flat_map(|&(a, b, t)| [(idx(a), idx(b), t), (idx(b), idx(a), t)]).collect();
    TravelTimes::Matrix(TimeMatrix::new(atlas.communes().len(), pairs, "test pairs"))
}

#[test]
fn the_drees_field_changes_the_apl_exactly_where_gps_outside_it_are_within_reach() {
    let atlas = modes_atlas();
    let travel = pair_matrix(atlas);
    let drees = apl::for_atlas(atlas, &travel, &AplParams::default()).unwrap();
    let all = apl::for_atlas(atlas, &travel, &AplParams { gp_field: GpField::All, ..AplParams::default() }).unwrap();

    // Communes where the fixture puts GPs outside the DREES field (hospital, clinic, volunteer,
    // no mode), and every commune within 20 minutes of one: their APL must differ, no other.
    let outside = ["03185", "03190", "03310", "15014", "03140", "43157"];
    let mut expected: BTreeSet<&str> = outside.iter().copied().collect();
    for &(a, b, t) in &PAIRS {
        if t <= 20.0 {
            if outside.contains(&a) {
                expected.insert(b);
            }
            if outside.contains(&b) {
                expected.insert(a);
            }
        }
    }
    let differs: BTreeSet<&str> = atlas
        .communes()
        .iter()
        .enumerate()
        .filter(|&(i, _)| match (drees.access.apl[i], all.access.apl[i]) {
            (Some(d), Some(a)) => (d - a).abs() > 1e-12 * a.abs().max(1.0),
            (d, a) => d != a,
        })
        .map(|(_, c)| c.code.as_str())
        .collect();
    assert_eq!(differs, expected);
    // Saint-Flour and Andelat reach Saint-Flour's liberal GP only: a value, the same in both.
    for code in ["15187", "15003"] {
        let i = atlas.commune_index(code).unwrap();
        assert!(drees.access.apl[i].unwrap() > 0.0, "{code}");
    }

    // By hand for Domérat, which reaches Montluçon (6 GPs, 5 in the field) and Lavault (1
    // hospital GP) within 10 minutes: D_j is the population of the three communes for both,
    // APL = Σ S_j / D_j with S_j = GPs × 5,400.
    let pop = |c: &str| f64::from(atlas.commune(c).unwrap().population);
    let d = pop("03185") + pop("03140") + pop("03101");
    let domerat = atlas.commune_index("03101").unwrap();
    assert!((drees.access.apl[domerat].unwrap() - 5.0 * 5_400.0 / d).abs() < 1e-12);
    assert!((all.access.apl[domerat].unwrap() - 7.0 * 5_400.0 / d).abs() < 1e-12);

    // The outputs say which GPs count, and what the default activity is.
    assert!(
        drees.access.supply.starts_with(
            "10 GPs in the DREES field: liberal and health-centre salaried (RPPS modes L, and S in centres de santé); \
             8 hospital, other salaried, volunteer or modeless GPs left out, each at 5400 consultations/year per GP (the offer \
             the DREES APL method sheet"
        ),
        "{}",
        drees.access.supply
    );
    assert!(all.access.supply.starts_with("all 18 GPs, whatever their mode"), "{}", all.access.supply);
}

#[test]
fn the_scenario_baseline_counts_the_same_field_as_the_default_apl() {
    let atlas = modes_atlas();
    for field in [GpField::Drees, GpField::All] {
        let params = AplParams { gp_field: field, ..AplParams::default() };
        let baseline = Baseline::build(atlas, &params).unwrap().access();
        let direct = apl::for_atlas(atlas, atlas.travel_times(), &params).unwrap().access;
        assert_eq!(baseline.apl, direct.apl, "{field:?}");
        assert_eq!(baseline.supply, direct.supply);
    }
    let default = apl::default_access(atlas).unwrap();
    assert!(default.supply.starts_with("10 GPs in the DREES field"), "{}", default.supply);
}

#[test]
fn individual_gps_loaded_with_the_atlas_replace_the_head_counts() {
    let dir = tempfile::tempdir().unwrap();
    let gps = dir.path().join("gps.csv");
    // 9,000 consultations count 6,000 (liberal cap); a centre de santé's 9,000 count in full;
    // the third GP's unknown activity counts the default; the last row is rejected.
    std::fs::write(&gps, "commune,activity,practice,age\n15187,9000,liberal,50\n15187,9000,centre,40\n15187,,liberal,60\n99999,4000,liberal,50\n").unwrap();
    let config = LoadConfig { no_default_health: true, gps: Some(gps.clone()), ..LoadConfig::default() }.with_file(RppsReader::KIND, fixture(MODES));
    let atlas = Atlas::load(&config, &|_, _| {}).unwrap();
    let records = atlas.gp_records().expect("the atlas holds the GPs");
    assert_eq!(records.rows.len(), 3);
    let report = atlas.reports().last().unwrap();
    assert_eq!(report.rejected.len(), 1);

    let travel = pair_matrix(&atlas);
    let r = apl::for_atlas(&atlas, &travel, &AplParams::default()).unwrap();
    // Saint-Flour is now the only supply (the RPPS head counts are replaced), shared by
    // Saint-Flour and Andelat: APL there = (6,000 + 9,000 + 5,400) / (P_SF + P_A).
    let (sf, andelat) = (atlas.commune_index("15187").unwrap(), atlas.commune_index("15003").unwrap());
    let d = f64::from(atlas.communes()[sf].population + atlas.communes()[andelat].population);
    assert!((r.access.apl[sf].unwrap() - 20_400.0 / d).abs() < 1e-12);
    assert_eq!(r.supply_communes, 1);
    assert!(r.access.supply.starts_with(&format!("3 individual GPs from {}", gps.display())), "{}", r.access.supply);

    // The scenario baseline counts them too (in GPs at the default activity).
    let baseline = Baseline::build(&atlas, &AplParams::default()).unwrap().access();
    let direct = apl::for_atlas(&atlas, atlas.travel_times(), &AplParams::default()).unwrap().access;
    for (b, d) in baseline.apl.iter().zip(&direct.apl) {
        match (b, d) {
            (Some(b), Some(d)) => assert!((b - d).abs() <= 1e-12 * d.abs().max(1.0)),
            _ => assert_eq!(b, d),
        }
    }
}

#[test]
fn the_ameli_check_compares_each_departement_with_the_published_liberal_count() {
    use medatlas::analysis::gp_check::gp_counts_vs_reference;
    use medatlas::ingest::ameli::embedded_gp_reference;
    let reference = embedded_gp_reference().unwrap().records;
    let check = gp_counts_vs_reference(modes_atlas(), &reference);
    let got: Vec<(&str, u32, Option<u32>, Option<u32>)> =
        check.iter().map(|d| (d.dep.as_str(), d.atlas_gp, d.atlas_liberal, d.reference)).collect();
    // Sums of the README's table by département; Cnam 2024 counts from the PROVENANCE.
    assert_eq!(
        got,
        vec![("03", 11, Some(5), Some(254)), ("15", 5, Some(1), Some(132)), ("43", 2, Some(1), Some(206)), ("63", 0, None, Some(577))]
    );
    assert!((check[0].ratio_total.unwrap() - 11.0 / 254.0).abs() < 1e-15);
    assert!((check[0].ratio_liberal.unwrap() - 5.0 / 254.0).abs() < 1e-15);
    assert_eq!((check[3].ratio_total, check[3].ratio_liberal), (Some(0.0), None));
    assert!(check.iter().all(|d| !d.synthetic));

    // The default counts SanteScope's GPs (all modes, geodata/santescope_auvergne_2026.csv:
    // 03 477, 15 255, 43 381, 63 1,100) against ameli's liberal ones (254, 132, 206, 577):
    // about 1.9 times, no liberal split, nothing synthetic.
    let default = Atlas::load_default().unwrap();
    let expected = [("03", 477.0 / 254.0), ("15", 255.0 / 132.0), ("43", 381.0 / 206.0), ("63", 1100.0 / 577.0)];
    let got = gp_counts_vs_reference(&default, &reference);
    assert_eq!(got.len(), 4);
    for (d, (dep, ratio)) in got.iter().zip(expected) {
        assert_eq!(d.dep, dep);
        assert!((d.ratio_total.unwrap() - ratio).abs() < 1e-12, "{dep}: {:?} vs {ratio}", d.ratio_total);
        assert_eq!((d.atlas_liberal, d.synthetic), (None, false), "{dep}");
    }
}
