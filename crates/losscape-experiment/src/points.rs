//! Stored rows as the analyses see them, and the Morse check and saturation verdict of one
//! stored landscape.
//!
//! The runner needs the check to decide saturation and the report shows it, so the
//! conversions from database rows to analysis inputs live here, once, for both.

use losscape_analysis::census::{MorseCensus, Saturation, StationaryInfo, morse_census};
use losscape_analysis::{MinimumInfo, TsInfo};
use losscape_core::Identity;
use losscape_db::{DbError, LandscapeId, MinimumRow, StationaryPointRow, Store, TsRow};
use losscape_model::Perceptron;

/// A stored minimum as the analyses see it.
pub fn minimum_info(m: &MinimumRow) -> MinimumInfo {
    MinimumInfo {
        id: m.id,
        energy: m.energy,
        accuracy: m.accuracy,
        coords: m.coords.clone(),
        ln_prod_positive: m.ln_prod_positive,
        hessian_index: m.hessian_index as usize,
    }
}

/// A stored transition state as the analyses see it.
pub fn ts_info(t: &TsRow) -> TsInfo {
    TsInfo {
        id: t.id,
        energy: t.energy,
        accuracy: t.accuracy,
        coords: t.coords.clone(),
        ln_prod_positive: t.ln_prod_positive,
        min1: t.min1,
        min2: t.min2,
        degenerate: t.degenerate,
    }
}

/// A census stationary point as the Morse check sees it.
pub fn stationary_info(p: &StationaryPointRow) -> StationaryInfo {
    StationaryInfo {
        id: p.id,
        energy: p.energy,
        coords: p.coords.clone(),
        hessian_index: p.hessian_index as usize,
        zero_modes: p.zero_modes as usize,
    }
}

/// The saturation stage's verdict for one landscape, if it ran (and its record parses).
pub fn stored_saturation(
    store: &Store,
    landscape_id: LandscapeId,
) -> Result<Option<Saturation>, DbError> {
    Ok(store
        .attempt(landscape_id, Saturation::STAGE, Saturation::KEY)?
        .and_then(|a| Saturation::from_detail(&a.detail)))
}

/// The Morse check of everything stored for one landscape.
pub fn stored_morse_census(
    store: &Store,
    landscape_id: LandscapeId,
    model: &Perceptron,
    identity: &Identity,
) -> Result<MorseCensus, DbError> {
    let minima: Vec<MinimumInfo> = store
        .minima(landscape_id)?
        .iter()
        .map(minimum_info)
        .collect();
    let ts: Vec<TsInfo> = store
        .transition_states(landscape_id)?
        .iter()
        .map(ts_info)
        .collect();
    let census: Vec<StationaryInfo> = store
        .stationary_points(landscape_id)?
        .iter()
        .map(stationary_info)
        .collect();
    Ok(morse_census(model, identity, &minima, &ts, &census))
}
