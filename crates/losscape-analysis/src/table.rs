//! A plain text table shared by every analysis: one header row, string cells, rendered to
//! Markdown, CSV or (in the report crate's HTML builder) HTML.

use std::fmt::Write as _;

/// A rectangular table of text cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// Column headings.
    pub header: Vec<String>,
    /// Rows of cells; rows shorter than the header are padded with empty cells when rendered.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with the given headings and no rows.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Self {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push_row<S: Into<String>>(&mut self, row: impl IntoIterator<Item = S>) {
        self.rows.push(row.into_iter().map(Into::into).collect());
    }

    /// Number of columns (the widest of header and rows).
    pub fn columns(&self) -> usize {
        self.rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0)
    }

    fn cell(row: &[String], j: usize) -> &str {
        row.get(j).map_or("", String::as_str)
    }

    /// GitHub-flavoured Markdown pipe table (`|` in cells escaped, newlines turned into spaces).
    pub fn to_markdown(&self) -> String {
        let n = self.columns();
        let fmt_row = |row: &[String]| {
            let mut s = String::from("|");
            for j in 0..n {
                let cell = Self::cell(row, j)
                    .replace('|', "\\|")
                    .replace(['\n', '\r'], " ");
                let _ = write!(s, " {cell} |");
            }
            s.push('\n');
            s
        };
        let mut out = fmt_row(&self.header);
        out.push('|');
        for _ in 0..n {
            out.push_str(" --- |");
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&fmt_row(row));
        }
        out
    }

    /// Plain text for a terminal: columns padded to their widest cell (counted in characters)
    /// and separated by two spaces, a dashed line under the header, nothing escaped.
    pub fn to_text(&self) -> String {
        let n = self.columns();
        let clean = |c: &str| c.replace(['\n', '\r'], " ");
        let mut width = vec![0; n];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (j, w) in width.iter_mut().enumerate() {
                *w = (*w).max(clean(Self::cell(row, j)).chars().count());
            }
        }
        let line = |row: &[String]| {
            let cells: Vec<String> = (0..n)
                .map(|j| {
                    let c = clean(Self::cell(row, j));
                    let pad = width[j] - c.chars().count();
                    format!("{c}{}", " ".repeat(pad))
                })
                .collect();
            let mut l = cells.join("  ").trim_end().to_string();
            l.push('\n');
            l
        };
        let mut out = line(&self.header);
        let rule: Vec<String> = width.iter().map(|&w| "-".repeat(w)).collect();
        out.push_str(rule.join("  ").trim_end());
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }

    /// RFC 4180 CSV: fields with commas, quotes or line breaks are quoted; lines end in `\n`.
    pub fn to_csv(&self) -> String {
        let n = self.columns();
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for j in 0..n {
                if j > 0 {
                    out.push(',');
                }
                let cell = Self::cell(row, j);
                if cell.contains([',', '"', '\n', '\r']) {
                    out.push('"');
                    out.push_str(&cell.replace('"', "\"\""));
                    out.push('"');
                } else {
                    out.push_str(cell);
                }
            }
            out.push('\n');
        }
        out
    }

    /// Parses a Markdown pipe table (as written by [`Table::to_markdown`]): the first row is the
    /// header, a separator row of dashes follows, `\|` is a literal bar. Lines that do not start
    /// with `|` are ignored, so a table can be cut out of surrounding text.
    pub fn from_markdown(text: &str) -> Self {
        let mut table = Table::default();
        let mut seen_header = false;
        for line in text.lines() {
            let line = line.trim();
            if !line.starts_with('|') {
                continue;
            }
            let cells = split_pipe_row(line);
            if !seen_header {
                table.header = cells;
                seen_header = true;
            } else if cells.iter().all(|c| is_separator_cell(c)) && table.rows.is_empty() {
                continue;
            } else {
                table.rows.push(cells);
            }
        }
        table
    }
}

fn is_separator_cell(c: &str) -> bool {
    let c = c.trim();
    !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':')
}

/// Splits `| a | b \| c |` into `["a", "b | c"]`.
fn split_pipe_row(line: &str) -> Vec<String> {
    let inner = line.strip_prefix('|').unwrap_or(line);
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    // Text after the last bar belongs to a cell only if the row did not end with a bar.
    if !cur.trim().is_empty() {
        cells.push(cur.trim().to_string());
    }
    cells
}

/// Formats a float for a table: fixed decimals for ordinary magnitudes, scientific otherwise,
/// "NaN"/"inf" spelled out.
pub(crate) fn fmt_f64(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.decimals$e}")
    } else {
        format!("{v:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_round_trip_and_csv_quoting() {
        let mut t = Table::new(["a", "b|c"]);
        t.push_row(["1", "x, \"y\""]);
        t.push_row(["2"]);
        let md = t.to_markdown();
        assert!(md.starts_with("| a | b\\|c |\n| --- | --- |\n"));
        let back = Table::from_markdown(&md);
        assert_eq!(back.header, vec!["a", "b|c"]);
        assert_eq!(back.rows[0], vec!["1", "x, \"y\""]);
        assert_eq!(back.rows[1], vec!["2", ""]);
        assert_eq!(t.to_csv(), "a,b|c\n1,\"x, \"\"y\"\"\"\n2,\n");
    }

    #[test]
    fn plain_text_is_aligned_and_unescaped() {
        let mut t = Table::new(["kind", "|ΔE|"]);
        t.push_row(["min", "1e-3"]);
        t.push_row(["transition state", "a|b"]);
        let text = t.to_text();
        assert_eq!(
            text,
            "kind              |ΔE|\n----------------  ----\nmin               1e-3\ntransition state  a|b\n"
        );
        assert!(!text.contains('\\'));
    }

    #[test]
    fn float_formatting() {
        assert_eq!(fmt_f64(0.5, 3), "0.500");
        assert_eq!(fmt_f64(1e-5, 2), "1.00e-5");
        assert_eq!(fmt_f64(f64::NAN, 2), "NaN");
    }
}

/// Machine-readable output of the read commands (`--format json|csv`): named columns and rows
/// of JSON values, so both formats come from one list and cannot disagree.
///
/// CSV writes numbers in Rust's shortest round-trip form (reading them back gives the same
/// `f64`), `null` (a NaN or a missing value) as an empty field, arrays as `;`-separated values.
/// JSON is an array of objects, one per row, keyed by column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Records {
    columns: Vec<String>,
    rows: Vec<Vec<serde_json::Value>>,
}

impl Records {
    /// Empty records with these columns.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> Self {
        Self {
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; missing trailing values are `null`, extra ones are dropped.
    pub fn push(&mut self, mut row: Vec<serde_json::Value>) {
        row.resize(self.columns.len(), serde_json::Value::Null);
        self.rows.push(row);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A JSON number for `v`, or `null` where JSON has no number (NaN, infinities).
    pub fn real(v: f64) -> serde_json::Value {
        serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }

    /// An array of objects, one per row.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.rows
                .iter()
                .map(|row| {
                    serde_json::Value::Object(
                        self.columns
                            .iter()
                            .cloned()
                            .zip(row.iter().cloned())
                            .collect(),
                    )
                })
                .collect(),
        )
    }

    /// The values as text cells: numbers in shortest round-trip form, `null` empty, arrays
    /// `;`-separated.
    fn to_table(&self) -> Table {
        fn field(v: &serde_json::Value) -> String {
            match v {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(items) => {
                    items.iter().map(field).collect::<Vec<_>>().join(";")
                }
                other => other.to_string(),
            }
        }
        let mut table = Table::new(self.columns.iter().cloned());
        for row in &self.rows {
            table.push_row(row.iter().map(field));
        }
        table
    }

    /// RFC 4180 CSV with a header line (see the type's documentation for values).
    pub fn to_csv(&self) -> String {
        self.to_table().to_csv()
    }

    /// Aligned plain text for a terminal ([`Table::to_text`]), the CSV's values and columns.
    pub fn to_text(&self) -> String {
        self.to_table().to_text()
    }
}

#[cfg(test)]
mod records_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_and_csv_carry_the_same_values() {
        let mut r = Records::new(["id", "energy", "note", "coords"]);
        r.push(vec![
            json!(3),
            Records::real(0.1 + 0.2),
            json!("a,b"),
            json!([1.5, -2.0]),
        ]);
        r.push(vec![json!(4), Records::real(f64::NAN)]);
        assert_eq!(r.len(), 2);
        let j = r.to_json();
        assert_eq!(j[0]["energy"], json!(0.30000000000000004));
        assert_eq!(j[1]["energy"], serde_json::Value::Null);
        assert_eq!(j[1]["note"], serde_json::Value::Null);
        let csv = r.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "id,energy,note,coords");
        assert_eq!(lines[1], "3,0.30000000000000004,\"a,b\",1.5;-2.0");
        assert_eq!(lines[2], "4,,,");
        // Round trip of the shortest representation.
        let e: f64 = lines[1].split(',').nth(1).unwrap().parse().unwrap();
        assert_eq!(e, 0.1 + 0.2);
    }
}
