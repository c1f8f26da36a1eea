//! Labelled training data: the XOR set, CSV and GMIN `MLPdata`-style readers, and the input
//! permutations under which a data set is invariant.

use std::cmp::Ordering;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Largest number of classes a data file may declare (labels are `0..MAX_CLASSES`).
///
/// The number of outputs is `max label + 1`, so a single stray label such as `1000000000` would
/// otherwise create an enormous network; no classification problem this tool maps comes near it.
pub const MAX_CLASSES: usize = 4096;

/// Largest number of input features a data file may have.
pub const MAX_FEATURES: usize = 1 << 16;

/// Largest `n_in` for which [`Dataset::input_symmetries`] tries every column permutation
/// (`6! = 720` candidates; beyond that only the identity is returned).
pub const MAX_SYMMETRY_INPUTS: usize = 6;

/// A classification data set: `len()` rows of `n_in` features, each with a class label in
/// `0..n_out`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Number of input features per row.
    pub n_in: usize,
    /// Number of classes (network outputs); at least 2.
    pub n_out: usize,
    /// Features, row-major: row `d` is `inputs[d * n_in..(d + 1) * n_in]`.
    pub inputs: Vec<f64>,
    /// Class label of each row, in `0..n_out`.
    pub labels: Vec<usize>,
}

/// What is wrong with one place of a data file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// No data rows at all.
    #[error("no data rows (blank lines and '#' comments do not count)")]
    Empty,
    /// A row has a different number of columns from the first data row.
    #[error("expected {expected} columns (as in the first data row), got {got}")]
    Ragged {
        /// Columns of the first data row.
        expected: usize,
        /// Columns of this row.
        got: usize,
    },
    /// A feature field is not a number.
    #[error("column {column}: '{field}' is not a number")]
    NotNumeric {
        /// 1-based column.
        column: usize,
        /// The offending text (shortened).
        field: String,
    },
    /// A feature is NaN or infinite.
    #[error(
        "column {column}: feature '{field}' is not finite (NaN and infinities are not allowed)"
    )]
    NonFinite {
        /// 1-based column.
        column: usize,
        /// The offending text (shortened).
        field: String,
    },
    /// A label is not a non-negative integer below [`MAX_CLASSES`].
    #[error(
        "column {column}: label '{field}' is not a class index (a non-negative integer below {max})",
        max = MAX_CLASSES
    )]
    BadLabel {
        /// 1-based column.
        column: usize,
        /// The offending text (shortened).
        field: String,
    },
    /// Every label is the same class 0, so there is nothing to classify.
    #[error("every label is 0: need labels of at least 2 classes (outputs = largest label + 1)")]
    TooFewClasses,
    /// A row has a label but no features.
    #[error("row has a label but no features (need at least 1 feature column)")]
    NoFeatures,
    /// A row has more features than [`MAX_FEATURES`].
    #[error("row has {got} features, at most {max} are supported", max = MAX_FEATURES)]
    TooManyFeatures {
        /// Features found.
        got: usize,
    },
}

/// Why a data set could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// The file could not be read at all.
    #[error("cannot read data file '{path}': {message}")]
    Io {
        /// The path as given.
        path: String,
        /// The operating system's explanation.
        message: String,
    },
    /// The contents are malformed at `line`.
    #[error("{origin}, line {line}: {problem}")]
    Parse {
        /// Name of the input (usually the file name).
        origin: String,
        /// 1-based line number (for whole-file problems: the last line read, at least 1).
        line: usize,
        /// What is wrong.
        problem: Problem,
    },
}

/// Column layout of a text format.
#[derive(Clone, Copy)]
enum Format {
    /// Comma-separated, features then label.
    Csv,
    /// Whitespace-separated, label then features.
    MlpData,
}

impl Format {
    /// Splits a trimmed data line into its fields (replacing the contents of `fields`).
    fn split_into<'a>(self, trimmed: &'a str, fields: &mut Vec<&'a str>) {
        fields.clear();
        match self {
            Format::Csv => fields.extend(trimmed.split(',').map(str::trim)),
            Format::MlpData => fields.extend(trimmed.split_whitespace()),
        }
    }

    /// Parses one row of `fields` (already checked to have the data set's column count):
    /// appends its features to `inputs` and returns its label. Features are checked before
    /// the label, left to right, so the first bad field is the one reported.
    fn parse_row(self, fields: &[&str], inputs: &mut Vec<f64>) -> Result<usize, Problem> {
        let columns = fields.len();
        let (label_column, feature_fields, first_feature_column) = match self {
            Format::Csv => (columns, &fields[..columns - 1], 1),
            Format::MlpData => (1, &fields[1..], 2),
        };
        for (offset, field) in feature_fields.iter().enumerate() {
            inputs.push(parse_feature(field, first_feature_column + offset)?);
        }
        parse_label(fields[label_column - 1], label_column)
    }
}

/// Checks the column count of the first data row: a label and 1..=[`MAX_FEATURES`] features.
fn check_first_row(columns: usize) -> Result<(), Problem> {
    if columns < 2 {
        return Err(Problem::NoFeatures);
    }
    if columns - 1 > MAX_FEATURES {
        return Err(Problem::TooManyFeatures { got: columns - 1 });
    }
    Ok(())
}

/// Shortens a field for an error message so a garbage line cannot produce a huge message.
fn shown(field: &str) -> String {
    const MAX: usize = 40;
    match field.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &field[..cut]),
        None => field.to_string(),
    }
}

/// Parses a feature: finite `f64`.
fn parse_feature(field: &str, column: usize) -> Result<f64, Problem> {
    let v: f64 = field.parse().map_err(|_| Problem::NotNumeric {
        column,
        field: shown(field),
    })?;
    if v.is_finite() {
        // `+ 0.0` turns -0.0 into +0.0 so symmetry detection compares values, not bit patterns.
        Ok(v + 0.0)
    } else {
        Err(Problem::NonFinite {
            column,
            field: shown(field),
        })
    }
}

/// Parses a label: a non-negative integer below [`MAX_CLASSES`], written either as an integer
/// or as an integer-valued number such as `1.0` (some tools write labels as reals).
fn parse_label(field: &str, column: usize) -> Result<usize, Problem> {
    let bad = || Problem::BadLabel {
        column,
        field: shown(field),
    };
    let value = match field.parse::<usize>() {
        Ok(v) => v,
        Err(_) => {
            let v: f64 = field.parse().map_err(|_| bad())?;
            if !(v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < MAX_CLASSES as f64) {
                return Err(bad());
            }
            v as usize
        }
    };
    if value < MAX_CLASSES {
        Ok(value)
    } else {
        Err(bad())
    }
}

impl Dataset {
    /// The XOR problem: (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0, two classes.
    pub fn xor() -> Self {
        Self {
            n_in: 2,
            n_out: 2,
            inputs: vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0],
            labels: vec![0, 1, 1, 0],
        }
    }

    /// A data set from stored parts (e.g. the copy kept in a database), checked like a parsed
    /// file: `n_in >= 1`, `inputs.len() == labels.len() * n_in`, finite features, at least one
    /// row, labels below `n_out` and `2 <= n_out <= MAX_CLASSES`. The message says what is wrong.
    pub fn from_parts(
        n_in: usize,
        n_out: usize,
        inputs: Vec<f64>,
        labels: Vec<usize>,
    ) -> Result<Self, String> {
        if n_in == 0 || n_in > MAX_FEATURES {
            return Err(format!("n_in {n_in} is not in 1..={MAX_FEATURES}"));
        }
        if !(2..=MAX_CLASSES).contains(&n_out) {
            return Err(format!("n_out {n_out} is not in 2..={MAX_CLASSES}"));
        }
        if labels.is_empty() {
            return Err("no data rows".into());
        }
        if inputs.len() != labels.len() * n_in {
            return Err(format!(
                "{} feature values for {} rows of {n_in} features",
                inputs.len(),
                labels.len()
            ));
        }
        if let Some(v) = inputs.iter().find(|v| !v.is_finite()) {
            return Err(format!("feature {v} is not finite"));
        }
        if let Some(l) = labels.iter().find(|&&l| l >= n_out) {
            return Err(format!("label {l} is not below n_out {n_out}"));
        }
        Ok(Self {
            n_in,
            n_out,
            inputs,
            labels,
        })
    }

    /// SHA-256 of the data set's contents, as 64 lower-case hex digits.
    ///
    /// Hashes what the network sees, not the file's bytes, so reformatting a file or editing a
    /// comment keeps the fingerprint and any change of a feature, a label or a row changes it.
    /// The hashed bytes (documented in `docs/database.md` so other programs can recompute it):
    /// the ASCII tag `losscape-dataset-v1`, then `n_in`, `n_out` and the row count as
    /// little-endian `u64`, every feature as a little-endian IEEE-754 `f64` in row-major order,
    /// then every label as a little-endian `u64`.
    pub fn sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"losscape-dataset-v1");
        for n in [self.n_in, self.n_out, self.len()] {
            h.update((n as u64).to_le_bytes());
        }
        for v in &self.inputs {
            h.update(v.to_le_bytes());
        }
        for &l in &self.labels {
            h.update((l as u64).to_le_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether this is the XOR data set ([`Dataset::xor`]) row for row, in any order of rows.
    /// Decides whether a report grades the XOR paper's findings.
    pub fn is_xor(&self) -> bool {
        let xor = Self::xor();
        if self.n_in != xor.n_in || self.n_out != xor.n_out || self.len() != xor.len() {
            return false;
        }
        let mut rows: Vec<(Vec<OrdF64>, usize)> = self.sorted_rows(&[0, 1]);
        rows.dedup();
        rows.len() == xor.len() && rows == xor.sorted_rows(&[0, 1])
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Features of row `d`.
    pub fn input(&self, d: usize) -> &[f64] {
        &self.inputs[d * self.n_in..(d + 1) * self.n_in]
    }

    /// Parses comma-separated rows of features followed by an integer class label.
    ///
    /// Blank lines and lines starting with `#` are skipped; with `has_header` the first other
    /// line is a header and is skipped too. `source` names the input in error messages.
    pub fn parse_csv(text: &str, has_header: bool, source: &str) -> Result<Self, DataError> {
        Self::parse(text, has_header, source, Format::Csv)
    }

    /// Parses GMIN `MLPdata`-style rows: whitespace-separated, the class label first, then the
    /// features. Blank lines and `#` comments are skipped. `source` names the input in errors.
    pub fn parse_mlpdata(text: &str, source: &str) -> Result<Self, DataError> {
        Self::parse(text, false, source, Format::MlpData)
    }

    /// Reads and parses a CSV file (see [`Dataset::parse_csv`]).
    pub fn from_csv_path(path: impl AsRef<Path>, has_header: bool) -> Result<Self, DataError> {
        let (text, name) = read(path.as_ref())?;
        Self::parse_csv(&text, has_header, &name)
    }

    /// Reads and parses an `MLPdata`-style file (see [`Dataset::parse_mlpdata`]).
    pub fn from_mlpdata_path(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let (text, name) = read(path.as_ref())?;
        Self::parse_mlpdata(&text, &name)
    }

    fn parse(
        text: &str,
        has_header: bool,
        source: &str,
        format: Format,
    ) -> Result<Self, DataError> {
        let fail = |line: usize, problem: Problem| DataError::Parse {
            origin: source.to_string(),
            line: line.max(1),
            problem,
        };
        let mut inputs = Vec::new();
        let mut labels = Vec::new();
        let mut columns = 0usize;
        let mut header_pending = has_header;
        let mut last_line = 0usize;
        let mut first_data_line = 0usize;
        let mut fields: Vec<&str> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            last_line = line;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if header_pending {
                header_pending = false;
                continue;
            }
            format.split_into(trimmed, &mut fields);
            if columns == 0 {
                check_first_row(fields.len()).map_err(|p| fail(line, p))?;
                columns = fields.len();
                first_data_line = line;
            } else if fields.len() != columns {
                return Err(fail(
                    line,
                    Problem::Ragged {
                        expected: columns,
                        got: fields.len(),
                    },
                ));
            }
            let label = format
                .parse_row(&fields, &mut inputs)
                .map_err(|p| fail(line, p))?;
            labels.push(label);
        }
        if labels.is_empty() {
            return Err(fail(last_line, Problem::Empty));
        }
        let max_label = labels.iter().copied().max().unwrap_or(0);
        if max_label == 0 {
            return Err(fail(first_data_line, Problem::TooFewClasses));
        }
        Ok(Self {
            n_in: columns - 1,
            n_out: max_label + 1,
            inputs,
            labels,
        })
    }

    /// The permutations `σ` of the input columns that map the data set onto itself as a
    /// multiset of (features, label) rows, identity first.
    ///
    /// `σ` maps row `x` to `(x[σ[0]], .., x[σ[n_in-1]])`. The result is a group, so the weights
    /// of a network can be permuted with either `σ` or its inverse. All `n_in!` permutations are
    /// tried when `n_in <= MAX_SYMMETRY_INPUTS`; above that only the identity is returned.
    pub fn input_symmetries(&self) -> Vec<Vec<usize>> {
        let n = self.n_in;
        let identity: Vec<usize> = (0..n).collect();
        let mut found = vec![identity.clone()];
        if !(2..=MAX_SYMMETRY_INPUTS).contains(&n) || self.inputs.len() != n * self.len() {
            return found;
        }
        let reference = self.sorted_rows(&identity);
        let mut perm = identity;
        while next_permutation(&mut perm) {
            if self.sorted_rows(&perm) == reference {
                found.push(perm.clone());
            }
        }
        found
    }

    /// Rows permuted by `perm`, sorted, as comparable keys (features by total order, then label).
    fn sorted_rows(&self, perm: &[usize]) -> Vec<(Vec<OrdF64>, usize)> {
        let mut rows: Vec<(Vec<OrdF64>, usize)> = (0..self.len())
            .map(|d| {
                let x = self.input(d);
                (
                    perm.iter().map(|&k| OrdF64(x[k] + 0.0)).collect(),
                    self.labels[d],
                )
            })
            .collect();
        rows.sort_unstable();
        rows
    }
}

/// `f64` ordered by `total_cmp`, for sorting rows of features.
#[derive(Debug, Clone, Copy)]
struct OrdF64(f64);

impl PartialEq for OrdF64 {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0) == Ordering::Equal
    }
}
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Advances `p` to the next permutation in lexicographic order; false after the last one.
fn next_permutation(p: &mut [usize]) -> bool {
    if p.len() < 2 {
        return false;
    }
    let mut i = p.len() - 1;
    while i > 0 && p[i - 1] >= p[i] {
        i -= 1;
    }
    if i == 0 {
        return false;
    }
    let mut j = p.len() - 1;
    while p[j] <= p[i - 1] {
        j -= 1;
    }
    p.swap(i - 1, j);
    p[i..].reverse();
    true
}

fn read(path: &Path) -> Result<(String, String), DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok((text, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_error(r: Result<Dataset, DataError>) -> (String, usize, Problem, String) {
        match r {
            Err(e @ DataError::Parse { .. }) => {
                let msg = e.to_string();
                match e {
                    DataError::Parse {
                        origin,
                        line,
                        problem,
                    } => (origin, line, problem, msg),
                    DataError::Io { .. } => unreachable!(),
                }
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn xor_is_well_formed() {
        let d = Dataset::xor();
        assert_eq!(d.len(), 4);
        assert_eq!(d.input(2), &[1.0, 0.0]);
        assert_eq!(d.input_symmetries(), vec![vec![0, 1], vec![1, 0]]);
    }

    #[test]
    fn csv_and_mlpdata_read_the_same_set() {
        let csv = "# xor\nx1,x2,class\n0,0,0\n\n0, 1, 1\n1,0,1\n1,1,0\n";
        let a = Dataset::parse_csv(csv, true, "xor.csv").unwrap();
        assert_eq!(a, Dataset::xor());
        let mlp = "0 0 0\n1   0 1\n# comment\n1 1 0\n0\t1 1\n";
        let b = Dataset::parse_mlpdata(mlp, "MLPdata").unwrap();
        assert_eq!(b, Dataset::xor());
        let three = "1.5,2,2\n-1,0.5,0\n3e-1,4,1.0\n";
        let c = Dataset::parse_csv(three, false, "three.csv").unwrap();
        assert_eq!((c.n_in, c.n_out, c.labels.clone()), (2, 3, vec![2, 0, 1]));
    }

    #[test]
    fn errors_name_source_line_and_problem() {
        let cases: Vec<(Result<Dataset, DataError>, usize, &str)> = vec![
            (Dataset::parse_csv("", false, "a.csv"), 1, "no data rows"),
            (
                Dataset::parse_csv("# only\n\n", true, "a.csv"),
                2,
                "no data rows",
            ),
            (
                Dataset::parse_csv("0,0,0\n1,1\n", false, "a.csv"),
                2,
                "expected 3 columns",
            ),
            (
                Dataset::parse_csv("0,0,0\n1,x,1\n", false, "a.csv"),
                2,
                "'x' is not a number",
            ),
            (
                Dataset::parse_csv("0,0,0\n\n1,NaN,1\n", false, "a.csv"),
                3,
                "not finite",
            ),
            (
                Dataset::parse_csv("0,inf,0\n", false, "a.csv"),
                1,
                "not finite",
            ),
            (
                Dataset::parse_csv("0,0,-1\n", false, "a.csv"),
                1,
                "label '-1'",
            ),
            (
                Dataset::parse_csv("0,0,1.5\n", false, "a.csv"),
                1,
                "label '1.5'",
            ),
            (
                Dataset::parse_csv("0,0,99999\n", false, "a.csv"),
                1,
                "label '99999'",
            ),
            (
                Dataset::parse_csv("h\n0,0,0\n1,1,0\n", true, "a.csv"),
                2,
                "at least 2 classes",
            ),
            (Dataset::parse_csv("1\n", false, "a.csv"), 1, "no features"),
            (
                Dataset::parse_mlpdata("1 0 0\n0 0\n", "MLPdata"),
                2,
                "expected 3 columns",
            ),
            (Dataset::parse_mlpdata("a 0 0\n", "MLPdata"), 1, "label 'a'"),
            (
                Dataset::parse_mlpdata("1 0 0\n0 0 z\n", "MLPdata"),
                2,
                "column 3: 'z'",
            ),
            (
                Dataset::parse_mlpdata("  \n1\n", "MLPdata"),
                2,
                "no features",
            ),
        ];
        for (result, line, needle) in cases {
            let (origin, got_line, _, msg) = parse_error(result);
            assert!(origin == "a.csv" || origin == "MLPdata", "{msg}");
            assert_eq!(got_line, line, "{msg}");
            assert!(
                msg.starts_with(&format!("{origin}, line {line}: ")),
                "{msg}"
            );
            assert!(msg.contains(needle), "'{msg}' lacks '{needle}'");
        }
    }

    #[test]
    fn long_fields_are_shortened_in_messages() {
        let field = "y".repeat(500);
        let (_, _, _, msg) = parse_error(Dataset::parse_csv(&format!("{field},0\n"), false, "s"));
        assert!(msg.len() < 200, "{msg}");
    }

    #[test]
    fn unreadable_file_names_the_path() {
        let e = Dataset::from_csv_path("/nonexistent/dir/data.csv", false).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/dir/data.csv"), "{e}");
        let e = Dataset::from_mlpdata_path("/nonexistent/MLPdata").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/MLPdata"), "{e}");
    }

    #[test]
    fn symmetries_of_other_sets() {
        // Three inputs where columns 0 and 2 are interchangeable but column 1 is not.
        let d = Dataset::parse_csv("1,5,2,0\n2,5,1,0\n0,1,0,1\n", false, "s").unwrap();
        assert_eq!(d.input_symmetries(), vec![vec![0, 1, 2], vec![2, 1, 0]]);
        // Swapping would change which label goes with (0,1).
        let d = Dataset::parse_csv("0,1,0\n1,0,1\n", false, "s").unwrap();
        assert_eq!(d.input_symmetries(), vec![vec![0, 1]]);
        // Fully symmetric: all 3! permutations, identity first.
        let d = Dataset::parse_csv("1,1,1,0\n0,0,0,1\n", false, "s").unwrap();
        let s = d.input_symmetries();
        assert_eq!(s.len(), 6);
        assert_eq!(s[0], vec![0, 1, 2]);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC*", header in any::<bool>()) {
            let _ = Dataset::parse_csv(&text, header, "fuzz");
            let _ = Dataset::parse_mlpdata(&text, "fuzz");
        }

        #[test]
        fn parsers_never_panic_on_numberish_text(
            text in "([0-9 ,.eE+\\-#\\n\\t]|nan|inf){0,200}", header in any::<bool>()
        ) {
            if let Ok(d) = Dataset::parse_csv(&text, header, "fuzz") {
                prop_assert_eq!(d.inputs.len(), d.n_in * d.len());
                prop_assert!(d.labels.iter().all(|&l| l < d.n_out) && d.n_out >= 2);
            }
            if let Ok(d) = Dataset::parse_mlpdata(&text, "fuzz") {
                prop_assert_eq!(d.inputs.len(), d.n_in * d.len());
                prop_assert!(d.labels.iter().all(|&l| l < d.n_out) && d.n_out >= 2);
            }
        }
    }
}
