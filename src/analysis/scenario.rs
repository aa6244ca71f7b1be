//! What-if scenarios: add a site with N GPs, close or resize an MSP, GPs retiring in a commune —
//! and their impact on APL, nearest-MSP distances, coverage and départements.
//!
//! The model is the APL of `apl` (estimated travel times, GPs at the default activity at their
//! commune's town hall) with the atlas's MSP sites for distances. A scenario only changes supply,
//! never population, so each supply location's catchment demand `D_j` is unchanged: a change
//! at location `j` changes its ratio `R_j = S_j / D_j`, hence the APL of the communes within
//! 20 minutes of `j` only. [`Baseline`] keeps `D_j`, `R_j`, the pairs (both ways) and the APL;
//! [`Baseline::impact`] recomputes the communes in reach of a changed or new location, from
//! their full rows, so the result equals a recomputation from scratch ([`Baseline::full_apl`],
//! compared to 1e-12 in tests) while touching a few hundred communes instead of 35,000.
//!
//! - A site added at a point is a new supply location there (and a new MSP); added "in a
//!   commune", its GPs join that commune's supply at the town hall (a new location if the
//!   commune had no GP).
//! - Closing an MSP removes it from the distances and takes the given number of GPs away from
//!   its commune; resizing adds (or removes) GPs in its commune; retirements remove GPs.
//!   Supply never goes below 0 (the excess is reported).
//!
//! Besides the APL, an impact gives each changed commune's *spatial availability* (the GPs
//! available to its residents, `availability`): gains and losses in GPs that add up to the
//! change of supply within reach ([`AvailabilityImpact`]: `gained − lost = supply_change`), and
//! the equity of the APL over the touched départements before and after ([`EquityImpact`]:
//! Gini, Palma, residents under 2.5). Adding GPs never makes a loser under either measure (a
//! practice's share-out does not depend on the others); GPs that close, retire or move
//! (a new MSP drawing its GPs from a neighbouring practice) do, and the totals say how many.

use super::CommuneAccess;
use super::access::{self, AccessError, Catchment, CostTable};
use super::apl::AplParams;
use super::availability::{self, SpatialAvailability};
use super::equity::{self, Equity};
use super::travel::{self, Destination, DestinationIndex, TravelTimes};
use std::sync::Arc;
use crate::atlas::Atlas;
use crate::index::{PointIndex, haversine_m};
use geo::Point;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// Most changes one scenario may hold.
pub const MAX_CHANGES: usize = 100;
/// Most GPs (full-time equivalents) one change may add or remove.
pub const MAX_GPS_PER_CHANGE: f64 = 500.0;
/// Minutes bands of the coverage figures.
pub const COVERAGE_MINUTES: [f64; 3] = [10.0, 15.0, 20.0];
/// APL threshold of the "under-served" figures (consultations per year per inhabitant).
pub const APL_THRESHOLD: f64 = 2.5;

/// Where a new site stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Place {
    Point { lon: f64, lat: f64 },
    Commune { commune: String },
}

/// One change of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// A new site (an MSP) with `gps` full-time GPs.
    AddSite {
        #[serde(flatten)]
        place: Place,
        gps: f64,
        #[serde(default)]
        name: Option<String>,
    },
    /// An existing MSP closes; `gps` GPs leave its commune with it.
    RemoveSite { site: String, gps: f64 },
    /// GPs join (`gps_delta` > 0) or leave (< 0) an existing MSP.
    ResizeSite { site: String, gps_delta: f64 },
    /// `gps` GPs of a commune retire, unreplaced.
    Retire { commune: String, gps: f64 },
}

/// A scenario as stored and sent: a name and its changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    #[serde(default)]
    pub name: String,
    pub changes: Vec<Change>,
}

/// Why a scenario cannot be evaluated.
#[derive(Debug, Error, PartialEq)]
pub enum ScenarioError {
    #[error("a scenario needs at least one change")]
    Empty,
    #[error("a scenario holds at most {MAX_CHANGES} changes, this one has {0}")]
    TooManyChanges(usize),
    #[error("change {index}: {detail}")]
    Invalid { index: usize, detail: String },
    #[error("change {index}: no commune {code} in this atlas")]
    UnknownCommune { index: usize, code: String },
    #[error("change {index}: no MSP with id {id} in this atlas")]
    UnknownSite { index: usize, id: String },
    #[error("change {index}: the point ({lon}, {lat}) is in no commune of this atlas")]
    OutsideAtlas { index: usize, lon: f64, lat: f64 },
    #[error(transparent)]
    Access(#[from] AccessError),
}

/// Position of a supply location (a commune with GPs) among the baseline's locations: a
/// column of its cost table. Commune positions stay `usize` (the atlas's); the positions of the
/// other things they meet in a [`Baseline`] are typed, so that one is never taken for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SupplyIx(pub usize);

/// Position of an MSP among the atlas's MSP (in the order of `Atlas::sites`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MspIx(pub usize);

/// The baseline a scenario is compared with, kept once per atlas.
#[derive(Debug, Clone)]
pub struct Baseline {
    params: AplParams,
    /// The atlas's travel-time source (shared, not copied).
    travel: Arc<TravelTimes>,
    points: Vec<Point<f64>>,
    population: Vec<f64>,
    dep: Vec<String>,
    /// GPs per commune, in full-time equivalents at the default activity: the head counts of
    /// the APL's field, or the counted activity of individual GPs over the default activity.
    gps: Vec<f64>,
    /// Which GPs the supply counts, at which activity (the APL's `supply` description).
    supply: String,
    /// Supply locations: commune → location (communes with GPs).
    location_of: Vec<Option<SupplyIx>>,
    costs: CostTable,
    /// Transposed pairs: for each location ([`SupplyIx`]), `(commune, minutes)`.
    reach: Vec<Vec<(u32, f64)>>,
    demand: Vec<f64>,
    ratios: Vec<Option<f64>>,
    apl: Vec<Option<f64>>,
    /// Why `apl[i]` is `None`.
    missing: Vec<Option<&'static str>>,
    communes_index: PointIndex,
    msp_ids: Vec<String>,
    msp_commune: Vec<Option<usize>>,
    /// The MSP as places to reach (those whose commune is in the atlas).
    msp: DestinationIndex,
    /// The MSP (position in `msp_ids`) of each place of `msp`.
    place_msp: Vec<MspIx>,
    /// The MSP each commune reaches soonest (position in `msp`'s places) and its minutes.
    nearest_msp: Vec<Option<(usize, f64)>>,
}

impl Baseline {
    /// The baseline of an atlas: APL with `params`, times from the atlas's travel-time source.
    pub fn build(atlas: &Atlas, params: &AplParams) -> Result<Baseline, AccessError> {
        // The default APL's supply (its GP field, or the atlas's individual GPs).
        let (commune_supply, supply_description) = super::apl::atlas_supply(atlas, params)?;
        Self::build_with_supply(atlas, params, &commune_supply, supply_description)
    }

    /// The baseline of an atlas with another supply per commune (counted activity, atlas
    /// order), described by `supply_description`: e.g. the supply in N years of
    /// `projection::projected_baseline`, so that a scenario's impact is measured then.
    pub fn build_with_supply(
        atlas: &Atlas,
        params: &AplParams,
        commune_supply: &[f64],
        supply_description: String,
    ) -> Result<Baseline, AccessError> {
        let travel = atlas.travel_times_shared();
        let communes = atlas.communes();
        if commune_supply.len() != communes.len() {
            return Err(AccessError::Length { what: "supply", got: commune_supply.len(), expected: communes.len() });
        }
        if let Some(&v) = commune_supply.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(AccessError::Negative { what: "supply", value: v });
        }
        let points: Vec<Point<f64>> = communes.iter().map(|c| c.repr_point).collect();
        let population: Vec<f64> = communes.iter().map(|c| f64::from(c.population)).collect();
        // In GPs at the default activity, so that scenario changes (in GPs) apply as they are.
        let per_gp = params.default_activity;
        let gps: Vec<f64> = commune_supply.iter().map(|s| if per_gp > 0.0 { s / per_gp } else { 0.0 }).collect();
        let mut location_of = vec![None; communes.len()];
        let mut supply = Vec::new();
        for (i, &g) in gps.iter().enumerate() {
            if g > 0.0 {
                location_of[i] = Some(SupplyIx(supply.len()));
                supply.push(g * params.default_activity);
            }
        }
        let supply_communes: Vec<usize> = (0..communes.len()).filter(|&i| location_of[i].is_some()).collect();
        let costs = travel::cost_table(&travel, &points, &supply_communes, params.max_minutes);
        let mut reach = vec![Vec::new(); supply.len()];
        for (i, j, t) in costs.pairs() {
            reach[j].push((i as u32, t));
        }
        let catchment = Catchment { max_cost: Some(params.max_minutes), decay: params.decay.clone() };
        let demand = access::catchment_demand(&population, &costs, &catchment);
        let ratios = access::supply_ratios(&supply, &demand);
        let (apl, missing) = super::apl::per_resident(access::gather(&ratios, &costs, &catchment), &population, 1.0);
        let msp: Vec<usize> = (0..atlas.sites().len()).filter(|&s| atlas.sites()[s].kind.is_msp()).collect();
        let msp_commune: Vec<Option<usize>> = msp.iter().map(|&s| atlas.commune_index(&atlas.sites()[s].commune)).collect();
        // An MSP whose commune is not in the atlas cannot be reached through it: left out.
        let mut places = Vec::new();
        let mut place_msp = Vec::new();
        for (k, (&s, c)) in msp.iter().zip(&msp_commune).enumerate() {
            if let Some(commune) = *c {
                places.push(Destination { point: atlas.sites()[s].location, commune });
                place_msp.push(MspIx(k));
            }
        }
        let msp_places = DestinationIndex::new(places);
        let nearest_msp = (0..points.len())
            .map(|i| msp_places.soonest(&travel, &points, i, |_| false))
            .collect();
        Ok(Baseline {
            params: params.clone(),
            travel,
            dep: communes.iter().map(|c| c.dep.clone()).collect(),
            communes_index: PointIndex::build(points.iter().map(|p| Some(*p))),
            msp_ids: msp.iter().map(|&s| atlas.sites()[s].id.clone()).collect(),
            msp_commune,
            msp: msp_places,
            place_msp,
            points,
            population,
            gps,
            supply: supply_description,
            location_of,
            costs,
            reach,
            demand,
            ratios,
            apl,
            missing,
            nearest_msp,
        })
    }

    /// The baseline APL of every commune.
    pub fn apl(&self) -> &[Option<f64>] {
        &self.apl
    }

    /// The baseline as the API and the tiles show it: the same values
    /// [`apl::default_access`](super::apl::default_access) computes, without computing them again.
    pub fn access(&self) -> CommuneAccess {
        CommuneAccess {
            apl: self.apl.clone(),
            missing: self.missing.clone(),
            weight: self.population.clone(),
            travel: self.travel.describe(),
            supply: self.supply.clone(),
        }
    }

    fn catchment(&self) -> Catchment {
        Catchment { max_cost: Some(self.params.max_minutes), decay: self.params.decay.clone() }
    }

    /// Turns a scenario into supply changes, checking every change.
    pub fn resolve(&self, atlas: &Atlas, scenario: &Scenario) -> Result<Resolved, ScenarioError> {
        if scenario.changes.is_empty() {
            return Err(ScenarioError::Empty);
        }
        if scenario.changes.len() > MAX_CHANGES {
            return Err(ScenarioError::TooManyChanges(scenario.changes.len()));
        }
        let mut r = Resolved::default();
        let commune = |index: usize, code: &str| {
            atlas.commune_index(code).ok_or_else(|| ScenarioError::UnknownCommune { index, code: code.to_string() })
        };
        let msp = |index: usize, id: &str| {
            let found = self.msp_ids.iter().position(|m| m == id);
            found.map(MspIx).ok_or_else(|| ScenarioError::UnknownSite { index, id: id.to_string() })
        };
        for (index, change) in scenario.changes.iter().enumerate() {
            let count = |what: &str, g: f64, signed: bool| -> Result<f64, ScenarioError> {
                let ok = g.is_finite() && g.abs() <= MAX_GPS_PER_CHANGE && (signed || g >= 0.0);
                if ok {
                    Ok(g)
                } else {
                    let range = if signed { format!("±{MAX_GPS_PER_CHANGE}") } else { format!("0 to {MAX_GPS_PER_CHANGE}") };
                    Err(ScenarioError::Invalid { index, detail: format!("{what} must be a number of GPs within {range}, got {g}") })
                }
            };
            match change {
                Change::AddSite { place, gps, .. } => {
                    let gps = count("gps", *gps, false)?;
                    match place {
                        Place::Point { lon, lat } => {
                            if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
                                return Err(ScenarioError::Invalid { index, detail: format!("({lon}, {lat}) is not a lon/lat point") });
                            }
                            let p = Point::new(*lon, *lat);
                            let c = atlas
                                .index()
                                .locate(atlas.communes(), p)
                                .ok_or(ScenarioError::OutsideAtlas { index, lon: *lon, lat: *lat })?;
                            r.new_points.push(NewLocation { point: p, commune: c, gps });
                            r.added_msp.push(Destination { point: p, commune: c });
                        }
                        Place::Commune { commune: code } => {
                            let c = commune(index, code)?;
                            *r.commune_gps.entry(c).or_default() += gps;
                            r.added_msp.push(Destination { point: self.points[c], commune: c });
                        }
                    }
                }
                Change::RemoveSite { site, gps } => {
                    let s = msp(index, site)?;
                    let gps = count("gps", *gps, false)?;
                    r.removed_msp.insert(s);
                    if let Some(c) = self.msp_commune[s.0] {
                        *r.commune_gps.entry(c).or_default() -= gps;
                    }
                }
                Change::ResizeSite { site, gps_delta } => {
                    let s = msp(index, site)?;
                    let delta = count("gps_delta", *gps_delta, true)?;
                    if let Some(c) = self.msp_commune[s.0] {
                        *r.commune_gps.entry(c).or_default() += delta;
                    }
                }
                Change::Retire { commune: code, gps } => {
                    let c = commune(index, code)?;
                    *r.commune_gps.entry(c).or_default() -= count("gps", *gps, false)?;
                }
            }
        }
        Ok(r)
    }

    /// GPs of each commune after the scenario (never below 0), and the GPs that could not be
    /// removed because the commune had fewer.
    fn commune_gps_after(&self, r: &Resolved) -> (BTreeMap<usize, f64>, f64) {
        let mut after = BTreeMap::new();
        let mut excess = 0.0;
        for (&c, &delta) in &r.commune_gps {
            let g = self.gps[c] + delta;
            if g < 0.0 {
                excess += -g;
            }
            after.insert(c, g.max(0.0));
        }
        (after, excess)
    }

    /// APL of every commune recomputed from scratch with the scenario's supply: the reference
    /// the incremental [`Baseline::impact`] must equal.
    pub fn full_apl(&self, r: &Resolved) -> Result<Vec<Option<f64>>, AccessError> {
        let (gps, costs) = self.full_inputs(r);
        let supply: Vec<f64> = gps.iter().map(|g| g * self.params.default_activity).collect();
        Ok(finish(access::two_step_fca(&self.population, &supply, &costs, &self.catchment())?, &self.population))
    }

    /// Spatial availability (GPs available to each commune's residents, Soukhov et al. 2023,
    /// `α` = 1, the APL's catchment and steps) recomputed from scratch with the scenario's
    /// supply, by [`availability::spatial_availability`]: the reference of
    /// [`Impact::spatial_availability`].
    pub fn full_availability(&self, r: &Resolved) -> Result<SpatialAvailability, AccessError> {
        let (gps, costs) = self.full_inputs(r);
        availability::spatial_availability(&self.population, &gps, &costs, &self.catchment(), 1.0)
    }

    /// GPs of every supply location after the scenario and the commune → location costs.
    fn full_inputs(&self, r: &Resolved) -> (Vec<f64>, CostTable) {
        let (after, _) = self.commune_gps_after(r);
        let max = self.params.max_minutes;
        let mut supply_communes = Vec::new();
        let mut supply = Vec::new();
        for (i, &g) in self.gps.iter().enumerate() {
            let g = after.get(&i).copied().unwrap_or(g);
            if g > 0.0 {
                supply_communes.push(i);
                supply.push(g);
            }
        }
        let base = travel::cost_table(&self.travel, &self.points, &supply_communes, max);
        let mut rows: Vec<Vec<(u32, f64)>> =
            (0..self.points.len()).map(|i| base.row(i).map(|(s, t)| (s as u32, t)).collect()).collect();
        for n in r.new_points.iter().filter(|n| n.gps > 0.0) {
            let s = supply.len() as u32;
            supply.push(n.gps);
            for (i, t) in self.reaching(Destination { point: n.point, commune: n.commune }) {
                rows[i as usize].push((s, t));
            }
        }
        let costs = CostTable::from_rows(supply.len(), rows);
        (supply, costs)
    }

    /// The communes within the catchment of a place, with their minutes.
    fn reaching(&self, place: Destination) -> Vec<(u32, f64)> {
        travel::communes_reaching(&self.travel, &self.points, &self.communes_index, place, self.params.max_minutes)
    }

    /// APL after the scenario of every commune it changes (`(commune, after)`, only those
    /// whose value differs), how many communes were recomputed, the GPs per changed commune
    /// and the GPs that could not be removed.
    pub fn apl_after(&self, r: &Resolved) -> AplAfter {
        let catchment = self.catchment();
        let activity = self.params.default_activity;
        let (gps_after, excess) = self.commune_gps_after(r);
        // Changed existing locations get a new ratio; communes gaining their first GPs and
        // sites at points are new locations with their own catchment.
        let mut ratios: BTreeMap<usize, Option<f64>> = BTreeMap::new();
        let mut new_locations: Vec<(Destination, f64)> = Vec::new();
        // GPs added (or removed) at locations some resident reaches: what spatial
        // availability's values gain (or lose) in all.
        let mut within_reach = 0.0;
        for (&c, &g) in &gps_after {
            match self.location_of[c] {
                Some(SupplyIx(j)) => {
                    ratios.insert(j, access::supply_ratios(&[g * activity], &[self.demand[j]])[0]);
                    if self.demand[j] > 0.0 {
                        within_reach += g - self.gps[c];
                    }
                }
                None if g > 0.0 => new_locations.push((Destination { point: self.points[c], commune: c }, g * activity)),
                None => {}
            }
        }
        new_locations.extend(
            r.new_points.iter().filter(|n| n.gps > 0.0).map(|n| (Destination { point: n.point, commune: n.commune }, n.gps * activity)),
        );
        // Each new location's catchment, as commune → (minutes, ratio).
        let mut extra: BTreeMap<usize, Vec<(f64, f64)>> = BTreeMap::new();
        for &(p, s) in &new_locations {
            let reach: Vec<(u32, f64)> = self.reaching(p);
            let d: f64 = reach.iter().map(|&(i, t)| catchment.decay.weight(t) * self.population[i as usize]).sum();
            let ratio = access::supply_ratios(&[s], &[d])[0];
            if d > 0.0 && activity > 0.0 {
                within_reach += s / activity;
            }
            for (i, t) in reach {
                extra.entry(i as usize).or_default().push((t, ratio.unwrap_or(0.0)));
            }
        }
        let mut touched: BTreeSet<usize> = extra.keys().copied().collect();
        for &j in ratios.keys() {
            touched.extend(self.reach[j].iter().map(|&(i, _)| i as usize));
        }
        let mut changed = Vec::new();
        for &i in &touched {
            let mut sum = 0.0;
            let mut reached = false;
            for (j, t) in self.costs.row(i) {
                if t <= self.params.max_minutes {
                    reached = true;
                    if let Some(r) = ratios.get(&j).copied().unwrap_or(self.ratios[j]) {
                        sum += catchment.decay.weight(t) * r;
                    }
                }
            }
            for &(t, ratio) in extra.get(&i).into_iter().flatten() {
                reached = true;
                sum += catchment.decay.weight(t) * ratio;
            }
            let after = (self.population[i] > 0.0).then_some(if reached { sum } else { 0.0 });
            if after != self.apl[i] {
                changed.push((i, after));
            }
        }
        AplAfter { changed, recomputed: touched.len(), gps_after, gps_not_removable: excess, gps_change_within_reach: within_reach }
    }

    /// The scenario's impact, recomputing only the communes within reach of a changed site.
    pub fn impact(&self, atlas: &Atlas, r: &Resolved) -> Impact {
        let AplAfter { changed, recomputed, gps_after: after, gps_not_removable: excess, gps_change_within_reach } = self.apl_after(r);
        let apl_changes: Vec<CommuneChange> =
            changed.into_iter().map(|(i, a)| CommuneChange::new(atlas, i, self.apl[i], a)).collect();
        let (touched, activity) = (recomputed, self.params.default_activity);
        let distance_changes = self.nearest_changes(atlas, r);
        let summary = self.summary(&apl_changes, &distance_changes);
        let departements = self.departements(atlas, &after, r, &apl_changes);
        let spatial_availability = self.availability_changes(&apl_changes, gps_change_within_reach);
        let equity = self.equity_changes(&departements, &apl_changes);
        Impact {
            model: format!(
                "APL (DREES steps, {} min, {} consultations per GP), {}",
                self.params.max_minutes,
                activity,
                self.travel.describe()
            ),
            communes_recomputed: touched,
            gps_not_removable: excess,
            apl: apl_changes,
            nearest_msp: distance_changes,
            summary,
            departements,
            spatial_availability,
            equity,
        }
    }

    /// Spatial availability before and after of the communes whose APL changes. With `α` = 1
    /// and the APL's catchment and steps, a commune's spatial availability is its population ×
    /// APL / activity (`availability`'s module documentation: per resident it is the 2SFCA), so
    /// it changes exactly where the APL does and is computed from it; `full_availability`
    /// recomputes it with `availability::spatial_availability` in tests.
    fn availability_changes(&self, apl: &[CommuneChange], supply_change: f64) -> AvailabilityImpact {
        let activity = self.params.default_activity;
        let gps = |i: usize, a: Option<f64>| if activity > 0.0 { a.map_or(0.0, |a| self.population[i] * a / activity) } else { 0.0 };
        let communes: Vec<AvailabilityChange> = apl
            .iter()
            .map(|c| {
                let (before, after) = (gps(c.index, c.before), gps(c.index, c.after));
                AvailabilityChange { code: c.code.clone(), name: c.name.clone(), population: c.population, before, after, delta: after - before }
            })
            .filter(|c| c.delta != 0.0)
            .collect();
        // Folded from +0.0: `sum` of no f64 is -0.0, which JSON would show as -0.0.
        let gained = communes.iter().fold(0.0, |t, c| t + c.delta.max(0.0));
        let lost = communes.iter().fold(0.0, |t, c| t + (-c.delta).max(0.0));
        let losers = communes.iter().filter(|c| c.delta < 0.0);
        AvailabilityImpact {
            method: "spatial_availability",
            unit: "GPs available to the commune's residents",
            model: format!(
                "spatial availability (Soukhov et al. 2023, PLOS ONE 18(1): e0278468): each location's GPs shared out among the communes within {} min in proportion to population × the DREES step weight (alpha = 1); per resident it equals APL / {activity}",
                self.params.max_minutes
            ),
            gained,
            lost,
            supply_change,
            balance: gained - lost - supply_change,
            communes_losing: losers.clone().count(),
            population_losing: losers.fold(0.0, |t, c| t + c.population),
            communes,
        }
    }

    /// Gini, Palma and population under [`APL_THRESHOLD`] of the APL over the residents of the
    /// départements the scenario touches, before and after.
    fn equity_changes(&self, departements: &[DepartementChange], apl: &[CommuneChange]) -> EquityImpact {
        let area: BTreeSet<&str> = departements.iter().map(|d| d.code.as_str()).collect();
        let members: Vec<usize> = (0..self.points.len()).filter(|&i| area.contains(self.dep[i].as_str())).collect();
        let changed: BTreeMap<usize, Option<f64>> = apl.iter().map(|c| (c.index, c.after)).collect();
        let population: Vec<f64> = members.iter().map(|&i| self.population[i]).collect();
        let before: Vec<Option<f64>> = members.iter().map(|&i| self.apl[i]).collect();
        let after: Vec<Option<f64>> = members.iter().map(|&i| changed.get(&i).copied().unwrap_or(self.apl[i])).collect();
        EquityImpact {
            method: "apl",
            measure: "Gini and Palma ratio (share of the top 10 % of residents over that of the bottom 40 %) of the APL over the residents, \
and residents under the APL threshold; spatial availability per resident is APL / activity, so its Gini and Palma are the same",
            departements: area.iter().map(|d| d.to_string()).collect(),
            before: equity::equity(&before, &population, APL_THRESHOLD),
            after: equity::equity(&after, &population, APL_THRESHOLD),
        }
    }

    /// The commune's soonest MSP after the scenario: the baseline's unless it closes (then the
    /// soonest that stays open), or a new site reached sooner. `(point, minutes)`.
    fn nearest_msp_after(&self, i: usize, r: &Resolved, added: &DestinationIndex) -> Option<(Point<f64>, f64)> {
        let existing = match self.nearest_msp[i] {
            Some((p, _)) if r.removed_msp.contains(&self.place_msp[p]) => {
                self.msp.soonest(&self.travel, &self.points, i, |q| r.removed_msp.contains(&self.place_msp[q]))
            }
            found => found,
        }
        .map(|(p, t)| (self.msp.places()[p].point, t));
        let new = added.soonest(&self.travel, &self.points, i, |_| false).map(|(p, t)| (added.places()[p].point, t));
        match (existing, new) {
            (Some(e), Some(n)) => Some(if n.1 < e.1 { n } else { e }),
            (e, n) => e.or(n),
        }
    }

    fn nearest_changes(&self, atlas: &Atlas, r: &Resolved) -> Vec<DistanceChange> {
        if r.added_msp.is_empty() && r.removed_msp.is_empty() {
            return Vec::new();
        }
        let added = DestinationIndex::new(r.added_msp.clone());
        let mut changes = Vec::new();
        for (i, &p) in self.points.iter().enumerate() {
            let before = self.nearest_msp[i].map(|(p, t)| (self.msp.places()[p].point, t));
            let after = self.nearest_msp_after(i, r, &added);
            if after.map(|a| a.1) != before.map(|b| b.1) {
                changes.push(DistanceChange {
                    code: atlas.communes()[i].code.clone(),
                    before_m: before.map(|(q, _)| haversine_m(p, q)),
                    after_m: after.map(|(q, _)| haversine_m(p, q)),
                    before_minutes: before.map(|b| b.1),
                    after_minutes: after.map(|a| a.1),
                    population: self.population[i],
                });
            }
        }
        changes
    }

    fn summary(&self, apl: &[CommuneChange], distances: &[DistanceChange]) -> Summary {
        let (mut above, mut below) = (0.0, 0.0);
        for c in apl {
            let was = c.before.is_some_and(|v| v >= APL_THRESHOLD);
            let is = c.after.is_some_and(|v| v >= APL_THRESHOLD);
            match (was, is) {
                (false, true) => above += c.population,
                (true, false) => below += c.population,
                _ => {}
            }
        }
        let within = |minutes: Option<f64>, limit: f64| minutes.is_some_and(|m| m <= limit);
        let before_total: Vec<f64> = COVERAGE_MINUTES
            .iter()
            .map(|&limit| {
                self.nearest_msp
                    .iter()
                    .zip(&self.population)
                    .filter(|(n, _)| within(n.map(|(_, t)| t), limit))
                    .map(|(_, p)| p)
                    .sum()
            })
            .collect();
        let coverage = COVERAGE_MINUTES
            .iter()
            .zip(&before_total)
            .map(|(&limit, &before)| {
                let delta: f64 = distances
                    .iter()
                    .map(|c| {
                        let b = within(c.before_minutes, limit);
                        let a = within(c.after_minutes, limit);
                        c.population * (f64::from(u8::from(a)) - f64::from(u8::from(b)))
                    })
                    .sum();
                Coverage { minutes: limit, before, after: before + delta }
            })
            .collect();
        let gained = apl.iter().filter(|c| c.delta.is_some_and(|d| d > 0.0)).map(|c| c.population).sum();
        let lowered = apl.iter().filter(|c| c.delta.is_some_and(|d| d < 0.0)).fold(0.0, |t, c| t + c.population);
        Summary {
            apl_threshold: APL_THRESHOLD,
            population_moving_above_threshold: above,
            population_moving_below_threshold: below,
            population_with_higher_apl: gained,
            population_with_lower_apl: lowered,
            communes_with_apl_change: apl.len(),
            msp_coverage: coverage,
        }
    }

    fn departements(&self, atlas: &Atlas, after: &BTreeMap<usize, f64>, r: &Resolved, apl: &[CommuneChange]) -> Vec<DepartementChange> {
        let mut touched: BTreeSet<&str> = after.keys().map(|&c| self.dep[c].as_str()).collect();
        touched.extend(r.new_points.iter().map(|n| self.dep[n.commune].as_str()));
        touched.extend(apl.iter().map(|c| self.dep[c.index].as_str()));
        let changed: BTreeMap<usize, Option<f64>> = apl.iter().map(|c| (c.index, c.after)).collect();
        let mut added: BTreeMap<&str, f64> = BTreeMap::new();
        for n in &r.new_points {
            *added.entry(self.dep[n.commune].as_str()).or_default() += n.gps;
        }
        touched
            .into_iter()
            .map(|dep| {
                let members: Vec<usize> = (0..self.points.len()).filter(|&i| self.dep[i] == dep).collect();
                let population: f64 = members.iter().map(|&i| self.population[i]).sum();
                let gp_before: f64 = members.iter().map(|&i| self.gps[i]).sum();
                let gp_after: f64 = members.iter().map(|&i| after.get(&i).copied().unwrap_or(self.gps[i])).sum::<f64>()
                    + added.get(dep).copied().unwrap_or(0.0);
                let weighted = |value: &dyn Fn(usize) -> Option<f64>| {
                    let (s, w) = members.iter().fold((0.0, 0.0), |(s, w), &i| match value(i) {
                        Some(v) => (s + v * self.population[i], w + self.population[i]),
                        None => (s, w),
                    });
                    (w > 0.0).then(|| s / w)
                };
                let density = |g: f64| (population > 0.0).then(|| g * 10_000.0 / population);
                DepartementChange {
                    code: dep.to_string(),
                    name: atlas.department(dep).map(|d| d.name.clone()),
                    gp_before,
                    gp_after,
                    gp_per_10k_before: density(gp_before),
                    gp_per_10k_after: density(gp_after),
                    apl_before: weighted(&|i| self.apl[i]),
                    apl_after: weighted(&|i| changed.get(&i).copied().unwrap_or(self.apl[i])),
                }
            })
            .collect()
    }
}

fn finish(values: Vec<Option<f64>>, population: &[f64]) -> Vec<Option<f64>> {
    super::apl::per_resident(values, population, 1.0).0
}

/// The APL part of an impact.
#[derive(Debug, Clone, PartialEq)]
pub struct AplAfter {
    /// `(commune, APL after)` for the communes whose APL changes.
    pub changed: Vec<(usize, Option<f64>)>,
    pub recomputed: usize,
    /// GPs after the scenario of the communes it changes.
    pub gps_after: BTreeMap<usize, f64>,
    pub gps_not_removable: f64,
    /// GPs after minus GPs before at the locations some resident reaches (within the
    /// catchment, at a positive weight): the net change of the supply shared out.
    pub gps_change_within_reach: f64,
}

/// A site placed at a point by a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLocation {
    pub point: Point<f64>,
    /// The commune it stands in.
    pub commune: usize,
    pub gps: f64,
}

/// A scenario reduced to supply changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolved {
    /// Net change of GPs per commune (at its town hall).
    pub commune_gps: BTreeMap<usize, f64>,
    pub new_points: Vec<NewLocation>,
    /// MSP (by position among the atlas's MSP) that close, and points where MSP open.
    pub removed_msp: BTreeSet<MspIx>,
    pub added_msp: Vec<Destination>,
}

/// The change of one commune's APL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommuneChange {
    #[serde(skip)]
    pub index: usize,
    pub code: String,
    pub name: String,
    pub population: f64,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub delta: Option<f64>,
}

impl CommuneChange {
    fn new(atlas: &Atlas, index: usize, before: Option<f64>, after: Option<f64>) -> Self {
        let c = &atlas.communes()[index];
        let delta = before.zip(after).map(|(b, a)| a - b);
        CommuneChange { index, code: c.code.clone(), name: c.name.clone(), population: f64::from(c.population), before, after, delta }
    }
}

/// The change of a commune's distance to its nearest MSP.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistanceChange {
    pub code: String,
    pub before_m: Option<f64>,
    pub after_m: Option<f64>,
    pub before_minutes: Option<f64>,
    pub after_minutes: Option<f64>,
    pub population: f64,
}

/// Population whose nearest MSP is within `minutes`, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub minutes: f64,
    pub before: f64,
    pub after: f64,
}

/// Headline figures of an impact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub apl_threshold: f64,
    pub population_moving_above_threshold: f64,
    pub population_moving_below_threshold: f64,
    pub population_with_higher_apl: f64,
    /// Residents of the communes whose APL goes down.
    pub population_with_lower_apl: f64,
    pub communes_with_apl_change: usize,
    pub msp_coverage: Vec<Coverage>,
}

/// A département's indicators before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartementChange {
    pub code: String,
    pub name: Option<String>,
    pub gp_before: f64,
    pub gp_after: f64,
    pub gp_per_10k_before: Option<f64>,
    pub gp_per_10k_after: Option<f64>,
    pub apl_before: Option<f64>,
    pub apl_after: Option<f64>,
}

/// The change of one commune's spatial availability (GPs available to its residents).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvailabilityChange {
    pub code: String,
    pub name: String,
    pub population: f64,
    /// GPs available before and after, and the difference.
    pub before: f64,
    pub after: f64,
    pub delta: f64,
}

/// Who gains and who loses GPs under spatial availability, and that the totals balance:
/// `gained − lost = supply_change` (`balance` is what rounding leaves).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvailabilityImpact {
    /// The method's name, as `medatlas access --method` knows it.
    pub method: &'static str,
    pub unit: &'static str,
    /// The formula and parameters.
    pub model: String,
    /// GPs gained by the communes that gain, in all.
    pub gained: f64,
    /// GPs lost by the communes that lose, in all (a positive number).
    pub lost: f64,
    /// Net GPs added at locations some resident reaches (new supply; negative when supply
    /// leaves).
    pub supply_change: f64,
    /// `gained − lost − supply_change`: 0 up to rounding.
    pub balance: f64,
    pub communes_losing: usize,
    pub population_losing: f64,
    /// The communes whose spatial availability changes.
    pub communes: Vec<AvailabilityChange>,
}

/// Equity of access over the residents of the départements a scenario touches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EquityImpact {
    /// The access method the figures are about.
    pub method: &'static str,
    /// What the figures are.
    pub measure: &'static str,
    /// The départements whose residents count.
    pub departements: Vec<String>,
    pub before: Equity,
    pub after: Equity,
}

/// What a scenario changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    pub model: String,
    /// Communes whose APL was recomputed (those within reach of a changed location).
    pub communes_recomputed: usize,
    /// GPs a change asked to remove beyond what the commune had.
    pub gps_not_removable: f64,
    pub summary: Summary,
    pub apl: Vec<CommuneChange>,
    pub nearest_msp: Vec<DistanceChange>,
    pub departements: Vec<DepartementChange>,
    /// GPs available per commune before and after (spatial availability): gains and losses
    /// that add up to the change of supply.
    pub spatial_availability: AvailabilityImpact,
    /// Gini, Palma and population under the threshold, before and after.
    pub equity: EquityImpact,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn fixture() -> &'static (Atlas, Baseline) {
        static F: OnceLock<(Atlas, Baseline)> = OnceLock::new();
        F.get_or_init(|| {
            let atlas = Atlas::load_default().unwrap();
            let baseline = Baseline::build(&atlas, &AplParams::default()).unwrap();
            (atlas, baseline)
        })
    }

    fn scenario(changes: Vec<Change>) -> Scenario {
        Scenario { name: "test".into(), changes }
    }

    fn assert_equals_full_recompute(atlas: &Atlas, b: &Baseline, s: &Scenario) -> Impact {
        let r = b.resolve(atlas, s).unwrap();
        let impact = b.impact(atlas, &r);
        let full = b.full_apl(&r).unwrap();
        let mut incremental = b.apl().to_vec();
        for c in &impact.apl {
            incremental[c.index] = c.after;
        }
        for (i, (inc, full)) in incremental.iter().zip(&full).enumerate() {
            match (inc, full) {
                (Some(a), Some(f)) => assert!((a - f).abs() <= 1e-12 * f.abs().max(1.0), "{}: {a} vs {f}", atlas.communes()[i].code),
                (None, None) => {}
                _ => panic!("{}: {inc:?} vs {full:?}", atlas.communes()[i].code),
            }
        }
        impact
    }

    #[test]
    fn three_gps_at_cosne_d_allier_raise_its_apl_and_its_neighbours_only() {
        let (atlas, b) = fixture();
        let cosne = atlas.communes().iter().position(|c| c.name == "Cosne-d'Allier").expect("Cosne-d'Allier");
        let code = atlas.communes()[cosne].code.clone();
        let s = scenario(vec![Change::AddSite { place: Place::Commune { commune: code.clone() }, gps: 3.0, name: None }]);
        let impact = assert_equals_full_recompute(atlas, b, &s);
        let mine = impact.apl.iter().find(|c| c.code == code).expect("Cosne-d'Allier changes");
        assert!(mine.delta.unwrap() > 0.0);
        let here = atlas.communes()[cosne].repr_point;
        let model = atlas.travel_times().estimate();
        // Only Cosne-d'Allier's ratio changes, so only communes within 20 minutes of it change,
        // and all of them gain.
        for c in &impact.apl {
            let t = model.minutes(haversine_m(here, atlas.communes()[c.index].repr_point));
            assert!(t <= 20.0 + 1e-9, "{} changed at {t:.1} min", c.code);
            assert!(c.delta.unwrap() > 0.0, "{} lost access from added GPs", c.code);
        }
        // Communes beyond 20 min are unchanged, and there are many of them.
        let far = (0..atlas.communes().len())
            .filter(|&i| model.minutes(haversine_m(here, atlas.communes()[i].repr_point)) > 20.0)
            .count();
        assert!(far > 1_000);
        assert!(impact.summary.population_with_higher_apl > 0.0);
        let dep = impact.departements.iter().find(|d| d.code == "03").unwrap();
        assert_eq!(dep.gp_after - dep.gp_before, 3.0);
        assert!(dep.apl_after.unwrap() > dep.apl_before.unwrap());
    }

    #[test]
    fn every_kind_of_change_equals_a_full_recompute() {
        let (atlas, b) = fixture();
        let msp: Vec<&crate::model::Site> = atlas.sites().iter().filter(|s| s.kind.is_msp()).collect();
        let s = scenario(vec![
            Change::AddSite { place: Place::Point { lon: 2.9, lat: 46.2 }, gps: 2.0, name: Some("new".into()) },
            Change::RemoveSite { site: msp[0].id.clone(), gps: 1.0 },
            Change::ResizeSite { site: msp[1].id.clone(), gps_delta: 4.0 },
            Change::Retire { commune: "03185".into(), gps: 5.0 },
            Change::Retire { commune: "63113".into(), gps: MAX_GPS_PER_CHANGE },
        ]);
        let impact = assert_equals_full_recompute(atlas, b, &s);
        assert!(impact.gps_not_removable > 0.0, "Clermont has fewer than 500 GPs (379 in SanteScope 2026)");
        assert!(!impact.nearest_msp.is_empty());
        assert!(impact.communes_recomputed < atlas.communes().len() / 2);
    }

    /// GPs available to each commune, recomputed from scratch by
    /// `availability::spatial_availability`, before and after the scenario.
    fn full_availability(b: &Baseline, r: &Resolved) -> (Vec<f64>, Vec<f64>, f64, f64) {
        let before = b.full_availability(&Resolved::default()).unwrap();
        let after = b.full_availability(r).unwrap();
        let values = |v: &SpatialAvailability| v.values.iter().map(|x| x.unwrap_or(0.0)).collect::<Vec<f64>>();
        (values(&before), values(&after), before.allocated, after.allocated)
    }

    /// The impact's spatial availability against a full recomputation: every commune's change,
    /// and gains − losses = the change of the supply shared out.
    fn assert_availability_equals_full_recompute(atlas: &Atlas, b: &Baseline, r: &Resolved, impact: &Impact) {
        let (before, after, allocated_before, allocated_after) = full_availability(b, r);
        let listed: BTreeMap<&str, &AvailabilityChange> = impact.spatial_availability.communes.iter().map(|c| (c.code.as_str(), c)).collect();
        for (i, c) in atlas.communes().iter().enumerate() {
            let delta = after[i] - before[i];
            match listed.get(c.code.as_str()) {
                Some(l) => {
                    assert!((l.before - before[i]).abs() <= 1e-9 * before[i].max(1.0), "{}: {} vs {}", c.code, l.before, before[i]);
                    assert!((l.delta - delta).abs() <= 1e-9 * before[i].max(1.0), "{}: {} vs {delta}", c.code, l.delta);
                }
                None => assert!(delta.abs() <= 1e-9 * before[i].max(1.0), "{} changes by {delta} but is not listed", c.code),
            }
        }
        let a = &impact.spatial_availability;
        assert!((a.supply_change - (allocated_after - allocated_before)).abs() < 1e-6, "{} vs {}", a.supply_change, allocated_after - allocated_before);
        assert!(a.balance.abs() < 1e-6, "gained {} − lost {} ≠ supply change {}", a.gained, a.lost, a.supply_change);
        let sum_before: f64 = before.iter().sum();
        let sum_after: f64 = after.iter().sum();
        assert!((sum_after - sum_before - a.supply_change).abs() < 1e-6);
    }

    #[test]
    fn spatial_availability_of_every_kind_of_change_equals_a_full_recompute_and_balances() {
        let (atlas, b) = fixture();
        let msp: Vec<&crate::model::Site> = atlas.sites().iter().filter(|s| s.kind.is_msp()).collect();
        let s = scenario(vec![
            Change::AddSite { place: Place::Point { lon: 2.9, lat: 46.2 }, gps: 2.0, name: Some("new".into()) },
            Change::RemoveSite { site: msp[0].id.clone(), gps: 1.0 },
            Change::ResizeSite { site: msp[1].id.clone(), gps_delta: 4.0 },
            Change::Retire { commune: "03185".into(), gps: 5.0 },
        ]);
        let r = b.resolve(atlas, &s).unwrap();
        let impact = b.impact(atlas, &r);
        assert_availability_equals_full_recompute(atlas, b, &r, &impact);
        let a = &impact.spatial_availability;
        assert!(a.gained > 0.0 && a.lost > 0.0, "{} / {}", a.gained, a.lost);
        assert_eq!((a.method, impact.equity.method), ("spatial_availability", "apl"));
    }

    /// Montluçon (03185, 30 GPs) and a point about 9 km east of its town hall.
    fn montlucon_and_a_point_east(atlas: &Atlas) -> (String, f64, f64) {
        let c = atlas.commune("03185").expect("Montluçon");
        (c.code.clone(), c.repr_point.x() + 0.12, c.repr_point.y())
    }

    #[test]
    fn a_new_msp_with_new_gps_next_to_a_practice_makes_no_loser_and_its_gps_are_the_gains() {
        let (atlas, b) = fixture();
        let (_, lon, lat) = montlucon_and_a_point_east(atlas);
        let s = scenario(vec![Change::AddSite { place: Place::Point { lon, lat }, gps: 3.0, name: None }]);
        let r = b.resolve(atlas, &s).unwrap();
        let impact = b.impact(atlas, &r);
        assert_availability_equals_full_recompute(atlas, b, &r, &impact);
        let a = &impact.spatial_availability;
        // Spatial availability shares each practice's GPs out among the residents reaching
        // it, whatever the other practices: the new one adds its 3 GPs and takes nothing.
        assert_eq!((a.communes_losing, a.lost), (0, 0.0));
        assert!(a.lost.is_sign_positive() && a.population_losing.is_sign_positive(), "no -0 in the JSON");
        assert!((a.gained - 3.0).abs() < 1e-9 && (a.supply_change - 3.0).abs() < 1e-12, "{}", a.gained);
        assert!(impact.summary.population_with_lower_apl == 0.0 && impact.summary.population_with_lower_apl.is_sign_positive());
    }

    #[test]
    fn a_new_msp_drawing_its_gps_from_the_practice_next_door_shows_who_loses_and_balances() {
        // The usual way an MSP opens: GPs of a neighbouring practice move in. 3 of Montluçon's
        // GPs move to a point 9 km east: residents west of Montluçon lose GPs, those east of
        // the new site gain, and the GPs gained are the GPs lost.
        let (atlas, b) = fixture();
        let (code, lon, lat) = montlucon_and_a_point_east(atlas);
        let s = scenario(vec![
            Change::AddSite { place: Place::Point { lon, lat }, gps: 3.0, name: Some("MSP".into()) },
            Change::Retire { commune: code.clone(), gps: 3.0 },
        ]);
        let r = b.resolve(atlas, &s).unwrap();
        let impact = b.impact(atlas, &r);
        assert_availability_equals_full_recompute(atlas, b, &r, &impact);
        let a = &impact.spatial_availability;
        assert!(a.communes_losing > 0 && a.population_losing > 0.0);
        assert!(a.supply_change.abs() < 1e-9, "the GPs only move: {}", a.supply_change);
        assert!((a.gained - a.lost).abs() < 1e-9 && a.lost > 0.0, "gained {} vs lost {}", a.gained, a.lost);
        // Every loser is within reach of Montluçon's town hall, where the GPs left.
        let montlucon = atlas.commune(&code).unwrap().repr_point;
        let model = atlas.travel_times().estimate();
        for c in a.communes.iter().filter(|c| c.delta < 0.0) {
            let t = model.minutes(haversine_m(montlucon, atlas.commune(&c.code).unwrap().repr_point));
            assert!(t <= 20.0 + 1e-9, "{} loses at {t:.1} min from Montluçon", c.code);
        }
        // Per resident, spatial availability is APL / activity: the same communes lose under
        // the APL, now visible in its summary.
        let apl_losers: BTreeSet<&str> = impact.apl.iter().filter(|c| c.delta.is_some_and(|d| d < 0.0)).map(|c| c.code.as_str()).collect();
        let sa_losers: BTreeSet<&str> = a.communes.iter().filter(|c| c.delta < 0.0).map(|c| c.code.as_str()).collect();
        assert_eq!(apl_losers, sa_losers);
        assert!((impact.summary.population_with_lower_apl - a.population_losing).abs() < 1e-9);
    }

    #[test]
    fn equity_before_and_after_is_computed_over_the_touched_departements() {
        let (atlas, b) = fixture();
        let s = scenario(vec![Change::Retire { commune: "03185".into(), gps: 20.0 }]);
        let r = b.resolve(atlas, &s).unwrap();
        let e = b.impact(atlas, &r).equity;
        assert_eq!(e.departements, vec!["03".to_string()]);
        let allier: Vec<usize> = (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].dep == "03").collect();
        let residents: f64 = allier.iter().filter(|&&i| b.apl()[i].is_some()).map(|&i| f64::from(atlas.communes()[i].population)).sum();
        assert_eq!(e.before.population, residents);
        assert_eq!(e.before.threshold, APL_THRESHOLD);
        // Taking 20 of Montluçon's 30 GPs away puts more residents under 2.5 and widens the gap.
        assert!(e.after.population_under > e.before.population_under);
        assert!(e.after.gini.unwrap() > e.before.gini.unwrap());
        let (g, p) = (e.before.gini.unwrap(), e.before.palma.unwrap());
        assert!((0.0..1.0).contains(&g) && p > 0.25, "gini {g}, palma {p}");
    }

    #[test]
    fn the_baseline_shows_the_default_apl() {
        let (atlas, b) = fixture();
        let direct = crate::analysis::apl::default_access(atlas).unwrap();
        let shown = b.access();
        assert_eq!(shown.apl, direct.apl);
        assert_eq!(shown.missing, direct.missing);
        assert_eq!(shown.weight, direct.weight);
        assert_eq!(shown.travel, direct.travel);
    }

    #[test]
    fn bad_scenarios_are_refused_with_the_change_named() {
        let (atlas, b) = fixture();
        let add = |gps: f64| Change::AddSite { place: Place::Commune { commune: "03185".into() }, gps, name: None };
        assert_eq!(b.resolve(atlas, &scenario(vec![])), Err(ScenarioError::Empty));
        assert!(matches!(b.resolve(atlas, &scenario(vec![add(-1.0)])), Err(ScenarioError::Invalid { index: 0, .. })));
        assert!(matches!(b.resolve(atlas, &scenario(vec![add(1.0), add(f64::NAN)])), Err(ScenarioError::Invalid { index: 1, .. })));
        assert!(matches!(b.resolve(atlas, &scenario(vec![add(1.0); MAX_CHANGES + 1])), Err(ScenarioError::TooManyChanges(_))));
        let far = Change::AddSite { place: Place::Point { lon: -40.0, lat: 10.0 }, gps: 1.0, name: None };
        assert!(matches!(b.resolve(atlas, &scenario(vec![far])), Err(ScenarioError::OutsideAtlas { .. })));
        let unknown = Change::RemoveSite { site: "nope".into(), gps: 1.0 };
        assert!(matches!(b.resolve(atlas, &scenario(vec![unknown])), Err(ScenarioError::UnknownSite { .. })));
    }

    #[test]
    fn scenarios_read_from_json() {
        let s: Scenario = serde_json::from_str(
            r#"{"name": "x", "changes": [
                {"type": "add_site", "lon": 2.9, "lat": 46.2, "gps": 2},
                {"type": "add_site", "commune": "03082", "gps": 3},
                {"type": "remove_site", "site": "a", "gps": 1},
                {"type": "resize_site", "site": "a", "gps_delta": -1},
                {"type": "retire", "commune": "03185", "gps": 2}]}"#,
        )
        .unwrap();
        assert_eq!(s.changes.len(), 5);
        assert!(matches!(&s.changes[1], Change::AddSite { place: Place::Commune { commune }, .. } if commune == "03082"));
    }
}
