//! The parts of the `medatlas` binary that are not its dispatcher: argument definitions and
//! what the commands print. Binary-only: the library knows no clap (tests/architecture.rs).

pub mod args;
pub mod projection;
pub mod report;
pub mod serve;
pub mod static_site;
pub mod suggest;
