//! Pure computations over an atlas: densities, retirement projection, access indicators
//! (2SFCA / E2SFCA / gravity / DREES APL), travel times. No I/O here: readers live in
//! `ingest`, handlers in `server`, and both call these functions.

pub mod classify;
pub mod compare;
pub mod density;
pub mod retirement;

/// Access values per commune, in atlas commune order, with the weight DREES aggregates them by.
#[derive(Debug, Clone)]
pub struct CommuneAccess {
    /// APL (consultations per year per standardised inhabitant); `None` where it is undefined,
    /// with the reason at the same index in `missing`.
    pub apl: Vec<Option<f64>>,
    /// Why `apl[i]` is `None` ("no population", ...); `None` where a value exists.
    pub missing: Vec<Option<&'static str>>,
    /// Standardised population of each commune: DREES weights communal APL by it when
    /// aggregating (equal to the population when no age pyramid is given).
    pub weight: Vec<f64>,
    /// How travel times were obtained and with which parameters, for metadata.
    pub travel: String,
    /// Which GPs make the supply and the activity each counts (e.g. "GPs in the DREES field…,
    /// each at 5400 consultations/year per GP (…)"), for metadata.
    pub supply: String,
}

pub mod access;
pub mod availability;
pub mod bfca;
pub mod equity;
pub mod apl;
pub mod travel;
pub mod road_estimate;
pub mod methods;
pub mod nearest;
pub mod siting;
pub mod scenario;
pub mod projection;
pub mod panorama;
pub mod perimeter;
pub mod gp_check;
