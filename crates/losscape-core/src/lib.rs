//! The vocabulary shared by every losscape crate.
//!
//! A [`Landscape`] is anything with an energy, an analytic gradient and an analytic Hessian over a
//! flat coordinate vector, together with the symmetry alignment that decides when two points are
//! "the same" structure. Every algorithm (minimisers, basin-hopping, elastic bands,
//! eigenvector-following, analysis) is written against this trait, never against the neural
//! network, so that it can be tested on the small analytic surfaces in [`surfaces`] whose
//! stationary points are known exactly.
//!
//! This crate must stay light: no linear-algebra, database, I/O or plugin dependencies.

#![forbid(unsafe_code)]

pub mod fd;
mod identity;
mod landscape;
mod minimiser;
pub mod param;
pub mod seed;
pub mod surfaces;
pub mod vec;

pub use identity::{Identity, PointSet};
pub use landscape::{Landscape, Restricted};
pub use minimiser::{Convergence, MinimiseError, Minimiser, QuenchOutcome};
pub use param::ParamError;
