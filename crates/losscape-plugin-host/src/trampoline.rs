//! The host's side of the evaluation callback.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::ThreadId;

use losscape_core::{Landscape, vec};
use losscape_plugin_api::status;

/// Why the callback refused or failed; recorded once, then every later call fails too.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// The landscape panicked.
    Panic(String),
    /// A non-finite value: where it appeared.
    NonFinite(&'static str),
    /// Past the evaluation budget.
    Budget,
    /// Null, overlapping or wrongly sized buffers.
    BadArguments(String),
}

impl Failure {
    fn status(&self) -> i32 {
        match self {
            Self::Panic(_) => status::PANIC,
            Self::NonFinite(_) => status::NON_FINITE,
            Self::Budget => status::BUDGET_EXCEEDED,
            Self::BadArguments(_) => status::INVALID_ARGUMENT,
        }
    }
}

/// State of one minimisation, passed to the plugin as the callback's opaque context.
///
/// The callback turns the context into `&mut`, so it may only be called from the thread that
/// called `minimise` (see the ABI's rules). `thread` and `foreign_call` are never written after
/// construction, so a call from another thread reads them through the raw pointer, without
/// forming a reference to the context, and is refused.
pub(crate) struct EvalContext<'a> {
    pub landscape: &'a dyn Landscape,
    pub n: usize,
    /// Evaluations that reached the landscape.
    pub evaluations: usize,
    pub budget: usize,
    pub failure: Option<Failure>,
    /// The thread that called the plugin's `minimise`: the only one allowed to call back.
    thread: ThreadId,
    /// Set when another thread called back (outside the context, so that thread never touches
    /// memory the owning thread borrows exclusively).
    foreign_call: &'a AtomicBool,
}

impl<'a> EvalContext<'a> {
    /// A fresh context owned by the current thread.
    pub(crate) fn new(
        landscape: &'a dyn Landscape,
        budget: usize,
        foreign_call: &'a AtomicBool,
    ) -> Self {
        Self {
            landscape,
            n: landscape.dim(),
            evaluations: 0,
            budget,
            failure: None,
            thread: std::thread::current().id(),
            foreign_call,
        }
    }

    fn fail(&mut self, failure: Failure) -> i32 {
        let code = failure.status();
        self.failure = Some(failure);
        code
    }

    /// Checks the plugin's arguments, then evaluates. Returns a status code.
    ///
    /// # Safety
    /// If non-null, `x` must be valid for reads and `grad` for writes of `n` f64s, and `energy`
    /// for one write, for the duration of the call (what [`losscape_plugin_api::EvalFn`]
    /// requires of the plugin).
    unsafe fn evaluate(
        &mut self,
        x: *const f64,
        grad: *mut f64,
        n: usize,
        energy: *mut f64,
    ) -> i32 {
        if let Some(f) = &self.failure {
            return f.status();
        }
        if n != self.n {
            let message = format!("dimension {n}, expected {}", self.n);
            return self.fail(Failure::BadArguments(message));
        }
        if x.is_null() || grad.is_null() || energy.is_null() {
            return self.fail(Failure::BadArguments("null pointer".into()));
        }
        // Address arithmetic only, never dereferenced: do [x, x+n) and [grad, grad+n) overlap?
        let bytes = n * std::mem::size_of::<f64>();
        let (xa, ga) = (x as usize, grad as usize);
        if n > 0 && xa < ga.saturating_add(bytes) && ga < xa.saturating_add(bytes) {
            return self.fail(Failure::BadArguments(
                "coordinates and gradient overlap".into(),
            ));
        }
        if self.evaluations >= self.budget {
            return self.fail(Failure::Budget);
        }
        self.evaluations += 1;
        // SAFETY: non-null, valid for `n` elements per this function's contract, and the two
        // ranges were just checked not to overlap, so a shared and an exclusive slice can coexist.
        let (xs, gs) = unsafe {
            (
                std::slice::from_raw_parts(x, n),
                std::slice::from_raw_parts_mut(grad, n),
            )
        };
        if !vec::all_finite(xs) {
            return self.fail(Failure::NonFinite(
                "coordinates passed to the evaluation callback",
            ));
        }
        let landscape = self.landscape;
        // Unwind safety: after a panic the gradient buffer is garbage, but the plugin is told to
        // stop and the host discards the result.
        match catch_unwind(AssertUnwindSafe(|| landscape.energy_gradient(xs, gs))) {
            Ok(e) if e.is_finite() && vec::all_finite(gs) => {
                // SAFETY: non-null and valid for one write per the contract.
                unsafe { energy.write(e) };
                status::OK
            }
            Ok(_) => self.fail(Failure::NonFinite(
                "energy or gradient returned by the landscape",
            )),
            Err(payload) => {
                let text = if let Some(s) = payload.downcast_ref::<&str>() {
                    (*s).to_owned()
                } else if let Some(s) = payload.downcast_ref::<String>() {
                    s.clone()
                } else {
                    "(non-string panic payload)".to_owned()
                };
                self.fail(Failure::Panic(text))
            }
        }
    }
}

/// The [`losscape_plugin_api::EvalFn`] handed to plugins.
///
/// # Safety
/// `ctx` must be the `*mut EvalContext` the host passed to the plugin's `minimise` for the
/// current call (plugins return it unchanged, as the ABI requires), and the buffers must satisfy
/// [`EvalContext::evaluate`]'s contract.
pub(crate) unsafe extern "C" fn evaluate(
    ctx: *mut c_void,
    x: *const f64,
    grad: *mut f64,
    n: usize,
    energy: *mut f64,
) -> i32 {
    if ctx.is_null() {
        return status::INVALID_ARGUMENT;
    }
    let ctx = ctx.cast::<EvalContext<'_>>();
    // SAFETY: `ctx` points at a live context (this function's contract); `thread` and
    // `foreign_call` are only written at construction, so reading them through the raw pointer
    // races with nothing, and no reference to the whole context is formed before the check.
    let (owner, foreign_call) = unsafe { ((*ctx).thread, (*ctx).foreign_call) };
    if std::thread::current().id() != owner {
        foreign_call.store(true, Ordering::Relaxed);
        return status::INVALID_ARGUMENT;
    }
    // SAFETY: per this function's contract `ctx` is the live, exclusively borrowed context of
    // the running minimisation; the host does not touch it until the plugin returns.
    // It is called on the owning thread (checked above), which is inside `minimise`.
    let ctx = unsafe { &mut *ctx };
    // No panic may unwind into the plugin: everything that could panic in `evaluate` (the
    // landscape) is already caught there, and this outer guard turns anything else into PANIC.
    // SAFETY: the buffer contract is forwarded from this function's.
    catch_unwind(AssertUnwindSafe(|| unsafe {
        ctx.evaluate(x, grad, n, energy)
    }))
    .unwrap_or(status::PANIC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_core::surfaces::DoubleWell;

    struct Exploding;
    impl Landscape for Exploding {
        fn dim(&self) -> usize {
            1
        }
        fn energy(&self, _: &[f64]) -> f64 {
            panic!("boom")
        }
        fn energy_gradient(&self, x: &[f64], _: &mut [f64]) -> f64 {
            if x[0] > 0.0 {
                panic!("boom at {}", x[0])
            } else {
                f64::INFINITY
            }
        }
        fn hessian(&self, _: &[f64], _: &mut [f64]) {}
    }

    fn context(landscape: &dyn Landscape, budget: usize) -> EvalContext<'_> {
        // Leaked: a few bytes per test context, so contexts can outlive the helper's frame.
        EvalContext::new(
            landscape,
            budget,
            Box::leak(Box::new(AtomicBool::new(false))),
        )
    }

    /// A call from another thread than the context's owner is refused before the context is
    /// touched, and the owner learns of it.
    #[test]
    fn calls_from_another_thread_are_refused_and_recorded() {
        let dw = DoubleWell::default();
        let foreign = AtomicBool::new(false);
        let mut ctx = EvalContext::new(&dw, 10, &foreign);
        let address = (&raw mut ctx) as usize;
        let code = std::thread::spawn(move || {
            let (x, mut g, mut e) = ([0.0, 1.0], [0.0; 2], 0.0);
            // SAFETY: the context outlives the joined thread and nothing else uses it meanwhile;
            // the callee must refuse the call before dereferencing more than the owner fields.
            unsafe {
                evaluate(
                    address as *mut c_void,
                    x.as_ptr(),
                    g.as_mut_ptr(),
                    2,
                    &mut e,
                )
            }
        })
        .join()
        .unwrap();
        assert_eq!(code, status::INVALID_ARGUMENT);
        assert!(foreign.load(Ordering::Relaxed));
        assert_eq!(ctx.evaluations, 0);
        // The owning thread may still call.
        let mut g = [0.0; 2];
        assert_eq!(call(&mut ctx, &[0.0, 1.0], &mut g), (status::OK, 2.0));
    }

    fn call(ctx: &mut EvalContext<'_>, x: &[f64], g: &mut [f64]) -> (i32, f64) {
        let mut e = 0.0;
        // SAFETY: live context and buffers of the right size.
        let code = unsafe {
            evaluate(
                (ctx as *mut EvalContext<'_>).cast(),
                x.as_ptr(),
                g.as_mut_ptr(),
                x.len(),
                &mut e,
            )
        };
        (code, e)
    }

    #[test]
    fn evaluates_and_counts() {
        let dw = DoubleWell::default();
        let mut ctx = context(&dw, 10);
        let mut g = [0.0; 2];
        assert_eq!(call(&mut ctx, &[0.0, 1.0], &mut g), (status::OK, 2.0));
        assert_eq!(g, [0.0, 2.0]);
        assert_eq!(ctx.evaluations, 1);
    }

    #[test]
    fn budget_is_enforced_and_failures_are_sticky() {
        let dw = DoubleWell::default();
        let mut ctx = context(&dw, 2);
        let mut g = [0.0; 2];
        assert_eq!(call(&mut ctx, &[0.0, 1.0], &mut g).0, status::OK);
        assert_eq!(call(&mut ctx, &[0.0, 1.0], &mut g).0, status::OK);
        assert_eq!(
            call(&mut ctx, &[0.0, 1.0], &mut g).0,
            status::BUDGET_EXCEEDED
        );
        assert_eq!(
            call(&mut ctx, &[0.0, 1.0], &mut g).0,
            status::BUDGET_EXCEEDED
        );
        assert_eq!(ctx.failure, Some(Failure::Budget));
        assert_eq!(ctx.evaluations, 2);
    }

    #[test]
    fn panics_and_non_finite_values_are_caught() {
        let mut g = [0.0];
        let mut ctx = context(&Exploding, 10);
        assert_eq!(call(&mut ctx, &[1.0], &mut g).0, status::PANIC);
        assert_eq!(ctx.failure, Some(Failure::Panic("boom at 1".into())));
        let mut ctx = context(&Exploding, 10);
        assert_eq!(call(&mut ctx, &[-1.0], &mut g).0, status::NON_FINITE);
        let dw = DoubleWell::default();
        let mut ctx = context(&dw, 10);
        assert_eq!(
            call(&mut ctx, &[f64::NAN, 0.0], &mut [0.0; 2]).0,
            status::NON_FINITE
        );
    }

    #[test]
    fn bad_buffers_are_refused() {
        let dw = DoubleWell::default();
        let mut ctx = context(&dw, 10);
        assert_eq!(
            call(&mut ctx, &[0.0], &mut [0.0]).0,
            status::INVALID_ARGUMENT
        );
        let mut ctx = context(&dw, 10);
        let mut buf = [0.5, 0.5, 0.5];
        let mut e = 0.0;
        // Overlapping x = buf[0..2] and grad = buf[1..3]: refused before any dereference.
        // SAFETY: pointers are valid; the callee must detect the overlap.
        let code = unsafe {
            let p = buf.as_mut_ptr();
            evaluate((&raw mut ctx).cast(), p, p.add(1), 2, &mut e)
        };
        assert_eq!(code, status::INVALID_ARGUMENT);
        assert_eq!(ctx.evaluations, 0);
        // SAFETY: a null context is refused without dereferencing anything else.
        let code = unsafe {
            evaluate(
                std::ptr::null_mut(),
                buf.as_ptr(),
                buf.as_mut_ptr(),
                1,
                &mut e,
            )
        };
        assert_eq!(code, status::INVALID_ARGUMENT);
    }
}
