//! `docs/database.md` documents every table and column of a fresh database, in schema order,
//! and nothing else: a schema change without the document fails here.

use losscape_db::{SCHEMA_VERSION, Store};

const DOC: &str = include_str!("../../../docs/database.md");

/// `(table, [columns])` as the document lists them: a `### `name`` heading, then the first
/// backticked cell of every row of the table under it.
fn documented() -> Vec<(String, Vec<String>)> {
    let mut tables: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_tables = false;
    for line in DOC.lines() {
        if line.starts_with("## ") {
            in_tables = line == "## Tables";
            continue;
        }
        if !in_tables {
            continue;
        }
        if let Some(name) = line.strip_prefix("### `").and_then(|r| r.strip_suffix('`')) {
            tables.push((name.to_owned(), Vec::new()));
        } else if let Some(rest) = line.strip_prefix("| `")
            && let Some(end) = rest.find('`')
            && let Some((_, cols)) = tables.last_mut()
        {
            cols.push(rest[..end].to_owned());
        }
    }
    tables
}

fn actual() -> Vec<(String, Vec<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    drop(Store::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY rowid",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names
        .into_iter()
        .map(|t| {
            let cols: Vec<String> = conn
                .prepare(&format!("PRAGMA table_info({t})"))
                .unwrap()
                .query_map([], |r| r.get::<_, String>(1))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            (t, cols)
        })
        .collect()
}

#[test]
fn the_document_lists_every_table_and_column_of_a_fresh_database() {
    let doc = documented();
    let db = actual();
    assert!(db.len() >= 8, "a fresh database has its tables: {db:?}");
    let names = |v: &[(String, Vec<String>)]| v.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&doc),
        names(&db),
        "docs/database.md lists these tables, the schema has those"
    );
    for ((t, doc_cols), (_, db_cols)) in doc.iter().zip(&db) {
        assert_eq!(
            doc_cols, db_cols,
            "columns of table {t}: documented vs schema"
        );
    }
}

#[test]
fn the_document_names_the_current_schema_version() {
    assert!(
        DOC.starts_with(&format!(
            "# The losscape database (schema version {SCHEMA_VERSION})"
        )),
        "update docs/database.md's heading and version table for version {SCHEMA_VERSION}"
    );
    assert!(DOC.contains(&format!("| {SCHEMA_VERSION} |")));
}

#[test]
fn the_parser_sees_tables_and_columns() {
    // Guards the test itself: a document the parser could not read would compare as empty.
    let doc = documented();
    let minima = doc
        .iter()
        .find(|(t, _)| t == "minima")
        .expect("minima documented");
    assert!(minima.1.contains(&"coords".to_owned()));
}
