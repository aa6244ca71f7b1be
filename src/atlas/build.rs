//! The join: applies reader records to a geography and builds the immutable [`Atlas`].

use crate::model::*;
use crate::model::registry::CommuneRegistry;
use super::store::{Atlas, AtlasMeta, SourceInfo};
use super::spatial::SpatialIndex;
use crate::ingest::{CommuneValues, SiteRecord};
use crate::ingest::datafrance::Geography;
use crate::model::report::{ImportReport, Imported, RejectReason};
use geo::{MultiPolygon, Point};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// `provides` of the source of the département shares of physicians aged 55+.
pub const NEAR_RETIREMENT_SHARE_PROVIDES: &str = "near-retirement estimate (département share of physicians aged 55+)";

/// Estimates the near-retirement value of every commune with a GP count and none given, from
/// its département's share; returns how many communes were estimated.
fn estimate_near_retirement(communes: &mut [Commune], shares: Option<&NearRetirementShares>) -> usize {
    let Some(shares) = shares else { return 0 };
    let mut estimated = 0;
    for c in communes {
        let Some(g) = &mut c.gp else { continue };
        if g.gp_near_retirement.is_some() && !g.gp_near_retirement_estimated {
            continue;
        }
        let Some(&share) = shares.shares.get(&c.dep) else { continue };
        g.estimate_near_retirement(NearRetirementEstimate {
            share,
            dep: c.dep.clone(),
            method: NEAR_RETIREMENT_ESTIMATE_METHOD,
            source: shares.source.clone(),
        });
        estimated += 1;
    }
    estimated
}

/// Collects geography, health data, sites and policies, then builds the [`Atlas`].
pub struct AtlasBuilder {
    geo: Geography,
    by_code: HashMap<String, usize>,
    registry: CommuneRegistry,
    sites: Vec<Site>,
    aids: BTreeMap<String, DepartmentAids>,
    sources: Vec<SourceInfo>,
    reports: Vec<ImportReport>,
    name: String,
    /// Département share of physicians aged 55+, for estimating near-retirement counts.
    near_retirement_shares: Option<NearRetirementShares>,
}

/// Département shares of physicians aged 55+ (in [0, 1]) and where they come from: what
/// [`AtlasBuilder::finish`] estimates near-retirement counts from.
#[derive(Debug, Clone, Default)]
pub struct NearRetirementShares {
    /// Share by département code.
    pub shares: BTreeMap<String, f64>,
    /// Source of the shares, as records and metadata name it.
    pub source: String,
}

impl AtlasBuilder {
    pub fn new(name: impl Into<String>, mut geo: Geography, geography_source: SourceInfo) -> Self {
        let registry = CommuneRegistry::new(&geo.communes, &geo.arrondissements, &geo.former, &geo.postal);
        let by_code = geo.communes.iter().enumerate().map(|(i, c)| (c.code.clone(), i)).collect();
        let report = std::mem::take(&mut geo.report);
        AtlasBuilder {
            geo,
            by_code,
            registry,
            sites: Vec::new(),
            aids: BTreeMap::new(),
            sources: vec![geography_source],
            reports: vec![report],
            name: name.into(),
            near_retirement_shares: None,
        }
    }

    pub fn registry(&self) -> &CommuneRegistry {
        &self.registry
    }

    pub fn communes(&self) -> &[Commune] {
        &self.geo.communes
    }

    /// Joins per-commune values. Several records for one commune add up (the arrondissements
    /// of a city); the same source code twice is a conflict and the later row is rejected.
    /// Counts from this source replace those of an earlier source for the communes it covers.
    /// A source that gives near-retirement counts without GP counts sets them on the GP
    /// counts the commune already has (a real count replaces an estimate); with no GP count
    /// to attach to, or more than it, the row is rejected.
    /// Returns the MSP-present flags (commune codes) the source gave, for the caller to place.
    pub fn join_values(&mut self, imported: Imported<CommuneValues>, source: SourceInfo) -> Vec<String> {
        let Imported { records, mut report } = imported;
        let mut seen_source_codes: HashMap<String, u64> = HashMap::new();
        let mut gp_sum: HashMap<usize, (u32, Option<u32>)> = HashMap::new();
        // The modes of a commune's GPs, `None` once a record of it has no split (a city whose
        // arrondissements came split and unsplit would otherwise show a split of part of it).
        let mut modes: HashMap<usize, Option<GpByMode>> = HashMap::new();
        // Near-retirement counts given without a GP count, with their line.
        let mut near_only: HashMap<usize, (u32, u64)> = HashMap::new();
        let mut zoning_from: HashMap<usize, (Zoning, u64)> = HashMap::new();
        let mut msp_flags = Vec::new();
        for rec in records {
            let Some(&idx) = self.by_code.get(&rec.commune) else {
                report.reject(rec.line, RejectReason::UnknownCommune { code: rec.commune.clone() });
                report.rows_used = report.rows_used.saturating_sub(1);
                continue;
            };
            if let Some(first) = seen_source_codes.insert(rec.source_code.clone(), rec.line) {
                report.reject(
                    rec.line,
                    RejectReason::Conflict {
                        key: rec.source_code.clone(),
                        detail: format!("code already given on line {first}"),
                    },
                );
                report.rows_used = report.rows_used.saturating_sub(1);
                continue;
            }
            if let Some(gp) = rec.gp {
                let e = gp_sum.entry(idx).or_insert((0, None));
                e.0 += gp;
                if let Some(n) = rec.gp_near_retirement {
                    e.1 = Some(e.1.unwrap_or(0) + n);
                }
                let m = modes.entry(idx).or_insert(Some(GpByMode::default()));
                match (m.as_mut(), &rec.gp_by_mode) {
                    (Some(sum), Some(split)) if split.total() == gp => sum.add(split),
                    _ => *m = None,
                }
            } else if let Some(n) = rec.gp_near_retirement {
                let e = near_only.entry(idx).or_insert((0, rec.line));
                e.0 += n;
            }
            if let Some(z) = rec.zoning {
                match zoning_from.get(&idx) {
                    Some((prev, line)) if *prev != z => {
                        report.rows_used = report.rows_used.saturating_sub(1);
                        report.reject(
                            rec.line,
                            RejectReason::Conflict {
                                key: rec.commune.clone(),
                                detail: format!("zoning {} here, {} on line {line}", z.as_str(), prev.as_str()),
                            },
                        );
                    }
                    Some(_) => {}
                    None => {
                        zoning_from.insert(idx, (z, rec.line));
                    }
                }
            }
            if rec.msp_present == Some(true) {
                msp_flags.push(rec.commune.clone());
            }
            for (k, v) in rec.extra {
                *self.geo.communes[idx].extra.entry(k).or_insert(0.0) += v;
            }
        }
        let replaced = gp_sum.keys().filter(|&&i| self.geo.communes[i].gp.is_some()).count();
        if replaced > 0 {
            report.note(format!("GP counts of {replaced} communes replaced those of an earlier source"));
        }
        for (idx, (gp, near)) in gp_sum {
            let mut stats = GpStats::counted(gp, near, source.synthetic, source.name.clone());
            stats.gp_by_mode = modes.get(&idx).copied().flatten();
            self.geo.communes[idx].gp = Some(stats);
        }
        for (idx, (near, line)) in near_only {
            let commune = &mut self.geo.communes[idx];
            match &mut commune.gp {
                Some(g) if near <= g.gp => {
                    g.gp_near_retirement = Some(f64::from(near));
                    g.gp_near_retirement_estimated = false;
                    g.near_retirement_estimate = None;
                    g.source = format!("{} (near retirement: {})", g.source, source.name);
                }
                other => {
                    let expected = match other {
                        Some(g) => format!("at most the commune's GP count ({})", g.gp),
                        None => "a GP count for the commune (none is loaded)".to_string(),
                    };
                    report.rows_used = report.rows_used.saturating_sub(1);
                    report.reject(
                        line,
                        RejectReason::InvalidValue { field: "gp_near_retirement".into(), value: near.to_string(), expected },
                    );
                }
            }
        }
        for (idx, (z, _)) in zoning_from {
            self.geo.communes[idx].zoning = Some(z);
        }
        self.reports.push(report);
        self.sources.push(source);
        msp_flags
    }

    /// The commune whose polygon holds the point (a linear scan: the index is built later).
    pub fn locate(&self, p: Point<f64>) -> Option<String> {
        use geo::{BoundingRect, Intersects};
        self.geo
            .communes
            .iter()
            .find(|c| c.geometry.bounding_rect().is_some_and(|r| r.intersects(&p)) && c.geometry.intersects(&p))
            .map(|c| c.code.clone())
    }

    /// The town hall of a commune, else its representative point.
    pub fn town_hall(&self, code: &str) -> Option<Point<f64>> {
        let c = &self.geo.communes[*self.by_code.get(code)?];
        Some(c.town_hall.unwrap_or(c.repr_point))
    }

    /// Adds sites; those without a position are placed at their commune's town hall and
    /// flagged `town_hall`. Sites in a commune outside the geography are rejected.
    pub fn add_sites(&mut self, imported: Imported<SiteRecord>, source: SourceInfo) {
        let Imported { records, mut report } = imported;
        let mut at_town_hall = 0;
        for SiteRecord { mut site, line, needs_town_hall } in records {
            let Some(town_hall) = self.town_hall(&site.commune) else {
                report.rows_used = report.rows_used.saturating_sub(1);
                report.reject(line, RejectReason::UnknownCommune { code: site.commune.clone() });
                continue;
            };
            if needs_town_hall {
                site.location = town_hall;
                site.location_quality = LocationQuality::TownHall;
                at_town_hall += 1;
            }
            self.sites.push(site);
        }
        if at_town_hall > 0 {
            report.note(format!("{at_town_hall} sites placed at their commune's town hall (no coordinates)"));
        }
        self.reports.push(report);
        self.sources.push(source);
    }

    /// Places one MSP at the town hall of each flagged commune that has no MSP yet (sources
    /// that only say "an MSP is here"), and returns how many were added.
    pub fn add_msp_flags(&mut self, communes: &[String], source_name: &str) -> usize {
        let mut added = 0;
        for code in communes {
            if self.sites.iter().any(|s| s.commune == *code && s.kind.is_msp()) {
                continue;
            }
            let Some(location) = self.town_hall(code) else { continue };
            self.sites.push(Site {
                id: format!("flag-{code}"),
                name: format!("MSP in {}", self.registry.display_name(code).unwrap_or(code)),
                commune: code.clone(),
                location,
                location_quality: LocationQuality::TownHall,
                kind: SiteKind::Msp,
                source: source_name.into(),
            });
            added += 1;
        }
        added
    }

    /// Joins DREES's official APL (one record per current commune, arrondissements already
    /// folded by the reader). A later workbook replaces an earlier one's values.
    pub fn join_official_apl(&mut self, imported: Imported<crate::ingest::drees_apl::OfficialApl>, source: SourceInfo) {
        let Imported { records, mut report } = imported;
        for rec in records {
            let Some(&idx) = self.by_code.get(&rec.commune) else {
                report.reject(rec.line, RejectReason::UnknownCommune { code: rec.commune.clone() });
                report.rows_used = report.rows_used.saturating_sub(1);
                continue;
            };
            self.geo.communes[idx].apl_official = Some(OfficialApl {
                year: rec.year,
                apl: rec.apl,
                apl_under65: rec.apl_under65,
                population_standardised: rec.population_standardised,
                population_total: rec.population_total,
            });
        }
        self.reports.push(report);
        self.sources.push(source);
    }

    /// Sets the département shares of physicians aged 55+: when the atlas is built, every
    /// commune with a GP count and no near-retirement count gets the estimate
    /// `gp × share of its département` (see [`GpStats::estimate_near_retirement`]).
    pub fn set_near_retirement_shares(&mut self, shares: NearRetirementShares, report: ImportReport, source: SourceInfo) {
        self.near_retirement_shares = Some(shares);
        self.reports.push(report);
        self.sources.push(source);
    }

    /// Sets the 2022 departmental aids, by département code.
    pub fn set_aids(&mut self, aids: BTreeMap<String, DepartmentAids>, report: ImportReport, source: SourceInfo) {
        self.aids = aids;
        self.reports.push(report);
        self.sources.push(source);
    }

    /// Dissolves départements from their communes and builds the indexes.
    pub fn finish(self) -> Atlas {
        let AtlasBuilder { mut geo, by_code, registry, sites, mut aids, mut sources, reports, name, near_retirement_shares } =
            self;
        let estimated = estimate_near_retirement(&mut geo.communes, near_retirement_shares.as_ref());
        if estimated == 0 {
            // Shares that estimated nothing (every count was given, or no GP counts) are not a
            // source of this atlas's values.
            sources.retain(|s| s.provides != NEAR_RETIREMENT_SHARE_PROVIDES);
        }
        let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in geo.communes.iter().enumerate() {
            members.entry(c.dep.as_str()).or_default().push(i);
        }
        let departments: Vec<Department> = geo
            .departments
            .par_iter()
            .filter_map(|(code, dep_name, region)| {
                let idx = members.get(code.as_str())?;
                let polygons: Vec<&geo::Polygon<f64>> =
                    idx.iter().flat_map(|&i| geo.communes[i].geometry.0.iter()).collect();
                let geometry: MultiPolygon<f64> = geo::unary_union(polygons);
                Some(Department {
                    code: code.clone(),
                    name: dep_name.clone(),
                    region: region.clone(),
                    geometry,
                    population: idx.iter().map(|&i| u64::from(geo.communes[i].population)).sum(),
                    commune_count: idx.len(),
                    aids_2022: None,
                })
            })
            .collect();
        let mut departments = departments;
        for d in &mut departments {
            d.aids_2022 = aids.remove(&d.code);
        }
        let site_points: Vec<Point<f64>> = sites.iter().map(|s| s.location).collect();
        let index = SpatialIndex::build(&geo.communes, &site_points);
        let mut msp_count = vec![0u32; geo.communes.len()];
        for s in &sites {
            if s.kind.is_msp()
                && let Some(&i) = by_code.get(&s.commune) {
                    msp_count[i] += 1;
                }
        }
        let synthetic_gp = geo.communes.iter().any(|c| c.gp.as_ref().is_some_and(|g| g.synthetic));
        let near_retirement_estimated = estimated > 0;
        let meta = AtlasMeta { name, sources, synthetic_gp, near_retirement_estimated };
        Atlas {
            meta,
            communes: geo.communes,
            by_code,
            arrondissements: geo.arrondissements,
            former: geo.former,
            departments,
            regions: geo.regions,
            epcis: geo.epcis.into_iter().map(|e| (e.code.clone(), e)).collect(),
            registry,
            sites,
            msp_count,
            index,
            reports,
            other_aids: aids,
            travel: Default::default(),
            gp_records: None,
            epci_areas: Default::default(),
        }
    }
}
