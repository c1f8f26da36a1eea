//! Experiments: the typed TOML configuration tree and the runner that turns it into a database.
//!
//! Data flows one way: config -> landscapes -> searches -> database. The runner is the only
//! place that knows about threads, progress reporting and storage; the algorithms it calls stay
//! pure. Every stage reads what earlier stages committed, so a run can stop and resume, and work
//! from parallel threads is committed in a fixed order so the same seed gives the same database
//! whatever the thread count.

mod attempts;
mod census;
pub mod closure;
pub mod config;
pub mod dataset;
mod error;
pub mod experiment;
pub mod memory;
pub mod points;
pub mod resume;
pub mod runner;
pub mod shards;
/// The stage driver of `connect` and `survey`: runs the searches of `losscape-ts` and stores
/// what they find (not the connect algorithm, which is `losscape_ts::connect`).
mod store_connect;
pub mod summary;

pub use census::{CensusParams, SaturateParams};
pub use config::{Config, LandscapePoint, Stage};
pub use error::{ConfigError, RunError};
pub use experiment::Experiment;
pub use memory::{MAX_THREADS, MemoryEstimate};
pub use runner::{Event, Observer, RunOptions, run};
pub use summary::{LandscapeSummary, summarise};
