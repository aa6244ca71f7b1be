//! Site plans for an area of the atlas (a département's communes): the three location models —
//! coverage (MCLP, [`super::max_cover`]), set covering ([`super::lscp`]) and p-median
//! ([`super::median`]) — over the area's town halls as candidates (optionally restricted by
//! zoning or to communes without an MSP) and its residents as demand, with the atlas's MSP
//! counted as sites already open (wherever they are: an MSP across the border serves too).
//!
//! Every plan reports, besides its sites, the residents still beyond the service time of any
//! site (existing or chosen), commune by commune with their minutes to the nearest site, the
//! population-weighted mean of those minutes, whether the answer is proven optimal, and its
//! assumptions (the travel-time source first).

use super::lscp::set_cover;
use super::median::{MedianInstance, p_median};
use super::{CoverInstance, Optimality, SitingError, suggest_coverage_among};
use crate::analysis::travel::{self, Destination, DestinationIndex};
use crate::atlas::Atlas;
use crate::model::{TravelInfo, TravelTimes, Zoning};
use geo::Point;
use serde::Serialize;
use std::collections::HashSet;

/// What a plan optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanObjective {
    /// `k` sites bringing the most residents within the service time (MCLP).
    Coverage,
    /// The fewest sites putting every resident a candidate can reach within the service time
    /// (LSCP).
    SetCover,
    /// `k` sites minimising the population-weighted mean time to the nearest site (p-median).
    Median,
}

impl PlanObjective {
    /// `coverage`, `set_cover` (or `set-cover`, `lscp`), `median` (or `p_median`, `p-median`).
    pub fn parse(s: &str) -> Option<PlanObjective> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "coverage" | "mclp" => Some(PlanObjective::Coverage),
            "set_cover" | "lscp" => Some(PlanObjective::SetCover),
            "median" | "p_median" => Some(PlanObjective::Median),
            _ => None,
        }
    }
}

/// Which of the area's town halls may host a new site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateFilter {
    /// Every commune of the area.
    All,
    /// Communes the ARS zoning classes ZIP (zone d'intervention prioritaire).
    Zip,
    /// Communes classed ZAC (zone d'action complémentaire).
    Zac,
    /// Communes classed ZIP or ZAC.
    ZipZac,
    /// Communes without an MSP of their own.
    MspFree,
}

impl CandidateFilter {
    /// Every filter with its name, for parsing and error messages.
    pub const ALL: [(&'static str, CandidateFilter); 5] = [
        ("all", CandidateFilter::All),
        ("zip", CandidateFilter::Zip),
        ("zac", CandidateFilter::Zac),
        ("zip_zac", CandidateFilter::ZipZac),
        ("msp_free", CandidateFilter::MspFree),
    ];

    /// One of the names of [`CandidateFilter::ALL`] (`-` read as `_`).
    pub fn parse(s: &str) -> Option<CandidateFilter> {
        let key = s.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.iter().find(|(name, _)| *name == key).map(|&(_, f)| f)
    }

    /// The names, comma-separated, for messages.
    pub fn names() -> String {
        Self::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    }

    /// The communes of `area` this filter admits.
    pub fn apply(self, atlas: &Atlas, area: &[usize]) -> Vec<usize> {
        let communes = atlas.communes();
        let with_msp: HashSet<&str> = atlas.sites().iter().filter(|s| s.kind.is_msp()).map(|s| s.commune.as_str()).collect();
        let zoning = |i: usize| communes[i].zoning.as_ref();
        area.iter()
            .copied()
            .filter(|&i| match self {
                CandidateFilter::All => true,
                CandidateFilter::Zip => zoning(i) == Some(&Zoning::Zip),
                CandidateFilter::Zac => zoning(i) == Some(&Zoning::Zac),
                CandidateFilter::ZipZac => matches!(zoning(i), Some(Zoning::Zip | Zoning::Zac)),
                CandidateFilter::MspFree => !with_msp.contains(communes[i].code.as_str()),
            })
            .collect()
    }
}

/// What to solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanRequest {
    pub objective: PlanObjective,
    /// Service time, minutes (coverage and set covering: the radius; every objective: what
    /// "beyond" means in the answer).
    pub minutes: f64,
    /// Sites to open (coverage, p-median; set covering finds its own number).
    pub k: usize,
    pub candidates: CandidateFilter,
}

/// A commune with its minutes to the nearest site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommuneMinutes {
    pub code: String,
    pub name: String,
    pub population: u32,
    /// Minutes to the nearest site, existing or chosen (`None`: none within a matrix's range).
    pub minutes: Option<f64>,
}

/// A chosen site: a commune's town hall.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSite {
    pub code: String,
    pub name: String,
    /// [lon, lat] of the town hall (or interior point).
    pub point: [f64; 2],
    /// Coverage and set covering: residents it newly brings within the service time, given the
    /// sites before it (sites are in that opening order). `None` for p-median.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newly_covered: Option<f64>,
}

/// A plan for an area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaPlan {
    pub objective: PlanObjective,
    pub minutes: f64,
    /// Sites asked for (`None` for set covering).
    pub k: Option<usize>,
    pub candidate_filter: CandidateFilter,
    /// Town halls that could host a site.
    pub candidates: usize,
    /// Communes of the area (the demand) and their residents.
    pub communes: usize,
    pub population: f64,
    /// MSP of the atlas counted as open sites.
    pub existing_msp: usize,
    pub sites: Vec<PlanSite>,
    /// Residents beyond `minutes` of every site: existing only, then existing + chosen.
    pub population_beyond_before: f64,
    pub population_beyond: f64,
    /// The communes beyond `minutes` of every site after the plan, farthest first.
    pub beyond: Vec<CommuneMinutes>,
    /// Population-weighted mean minutes to the nearest site (communes with a time), before
    /// and after.
    pub mean_minutes_before: Option<f64>,
    pub mean_minutes: Option<f64>,
    /// Whether the answer is proven optimal, its bound and gap, and how it was found.
    pub optimality: Optimality,
    pub travel_times: TravelInfo,
    /// What the figures rest on, in words.
    pub assumptions: Vec<String>,
}

/// Minutes from each commune of `area` to the MSP reached soonest (`None`: none reachable).
pub fn msp_minutes(atlas: &Atlas, area: &[usize]) -> Vec<Option<f64>> {
    let travel = atlas.travel_times();
    let points: Vec<Point<f64>> = atlas.communes().iter().map(|c| c.repr_point).collect();
    let msp = msp_index(atlas);
    area.iter().map(|&i| msp.soonest(travel, &points, i, |_| false).map(|(_, t)| t)).collect()
}

fn msp_index(atlas: &Atlas) -> DestinationIndex {
    DestinationIndex::new(
        atlas
            .sites()
            .iter()
            .filter(|s| s.kind.is_msp())
            .filter_map(|s| Some(Destination { point: s.location, commune: atlas.commune_index(&s.commune)? }))
            .collect(),
    )
}

/// What the existing sites are: how many MSP, and in which départements the atlas lists any —
/// the default lists Allier's only, so "no MSP within reach" elsewhere means "none listed".
fn msp_assumption(atlas: &Atlas) -> String {
    let communes = atlas.communes();
    let deps: std::collections::BTreeSet<&str> =
        msp_index(atlas).places().iter().map(|p| communes[p.commune].dep.as_str()).collect();
    let listed = if deps.is_empty() { "none".to_string() } else { deps.into_iter().collect::<Vec<_>>().join(", ") };
    format!(
        "the atlas's {} MSP count as sites already open, in the area or beyond it; MSP are listed in départements: {listed} \
(elsewhere none is known to this atlas, so residents there count as beyond reach of any MSP)",
        msp_index(atlas).places().len()
    )
}

/// Solves `request` over the communes `area` (atlas positions). Errors: a radius that is not a
/// positive number, an empty area or no candidate left by the filter, `k` = 0 or above the
/// candidates (coverage, p-median).
pub fn plan(atlas: &Atlas, area: &[usize], request: PlanRequest) -> Result<AreaPlan, SitingError> {
    let minutes = super::check_radius(request.minutes)?;
    let candidates = request.candidates.apply(atlas, area);
    if area.is_empty() || candidates.is_empty() {
        return Err(SitingError::Empty { demand: area.len(), candidates: candidates.len() });
    }
    if request.objective != PlanObjective::SetCover {
        if request.k == 0 {
            return Err(SitingError::NoSites);
        }
        if request.k > candidates.len() {
            return Err(SitingError::TooManySites { k: request.k, candidates: candidates.len() });
        }
    }
    let communes = atlas.communes();
    let travel = atlas.travel_times();
    let points: Vec<Point<f64>> = communes.iter().map(|c| c.repr_point).collect();
    let weights: Vec<f64> = area.iter().map(|&i| f64::from(communes[i].population)).collect();
    let existing = msp_minutes(atlas, area);
    // Minutes from every commune of the area to every candidate town hall.
    let times: Vec<Vec<Option<f64>>> = area
        .iter()
        .map(|&i| candidates.iter().map(|&c| travel::minutes_to_place(travel, &points, i, Destination { point: points[c], commune: c })).collect())
        .collect();
    let mut assumptions = vec![
        format!("travel times: {}", travel.describe()),
        "demand: each commune's residents (population municipale) at its town hall".to_string(),
        format!("candidates: the town halls of the area's communes ({})", filter_words(request.candidates)),
        msp_assumption(atlas),
        format!("a resident is within reach when a site is at most {minutes} minutes away (inclusive)"),
    ];
    let (chosen, newly, optimality): (Vec<usize>, Option<Vec<f64>>, Optimality) = match request.objective {
        PlanObjective::Coverage => {
            // The same selection as `suggest_coverage_among` (the API's `suggestion`).
            let s = suggest_coverage_among(atlas, area, &candidates, request.k, minutes);
            let index: Vec<usize> = s.sites.iter().filter_map(|x| candidates.iter().position(|&c| communes[c].code == x.code)).collect();
            let gains: Vec<f64> = s.sites.iter().map(|x| x.marginal_gain).collect();
            let covered: f64 = gains.iter().sum();
            let bound = coverage_bound(&weights, &times, &existing, minutes, request.k, covered);
            let method = "maximal covering: greedy + interchange from several starts; bound: the least of the k best single-site gains \
                          summed and greedy's 1 - 1/e guarantee";
            (index, Some(gains), Optimality::bounded(covered, bound, method))
        }
        PlanObjective::SetCover => {
            let dense: Vec<Vec<f64>> = times.iter().map(|r| r.iter().map(|t| t.unwrap_or(f64::INFINITY)).collect()).collect();
            let instance = CoverInstance::from_dense(weights.clone(), &dense, minutes);
            let already: Vec<bool> = existing.iter().map(|t| t.is_some_and(|t| t <= minutes)).collect();
            let s = set_cover(&instance, Some(&already))?;
            assumptions.push(format!(
                "{} communes ({} residents) are beyond {minutes} minutes of every candidate and every MSP: no site can cover them",
                s.uncoverable.len(),
                s.uncoverable_weight
            ));
            (s.selected, Some(s.marginal_weights), s.optimality)
        }
        PlanObjective::Median => {
            let range = match travel {
                TravelTimes::Matrix(m) => {
                    assumptions.push(format!(
                        "p-median: pairs beyond the matrix's range are counted at its range, {} minutes (a lower bound of their time)",
                        m.max_minutes()
                    ));
                    m.max_minutes()
                }
                TravelTimes::Estimated(_) => f64::INFINITY, // every pair has an estimate
            };
            let dense: Vec<Vec<f64>> = times.iter().map(|r| r.iter().map(|t| t.unwrap_or(range)).collect()).collect();
            let instance = MedianInstance::new(weights.clone(), &dense)?.with_existing(existing.iter().map(|t| t.unwrap_or(f64::INFINITY)).collect())?;
            let s = p_median(&instance, request.k)?;
            (s.selected, None, s.optimality)
        }
    };
    // Minutes to the nearest site, before (MSP only) and after (MSP + chosen).
    let after: Vec<Option<f64>> = (0..area.len())
        .map(|r| chosen.iter().filter_map(|&c| times[r][c]).chain(existing[r]).fold(None, |b: Option<f64>, t| Some(b.map_or(t, |b| b.min(t)))))
        .collect();
    // Folded from +0.0: the `sum` of no f64 is -0.0, which JSON would show as -0.0.
    let beyond_population =
        |t: &[Option<f64>]| -> f64 { t.iter().zip(&weights).filter(|(t, _)| !t.is_some_and(|t| t <= minutes)).fold(0.0, |s, (_, w)| s + w) };
    let mean = |t: &[Option<f64>]| -> Option<f64> {
        let (sum, weight) = t.iter().zip(&weights).filter_map(|(t, w)| t.map(|t| (t * w, *w))).fold((0.0, 0.0), |a, x| (a.0 + x.0, a.1 + x.1));
        (weight > 0.0).then(|| sum / weight)
    };
    let mut beyond: Vec<CommuneMinutes> = (0..area.len())
        .filter(|&r| !after[r].is_some_and(|t| t <= minutes))
        .map(|r| {
            let c = &communes[area[r]];
            CommuneMinutes { code: c.code.clone(), name: c.name.clone(), population: c.population, minutes: after[r] }
        })
        .collect();
    beyond.sort_by(|a, b| b.minutes.unwrap_or(f64::INFINITY).total_cmp(&a.minutes.unwrap_or(f64::INFINITY)).then(a.code.cmp(&b.code)));
    let sites = chosen
        .iter()
        .enumerate()
        .map(|(n, &c)| {
            let commune = &communes[candidates[c]];
            PlanSite {
                code: commune.code.clone(),
                name: commune.name.clone(),
                point: [commune.repr_point.x(), commune.repr_point.y()],
                newly_covered: newly.as_ref().map(|g| g[n]),
            }
        })
        .collect();
    Ok(AreaPlan {
        objective: request.objective,
        minutes,
        k: (request.objective != PlanObjective::SetCover).then_some(request.k),
        candidate_filter: request.candidates,
        candidates: candidates.len(),
        communes: area.len(),
        population: weights.iter().sum(),
        existing_msp: msp_index(atlas).places().len(),
        sites,
        population_beyond_before: beyond_population(&existing),
        population_beyond: beyond_population(&after),
        beyond,
        mean_minutes_before: mean(&existing),
        mean_minutes: mean(&after),
        optimality,
        travel_times: travel.info(),
        assumptions,
    })
}

fn filter_words(f: CandidateFilter) -> &'static str {
    match f {
        CandidateFilter::All => "all of them",
        CandidateFilter::Zip => "those classed ZIP by the ARS zoning",
        CandidateFilter::Zac => "those classed ZAC by the ARS zoning",
        CandidateFilter::ZipZac => "those classed ZIP or ZAC by the ARS zoning",
        CandidateFilter::MspFree => "those without an MSP",
    }
}

/// An upper bound of the residents `k` sites can newly cover: coverage is submodular, so no `k`
/// sites cover more than the `k` largest single-site gains together, nor more than the greedy
/// value over 1 − 1/e (Nemhauser et al. 1978; our selection starts from greedy and only
/// improves, so `covered / (1 − 1/e)` bounds it too).
fn coverage_bound(weights: &[f64], times: &[Vec<Option<f64>>], existing: &[Option<f64>], minutes: f64, k: usize, covered: f64) -> f64 {
    let m = times.first().map_or(0, Vec::len);
    let mut solo: Vec<f64> = (0..m)
        .map(|c| {
            (0..weights.len())
                .filter(|&r| !existing[r].is_some_and(|t| t <= minutes) && times[r][c].is_some_and(|t| t <= minutes))
                .map(|r| weights[r])
                .sum()
        })
        .collect();
    solo.sort_by(|a, b| b.total_cmp(a));
    let coverable: f64 = (0..weights.len())
        .filter(|&r| !existing[r].is_some_and(|t| t <= minutes) && times[r].iter().any(|t| t.is_some_and(|t| t <= minutes)))
        .map(|r| weights[r])
        .sum();
    let top_k: f64 = solo.iter().take(k).sum();
    top_k.min(coverable).min(covered / (1.0 - (-1.0f64).exp())).max(covered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atlas() -> Atlas {
        Atlas::load_default().unwrap()
    }

    fn dep(atlas: &Atlas, code: &str) -> Vec<usize> {
        (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].dep == code).collect()
    }

    #[test]
    fn the_three_objectives_on_allier() {
        let atlas = atlas();
        let allier = dep(&atlas, "03");
        let request = |objective, k| PlanRequest { objective, minutes: 15.0, k, candidates: CandidateFilter::All };
        let cover = plan(&atlas, &allier, request(PlanObjective::SetCover, 0)).unwrap();
        // Set covering leaves beyond reach only those no candidate can reach: none, since every
        // commune is a candidate (0 minutes to its own town hall).
        assert_eq!(cover.population_beyond, 0.0);
        assert!(cover.beyond.is_empty());
        assert!(cover.optimality.exact, "{:?}", cover.optimality);
        assert_eq!(cover.optimality.objective, cover.sites.len() as f64);
        // Coverage with fewer sites leaves some beyond reach; its figures agree with the old
        // suggestion.
        let k = cover.sites.len() - 1;
        let coverage = plan(&atlas, &allier, request(PlanObjective::Coverage, k)).unwrap();
        assert!(coverage.population_beyond > 0.0);
        let s = super::super::suggest_coverage(&atlas, &allier, k, 15.0);
        assert!((coverage.population - s.after - coverage.population_beyond).abs() < 1e-6);
        assert!((coverage.population - s.before - coverage.population_beyond_before).abs() < 1e-6);
        assert!(coverage.optimality.bound >= coverage.optimality.objective);
        let beyond: f64 = coverage.beyond.iter().map(|c| f64::from(c.population)).sum();
        assert_eq!(beyond, coverage.population_beyond);
        // p-median lowers the mean time.
        let median = plan(&atlas, &allier, request(PlanObjective::Median, 3)).unwrap();
        assert!(median.mean_minutes.unwrap() < median.mean_minutes_before.unwrap());
        assert_eq!(median.sites.len(), 3);
    }

    #[test]
    fn filters_and_bad_requests() {
        let atlas = atlas();
        let allier = dep(&atlas, "03");
        let zip = CandidateFilter::Zip.apply(&atlas, &allier);
        assert!(!zip.is_empty() && zip.len() < allier.len());
        assert!(zip.iter().all(|&i| atlas.communes()[i].zoning == Some(Zoning::Zip)));
        let msp_free = CandidateFilter::MspFree.apply(&atlas, &allier);
        assert!(msp_free.len() < allier.len(), "Allier has MSP");
        let r = |objective, minutes, k| plan(&atlas, &allier, PlanRequest { objective, minutes, k, candidates: CandidateFilter::Zip });
        assert_eq!(r(PlanObjective::Median, 0.0, 2), Err(SitingError::Radius(0.0)));
        assert_eq!(r(PlanObjective::Median, 30.0, 0), Err(SitingError::NoSites));
        assert_eq!(r(PlanObjective::Coverage, 30.0, zip.len() + 1), Err(SitingError::TooManySites { k: zip.len() + 1, candidates: zip.len() }));
        assert!(matches!(plan(&atlas, &[], PlanRequest { objective: PlanObjective::SetCover, minutes: 30.0, k: 0, candidates: CandidateFilter::All }), Err(SitingError::Empty { .. })));
        assert_eq!(CandidateFilter::parse("zip-zac"), Some(CandidateFilter::ZipZac));
        assert_eq!(CandidateFilter::parse("pharmacy"), None);
        assert_eq!(PlanObjective::parse("set-cover"), Some(PlanObjective::SetCover));
    }
}
