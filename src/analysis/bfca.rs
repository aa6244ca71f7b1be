//! Balanced floating catchment area (BFCA): 2SFCA with the decay weights normalised over the
//! sites a location reaches (for the demand step) and over the locations a site reaches (for
//! the access step), so that neither demand nor supply is counted twice.
//!
//! Páez A, Higgins CD, Vivona SF (2019), "Demand and level of service inflation in Floating
//! Catchment Area (FCA) methods", PLOS ONE 14(6): e0218773, doi:10.1371/journal.pone.0218773;
//! named BFCA in Pereira RHM et al. (2021), Social Science & Medicine 273: 113773. As the R
//! package `accessibility` (`floating_catchment_area(fca_metric = "bfca")`) computes it:
//!
//! ```text
//! W^i_ij = f(c_ij) / Σ_k f(c_ik)       weights of location i, normalised over the sites it reaches
//! W^j_ij = f(c_ij) / Σ_k f(c_kj)       weights of site j, normalised over the locations reaching it
//! P̂_j   = Σ_i P_i · W^i_ij            population served by j (each resident counted once)
//! R_j    = S_j / P̂_j                  level of service of j (supply per resident served)
//! A_i    = Σ_j W^j_ij · R_j            accessibility of i (level of service reaching i)
//! ```
//!
//! What adds up: `Σ_j P̂_j = Σ_i P_i` over the locations with a positive weight somewhere (no
//! demand inflation), `Σ_j R_j · P̂_j = Σ_j S_j` over the sites serving somebody (the
//! population-weighted level of service is the supply), and `Σ_i A_i = Σ_j R_j` (no level of
//! service inflation). Unlike spatial availability, `Σ_i P_i · A_i` is *not* the supply in
//! general: `A_i` is a level of service (GPs per resident), not a share of the GPs.
//!
//! Conventions, as in [`access`](super::access): only admitted pairs count; a location with no
//! admitted pair has no value (`None`); a location whose admitted weights are all 0 adds no
//! demand anywhere; a site with `P̂_j = 0` has no level of service and passes nothing on.

use super::access::{AccessError, Catchment, CostTable, check_values};

/// The BFCA of every demand location with its site-side quantities.
#[derive(Debug, Clone, PartialEq)]
pub struct Bfca {
    /// `A_i` per demand location (the cost table's rows), in supply per resident; `None` for a
    /// location with no admitted pair.
    pub access: Vec<Option<f64>>,
    /// `P̂_j`, the population each site serves (balanced: each resident counted once).
    pub served: Vec<f64>,
    /// `R_j = S_j / P̂_j`; `None` where `P̂_j` is 0.
    pub level_of_service: Vec<Option<f64>>,
}

/// BFCA (Páez et al. 2019, see the module documentation): `demand[i]` is the population of
/// row `i` of the cost table, `supply[j]` the supply of column `j`.
pub fn bfca(demand: &[f64], supply: &[f64], costs: &CostTable, catchment: &Catchment) -> Result<Bfca, AccessError> {
    check_values("demand", demand, costs.n_demand())?;
    check_values("supply", supply, costs.n_supply())?;
    let weight = |c: f64| if catchment.admits(c) { Some(catchment.decay.weight(c)) } else { None };
    // Σ_k f(c_ik) per location and Σ_k f(c_kj) per site, over admitted pairs.
    let mut row_sum = vec![0.0; costs.n_demand()];
    let mut column_sum = vec![0.0; costs.n_supply()];
    for (i, j, c) in costs.pairs() {
        if let Some(w) = weight(c) {
            row_sum[i] += w;
            column_sum[j] += w;
        }
    }
    let mut served = vec![0.0; costs.n_supply()];
    for (i, j, c) in costs.pairs() {
        if let Some(w) = weight(c)
            && row_sum[i] > 0.0
        {
            served[j] += demand[i] * w / row_sum[i];
        }
    }
    let level_of_service: Vec<Option<f64>> = supply.iter().zip(&served).map(|(&s, &p)| (p > 0.0).then(|| s / p)).collect();
    let access = (0..costs.n_demand())
        .map(|i| {
            let mut reached = false;
            let mut a = 0.0;
            for (j, c) in costs.row(i) {
                if let Some(w) = weight(c) {
                    reached = true;
                    if let Some(r) = level_of_service[j]
                        && column_sum[j] > 0.0
                    {
                        a += w / column_sum[j] * r;
                    }
                }
            }
            reached.then_some(a)
        })
        .collect();
    Ok(Bfca { access, served, level_of_service })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::access::Decay;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn three_villages_two_practices_by_hand() {
        // Villages of 100, 200, 300; practices of 10 and 20 GPs; f = 1 up to 10 min, 1/2 up
        // to 20, 0 beyond; pairs admitted up to 30 min.
        let costs = CostTable::from_pairs(3, 2, [(0, 0, 5.0), (1, 0, 15.0), (1, 1, 5.0), (2, 1, 15.0), (2, 0, 25.0)]).unwrap();
        let c = Catchment { max_cost: Some(30.0), decay: Decay::steps(vec![(10.0, 1.0), (20.0, 0.5)]).unwrap() };
        let b = bfca(&[100.0, 200.0, 300.0], &[10.0, 20.0], &costs, &c).unwrap();
        // f: f00 = 1, f10 = 1/2, f11 = 1, f21 = 1/2, f20 = 0.
        // Rows: Σ = 1, 3/2, 1/2 → W^i: 00 = 1, 10 = 1/3, 11 = 2/3, 21 = 1, 20 = 0.
        // Columns: Σ = 3/2, 3/2 → W^j: 00 = 2/3, 10 = 1/3, 11 = 2/3, 21 = 1/3, 20 = 0.
        // P̂0 = 100·1 + 200/3 = 500/3; P̂1 = 200·2/3 + 300·1 = 1300/3 (Σ = 600: every resident once).
        // R0 = 10 / (500/3) = 3/50; R1 = 20 / (1300/3) = 3/65.
        // A0 = 2/3 · 3/50 = 1/25; A1 = 1/3 · 3/50 + 2/3 · 3/65 = 1/50 + 2/65; A2 = 1/3 · 3/65 = 1/65.
        assert!(close(b.served[0], 500.0 / 3.0) && close(b.served[1], 1300.0 / 3.0), "{:?}", b.served);
        assert!(close(b.level_of_service[0].unwrap(), 3.0 / 50.0));
        assert!(close(b.level_of_service[1].unwrap(), 3.0 / 65.0));
        let expected = [1.0 / 25.0, 1.0 / 50.0 + 2.0 / 65.0, 1.0 / 65.0];
        for (got, want) in b.access.iter().zip(expected) {
            assert!(close(got.unwrap(), want), "{got:?} vs {want}");
        }
        // Σ A = 1/25 + 1/50 + 2/65 + 1/65 = 3/50 + 3/65 = Σ R; Σ R·P̂ = 10 + 20.
        let sum_a: f64 = b.access.iter().flatten().sum();
        assert!(close(sum_a, 3.0 / 50.0 + 3.0 / 65.0));
        // 2SFCA would give village 1 R0' + R1' with R0' = 10/200, R1' = 20/350, i.e. 0.107:
        // about twice BFCA's 0.0508, the inflation the balancing removes.
        assert!(b.access[1].unwrap() < 0.06);
    }

    #[test]
    fn no_pair_no_value_and_an_empty_catchment_no_level_of_service() {
        let costs = CostTable::from_pairs(3, 2, [(0, 0, 5.0), (1, 1, 5.0)]).unwrap();
        let c = Catchment { max_cost: Some(30.0), decay: Decay::Uniform };
        let b = bfca(&[10.0, 0.0, 10.0], &[4.0, 6.0], &costs, &c).unwrap();
        assert_eq!(b.access, vec![Some(0.4), Some(0.0), None]);
        assert_eq!(b.level_of_service, vec![Some(0.4), None]);
        assert!(bfca(&[10.0, 0.0], &[4.0, 6.0], &costs, &c).is_err());
    }

    #[test]
    fn demand_supply_and_level_of_service_add_up_on_random_instances() {
        let mut rng = ChaCha8Rng::seed_from_u64(2019);
        let decays = [
            Decay::Uniform,
            Decay::steps(vec![(10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0)]).unwrap(),
            Decay::gravity(1.0, -1.0, 5.0).unwrap(),
            Decay::exponential(0.1).unwrap(),
        ];
        for round in 0..400 {
            let (n, m) = (rng.random_range(1..40), rng.random_range(1..12));
            let demand: Vec<f64> = (0..n).map(|_| if rng.random_bool(0.15) { 0.0 } else { rng.random_range(1.0..5_000.0) }).collect();
            let supply: Vec<f64> = (0..m).map(|_| if rng.random_bool(0.15) { 0.0 } else { rng.random_range(0.5..30.0) }).collect();
            let mut pairs = Vec::new();
            for i in 0..n {
                for j in 0..m {
                    if rng.random_bool(0.4) {
                        pairs.push((i, j, rng.random_range(0.0..40.0)));
                    }
                }
            }
            let costs = CostTable::from_pairs(n, m, pairs).unwrap();
            let catchment = Catchment { max_cost: Some(30.0), decay: decays[round % decays.len()].clone() };
            let b = bfca(&demand, &supply, &costs, &catchment).unwrap();
            let positive = |i: usize| costs.row(i).any(|(_, c)| c <= 30.0 && catchment.decay.weight(c) > 0.0);
            // Every resident with a positive weight somewhere is served exactly once.
            let residents: f64 = (0..n).filter(|&i| positive(i)).map(|i| demand[i]).sum();
            let served: f64 = b.served.iter().sum();
            assert!((served - residents).abs() <= 1e-9 * residents.max(1.0), "round {round}: {served} vs {residents}");
            // The population-weighted level of service is the supply of the sites serving somebody.
            let supply_served: f64 = (0..m).filter(|&j| b.served[j] > 0.0).map(|j| supply[j]).sum();
            let weighted: f64 = (0..m).filter_map(|j| b.level_of_service[j].map(|r| r * b.served[j])).sum();
            assert!((weighted - supply_served).abs() <= 1e-9 * supply_served.max(1.0), "round {round}");
            // No level-of-service inflation: Σ A_i = Σ R_j (over sites with a positive column).
            let column_positive = |j: usize| costs.pairs().any(|(_, s, c)| s == j && c <= 30.0 && catchment.decay.weight(c) > 0.0);
            let sum_r: f64 = (0..m).filter(|&j| column_positive(j)).filter_map(|j| b.level_of_service[j]).sum();
            let sum_a: f64 = b.access.iter().flatten().sum();
            assert!((sum_a - sum_r).abs() <= 1e-9 * sum_r.max(1.0), "round {round}: {sum_a} vs {sum_r}");
        }
    }
}
