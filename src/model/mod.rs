//! The vocabulary every layer shares: communes, départements, sites and their health values
//! ([`entities`]), how sources name a commune and how those names resolve ([`registry`]), and
//! the import report that accounts for every row a reader saw ([`report`]).
//!
//! This layer is the bottom of the crate: it imports nothing of medatlas (checked by
//! `tests/architecture.rs`).

pub mod entities;
pub mod practice;
pub mod registry;
pub mod report;
pub mod road_estimate;
pub mod travel;

pub use entities::*;
pub use registry::{CodeMatch, CommuneRegistry, PostalMatch};
pub use report::{ImportReport, Imported, RejectReason};
pub use road_estimate::RoadEstimate;
pub use travel::{TimeMatrix, TravelInfo, TravelTimes};
