//! A seeded model of per-commune GP counts, used only when asked for
//! (`LoadConfig::synthetic_gp_seed`, CLI `--synthetic-gps SEED`), never by default: the
//! embedded default carries real GP counts (SanteScope 2026). It stays for tests and
//! demonstrations of the `synthetic` flag, which it sets everywhere its values appear.
//!
//! Model, per département `d` with a published total `T_d` of GPs and a published share
//! `s_d` of physicians near retirement:
//! 1. each of the `T_d` GPs is placed in a commune drawn with probability proportional to
//!    `population ^ ALPHA` (ALPHA = 1.1: practices gather in towns and bourgs slightly more
//!    than people do, so most small villages get none);
//! 2. `round(T_d × s_d)` of those GPs, drawn uniformly without replacement, are marked near
//!    retirement.
//!
//! Totals per département are therefore exact; everything below that level is invented. The
//! random generator is ChaCha8, seeded, so a given seed always gives the same counts on every
//! platform.

use crate::ingest::CommuneValues;
use rand::SeedableRng;
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Exponent of population in the placement weight.
pub const ALPHA: f64 = 1.1;

/// Published département totals the model is calibrated on.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    pub dep: String,
    pub gp_total: u32,
    /// Share of GPs near retirement, in [0, 1].
    pub near_retirement_share: f64,
}

/// Generates counts for every commune of the calibrated départements. `communes` gives
/// (code, département, population). Communes of other départements get nothing.
pub fn synthesize(communes: &[(String, String, u32)], calibration: &[Calibration], seed: u64) -> Vec<CommuneValues> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut by_dep: BTreeMap<&str, Vec<&(String, String, u32)>> = BTreeMap::new();
    for c in communes {
        by_dep.entry(c.1.as_str()).or_default().push(c);
    }
    let mut out = Vec::new();
    let mut sorted: Vec<&Calibration> = calibration.iter().collect();
    sorted.sort_by(|a, b| a.dep.cmp(&b.dep));
    for cal in sorted {
        let Some(members) = by_dep.get(cal.dep.as_str()) else { continue };
        let weights: Vec<f64> = members.iter().map(|c| f64::from(c.2).powf(ALPHA)).collect();
        let mut gp = vec![0u32; members.len()];
        // Every GP remembers its commune, to draw those near retirement among GPs, not communes.
        let mut gp_commune = Vec::with_capacity(cal.gp_total as usize);
        if let Ok(dist) = WeightedIndex::new(&weights) {
            for _ in 0..cal.gp_total {
                let i = dist.sample(&mut rng);
                gp[i] += 1;
                gp_commune.push(i);
            }
        }
        let near_total = (f64::from(cal.gp_total) * cal.near_retirement_share.clamp(0.0, 1.0)).round() as usize;
        let mut near = vec![0u32; members.len()];
        for g in rand::seq::index::sample(&mut rng, gp_commune.len(), near_total.min(gp_commune.len())) {
            near[gp_commune[g]] += 1;
        }
        for (i, c) in members.iter().enumerate() {
            out.push(CommuneValues {
                commune: c.0.clone(),
                source_code: c.0.clone(),
                line: 0,
                gp: Some(gp[i]),
                gp_near_retirement: Some(near[i]),
                ..Default::default()
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn communes() -> Vec<(String, String, u32)> {
        let mut v = vec![("03185".to_string(), "03".to_string(), 35_653)];
        for i in 0..300 {
            v.push((format!("03{:03}", i), "03".into(), 150 + (i * 37) % 2_000));
        }
        v.push(("15014".into(), "15".into(), 25_000));
        v.push(("15001".into(), "15".into(), 300));
        v
    }

    fn cal() -> Vec<Calibration> {
        vec![
            Calibration { dep: "03".into(), gp_total: 254, near_retirement_share: 0.474 },
            Calibration { dep: "15".into(), gp_total: 132, near_retirement_share: 0.409 },
        ]
    }

    fn total(v: &[CommuneValues], dep: &str) -> (u32, u32) {
        v.iter()
            .filter(|c| c.commune.starts_with(dep))
            .fold((0, 0), |(a, b), c| (a + c.gp.unwrap_or(0), b + c.gp_near_retirement.unwrap_or(0)))
    }

    #[test]
    fn totals_match_the_calibration_exactly() {
        let v = synthesize(&communes(), &cal(), 2022);
        assert_eq!(total(&v, "03"), (254, (254.0f64 * 0.474).round() as u32));
        assert_eq!(total(&v, "15"), (132, 54));
        assert!(v.iter().all(|c| c.gp_near_retirement <= c.gp));
    }

    #[test]
    fn same_seed_same_counts_other_seed_other_counts() {
        let a = synthesize(&communes(), &cal(), 2022);
        let b = synthesize(&communes(), &cal(), 2022);
        let c = synthesize(&communes(), &cal(), 7);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn the_big_town_gets_more_gps_than_any_village() {
        let v = synthesize(&communes(), &cal(), 2022);
        let town = v.iter().find(|c| c.commune == "03185").and_then(|c| c.gp).unwrap_or(0);
        let max_village = v.iter().filter(|c| c.commune.starts_with("03") && c.commune != "03185").filter_map(|c| c.gp).max();
        assert!(town > max_village.unwrap_or(0) * 3, "town {town}, village max {max_village:?}");
        // Communes outside the calibration get nothing.
        assert!(v.iter().all(|c| !c.commune.starts_with("63")));
    }
}
