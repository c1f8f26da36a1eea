use serde::{Deserialize, Serialize};

use crate::Landscape;

/// When two stationary points count as the same one.
///
/// Two points are the same if their energies agree within `energy_tolerance` and, after optimal
/// symmetry alignment ([`Landscape::align`]), their distance is at most `distance_tolerance`.
/// Counting "by energy" uses the first test alone, as PATHSAMPLE does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Identity {
    /// Largest energy difference between copies of one point.
    pub energy_tolerance: f64,
    /// Largest aligned Euclidean distance between copies of one point.
    pub distance_tolerance: f64,
}

impl Default for Identity {
    fn default() -> Self {
        Self {
            energy_tolerance: 1e-7,
            distance_tolerance: 1e-3,
        }
    }
}

impl Identity {
    /// Checks that both tolerances are finite and > 0.
    pub fn validate(&self) -> Result<(), crate::ParamError> {
        crate::param::positive("energy_tolerance", self.energy_tolerance)?;
        crate::param::positive("distance_tolerance", self.distance_tolerance)
    }

    /// Whether `(ea, a)` and `(eb, b)` are the same stationary point of `l`.
    pub fn same(&self, l: &dyn Landscape, ea: f64, a: &[f64], eb: f64, b: &[f64]) -> bool {
        (ea - eb).abs() <= self.energy_tolerance
            && l.aligned_distance(a, b) <= self.distance_tolerance
    }
}

/// A growing set of distinct stationary points of one landscape, kept sorted by energy so a
/// look-up aligns only against the few points inside the energy window.
#[derive(Debug, Clone, Default)]
pub struct PointSet {
    /// (energy, insertion index) sorted by energy.
    order: Vec<(f64, usize)>,
    points: Vec<Vec<f64>>,
    energies: Vec<f64>,
}

impl PointSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of distinct points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Coordinates of the point with insertion index `i`.
    pub fn point(&self, i: usize) -> &[f64] {
        &self.points[i]
    }

    /// Energy of the point with insertion index `i`.
    pub fn energy(&self, i: usize) -> f64 {
        self.energies[i]
    }

    /// Insertion index of a point the same as `(e, x)`, if any.
    pub fn find(&self, l: &dyn Landscape, id: &Identity, e: f64, x: &[f64]) -> Option<usize> {
        let lo = self
            .order
            .partition_point(|&(oe, _)| oe < e - id.energy_tolerance);
        self.order[lo..]
            .iter()
            .take_while(|&&(oe, _)| oe <= e + id.energy_tolerance)
            .map(|&(_, i)| i)
            .find(|&i| l.aligned_distance(&self.points[i], x) <= id.distance_tolerance)
    }

    /// Adds `(e, x)` without checking for a duplicate; returns its insertion index.
    pub fn push(&mut self, e: f64, x: Vec<f64>) -> usize {
        let i = self.points.len();
        let at = self.order.partition_point(|&(oe, _)| oe <= e);
        self.order.insert(at, (e, i));
        self.points.push(x);
        self.energies.push(e);
        i
    }

    /// Returns `(index, true)` for a new point just added, `(index, false)` for a known one.
    pub fn insert(&mut self, l: &dyn Landscape, id: &Identity, e: f64, x: &[f64]) -> (usize, bool) {
        match self.find(l, id, e, x) {
            Some(i) => (i, false),
            None => (self.push(e, x.to_vec()), true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surfaces::DoubleWell;

    #[test]
    fn symmetric_copies_are_one_point() {
        let id = Identity::default();
        let mut set = PointSet::new();
        let mirrored = DoubleWell::mirrored();
        assert_eq!(set.insert(&mirrored, &id, 0.0, &[1.0, 0.0]), (0, true));
        assert_eq!(set.insert(&mirrored, &id, 0.0, &[-1.0, 0.0]), (0, false));
        let plain = DoubleWell::default();
        let mut set = PointSet::new();
        set.insert(&plain, &id, 0.0, &[1.0, 0.0]);
        assert_eq!(set.insert(&plain, &id, 0.0, &[-1.0, 0.0]), (1, true));
        assert_eq!(set.find(&plain, &id, 1.0, &[1.0, 0.0]), None);
    }
}
