use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use libloading::Library;
use losscape_core::{Convergence, Landscape, MinimiseError, Minimiser, QuenchOutcome, vec};
use losscape_plugin_api::{
    ABI_VERSION, CheckConfigFn, ENTRY_SYMBOL, EntryFn, MessageBuffer, MinimiseFn, PluginTable,
    RawReport, StopCriteria, TableHeader, status,
};

use crate::trampoline::{self, EvalContext, Failure};
use crate::{PluginError, PluginSpec};

/// The evaluation budget of one minimisation is
/// `EVALUATION_BUDGET_FACTOR * max_iterations + EVALUATION_BUDGET_MARGIN`: generous for any
/// optimiser that makes a few evaluations per iteration, yet a plugin that ignores its iteration
/// limit (or the callback's failures) is stopped instead of hanging the run.
pub const EVALUATION_BUDGET_FACTOR: usize = 10;
/// See [`EVALUATION_BUDGET_FACTOR`].
pub const EVALUATION_BUDGET_MARGIN: usize = 100;

/// Relative difference (to `max(1, |E|)`) allowed between the energy a plugin reports and the
/// energy the host recomputes at the returned point: far above the rounding of a sum evaluated
/// in another order, far below any difference between two minima worth telling apart.
pub const REPORT_ENERGY_TOLERANCE: f64 = 1e-9;

/// Bytes of the buffer a plugin's error message is copied into; longer messages are truncated
/// by the plugin at a character boundary.
const MESSAGE_CAPACITY: usize = 4096;

/// A plugin name longer than this is taken as a corrupt table.
const MAX_NAME_LEN: usize = 256;

/// An optimiser plugin, loaded and checked, usable as a [`Minimiser`].
///
/// The configuration is fixed at load time, where it is validated by the plugin's
/// `check_config` so a bad key is reported before any work starts. The minimiser is `Send` and
/// `Sync`: the library handle and the function table are immutable after loading, and the ABI
/// requires plugin functions to be re-entrant.
#[derive(Debug)]
pub struct PluginMinimiser {
    name: String,
    path: PathBuf,
    config: String,
    check_config: CheckConfigFn,
    minimise: MinimiseFn,
    /// Keeps the code behind `check_config` and `minimise` mapped. Declared last so it is
    /// dropped after everything that points into it.
    _library: Library,
}

impl PluginMinimiser {
    /// Finds, loads and checks the plugin, then validates `spec.config` with it.
    pub fn load(spec: &PluginSpec) -> Result<Self, PluginError> {
        let path = spec.resolve()?;
        // SAFETY: loading a shared library runs its initialisers. This is the one place where
        // losscape trusts outside code: the user named this file as a plugin. Rust cdylibs built
        // with losscape-plugin-api have no initialisers of their own.
        let library = unsafe { Library::new(&path) }.map_err(|e| PluginError::Open {
            path: path.clone(),
            message: loader_message(&e),
        })?;
        // SAFETY: the ABI fixes the entry symbol's type as `EntryFn`. A foreign library exporting
        // a symbol of this exact name with another type cannot be detected; the name is specific
        // enough that this is not a practical concern. The symbol is copied out as a plain
        // function pointer, valid while `library` stays loaded (it lives in `Self`).
        let entry: EntryFn = unsafe { library.get::<EntryFn>(ENTRY_SYMBOL) }
            .map(|symbol| *symbol)
            .map_err(|e| PluginError::MissingSymbol {
                path: path.clone(),
                symbol: ENTRY_SYMBOL,
                message: e.to_string(),
            })?;
        // SAFETY: the entry function takes no arguments and, per the ABI, only returns a pointer
        // to a static table.
        let table_ptr = unsafe { entry() };
        if table_ptr.is_null() {
            return Err(PluginError::NullTable { path });
        }
        // SAFETY: every table of every ABI version starts with a `TableHeader`, whose layout is
        // frozen; read it alone (unaligned, to assume nothing) before trusting anything else.
        let header = unsafe { table_ptr.cast::<TableHeader>().read_unaligned() };
        if header.abi_version != ABI_VERSION {
            return Err(PluginError::AbiVersion {
                path,
                found: header.abi_version,
                expected: ABI_VERSION,
            });
        }
        let expected = std::mem::size_of::<PluginTable>() as u32;
        if header.table_size != expected {
            return Err(PluginError::TableSize {
                path,
                version: ABI_VERSION,
                found: header.table_size,
                expected,
            });
        }
        // SAFETY: version and size match this host's, so the pointee has the layout of a
        // `PluginTable`, in static memory of the still-loaded library. It is read as a
        // `RawTable` (same layout, nullable function pointers) because a null function pointer
        // in a `PluginTable` would already be undefined behaviour on reading.
        let table = unsafe { table_ptr.cast::<RawTable>().read_unaligned() };
        // SAFETY: `read_name` only requires the pointer/length pair the table declares.
        let name = unsafe { read_name(&table) }.map_err(|reason| PluginError::BadTableName {
            path: path.clone(),
            reason,
        })?;
        let null = |function: &'static str| PluginError::NullFunction {
            path: path.clone(),
            function,
        };
        let check_config = table.check_config.ok_or_else(|| null("check_config"))?;
        let minimise = table.minimise.ok_or_else(|| null("minimise"))?;
        let plugin = Self {
            name,
            path,
            config: spec.config.clone(),
            check_config,
            minimise,
            _library: library,
        };
        plugin.check_config(&spec.config)?;
        Ok(plugin)
    }

    /// The plugin's name, as declared in its table.
    pub fn plugin_name(&self) -> &str {
        &self.name
    }

    /// The library file the plugin was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The config text every minimisation passes to the plugin.
    pub fn config_text(&self) -> &str {
        &self.config
    }

    /// Asks the plugin whether `config` is acceptable, without running anything.
    pub fn check_config(&self, config: &str) -> Result<(), PluginError> {
        let mut bytes = [0u8; MESSAGE_CAPACITY];
        let mut message = MessageBuffer {
            ptr: bytes.as_mut_ptr(),
            capacity: bytes.len(),
            len: 0,
        };
        // SAFETY: `check_config` comes from a version-checked table of the library `self` keeps
        // loaded; the config bytes and message buffer are valid for the whole call.
        let code = unsafe { (self.check_config)(config.as_ptr(), config.len(), &mut message) };
        match code {
            status::OK => Ok(()),
            other => Err(self.status_error(other, read_message(&bytes, &message))),
        }
    }

    /// Calls the plugin's `minimise` once: its status, its report and (on an error status) its
    /// message.
    fn call_minimise(
        &self,
        x: &mut [f64],
        ctx: &mut EvalContext<'_>,
        stop: &Convergence,
    ) -> (i32, RawReport, String) {
        let criteria = StopCriteria {
            rms_gradient: stop.rms_gradient,
            max_iterations: stop.max_iterations as u64,
        };
        let mut report = RawReport::default();
        let mut bytes = [0u8; MESSAGE_CAPACITY];
        let mut message = MessageBuffer {
            ptr: bytes.as_mut_ptr(),
            capacity: bytes.len(),
            len: 0,
        };
        // SAFETY: `minimise` comes from a version-checked table of the library `self` keeps
        // loaded. Every pointer is valid for the whole call: the config text, `x` (n elements,
        // not used by us until the call returns), the context (borrowed exclusively for the
        // call and read back only afterwards; the callback is called on this thread only, which
        // the trampoline checks), the report and the message buffer.
        let code = unsafe {
            (self.minimise)(
                self.config.as_ptr(),
                self.config.len(),
                x.as_mut_ptr(),
                x.len(),
                trampoline::evaluate,
                (ctx as *mut EvalContext<'_>).cast(),
                criteria,
                &mut report,
                &mut message,
            )
        };
        let text = if code == status::OK {
            String::new()
        } else {
            read_message(&bytes, &message)
        };
        (code, report, text)
    }

    /// Minimises from `x` in place, reporting failures in full detail (the [`Minimiser`] impl
    /// maps them to [`MinimiseError`]).
    pub fn run(
        &self,
        landscape: &dyn Landscape,
        x: &mut [f64],
        stop: &Convergence,
    ) -> Result<QuenchOutcome, PluginError> {
        let n = landscape.dim();
        if x.len() != n {
            return Err(PluginError::Dimension {
                expected: n,
                got: x.len(),
            });
        }
        let budget = stop
            .max_iterations
            .saturating_mul(EVALUATION_BUDGET_FACTOR)
            .saturating_add(EVALUATION_BUDGET_MARGIN);
        let foreign_call = AtomicBool::new(false);
        let mut ctx = EvalContext::new(landscape, budget, &foreign_call);
        let (code, report, text) = self.call_minimise(x, &mut ctx, stop);
        let evaluations = ctx.evaluations;
        // The host's own record of a callback failure is the root cause, whatever the plugin
        // made of it (it may even claim success).
        let failure = ctx.failure.or_else(|| {
            foreign_call.load(Ordering::Relaxed).then(|| {
                Failure::BadArguments(
                    "evaluation callback called from another thread than `minimise`'s".into(),
                )
            })
        });
        if let Some(failure) = failure {
            return Err(self.failure_error(failure, evaluations, stop.max_iterations, budget));
        }
        if code != status::OK {
            if code == status::NON_FINITE {
                let what = format!("value inside the plugin ({text})");
                return Err(PluginError::NonFinite {
                    name: self.name.clone(),
                    what,
                    evaluations,
                });
            }
            return Err(self.status_error(code, text));
        }
        let non_finite = |what: &str| PluginError::NonFinite {
            name: self.name.clone(),
            what: what.to_owned(),
            evaluations,
        };
        if !report.energy.is_finite() || !report.rms_gradient.is_finite() {
            return Err(non_finite(
                "energy or RMS gradient in the plugin's final report",
            ));
        }
        if !vec::all_finite(x) {
            return Err(non_finite("final coordinates"));
        }
        // The report is a claim, not a measurement: recompute both numbers at the point the
        // plugin returned, so nothing the plugin merely asserts is judged or stored.
        let mut gradient = vec![0.0; n];
        let energy = landscape.energy_gradient(x, &mut gradient);
        let rms_gradient = vec::rms(&gradient);
        if !energy.is_finite() || !rms_gradient.is_finite() {
            return Err(non_finite(
                "energy or gradient recomputed at the plugin's final coordinates",
            ));
        }
        let claimed_converged = report.converged != 0;
        check_claims(
            &self.name,
            (report.energy, energy),
            (claimed_converged, rms_gradient),
            stop.rms_gradient,
        )?;
        Ok(QuenchOutcome {
            energy,
            rms_gradient,
            iterations: usize::try_from(report.iterations).unwrap_or(usize::MAX),
            // Counted by the host: the plugin's own count is not trusted. The host's own
            // re-evaluation above is not part of it (it is not the plugin's work).
            evaluations,
            converged: claimed_converged,
        })
    }

    fn status_error(&self, code: i32, message: String) -> PluginError {
        let name = self.name.clone();
        match code {
            status::BAD_CONFIG => PluginError::BadConfig { name, message },
            status::PANIC => PluginError::Panic { name, message },
            status => PluginError::Failed {
                name,
                status,
                message,
            },
        }
    }

    fn failure_error(
        &self,
        failure: Failure,
        evaluations: usize,
        max_iterations: usize,
        budget: usize,
    ) -> PluginError {
        let name = self.name.clone();
        match failure {
            Failure::Panic(message) => PluginError::CallbackPanic { name, message },
            Failure::NonFinite(what) => PluginError::NonFinite {
                name,
                what: what.to_owned(),
                evaluations,
            },
            Failure::Budget => PluginError::BudgetExceeded {
                name,
                budget,
                max_iterations,
            },
            Failure::BadArguments(message) => PluginError::BadCallbackArguments { name, message },
        }
    }
}

/// Checks a plugin's final report against the host's own evaluation at the returned point:
/// `(claimed, recomputed)` energies and `(claimed convergence, recomputed RMS gradient)`.
///
/// An honest plugin reports the value the evaluation callback gave it at that very point, so
/// only rounding of a differently ordered sum may separate the two energies; anything beyond
/// [`REPORT_ENERGY_TOLERANCE`] is a false report. A claim of convergence must hold under the
/// host's criterion. A plugin that says it did not converge claims nothing to check.
fn check_claims(
    name: &str,
    (claimed_energy, energy): (f64, f64),
    (claimed_converged, rms_gradient): (bool, f64),
    criterion: f64,
) -> Result<(), PluginError> {
    let false_report = |claim: String, actual: String| PluginError::FalseReport {
        name: name.to_owned(),
        claim,
        actual,
    };
    if (claimed_energy - energy).abs() > REPORT_ENERGY_TOLERANCE * energy.abs().max(1.0) {
        return Err(false_report(
            format!("energy {claimed_energy:e}"),
            format!("energy {energy:e}"),
        ));
    }
    if claimed_converged && rms_gradient > criterion {
        return Err(false_report(
            format!("convergence (RMS gradient at most {criterion:e})"),
            format!("RMS gradient {rms_gradient:e}"),
        ));
    }
    Ok(())
}

impl Minimiser for PluginMinimiser {
    fn name(&self) -> &str {
        &self.name
    }

    fn minimise(
        &self,
        landscape: &dyn Landscape,
        x: &mut [f64],
        stop: &Convergence,
    ) -> Result<QuenchOutcome, MinimiseError> {
        self.run(landscape, x, stop).map_err(MinimiseError::from)
    }
}

/// A [`PluginTable`] as the host reads it: the same `repr(C)` layout, with the function
/// pointers as `Option` (guaranteed to have the layout of a nullable pointer), so a table with
/// a null function is refused at load instead of crashing the first minimisation.
#[repr(C)]
#[derive(Clone, Copy)]
struct RawTable {
    /// Already checked through its own read.
    _header: TableHeader,
    name_ptr: *const u8,
    name_len: usize,
    check_config: Option<CheckConfigFn>,
    minimise: Option<MinimiseFn>,
}

const _: () = assert!(std::mem::size_of::<RawTable>() == std::mem::size_of::<PluginTable>());
const _: () = assert!(std::mem::align_of::<RawTable>() == std::mem::align_of::<PluginTable>());

/// The name a table declares, copied out.
///
/// # Safety
/// `table.name_ptr` is null or valid for reads of `table.name_len` bytes.
unsafe fn read_name(table: &RawTable) -> Result<String, &'static str> {
    if table.name_ptr.is_null() {
        return Err("null name pointer");
    }
    if table.name_len == 0 || table.name_len > MAX_NAME_LEN {
        return Err("name is empty or implausibly long");
    }
    // SAFETY: non-null and valid for `name_len` bytes per this function's contract.
    let bytes = unsafe { std::slice::from_raw_parts(table.name_ptr, table.name_len) };
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| "name is not UTF-8")
}

/// The message a plugin wrote, tolerating a lying length and invalid UTF-8.
fn read_message(bytes: &[u8], message: &MessageBuffer) -> String {
    let len = message.len.min(bytes.len());
    String::from_utf8_lossy(&bytes[..len]).into_owned()
}

/// The loader's error with its cause: libloading's own text is only "dlopen failed"; the
/// reason (`dlerror()`: wrong architecture, missing dependency, not an ELF file, …) is its
/// source.
fn loader_message(e: &libloading::Error) -> String {
    use std::error::Error as _;
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
}
