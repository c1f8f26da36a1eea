//! Central finite differences, for checking analytic derivatives in tests.

use crate::Landscape;

/// Largest absolute difference between the analytic gradient at `x` and a central finite
/// difference of the energy with step `h`.
pub fn gradient_error(l: &dyn Landscape, x: &[f64], h: f64) -> f64 {
    let n = l.dim();
    let mut g = vec![0.0; n];
    l.energy_gradient(x, &mut g);
    let mut xp = x.to_vec();
    let mut worst: f64 = 0.0;
    for i in 0..n {
        xp[i] = x[i] + h;
        let ep = l.energy(&xp);
        xp[i] = x[i] - h;
        let em = l.energy(&xp);
        xp[i] = x[i];
        worst = worst.max(((ep - em) / (2.0 * h) - g[i]).abs());
    }
    worst
}

/// Largest absolute difference between the analytic Hessian at `x` and a central finite
/// difference of the analytic gradient with step `h`; also checks symmetry.
pub fn hessian_error(l: &dyn Landscape, x: &[f64], h: f64) -> f64 {
    let n = l.dim();
    let mut hess = vec![0.0; n * n];
    l.hessian(x, &mut hess);
    let (mut gp, mut gm) = (vec![0.0; n], vec![0.0; n]);
    let mut xp = x.to_vec();
    let mut worst: f64 = 0.0;
    for j in 0..n {
        xp[j] = x[j] + h;
        l.energy_gradient(&xp, &mut gp);
        xp[j] = x[j] - h;
        l.energy_gradient(&xp, &mut gm);
        xp[j] = x[j];
        for i in 0..n {
            let fd = (gp[i] - gm[i]) / (2.0 * h);
            worst = worst.max((fd - hess[i * n + j]).abs());
            worst = worst.max((hess[i * n + j] - hess[j * n + i]).abs());
        }
    }
    worst
}
