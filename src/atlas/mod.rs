//! The joined, immutable data model: communes, départements, sites and their health data.
//!
//! `ingest` readers produce records; [`AtlasBuilder`] joins them onto a geography and
//! [`AtlasBuilder::finish`] dissolves départements and builds the indexes.

pub mod build;
pub mod load;
pub mod model;
pub mod registry;
pub mod search;
pub mod store;

pub use build::AtlasBuilder;
pub use load::LoadConfig;
pub use model::*;
pub use registry::{CodeMatch, CommuneRegistry, PostalMatch};
pub use search::{CommuneSearch, Hit, MatchKind};
pub use store::{Atlas, AtlasMeta, CommuneCodeError, CommuneView, SourceInfo};
