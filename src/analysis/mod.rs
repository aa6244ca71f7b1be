//! Pure computations over an atlas (densities, access indicators, nearest sites, scenarios,
//! siting). No I/O here. Populated by the analytics issues; the atlas already exposes the
//! per-commune `gp_per_10k` used by the API.
