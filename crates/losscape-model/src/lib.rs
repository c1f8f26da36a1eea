//! The neural-network model of docs/model.md: labelled data sets, the single-hidden-layer
//! tanh/softmax perceptron as a [`losscape_core::Landscape`] (energy, analytic gradient and
//! Hessian, symmetry alignment), and the embedding of a network into a wider one.
//!
//! Depends only on `losscape-core`: no linear-algebra library (the few small eigenvalue
//! problems here use a Jacobi routine), no database, no I/O beyond reading a data file.

#![forbid(unsafe_code)]

mod align;
mod data;
mod embed;
mod layout;
mod perceptron;
mod stabiliser;
#[cfg(test)]
mod tests;

pub use data::{DataError, Dataset, MAX_CLASSES, MAX_FEATURES, MAX_SYMMETRY_INPUTS, Problem};
pub use layout::Layout;
pub use perceptron::{MAX_PARAMETERS, ModelError, Perceptron, STACK_HIDDEN, STACK_OUTPUTS};
