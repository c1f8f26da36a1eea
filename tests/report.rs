//! End-to-end tests of the analysis commands and of the report step of `cargo xtask reproduce`,
//! all on one small database made once by `losscape run` (N_h 1–2, λ 1e-2 and 1e-1,
//! basin-hopping and connect).

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use losscape_db::Store;
use losscape_test_support::tags_balanced;
use support::{losscape, ok, text};

const TINY: &str = r#"
[experiment]
name = "tiny-report"
seed = 11
stages = ["basin_hopping", "connect"]

[landscape]
n_hidden = [1, 2]
lambda = [1e-2, 1e-1]

[basin_hopping]
chains = 3
steps = 30
max_without_new = 20
"#;

/// A folder of its own for one test, under cargo's scratch folder for integration tests.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("report-tests-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}

/// The shared database (made once per test process) and its folder.
fn tiny_db() -> &'static (PathBuf, PathBuf) {
    static DB: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = scratch("db");
        let cfg = dir.join("tiny.toml");
        std::fs::write(&cfg, TINY).expect("write config");
        let db = dir.join("tiny.db");
        ok(
            &[
                "run",
                "tiny.toml",
                "--db",
                "tiny.db",
                "--quiet",
                "--threads",
                "2",
            ],
            &dir,
        );
        (dir, db)
    })
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `losscape export pathsample DB --landscape KEY --dir DIR` and `extra` arguments.
fn export_args<'a>(db: &'a Path, key: &'a str, dir: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "export",
        "pathsample",
        s(db),
        "--landscape",
        key,
        "--dir",
        s(dir),
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn graph_draws_an_svg_with_a_legend_and_honours_its_options() {
    let (dir, db) = tiny_db();
    let out = dir.join("h2.svg");
    ok(
        &[
            "graph",
            s(db),
            "--landscape",
            "h2-l1e-2",
            "-o",
            s(&out),
            "--levels",
            "15",
        ],
        dir,
    );
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    tags_balanced(&svg).unwrap();
    assert!(svg.contains("accuracy"), "legend for training accuracy");

    let lowest = dir.join("lowest.svg");
    ok(
        &[
            "graph",
            s(db),
            "--landscape",
            "h2-l1e-2",
            "-o",
            s(&lowest),
            "--lowest",
            "2",
        ],
        dir,
    );
    tags_balanced(&std::fs::read_to_string(&lowest).unwrap()).unwrap();
    let window = dir.join("window.svg");
    ok(
        &[
            "graph",
            s(db),
            "--landscape",
            "h2-l1e-2",
            "-o",
            s(&window),
            "--window",
            "0.0",
            "0.8",
        ],
        dir,
    );
    assert!(window.is_file());

    let bad = losscape(
        &["graph", s(db), "--landscape", "h9-l1", "-o", "x.svg"],
        dir,
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("h2-l1e-2"),
        "lists the keys: {}",
        text(&bad)
    );

    // Ids on the branches, colouring by hits, PNG by the output's extension.
    let store = Store::open_read_only(db).unwrap();
    let l = store.landscape_by_key("h2-l1e-2").unwrap().unwrap();
    let ids = dir.join("ids.svg");
    let args = |o: &Path, extra: &[&str]| -> Vec<String> {
        [
            "graph",
            s(db),
            "--landscape",
            "h2-l1e-2",
            "--full",
            "-o",
            s(o),
        ]
        .iter()
        .chain(extra)
        .map(|a| a.to_string())
        .collect()
    };
    let run = |a: Vec<String>| ok(&a.iter().map(String::as_str).collect::<Vec<_>>(), dir);
    run(args(&ids, &["--ids", "--colour", "hits"]));
    let svg = std::fs::read_to_string(&ids).unwrap();
    for m in store.minima(l.id).unwrap() {
        assert!(
            svg.contains(&format!(">{}</text>", m.id)),
            "id {} drawn",
            m.id
        );
    }
    assert!(svg.contains("times found"), "hits legend");
    run(args(&ids, &["--colour", "energy"]));
    assert!(
        std::fs::read_to_string(&ids)
            .unwrap()
            .contains("lowest energy in the basin")
    );
    let png = dir.join("h2.png");
    run(args(&png, &[]));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    // PDF by the extension, at the size and font size asked for; relative energies.
    let pdf = dir.join("h2.pdf");
    run(args(
        &pdf,
        &[
            "--width",
            "400",
            "--height",
            "300",
            "--font-size",
            "9",
            "--relative",
        ],
    ));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text_of = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        text_of(&bytes).contains("/MediaBox [0 0 400 300]"),
        "a 400 x 300 pt page"
    );
    let rel = dir.join("rel.svg");
    run(args(&rel, &["--relative", "--font-size", "9"]));
    let svg = std::fs::read_to_string(&rel).unwrap();
    assert!(svg.contains("E − E<tspan") && svg.contains(r#"font-size="9.0""#));
    let wrong = losscape(
        &["graph", s(db), "--landscape", "h2-l1e-2", "-o", "g.eps"],
        dir,
    );
    assert!(!wrong.status.success());
    assert!(
        text(&wrong).contains(".svg, .png or .pdf"),
        "{}",
        text(&wrong)
    );
    let tiny = losscape(
        &[
            "graph",
            s(db),
            "--landscape",
            "h2-l1e-2",
            "-o",
            "g.svg",
            "--font-size",
            "0",
        ],
        dir,
    );
    assert!(!tiny.status.success() && text(&tiny).contains("--font-size"));
}

#[test]
fn counts_prints_a_table_and_writes_csv_matching_the_database() {
    let (dir, db) = tiny_db();
    let csv = dir.join("counts.csv");
    let table = ok(&["counts", s(db), "--csv", s(&csv)], dir);
    assert!(
        table
            .lines()
            .next()
            .unwrap()
            .starts_with("landscape  n_hidden"),
        "{table}"
    );
    assert!(!table.contains('|'), "plain text on a terminal: {table}");
    let csv = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "header + 4 landscapes:\n{csv}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| header.iter().position(|c| *c == name).unwrap();

    let store = Store::open_read_only(db).unwrap();
    for l in store.landscapes().unwrap() {
        let minima = store.minima(l.id).unwrap().len();
        let ts = store.transition_states(l.id).unwrap().len();
        let row = lines[1..]
            .iter()
            .map(|r| r.split(',').collect::<Vec<_>>())
            .find(|c| c[col("landscape")] == l.key)
            .unwrap_or_else(|| panic!("a row for {}", l.key));
        assert_eq!(row[col("n_hidden")], l.n_hidden.to_string());
        assert_eq!(row[col("lambda")].parse::<f64>().unwrap(), l.lambda);
        assert_eq!(
            row[col("minima_by_structure")],
            minima.to_string(),
            "minima by structure of {}",
            l.key
        );
        assert_eq!(
            row[col("transition_states")],
            ts.to_string(),
            "TS of {}",
            l.key
        );
    }
}

#[test]
fn pathsample_round_trip_keeps_energies_coordinates_and_connections() {
    let (_, db) = tiny_db();
    let dir = scratch("pathsample");
    let files = dir.join("ps");
    ok(&export_args(db, "h2-l1e-2", &files, &[]), &dir);
    for f in ["min.data", "ts.data", "points.min", "points.ts"] {
        assert!(files.join(f).is_file(), "{f} written");
    }
    let fresh = dir.join("fresh.db");
    let out = ok(
        &[
            "import",
            "pathsample",
            s(&files),
            "--db",
            s(&fresh),
            "--landscape",
            "copy",
            "--n-hidden",
            "2",
            "--lambda",
            "1e-2",
        ],
        &dir,
    );
    assert!(out.contains("imported"), "{out}");

    let a = Store::open_read_only(db).unwrap();
    let b = Store::open_read_only(&fresh).unwrap();
    let la = a.landscape_by_key("h2-l1e-2").unwrap().unwrap();
    let lb = b.landscape_by_key("copy").unwrap().unwrap();
    assert_eq!((lb.n_hidden, lb.dimension, lb.lambda), (2, 12, 1e-2));
    let (ma, mb) = (a.minima(la.id).unwrap(), b.minima(lb.id).unwrap());
    assert_eq!(ma.len(), mb.len());
    for (x, y) in ma.iter().zip(&mb) {
        assert_eq!(x.coords, y.coords, "coordinates are raw f64s, bit for bit");
        assert!(
            (x.energy - y.energy).abs() < 1e-12,
            "{} vs {}",
            x.energy,
            y.energy
        );
        assert_eq!(
            y.hessian_index, 0,
            "recomputed index of an imported minimum"
        );
        assert!((x.ln_prod_positive - y.ln_prod_positive).abs() < 1e-6);
        assert_eq!(x.accuracy, y.accuracy);
    }
    // Connections, as positions in the minima lists (degenerate ones written min1 = min2).
    let pos = |list: &[losscape_db::MinimumRow], id: i64| list.iter().position(|m| m.id == id);
    let (ta, tb) = (
        a.transition_states(la.id).unwrap(),
        b.transition_states(lb.id).unwrap(),
    );
    assert_eq!(ta.len(), tb.len());
    assert!(!ta.is_empty(), "the tiny run connects h2-l1e-2");
    for (x, y) in ta.iter().zip(&tb) {
        assert_eq!(x.coords, y.coords);
        assert!((x.energy - y.energy).abs() < 1e-12);
        assert_eq!(y.hessian_index, 1);
        assert_eq!(x.degenerate, y.degenerate);
        assert_eq!(pos(&ma, x.min1), pos(&mb, y.min1));
        if !x.degenerate {
            assert_eq!(pos(&ma, x.min2), pos(&mb, y.min2));
        }
    }

    // The wrong network is refused and stores nothing.
    let wrong = dir.join("wrong.db");
    let out = losscape(
        &[
            "import",
            "pathsample",
            s(&files),
            "--db",
            s(&wrong),
            "--landscape",
            "w",
            "--n-hidden",
            "2",
            "--lambda",
            "1e-1",
        ],
        &dir,
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("nothing was stored"), "{}", text(&out));
    assert!(
        !wrong.exists() && !dir.join("wrong.db.lock").exists(),
        "a refused import leaves no database behind"
    );
}

/// `ids.csv` maps file lines to the database ids the CLI shows; `min.A` holds the global
/// minimum and `min.B` the rest, unless `--a`/`--b` say otherwise.
#[test]
fn export_writes_the_id_map_and_endpoint_sets() {
    let (_, db) = tiny_db();
    let dir = scratch("export-ids");
    let files = dir.join("ps");
    let out = ok(&export_args(db, "h2-l1e-2", &files, &[]), &dir);
    let store = Store::open_read_only(db).unwrap();
    let l = store.landscape_by_key("h2-l1e-2").unwrap().unwrap();
    let minima = store.minima(l.id).unwrap();
    let ts = store.transition_states(l.id).unwrap();
    let ids = std::fs::read_to_string(files.join("ids.csv")).unwrap();
    let mut lines = ids.lines();
    assert_eq!(lines.next(), Some("file,line,database_id"));
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), minima.len() + ts.len());
    for (i, m) in minima.iter().enumerate() {
        assert_eq!(
            rows[i],
            ["min.data", &(i + 1).to_string(), &m.id.to_string()]
        );
    }
    for (i, t) in ts.iter().enumerate() {
        let r = &rows[minima.len() + i];
        assert_eq!(r, &["ts.data", &(i + 1).to_string(), &t.id.to_string()]);
    }
    // Default endpoints: the global minimum against the rest, as line numbers.
    let global = minima
        .iter()
        .position(|m| {
            m.energy
                == minima
                    .iter()
                    .map(|m| m.energy)
                    .fold(f64::INFINITY, f64::min)
        })
        .unwrap()
        + 1;
    let read_set = |name: &str| -> Vec<usize> {
        let text = std::fs::read_to_string(files.join(name)).unwrap();
        let v: Vec<usize> = text.lines().map(|l| l.trim().parse().unwrap()).collect();
        assert_eq!(v[0], v.len() - 1, "{name}: count first");
        v[1..].to_vec()
    };
    assert_eq!(read_set("min.A"), vec![global]);
    let mut b = read_set("min.B");
    b.sort();
    let rest: Vec<usize> = (1..=minima.len()).filter(|&i| i != global).collect();
    assert_eq!(b, rest);
    assert!(out.contains("min.A = database ids"), "{out}");

    // Chosen endpoints, by database id.
    let (a_id, b_id) = (minima[2].id, minima[3].id);
    ok(
        &export_args(
            db,
            "h2-l1e-2",
            &files,
            &["--a", &a_id.to_string(), "--b", &b_id.to_string()],
        ),
        &dir,
    );
    assert_eq!(read_set("min.A"), vec![3]);
    assert_eq!(read_set("min.B"), vec![4]);
    // Unknown ids and overlapping sets are refused with the ids there are.
    let bad = losscape(&export_args(db, "h2-l1e-2", &files, &["--a", "999"]), &dir);
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("999") && text(&bad).contains("its minima are"),
        "{}",
        text(&bad)
    );
    let both = losscape(
        &export_args(
            db,
            "h2-l1e-2",
            &files,
            &["--a", &a_id.to_string(), "--b", &a_id.to_string()],
        ),
        &dir,
    );
    assert!(!both.status.success());
    assert!(text(&both).contains("both --a and --b"), "{}", text(&both));
}

/// A landscape without transition states would export an empty ts.data that PyGT and
/// disconnectionDPS cannot load: refused, nothing written.
#[test]
fn export_refuses_a_landscape_without_transition_states() {
    let (_, db) = tiny_db();
    let dir = scratch("export-no-ts");
    let files = dir.join("ps");
    let out = losscape(&export_args(db, "h2-l1e-1", &files, &[]), &dir);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("no transition state"), "{}", text(&out));
    assert!(text(&out).contains("nothing was written"), "{}", text(&out));
    assert!(!files.join("min.data").exists());
}

/// An export into a folder where one file cannot be written replaces none of the old files.
#[test]
fn export_replaces_all_files_or_none() {
    let (_, db) = tiny_db();
    let dir = scratch("export-atomic");
    let files = dir.join("ps");
    let args = export_args(db, "h2-l1e-2", &files, &[]);
    ok(&args, &dir);
    // Stand-ins for an older export, and a folder where ts.data must go.
    let old = "old export\n";
    for f in [
        "min.data",
        "points.min",
        "points.ts",
        "min.A",
        "min.B",
        "ids.csv",
    ] {
        std::fs::write(files.join(f), old).unwrap();
    }
    std::fs::remove_file(files.join("ts.data")).unwrap();
    std::fs::create_dir(files.join("ts.data")).unwrap();
    let out = losscape(&args, &dir);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("ts.data"), "{}", text(&out));
    for f in [
        "min.data",
        "points.min",
        "points.ts",
        "min.A",
        "min.B",
        "ids.csv",
    ] {
        assert_eq!(
            std::fs::read_to_string(files.join(f)).unwrap(),
            old,
            "{f} kept"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(&files)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files removed: {leftovers:?}"
    );
    // With the obstacle gone the export goes through.
    std::fs::remove_dir(files.join("ts.data")).unwrap();
    ok(&args, &dir);
    assert_ne!(
        std::fs::read_to_string(files.join("min.data")).unwrap(),
        old
    );
}

/// Imported points pass the checks of found ones, or the import is refused with the reason and
/// leaves nothing behind.
#[test]
fn import_verifies_every_point_and_every_connection() {
    let (_, db) = tiny_db();
    let dir = scratch("import-verify");
    let files = dir.join("ps");
    ok(&export_args(db, "h2-l1e-2", &files, &[]), &dir);
    let import = |into: &str| {
        losscape(
            &[
                "import",
                "pathsample",
                s(&files),
                "--db",
                into,
                "--landscape",
                "copy",
                "--n-hidden",
                "2",
                "--lambda",
                "1e-2",
            ],
            &dir,
        )
    };
    let ts_text = std::fs::read_to_string(files.join("ts.data")).unwrap();
    let lines: Vec<String> = ts_text.lines().map(str::to_owned).collect();
    // A transition state joining two distinct minima, claimed to join one of them to itself.
    let (k, line) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l[50..60].trim() != l[60..70].trim())
        .expect("a non-degenerate transition state");
    let m1 = line[50..60].trim().to_owned();
    let mut tampered = lines.clone();
    tampered[k] = format!("{}{:>10}{}", &line[..60], m1, &line[70..]);
    std::fs::write(files.join("ts.data"), tampered.join("\n") + "\n").unwrap();
    let out = import("bad-ts.db");
    assert!(!out.status.success(), "{}", text(&out));
    let msg = text(&out);
    assert!(msg.contains(&format!("ts.data line {}", k + 1)), "{msg}");
    assert!(
        msg.contains("push-offs reach two different minima"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("the file says {m1} and {m1}")),
        "{msg}"
    );
    assert!(!dir.join("bad-ts.db").exists(), "nothing left behind");
    std::fs::write(files.join("ts.data"), &ts_text).unwrap();

    // A "minimum" that is a transition state: index 1, refused.
    let min_text = std::fs::read_to_string(files.join("min.data")).unwrap();
    let points_min = std::fs::read(files.join("points.min")).unwrap();
    let points_ts = std::fs::read(files.join("points.ts")).unwrap();
    let record = 12 * 8;
    let mut saddle_as_min = points_min.clone();
    saddle_as_min[..record].copy_from_slice(&points_ts[..record]);
    let mut min_lines: Vec<String> = min_text.lines().map(str::to_owned).collect();
    min_lines[0] = format!("{}{}", &lines[0][..20], &min_lines[0][20..]);
    std::fs::write(files.join("points.min"), &saddle_as_min).unwrap();
    std::fs::write(files.join("min.data"), min_lines.join("\n") + "\n").unwrap();
    let out = import("bad-min.db");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("min.data line 1: Hessian index 1 (expected 0)"),
        "{}",
        text(&out)
    );
    assert!(!dir.join("bad-min.db").exists());
    std::fs::write(files.join("points.min"), &points_min).unwrap();
    std::fs::write(files.join("min.data"), &min_text).unwrap();

    // The untouched files import, into an existing database too, which keeps its data set.
    ok(
        &[
            "import",
            "pathsample",
            s(&files),
            "--db",
            "good.db",
            "--landscape",
            "copy",
            "--n-hidden",
            "2",
            "--lambda",
            "1e-2",
        ],
        &dir,
    );
    let store = Store::open_read_only(&dir.join("good.db")).unwrap();
    let (data, _) = store
        .dataset()
        .unwrap()
        .expect("the import stores its data set");
    assert_eq!((data.kind.as_str(), data.source.as_str()), ("xor", ""));
    assert_eq!(data.n_rows(), 4);
}

/// `import --data CONFIG` names the data set; a database holding other data refuses it.
#[test]
fn import_takes_the_data_set_of_a_config_and_refuses_a_different_one() {
    let (_, db) = tiny_db();
    let dir = scratch("import-data");
    let files = dir.join("ps");
    ok(&export_args(db, "h2-l1e-2", &files, &[]), &dir);
    let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    // XOR points against the CSV example's data: the energies disagree, refused.
    let csv = configs.join("csv-quick.toml");
    let out = losscape(
        &[
            "import",
            "pathsample",
            s(&files),
            "--db",
            "x.db",
            "--landscape",
            "copy",
            "--n-hidden",
            "2",
            "--lambda",
            "1e-2",
            "--data",
            s(&csv),
        ],
        &dir,
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("the data of"), "{}", text(&out));
    assert!(!dir.join("x.db").exists());
    // The tiny database holds XOR: importing with the CSV data into it is refused by hash.
    let copy = dir.join("tiny-copy.db");
    std::fs::copy(db, &copy).unwrap();
    let out = losscape(
        &[
            "import",
            "pathsample",
            s(&files),
            "--db",
            s(&copy),
            "--landscape",
            "copy",
            "--n-hidden",
            "2",
            "--lambda",
            "1e-2",
            "--data",
            s(&csv),
        ],
        &dir,
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("sha256"), "{}", text(&out));
    // With the XOR config it goes through, and uses that config's settings.
    let quick = configs.join("xor-quick.toml");
    let out = ok(
        &[
            "import",
            "pathsample",
            s(&files),
            "--db",
            s(&copy),
            "--landscape",
            "copy",
            "--n-hidden",
            "2",
            "--lambda",
            "1e-2",
            "--data",
            s(&quick),
        ],
        &dir,
    );
    assert!(out.contains("all verified"), "{out}");
}

#[test]
fn sensitivity_and_embedding_print_their_tables() {
    let (dir, db) = tiny_db();
    let out = ok(
        &[
            "sensitivity",
            s(db),
            "--landscape",
            "h2-l1e-2",
            "--sigmas",
            "0.1,0.3",
            "--samples",
            "20",
        ],
        dir,
    );
    let first: Vec<&str> = out.lines().nth(2).unwrap().split_whitespace().collect();
    assert_eq!(first[..3], ["h2-l1e-2", "min", "all"], "{out}");
    assert!(
        out.contains("acc σ=0.1") && out.contains("acc σ=0.3"),
        "{out}"
    );
    assert!(!out.contains('|'), "plain text: {out}");

    let out = ok(
        &["embedding", s(db), "--from", "h1-l1e-2", "--to", "h2-l1e-2"],
        dir,
    );
    let store = Store::open_read_only(db).unwrap();
    let l = store.landscape_by_key("h1-l1e-2").unwrap().unwrap();
    let n = store.minima(l.id).unwrap().len() + store.transition_states(l.id).unwrap().len();
    let summary = out.lines().last().unwrap();
    assert!(
        summary.contains(&format!("{n} points; stationary after padding {n};")),
        "every padded point is stationary: {summary}"
    );
    let bad = losscape(
        &["embedding", s(db), "--from", "h1-l1e-2", "--to", "h2-l1e-1"],
        dir,
    );
    assert!(!bad.status.success(), "different λ is refused");
}

#[test]
fn basins_compares_lbfgs_with_a_plugin() {
    let (dir, _) = tiny_db();
    let plugins = losscape_test_support::built_plugin_dir().expect("plugins build");
    let out = ok(
        &[
            "basins",
            "tiny.toml",
            "--landscape",
            "h2-l1e-2",
            "--starts",
            "12",
            "--minimisers",
            "lbfgs,fire",
            "--plugin-dir",
            s(plugins),
        ],
        dir,
    );
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("h2-l1e-2")).collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(
        rows[0].contains(" lbfgs ") && rows[1].contains(" fire "),
        "{out}"
    );
    assert!(!out.contains('|'), "plain text, not Markdown: {out}");

    let missing = losscape(
        &[
            "basins",
            "tiny.toml",
            "--minimisers",
            "lbfgs,no-such-plugin",
            "--starts",
            "2",
        ],
        dir,
    );
    assert!(!missing.status.success());
    assert!(
        text(&missing).contains("no-such-plugin") && text(&missing).contains("--plugin-dir"),
        "{}",
        text(&missing)
    );
    assert!(
        !text(&missing).contains("tiny.toml"),
        "the plugin comes from the command line, not the file: {}",
        text(&missing)
    );
}

/// The export writes each point's stabiliser order as its point-group order (w = 0 of
/// N_h = 2 has all 16 elements of the group), and the import reads the orders back: its own
/// export imports without a word, files that claim order 1 for a symmetric point are imported
/// with a warning naming the line and both orders.
#[test]
fn point_group_orders_are_the_stabilisers_and_are_read_back() {
    let (_, db) = tiny_db();
    let dir = scratch("pgorder");
    let files = dir.join("ps");
    ok(&export_args(db, "h2-l1e-2", &files, &[]), &dir);
    let store = Store::open_read_only(db).unwrap();
    let l = store.landscape_by_key("h2-l1e-2").unwrap().unwrap();
    let mut minima = store.minima(l.id).unwrap();
    minima.sort_by_key(|m| m.id);
    let min_data = std::fs::read_to_string(files.join("min.data")).unwrap();
    let orders: Vec<u64> = min_data
        .lines()
        .map(|line| line.split_whitespace().nth(2).unwrap().parse().unwrap())
        .collect();
    let w0 = minima
        .iter()
        .position(|m| m.coords.iter().all(|c| c.abs() < 1e-6))
        .expect("w = 0 is stored at N_h = 2, λ = 1e-2");
    assert_eq!(orders[w0], 16, "{min_data}");
    let census: serde_json::Value = serde_json::from_str(&ok(
        &[
            "census",
            s(db),
            "--landscape",
            "h2-l1e-2",
            "--format",
            "json",
        ],
        &dir,
    ))
    .unwrap();
    let census = census_orders(&census, "h2-l1e-2");
    for (m, o) in minima.iter().zip(&orders) {
        assert_eq!(
            *o as f64,
            census[&("minimum".to_string(), m.id)],
            "{}",
            m.id
        );
    }
    let import = |files: &Path, db: &str| {
        losscape(
            &[
                "import",
                "pathsample",
                s(files),
                "--db",
                db,
                "--landscape",
                "copy",
                "--n-hidden",
                "2",
                "--lambda",
                "1e-2",
            ],
            &dir,
        )
    };
    let clean = import(&files, "clean.db");
    assert!(clean.status.success(), "{}", text(&clean));
    assert!(!text(&clean).contains("warning"), "{}", text(&clean));
    // The same files with order 1 written for w = 0.
    let mut lines: Vec<String> = min_data.lines().map(String::from).collect();
    lines[w0] = format!("{}{:>6}{}", &lines[w0][..40], 1, &lines[w0][46..]);
    std::fs::write(files.join("min.data"), lines.join("\n") + "\n").unwrap();
    let warned = import(&files, "warned.db");
    assert!(warned.status.success(), "{}", text(&warned));
    assert!(
        text(&warned).contains(&format!("line {} (1, computed 16)", w0 + 1)),
        "{}",
        text(&warned)
    );
}

/// `basins` loads the config's own plugin as `run` does: its `path` (relative to the config)
/// and its `[minimiser.options]`, which the plugin checks; an option it refuses stops the
/// command instead of running with the plugin's defaults.
#[test]
fn basins_loads_the_configs_plugin_with_its_path_and_options() {
    let dir = scratch("basins-plugin");
    let plugins = losscape_test_support::built_plugin_dir().expect("plugins build");
    let lib = plugins.join(format!(
        "{}losscape_plugin_adam{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    std::fs::create_dir_all(dir.join("libs")).unwrap();
    std::fs::copy(&lib, dir.join("libs").join(lib.file_name().unwrap())).unwrap();
    let config = |options: &str| {
        format!(
            "[experiment]\nname = \"adam-basins\"\nseed = 3\n\n[landscape]\nn_hidden = [2]\n\
             lambda = [1e-2]\n\n[minimiser]\nkind = \"plugin\"\npath = \"libs/{}\"\n\n\
             [minimiser.options]\n{options}\n",
            lib.file_name().unwrap().to_str().unwrap()
        )
    };
    std::fs::write(dir.join("good.toml"), config("learning_rate = 0.05")).unwrap();
    std::fs::write(dir.join("bad.toml"), config("learning_rate = -1.0")).unwrap();
    // Found by its path alone (no --plugin-dir), with the config's options.
    let csv = ok(
        &[
            "basins",
            "good.toml",
            "--minimisers",
            "lbfgs,adam",
            "--starts",
            "4",
            "--format",
            "csv",
        ],
        &dir,
    );
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("landscape,minimiser,outcome,basin,energy,starts,fraction,evaluations_per_start")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    for m in ["lbfgs", "adam"] {
        let starts: usize = rows
            .iter()
            .filter(|r| r[1] == m)
            .map(|r| r[5].parse::<usize>().unwrap())
            .sum();
        assert_eq!(starts, 4, "every start of {m} has one outcome: {csv}");
    }
    let bad = losscape(
        &[
            "basins",
            "bad.toml",
            "--minimisers",
            "adam",
            "--starts",
            "2",
        ],
        &dir,
    );
    assert!(!bad.status.success(), "{}", text(&bad));
    assert!(
        text(&bad).contains("learning_rate") && text(&bad).contains("bad.toml"),
        "{}",
        text(&bad)
    );
}

/// Every start's end point is verified before it counts as a minimum: on the quick sweep's
/// h3-l1e-2, FIRE without the polish stops on a stored (degenerate) transition state at
/// E = 0.462929 from one of the 100 starts; every basin `basins` reports is a stored minimum,
/// never a stored saddle, and the saddle end is counted as such.
#[test]
fn basins_count_saddle_end_points_as_saddles() {
    let (dir, db) = quick_db();
    let plugins = losscape_test_support::built_plugin_dir().expect("plugins build");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/xor-quick.toml");
    let store = Store::open_read_only(db).unwrap();
    let l = store.landscape_by_key("h3-l1e-2").unwrap().unwrap();
    let minima = store.minima(l.id).unwrap();
    let ts = store.transition_states(l.id).unwrap();
    let out = ok(
        &[
            "basins",
            s(&config),
            "--landscape",
            "h3-l1e-2",
            "--minimisers",
            "lbfgs,fire",
            "--plugin-dir",
            s(plugins),
            "--no-polish",
            "--format",
            "json",
        ],
        dir,
    );
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut saddles = 0;
    for r in rows.as_array().unwrap() {
        match r["outcome"].as_str().unwrap() {
            "minimum" => {
                let e = r["energy"].as_f64().unwrap();
                assert!(
                    minima.iter().any(|m| (m.energy - e).abs() < 1e-7),
                    "basin at {e} is a stored minimum: {r}"
                );
                assert!(
                    !ts.iter().any(|t| (t.energy - e).abs() < 1e-7),
                    "basin at {e} is a stored transition state: {r}"
                );
            }
            "saddle" => saddles += r["starts"].as_u64().unwrap(),
            _ => {}
        }
    }
    assert!(saddles > 0, "some starts end on saddles here: {out}");
}

/// A reader that closes the pipe early (`losscape ts DB | head -1`) ends every read command
/// quietly with exit code 0, as `ls | head` does, instead of a panic and exit code 101.
#[test]
fn a_closed_pipe_ends_read_commands_quietly() {
    let (dir, db) = tiny_db();
    let key = ["--landscape", "h2-l1e-2"];
    let commands: Vec<Vec<&str>> = vec![
        vec!["summary", s(db)],
        vec!["summary", s(db), "--format", "json"],
        vec!["minima", s(db), "--coords"],
        vec!["ts", s(db), "--format", "json", "--coords"],
        vec!["ts", s(db), "--format", "csv"],
        vec!["census", s(db)],
        vec!["counts", s(db), "--format", "csv"],
        vec!["counts", s(db)],
        vec!["attempts", s(db)],
        vec!["attempts", s(db), "--format", "json"],
        [&["sensitivity", s(db), "--samples", "2"][..], &key].concat(),
        vec!["embedding", s(db), "--from", "h1-l1e-2", "--to", "h2-l1e-2"],
        vec![
            "basins",
            "tiny.toml",
            "--landscape",
            "h2-l1e-2",
            "--starts",
            "3",
        ],
    ];
    for args in commands {
        let mut child = std::process::Command::new(support::bin())
            .args(&args)
            .current_dir(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the first byte is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}

/// `--format json|csv` on counts, sensitivity, embedding and attempts: full precision, the
/// column names of `summary` where they mean the same, and no Markdown on a terminal.
#[test]
fn every_row_command_prints_json_and_csv() {
    let (dir, db) = tiny_db();
    let json = |args: &[&str]| -> serde_json::Value {
        let out = ok(args, dir);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
    };
    let summary = json(&["summary", s(db), "--format", "json"]);
    let counts = json(&["counts", s(db), "--format", "json"]);
    let (summary, counts) = (summary.as_array().unwrap(), counts.as_array().unwrap());
    assert_eq!(summary.len(), counts.len());
    for (a, b) in summary.iter().zip(counts) {
        for column in [
            "landscape",
            "n_hidden",
            "lambda",
            "minima_by_energy",
            "minima_by_structure",
            "lowest_energy",
            "correct_minima",
            "transition_states",
            "degenerate_ts",
            "correct_ts",
            "ts_per_minimum",
            "components",
        ] {
            assert_eq!(a[column], b[column], "{column}: {a} vs {b}");
        }
    }
    // Full precision in CSV: the lowest energy reads back bit for bit.
    let csv = ok(&["counts", s(db), "--format", "csv"], dir);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|c| *c == "lowest_energy").unwrap();
    let first: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let e: f64 = first[col].parse().unwrap();
    assert_eq!(Some(e), counts[0]["lowest_energy"].as_f64());
    // --csv FILE writes the same CSV.
    let file = scratch("counts-csv").join("counts.csv");
    ok(&["counts", s(db), "--csv", s(&file)], dir);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);

    let sens = json(&[
        "sensitivity",
        s(db),
        "--landscape",
        "h2-l1e-2",
        "--samples",
        "3",
        "--sigmas",
        "0.1,0.2",
        "--format",
        "json",
    ]);
    let rows = sens.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["landscape"] == "h2-l1e-2"));
    assert!(rows.iter().any(|r| r["sigma"] == 0.2));

    let emb = json(&[
        "embedding",
        s(db),
        "--from",
        "h1-l1e-2",
        "--to",
        "h2-l1e-2",
        "--format",
        "json",
    ]);
    let store = Store::open_read_only(db).unwrap();
    let small = store.landscape_by_key("h1-l1e-2").unwrap().unwrap();
    let n =
        store.minima(small.id).unwrap().len() + store.transition_states(small.id).unwrap().len();
    assert_eq!(emb.as_array().unwrap().len(), n);
    assert!(emb[0]["delta_energy"].is_number() && emb[0]["stationary"].is_boolean());
    let table = ok(
        &["embedding", s(db), "--from", "h1-l1e-2", "--to", "h2-l1e-2"],
        dir,
    );
    assert!(table.contains("|ΔE|") && !table.contains("\\|"), "{table}");

    let attempts = json(&["attempts", s(db), "--format", "json"]);
    let rows = attempts.as_array().unwrap();
    assert!(rows.iter().any(|r| r["stage"] == "basin_hopping"));
    let connect = json(&["attempts", s(db), "--stage", "connect", "--format", "json"]);
    assert!(
        connect
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["stage"] == "connect")
    );
    let unknown = losscape(&["attempts", s(db), "--stage", "nope"], dir);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("basin_hopping"),
        "names the stages recorded: {}",
        text(&unknown)
    );
}

/// The report step of `cargo xtask reproduce --quick`, on the tiny database.
#[test]
fn report_writes_findings_figures_tables_and_provenance() {
    let (_, db) = tiny_db();
    let dir = scratch("report");
    let out_dir = dir.join("report");
    let out = ok(
        &[
            "report",
            s(db),
            "-o",
            s(&out_dir),
            "--title",
            "Tiny <XOR> & co",
            "--samples",
            "20",
            "--starts",
            "10",
            "--note",
            "machine: test",
        ],
        &dir,
    );
    let verdict_lines = out
        .lines()
        .filter(|l| {
            l.starts_with("[holds]")
                || l.starts_with("[does not hold]")
                || l.starts_with("[inconclusive]")
        })
        .count();
    assert_eq!(verdict_lines, 6, "six findings judged:\n{out}");

    let html = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    let elements = tags_balanced(&html).unwrap_or_else(|e| panic!("unbalanced HTML: {e}"));
    assert!(elements > 100);
    assert!(html.contains("Tiny &lt;XOR&gt; &amp; co"), "title escaped");
    let findings = &html[html
        .find("<section id=\"findings\">")
        .expect("findings section")..];
    let findings = &findings[..findings.find("</section>").unwrap()];
    assert_eq!(findings.matches("<li class=").count(), 6, "{findings}");
    assert_eq!(findings.matches("class=\"verdict\"").count(), 6);
    for n in 1..=6 {
        assert!(findings.contains(&format!("({n})")), "finding {n} present");
    }
    // Evidence is filled from the data: the counts of h2-l1e-2 appear in finding 1.
    let store = Store::open_read_only(db).unwrap();
    let l = store.landscape_by_key("h2-l1e-2").unwrap().unwrap();
    let m2 = store.minima(l.id).unwrap().len();
    assert!(
        findings.contains(&format!("→ {m2} (N_h 1, 2)")),
        "{findings}"
    );
    assert!(!html.contains("<script"), "self-contained, no scripts");
    assert!(!html.contains("src=\"http"), "no external resources");

    for f in [
        "counts.csv",
        "census.csv",
        "sensitivity.csv",
        "embedding.csv",
        "basins.csv",
        "provenance.txt",
    ] {
        let body = std::fs::read_to_string(out_dir.join(f)).unwrap();
        assert!(body.lines().count() >= 2, "{f} has rows:\n{body}");
    }
    // The Morse census sits next to the counts: a row per landscape with its sum and verdict.
    let census = std::fs::read_to_string(out_dir.join("census.csv")).unwrap();
    assert_eq!(
        census.lines().count(),
        5,
        "header + 4 landscapes:\n{census}"
    );
    assert!(
        census.lines().next().unwrap().contains("Morse sum,verdict"),
        "{census}"
    );
    assert!(census.contains("no saturation stage run") || census.contains("saturated after"));
    let counts_at = html.find("counts.csv").expect("counts table");
    let census_at = html.find("census.csv").expect("census table");
    assert!(census_at > counts_at, "census after the counts table");
    assert!(html.contains("Morse check"), "the census is explained");
    for key in ["h1-l1e-2", "h1-l1e-1", "h2-l1e-2", "h2-l1e-1"] {
        let svg =
            std::fs::read_to_string(out_dir.join(format!("disconnectivity-{key}.svg"))).unwrap();
        tags_balanced(&svg).unwrap();
    }
    for f in ["counts-minima-vs-nh.svg", "counts-minima-vs-lambda.svg"] {
        let svg = std::fs::read_to_string(out_dir.join(f)).unwrap();
        tags_balanced(&svg).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    let provenance = std::fs::read_to_string(out_dir.join("provenance.txt")).unwrap();
    assert!(provenance.contains("seed: 11"), "{provenance}");
    assert!(provenance.contains("machine: test"));
    assert!(
        provenance.contains("name = \"tiny-report\""),
        "config text kept"
    );
    assert!(
        provenance.contains("[completed]"),
        "run status and times: {provenance}"
    );
}

/// The database of the real configs/xor-quick.toml (made once per test process) and its folder.
fn quick_db() -> &'static (PathBuf, PathBuf) {
    static DB: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = scratch("quick-db");
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/xor-quick.toml");
        let db = dir.join("xor-quick.db");
        ok(&["run", s(&config), "--db", s(&db), "--quiet"], &dir);
        (dir, db)
    })
}

/// The quick profile of `cargo xtask reproduce --quick`, as CI runs it: the real
/// configs/xor-quick.toml, every landscape connected, then the report with the basins of
/// L-BFGS and the FIRE plugin.
#[test]
fn the_quick_profile_runs_and_reports() {
    let dir = scratch("quick-profile");
    let (_, db) = quick_db();
    let store = Store::open_read_only(db).unwrap();
    let landscapes = store.landscapes().unwrap();
    assert_eq!(landscapes.len(), 4);
    for l in &landscapes {
        assert!(store.minima(l.id).unwrap().len() >= 2, "{}", l.key);
        assert!(
            !store.transition_states(l.id).unwrap().is_empty(),
            "{}",
            l.key
        );
    }
    let summary = ok(&["summary", s(db)], &dir);
    for line in summary.lines().filter(|l| l.starts_with("| h")) {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(cols[cols.len() - 3], "1", "one component: {line}");
        // Saturation is reported for every landscape; every quick landscape ends closed.
        let saturated = cols[cols.len() - 2];
        assert!(
            saturated.starts_with("closed"),
            "saturated and closed: {line}"
        );
    }

    let plugins = losscape_test_support::built_plugin_dir().expect("plugins build");
    let out_dir = dir.join("report");
    let out = ok(
        &[
            "report",
            s(db),
            "-o",
            s(&out_dir),
            "--samples",
            "50",
            "--starts",
            "30",
            "--minimisers",
            "lbfgs,fire",
            "--plugin-dir",
            s(plugins),
        ],
        &dir,
    );
    assert!(
        out.contains("[holds]"),
        "at least one finding holds:\n{out}"
    );
    let html = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    tags_balanced(&html).unwrap_or_else(|e| panic!("unbalanced HTML: {e}"));
    let basins = std::fs::read_to_string(out_dir.join("basins.csv")).unwrap();
    assert!(
        basins.contains("lbfgs") && basins.contains("fire"),
        "{basins}"
    );
    for l in &landscapes {
        let svg = out_dir.join(format!("disconnectivity-{}.svg", l.key));
        assert!(svg.exists(), "{}", svg.display());
    }
    check_figures(&out_dir, &store);
}

/// Text of every `<text>` element of an SVG document.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let start = t.find('>')? + 1;
            let end = t.find("</text>")?;
            Some(t[start..end].to_owned())
        })
        .collect()
}

/// `(width, height)` from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// Every figure of a report: SVG and PNG (twice the size), the PNG shows its text (rendering
/// the SVG without its text changes the picture), every tick has its label, and the labels say
/// what the data need: N_h values on the N_h plots, λ decades on the λ plots, the fixed
/// accuracy scale and every shown minimum's id on the disconnectivity graphs.
fn check_figures(out_dir: &Path, store: &Store) {
    let r = losscape_report::raster::Rasteriser::new().expect("fonts for the PNG figures");
    // Counts are lower bounds unless the census certifies them; the count plots say which.
    let census: serde_json::Value = serde_json::from_str(&ok(
        &["census", s(store.path()), "--format", "json"],
        out_dir,
    ))
    .unwrap();
    let uncertified = census["landscapes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["morse_sum"] != 1 || !l["degenerate"].as_array().unwrap().is_empty());
    let mut figures = 0;
    for entry in std::fs::read_dir(out_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("svg") {
            continue;
        }
        figures += 1;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let svg = std::fs::read_to_string(&path).unwrap();
        tags_balanced(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
        let pdf = std::fs::read(path.with_extension("pdf"))
            .unwrap_or_else(|e| panic!("{name}: no PDF copy: {e}"));
        assert!(
            pdf.starts_with(b"%PDF-") && pdf.len() > 1_000,
            "{name}: a PDF"
        );
        let png = std::fs::read(path.with_extension("png"))
            .unwrap_or_else(|e| panic!("{name}: no PNG copy: {e}"));
        let (w, h) = png_size(&png);
        let width: f64 = svg
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(w as f64, 2.0 * width, "{name}: PNG at twice the SVG's size");
        assert!(
            h > 200 && png.len() > 5_000,
            "{name}: {w}x{h}, {} bytes",
            png.len()
        );
        // The text is in the picture.
        let mut bare = String::new();
        let mut rest = svg.as_str();
        while let Some(i) = rest.find("<text") {
            bare.push_str(&rest[..i]);
            let end = rest[i..].find("</text>").unwrap() + i + "</text>".len();
            rest = &rest[end..];
        }
        bare.push_str(rest);
        let (with, without) = (r.pixmap(&svg, 1.0).unwrap(), r.pixmap(&bare, 1.0).unwrap());
        let ink = with
            .pixels()
            .iter()
            .zip(without.pixels())
            .filter(|(a, b)| a != b)
            .count();
        assert!(ink > 500, "{name}: the text drew only {ink} pixels");
        // Every tick mark has a non-empty label.
        let ticks: Vec<String> = svg
            .split("<text class=\"tick\"")
            .skip(1)
            .map(|t| t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].to_owned())
            .collect();
        assert!(ticks.len() >= 3, "{name}: {ticks:?}");
        assert!(
            ticks.iter().all(|t| !t.trim().is_empty()),
            "{name}: {ticks:?}"
        );
        let texts = svg_texts(&svg);
        let has = |t: &str| texts.iter().any(|x| x == t);
        if name.starts_with("counts-") {
            assert_eq!(
                svg.contains("open: lower bound"),
                uncertified,
                "{name}: the key to open markers iff a count is a lower bound"
            );
        }
        if name.ends_with("-vs-nh.svg") {
            assert!(has("2") && has("3"), "{name}: N_h ticks in {texts:?}");
            assert!(
                !texts.iter().any(|t| t == "2.5"),
                "{name}: only integer N_h"
            );
        } else if name.ends_with("-vs-lambda.svg") {
            assert!(has("10⁻²") && has("10⁻³"), "{name}: λ decades in {texts:?}");
        } else if let Some(key) = name
            .strip_prefix("disconnectivity-")
            .and_then(|n| n.strip_suffix(".svg"))
        {
            for label in ["0", "0.25", "0.5", "0.75", "1"] {
                assert!(has(label), "{name}: accuracy scale label {label}");
            }
            assert!(svg.contains("same in every graph"), "{name}");
            let l = store.landscape_by_key(key).unwrap().unwrap();
            let ids: Vec<String> = texts
                .iter()
                .filter(|t| t.parse::<i64>().is_ok())
                .cloned()
                .collect();
            let minima = store.minima(l.id).unwrap();
            let shown = minima
                .iter()
                .filter(|m| ids.contains(&m.id.to_string()))
                .count();
            // A few dozen minima are all drawn, each with its id.
            assert!(minima.len() <= 40);
            assert_eq!(
                shown,
                minima.len(),
                "{name}: every minimum's id on the branches"
            );
            assert!(!svg.contains("not shown"), "{name}: nothing hidden");
        }
    }
    assert!(
        figures >= 8,
        "4 count plots and 4 disconnectivity graphs, found {figures}"
    );
}

/// A Python with PyGT 0.3.0 in a virtual environment of the test's own. The test that needs it
/// is ignored where no Python with `venv` or no package index answered when the tests were
/// built; so here a missing Python or a failing `pip install` is an error.
fn pygt_python(dir: &Path) -> PathBuf {
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| {
            std::process::Command::new(p)
                .args(["-c", "import sys, venv; assert sys.version_info >= (3, 8)"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("a Python 3.8+ with the venv module on PATH");
    let venv = dir.join("venv");
    let made = std::process::Command::new(python)
        .args(["-m", "venv", s(&venv)])
        .output()
        .expect("python runs");
    assert!(
        made.status.success(),
        "{python} cannot create a virtual environment (ensurepip missing?): {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let bin = venv.join("bin");
    let pip = std::process::Command::new(bin.join("pip"))
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "PyGT==0.3.0",
        ])
        .output()
        .expect("pip runs");
    assert!(
        pip.status.success(),
        "pip install PyGT==0.3.0 failed:\n{}",
        String::from_utf8_lossy(&pip.stderr)
    );
    bin.join("python")
}

/// The export of the quick sweep loads in PyGT (the PATHSAMPLE-format reader of the Wales
/// group): its energies are the database's, every minimum is in the one connected network,
/// min.A/min.B select the global minimum and the rest, and the rates between them are finite.
///
/// It installs PyGT from the package index: `.ci/run` sets `LOSSCAPE_REQUIRE_NETWORK=1`, which
/// keeps it in; elsewhere it is ignored, with the reason, where no Python with `venv` or no
/// package index answered when the tests were built.
#[test]
#[cfg_attr(
    losscape_no_python,
    ignore = "no Python 3.8+ with venv and ensurepip when the tests were built (.ci/run installs one)"
)]
#[cfg_attr(
    losscape_no_network,
    ignore = "the package index (PyPI or PIP_INDEX_URL) did not answer when the tests were built; PyGT cannot be installed"
)]
fn pygt_loads_the_export_of_the_quick_sweep() {
    let dir = scratch("pygt");
    let python = pygt_python(&dir);
    let (_, db) = quick_db();
    let store = Store::open_read_only(db).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/pygt/check_export.py");
    let mut checked = 0;
    for l in store.landscapes().unwrap() {
        let minima = store.minima(l.id).unwrap();
        if minima.len() < 3 {
            continue; // PyGT's rate code needs more than one minimum in A or B
        }
        let files = dir.join(&l.key);
        ok(&export_args(db, &l.key, &files, &[]), &dir);
        let out = std::process::Command::new(&python)
            .args([s(&script), s(&files), "10"])
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "PyGT could not load the export of {}:\n{}",
            l.key,
            String::from_utf8_lossy(&out.stderr)
        );
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // One connected network holding every minimum.
        assert_eq!(got["n"], minima.len(), "{}: {got}", l.key);
        assert!(
            got["retained"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r == true)
        );
        // Energies, in min.data order (database id order), to the files' 10 decimals.
        let energies = got["energies"].as_array().unwrap();
        assert_eq!(energies.len(), minima.len());
        for (m, e) in minima.iter().zip(energies) {
            let e = e.as_f64().unwrap();
            assert!(
                (m.energy - e).abs() < 1e-9,
                "{}: minimum {}: {} vs {e}",
                l.key,
                m.id,
                m.energy
            );
        }
        assert_eq!(
            (got["a"].as_u64(), got["b"].as_u64()),
            (Some(1), Some(minima.len() as u64 - 1))
        );
        assert_eq!(got["a_is_global"], true, "min.A holds the global minimum");
        // Rates (inverse mean first-passage times) between the global minimum and every other
        // minimum, both ways, finite and positive.
        let times = got["mfpt"].as_array().unwrap();
        assert_eq!(times.len(), minima.len() - 1);
        for t in times {
            for v in [
                t[1].as_f64().unwrap_or(f64::NAN),
                t[2].as_f64().unwrap_or(f64::NAN),
            ] {
                assert!(v.is_finite() && v > 0.0, "{}: MFPT {v}: {got}", l.key);
                assert!((1.0 / v).is_finite());
            }
        }
        checked += 1;
    }
    assert!(
        checked >= 2,
        "the quick sweep has landscapes with 3 or more minima"
    );

    // Several minima in A and in B: PyGT's occupations, rate constants and mean first-passage
    // times against a direct computation from the database with the census's symmetry numbers.
    let census: serde_json::Value =
        serde_json::from_str(&ok(&["census", s(db), "--format", "json"], &dir)).unwrap();
    let mut with_ab = 0;
    for l in store.landscapes().unwrap() {
        if store.minima(l.id).unwrap().len() >= 4 {
            pygt_rates_match_a_direct_computation(&python, &store, &l, &census, &dir);
            with_ab += 1;
        }
    }
    assert!(
        with_ab >= 2,
        "the quick sweep has landscapes with 4 or more minima"
    );
}

/// The census's stabiliser order of every stored minimum and transition state of `key`, by
/// (source, id).
fn census_orders(census: &serde_json::Value, key: &str) -> HashMap<(String, i64), f64> {
    let l = census["landscapes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == key)
        .unwrap_or_else(|| panic!("{key} is in the census"));
    l["orbits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                (
                    o["source"].as_str().unwrap().to_string(),
                    o["id"].as_i64().unwrap(),
                ),
                o["stabiliser"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Solves `a x = b` (dense, `n × n` row-major) by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))
            .unwrap();
        for k in 0..n {
            a.swap(c * n + k, p * n + k);
        }
        b.swap(c, p);
        for r in c + 1..n {
            let f = a[r * n + c] / a[c * n + c];
            for k in c..n {
                a[r * n + k] -= f * a[c * n + k];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let tail: f64 = (r + 1..n).map(|k| a[r * n + k] * x[k]).sum();
        x[r] = (b[r] - tail) / a[r * n + r];
    }
    x
}

/// Mean first-passage time into `target` from the states of `source`, started in their local
/// equilibrium `pi`, for the rate matrix `k` (`k[i][j]`: rate i <- j): `T_i = τ_i + Σ_j P_ji
/// T_j` over the states outside `target`, with `τ_i = 1 / Σ_j k_ji` and `P_ji = k_ji τ_i`.
fn mfpt(k: &[Vec<f64>], pi: &[f64], source: &[usize], target: &[usize]) -> f64 {
    let n = k.len();
    let free: Vec<usize> = (0..n).filter(|i| !target.contains(i)).collect();
    let m = free.len();
    let tau: Vec<f64> = (0..n)
        .map(|i| 1.0 / (0..n).map(|j| k[j][i]).sum::<f64>())
        .collect();
    let mut a = vec![0.0; m * m];
    for (r, &i) in free.iter().enumerate() {
        for (c, &j) in free.iter().enumerate() {
            a[r * m + c] = f64::from(u8::from(r == c)) - k[j][i] * tau[i];
        }
    }
    let t = solve(a, free.iter().map(|&i| tau[i]).collect());
    let weight: f64 = source.iter().map(|&i| pi[i]).sum();
    source
        .iter()
        .map(|&i| pi[i] / weight * t[free.iter().position(|&f| f == i).unwrap()])
        .sum()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs())
}

/// Exports `l` with its two lowest minima in A and the rest in B, lets PyGT compute the
/// equilibrium occupations, the rate matrix and both mean first-passage times at β = 10, and
/// checks them within 1e-6 relative against the harmonic superposition computed here from the
/// database and the census's stabiliser orders (the symmetry numbers): occupation ∝
/// e^{-βE} e^{-fvib/2} / o, rate of i -> j through t: o_i / (2π o_t) e^{-β(E_t - E_i)}
/// e^{(fvib_i - fvib_t)/2}. PyGT's entropies also give back the symmetry numbers it read, which
/// must be the census's.
fn pygt_rates_match_a_direct_computation(
    python: &Path,
    store: &Store,
    l: &losscape_db::LandscapeRow,
    census: &serde_json::Value,
    scratch: &Path,
) {
    const BETA: f64 = 10.0;
    let key = &l.key;
    let mut minima = store.minima(l.id).unwrap();
    minima.sort_by_key(|m| m.id); // min.data order
    let ts = store.transition_states(l.id).unwrap();
    let orders = census_orders(census, key);
    let order = |source: &str, id: i64| orders[&(source.to_string(), id)];
    let mut by_energy: Vec<usize> = (0..minima.len()).collect();
    by_energy.sort_by(|&a, &b| minima[a].energy.total_cmp(&minima[b].energy));
    let (a, b) = by_energy.split_at(2);
    let ids = |set: &[usize]| {
        set.iter()
            .map(|&i| minima[i].id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let (a_ids, b_ids) = (ids(a), ids(b));
    let files = scratch.join(format!("{key}-ab"));
    ok(
        &export_args(store.path(), key, &files, &["--a", &a_ids, "--b", &b_ids]),
        scratch,
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/pygt/rates.py");
    let out = std::process::Command::new(python)
        .args([s(&script), s(&files), &BETA.to_string()])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "PyGT could not compute the rates of {key}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    assert!(
        got["retained"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r == true),
        "{key}: {got}"
    );

    // The symmetry numbers PyGT read: s_i = -(fvib_i - smin)/2 - ln o_i.
    let smin = got["smin"].as_f64().unwrap();
    for (m, s_i) in minima.iter().zip(floats(&got["s"])) {
        let read = (-s_i - (m.ln_prod_positive - smin) / 2.0).exp();
        assert_eq!(
            read.round(),
            order("minimum", m.id),
            "{key}: minimum {}: PyGT read symmetry number {read}",
            m.id
        );
    }

    // Equilibrium occupations.
    let e0 = minima
        .iter()
        .map(|m| m.energy)
        .fold(f64::INFINITY, f64::min);
    let log_w: Vec<f64> = minima
        .iter()
        .map(|m| -BETA * (m.energy - e0) - m.ln_prod_positive / 2.0 - order("minimum", m.id).ln())
        .collect();
    let top = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = log_w.iter().map(|w| (w - top).exp()).sum();
    let pi: Vec<f64> = log_w.iter().map(|w| (w - top).exp() / total).collect();
    for (i, (want, have)) in pi.iter().zip(floats(&got["pi"])).enumerate() {
        assert!(
            close(*want, have, 1e-6),
            "{key}: occupation of minimum {}: direct {want}, PyGT {have}",
            minima[i].id
        );
    }

    // Rate constants.
    let n = minima.len();
    let pos = |id: i64| minima.iter().position(|m| m.id == id).unwrap();
    let mut k = vec![vec![0.0; n]; n];
    for t in ts.iter().filter(|t| !t.degenerate && t.min1 != t.min2) {
        let o_t = order("transition_state", t.id);
        for (from, to) in [(t.min1, t.min2), (t.min2, t.min1)] {
            let m = &minima[pos(from)];
            k[pos(to)][pos(from)] += order("minimum", m.id) / (2.0 * std::f64::consts::PI * o_t)
                * (-BETA * (t.energy - m.energy) + (m.ln_prod_positive - t.ln_prod_positive) / 2.0)
                    .exp();
        }
    }
    let k_pygt: Vec<Vec<f64>> = got["k"].as_array().unwrap().iter().map(floats).collect();
    for i in 0..n {
        for j in 0..n {
            assert!(
                close(k[i][j], k_pygt[i][j], 1e-6),
                "{key}: rate {i} <- {j}: direct {}, PyGT {}",
                k[i][j],
                k_pygt[i][j]
            );
        }
    }

    // Mean first-passage times both ways.
    let direct_ba = mfpt(&k, &pi, a, b);
    let direct_ab = mfpt(&k, &pi, b, a);
    for (name, want, have) in [
        ("B <- A", direct_ba, got["mfpt_ba"].as_f64().unwrap()),
        ("A <- B", direct_ab, got["mfpt_ab"].as_f64().unwrap()),
    ] {
        assert!(
            want.is_finite() && close(want, have, 1e-6),
            "{key}: MFPT {name}: direct {want}, PyGT {have}"
        );
    }
}

/// `--format json|csv` of the read commands: the same rows as the database, JSON and CSV agree,
/// and `census --json` is `census --format json`.
#[test]
fn read_commands_print_json_and_csv() {
    let (dir, db) = tiny_db();
    let store = Store::open_read_only(db).unwrap();
    let l = store.landscape_by_key("h2-l1e-2").unwrap().unwrap();
    let minima = store.minima(l.id).unwrap();
    let ts = store.transition_states(l.id).unwrap();
    let json = |args: &[&str]| -> serde_json::Value {
        let out = ok(args, dir);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
    };
    let key = ["--landscape", "h2-l1e-2"];

    let m = json(&[&["minima", s(db), "--coords", "--format", "json"][..], &key].concat());
    let rows = m.as_array().unwrap();
    assert_eq!(rows.len(), minima.len());
    // serde_json's default parser may miss the last bit of a decimal; the printed text is
    // the shortest round-trip form (checked exactly through the CSV below and Rust's parser).
    let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs());
    for row in rows {
        let stored = minima
            .iter()
            .find(|x| x.id == row["id"])
            .expect("a stored id");
        assert!(close(row["energy"].as_f64().unwrap(), stored.energy));
        assert_eq!(row["landscape"], "h2-l1e-2");
        let coords = row["coords"].as_array().unwrap();
        assert_eq!(coords.len(), stored.coords.len());
        for (v, x) in coords.iter().zip(&stored.coords) {
            assert!(close(v.as_f64().unwrap(), *x));
        }
    }
    let coords_csv = ok(
        &[&["minima", s(db), "--coords", "--format", "csv"][..], &key].concat(),
        dir,
    );
    for line in coords_csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let stored = minima
            .iter()
            .find(|x| x.id.to_string() == cells[1])
            .unwrap();
        let coords: Vec<f64> = cells[10].split(';').map(|c| c.parse().unwrap()).collect();
        assert_eq!(coords, stored.coords, "coordinates bit for bit");
        assert_eq!(cells[2].parse::<f64>().unwrap(), stored.energy);
    }
    let csv = ok(
        &[&["minima", s(db), "--format", "csv"][..], &key].concat(),
        dir,
    );
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "landscape,id,energy,rms_gradient,hessian_index,lowest_eigenvalue,ln_prod_positive,\
             accuracy,times_found,first_run"
        )
    );
    let energies: Vec<f64> = lines
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    let json_energies: Vec<f64> = rows.iter().map(|r| r["energy"].as_f64().unwrap()).collect();
    assert!(
        energies
            .iter()
            .zip(&json_energies)
            .all(|(a, b)| close(*a, *b))
    );

    let t = json(&[&["ts", s(db), "--format", "json"][..], &key].concat());
    assert_eq!(t.as_array().unwrap().len(), ts.len());
    assert!(t[0]["degenerate"].is_boolean() && t[0]["min1"].is_i64());
    let ts_csv = ok(&[&["ts", s(db), "--format", "csv"][..], &key].concat(), dir);
    assert_eq!(ts_csv.lines().count(), ts.len() + 1);

    let summary = json(&["summary", s(db), "--format", "json"]);
    assert_eq!(summary.as_array().unwrap().len(), 4);
    let row = summary
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["landscape"] == "h2-l1e-2")
        .unwrap();
    assert_eq!(row["transition_states"], ts.len());
    assert_eq!(row["n_hidden"], 2);
    assert!(ok(&["summary", s(db), "--format", "csv"], dir).starts_with("landscape,n_hidden"));

    // A path between the two minima joined by a non-degenerate transition state.
    let joined = ts.iter().find(|t| !t.degenerate).expect("a joining TS");
    let (a, b) = (joined.min1.to_string(), joined.min2.to_string());
    let path = json(&[&["path", s(db), &a, &b, "--format", "json"][..], &key].concat());
    let steps = path.as_array().unwrap();
    assert!(steps.len() >= 3, "{path}");
    assert_eq!(steps[0]["kind"], "minimum");
    assert_eq!(steps[0]["id"].to_string(), a);
    assert_eq!(steps.last().unwrap()["id"].to_string(), b);
    assert_eq!(steps[1]["kind"], "transition_state");

    let census = ok(&["census", s(db), "--format", "json"], dir);
    assert_eq!(
        ok(&["census", s(db), "--json"], dir),
        census,
        "--json is an alias"
    );
    let census_csv = ok(&["census", s(db), "--format", "csv"], dir);
    assert!(census_csv.starts_with("landscape,n_hidden,lambda,group_order,index"));
    assert!(
        census_csv.lines().count() > 4,
        "rows per landscape and index"
    );
    let bad = losscape(&["summary", s(db), "--format", "xml"], dir);
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("json") && text(&bad).contains("csv"),
        "{}",
        text(&bad)
    );
}
