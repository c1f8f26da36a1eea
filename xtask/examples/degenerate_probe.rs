//! The census points a database flags as degenerate (a Hessian eigenvalue within the zero
//! tolerance), refined by Newton's method to the limit of double precision, with their
//! smallest eigenvalues before and after: is the zero mode real, or an artefact of stopping
//! at the census's gradient tolerance?
//!
//! ```sh
//! cargo run --release -p xtask --example degenerate_probe -- DB LANDSCAPE
//! ```

use losscape_db::Store;
use losscape_hessian::analyse;
use losscape_model::{Dataset, Perceptron};
use losscape_ts::newton::{NewtonParams, solve};

fn smallest(values: &[f64], n: usize) -> Vec<String> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    v.iter().take(n).map(|x| format!("{x:+.3e}")).collect()
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (db, key) = (args.next().expect("DB"), args.next().expect("LANDSCAPE"));
    let store = Store::open_read_only(std::path::Path::new(&db))?;
    let l = store.landscape_by_key(&key)?.expect("landscape");
    let model = Perceptron::new(Dataset::xor(), l.n_hidden as usize, l.lambda)?;
    let tight = NewtonParams {
        rms_gradient: 1e-16,
        max_iterations: 50,
        ..NewtonParams::default()
    };
    for p in store.stationary_points(l.id)? {
        if p.zero_modes == 0 {
            continue;
        }
        let before = analyse(&model, &p.coords, 1e-7);
        let refined = match solve(&model, &p.coords, &tight, 1e-7) {
            Ok(r) => r.coords,
            Err(_) => p.coords.clone(),
        };
        let after = analyse(&model, &refined, 1e-7);
        println!(
            "point {} E {:.10} index {} zero {}: rms {:.1e} smallest {:?} | refined rms {:.1e} smallest {:?}, moved {:.1e}",
            p.id,
            p.energy,
            p.hessian_index,
            p.zero_modes,
            before.rms_gradient,
            smallest(&before.spectrum.values, 4),
            after.rms_gradient,
            smallest(&after.spectrum.values, 4),
            losscape_core::vec::distance(&refined, &p.coords)
        );
    }
    Ok(())
}
