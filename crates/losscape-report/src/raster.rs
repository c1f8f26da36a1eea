//! PNG copies of the report's SVG figures, rendered by resvg (a maintained SVG renderer; no
//! rasteriser of our own).
//!
//! Text needs fonts, and an SVG renderer that finds none silently drops every label, so fonts
//! are loaded deliberately: the system's fonts (on Debian and Ubuntu the `fonts-dejavu-core`
//! package, which the figures name first), and a [`Rasteriser`] without any usable sans-serif
//! face refuses to start instead of writing figures without text.

use std::sync::Arc;

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{self, fontdb};
use thiserror::Error;

/// Why a figure could not be rendered.
#[derive(Debug, Error)]
pub enum RasterError {
    /// No font was found, so text could not be drawn.
    #[error(
        "no font for the figures' text: none of {wanted} is installed and no other sans-serif \
         font was found (on Debian/Ubuntu: apt-get install fonts-dejavu-core)"
    )]
    NoFont {
        /// The families looked for.
        wanted: String,
    },
    /// The SVG could not be parsed.
    #[error("the figure is not valid SVG: {0}")]
    Svg(String),
    /// The figure has no area or is too large to allocate.
    #[error("the figure's size {0} x {1} cannot be rendered")]
    Size(u32, u32),
    /// The PNG could not be encoded.
    #[error("PNG encoding failed: {0}")]
    Png(String),
    /// The PDF could not be written.
    #[error("PDF conversion failed: {0}")]
    Pdf(String),
}

/// Font families tried, in order, for `sans-serif` text.
const SANS: [&str; 4] = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans"];

/// Renders SVG documents to PNG with the fonts it loaded once.
pub struct Rasteriser {
    options: usvg::Options<'static>,
    family: String,
}

impl std::fmt::Debug for Rasteriser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rasteriser")
            .field("family", &self.family)
            .finish_non_exhaustive()
    }
}

impl Rasteriser {
    /// Loads the system's fonts; fails if there is no sans-serif face to draw text with.
    pub fn new() -> Result<Self, RasterError> {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        let has = |family: &str| {
            db.faces()
                .any(|f| f.families.iter().any(|(name, _)| name == family))
        };
        let family = SANS
            .iter()
            .find(|f| has(f))
            .map(|f| (*f).to_owned())
            .or_else(|| {
                // Any face at all beats dropping the labels.
                db.faces()
                    .find_map(|f| f.families.first().map(|(name, _)| name.clone()))
            })
            .ok_or_else(|| RasterError::NoFont {
                wanted: SANS.join(", "),
            })?;
        db.set_sans_serif_family(family.clone());
        let options = usvg::Options {
            font_family: family.clone(),
            fontdb: Arc::new(db),
            ..usvg::Options::default()
        };
        Ok(Self { options, family })
    }

    /// The font family that draws `sans-serif` text.
    pub fn family(&self) -> &str {
        &self.family
    }

    /// Renders `svg` at `scale` (2 gives a print-quality image of twice the SVG's pixel size)
    /// onto white, as PNG bytes.
    pub fn png(&self, svg: &str, scale: f32) -> Result<Vec<u8>, RasterError> {
        let pixmap = self.pixmap(svg, scale)?;
        pixmap
            .encode_png()
            .map_err(|e| RasterError::Png(e.to_string()))
    }

    /// Converts `svg` to a one-page PDF of the SVG's size (one SVG pixel is one PDF point at
    /// 72 dpi), text kept as text in the fonts this rasteriser loaded, so the figure scales to
    /// any column width without blurring.
    pub fn pdf(&self, svg: &str) -> Result<Vec<u8>, RasterError> {
        let tree = usvg::Tree::from_str(svg, &self.options)
            .map_err(|e| RasterError::Svg(e.to_string()))?;
        svg2pdf::to_pdf(
            &tree,
            svg2pdf::ConversionOptions::default(),
            svg2pdf::PageOptions { dpi: 72.0 },
        )
        .map_err(|e| RasterError::Pdf(e.to_string()))
    }

    /// Renders `svg` at `scale` onto white.
    pub fn pixmap(&self, svg: &str, scale: f32) -> Result<Pixmap, RasterError> {
        let tree = usvg::Tree::from_str(svg, &self.options)
            .map_err(|e| RasterError::Svg(e.to_string()))?;
        let size = tree.size();
        let (w, h) = (
            (size.width() * scale).ceil() as u32,
            (size.height() * scale).ceil() as u32,
        );
        let mut pixmap = Pixmap::new(w, h).ok_or(RasterError::Size(w, h))?;
        pixmap.fill(resvg::tiny_skia::Color::WHITE);
        resvg::render(
            &tree,
            Transform::from_scale(scale, scale),
            &mut pixmap.as_mut(),
        );
        Ok(pixmap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixels that differ between two renderings of the same size.
    fn differing(a: &Pixmap, b: &Pixmap) -> usize {
        a.pixels()
            .iter()
            .zip(b.pixels())
            .filter(|(x, y)| x != y)
            .count()
    }

    #[test]
    fn text_is_drawn_with_a_loaded_font() {
        let r = Rasteriser::new().expect("a font (fonts-dejavu-core) is installed");
        let with = r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="5" y="25" font-family="sans-serif" font-size="16">10⁻⁵ λ</text></svg>"#;
        let without = r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"></svg>"#;
        let (a, b) = (
            r.pixmap(with, 1.0).unwrap(),
            r.pixmap(without, 1.0).unwrap(),
        );
        assert!(
            differing(&a, &b) > 50,
            "the text left ink with {}",
            r.family()
        );
        let png = r.png(with, 2.0).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert!(r.png("<svg", 1.0).is_err());
    }
}
