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
pub(crate) fn open_document(s: &mut String, width: f64, height: f64, font_size: f64) {
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}" font-size="{font_size:.1}">"#
    );
    let _ = write!(
        s,
        r#"<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>"#
    );
}

/// A title centred on `x` at height `y`, typeset by [`rich`].
pub(crate) fn title(s: &mut String, x: f64, y: f64, font_size: f64, text: &str) {
    let _ = write!(
        s,
        r#"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" font-size="{font_size:.1}">{}</text>"#,
        rich(text, font_size)
    );
}

/// An axis label centred on `(x, y)` and turned to read upwards, typeset by [`rich`].
pub(crate) fn vertical_label(s: &mut String, x: f64, y: f64, font_size: f64, text: &str) {
    let _ = write!(
        s,
        r#"<text x="{x}" y="{y:.1}" text-anchor="middle" font-size="{font_size:.1}" transform="rotate(-90 {x} {y:.1})">{}</text>"#,
        rich(text, font_size)
    );
}

/// `text` as SVG text content (XML-escaped) with the two notations labels are written in
/// typeset: `X_y` (a letter, an underscore, a word) puts the word in a subscript `<tspan>`
/// (`N_h` → N with a lowered, smaller h), and a number in Rust's exponent form (`1e-3`,
/// `2.5e-4`) becomes a power of ten with a superscript exponent (`10⁻³`, `2.5×10⁻⁴`), as the
/// plots' axes write them. `font_size` is that of the surrounding text.
pub(crate) fn rich(text: &str, font_size: f64) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if let Some((len, typeset)) = exponent_number(&chars[i..])
            && (i == 0 || !chars[i - 1].is_alphanumeric())
        {
            out.push_str(&typeset);
            i += len;
            continue;
        }
        let c = chars[i];
        if c == '_' && i > 0 && chars[i - 1].is_alphabetic() {
            let word: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            if !word.is_empty() {
                let _ = write!(
                    out,
                    r#"<tspan baseline-shift="sub" font-size="{:.1}">{}</tspan>"#,
                    0.75 * font_size,
                    escape_xml(&word)
                );
                i += 1 + word.chars().count();
                continue;
            }
        }
        out.push_str(&escape_xml(&c.to_string()));
        i += 1;
    }
    out
}

/// A number `m e x` at the start of `chars` (digits, an optional fraction, `e`, an optional
/// minus, digits, then no further letter or digit): its length in characters and its typeset
/// form.
fn exponent_number(chars: &[char]) -> Option<(usize, String)> {
    let digits = |from: usize| {
        chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut i = digits(0);
    if i == 0 {
        return None;
    }
    if chars.get(i) == Some(&'.') && digits(i + 1) > 0 {
        i += 1 + digits(i + 1);
    }
    let mantissa: String = chars[..i].iter().collect();
    if chars.get(i) != Some(&'e') {
        return None;
    }
    i += 1;
    let negative = chars.get(i) == Some(&'-');
    if negative {
        i += 1;
    }
    let n = digits(i);
    if n == 0 || chars.get(i + n).is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    let magnitude: i32 = chars[i..i + n].iter().collect::<String>().parse().ok()?;
    let exponent = if negative { -magnitude } else { magnitude };
    let power = crate::plot::power_of_ten(exponent);
    let typeset = if mantissa == "1" {
        power
    } else {
        format!("{mantissa}×{power}")
    };
    Some((i + n, typeset))
}

#[cfg(test)]
mod tests {
    use super::rich;

    #[test]
    fn subscripts_and_powers_of_ten_are_typeset() {
        assert_eq!(
            rich("h2-l1e-3: N_h = 2, λ = 1e-3", 10.0),
            "h2-l1e-3: N<tspan baseline-shift=\"sub\" font-size=\"7.5\">h</tspan> = 2, λ = 10⁻³"
        );
        assert_eq!(rich("λ = 2.5e-4 < 1", 10.0), "λ = 2.5×10⁻⁴ &lt; 1");
        // Not numbers in exponent form: keys, words, plain numbers.
        assert_eq!(rich("x1e5 e-3 0.5 1e", 10.0), "x1e5 e-3 0.5 1e");
        assert_eq!(rich("_x a_ b", 10.0), "_x a_ b");
    }
}
