//! The pieces of SVG markup every figure of the crate shares: the document with its white
//! background, a centred title and an upright axis label. One copy, so the count plots and
//! the disconnectivity graphs look alike.

use std::fmt::Write as _;

use crate::escape::escape_xml;

/// Font family of every text: DejaVu Sans first (the report's PNG renderer loads it), then
/// what browsers have.
pub const FONT_FAMILY: &str = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";

/// Opens a standalone SVG document of `width` × `height` pixels with a white background; the
/// caller closes it with `</svg>`.
pub(crate) fn open_document(s: &mut String, width: f64, height: f64, font_size: u32) {
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}" font-size="{font_size}">"#
    );
    let _ = write!(
        s,
        r#"<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>"#
    );
}

/// A title centred on `x` at height `y`.
pub(crate) fn title(s: &mut String, x: f64, y: u32, font_size: u32, text: &str) {
    let _ = write!(
        s,
        r#"<text x="{x:.1}" y="{y}" text-anchor="middle" font-size="{font_size}">{}</text>"#,
        escape_xml(text)
    );
}

/// An axis label centred on `(x, y)` and turned to read upwards.
pub(crate) fn vertical_label(s: &mut String, x: f64, y: f64, text: &str) {
    let _ = write!(
        s,
        r#"<text x="{x}" y="{y:.1}" text-anchor="middle" transform="rotate(-90 {x} {y:.1})">{}</text>"#,
        escape_xml(text)
    );
}
