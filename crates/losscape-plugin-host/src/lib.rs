//! Loads optimiser plugins at run time and runs them as [`losscape_core::Minimiser`]s.
//!
//! A plugin is a shared library built against `losscape-plugin-api` (see that crate for the C
//! ABI). [`PluginMinimiser::load`] finds the library from a [`PluginSpec`], checks the ABI
//! version and table size before using anything else in it, validates the plugin's TOML
//! sub-table once (so a misspelt key fails before a long run starts), and keeps the library
//! loaded for as long as the minimiser lives.
//!
//! Every minimisation passes the landscape to the plugin through a callback trampoline that
//! catches panics of the landscape, refuses non-finite coordinates, energies and gradients, and
//! enforces an evaluation budget, so a misbehaving plugin ends in a [`PluginError`] (or a
//! [`losscape_core::MinimiseError::External`]) rather than a crash or a hang. What the host
//! cannot defend against is a plugin that breaks the ABI's memory contract (writes out of
//! bounds, lets a panic or foreign exception unwind through the boundary): loading a plugin
//! means trusting its code like any other linked code.
//!
//! This crate depends on losscape-core, losscape-plugin-api and libloading only; it must not
//! depend on any search algorithm or on a concrete landscape.

mod error;
mod minimiser;
mod spec;
mod trampoline;

pub use error::PluginError;
pub use minimiser::{
    EVALUATION_BUDGET_FACTOR, EVALUATION_BUDGET_MARGIN, PluginMinimiser, REPORT_ENERGY_TOLERANCE,
};
pub use spec::{PluginSource, PluginSpec, library_file_names};
