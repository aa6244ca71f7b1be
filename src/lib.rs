//! medatlas: French communes and départements joined with GP counts, zoning, MSP sites and
//! departmental policies, indexed in R-trees, for density maps and planning.

pub mod atlas;
pub mod error;
pub mod ingest;

pub use error::{Error, Result};
