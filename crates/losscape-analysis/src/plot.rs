//! Line plots as standalone SVG documents, with the axes a referee expects: every major tick
//! labelled, a logarithmic axis only where the data span more than a decade or so, decade labels
//! written as powers of ten (10⁻⁵), integer ticks for integer quantities, and markers of
//! different shapes and sizes so series that coincide stay visible.
//!
//! The SVG is written directly (no plotting library): the layout is simple, and every tick and
//! label is exactly what the code says. Text is SVG `<text>` in a sans-serif family (DejaVu Sans
//! first, which the PNG renderer of the report loads); sizes are chosen to stay readable when
//! the figure is shown at half size.

use std::fmt::Write as _;

use crate::escape::escape_xml;
use crate::svg;

/// How an axis maps values to positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Evenly spaced values.
    Linear,
    /// Evenly spaced decades; only positive values can be shown.
    Log,
}

/// One axis: its scale, the value range shown and the labelled ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Label under (x) or beside (y) the axis.
    pub label: String,
    /// Linear or logarithmic.
    pub scale: Scale,
    /// Shown range `(lo, hi)`, `lo < hi` (both positive on a log axis).
    pub range: (f64, f64),
    /// Major ticks with their labels; every tick is labelled.
    pub ticks: Vec<(f64, String)>,
}

/// One line of a plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub label: String,
    /// Points, drawn in the given order.
    pub points: Vec<(f64, f64)>,
    /// Per point, whether its value is only a lower bound (drawn with an open marker and
    /// explained in the legend); missing entries count as certified.
    pub lower_bounds: Vec<bool>,
}

/// A plot: title, axes and series.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePlot {
    /// Title above the plot.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// The lines.
    pub series: Vec<Series>,
}

/// Largest ratio of the largest to the smallest positive value for which a count axis stays
/// linear: below it a linear axis reads more easily, above it small values would be squeezed.
pub const LOG_RATIO: f64 = 20.0;

/// `10` with a superscript exponent: `10⁻⁵`, `10⁰`, `10³`.
pub fn power_of_ten(exponent: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::from("10");
    if exponent < 0 {
        s.push('⁻');
    }
    for d in exponent.unsigned_abs().to_string().bytes() {
        s.push(DIGITS[(d - b'0') as usize]);
    }
    s
}

/// An axis of integers (e.g. hidden units): a tick at every integer from `lo` to `hi`, padded by
/// half a unit on each side.
pub fn integer_axis(label: &str, lo: i64, hi: i64) -> Axis {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    // At most ~12 ticks: a stride of 1, 2, 5, 10, ... that keeps every tick an integer.
    let mut stride = 1i64;
    while (hi - lo) / stride > 12 {
        stride *= if stride.to_string().starts_with('2') {
            5
        } else {
            2
        };
    }
    let first = lo.div_euclid(stride) * stride;
    let ticks = (0..)
        .map(|k| first + k * stride)
        .take_while(|&v| v <= hi)
        .filter(|&v| v >= lo)
        .map(|v| (v as f64, v.to_string()))
        .collect();
    Axis {
        label: label.to_owned(),
        scale: Scale::Linear,
        range: (lo as f64 - 0.5, hi as f64 + 0.5),
        ticks,
    }
}

/// A logarithmic axis over positive values `lo..=hi` with a labelled tick at every decade
/// (`10⁻⁵ … 10⁻¹`), padded by a quarter decade. Spans of less than two decades also get ticks
/// at 2 and 5 times each decade, so a value can be read off between them.
pub fn log_axis(label: &str, lo: f64, hi: f64) -> Axis {
    let (a, b) = (lo.log10(), hi.log10());
    let (e0, e1) = (a.floor() as i32, b.ceil() as i32);
    let dense = b - a < 2.0;
    let mut ticks = Vec::new();
    for e in e0..=e1 {
        let decade = 10f64.powi(e);
        for m in if dense {
            &[1.0, 2.0, 5.0][..]
        } else {
            &[1.0][..]
        } {
            let v = m * decade;
            let lv = v.log10();
            if lv < a - 0.25 - 1e-9 || lv > b + 0.25 + 1e-9 {
                continue;
            }
            // One style for every tick: 2×10⁻³, not 0.002 next to 10⁻³.
            let text = if *m == 1.0 {
                power_of_ten(e)
            } else {
                format!("{m}×{}", power_of_ten(e))
            };
            ticks.push((v, text));
        }
    }
    Axis {
        label: label.to_owned(),
        scale: Scale::Log,
        range: (10f64.powf(a - 0.25), 10f64.powf(b + 0.25)),
        ticks,
    }
}

/// The axis of counts (non-negative numbers, at least one positive): linear from 0 with 4–8
/// round labelled ticks, unless the positive values span more than [`LOG_RATIO`], then
/// logarithmic with labelled ticks at 1, 2, 5 × each decade (or every decade over a wide span).
pub fn count_axis(label: &str, values: &[f64]) -> Axis {
    let positive: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = positive.iter().copied().fold(0.0, f64::max);
    let has_zero = values.contains(&0.0);
    if !has_zero && lo.is_finite() && hi / lo > LOG_RATIO {
        let mut axis = log_axis(label, lo, hi);
        if hi / lo <= 1e4 {
            // Counts are read as numbers: 1, 2, 5, 10, 20 ... rather than powers of ten.
            axis.ticks = Vec::new();
            let (a, b) = (lo.log10() - 0.25, hi.log10() + 0.25);
            for e in (a.floor() as i32)..=(b.ceil() as i32) {
                for m in [1.0, 2.0, 5.0] {
                    let v = m * 10f64.powi(e);
                    if v.log10() >= a && v.log10() <= b {
                        axis.ticks.push((v, plain_number(v)));
                    }
                }
            }
        }
        return axis;
    }
    let top = if hi > 0.0 { hi } else { 1.0 };
    // Counts are integers: so are the ticks.
    let step = nice_step(top / 5.0).max(1.0);
    let n = (top / step).ceil() as i64 + i64::from((top / step).ceil() * step - top < 0.05 * top);
    let ticks = (0..=n)
        .map(|k| {
            let v = k as f64 * step;
            (v, plain_number(v))
        })
        .collect();
    Axis {
        label: label.to_owned(),
        scale: Scale::Linear,
        range: (0.0, n as f64 * step),
        ticks,
    }
}

/// The smallest of 1, 2, 5 × 10^k at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-12))
        .unwrap_or(10.0 * mag)
}

/// A number as a reader writes it: integers without a decimal point, others with the digits
/// they need (`0.25`, `2e-7` for very small ones).
pub fn plain_number(v: f64) -> String {
    if v == v.round() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.abs() >= 1e-4 {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{v:e}")
    }
}

/// Series colours (colour-blind-safe Okabe–Ito order), then the marker shapes.
const COLOURS: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
];

/// Marker shapes, cycled with the series.
#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Square,
    Diamond,
    TriangleUp,
    TriangleDown,
}

const MARKERS: [Marker; 5] = [
    Marker::Circle,
    Marker::Square,
    Marker::Diamond,
    Marker::TriangleUp,
    Marker::TriangleDown,
];

pub use crate::svg::FONT_FAMILY;

/// A marker at `(x, y)`: `filled` in the series colour for a certified value, open (white
/// inside) for a lower bound.
fn marker_svg(out: &mut String, m: Marker, x: f64, y: f64, r: f64, colour: &str, filled: bool) {
    let style = if filled {
        format!(r#"fill="{colour}" stroke="{colour}" stroke-width="2""#)
    } else {
        format!(r#"fill="white" stroke="{colour}" stroke-width="2""#)
    };
    let _ = match m {
        Marker::Circle => write!(
            out,
            r#"<circle cx="{x:.2}" cy="{y:.2}" r="{r:.2}" {style}/>"#
        ),
        Marker::Square => write!(
            out,
            r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" {style}/>"#,
            x - r * 0.85,
            y - r * 0.85,
            1.7 * r,
            1.7 * r
        ),
        Marker::Diamond => write!(
            out,
            r#"<polygon points="{x:.2},{:.2} {:.2},{y:.2} {x:.2},{:.2} {:.2},{y:.2}" {style}/>"#,
            y - 1.2 * r,
            x + 1.2 * r,
            y + 1.2 * r,
            x - 1.2 * r
        ),
        Marker::TriangleUp | Marker::TriangleDown => {
            let s = if matches!(m, Marker::TriangleUp) {
                1.0
            } else {
                -1.0
            };
            write!(
                out,
                r#"<polygon points="{x:.2},{:.2} {:.2},{:.2} {:.2},{:.2}" {style}/>"#,
                y - s * 1.25 * r,
                x + 1.1 * r,
                y + s * 0.75 * r,
                x - 1.1 * r,
                y + s * 0.75 * r
            )
        }
    };
}

impl LinePlot {
    /// Draws the plot as a standalone SVG document of `width` × `height` pixels.
    ///
    /// Each series has its own colour, dash pattern and marker shape; marker sizes shrink from
    /// series to series, so markers of coinciding points nest instead of hiding each other.
    pub fn to_svg(&self, width: f64, height: f64) -> String {
        let f = PlotFrame::new(self, width, height);
        let mut s = String::new();
        svg::open_document(&mut s, width, height, 15.0);
        svg::title(&mut s, f.left + f.pw / 2.0, 28.0, 18.0, &self.title);
        self.draw_axes(&mut s, &f);
        self.draw_series(&mut s, &f);
        self.draw_legend(&mut s, &f);
        s.push_str("</svg>");
        s
    }

    /// Grid lines and ticks at the labelled ticks, the frame, tick labels and axis labels.
    fn draw_axes(&self, s: &mut String, f: &PlotFrame<'_>) {
        let (left, top, pw, ph) = (f.left, f.top, f.pw, f.ph);
        s.push_str(r##"<g class="grid" stroke="#e3e3e3" stroke-width="1">"##);
        for &(v, _) in &self.x.ticks {
            let x = f.px(v);
            let _ = write!(
                s,
                r#"<line x1="{x:.2}" y1="{top:.2}" x2="{x:.2}" y2="{:.2}"/>"#,
                top + ph
            );
        }
        for &(v, _) in &self.y.ticks {
            let y = f.py(v);
            let _ = write!(
                s,
                r#"<line x1="{left:.2}" y1="{y:.2}" x2="{:.2}" y2="{y:.2}"/>"#,
                left + pw
            );
        }
        s.push_str("</g>");
        let _ = write!(
            s,
            r#"<rect x="{left}" y="{top}" width="{pw:.2}" height="{ph:.2}" fill="none" stroke="black"/>"#
        );
        for (v, text) in &self.x.ticks {
            let x = f.px(*v);
            let _ = write!(
                s,
                r#"<line x1="{x:.2}" y1="{:.2}" x2="{x:.2}" y2="{:.2}" stroke="black"/><text class="tick" x="{x:.2}" y="{:.2}" text-anchor="middle" font-size="14">{}</text>"#,
                top + ph,
                top + ph + 5.0,
                top + ph + 22.0,
                escape_xml(text)
            );
        }
        for (v, text) in &self.y.ticks {
            let y = f.py(*v);
            let _ = write!(
                s,
                r#"<line x1="{:.2}" y1="{y:.2}" x2="{left:.2}" y2="{y:.2}" stroke="black"/><text class="tick" x="{:.2}" y="{:.2}" text-anchor="end" font-size="14">{}</text>"#,
                left - 5.0,
                left - 8.0,
                y + 5.0,
                escape_xml(text)
            );
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            left + pw / 2.0,
            f.height - 16.0,
            svg::rich(&self.x.label, 15.0)
        );
        svg::vertical_label(s, 20.0, top + ph / 2.0, 15.0, &self.y.label);
    }

    /// Lines, then markers (largest first, so smaller ones stay on top).
    fn draw_series(&self, s: &mut String, f: &PlotFrame<'_>) {
        for (i, series) in self.series.iter().enumerate() {
            let points: Vec<String> = series
                .points
                .iter()
                .map(|&(x, y)| format!("{:.2},{:.2}", f.px(x), f.py(y)))
                .collect();
            let _ = write!(
                s,
                r#"<polyline class="series" points="{}" fill="none" stroke="{}" stroke-width="2"{}/>"#,
                points.join(" "),
                series_colour(i),
                dash_attribute(i)
            );
        }
        for (i, series) in self.series.iter().enumerate() {
            for (k, &(x, y)) in series.points.iter().enumerate() {
                let (m, r) = (MARKERS[i % MARKERS.len()], marker_radius(i));
                let filled = !series.lower_bounds.get(k).copied().unwrap_or(false);
                marker_svg(s, m, f.px(x), f.py(y), r, series_colour(i), filled);
            }
        }
    }

    /// The legend panel to the right of the plot: each series' line, marker and label.
    fn draw_legend(&self, s: &mut String, f: &PlotFrame<'_>) {
        let lx = f.left + f.pw + 24.0;
        for (i, series) in self.series.iter().enumerate() {
            let colour = series_colour(i);
            let ly = f.top + 14.0 + 26.0 * i as f64;
            let _ = write!(
                s,
                r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2"{}/>"#,
                lx + 34.0,
                dash_attribute(i)
            );
            let (m, r) = (MARKERS[i % MARKERS.len()], marker_radius(i));
            marker_svg(s, m, lx + 17.0, ly, r, colour, true);
            let _ = write!(
                s,
                r#"<text class="legend" x="{:.1}" y="{:.1}" font-size="14">{}</text>"#,
                lx + 42.0,
                ly + 5.0,
                svg::rich(&series.label, 14.0)
            );
        }
        if self.series.iter().any(|x| x.lower_bounds.contains(&true)) {
            self.draw_lower_bound_key(s, lx, f.top + 14.0 + 26.0 * self.series.len() as f64 + 8.0);
        }
    }

    /// What filled and open markers mean, under the series of the legend.
    fn draw_lower_bound_key(&self, s: &mut String, lx: f64, y: f64) {
        let black = "#000000";
        marker_svg(s, Marker::Circle, lx + 17.0, y, 5.0, black, true);
        let _ = write!(
            s,
            r#"<text class="legend" x="{:.1}" y="{:.1}" font-size="13">filled: certified</text>"#,
            lx + 42.0,
            y + 5.0
        );
        marker_svg(s, Marker::Circle, lx + 17.0, y + 22.0, 5.0, black, false);
        for (k, line) in ["open: lower bound", "(census not certified)"]
            .iter()
            .enumerate()
        {
            let _ = write!(
                s,
                r#"<text class="legend" x="{:.1}" y="{:.1}" font-size="13">{line}</text>"#,
                lx + 42.0,
                y + 27.0 + 16.0 * k as f64
            );
        }
    }
}

/// Colour of series `i`.
fn series_colour(i: usize) -> &'static str {
    COLOURS[i % COLOURS.len()]
}

/// The `stroke-dasharray` attribute of series `i` (none for the first, solid line).
fn dash_attribute(i: usize) -> String {
    const DASHES: [&str; 5] = ["", "8 4", "3 3", "10 3 3 3", "1 4"];
    let dash = DASHES[i % DASHES.len()];
    if dash.is_empty() {
        String::new()
    } else {
        format!(r#" stroke-dasharray="{dash}""#)
    }
}

/// Marker size of series `i`: shrinking from series to series, so markers of coinciding
/// points nest instead of hiding each other.
fn marker_radius(i: usize) -> f64 {
    (8.0 - 1.5 * i as f64).max(3.0)
}

/// Where a line plot is drawn: margins, plot area and the maps from values to pixels.
struct PlotFrame<'a> {
    plot: &'a LinePlot,
    height: f64,
    left: f64,
    top: f64,
    pw: f64,
    ph: f64,
}

impl<'a> PlotFrame<'a> {
    fn new(plot: &'a LinePlot, width: f64, height: f64) -> Self {
        let legend_w = 190.0;
        let (left, right, top, bottom) = (78.0, legend_w + 20.0, 48.0, 62.0);
        PlotFrame {
            plot,
            height,
            left,
            top,
            pw: (width - left - right).max(50.0),
            ph: (height - top - bottom).max(50.0),
        }
    }

    /// Where `v` sits along `axis`, in `[0, 1]` inside its range.
    fn map(axis: &Axis, v: f64) -> f64 {
        let (lo, hi) = axis.range;
        match axis.scale {
            Scale::Linear => (v - lo) / (hi - lo),
            Scale::Log => (v.log10() - lo.log10()) / (hi.log10() - lo.log10()),
        }
    }

    /// Pixel x of the value `v` of the x axis.
    fn px(&self, v: f64) -> f64 {
        self.left + Self::map(&self.plot.x, v) * self.pw
    }

    /// Pixel y of the value `v` of the y axis.
    fn py(&self, v: f64) -> f64 {
        self.top + self.ph - Self::map(&self.plot.y, v) * self.ph
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_ten_use_superscripts() {
        assert_eq!(power_of_ten(-5), "10⁻⁵");
        assert_eq!(power_of_ten(0), "10⁰");
        assert_eq!(power_of_ten(12), "10¹²");
    }

    #[test]
    fn lambda_axes_label_every_decade() {
        let a = log_axis("λ", 1e-5, 1e-1);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹"]);
        assert_eq!(a.scale, Scale::Log);
        // A narrow span gets 2 and 5 too.
        let a = log_axis("λ", 1e-3, 1e-2);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["10⁻³", "2×10⁻³", "5×10⁻³", "10⁻²"]);
    }

    #[test]
    fn integer_axes_have_only_integer_ticks() {
        let a = integer_axis("N_h", 2, 6);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["2", "3", "4", "5", "6"]);
        assert_eq!(a.range, (1.5, 6.5));
        let wide = integer_axis("n", 0, 100);
        assert!(wide.ticks.len() <= 13);
        assert!(wide.ticks.iter().all(|t| t.0.fract() == 0.0));
    }

    #[test]
    fn counts_are_linear_unless_they_span_a_wide_range() {
        let a = count_axis("minima", &[5.0, 7.0, 8.0, 10.0]);
        assert_eq!(a.scale, Scale::Linear);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["0", "2", "4", "6", "8", "10", "12"]);
        assert!(a.range.1 >= 10.0);
        let a = count_axis("TS", &[1.0, 3.0, 40.0, 900.0]);
        assert_eq!(a.scale, Scale::Log);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert!(labels.contains(&"1") && labels.contains(&"10") && labels.contains(&"1000"));
        assert!(
            labels.contains(&"5") && labels.contains(&"200"),
            "{labels:?}"
        );
        let small = count_axis("m", &[1.0, 2.0]);
        assert!(small.ticks.iter().all(|t| t.0.fract() == 0.0), "{small:?}");
    }

    #[test]
    fn the_svg_has_every_tick_label_legend_and_marker() {
        let plot = LinePlot {
            title: "minima vs N_h".into(),
            x: integer_axis("hidden units N_h", 2, 4),
            y: count_axis("minima", &[1.0, 4.0, 5.0]),
            series: vec![
                Series {
                    lower_bounds: Vec::new(),
                    label: "λ = 10⁻²".into(),
                    points: vec![(2.0, 4.0), (3.0, 5.0), (4.0, 5.0)],
                },
                Series {
                    lower_bounds: Vec::new(),
                    label: "λ = 10⁻³".into(),
                    points: vec![(2.0, 4.0), (3.0, 5.0), (4.0, 1.0)],
                },
            ],
        };
        let svg = plot.to_svg(760.0, 480.0);
        for (_, t) in plot.x.ticks.iter().chain(&plot.y.ticks) {
            assert!(svg.contains(&format!(">{t}</text>")), "tick {t}");
        }
        assert!(svg.contains("λ = 10⁻²") && svg.contains("λ = 10⁻³"));
        assert_eq!(svg.matches("class=\"series\"").count(), 2);
        assert!(
            svg.contains("<circle") && svg.contains("<rect x=\""),
            "two marker shapes"
        );
        assert!(svg.contains("stroke-dasharray"), "second series dashed");
    }
}
