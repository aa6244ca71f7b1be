//! medatlas: French communes and départements joined with GP counts, zoning, MSP sites and
//! departmental policies, indexed in R-trees, for density maps and planning.

pub mod analysis;
pub mod atlas;
pub mod error;
pub mod index;
pub mod ingest;
pub mod server;
pub mod tiles;

pub use error::{Error, Result};
