//! `medatlas suggest`: calls `analysis::siting` (the atlas's département, or an instance given
//! as CSV) and prints the sites, the optimality and the residents left beyond the time.

use super::args::{CandidatesArg, ObjectiveArg, SuggestArgs};
use super::report;
use anyhow::{Context, Result, bail};
use std::time::Instant;

/// `medatlas suggest`: a plan over a département of the atlas, or an instance given as CSV.
pub(crate) fn suggest(args: SuggestArgs) -> Result<()> {
    use medatlas::analysis::siting::plan::{self, PlanObjective, PlanRequest};
    use medatlas::analysis::siting::{self, Objective};
    if args.k == 0 || args.k > 100 {
        bail!("-k must be between 1 and 100, got {}", args.k);
    }
    if let (Some(costs), Some(weights)) = (&args.costs, &args.weights) {
        return suggest_instance(costs, weights, args.objective, args.k, args.minutes);
    }
    let dep = args.target_dep.clone().context("--target-dep is required without --costs")?;
    let atlas = args.load.load()?;
    atlas.department(&dep).with_context(|| format!("no département {dep:?} in this atlas"))?;
    let area: Vec<usize> = (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].dep == dep).collect();
    let started = Instant::now();
    let objective = match args.objective {
        ObjectiveArg::Apl => {
            if args.candidates != CandidatesArg::All {
                bail!("--candidates applies to coverage, set-cover and median; apl takes every commune of the département");
            }
            let baseline = medatlas::analysis::scenario::Baseline::build(&atlas, &medatlas::analysis::apl::AplParams::default())?;
            let s = siting::suggest_apl(&atlas, &baseline, &area, args.k, args.gps)?;
            debug_assert_eq!(s.objective, Objective::Apl);
            eprintln!("{} candidates in {dep}, {:.0} residents; computed in {:.0} ms", s.candidates, s.population, started.elapsed().as_secs_f64() * 1e3);
            eprintln!("before: {:.0} residents, after: {:.0}", s.before, s.after);
            for (rank, site) in s.sites.iter().enumerate() {
                println!("{:>2}. {} {} — +{:.0} residents", rank + 1, site.code, site.name, site.marginal_gain);
            }
            return Ok(());
        }
        ObjectiveArg::Coverage => PlanObjective::Coverage,
        ObjectiveArg::SetCover => PlanObjective::SetCover,
        ObjectiveArg::Median => PlanObjective::Median,
    };
    let request = PlanRequest { objective, minutes: args.minutes, k: args.k, candidates: args.candidates.into() };
    let p = plan::plan(&atlas, &area, request)?;
    eprintln!(
        "{} candidates in {dep}, {} communes, {:.0} residents, {} MSP open; computed in {:.0} ms",
        p.candidates,
        p.communes,
        p.population,
        p.existing_msp,
        started.elapsed().as_secs_f64() * 1e3
    );
    for a in &p.assumptions {
        eprintln!("  {a}");
    }
    let o = &p.optimality;
    eprintln!(
        "{}: objective {} ({}), bound {}, gap {:.4} %",
        if o.exact { "exact" } else { "not proven optimal" },
        o.objective,
        o.method,
        o.bound,
        100.0 * o.gap
    );
    let mean = |m: Option<f64>| m.map_or("-".to_string(), |m| format!("{m:.1}"));
    eprintln!(
        "beyond {} min of any site: {:.0} residents before, {:.0} after; mean minutes to the nearest site {} before, {} after",
        p.minutes,
        p.population_beyond_before,
        p.population_beyond,
        mean(p.mean_minutes_before),
        mean(p.mean_minutes)
    );
    for (rank, site) in p.sites.iter().enumerate() {
        match site.newly_covered {
            Some(g) => println!("{:>2}. {} {} — +{g:.0} residents", rank + 1, site.code, site.name),
            None => println!("{:>2}. {} {}", rank + 1, site.code, site.name),
        }
    }
    for c in &p.beyond {
        eprintln!("  beyond: {} {} ({} residents, {} min)", c.code, c.name, c.population, mean(c.minutes));
    }
    Ok(())
}

/// An instance from CSV files, solved like the atlas's: for comparisons with spopt.
fn suggest_instance(costs: &std::path::Path, weights: &std::path::Path, objective: ObjectiveArg, k: usize, radius: f64) -> Result<()> {
    use medatlas::analysis::siting::lscp::set_cover;
    use medatlas::analysis::siting::median::{MedianInstance, p_median};
    use medatlas::analysis::siting::{CoverInstance, check_radius, max_cover};
    let read = medatlas::ingest::cover_instance::read_cover_instance(costs, weights)?;
    for report in [&read.weights_report, &read.costs_report] {
        if !report.rejected.is_empty() || !report.skipped.is_empty() {
            report::print_import_report(report);
        }
    }
    let (n, m) = (read.weights.len(), read.candidates.len());
    let total: f64 = read.weights.iter().sum();
    let print_optimality = |o: &medatlas::analysis::siting::Optimality| {
        println!("exact {} bound {} gap {}", o.exact, o.bound, o.gap);
        eprintln!("method: {}", o.method);
    };
    match objective {
        ObjectiveArg::Apl => bail!("--objective apl needs the atlas, not --costs"),
        ObjectiveArg::Coverage | ObjectiveArg::SetCover => {
            check_radius(radius)?;
            let table = medatlas::analysis::access::CostTable::from_pairs(n, m, read.pairs)?;
            let instance = CoverInstance::from_costs(read.weights, &table, radius);
            if objective == ObjectiveArg::Coverage {
                let s = max_cover(&instance, k, None);
                eprintln!("{} demand points ({total} weight), {m} candidates, radius {radius}, p = {k}", read.demand_ids.len());
                println!("covered weight {} ({:.2} % of the total)", s.covered_weight, 100.0 * s.covered_weight / total.max(f64::MIN_POSITIVE));
                for (c, g) in s.selected.iter().zip(&s.marginal_gains) {
                    println!("{} +{g}", read.candidates[*c]);
                }
                return Ok(());
            }
            let s = set_cover(&instance, None)?;
            eprintln!("{n} demand points ({total} weight), {m} candidates, radius {radius}");
            println!("sites {}", s.selected.len());
            print_optimality(&s.optimality);
            println!("uncoverable {} weight {}", s.uncoverable.len(), s.uncoverable_weight);
            for &i in &s.uncoverable {
                println!("uncoverable {}", read.demand_ids[i]);
            }
            for (c, g) in s.selected.iter().zip(&s.marginal_weights) {
                println!("{} +{g}", read.candidates[*c]);
            }
        }
        ObjectiveArg::Median => {
            // p-median needs every pair: a missing one is an error naming it.
            let mut dense = vec![vec![f64::NAN; m]; n];
            for &(i, c, t) in &read.pairs {
                dense[i][c] = t;
            }
            for (i, row) in dense.iter().enumerate() {
                if let Some(c) = row.iter().position(|t| t.is_nan()) {
                    bail!("p-median needs a cost for every pair: {} has none to {} in {}", read.demand_ids[i], read.candidates[c], costs.display());
                }
            }
            let instance = MedianInstance::new(read.weights, &dense)?;
            let s = p_median(&instance, k)?;
            eprintln!("{n} demand points ({total} weight), {m} candidates, p = {k}");
            println!("total cost {}", s.total_cost);
            print_optimality(&s.optimality);
            for &c in &s.selected {
                println!("{}", read.candidates[c]);
            }
        }
    }
    Ok(())
}
