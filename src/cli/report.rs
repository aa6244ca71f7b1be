//! What the commands print: an atlas's summary, import reports, the GP check, the nearest
//! MSP, the comparison with the official APL. Formatting only: the figures come from the library.

use anyhow::{Context, Result};
use medatlas::atlas::Atlas;

pub(crate) fn info(atlas: &Atlas) -> Result<()> {
    let population: u64 = atlas.communes().iter().map(|c| u64::from(c.population)).sum();
    let gp: u64 = atlas.communes().iter().filter_map(|c| c.gp.as_ref()).map(|g| u64::from(g.gp)).sum();
    let zoned = atlas.communes().iter().filter(|c| c.zoning.is_some()).count();
    println!("{}", atlas.meta.name);
    println!(
        "  {} communes, {} arrondissements, {} former communes, {} départements, population {}",
        atlas.communes().len(),
        atlas.arrondissements().len(),
        atlas.former_communes().len(),
        atlas.departments().len(),
        population
    );
    println!(
        "  {} GPs{}, {} communes with a zoning class, {} sites ({} MSP)",
        gp,
        if atlas.meta.synthetic_gp { " (SYNTHETIC counts)" } else { "" },
        zoned,
        atlas.sites().len(),
        atlas.sites().iter().filter(|s| s.kind.is_msp()).count()
    );
    let aids = atlas.departments().iter().filter(|d| d.aids_2022.is_some()).count();
    println!("  2022 departmental aids known for {aids} of its départements ({} more outside)", atlas.aids_outside_geography().len());
    for s in &atlas.meta.sources {
        println!("  source: {} — {}{}", s.provides, s.name, if s.synthetic { " [synthetic]" } else { "" });
    }
    print_gp_check(atlas)?;
    Ok(())
}

/// The atlas's GPs per département against Cnam's published liberal GPs (2024, embedded).
pub(crate) fn print_gp_check(atlas: &Atlas) -> Result<()> {
    let reference = medatlas::ingest::ameli::embedded_gp_reference()?;
    println!("  GPs per département vs Cnam 2024 liberal GPs ({}):", medatlas::ingest::ameli::EMBEDDED_REFERENCE);
    let ratio = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.2}"));
    for d in medatlas::analysis::gp_check::gp_counts_vs_reference(atlas, &reference.records) {
        println!(
            "    {} {}: atlas {} GPs{}, Cnam {}, ratio {} (liberal {}){}",
            d.dep,
            d.name,
            d.atlas_gp,
            d.atlas_liberal.map_or(String::new(), |l| format!(" ({l} liberal)")),
            d.reference.map_or("-".to_string(), |r| r.to_string()),
            ratio(d.ratio_total),
            ratio(d.ratio_liberal),
            if d.synthetic { " [synthetic, calibrated on Cnam]" } else { "" }
        );
    }
    Ok(())
}

pub(crate) fn compare_official(atlas: &Atlas, ours: &[Option<f64>], json: Option<&std::path::Path>) -> Result<()> {
    use medatlas::analysis::compare::{self, CompareOptions};
    let found = compare::against_official(atlas, ours, &CompareOptions::default())
        .context("this atlas holds no official DREES APL: load a workbook with --drees-apl")?;
    let c = &found.comparison;
    let years: Vec<String> = found.official_years.iter().map(u16::to_string).collect();
    let opt = |v: Option<f64>, digits: usize| v.map_or("n/a".to_string(), |v| format!("{v:.digits$}"));
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{:.1} %", v * 100.0));
    println!("APL computed by medatlas vs official DREES APL {} — {} communes with both", years.join(", "), c.n);
    println!("  our travel times: {}", found.travel_times.description);
    println!("  Pearson r {}   Spearman ρ {}", opt(c.pearson, 3), opt(c.spearman, 3));
    println!("  mean weighted by standardised population: ours {}   official {}", opt(c.mean_ours, 3), opt(c.mean_official, 3));
    println!("  population under {}: ours {}   official {}", c.threshold, pct(c.share_under_ours), pct(c.share_under_official));
    println!("  same side of {} (population-weighted agreement): {}", c.threshold, pct(c.agreement));
    println!("  largest differences (ours − official):");
    for d in &c.largest_differences {
        let name = atlas.commune(&d.code).map_or("", |x| x.name.as_str());
        println!("    {} {name}: {:.2} vs {:.2} ({:+.2})", d.code, d.ours, d.official, d.difference);
    }
    if let Some(path) = json {
        medatlas::tiles::properties::write_json_file(path, &found)?;
        eprintln!("comparison written to {}", path.display());
    }
    Ok(())
}

/// The report of an import read by a command, and its first rejected rows.
pub(crate) fn print_import_report(report: &medatlas::model::report::ImportReport) {
    eprintln!("{}", report.summary());
    for r in report.rejected.iter().take(10) {
        eprintln!("  line {}: {}", r.line, r.reason);
    }
}

/// The nearest MSP found, one line each: name, commune, km, minutes and how it is placed.
pub(crate) fn nearest_sites(atlas: &Atlas, found: &[medatlas::analysis::nearest::NearestSite]) {
    for (rank, s) in found.iter().enumerate() {
        let commune = atlas.commune(&s.site.commune).map_or(String::new(), |c| format!(" {}", c.name));
        let quality = match s.location_quality {
            medatlas::model::LocationQuality::Exact => "exact location",
            medatlas::model::LocationQuality::TownHall => "at the town hall",
        };
        let here = if s.in_origin_commune { ", same commune" } else { "" };
        println!(
            "{:>3}. {} — {}{} — {:.1} km, {} ({quality}{here})",
            rank + 1,
            s.site.name,
            s.site.commune,
            commune,
            s.distance_m / 1000.0,
            s.minutes.map_or("beyond the matrix's range".to_string(), |m| format!("~{m:.0} min"))
        );
    }
}

/// What `access --method spatial_availability` shared out (nothing for the other methods).
pub(crate) fn allocation(result: &medatlas::analysis::methods::MethodResult) {
    if let Some((allocated, unallocated)) = result.allocated {
        eprintln!("GPs shared out: {allocated:.1} (the values × population / 10,000 add up to it); {unallocated:.1} within reach of no resident");
    }
}
