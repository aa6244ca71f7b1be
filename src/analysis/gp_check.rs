//! A published check of the atlas's GP counts: per département, the atlas's GPs (all, and
//! liberal when the sources give the mode of practice) over Cnam's head count of liberal GPs
//! (`ingest::ameli`, embedded for 2024).
//!
//! The two do not count the same thing, so a ratio of 1 is not expected: Cnam counts liberal
//! GPs (mixed practice included) once per département; the atlas's total also counts salaried
//! GPs, and counts a GP once in every commune where they practise. The liberal ratio is the
//! closer one (around 1 when the RPPS and Cnam agree, above 1 by multi-site GPs); the total's
//! ratio shows how many GPs the DREES field leaves out. Synthetic counts (the embedded model)
//! are calibrated on these very totals: their ratio checks the model, not the data.

use crate::atlas::Atlas;
use crate::ingest::ameli::AmeliCount;
use serde::Serialize;
use std::collections::BTreeMap;

/// One département of the atlas against the reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentGpCheck {
    /// Département code.
    pub dep: String,
    pub name: String,
    /// GPs of its communes in the atlas (a multi-site GP once per commune).
    pub atlas_gp: u32,
    /// Liberal GPs of its communes, when every commune with GPs knows their modes.
    pub atlas_liberal: Option<u32>,
    /// The reference's head count, when it lists the département.
    pub reference: Option<u32>,
    /// `atlas_gp / reference`.
    pub ratio_total: Option<f64>,
    /// `atlas_liberal / reference`.
    pub ratio_liberal: Option<f64>,
    /// True when the atlas's counts of the département are synthetic (modelled).
    pub synthetic: bool,
}

/// Every département of the atlas against `reference` (by département code), in code order.
pub fn gp_counts_vs_reference(atlas: &Atlas, reference: &[AmeliCount]) -> Vec<DepartmentGpCheck> {
    let by_dep: BTreeMap<&str, u32> = reference.iter().map(|r| (r.departement.as_str(), r.count)).collect();
    // dep -> (all GPs, liberal GPs, a commune with GPs but no split, synthetic)
    let mut sums: BTreeMap<&str, (u32, u32, bool, bool)> = BTreeMap::new();
    for c in atlas.communes() {
        let e = sums.entry(c.dep.as_str()).or_default();
        let Some(g) = &c.gp else { continue };
        e.0 += g.gp;
        match &g.gp_by_mode {
            Some(m) => e.1 += m.liberal,
            None if g.gp > 0 => e.2 = true,
            None => {}
        }
        e.3 |= g.synthetic;
    }
    let ratio = |n: u32, r: Option<u32>| r.filter(|&r| r > 0).map(|r| f64::from(n) / f64::from(r));
    atlas
        .departments()
        .iter()
        .map(|d| {
            let (gp, liberal, totals_only, synthetic) = sums.get(d.code.as_str()).copied().unwrap_or_default();
            let reference = by_dep.get(d.code.as_str()).copied();
            // Liberal GPs are known only if some commune gave a split and none gave a bare total.
            let known_split = !totals_only && gp > 0;
            let atlas_liberal = known_split.then_some(liberal);
            DepartmentGpCheck {
                dep: d.code.clone(),
                name: d.name.clone(),
                atlas_gp: gp,
                atlas_liberal,
                reference,
                ratio_total: ratio(gp, reference),
                ratio_liberal: atlas_liberal.and_then(|l| ratio(l, reference)),
                synthetic,
            }
        })
        .collect()
}
