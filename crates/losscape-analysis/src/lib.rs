//! Analysis of a mapped loss landscape: from stored minima and transition states to what a
//! researcher reads.
//!
//! The inputs are plain values ([`MinimumInfo`], [`TsInfo`]) that the experiment runner fills
//! from database rows; this crate never touches the database itself. It provides
//!
//! - [`disconnectivity`]: the tree of basins (Becker & Karplus 1997) and its SVG picture;
//! - [`census`]: the Morse completeness check (critical points per Hessian index, counted
//!   modulo symmetry, and their alternating sum);
//! - [`counts`]: per-landscape count tables (Markdown/CSV) and count-versus-parameter plots;
//! - [`plot`]: line plots as SVG with every tick labelled (linear, log and integer axes);
//! - [`pathsample`]: PATHSAMPLE's `min.data`/`ts.data`/`points.*` files (formatted in memory,
//!   `min.A`/`min.B`, the id map) and their reader;
//! - [`paths`]: the path between two minima whose highest transition state is lowest;
//! - [`sensitivity`]: training accuracy of every point under Gaussian input noise;
//! - [`embedding`]: padding stationary points of an `n_h` network with a zero hidden unit and
//!   checking the predicted change of Hessian index in the `n_h + 1` network;
//! - [`table`]: Markdown/CSV tables and the JSON/CSV records of the read commands.
//!
//! Everything here is a pure function of its inputs (no global state, no printing); only
//! [`pathsample`] reads files (writing them is the caller's), and only where asked to. This
//! crate must not depend on the database, the search algorithms or the experiment runner.

#![forbid(unsafe_code)]

pub mod census;
pub mod counts;
pub mod disconnectivity;
pub mod embedding;
mod escape;
pub mod paths;
pub mod pathsample;
pub mod plot;
mod points;
pub mod sensitivity;
mod svg;
pub mod table;
mod union_find;

pub use escape::escape_xml;
pub use points::{FULL_ACCURACY, MinimumInfo, PointKind, TsInfo, classifies_all};
pub use table::{Records, Table};
