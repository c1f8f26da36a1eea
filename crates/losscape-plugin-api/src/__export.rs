//! Runtime behind [`crate::export_plugin!`]: turns raw ABI arguments into safe Rust values, runs
//! the plugin's functions under `catch_unwind`, and turns results back into status codes.
//!
//! Public only so the macro can reach it from the plugin crate; not part of the stable API.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::author::{CheckConfigImpl, EvalError, MinimiseImpl, PluginError, Report, Stop};
use crate::{EvalFn, MessageBuffer, RawReport, StopCriteria, status, truncate_utf8};

thread_local! {
    /// Whether this thread is inside an exported function, where a panic is caught and its
    /// message handed to the host.
    static CAUGHT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `catch_unwind` that also keeps the default panic message off stderr: the message reaches
/// the host through the error buffer instead. A plugin has its own copy of std, so the hook
/// installed here is the plugin's alone; panics outside the exported functions still print.
fn catch_quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CAUGHT.with(|c| c.get()) {
                previous(info);
            }
        }));
    });
    let outer = CAUGHT.with(|c| c.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    CAUGHT.with(|c| c.set(outer));
    result
}

/// Text of a panic payload (`panic!` produces a `&str` or a `String`).
fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}

/// Copies as much of `text` as fits into the host's buffer, ending on a character boundary.
///
/// # Safety
/// `message` is null, or points to a valid `MessageBuffer` whose `ptr` is valid for writes of
/// `capacity` bytes (or `capacity` is 0).
unsafe fn write_message(message: *mut MessageBuffer, text: &str) {
    // SAFETY: null or valid and exclusively ours for the call, per this function's contract.
    let Some(buf) = (unsafe { message.as_mut() }) else {
        return;
    };
    buf.len = 0;
    if buf.ptr.is_null() || buf.capacity == 0 {
        return;
    }
    let fitted = truncate_utf8(text, buf.capacity);
    // SAFETY: `buf.ptr` is valid for `capacity >= fitted.len()` bytes of writes, and a host-owned
    // buffer cannot overlap the plugin's own string.
    unsafe { std::ptr::copy_nonoverlapping(fitted.as_ptr(), buf.ptr, fitted.len()) };
    buf.len = fitted.len();
}

/// The config text, or an error if the bytes are not valid UTF-8.
///
/// # Safety
/// `len == 0`, or `ptr` is valid for reads of `len` bytes that stay unchanged for `'a`.
unsafe fn config_text<'a>(ptr: *const u8, len: usize) -> Result<&'a str, PluginError> {
    if len == 0 {
        return Ok("");
    }
    if ptr.is_null() {
        return Err(PluginError::InvalidArgument(
            "config pointer is null".into(),
        ));
    }
    // SAFETY: non-null and valid for `len` bytes per the contract above.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    std::str::from_utf8(bytes)
        .map_err(|e| PluginError::BadConfig(format!("config is not valid UTF-8: {e}")))
}

/// Runs `check` on the raw config and returns its status.
///
/// # Safety
/// The arguments satisfy the contract of [`crate::CheckConfigFn`].
pub unsafe fn run_check_config(
    check: CheckConfigImpl,
    config_ptr: *const u8,
    config_len: usize,
    message: *mut MessageBuffer,
) -> i32 {
    let result = catch_quietly(|| {
        // SAFETY: forwarded from this function's contract.
        let config = unsafe { config_text(config_ptr, config_len) }?;
        check(config)
    });
    // SAFETY: `message` satisfies `write_message`'s contract per `CheckConfigFn`.
    unsafe {
        finish(
            result.map(|r| r.map(|()| None)),
            message,
            std::ptr::null_mut(),
        )
    }
}

/// Runs `minimise` on the raw arguments and returns its status.
///
/// # Safety
/// The arguments satisfy the contract of [`crate::MinimiseFn`].
#[allow(clippy::too_many_arguments)]
pub unsafe fn run_minimise(
    minimise: MinimiseImpl,
    config_ptr: *const u8,
    config_len: usize,
    x: *mut f64,
    n: usize,
    eval: EvalFn,
    eval_ctx: *mut c_void,
    stop: StopCriteria,
    report: *mut RawReport,
    message: *mut MessageBuffer,
) -> i32 {
    // Unwind safety (`catch_quietly` asserts it): on a panic nothing below is observed again
    // except the host's buffer, whose half-updated contents the host discards with the error.
    let result = catch_quietly(|| {
        // SAFETY: forwarded from this function's contract.
        let config = unsafe { config_text(config_ptr, config_len) }?;
        if x.is_null() && n > 0 {
            return Err(PluginError::InvalidArgument(
                "coordinate pointer is null".into(),
            ));
        }
        let coords: &mut [f64] = if n == 0 {
            &mut []
        } else {
            // SAFETY: non-null, and the host guarantees `n` writable f64s that nothing else
            // touches during the call (the callback reads them only through pointers we pass).
            unsafe { std::slice::from_raw_parts_mut(x, n) }
        };
        let mut evaluations = 0u64;
        let mut callback = |xs: &[f64], grad: &mut [f64]| -> Result<f64, EvalError> {
            if xs.len() != n || grad.len() != n {
                return Err(EvalError {
                    status: status::INVALID_ARGUMENT,
                });
            }
            evaluations += 1;
            let mut energy = f64::NAN;
            // SAFETY: both slices hold exactly `n` elements and cannot overlap (one is shared,
            // the other exclusive); `eval_ctx` is passed back unchanged as the host requires.
            let code = unsafe { eval(eval_ctx, xs.as_ptr(), grad.as_mut_ptr(), n, &mut energy) };
            if code == status::OK {
                Ok(energy)
            } else {
                Err(EvalError { status: code })
            }
        };
        let stop = Stop {
            rms_gradient: stop.rms_gradient,
            max_iterations: usize::try_from(stop.max_iterations).unwrap_or(usize::MAX),
        };
        let outcome = minimise(config, coords, &mut callback, stop)?;
        Ok(Some((outcome, evaluations)))
    });
    // SAFETY: `message` and `report` satisfy `finish`'s contract per `MinimiseFn`.
    unsafe { finish(result, message, report) }
}

type Outcome = Option<(Report, u64)>;

/// Writes the report or the message and returns the status.
///
/// # Safety
/// `message` as for [`write_message`]; `report` is null or valid for a write.
unsafe fn finish(
    result: std::thread::Result<Result<Outcome, PluginError>>,
    message: *mut MessageBuffer,
    report: *mut RawReport,
) -> i32 {
    match result {
        Ok(Ok(outcome)) => {
            if let (Some((r, evaluations)), false) = (outcome, report.is_null()) {
                let raw = RawReport {
                    energy: r.energy,
                    rms_gradient: r.rms_gradient,
                    iterations: r.iterations as u64,
                    evaluations,
                    converged: u32::from(r.converged),
                };
                // SAFETY: non-null and valid for a write per the contract.
                unsafe { report.write(raw) };
            }
            status::OK
        }
        Ok(Err(e)) => {
            // SAFETY: per the contract.
            unsafe { write_message(message, &e.to_string()) };
            e.status()
        }
        Err(payload) => {
            let text = format!("plugin panicked: {}", panic_text(payload.as_ref()));
            // SAFETY: per the contract.
            unsafe { write_message(message, &text) };
            status::PANIC
        }
    }
}
