//! Spatial availability: the supply of each site shared out among the demand locations that
//! reach it, in proportion to their population and to the decay of their travel cost, so that
//! the values add up to the supply.
//!
//! Soukhov A, Páez A, Higgins CD, Mohamed M (2023), "Introducing spatial availability, a
//! singly-constrained measure of competitive accessibility", PLOS ONE 18(1): e0278468,
//! doi:10.1371/journal.pone.0278468, equations (population, impedance and combined balancing
//! factors, spatial availability):
//!
//! ```text
//! F^p_i  = P_i^α / Σ_k P_k^α                        population balancing factor
//! F^c_ij = f(c_ij) / Σ_k f(c_kj)                    impedance balancing factor
//! F^t_ij = F^p_i · F^c_ij / Σ_k F^p_k · F^c_kj      combined: shares of site j's supply
//! V_ij   = O_j · F^t_ij                             supply of j available to i
//! V_i    = Σ_j V_ij                                 spatial availability of i
//! ```
//!
//! Since `Σ_i F^t_ij = 1` for every site some population reaches, `Σ_i V_i = Σ_j O_j` over
//! those sites: the supply is shared out, never counted twice. The denominators of `F^p` and
//! `F^c` are the same for every `i` of a site `j`, so they cancel out of `F^t`:
//! `F^t_ij = P_i^α f(c_ij) / Σ_k P_k^α f(c_kj)`, which is what is computed here (the R package
//! `accessibility`, `spatial_availability()`, computes both factors and gets the same).
//! `α` (default 1) modulates the population's weight: below 1 smaller places get relatively
//! more, above 1 larger ones.
//!
//! With `α = 1`, `V_i / P_i` is the 2SFCA value `Σ_j f(c_ij) O_j / Σ_k P_k f(c_kj)` with the
//! same decay in both steps (the paper's section on 2SFCA as a singly-constrained measure; a
//! test checks it against [`access::two_step_fca`]): the per-resident value is the 2SFCA/APL
//! one, and spatial availability gives its absolute counterpart, opportunities (here GPs)
//! that add up. Consequence worth knowing: adding supply at a new site never lowers any
//! location's value (the existing sites' shares do not depend on other sites); losses come
//! only from supply that leaves (closures, retirements, GPs moving to the new site).
//!
//! Conventions, as in [`access`]: only admitted pairs count (`cost <= max_cost`); a demand
//! location with no admitted pair has no value (`None`); a site whose weighted demand
//! `Σ_k P_k^α f(c_kj)` is 0 (nobody with residents and a positive weight reaches it) shares
//! nothing out, and its supply is reported as unallocated. A location without population gets
//! nothing (its weight is 0 even with `α = 0`, where `0^0` would be 1).

use super::access::{AccessError, Catchment, CostTable, check_values};

/// The spatial availability of every demand location and what was shared out.
#[derive(Debug, Clone, PartialEq)]
pub struct SpatialAvailability {
    /// `V_i`, in units of supply (e.g. GPs), per demand location (the cost table's rows);
    /// `None` for a location with no admitted pair.
    pub values: Vec<Option<f64>>,
    /// Supply shared out: `Σ_i V_i`, the supply of the sites some population reaches.
    pub allocated: f64,
    /// Supply of the sites nobody with residents reaches (within the catchment, at a positive
    /// weight): in no location's value.
    pub unallocated: f64,
}

/// Checks the population exponent `α` (finite, ≥ 0).
pub fn check_alpha(alpha: f64) -> Result<(), AccessError> {
    if alpha.is_finite() && alpha >= 0.0 {
        Ok(())
    } else {
        Err(AccessError::Negative { what: "spatial availability alpha", value: alpha })
    }
}

/// `P^α` for a population `p`, 0 for an empty place whatever `α`.
fn mass(p: f64, alpha: f64) -> f64 {
    if p > 0.0 { p.powf(alpha) } else { 0.0 }
}

/// Spatial availability (Soukhov et al. 2023, see the module documentation) of each demand
/// location: `demand[i]` is the population of row `i`, `supply[j]` the supply of column `j`.
pub fn spatial_availability(
    demand: &[f64],
    supply: &[f64],
    costs: &CostTable,
    catchment: &Catchment,
    alpha: f64,
) -> Result<SpatialAvailability, AccessError> {
    check_values("demand", demand, costs.n_demand())?;
    check_values("supply", supply, costs.n_supply())?;
    check_alpha(alpha)?;
    let masses: Vec<f64> = demand.iter().map(|&p| mass(p, alpha)).collect();
    // Σ_k P_k^α f(c_kj) per site: the denominator of F^t.
    let mut weighted = vec![0.0; costs.n_supply()];
    for (i, j, c) in costs.pairs() {
        if catchment.admits(c) {
            weighted[j] += masses[i] * catchment.decay.weight(c);
        }
    }
    let share: Vec<Option<f64>> = supply.iter().zip(&weighted).map(|(&o, &w)| (w > 0.0).then(|| o / w)).collect();
    let values: Vec<Option<f64>> = (0..costs.n_demand())
        .map(|i| {
            let mut reached = false;
            let mut v = 0.0;
            for (j, c) in costs.row(i) {
                if catchment.admits(c) {
                    reached = true;
                    if let Some(s) = share[j] {
                        v += s * masses[i] * catchment.decay.weight(c);
                    }
                }
            }
            reached.then_some(v)
        })
        .collect();
    // Folded from +0.0: `sum` of no f64 is -0.0, which would print as "-0".
    let allocated = supply.iter().zip(&share).filter(|(_, s)| s.is_some()).fold(0.0, |t, (o, _)| t + o);
    let unallocated = supply.iter().zip(&share).filter(|(_, s)| s.is_none()).fold(0.0, |t, (o, _)| t + o);
    Ok(SpatialAvailability { values, allocated, unallocated })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::access::{self, Decay};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    /// Three villages (100, 200, 300 inhabitants), two practices (10 and 20 GPs); weight 1 up
    /// to 10 min, 1/2 up to 20, 0 beyond; pairs admitted up to 30 min.
    fn three_by_two() -> (Vec<f64>, Vec<f64>, CostTable, Catchment) {
        let costs = CostTable::from_pairs(
            3,
            2,
            // (village, practice, minutes): village 2 reaches practice 0 at 25 min (admitted,
            // weight 0), village 0 does not reach practice 1 at all.
            [(0, 0, 5.0), (1, 0, 15.0), (1, 1, 5.0), (2, 1, 15.0), (2, 0, 25.0)],
        )
        .unwrap();
        let catchment = Catchment { max_cost: Some(30.0), decay: Decay::steps(vec![(10.0, 1.0), (20.0, 0.5)]).unwrap() };
        (vec![100.0, 200.0, 300.0], vec![10.0, 20.0], costs, catchment)
    }

    #[test]
    fn three_villages_two_practices_by_hand() {
        let (p, o, costs, c) = three_by_two();
        let v = spatial_availability(&p, &o, &costs, &c, 1.0).unwrap();
        // Practice 0: Σ P f = 100·1 + 200·0.5 + 300·0 = 200, so village 0 gets 10·100/200 = 5
        // and village 1 10·100/200 = 5.
        // Practice 1: Σ P f = 200·1 + 300·0.5 = 350, so village 1 gets 20·200/350 = 80/7 and
        // village 2 20·150/350 = 60/7.
        // V = [5, 5 + 80/7 = 115/7, 60/7]; Σ = 5 + 175/7 = 30 = 10 + 20.
        let expected = [5.0, 115.0 / 7.0, 60.0 / 7.0];
        for (got, want) in v.values.iter().zip(expected) {
            assert!(close(got.unwrap(), want), "{got:?} vs {want}");
        }
        assert_eq!((v.allocated, v.unallocated), (30.0, 0.0));

        // α = 2: masses 1e4, 4e4, 9e4. Practice 0: 1e4·1 + 4e4·0.5 = 3e4 → 10/3 and 20/3.
        // Practice 1: 4e4·1 + 9e4·0.5 = 8.5e4 → 20·4/8.5 = 160/17 and 20·4.5/8.5 = 180/17.
        let v2 = spatial_availability(&p, &o, &costs, &c, 2.0).unwrap();
        let expected = [10.0 / 3.0, 20.0 / 3.0 + 160.0 / 17.0, 180.0 / 17.0];
        for (got, want) in v2.values.iter().zip(expected) {
            assert!(close(got.unwrap(), want), "{got:?} vs {want}");
        }
    }

    #[test]
    fn the_papers_example_as_the_r_package_computes_it() {
        // Soukhov et al. (2023), Shen's example as in the R package `accessibility`'s tests
        // (test-spatial_availability.R): origins A, B, C (50,000, 150,000, 10,000 people),
        // job centres 1, 2, 3 (100,000, 100,000, 10,000 jobs), f = exp(-0.1 t); the package
        // gives, rounded, 66,833, 133,203 and 9,963 jobs.
        let t = [[15.0, 30.0, 100.0], [30.0, 15.0, 100.0], [100.0, 100.0, 15.0]];
        let pairs = (0..3).flat_map(|i| (0..3).map(move |j| (i, j, t[i][j])));
        let costs = CostTable::from_pairs(3, 3, pairs).unwrap();
        let c = Catchment { max_cost: None, decay: Decay::exponential(0.1).unwrap() };
        let v = spatial_availability(&[50_000.0, 150_000.0, 10_000.0], &[100_000.0, 100_000.0, 10_000.0], &costs, &c, 1.0).unwrap();
        let rounded: Vec<f64> = v.values.iter().map(|x| x.unwrap().round()).collect();
        assert_eq!(rounded, vec![66_833.0, 133_203.0, 9_963.0]);
        assert!(close(v.values.iter().flatten().sum::<f64>(), 210_000.0));
    }

    #[test]
    fn unreachable_locations_have_no_value_and_unreached_supply_is_unallocated() {
        // Village 2 reaches nothing; practice 1 is reached only by village 1, which is empty.
        let costs = CostTable::from_pairs(3, 2, [(0, 0, 5.0), (1, 1, 5.0)]).unwrap();
        let c = Catchment { max_cost: Some(30.0), decay: Decay::Uniform };
        let v = spatial_availability(&[10.0, 0.0, 10.0], &[4.0, 6.0], &costs, &c, 1.0).unwrap();
        assert_eq!(v.values, vec![Some(4.0), Some(0.0), None]);
        assert_eq!((v.allocated, v.unallocated), (4.0, 6.0));
        // Nothing unallocated is +0, not the -0 an empty f64 sum gives (it would print "-0").
        let all = spatial_availability(&[10.0, 0.0, 10.0], &[4.0, 0.0], &CostTable::from_pairs(3, 2, [(0, 0, 5.0), (0, 1, 5.0)]).unwrap(), &c, 1.0).unwrap();
        assert!(all.unallocated == 0.0 && all.unallocated.is_sign_positive());
        // α = 0 still gives an empty village nothing.
        let v0 = spatial_availability(&[10.0, 0.0, 10.0], &[4.0, 6.0], &costs, &c, 0.0).unwrap();
        assert_eq!(v0.values, vec![Some(4.0), Some(0.0), None]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (p, o, costs, c) = three_by_two();
        assert!(spatial_availability(&p, &o, &costs, &c, -1.0).is_err());
        assert!(spatial_availability(&p, &o, &costs, &c, f64::NAN).is_err());
        assert!(spatial_availability(&p[..2], &o, &costs, &c, 1.0).is_err());
        assert!(spatial_availability(&p, &[1.0, -1.0], &costs, &c, 1.0).is_err());
    }

    /// A random instance: up to 40 demand and 12 supply locations, random pairs and costs.
    fn random_instance(rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<f64>, CostTable) {
        let (n, m) = (rng.random_range(1..40), rng.random_range(1..12));
        // Some places empty, some sites without supply.
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
        (demand, supply, CostTable::from_pairs(n, m, pairs).unwrap())
    }

    #[test]
    fn values_add_up_to_the_supply_within_reach_on_random_instances() {
        let mut rng = ChaCha8Rng::seed_from_u64(15);
        let decays = [
            Decay::Uniform,
            Decay::steps(vec![(10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0)]).unwrap(),
            Decay::gravity(1.0, -1.0, 5.0).unwrap(),
            Decay::exponential(0.1).unwrap(),
        ];
        for round in 0..400 {
            let (demand, supply, costs) = random_instance(&mut rng);
            let catchment = Catchment { max_cost: Some(30.0), decay: decays[round % decays.len()].clone() };
            let alpha = [1.0, 0.5, 2.0][round % 3];
            let v = spatial_availability(&demand, &supply, &costs, &catchment, alpha).unwrap();
            // The supply within reach, found independently of the function: a site counts when
            // some populated location reaches it at a positive weight.
            let reached: f64 = (0..supply.len())
                .filter(|&j| {
                    costs.pairs().any(|(i, s, c)| s == j && demand[i] > 0.0 && c <= 30.0 && catchment.decay.weight(c) > 0.0)
                })
                .map(|j| supply[j])
                .sum();
            let total: f64 = v.values.iter().flatten().sum();
            assert!((total - reached).abs() <= 1e-9 * reached.max(1.0), "round {round}: Σ V = {total}, supply within reach {reached}");
            assert!((v.allocated - reached).abs() <= 1e-9 * reached.max(1.0));
            assert!((v.allocated + v.unallocated - supply.iter().sum::<f64>()).abs() <= 1e-9 * reached.max(1.0));
            assert!(v.values.iter().flatten().all(|x| *x >= 0.0));
        }
    }

    #[test]
    fn per_resident_it_is_the_two_step_fca() {
        // Σ_j O_j P_i f_ij / Σ_k P_k f_kj over P_i is Σ_j f_ij R_j: 2SFCA with the decay in
        // both steps, computed by another function.
        let mut rng = ChaCha8Rng::seed_from_u64(2023);
        let catchment = Catchment { max_cost: Some(30.0), decay: Decay::steps(vec![(10.0, 1.0), (20.0, 0.5), (30.0, 0.2)]).unwrap() };
        for _ in 0..100 {
            let (demand, supply, costs) = random_instance(&mut rng);
            let v = spatial_availability(&demand, &supply, &costs, &catchment, 1.0).unwrap();
            let a = access::two_step_fca(&demand, &supply, &costs, &catchment).unwrap();
            for i in 0..demand.len() {
                match (v.values[i], a[i]) {
                    (Some(v), Some(a)) if demand[i] > 0.0 => assert!(close(v / demand[i], a), "{i}: {} vs {a}", v / demand[i]),
                    (Some(v), Some(_)) => assert_eq!(v, 0.0),
                    (None, None) => {}
                    other => panic!("{i}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn adding_a_site_never_lowers_anyones_availability() {
        // The shares of the existing sites do not depend on other sites (see the module
        // documentation): a new site only adds. Checked on random instances with one more
        // site reached by random locations.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let catchment = Catchment { max_cost: Some(30.0), decay: Decay::gravity(1.0, -1.0, 5.0).unwrap() };
        for _ in 0..100 {
            let (demand, supply, costs) = random_instance(&mut rng);
            let before = spatial_availability(&demand, &supply, &costs, &catchment, 1.0).unwrap();
            let new_site = costs.n_supply();
            let mut pairs: Vec<(usize, usize, f64)> = costs.pairs().collect();
            for i in 0..demand.len() {
                if rng.random_bool(0.5) {
                    pairs.push((i, new_site, rng.random_range(0.0..30.0)));
                }
            }
            let after_costs = CostTable::from_pairs(demand.len(), new_site + 1, pairs).unwrap();
            let mut after_supply = supply.clone();
            after_supply.push(5.0);
            let after = spatial_availability(&demand, &after_supply, &after_costs, &catchment, 1.0).unwrap();
            for (b, a) in before.values.iter().zip(&after.values) {
                assert!(a.unwrap_or(0.0) >= b.unwrap_or(0.0) - 1e-9);
            }
            let gained: f64 = after.values.iter().flatten().sum::<f64>() - before.values.iter().flatten().sum::<f64>();
            assert!((gained - (after.allocated - before.allocated)).abs() < 1e-9);
        }
    }
}
