//! `medatlas projection`: checks the parameters, computes the projection
//! (`medatlas::analysis::projection`), prints its assumptions, per-département figures and the
//! communes crossing 2.5, and writes the communes with `--out`.

use super::args::ProjectionArgs;
use anyhow::{Context, Result, bail};
use medatlas::analysis::apl::AplParams;
use medatlas::analysis::projection::{self, CommuneProjection, ProjectionSpec};

/// Which communes `--out` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rows {
    Changed,
    All,
    Crossing,
}

impl Rows {
    fn keeps(self, c: &CommuneProjection) -> bool {
        match self {
            Rows::Changed => c.apl_delta.is_some_and(|d| d != 0.0),
            Rows::All => true,
            Rows::Crossing => c.crosses_zip_criterion,
        }
    }
}

pub(crate) fn run(args: ProjectionArgs) -> Result<()> {
    // Checked before loading the atlas, which takes a while: mistakes in the command.
    let spec = ProjectionSpec { years: args.years, horizon: args.horizon, replacement: args.replacement };
    let params = spec.params().map_err(|e| anyhow::anyhow!("--{}: {e}", e.parameter().unwrap_or("years")))?;
    if let Some(out) = &args.out
        && medatlas::tiles::properties::TableFormat::of_path(out).is_none()
    {
        bail!("--out must end in .csv or .geojson, got {}", out.display());
    }
    let atlas = args.load.load()?;
    let dep = args.target_dep.as_deref().map(str::trim);
    if let Some(d) = dep {
        atlas.department(d).with_context(|| format!("no département {d:?} in this atlas"))?;
    }
    let p = projection::project(&atlas, &params, &AplParams::default())?;
    let a = &p.assumptions;
    eprintln!("projection: {} years, horizon {} years, replacement {} ({:.0} % of the near-retirement GPs gone)", a.years, a.horizon, a.replacement, a.departed_fraction * 100.0);
    eprintln!("  model: {}", a.retirement_model);
    eprintln!("  supply: {}", a.supply_rule);
    eprintln!("  APL: {}; {}", a.apl, a.supply);
    eprintln!("  travel times: {}", a.travel);
    let n = &a.near_retirement;
    eprintln!("  near-retirement values: {} communes counted, {} estimated, {} unknown (GPs kept)", n.communes_counted, n.communes_estimated, n.communes_unknown);
    if let Some(method) = n.method {
        eprintln!("  {method} ({})", n.sources.join("; "));
    }
    eprintln!("  ignores: {}", a.ignores);
    if a.synthetic_gp {
        eprintln!("  GP counts are SYNTHETIC");
    }
    let opt = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.2}"));
    println!("{:<4} {:<24} {:>9} {:>9} {:>8} {:>8} {:>13} {:>13} {:>8} {:>4}", "dep", "name", "GPs now", "GPs then", "APL now", "APL then", "under 2.5 now", "under 2.5 then", "crossing", "ZAC");
    for d in p.departements(&atlas, dep).iter().chain(dep.is_none().then(|| p.summary(None)).iter()) {
        println!(
            "{:<4} {:<24} {:>9.1} {:>9.1} {:>8} {:>8} {:>13.0} {:>13.0} {:>8} {:>4}",
            d.code,
            d.name.as_deref().unwrap_or(""),
            d.gp_now,
            d.gp_projected,
            opt(d.apl_now),
            opt(d.apl_projected),
            d.residents_under_now,
            d.residents_under_projected,
            d.communes_crossing,
            d.zac_meeting_zip_criterion
        );
    }
    let crossing: Vec<&CommuneProjection> = p.crossing().filter(|c| dep.is_none_or(|d| c.dep == d)).collect();
    println!("{} communes cross 2.5 ({:.0} residents):", crossing.len(), crossing.iter().map(|c| f64::from(c.population)).sum::<f64>());
    for c in &crossing {
        let zac = if c.zac_meeting_zip_criterion() { "  ZAC today: would meet the ZIP criterion" } else { "" };
        println!(
            "  {} {} ({}, {} inhabitants, zoning {}): {} → {}{zac}",
            c.code,
            c.name,
            c.dep,
            c.population,
            c.zoning.as_deref().unwrap_or("unknown"),
            opt(c.apl_now),
            opt(c.apl_projected)
        );
    }
    if let Some(out) = &args.out {
        let rows: Rows = args.rows.into();
        let written = medatlas::tiles::properties::write_projection_file(&atlas, &p, |c| dep.is_none_or(|d| c.dep == d) && rows.keeps(c), out)?;
        eprintln!("{written} communes written to {}", out.display());
    }
    Ok(())
}
