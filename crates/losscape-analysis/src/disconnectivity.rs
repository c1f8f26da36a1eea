//! Disconnectivity graphs (Becker & Karplus 1997): the tree of basins of a network of minima and
//! transition states, and its SVG picture.
//!
//! Energy levels are evenly spaced from the lowest minimum (or the bottom of an energy window) up
//! to a top level. At each level, two minima are in one basin if a chain of transition states
//! lying strictly below the level joins them; a minimum only exists at levels above its own
//! energy. Basins only ever merge as the level rises, so the basins of consecutive levels form a
//! tree whose leaves are the minima. Degenerate transition states (joining a minimum to a
//! symmetry copy of itself) carry no connectivity and are left out; minima still apart just
//! below the top level all join at the top, so every graph has a single root.

use std::collections::HashMap;
use std::fmt::Write as _;

use thiserror::Error;

use crate::escape::escape_xml;
use crate::svg;
use crate::union_find::UnionFind;
use crate::{MinimumInfo, TsInfo};

/// How to build a disconnectivity graph.
#[derive(Debug, Clone, PartialEq)]
pub struct DisconnectivityOptions {
    /// Number of energy levels (at least 1); the last one is the top where everything joins.
    pub levels: usize,
    /// Only minima with energies in `[lo, hi]` are shown, and the levels span this window
    /// (the top level is `hi`). Without a window the levels run from the lowest minimum to one
    /// level spacing above the highest transition state that joins two shown basins.
    pub energy_window: Option<[f64; 2]>,
    /// Show only this many of the lowest minima. Connectivity still runs through the minima
    /// left out, so two shown minima joined via a hidden one still share a basin.
    pub keep_lowest: Option<usize>,
    /// Without `energy_window`: choose a window that keeps the low minima apart (see
    /// [`auto_window`]) when there are more than `show_all_up_to` minima; `false` spans every
    /// minimum and joining saddle.
    pub auto_window: bool,
    /// Up to this many minima every one is drawn, however the energies spread: a reader takes
    /// in a graph of a few dozen branches, and a minimum cut from a small graph (the w = 0 one,
    /// say) is one the accuracy colours would need. Above it the automatic window may hide the
    /// highest, and the graph lists them.
    pub show_all_up_to: usize,
}

/// Energy levels of a disconnectivity graph unless asked otherwise: the one default of
/// `losscape graph` and of the report's graphs. Thirty levels resolve the barriers of the
/// small XOR landscapes without drawing a staircase of empty levels.
pub const DEFAULT_LEVELS: usize = 30;

impl Default for DisconnectivityOptions {
    fn default() -> Self {
        Self {
            levels: DEFAULT_LEVELS,
            energy_window: None,
            keep_lowest: None,
            auto_window: true,
            show_all_up_to: 40,
        }
    }
}

/// Share of the energy axis the lower half of the minima must get at least; below it the
/// automatic window lowers the top (see [`auto_window`]).
pub const LOW_HALF_SHARE: f64 = 0.3;

/// The automatic energy window of a graph, or `None` when the full range already keeps the low
/// minima apart.
///
/// A few high minima or saddles stretch a linear energy axis so far that the low minima, the
/// ones a reader cares about, are squeezed into a few pixels (22 minima in a 15-pixel fan for
/// N_h = 6, λ = 1e-5 of the paper sweep). The rule: with the minima sorted by energy, the lower
/// half of them (at least two) should span at least [`LOW_HALF_SHARE`] of the axis from the
/// global minimum to the highest saddle joining two minima (or the highest minimum). If they do
/// not, the top of the window is lowered until they do; minima above it are not drawn and
/// saddles above it join at the top. Returns `[lowest minimum, top]`.
pub fn auto_window(minima: &[MinimumInfo], ts: &[TsInfo]) -> Option<[f64; 2]> {
    let mut e: Vec<f64> = minima
        .iter()
        .map(|m| m.energy)
        .filter(|e| e.is_finite())
        .collect();
    if e.len() < 4 {
        return None;
    }
    e.sort_by(f64::total_cmp);
    let lo = e[0];
    let half = e.len().div_ceil(2).max(2);
    let low_span = e[half - 1] - lo;
    let saddle_top = ts
        .iter()
        .filter(|t| !t.is_degenerate() && t.energy.is_finite())
        .map(|t| t.energy)
        .fold(f64::NEG_INFINITY, f64::max);
    let full_top = saddle_top.max(e[e.len() - 1]);
    let full = full_top - lo;
    if !(low_span > 0.0 && full > 0.0) || low_span >= LOW_HALF_SHARE * full {
        return None;
    }
    Some([lo, lo + low_span / LOW_HALF_SHARE])
}

/// Why a graph could not be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DisconnectivityError {
    /// No minimum lies in the energy window (or none were given).
    #[error("no minima to draw (none given, or none inside the energy window)")]
    NoMinima,
    /// `levels` was zero.
    #[error("a disconnectivity graph needs at least one energy level")]
    NoLevels,
    /// The energy window is empty or not finite.
    #[error("invalid energy window [{lo}, {hi}]: need finite lo < hi")]
    BadWindow {
        /// Bottom of the window.
        lo: f64,
        /// Top of the window.
        hi: f64,
    },
    /// A minimum or transition state has a non-finite energy.
    #[error("{kind} {id} has a non-finite energy")]
    NonFinite {
        /// "minimum" or "transition state".
        kind: &'static str,
        /// Its id.
        id: i64,
    },
    /// Two minima share an id.
    #[error("minimum id {0} appears more than once")]
    DuplicateId(i64),
    /// A transition state names a minimum id that was not given.
    #[error("transition state {ts} connects unknown minimum {minimum}")]
    UnknownMinimum {
        /// The transition state's id.
        ts: i64,
        /// The unknown minimum id.
        minimum: i64,
    },
}

/// One minimum as the graph remembers it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leaf {
    /// Minimum id.
    pub id: i64,
    /// Its energy.
    pub energy: f64,
    /// Its training accuracy (`NaN` if unknown).
    pub accuracy: f64,
}

/// A node of the basin tree: a basin at one level, or a minimum (a leaf).
#[derive(Debug, Clone, PartialEq)]
pub struct BasinNode {
    /// Index into [`DisconnectivityGraph::levels`]; `None` for a leaf.
    pub level: Option<usize>,
    /// Height of the node: the level's energy for a basin, the minimum's energy for a leaf.
    pub energy: f64,
    /// Child nodes, in drawing order (left to right).
    pub children: Vec<usize>,
    /// Parent node; `None` for the root.
    pub parent: Option<usize>,
    /// Ids of the minima in the basin, lowest energy first.
    pub members: Vec<i64>,
    /// Energy of the lowest member.
    pub lowest_energy: f64,
    /// The minimum id, for a leaf.
    pub minimum: Option<i64>,
    /// Horizontal position in leaf slots (leaves at 0, 1, 2, ...; a basin at the mean of its
    /// children).
    pub x: f64,
}

/// A built disconnectivity graph.
#[derive(Debug, Clone, PartialEq)]
pub struct DisconnectivityGraph {
    /// Energies of the levels, ascending; the last is the top.
    pub levels: Vec<f64>,
    /// Bottom of the energy axis (lowest shown minimum, or the window's bottom).
    pub bottom: f64,
    /// All nodes; see [`DisconnectivityGraph::root`].
    pub nodes: Vec<BasinNode>,
    /// Index of the root node (the single basin at the top level).
    pub root: usize,
    /// The minima shown, lowest energy first.
    pub leaves: Vec<Leaf>,
    /// The window chosen by [`auto_window`], if it chose one.
    pub auto_window: Option<[f64; 2]>,
    /// Minima given but not drawn (outside the window or beyond `keep_lowest`).
    pub not_shown: usize,
    /// Their ids, lowest energy first.
    pub hidden: Vec<i64>,
    /// Basin nodes at each level, in no particular order.
    level_nodes: Vec<Vec<usize>>,
}

impl DisconnectivityGraph {
    /// Builds the basin tree of `minima` joined by `ts`.
    pub fn build(
        minima: &[MinimumInfo],
        ts: &[TsInfo],
        opts: &DisconnectivityOptions,
    ) -> Result<Self, DisconnectivityError> {
        if opts.energy_window.is_none()
            && opts.auto_window
            && minima.len() > opts.show_all_up_to
            && let Some(window) = auto_window(minima, ts)
        {
            let chosen = DisconnectivityOptions {
                energy_window: Some(window),
                ..opts.clone()
            };
            let mut g = Self::build_in(minima, ts, &chosen)?;
            g.auto_window = Some(window);
            g.note_hidden(minima);
            return Ok(g);
        }
        let mut g = Self::build_in(minima, ts, opts)?;
        g.note_hidden(minima);
        Ok(g)
    }

    /// Records the minima of `minima` that are not drawn, lowest first.
    fn note_hidden(&mut self, minima: &[MinimumInfo]) {
        let shown: std::collections::HashSet<i64> = self.leaves.iter().map(|l| l.id).collect();
        let mut hidden: Vec<&MinimumInfo> =
            minima.iter().filter(|m| !shown.contains(&m.id)).collect();
        hidden.sort_by(|a, b| a.energy.total_cmp(&b.energy).then(a.id.cmp(&b.id)));
        self.not_shown = hidden.len();
        self.hidden = hidden.into_iter().map(|m| m.id).collect();
    }

    fn build_in(
        minima: &[MinimumInfo],
        ts: &[TsInfo],
        opts: &DisconnectivityOptions,
    ) -> Result<Self, DisconnectivityError> {
        let by_id = check_inputs(minima, ts, opts)?;
        // Minima inside the window, lowest first; `pos` maps an input index to its place here.
        let in_window = |e: f64| opts.energy_window.is_none_or(|[lo, hi]| e >= lo && e <= hi);
        let mut order: Vec<usize> = (0..minima.len())
            .filter(|&i| in_window(minima[i].energy))
            .collect();
        order.sort_by(|&a, &b| {
            minima[a]
                .energy
                .total_cmp(&minima[b].energy)
                .then(minima[a].id.cmp(&minima[b].id))
        });
        if order.is_empty() {
            return Err(DisconnectivityError::NoMinima);
        }
        let n = order.len();
        let n_kept = opts.keep_lowest.map_or(n, |k| k.min(n));
        if n_kept == 0 {
            return Err(DisconnectivityError::NoMinima);
        }
        let mut pos = vec![usize::MAX; minima.len()];
        for (p, &i) in order.iter().enumerate() {
            pos[i] = p;
        }
        let energy = |p: usize| minima[order[p]].energy;

        // Usable saddles as (energy, a, b) in window positions, lowest first.
        let mut edges: Vec<(f64, usize, usize)> = ts
            .iter()
            .filter(|t| !t.is_degenerate())
            .filter_map(|t| {
                let a = pos[by_id[&t.min1]];
                let b = pos[by_id[&t.min2]];
                (a != usize::MAX && b != usize::MAX).then_some((t.energy, a, b))
            })
            .collect();
        edges.sort_by(|x, y| x.0.total_cmp(&y.0));

        let bottom = opts.energy_window.map_or(energy(0), |[lo, _]| lo);
        let levels = match opts.energy_window {
            Some([lo, hi]) => window_levels(lo, hi, opts.levels),
            None => {
                let data_top = last_useful_saddle(n, n_kept, &edges).max(energy(n_kept - 1));
                data_levels(bottom, data_top, opts.levels)
            }
        };
        let mut g = DisconnectivityGraph {
            levels,
            bottom,
            nodes: Vec::new(),
            root: 0,
            leaves: order[..n_kept]
                .iter()
                .map(|&i| Leaf {
                    id: minima[i].id,
                    energy: minima[i].energy,
                    accuracy: minima[i].accuracy,
                })
                .collect(),
            auto_window: None,
            not_shown: 0,
            hidden: Vec::new(),
            level_nodes: Vec::new(),
        };
        g.grow(n, n_kept, &edges);
        g.arrange();
        Ok(g)
    }

    /// Creates the nodes level by level. Positions `0..n_kept` are the shown minima, the rest
    /// only carry connectivity.
    fn grow(&mut self, n: usize, n_kept: usize, edges: &[(f64, usize, usize)]) {
        let mut dsu = UnionFind::new(n);
        // Current node of each shown minimum's basin (or its leaf before it first appears).
        let mut current: Vec<usize> = Vec::with_capacity(n_kept);
        for leaf in &self.leaves {
            current.push(self.nodes.len());
            self.nodes.push(BasinNode {
                level: None,
                energy: leaf.energy,
                children: Vec::new(),
                parent: None,
                members: vec![leaf.id],
                lowest_energy: leaf.energy,
                minimum: Some(leaf.id),
                x: 0.0,
            });
        }
        let mut next_edge = 0;
        let mut node_of_root: Vec<usize> = vec![usize::MAX; n];
        let n_levels = self.levels.len();
        for k in 0..n_levels {
            let level = self.levels[k];
            let is_top = k + 1 == n_levels;
            while next_edge < edges.len() && edges[next_edge].0 < level {
                let (_, a, b) = edges[next_edge];
                dsu.union(a, b);
                next_edge += 1;
            }
            let mut here = Vec::new();
            let mut used_roots = Vec::new();
            for (p, cur) in current.iter_mut().enumerate() {
                // Minima at or above this level do not exist yet (except at the top, where
                // everything is gathered into the root).
                if !is_top && self.leaves[p].energy >= level {
                    continue;
                }
                let r = if is_top { 0 } else { dsu.find(p) };
                let node = if node_of_root[r] == usize::MAX {
                    let idx = self.nodes.len();
                    self.nodes.push(BasinNode {
                        level: Some(k),
                        energy: level,
                        children: Vec::new(),
                        parent: None,
                        members: Vec::new(),
                        lowest_energy: f64::INFINITY,
                        minimum: None,
                        x: 0.0,
                    });
                    node_of_root[r] = idx;
                    here.push(idx);
                    used_roots.push(r);
                    idx
                } else {
                    node_of_root[r]
                };
                let child = *cur;
                if self.nodes[child].parent.is_none() {
                    self.nodes[child].parent = Some(node);
                    self.nodes[node].children.push(child);
                }
                let leaf = self.leaves[p];
                let basin = &mut self.nodes[node];
                basin.members.push(leaf.id);
                basin.lowest_energy = basin.lowest_energy.min(leaf.energy);
                *cur = node;
            }
            // Reset only the entries used, so each level costs O(shown minima).
            for r in used_roots {
                node_of_root[r] = usize::MAX;
            }
            self.level_nodes.push(here);
        }
        // The top level holds every shown minimum, so it has exactly one node.
        self.root = self
            .level_nodes
            .last()
            .and_then(|v| v.first())
            .copied()
            .unwrap_or(0);
    }

    /// Orders children (the global minimum's branch in the middle, larger branches nearer the
    /// middle) and assigns horizontal positions.
    fn arrange(&mut self) {
        let gmin = self.leaves.first().map(|l| l.id);
        for i in 0..self.nodes.len() {
            let mut kids = std::mem::take(&mut self.nodes[i].children);
            kids.sort_by(|&a, &b| {
                let (na, nb) = (&self.nodes[a], &self.nodes[b]);
                // Members are in energy order, so a basin holds the global minimum iff it is first.
                let ga = na.members.first() == gmin.as_ref();
                let gb = nb.members.first() == gmin.as_ref();
                gb.cmp(&ga)
                    .then(nb.members.len().cmp(&na.members.len()))
                    .then(na.lowest_energy.total_cmp(&nb.lowest_energy))
            });
            // Alternate right/left outwards from the centre: [.., 3, 1, 0, 2, 4, ..].
            let mut arranged = std::collections::VecDeque::with_capacity(kids.len());
            for (j, c) in kids.into_iter().enumerate() {
                if j % 2 == 1 {
                    arranged.push_front(c);
                } else {
                    arranged.push_back(c);
                }
            }
            self.nodes[i].children = arranged.into();
        }
        // Depth-first: leaves take consecutive slots, a basin sits at the mean of its children.
        let mut next_slot = 0.0;
        let mut stack = vec![(self.root, false)];
        while let Some((i, done)) = stack.pop() {
            if self.nodes[i].children.is_empty() {
                self.nodes[i].x = next_slot;
                next_slot += 1.0;
            } else if done {
                let kids = &self.nodes[i].children;
                let x = kids.iter().map(|&c| self.nodes[c].x).sum::<f64>() / kids.len() as f64;
                self.nodes[i].x = x;
            } else {
                stack.push((i, true));
                for &c in self.nodes[i].children.iter().rev() {
                    stack.push((c, false));
                }
            }
        }
    }

    /// The basins at level `k` as sorted lists of minimum ids, sorted; empty if `k` is out of
    /// range.
    pub fn basins_at(&self, k: usize) -> Vec<Vec<i64>> {
        let mut out: Vec<Vec<i64>> = self
            .level_nodes
            .get(k)
            .map(|v| {
                v.iter()
                    .map(|&i| {
                        let mut m = self.nodes[i].members.clone();
                        m.sort_unstable();
                        m
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Basin node indices at level `k`.
    pub fn nodes_at(&self, k: usize) -> &[usize] {
        self.level_nodes.get(k).map_or(&[], Vec::as_slice)
    }

    /// The lowest level at which minima `a` and `b` share a basin, if both are shown.
    pub fn merge_level(&self, a: i64, b: i64) -> Option<usize> {
        let leaf = self.nodes.iter().position(|n| n.minimum == Some(a))?;
        self.nodes.iter().position(|n| n.minimum == Some(b))?;
        let mut i = self.nodes[leaf].parent;
        while let Some(node) = i {
            if self.nodes[node].members.contains(&b) {
                return self.nodes[node].level;
            }
            i = self.nodes[node].parent;
        }
        None
    }

    /// For every node, the accuracy class shared by all minima below it, or `None` if they
    /// differ. The first nodes are the leaves in the order of `leaves`, and children precede
    /// parents, so one pass upwards suffices.
    /// The value each node is coloured by: a leaf's own value, a basin's if all its children
    /// agree (within `tol`), else `None` (a mixed basin). `NaN` values never agree.
    fn node_values(&self, leaf_value: impl Fn(&Leaf) -> f64, tol: f64) -> Vec<Option<f64>> {
        let mut out: Vec<Option<f64>> = vec![None; self.nodes.len()];
        // Children are created before their parents, so one pass in index order suffices.
        for (i, node) in self.nodes.iter().enumerate() {
            out[i] = if let Some(leaf) = self.leaves.get(i) {
                Some(leaf_value(leaf)).filter(|v| v.is_finite())
            } else {
                let first = node.children.first().and_then(|&c| out[c]);
                first.filter(|f| {
                    node.children
                        .iter()
                        .all(|&c| out[c].is_some_and(|v| (v - f).abs() <= tol))
                })
            };
        }
        out
    }

    /// Draws the graph as a standalone SVG document.
    ///
    /// Branches are coloured as `opts.colouring` says: by training accuracy on the fixed scale
    /// 0–1 (the same colour means the same accuracy in every graph), by the energy of the
    /// basin's lowest minimum, or by how often basin-hopping reached each minimum. A gradient
    /// legend on the right gives the scale.
    pub fn to_svg(&self, opts: &SvgOptions) -> String {
        let (values, scale) = self.colour_values(&opts.colouring);
        let frame = Frame::new(self, opts);
        let mut s = String::new();
        svg::open_document(&mut s, frame.w, frame.h, frame.font);
        // The title over the plot, made smaller and moved inwards where a narrow figure would
        // cut it (DejaVu Sans averages a little over half an em per character).
        let chars = opts.title.chars().count().max(1) as f64;
        let size = (16.0 * frame.k).min((frame.w - 20.0) / (0.58 * chars));
        let half = 0.29 * size * chars;
        let centre = (frame.left + frame.plot_w / 2.0)
            .clamp(half + 10.0, (frame.w - half - 10.0).max(half + 10.0));
        svg::title(&mut s, centre, 26.0 * frame.k, size, &opts.title);
        self.draw_energy_axis(&mut s, &frame, opts);
        self.draw_branches(&mut s, &frame, &values, &scale);
        if opts.label_ids {
            self.draw_ids(&mut s, &frame);
        }
        // The mixed-basin key only where a drawn branch is mixed.
        let mixed = self
            .nodes
            .iter()
            .enumerate()
            .any(|(i, n)| (n.parent.is_some() || i == self.root) && values[i].is_none());
        self.draw_legend(&mut s, &frame, &scale, mixed);
        s.push_str("</svg>");
        s
    }

    /// The value of every node that `colouring` colours by (`None`: a mixed basin), and the
    /// colour scale of the legend.
    fn colour_values(&self, colouring: &Colouring) -> (Vec<Option<f64>>, ColourScale) {
        match colouring {
            Colouring::Accuracy => (
                self.node_values(|l| l.accuracy, 1e-6),
                ColourScale {
                    title: "training accuracy".into(),
                    note: "fixed scale: same in every graph".into(),
                    lo: 0.0,
                    hi: 1.0,
                    log: false,
                },
            ),
            Colouring::Energy => {
                let mut v = self.node_values(|l| l.energy, 0.0);
                for (i, node) in self.nodes.iter().enumerate() {
                    if i >= self.leaves.len() {
                        v[i] = Some(node.lowest_energy).filter(|e| e.is_finite());
                    }
                }
                (
                    v,
                    ColourScale {
                        title: "lowest energy in the basin".into(),
                        note: "range of this graph".into(),
                        lo: self.bottom,
                        hi: self
                            .leaves
                            .iter()
                            .map(|l| l.energy)
                            .fold(self.bottom, f64::max)
                            .max(self.bottom + f64::EPSILON),
                        log: false,
                    },
                )
            }
            Colouring::Hits(hits) => {
                let value = |l: &Leaf| hits.get(&l.id).map_or(f64::NAN, |&h| h as f64);
                let max = self
                    .leaves
                    .iter()
                    .map(value)
                    .filter(|v| v.is_finite())
                    .fold(1.0, f64::max);
                (
                    self.node_values(|l| value(l).max(1.0), 0.0),
                    ColourScale {
                        title: "times found by the searches".into(),
                        note: "log scale, range of this graph".into(),
                        lo: 1.0,
                        hi: max.max(10.0),
                        log: true,
                    },
                )
            }
        }
    }

    /// The energy axis with round ticks, and its label: absolute energies, or energies above
    /// the lowest drawn minimum when `opts.relative_energy`.
    fn draw_energy_axis(&self, s: &mut String, f: &Frame, opts: &SvgOptions) {
        let (left, top) = (f.left, f.top);
        let lowest = self
            .leaves
            .iter()
            .map(|l| l.energy)
            .fold(f64::INFINITY, f64::min);
        let origin = if opts.relative_energy && lowest.is_finite() {
            lowest
        } else {
            0.0
        };
        let _ = write!(
            s,
            r#"<line x1="{left}" y1="{top}" x2="{left}" y2="{:.2}" stroke="black"/>"#,
            top + f.plot_h
        );
        for t in nice_ticks(self.bottom - origin, f.e_top - origin, 6) {
            let ty = f.y(t + origin);
            let _ = write!(
                s,
                r#"<line x1="{:.2}" y1="{ty:.2}" x2="{left}" y2="{ty:.2}" stroke="black"/><text class="tick" x="{:.2}" y="{:.2}" text-anchor="end">{}</text>"#,
                left - 5.0,
                left - 8.0,
                ty + 4.0,
                escape_xml(&format_tick(t, f.e_span))
            );
        }
        let label = if opts.relative_energy {
            format!(
                "{} − E_min  (E_min = {})",
                opts.energy_label,
                crate::plot::plain_number(origin)
            )
        } else {
            opts.energy_label.clone()
        };
        svg::vertical_label(s, 18.0 * f.k, top + f.plot_h / 2.0, f.font, &label);
    }

    /// Each node joined to its parent, coloured by its value; a stub above the root.
    fn draw_branches(
        &self,
        s: &mut String,
        f: &Frame,
        values: &[Option<f64>],
        scale: &ColourScale,
    ) {
        let _ = write!(
            s,
            r#"<g stroke-width="1.8" fill="none" stroke-linecap="round">"#
        );
        for (i, node) in self.nodes.iter().enumerate() {
            let Some(p) = node.parent else { continue };
            let colour = values[i].map_or(MIXED_COLOUR.to_owned(), |v| scale.colour(v));
            let _ = write!(
                s,
                r#"<line class="branch" x1="{:.2}" y1="{:.2}" x2="{:.2}" y2="{:.2}" stroke="{colour}"/>"#,
                f.x(node.x),
                f.y(node.energy),
                f.x(self.nodes[p].x),
                f.y(self.nodes[p].energy)
            );
        }
        // A short stub above the root, so the top join is visible, in the root basin's colour.
        let root = &self.nodes[self.root];
        let colour = values[self.root].map_or(MIXED_COLOUR.to_owned(), |v| scale.colour(v));
        let _ = write!(
            s,
            r#"<line x1="{0:.2}" y1="{1:.2}" x2="{0:.2}" y2="{2:.2}" stroke="{colour}"/>"#,
            f.x(root.x),
            f.y(root.energy),
            f.y(root.energy) - 8.0
        );
        s.push_str("</g>");
    }

    /// Minimum ids under the branch ends, turned upright when the slots are narrow.
    fn draw_ids(&self, s: &mut String, f: &Frame) {
        let slot_w = f.plot_w / f.n_slots;
        for (i, leaf) in self.leaves.iter().enumerate() {
            let (lx, ly) = (f.x(self.nodes[i].x), f.y(leaf.energy) + 4.0);
            if slot_w >= 22.0 {
                let _ = write!(
                    s,
                    r#"<text class="id" x="{lx:.2}" y="{:.2}" text-anchor="middle" font-size="{:.1}">{}</text>"#,
                    ly + 9.0 * f.k,
                    10.0 * f.k,
                    leaf.id
                );
            } else {
                let _ = write!(
                    s,
                    r#"<text class="id" x="{lx:.2}" y="{ly:.2}" text-anchor="end" font-size="{:.1}" transform="rotate(-90 {lx:.2} {ly:.2})" dy="3.5">{}</text>"#,
                    10.0 * f.k,
                    leaf.id
                );
            }
        }
    }

    /// The legend: the colour scale as a gradient bar with labelled ticks, the mixed-basin
    /// colour where a basin is mixed, and the minima not drawn (with the automatic window that
    /// left them out, if it did).
    fn draw_legend(&self, s: &mut String, f: &Frame, scale: &ColourScale, mixed: bool) {
        let k = f.k;
        let lx = f.w - f.right + 24.0 * k;
        let top = f.top;
        let (bar_top, bar_h, bar_w) = (
            top + 46.0 * k,
            (f.plot_h - 130.0 * k).clamp(80.0, 260.0),
            18.0 * k,
        );
        let _ = write!(
            s,
            r#"<text x="{lx:.1}" y="{top:.1}" font-size="{:.1}">{}</text>"#,
            13.0 * k,
            escape_xml(&scale.title)
        );
        // The note on lines of its own (split after ':' or ','), so it fits the legend.
        for (i, line) in scale.note.split_inclusive([':', ',']).enumerate() {
            let _ = write!(
                s,
                r##"<text x="{lx:.1}" y="{:.1}" font-size="{:.1}" fill="#444">{}</text>"##,
                top + (15.0 + 13.0 * i as f64) * k,
                11.0 * k,
                escape_xml(line.trim())
            );
        }
        s.push_str(r#"<defs><linearGradient id="scale" x1="0" y1="1" x2="0" y2="0">"#);
        for i in 0..=10 {
            let t = i as f64 / 10.0;
            let _ = write!(s, r#"<stop offset="{t:.1}" stop-color="{}"/>"#, ramp(t));
        }
        s.push_str("</linearGradient></defs>");
        let _ = write!(
            s,
            r#"<rect x="{lx:.1}" y="{bar_top:.1}" width="{bar_w:.1}" height="{bar_h:.1}" fill="url(#scale)" stroke="black" stroke-width="0.5"/>"#
        );
        for (v, label) in scale.ticks() {
            let ty = bar_top + bar_h * (1.0 - scale.position(v));
            let _ = write!(
                s,
                r#"<line x1="{:.1}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="black"/><text class="legend" x="{:.1}" y="{:.1}" font-size="{:.1}">{}</text>"#,
                lx + bar_w,
                lx + bar_w + 4.0 * k,
                lx + bar_w + 7.0 * k,
                ty + 4.0 * k,
                12.0 * k,
                escape_xml(&label)
            );
        }
        let mut my = bar_top + bar_h + 24.0 * k;
        if mixed {
            let _ = write!(
                s,
                r#"<line x1="{lx:.1}" y1="{my:.1}" x2="{:.1}" y2="{my:.1}" stroke="{MIXED_COLOUR}" stroke-width="3"/><text class="legend" x="{:.1}" y="{:.1}" font-size="{:.1}">mixed basin</text>"#,
                lx + bar_w,
                lx + bar_w + 7.0 * k,
                my + 4.0 * k,
                12.0 * k
            );
            my += 14.0 * k;
        }
        let mut lines = Vec::new();
        if let Some([lo, hi]) = self.auto_window {
            lines.push("energy window".to_string());
            lines.push(format!(
                "{}–{},",
                format_tick(lo, hi - lo),
                format_tick(hi, hi - lo)
            ));
            lines.push("chosen to keep the low".to_string());
            lines.push("minima apart;".to_string());
        }
        if self.not_shown > 0 {
            lines.push(format!(
                "{} {} not shown:",
                self.not_shown,
                if self.not_shown == 1 {
                    "minimum"
                } else {
                    "minima"
                }
            ));
            lines.extend(hidden_id_lines(&self.hidden));
        }
        for (i, line) in lines.iter().enumerate() {
            let _ = write!(
                s,
                r##"<text x="{lx:.1}" y="{:.1}" font-size="{:.1}" fill="#444">{}</text>"##,
                my + (14.0 + 14.0 * i as f64) * k,
                11.0 * k,
                escape_xml(line)
            );
        }
    }
}

/// The ids of hidden minima for the legend: "ids 7, 9, 12," lines of a few ids each, the first
/// [`HIDDEN_IDS_LISTED`] of them, then how many more.
fn hidden_id_lines(ids: &[i64]) -> Vec<String> {
    let listed: Vec<String> = ids
        .iter()
        .take(HIDDEN_IDS_LISTED)
        .map(i64::to_string)
        .collect();
    let mut lines: Vec<String> = listed
        .chunks(4)
        .map(|c| format!("{},", c.join(", ")))
        .collect();
    if let Some(first) = lines.first_mut() {
        *first = format!("ids {first}");
    }
    if let Some(last) = lines.last_mut() {
        last.pop();
    }
    if ids.len() > HIDDEN_IDS_LISTED {
        lines.push(format!("and {} more", ids.len() - HIDDEN_IDS_LISTED));
    }
    lines
}

/// Most hidden minimum ids a graph's legend lists.
const HIDDEN_IDS_LISTED: usize = 12;

/// Where a disconnectivity graph is drawn: margins, plot area and the maps from energy and
/// slot to pixels.
struct Frame {
    /// Font size of tick labels; every other size and the margins scale with it.
    font: f64,
    /// `font` over the default 13.
    k: f64,
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    plot_w: f64,
    plot_h: f64,
    e_top: f64,
    e_span: f64,
    n_slots: f64,
}

impl Frame {
    fn new(g: &DisconnectivityGraph, opts: &SvgOptions) -> Self {
        let e_top = g.levels.last().copied().unwrap_or(g.bottom + 1.0);
        let (w, h) = (opts.width.max(200.0), opts.height.max(150.0));
        let font = if opts.font_size.is_finite() && opts.font_size > 0.0 {
            opts.font_size
        } else {
            SvgOptions::default().font_size
        };
        let k = font / 13.0;
        let label_room = if opts.label_ids { 34.0 * k } else { 0.0 };
        let (left, right, top, bottom) = (100.0 * k, 215.0 * k, 50.0 * k, 30.0 * k + label_room);
        Frame {
            font,
            k,
            w,
            h,
            left,
            right,
            top,
            plot_w: w - left - right,
            plot_h: h - top - bottom,
            e_top,
            e_span: (e_top - g.bottom).max(f64::MIN_POSITIVE),
            n_slots: g.leaves.len().max(1) as f64,
        }
    }

    /// Pixel height of energy `e`.
    fn y(&self, e: f64) -> f64 {
        self.top + (self.e_top - e) / self.e_span * self.plot_h
    }

    /// Pixel position of slot `slot` (leaves sit at whole slots, basins between).
    fn x(&self, slot: f64) -> f64 {
        self.left + (slot + 0.5) / self.n_slots * self.plot_w
    }
}

/// Refuses options and points a graph cannot be built from; returns each minimum's input
/// index by id.
fn check_inputs(
    minima: &[MinimumInfo],
    ts: &[TsInfo],
    opts: &DisconnectivityOptions,
) -> Result<HashMap<i64, usize>, DisconnectivityError> {
    if opts.levels == 0 {
        return Err(DisconnectivityError::NoLevels);
    }
    if let Some([lo, hi]) = opts.energy_window
        && !(lo.is_finite() && hi.is_finite() && lo < hi)
    {
        return Err(DisconnectivityError::BadWindow { lo, hi });
    }
    let mut by_id = HashMap::with_capacity(minima.len());
    for (i, m) in minima.iter().enumerate() {
        if !m.energy.is_finite() {
            return Err(DisconnectivityError::NonFinite {
                kind: "minimum",
                id: m.id,
            });
        }
        if by_id.insert(m.id, i).is_some() {
            return Err(DisconnectivityError::DuplicateId(m.id));
        }
    }
    for t in ts {
        if !t.energy.is_finite() {
            return Err(DisconnectivityError::NonFinite {
                kind: "transition state",
                id: t.id,
            });
        }
        for m in [t.min1, t.min2] {
            if !by_id.contains_key(&m) {
                return Err(DisconnectivityError::UnknownMinimum {
                    ts: t.id,
                    minimum: m,
                });
            }
        }
    }
    Ok(by_id)
}

/// `levels` evenly spaced levels over the window `(lo, hi]`, the last exactly `hi`.
fn window_levels(lo: f64, hi: f64, levels: usize) -> Vec<f64> {
    let d = (hi - lo) / levels as f64;
    (0..levels)
        .map(|k| {
            if k + 1 == levels {
                hi
            } else {
                lo + (k + 1) as f64 * d
            }
        })
        .collect()
}

/// `levels` levels above `bottom`, spaced so the level below the top sits half a spacing above
/// `data_top` (the highest joining saddle): its merge shows below the top, where unjoined
/// basins hang.
fn data_levels(bottom: f64, data_top: f64, levels: usize) -> Vec<f64> {
    let span = data_top - bottom;
    let mut d = span / (levels as f64 - 1.5).max(0.5);
    if d <= 0.0 || !d.is_finite() {
        // A single minimum (or all at one energy): any positive spacing draws it.
        d = 0.01 * bottom.abs().max(1.0);
    }
    (0..levels).map(|k| bottom + (k + 1) as f64 * d).collect()
}

/// Scans the saddles in energy order (Kruskal) and returns the energy of the last one that
/// joins two groups of minima both containing a shown minimum; `-inf` if none does.
fn last_useful_saddle(n: usize, n_kept: usize, edges: &[(f64, usize, usize)]) -> f64 {
    let mut dsu = UnionFind::new(n);
    let mut has_kept: Vec<bool> = (0..n).map(|p| p < n_kept).collect();
    let mut last = f64::NEG_INFINITY;
    for &(e, a, b) in edges {
        let (ra, rb) = (dsu.find(a), dsu.find(b));
        if ra == rb {
            continue;
        }
        let both = has_kept[ra] && has_kept[rb];
        let either = has_kept[ra] || has_kept[rb];
        dsu.union(ra, rb);
        let r = dsu.find(ra);
        has_kept[r] = either;
        if both {
            last = e;
        }
    }
    last
}

/// What the branches' colours show.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Colouring {
    /// Training accuracy, on the fixed scale 0–1 shared by every graph.
    #[default]
    Accuracy,
    /// Energy of the basin's lowest minimum, on this graph's range.
    Energy,
    /// How often the searches reached each minimum (the `times_found` of the database, by
    /// minimum id), on a log scale; basins are coloured only where their minima agree.
    Hits(HashMap<i64, i64>),
}

/// How the picture is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct SvgOptions {
    /// Width in pixels.
    pub width: f64,
    /// Height in pixels.
    pub height: f64,
    /// Title above the graph.
    pub title: String,
    /// Label of the energy axis.
    pub energy_label: String,
    /// What the colours show.
    pub colouring: Colouring,
    /// Write each minimum's database id under its branch.
    pub label_ids: bool,
    /// Font size of the tick labels in pixels; titles, legend and margins scale with it.
    pub font_size: f64,
    /// Label the energy axis with energies above the lowest drawn minimum (the global
    /// minimum unless a window cuts it) instead of absolute energies; the label says which.
    pub relative_energy: bool,
}

impl Default for SvgOptions {
    fn default() -> Self {
        Self {
            width: 800.0,
            height: 600.0,
            title: "Disconnectivity graph".to_string(),
            energy_label: "loss E".to_string(),
            colouring: Colouring::Accuracy,
            label_ids: false,
            font_size: 13.0,
            relative_energy: false,
        }
    }
}

/// Branches of basins whose minima have different values.
const MIXED_COLOUR: &str = "#9a9a9a";

/// The colour ramp at `t` in `[0, 1]`: the lower four fifths of viridis (dark purple → blue →
/// teal → green; ordered in lightness, so it reads in grey and for colour-blind readers),
/// stopping before its pale yellow, which thin branches on white would not show.
pub fn ramp(t: f64) -> String {
    const ANCHORS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (65.0, 68.0, 135.0),
        (42.0, 120.0, 142.0),
        (34.0, 168.0, 132.0),
        (122.0, 209.0, 81.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let f = t * (ANCHORS.len() - 1) as f64;
    let i = (f.floor() as usize).min(ANCHORS.len() - 2);
    let u = f - i as f64;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * u).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// A value range mapped onto [`ramp`].
struct ColourScale {
    title: String,
    note: String,
    lo: f64,
    hi: f64,
    log: bool,
}

impl ColourScale {
    /// Where `v` sits on the scale, in `[0, 1]`.
    fn position(&self, v: f64) -> f64 {
        let (lo, hi, v) = if self.log {
            (self.lo.log10(), self.hi.log10(), v.max(self.lo).log10())
        } else {
            (self.lo, self.hi, v)
        };
        if hi > lo {
            ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
        } else {
            0.5
        }
    }

    fn colour(&self, v: f64) -> String {
        ramp(self.position(v))
    }

    /// Labelled ticks of the legend.
    fn ticks(&self) -> Vec<(f64, String)> {
        if self.log {
            let mut out = Vec::new();
            let mut v = 1.0;
            while v <= self.hi * (1.0 + 1e-9) {
                out.push((v, format!("{v}")));
                v *= 10.0;
            }
            return out;
        }
        if self.lo == 0.0 && self.hi == 1.0 {
            return [0.0, 0.25, 0.5, 0.75, 1.0]
                .iter()
                .map(|&v| (v, crate::plot::plain_number(v)))
                .collect();
        }
        let span = self.hi - self.lo;
        nice_ticks(self.lo, self.hi, 5)
            .into_iter()
            .map(|v| (v, format_tick(v, span)))
            .collect()
    }
}

/// About `target` round-numbered ticks covering `[lo, hi]`.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return if lo.is_finite() { vec![lo] } else { Vec::new() };
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

fn format_tick(t: f64, span: f64) -> String {
    let decimals = if span > 0.0 {
        (2.0 - span.log10().floor()).clamp(0.0, 8.0) as usize
    } else {
        3
    };
    format!("{t:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::points::fixtures::ts;

    fn min(id: i64, energy: f64, accuracy: f64) -> MinimumInfo {
        MinimumInfo {
            id,
            energy,
            accuracy,
            coords: vec![],
            ln_prod_positive: 0.0,
            hessian_index: 0,
        }
    }

    /// Minima at 0,1,2,3,4 (ids 10..14); saddles: 10-11 at 2.5, 12-13 at 3.5, 11-12 at 5.5,
    /// a degenerate one on 14 at 1.0; minimum 14 is connected to nothing.
    fn network() -> (Vec<MinimumInfo>, Vec<TsInfo>) {
        let minima = vec![
            min(12, 2.0, 0.5),
            min(10, 0.0, 1.0),
            min(11, 1.0, 1.0),
            min(13, 3.0, 0.75),
            min(14, 4.0, 0.5),
        ];
        let mut degenerate = ts(5, 4.5, 14, 14);
        degenerate.degenerate = true;
        let t = vec![
            ts(1, 2.5, 10, 11),
            ts(2, 3.5, 12, 13),
            ts(3, 5.5, 11, 12),
            degenerate,
        ];
        (minima, t)
    }

    #[test]
    fn basins_follow_known_merge_levels() {
        let (m, t) = network();
        // Window [0, 8] with 8 levels: levels at 1, 2, ..., 8.
        let opts = DisconnectivityOptions {
            levels: 8,
            energy_window: Some([0.0, 8.0]),
            keep_lowest: None,
            auto_window: false,
            show_all_up_to: 40,
        };
        let g = DisconnectivityGraph::build(&m, &t, &opts).unwrap();
        assert_eq!(g.levels, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        assert_eq!(g.basins_at(0), vec![vec![10]]); // only the global minimum below 1
        assert_eq!(g.basins_at(1), vec![vec![10], vec![11]]);
        assert_eq!(g.basins_at(2), vec![vec![10, 11], vec![12]]);
        assert_eq!(g.basins_at(3), vec![vec![10, 11], vec![12, 13]]);
        assert_eq!(g.basins_at(4), vec![vec![10, 11], vec![12, 13], vec![14]]);
        assert_eq!(g.basins_at(5), vec![vec![10, 11, 12, 13], vec![14]]);
        assert_eq!(g.basins_at(6), vec![vec![10, 11, 12, 13], vec![14]]);
        // 14 is joined by no usable saddle: it hangs to the top.
        assert_eq!(g.basins_at(7), vec![vec![10, 11, 12, 13, 14]]);
        assert_eq!(g.merge_level(10, 11), Some(2));
        assert_eq!(g.merge_level(12, 13), Some(3));
        assert_eq!(g.merge_level(13, 10), Some(5));
        assert_eq!(g.merge_level(14, 10), Some(7));
        let root = &g.nodes[g.root];
        assert_eq!(root.level, Some(7));
        assert_eq!(root.lowest_energy, 0.0);
        assert_eq!(root.members.len(), 5);
        // Every node except the root has a parent one level up (leaves: any level).
        for (i, n) in g.nodes.iter().enumerate() {
            if i == g.root {
                assert!(n.parent.is_none());
                continue;
            }
            let p = &g.nodes[n.parent.unwrap()];
            if let Some(l) = n.level {
                assert_eq!(p.level, Some(l + 1));
            }
            assert!(p.energy >= n.energy);
        }
    }

    #[test]
    fn default_levels_reach_above_the_highest_joining_saddle() {
        let (m, t) = network();
        let g = DisconnectivityGraph::build(&m, &t, &DisconnectivityOptions::default()).unwrap();
        let n = DEFAULT_LEVELS;
        assert_eq!(g.levels.len(), n);
        assert_eq!(g.bottom, 0.0);
        // Highest useful saddle 5.5, spacing 5.5/(n - 1.5): the level below the top half a
        // spacing above it.
        let d = 5.5 / (n as f64 - 1.5);
        assert!((g.levels[n - 2] - (5.5 + d / 2.0)).abs() < 1e-12);
        assert!((g.levels[n - 1] - n as f64 * d).abs() < 1e-12);
        assert!((g.levels[0] - d).abs() < 1e-12);
        assert_eq!(g.basins_at(n - 1).len(), 1);
        assert_eq!(g.basins_at(n - 2), vec![vec![10, 11, 12, 13], vec![14]]);
    }

    #[test]
    fn keep_lowest_keeps_connectivity_through_hidden_minima() {
        // 0 and 1 joined only through hidden minimum 2 (energy 2) at saddles 2.5 and 3.
        let m = vec![min(0, 0.0, 1.0), min(1, 1.0, 1.0), min(2, 2.0, 1.0)];
        let t = vec![ts(0, 2.5, 0, 2), ts(1, 3.0, 2, 1)];
        let opts = DisconnectivityOptions {
            levels: 4,
            energy_window: Some([0.0, 4.0]),
            keep_lowest: Some(2),
            auto_window: false,
            show_all_up_to: 40,
        };
        let g = DisconnectivityGraph::build(&m, &t, &opts).unwrap();
        assert_eq!(g.leaves.len(), 2);
        assert_eq!(g.basins_at(2), vec![vec![0], vec![1]]);
        assert_eq!(g.basins_at(3), vec![vec![0, 1]]);
        // Without a window, the level below the top sits half a spacing above the saddle at 3.
        let opts = DisconnectivityOptions {
            levels: 4,
            energy_window: None,
            keep_lowest: Some(2),
            auto_window: false,
            show_all_up_to: 40,
        };
        let g = DisconnectivityGraph::build(&m, &t, &opts).unwrap();
        assert!((g.levels[2] - 3.6).abs() < 1e-12);
        assert_eq!(g.basins_at(2), vec![vec![0, 1]]);
        assert_eq!(g.basins_at(1), vec![vec![0], vec![1]]);
    }

    #[test]
    fn errors_are_values() {
        let (m, mut t) = network();
        let o = DisconnectivityOptions::default();
        assert_eq!(
            DisconnectivityGraph::build(&[], &[], &o),
            Err(DisconnectivityError::NoMinima)
        );
        let bad = DisconnectivityOptions {
            levels: 0,
            ..o.clone()
        };
        assert_eq!(
            DisconnectivityGraph::build(&m, &t, &bad),
            Err(DisconnectivityError::NoLevels)
        );
        let bad = DisconnectivityOptions {
            energy_window: Some([1.0, 1.0]),
            ..o.clone()
        };
        assert!(matches!(
            DisconnectivityGraph::build(&m, &t, &bad),
            Err(DisconnectivityError::BadWindow { .. })
        ));
        let bad = DisconnectivityOptions {
            energy_window: Some([10.0, 11.0]),
            ..o.clone()
        };
        assert_eq!(
            DisconnectivityGraph::build(&m, &t, &bad),
            Err(DisconnectivityError::NoMinima)
        );
        t.push(ts(9, 1.0, 10, 99));
        assert_eq!(
            DisconnectivityGraph::build(&m, &t, &o),
            Err(DisconnectivityError::UnknownMinimum { ts: 9, minimum: 99 })
        );
        let mut m2 = m.clone();
        m2.push(min(10, 0.5, 1.0));
        assert_eq!(
            DisconnectivityGraph::build(&m2, &[], &o),
            Err(DisconnectivityError::DuplicateId(10))
        );
    }

    #[test]
    fn single_minimum_draws() {
        let g = DisconnectivityGraph::build(
            &[min(1, -2.0, 1.0)],
            &[],
            &DisconnectivityOptions::default(),
        )
        .unwrap();
        assert_eq!(g.basins_at(19), vec![vec![1]]);
        assert!(g.levels.windows(2).all(|w| w[1] > w[0]));
        assert!(g.to_svg(&SvgOptions::default()).contains("<line"));
    }

    #[test]
    fn layout_centres_the_global_minimum_branch() {
        // Root joins three basins of sizes 1 (gmin), 3, 2: the gmin branch sits between them,
        // the largest next to it on the left.
        let m: Vec<MinimumInfo> = (0..6).map(|i| min(i, i as f64 * 0.1, 1.0)).collect();
        let t = vec![ts(0, 1.0, 1, 2), ts(1, 1.0, 2, 3), ts(2, 1.0, 4, 5)];
        let opts = DisconnectivityOptions {
            levels: 2,
            energy_window: Some([0.0, 4.0]),
            keep_lowest: None,
            auto_window: false,
            show_all_up_to: 40,
        };
        let g = DisconnectivityGraph::build(&m, &t, &opts).unwrap();
        let root = &g.nodes[g.root];
        let sizes: Vec<usize> = root
            .children
            .iter()
            .map(|&c| g.nodes[c].members.len())
            .collect();
        assert_eq!(sizes, vec![3, 1, 2]);
        let gmin_leaf = g.nodes.iter().find(|n| n.minimum == Some(0)).unwrap();
        assert_eq!(gmin_leaf.x, 3.0);
        // Leaves occupy distinct slots 0..6.
        let mut xs: Vec<f64> = g
            .nodes
            .iter()
            .filter(|n| n.minimum.is_some())
            .map(|n| n.x)
            .collect();
        xs.sort_by(f64::total_cmp);
        assert_eq!(xs, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn svg_has_axis_legend_and_title() {
        let (m, t) = network();
        let g = DisconnectivityGraph::build(&m, &t, &DisconnectivityOptions::default()).unwrap();
        let svg = g.to_svg(&SvgOptions {
            title: "XOR <n_h=2>".into(),
            ..SvgOptions::default()
        });
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(
            svg.contains(
                r#"XOR &lt;n<tspan baseline-shift="sub" font-size="12.0">h</tspan>=2&gt;"#
            )
        );
        assert!(svg.contains("training accuracy"));
        for label in ["0", "0.25", "0.5", "0.75", "1", "mixed basin"] {
            assert!(
                svg.contains(&format!(">{label}</text>")),
                "legend entry {label}"
            );
        }
        assert!(svg.contains(">same in every graph</text>"));
        assert_eq!(svg.matches("class=\"branch\"").count(), g.nodes.len() - 1);
    }

    /// Brute force: are `a` and `b` joined by a path of saddles below `level` (both existing)?
    fn joined(m: &[MinimumInfo], t: &[TsInfo], a: i64, b: i64, level: f64) -> bool {
        let exists = |id: i64| m.iter().any(|x| x.id == id && x.energy < level);
        if !exists(a) || !exists(b) {
            return false;
        }
        let mut seen = vec![a];
        let mut frontier = vec![a];
        while let Some(x) = frontier.pop() {
            for e in t.iter().filter(|e| !e.is_degenerate() && e.energy < level) {
                for (u, v) in [(e.min1, e.min2), (e.min2, e.min1)] {
                    if u == x && !seen.contains(&v) {
                        seen.push(v);
                        frontier.push(v);
                    }
                }
            }
        }
        seen.contains(&b)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn merge_levels_match_brute_force(
            energies in proptest::collection::vec(0.0f64..1.0, 1..12),
            saddles in proptest::collection::vec((0usize..12, 0usize..12, 0.0f64..1.5), 0..20),
            levels in 1usize..12,
        ) {
            let m: Vec<MinimumInfo> = energies.iter().enumerate().map(|(i, &e)| min(i as i64, e, 1.0)).collect();
            let n = m.len();
            let t: Vec<TsInfo> = saddles
                .iter()
                .enumerate()
                .map(|(k, &(a, b, h))| {
                    let (a, b) = (a % n, b % n);
                    ts(k as i64, energies[a].max(energies[b]) + h, a as i64, b as i64)
                })
                .collect();
            let g = DisconnectivityGraph::build(&m, &t, &DisconnectivityOptions { levels, auto_window: false, ..Default::default() }).unwrap();
            let top = g.levels.len() - 1;
            for k in 0..g.levels.len() {
                // The basins partition the minima that exist at this level.
                let mut all: Vec<i64> = g.basins_at(k).concat();
                all.sort_unstable();
                let expect: Vec<i64> = if k == top {
                    (0..n as i64).collect()
                } else {
                    (0..n as i64).filter(|&i| m[i as usize].energy < g.levels[k]).collect()
                };
                proptest::prop_assert_eq!(all, expect);
            }
            for a in 0..n as i64 {
                for b in 0..n as i64 {
                    let brute = (0..top).find(|&k| joined(&m, &t, a, b, g.levels[k])).unwrap_or(top);
                    proptest::prop_assert_eq!(g.merge_level(a, b), Some(brute), "pair {} {}", a, b);
                }
            }
        }
    }

    #[test]
    fn large_network_builds_quickly() {
        let n = 2000;
        let m: Vec<MinimumInfo> = (0..n)
            .map(|i| min(i, ((i * 7919) % 1000) as f64 / 1000.0, (i % 5) as f64 / 4.0))
            .collect();
        let t: Vec<TsInfo> = (0..3 * n)
            .map(|k| {
                ts(
                    k,
                    1.0 + (k % 13) as f64 / 13.0,
                    (k * 31) % n,
                    (k * 17 + 5) % n,
                )
            })
            .collect();
        let g = DisconnectivityGraph::build(&m, &t, &DisconnectivityOptions::default()).unwrap();
        assert_eq!(g.nodes[g.root].members.len(), n as usize);
        assert!(g.to_svg(&SvgOptions::default()).len() > 1000);
    }

    #[test]
    fn accuracy_colours_mean_the_same_in_every_graph() {
        // Two graphs with different sets of accuracies: accuracy 1 has one colour in both.
        let (m, t) = network();
        let mut other = m.clone();
        for x in &mut other {
            x.accuracy = if x.accuracy == 1.0 { 1.0 } else { 0.25 };
        }
        let a = DisconnectivityGraph::build(&m, &t, &DisconnectivityOptions::default()).unwrap();
        let b =
            DisconnectivityGraph::build(&other, &t, &DisconnectivityOptions::default()).unwrap();
        let (sa, sb) = (
            a.to_svg(&SvgOptions::default()),
            b.to_svg(&SvgOptions::default()),
        );
        let one = format!("stroke=\"{}\"", ramp(1.0));
        assert!(
            sa.contains(&one) && sb.contains(&one),
            "accuracy 1 is {}",
            ramp(1.0)
        );
        assert!(sb.contains(&format!("stroke=\"{}\"", ramp(0.25))));
        assert!(!sa.contains(&format!("stroke=\"{}\"", ramp(0.25))));
        assert_eq!(ramp(0.0), "#440154");
        assert_eq!(ramp(1.0), "#7ad151");
    }

    #[test]
    fn no_mixed_colour_where_no_basin_is_mixed() {
        // Two minima of one accuracy joined by one saddle: nothing is mixed, so neither the
        // stub above the root nor the legend shows the mixed colour.
        let m = vec![min(1, 0.0, 1.0), min(2, 0.5, 1.0)];
        let t = vec![ts(1, 1.0, 1, 2)];
        let g = DisconnectivityGraph::build(&m, &t, &DisconnectivityOptions::default()).unwrap();
        let svg = g.to_svg(&SvgOptions::default());
        assert!(!svg.contains(MIXED_COLOUR), "{svg}");
        assert!(!svg.contains("mixed basin"));
        assert!(svg.contains(&ramp(1.0)));
        // With two accuracies the root basin is mixed: its stub and the key are grey.
        let m = vec![min(1, 0.0, 1.0), min(2, 0.5, 0.5)];
        let g = DisconnectivityGraph::build(&m, &t, &DisconnectivityOptions::default()).unwrap();
        let svg = g.to_svg(&SvgOptions::default());
        assert!(svg.contains(MIXED_COLOUR) && svg.contains(">mixed basin</text>"));
    }

    #[test]
    fn relative_energies_start_at_the_global_minimum_and_say_so() {
        let m = vec![min(1, 0.4265, 1.0), min(2, std::f64::consts::LN_2, 0.5)];
        let t = vec![ts(1, 0.75, 1, 2)];
        let g = DisconnectivityGraph::build(&m, &t, &DisconnectivityOptions::default()).unwrap();
        let absolute = g.to_svg(&SvgOptions::default());
        assert!(absolute.contains(">loss E</text>"));
        let relative = g.to_svg(&SvgOptions {
            relative_energy: true,
            ..SvgOptions::default()
        });
        assert!(relative.contains("loss E − E<tspan") && relative.contains("(E<tspan"));
        assert!(relative.contains(r#"text-anchor="end">0.000</text>"#));
        assert!(!absolute.contains(r#"text-anchor="end">0.000</text>"#));
        assert!(!relative.contains(">0.500</text>") && absolute.contains(">0.500</text>"));
        // Larger type scales the margins with it.
        let big = g.to_svg(&SvgOptions {
            font_size: 26.0,
            ..SvgOptions::default()
        });
        assert!(big.contains(r#"font-size="26.0""#) && big.contains(r#"font-size="32.0""#));
    }

    #[test]
    fn the_automatic_window_keeps_low_minima_apart() {
        // Eight low minima within 0.01, two high ones and a high saddle: the full range would
        // squeeze the low ones into 1 % of the axis.
        let mut m: Vec<MinimumInfo> = (0..8).map(|i| min(i, 0.001 * i as f64, 1.0)).collect();
        m.push(min(8, 0.5, 0.5));
        m.push(min(9, 0.6, 0.5));
        let t: Vec<TsInfo> = (0..9).map(|i| ts(i, 0.7, i, i + 1)).collect();
        let w = auto_window(&m, &t).expect("a window");
        assert_eq!(w[0], 0.0);
        // The lower half (5 minima, up to 0.004) spans LOW_HALF_SHARE of the window.
        assert!((w[1] - 0.004 / LOW_HALF_SHARE).abs() < 1e-12, "{w:?}");
        // Ten minima are few enough to show every one by default.
        let g = DisconnectivityGraph::build(&m, &t, &DisconnectivityOptions::default()).unwrap();
        assert_eq!((g.auto_window, g.leaves.len(), g.not_shown), (None, 10, 0));
        assert!(!g.to_svg(&SvgOptions::default()).contains("not shown"));
        // Above `show_all_up_to` the window hides the high ones, and the legend names them.
        let few = DisconnectivityOptions {
            show_all_up_to: 9,
            ..DisconnectivityOptions::default()
        };
        let g = DisconnectivityGraph::build(&m, &t, &few).unwrap();
        assert_eq!(g.auto_window, Some(w));
        assert_eq!(g.leaves.len(), 8);
        assert_eq!((g.not_shown, g.hidden.clone()), (2, vec![8, 9]));
        let svg = g.to_svg(&SvgOptions::default());
        assert!(
            svg.contains(">minima apart;</text>")
                && svg.contains(">2 minima not shown:</text>")
                && svg.contains(">ids 8, 9</text>"),
            "the legend says so"
        );
        // Spread minima need no window; an explicit window or auto_window = false wins.
        let spread: Vec<MinimumInfo> = (0..6).map(|i| min(i, 0.1 * i as f64, 1.0)).collect();
        assert_eq!(auto_window(&spread, &[]), None);
        let full = DisconnectivityOptions {
            auto_window: false,
            ..DisconnectivityOptions::default()
        };
        let g = DisconnectivityGraph::build(&m, &t, &full).unwrap();
        assert_eq!((g.leaves.len(), g.auto_window), (10, None));
    }

    #[test]
    fn ids_and_other_colourings_are_drawn() {
        let (m, t) = network();
        let g = DisconnectivityGraph::build(&m, &t, &DisconnectivityOptions::default()).unwrap();
        let svg = g.to_svg(&SvgOptions {
            label_ids: true,
            ..SvgOptions::default()
        });
        for l in &g.leaves {
            assert!(svg.contains(&format!(">{}</text>", l.id)), "id {}", l.id);
        }
        let svg = g.to_svg(&SvgOptions {
            colouring: Colouring::Energy,
            ..SvgOptions::default()
        });
        assert!(svg.contains("lowest energy in the basin"));
        assert!(svg.contains(">range of this graph</text>"));
        let hits: HashMap<i64, i64> = g.leaves.iter().map(|l| (l.id, 1 + 10 * l.id)).collect();
        let svg = g.to_svg(&SvgOptions {
            colouring: Colouring::Hits(hits),
            ..SvgOptions::default()
        });
        assert!(svg.contains("times found") && svg.contains(">10</text>"));
    }

    #[test]
    fn ticks_are_round() {
        let t = nice_ticks(0.0, 1.0, 5);
        assert_eq!(t.len(), 6);
        assert!(
            t.iter()
                .enumerate()
                .all(|(i, v)| (v - 0.2 * i as f64).abs() < 1e-12)
        );
        let t = nice_ticks(0.13, 0.61, 5);
        assert_eq!(t.len(), 5);
        assert!(
            t.iter()
                .enumerate()
                .all(|(i, v)| (v - 0.1 * (i + 2) as f64).abs() < 1e-12)
        );
        assert!(nice_ticks(1.0, 1.0, 5).len() == 1);
    }
}
