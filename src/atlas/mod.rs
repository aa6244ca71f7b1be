//! The joined, immutable data model: communes, départements, sites and their health data.
//!
//! `ingest` readers produce records; [`AtlasBuilder`] joins them onto a geography and
//! [`AtlasBuilder::finish`] dissolves départements and builds the indexes.

pub mod build;
pub mod config_file;
pub mod epci;
pub mod load;
pub mod search;
pub mod spatial;
pub mod store;

pub use epci::EpciArea;
pub use build::{AtlasBuilder, NEAR_RETIREMENT_SHARE_PROVIDES, NearRetirementShares};
pub use load::{LoadConfig, SOURCES, SourceSpec, UserFile};
pub use search::{CommuneSearch, Hit, MatchKind};
pub use spatial::SpatialIndex;
pub use store::{Atlas, AtlasMeta, CommuneCodeError, CommuneView, SourceInfo};
