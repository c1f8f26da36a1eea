//! Where the saddle-to-saddle searches of the census's closure spend their iterations.
//!
//! ```sh
//! cargo run --release -p xtask --example ladder_probe -- DB LANDSCAPE
//! ```
//!
//! Runs every search of `losscape_ts::ladder` from every census point of one landscape of a
//! database (XOR data) and prints, per outcome (reached a point of the target index, another
//! index, ran off, budget), how many searches ended so and their mean iterations.

use std::collections::BTreeMap;

use losscape_db::Store;
use losscape_hessian::analyse;
use losscape_model::{Dataset, Perceptron};
use losscape_ts::ladder::{LadderParams, follow, searches};
use losscape_ts::newton::{NewtonFailure, NewtonParams};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (db, key) = (args.next().expect("DB"), args.next().expect("LANDSCAPE"));
    let store = Store::open_read_only(std::path::Path::new(&db))?;
    let l = store.landscape_by_key(&key)?.expect("landscape");
    let model = Perceptron::new(Dataset::xor(), l.n_hidden as usize, l.lambda)?;
    // LADDER_ITERATIONS, LADDER_POLISH and LADDER_STEP override the defaults, for tuning.
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok());
    let d = LadderParams::default();
    let params = LadderParams {
        max_iterations: env("LADDER_ITERATIONS").map_or(d.max_iterations, |v| v as usize),
        polish_below: env("LADDER_POLISH").unwrap_or(d.polish_below),
        max_step: env("LADDER_STEP").unwrap_or(d.max_step),
        patience: env("LADDER_PATIENCE").map_or(d.patience, |v| v as usize),
        ..d
    };
    let newton = NewtonParams::default();
    let mut tally: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    for p in store.stationary_points(l.id)? {
        let a = analyse(&model, &p.coords, 1e-9);
        for s in searches(&p.coords, &a, &params) {
            let kind = if s.direction.is_down() { "down" } else { "up" };
            let t = std::time::Instant::now();
            let outcome = match follow(&model, &p.coords, &s, &params, &newton, 1e-9) {
                Ok(q) if q.analysis.index == s.target => "target index".to_string(),
                Ok(q) if losscape_core::vec::distance(&q.coords, &p.coords) < 1e-6 => {
                    "back at the source".to_string()
                }
                Ok(_) => "other index".to_string(),
                Err(NewtonFailure::RanOff { .. }) => "ran off".to_string(),
                Err(NewtonFailure::Budget { rms_gradient, .. }) => {
                    format!("budget (rms 1e{})", rms_gradient.log10().floor())
                }
                Err(NewtonFailure::Wandering { .. }) => "wandered".to_string(),
                Err(e) => format!("{e}"),
            };
            let e = tally.entry(format!("{kind} {outcome}")).or_default();
            e.0 += 1;
            e.1 += t.elapsed().as_secs_f64() * 1e3;
        }
    }
    let total: f64 = tally.values().map(|v| v.1).sum();
    for (k, (n, ms)) in tally {
        println!("{k:40} {n:6} searches, {:8.2} ms each", ms / n as f64);
    }
    println!("total {:.0} ms", total);
    Ok(())
}
