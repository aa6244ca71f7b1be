//! The joined, immutable data model: communes, départements, sites and their health data.

pub mod model;
pub mod registry;

pub use model::*;
pub use registry::{CodeMatch, CommuneRegistry, PostalMatch};
