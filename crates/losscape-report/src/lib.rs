//! From a losscape database to what a researcher reads: the inputs of every analysis read from
//! the stored landscapes, PATHSAMPLE export and verified import, and the reproduction report
//! (`index.html`, CSV tables, figures as SVG and PNG, provenance) whose findings are judged from the data.
//!
//! The `losscape` binary only parses arguments and calls into this crate. Algorithms stay in
//! losscape-analysis and losscape-attraction; this crate connects them to losscape-db and writes
//! files only where a function says so ([`exchange`], [`report`]).

#![forbid(unsafe_code)]

pub mod analyses;
pub mod data;
mod error;
pub mod exchange;
pub mod findings;
pub mod html;
pub mod output;
pub mod raster;
pub mod report;

pub use error::ReportError;
