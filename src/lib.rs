//! medatlas: French communes and départements joined with GP counts, zoning, MSP sites and
//! departmental policies, indexed in R-trees, for density maps and planning.

// GDAL links the system SQLite (its GeoPackage driver uses it); the `mbtiles` feature compiles
// its own SQLite into the binary. Together the two clash and GDAL crashes (seen: SIGSEGV in the
// GeoPackage tests), so the features are exclusive.
#[cfg(all(feature = "gdal", feature = "mbtiles"))]
compile_error!("the cargo features `gdal` and `mbtiles` cannot be combined (two SQLite libraries in one binary); build them separately");

pub mod analysis;
pub mod atlas;
pub mod error;
pub mod index;
pub mod ingest;
pub mod model;
pub mod routing;
pub mod server;
pub mod tiles;

pub use error::{Error, Result};
