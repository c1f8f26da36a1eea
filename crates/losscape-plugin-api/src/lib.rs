//! The contract between losscape and optimiser plugins loaded at run time.
//!
//! A plugin is a `cdylib` that exports one `extern "C"` function, [`ENTRY_SYMBOL`], returning a
//! pointer to a static [`PluginTable`]. The table starts with a [`TableHeader`] (ABI version and
//! table size) whose layout never changes, so a host can refuse an incompatible plugin before it
//! touches anything else in the table. The rest of the table names the plugin and points at two
//! functions: [`CheckConfigFn`] (validate the plugin's TOML sub-table, called at load time) and
//! [`MinimiseFn`] (minimise in place in a host-owned coordinate buffer, evaluating energy and
//! gradient through a host callback, [`EvalFn`]).
//!
//! Rules of the boundary:
//! - No allocation crosses it. Strings are `(pointer, length)` UTF-8 views; the plugin writes
//!   error messages into a host-owned [`MessageBuffer`], truncated at a character boundary.
//! - No panic crosses it. Every exported plugin function catches panics and returns
//!   [`status::PANIC`]; the host's callback catches panics of the landscape and returns an error
//!   status to the plugin, which must then stop.
//! - Plugin functions must be re-entrant (no global mutable state): the host may run several
//!   minimisations at once from different threads.
//! - The evaluation callback belongs to one call of `minimise`: call it only from the thread
//!   that called `minimise` (never from worker threads the plugin starts), one call at a time,
//!   and never after `minimise` returns (do not keep `eval` or `eval_ctx`). The host turns
//!   `eval_ctx` into an exclusive reference to its per-call state, which lives on its stack
//!   until `minimise` returns. The host refuses a call from another thread with
//!   [`status::INVALID_ARGUMENT`] and fails the minimisation; a call after `minimise` returned
//!   reads freed memory and cannot be detected.
//!
//! Plugin authors do not write any of the `unsafe` glue: they write one plain Rust function with
//! the [`MinimiseImpl`] signature and one config checker, and invoke [`export_plugin!`].
//!
//! This crate must have no dependencies besides `std`, so that the ABI cannot drift with a
//! third-party release and plugins stay small.

use std::ffi::c_void;

#[doc(hidden)]
pub mod __export;
mod author;

pub use author::{
    CheckConfigImpl, EvalError, Evaluate, MinimiseImpl, PluginError, Report, Stop, rms,
    truncate_utf8,
};

/// Version of the ABI described by this crate. A host refuses tables with any other version.
///
/// Bump it on any change to the layout or meaning of [`PluginTable`], [`MinimiseFn`],
/// [`CheckConfigFn`], [`EvalFn`] or the structs they take.
pub const ABI_VERSION: u32 = 1;

/// Name of the symbol every plugin exports: an [`EntryFn`].
pub const ENTRY_SYMBOL: &str = "losscape_plugin_entry";

/// Type of the exported entry function. It must do nothing but return a pointer to a table that
/// lives as long as the library stays loaded.
pub type EntryFn = unsafe extern "C" fn() -> *const PluginTable;

/// Status codes returned by plugin functions and by the host's evaluation callback.
///
/// They are plain `i32` constants rather than a Rust `enum` because a value received across the
/// boundary may be anything; use [`status::name`] to print one.
pub mod status {
    /// Success.
    pub const OK: i32 = 0;
    /// The plugin's configuration was rejected (unknown key, bad value, not UTF-8).
    pub const BAD_CONFIG: i32 = 1;
    /// The host's evaluation callback reported a failure; the plugin stopped.
    pub const CALLBACK_FAILED: i32 = 2;
    /// A NaN or infinite value appeared (energy, gradient or coordinates).
    pub const NON_FINITE: i32 = 3;
    /// Code panicked; the panic was caught at the boundary.
    pub const PANIC: i32 = 4;
    /// A pointer, length or dimension passed across the boundary was invalid.
    pub const INVALID_ARGUMENT: i32 = 5;
    /// The plugin failed for a reason of its own; the message says which.
    pub const FAILED: i32 = 6;
    /// Callback only: the host's evaluation budget for this minimisation is used up.
    pub const BUDGET_EXCEEDED: i32 = 7;

    /// A short name for a status code, for messages.
    pub fn name(code: i32) -> &'static str {
        match code {
            OK => "ok",
            BAD_CONFIG => "bad config",
            CALLBACK_FAILED => "callback failed",
            NON_FINITE => "non-finite value",
            PANIC => "panic",
            INVALID_ARGUMENT => "invalid argument",
            FAILED => "failed",
            BUDGET_EXCEEDED => "evaluation budget exceeded",
            _ => "unknown status",
        }
    }
}

/// The prefix of every [`PluginTable`], whatever its ABI version. Its layout is frozen: a host
/// reads only this before deciding whether it understands the rest.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableHeader {
    /// The plugin's [`ABI_VERSION`].
    pub abi_version: u32,
    /// `size_of::<PluginTable>()` as the plugin was compiled.
    pub table_size: u32,
}

/// The table a plugin's entry function returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginTable {
    /// Version and size; must come first.
    pub header: TableHeader,
    /// The plugin's name (UTF-8, not NUL-terminated), e.g. `fire`.
    pub name_ptr: *const u8,
    /// Length of the name in bytes.
    pub name_len: usize,
    /// Validates a configuration without running anything.
    pub check_config: CheckConfigFn,
    /// Runs one minimisation.
    pub minimise: MinimiseFn,
}

// SAFETY: a table is immutable once built, and its only pointer (`name_ptr`) refers to immutable
// bytes (a `&'static str` when built by `PluginTable::new`), so sharing it between threads cannot
// race. This is what lets the export macro put the table in a `static`.
unsafe impl Sync for PluginTable {}
// SAFETY: as for `Sync`; nothing in the table is tied to the thread that created it.
unsafe impl Send for PluginTable {}

impl PluginTable {
    /// A table for the current ABI naming the given functions.
    pub const fn new(
        name: &'static str,
        check_config: CheckConfigFn,
        minimise: MinimiseFn,
    ) -> Self {
        Self {
            header: TableHeader {
                abi_version: ABI_VERSION,
                table_size: std::mem::size_of::<PluginTable>() as u32,
            },
            name_ptr: name.as_ptr(),
            name_len: name.len(),
            check_config,
            minimise,
        }
    }
}

/// Energy and gradient evaluation offered by the host.
///
/// Arguments: the opaque context the host passed to [`MinimiseFn`]; `n` coordinates at `x`
/// (read only); `n` writable slots at `grad` for the gradient (must not overlap `x`); where to
/// write the energy. Returns [`status::OK`] or an error status, after which the plugin must stop
/// and return [`status::CALLBACK_FAILED`] (the host then reports its own, more precise reason).
/// Once the callback has failed it keeps failing for the rest of the minimisation.
///
/// Call it only on the thread that called [`MinimiseFn`], one call at a time, and only until
/// that call returns: `ctx` is the host's exclusively borrowed per-call state. A call from
/// another thread returns [`status::INVALID_ARGUMENT`] and the host fails the minimisation.
pub type EvalFn = unsafe extern "C" fn(
    ctx: *mut c_void,
    x: *const f64,
    grad: *mut f64,
    n: usize,
    energy: *mut f64,
) -> i32;

/// When to stop, as passed to [`MinimiseFn`].
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StopCriteria {
    /// Converged once the RMS gradient `|g| / sqrt(n)` is at or below this.
    pub rms_gradient: f64,
    /// Give up (reporting `converged = 0`) after this many iterations.
    pub max_iterations: u64,
}

/// What a successful [`MinimiseFn`] writes for the host. The coordinates are in the host's
/// buffer.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RawReport {
    /// Energy at the final coordinates.
    pub energy: f64,
    /// RMS gradient `|g| / sqrt(n)` at the final coordinates.
    pub rms_gradient: f64,
    /// Iterations taken.
    pub iterations: u64,
    /// Callback invocations made.
    pub evaluations: u64,
    /// 1 if the RMS gradient criterion was met, 0 if the iteration budget ran out first.
    /// Not converging is not an error status.
    pub converged: u32,
}

/// A host-owned byte buffer a plugin writes a UTF-8 error message into.
///
/// The plugin writes at most `capacity` bytes at `ptr`, always ending on a character boundary,
/// and sets `len` to the number written.
#[repr(C)]
#[derive(Debug)]
pub struct MessageBuffer {
    /// Start of the buffer (may be null when `capacity` is 0).
    pub ptr: *mut u8,
    /// Size of the buffer in bytes.
    pub capacity: usize,
    /// Bytes written by the plugin; the host sets it to 0 before the call.
    pub len: usize,
}

/// Validates a configuration: `(config_ptr, config_len)` is the plugin's TOML sub-table as UTF-8
/// (possibly empty). Returns [`status::OK`] or [`status::BAD_CONFIG`] with a message naming the
/// offending key and the allowed ones.
pub type CheckConfigFn = unsafe extern "C" fn(
    config_ptr: *const u8,
    config_len: usize,
    message: *mut MessageBuffer,
) -> i32;

/// Minimises in place.
///
/// - `(config_ptr, config_len)`: the plugin's TOML sub-table as UTF-8 (possibly empty).
/// - `(x, n)`: the host-owned coordinates, read as the start and overwritten with the result.
/// - `(eval, eval_ctx)`: the evaluation callback and the context to pass it.
/// - `stop`: convergence criteria.
/// - `report`: written on [`status::OK`].
/// - `message`: receives a UTF-8 message on any other status.
pub type MinimiseFn = unsafe extern "C" fn(
    config_ptr: *const u8,
    config_len: usize,
    x: *mut f64,
    n: usize,
    eval: EvalFn,
    eval_ctx: *mut c_void,
    stop: StopCriteria,
    report: *mut RawReport,
    message: *mut MessageBuffer,
) -> i32;

/// Exports a plugin: generates the panic-safe `extern "C"` functions, the static
/// [`PluginTable`] and the [`ENTRY_SYMBOL`] entry function.
///
/// ```
/// use losscape_plugin_api::{Evaluate, PluginError, Report, Stop, rms};
///
/// fn check(config: &str) -> Result<(), PluginError> {
///     match config.trim() {
///         "" => Ok(()),
///         other => Err(PluginError::BadConfig(format!("unknown key `{other}`; allowed: none"))),
///     }
/// }
///
/// /// Fixed-step gradient descent.
/// fn minimise(
///     config: &str,
///     x: &mut [f64],
///     eval: &mut Evaluate<'_>,
///     stop: Stop,
/// ) -> Result<Report, PluginError> {
///     check(config)?;
///     let mut g = vec![0.0; x.len()];
///     let mut energy = eval(x, &mut g)?;
///     let mut iterations = 0;
///     while rms(&g) > stop.rms_gradient && iterations < stop.max_iterations {
///         x.iter_mut().zip(&g).for_each(|(xi, gi)| *xi -= 0.01 * gi);
///         energy = eval(x, &mut g)?;
///         iterations += 1;
///     }
///     let rms_gradient = rms(&g);
///     Ok(Report { energy, rms_gradient, iterations, converged: rms_gradient <= stop.rms_gradient })
/// }
///
/// losscape_plugin_api::export_plugin!(name = "descent", check_config = check, minimise = minimise);
/// ```
///
/// Invoke it once per library. Panics in either function are caught and reported to the host as
/// [`status::PANIC`] with the panic message; errors become their status and message.
#[macro_export]
macro_rules! export_plugin {
    (name = $name:expr, check_config = $check:path, minimise = $minimise:path $(,)?) => {
        const _: () = {
            unsafe extern "C" fn __losscape_check_config(
                config_ptr: *const u8,
                config_len: usize,
                message: *mut $crate::MessageBuffer,
            ) -> i32 {
                // SAFETY: the host calls this with the arguments `CheckConfigFn` documents,
                // which is exactly what `run_check_config` requires.
                unsafe {
                    $crate::__export::run_check_config($check, config_ptr, config_len, message)
                }
            }

            #[allow(clippy::too_many_arguments)]
            unsafe extern "C" fn __losscape_minimise(
                config_ptr: *const u8,
                config_len: usize,
                x: *mut f64,
                n: usize,
                eval: $crate::EvalFn,
                eval_ctx: *mut ::core::ffi::c_void,
                stop: $crate::StopCriteria,
                report: *mut $crate::RawReport,
                message: *mut $crate::MessageBuffer,
            ) -> i32 {
                // SAFETY: the host calls this with the arguments `MinimiseFn` documents, which
                // is exactly what `run_minimise` requires.
                unsafe {
                    $crate::__export::run_minimise(
                        $minimise, config_ptr, config_len, x, n, eval, eval_ctx, stop, report,
                        message,
                    )
                }
            }

            static TABLE: $crate::PluginTable =
                $crate::PluginTable::new($name, __losscape_check_config, __losscape_minimise);

            /// Entry point looked up by the losscape host.
            #[unsafe(no_mangle)]
            extern "C" fn losscape_plugin_entry() -> *const $crate::PluginTable {
                &TABLE
            }
        };
    };
}
