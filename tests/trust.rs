//! Trust boundaries: what losscape takes from outside (shard databases, damaged files, output
//! paths, concurrent readers) is checked before it is believed, and every refusal names the
//! input at fault and a way out.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use losscape_db::Store;
use support::{losscape, text, write_file};

/// Two landscapes, three chains, and the connect stage (so parts hold transition states).
const TINY: &str = "[experiment]\nname = \"tiny\"\nseed = 5\nstages = [\"basin_hopping\", \"connect\"]\n\
    [landscape]\nn_hidden = [1, 2]\nlambda = [1e-3]\n\
    [basin_hopping]\nchains = 3\nsteps = 20\n";

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 test paths")
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    losscape(args, dir)
}

fn success(out: &Output, what: &str) -> String {
    let msg = text(out);
    assert!(out.status.success(), "{what} failed:\n{msg}");
    msg
}

fn refused(out: &Output, what: &str) -> String {
    let msg = text(out);
    assert!(!out.status.success(), "{what} should be refused:\n{msg}");
    assert!(!msg.contains("panicked at"), "{what}:\n{msg}");
    msg
}

/// The tiny sweep's single run, its landscape shards (2) and chain shards (3), made once.
struct Sweep {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    cfg: PathBuf,
    single: PathBuf,
    landscape_parts: Vec<PathBuf>,
    chain_parts: Vec<PathBuf>,
}

fn sweep() -> &'static Sweep {
    static SWEEP: OnceLock<Sweep> = OnceLock::new();
    SWEEP.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let dir = tmp.path().to_path_buf();
        let cfg = write_file(&dir, "tiny.toml", TINY);
        let single = dir.join("single.db");
        success(
            &run_in(&dir, &["run", p(&cfg), "--db", p(&single), "--quiet"]),
            "the single run",
        );
        let shards = |n: usize, stem: &str| -> Vec<PathBuf> {
            (0..n)
                .map(|i| {
                    let part = dir.join(format!("{stem}-{i}.db"));
                    let spec = format!("{i}/{n}");
                    success(
                        &run_in(
                            &dir,
                            &[
                                "run",
                                p(&cfg),
                                "--db",
                                p(&part),
                                "--shard",
                                &spec,
                                "--quiet",
                            ],
                        ),
                        &format!("shard {spec}"),
                    );
                    part
                })
                .collect()
        };
        let landscape_parts = shards(2, "landscape");
        let chain_parts = shards(3, "chain");
        Sweep {
            _dir: tmp,
            dir,
            cfg,
            single,
            landscape_parts,
            chain_parts,
        }
    })
}

/// A copy of `from` named `name` in a fresh folder, edited by `sql` (foreign keys off, so an
/// edit may leave a dangling reference, as damage would).
fn edited_copy(from: &Path, dir: &Path, name: &str, sql: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(from, &to).expect("copy the part");
    let conn = rusqlite::Connection::open(&to).expect("open the copy");
    conn.execute_batch(&format!("PRAGMA foreign_keys = OFF; {sql}"))
        .expect("edit the copy");
    drop(conn);
    to
}

fn merge(dir: &Path, parts: &[&Path], out: &Path) -> Output {
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(|q| p(q)));
    args.extend(["--db", p(out)]);
    run_in(dir, &args)
}

/// Every stored minimum (energy and coordinate bits, times found) and transition state (energy
/// bits and its minima's energy bits), by landscape key, ids aside.
type Points = Vec<(String, Vec<(u64, Vec<u64>, i64)>, Vec<(u64, [u64; 2])>)>;

fn points(db: &Path) -> Points {
    let store = Store::open_read_only(db).expect("open the database");
    let mut out = Vec::new();
    for l in store.landscapes().expect("landscapes") {
        let minima = store.minima(l.id).expect("minima");
        let energy = |id: i64| {
            minima
                .iter()
                .find(|m| m.id == id)
                .expect("a transition state's minimum is stored")
                .energy
                .to_bits()
        };
        let mut m: Vec<_> = minima
            .iter()
            .map(|m| {
                let bits = m.coords.iter().map(|x| x.to_bits()).collect();
                (m.energy.to_bits(), bits, m.times_found)
            })
            .collect();
        m.sort();
        let mut t: Vec<_> = store
            .transition_states(l.id)
            .expect("transition states")
            .iter()
            .map(|t| {
                let mut ends = [energy(t.min1), energy(t.min2)];
                ends.sort();
                (t.energy.to_bits(), ends)
            })
            .collect();
        t.sort();
        out.push((l.key.clone(), m, t));
    }
    out.sort();
    out
}

/// Merge messages name the part and the key at fault, advise a retry only where one can help,
/// say every config difference once and the version as stored.
#[test]
fn merge_refusals_name_the_part_and_the_key() {
    let s = sweep();
    let dir = tempfile::tempdir().unwrap();
    let [p0, p1] = [&s.landscape_parts[0], &s.landscape_parts[1]];
    let out = dir.path().join("merged.db");

    // A part relabelled as another shard: its ids say otherwise.
    let relabelled = edited_copy(
        p0,
        dir.path(),
        "relabelled.db",
        "UPDATE meta SET value = '1/2' WHERE key = 'shard';",
    );
    let msg = refused(&merge(dir.path(), &[p0, &relabelled], &out), "relabelled");
    assert!(
        msg.contains("relabelled.db") && msg.contains("meta shard says 1/2"),
        "{msg}"
    );
    assert!(msg.contains("shard 0's"), "{msg}");
    assert!(!out.exists(), "nothing is merged when a part is refused");

    // The same shard twice.
    let msg = refused(&merge(dir.path(), &[p0, p0], &out), "twice");
    assert!(msg.contains("are both shard 0/2"), "{msg}");

    // A transition state whose minimum is missing: the part is named, nothing is merged, even
    // the good part given before it.
    let dangling = edited_copy(
        p1,
        dir.path(),
        "dangling.db",
        "DELETE FROM minima WHERE id = (SELECT min1 FROM transition_states LIMIT 1);",
    );
    let msg = refused(&merge(dir.path(), &[p0, &dangling], &out), "dangling");
    assert!(
        msg.contains("dangling.db")
            && msg.contains("of transition_states refers to a row of minima"),
        "{msg}"
    );
    assert!(!msg.contains("FOREIGN KEY"), "{msg}");
    assert!(!out.exists(), "nothing is merged when a part is refused");

    // Another version: quoted as stored, not "losscape losscape".
    let older = edited_copy(
        p1,
        dir.path(),
        "older.db",
        "UPDATE runs SET program_version = 'losscape 0.0.1';",
    );
    let msg = refused(&merge(dir.path(), &[p0, &older], &out), "version");
    assert!(msg.contains("written by losscape 0.0.1"), "{msg}");
    assert!(!msg.contains("losscape losscape"), "{msg}");

    // Another seed: said once, with the value of each part.
    let other_cfg = write_file(
        dir.path(),
        "seed.toml",
        &TINY.replace("seed = 5", "seed = 6"),
    );
    let other = dir.path().join("seed-1.db");
    success(
        &run_in(
            dir.path(),
            &[
                "run",
                p(&other_cfg),
                "--db",
                p(&other),
                "--shard",
                "1/2",
                "--quiet",
            ],
        ),
        "the other shard",
    );
    let msg = refused(&merge(dir.path(), &[p0, &other], &out), "seed");
    assert_eq!(msg.matches("experiment.seed").count(), 1, "{msg}");
    assert!(msg.contains("5 in") && msg.contains("6 in"), "{msg}");

    // A permanent failure inside the merge gives no advice to retry: the single run's
    // landscapes have other ids than the part's.
    let target = dir.path().join("target.db");
    std::fs::copy(&s.single, &target).unwrap();
    let msg = refused(&merge(dir.path(), &[p0], &target), "overlap");
    assert!(msg.contains("already stored here"), "{msg}");
    assert!(!msg.contains("run the same merge again"), "{msg}");
}

/// Chain shards merge all at once, in any order, to the single run (after `run` completes the
/// later stages); a partial merge is refused naming the missing shards; a unit that would come
/// after the follow-up run is refused.
#[test]
fn chain_shards_merge_at_once_in_any_order() {
    let s = sweep();
    let dir = tempfile::tempdir().unwrap();
    let c = &s.chain_parts;
    let out = dir.path().join("partial.db");
    let msg = refused(&merge(dir.path(), &[&c[2], &c[0]], &out), "partial");
    assert!(
        msg.contains("missing: 1/3") && msg.contains("Nothing was merged"),
        "{msg}"
    );
    assert!(!out.exists());

    let expected = points(&s.single);
    for (name, order) in [("a.db", [0, 1, 2]), ("b.db", [2, 0, 1])] {
        let merged = dir.path().join(name);
        let parts: Vec<&Path> = order.iter().map(|&i| c[i].as_path()).collect();
        success(&merge(dir.path(), &parts, &merged), "the merge");
        success(
            &run_in(
                dir.path(),
                &["run", p(&s.cfg), "--db", p(&merged), "--quiet"],
            ),
            "the follow-up run",
        );
        assert_eq!(
            points(&merged),
            expected,
            "{name} differs from the single run"
        );
    }

    // A chain not merged before the follow-up run (as if the merge had missed it) is refused.
    let merged = dir.path().join("a.db");
    let conn = rusqlite::Connection::open(&merged).unwrap();
    conn.execute(
        "DELETE FROM attempts WHERE stage = 'basin_hopping' AND key = 'chain-1'",
        [],
    )
    .unwrap();
    drop(conn);
    let parts: Vec<&Path> = c.iter().map(PathBuf::as_path).collect();
    let msg = refused(&merge(dir.path(), &parts, &merged), "late");
    // The part that holds the chain is named.
    assert!(
        msg.contains("chain-1.db: h1-l1e-3 chain-1 is not merged yet"),
        "{msg}"
    );
    assert!(msg.contains("merge every chain shard before"), "{msg}");
    let _ = &s.dir;
}

/// One changed byte in a stored energy (the damage SQLite's integrity check sees as an index
/// that no longer matches its table) is refused by `run` (before anything is written), by
/// `census` and by `report`, with a way out; the file is left as it is.
#[test]
fn damaged_databases_are_refused_with_a_way_out() {
    let s = sweep();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("damaged.db");
    std::fs::copy(&s.single, &db).unwrap();
    let energy = {
        let store = Store::open_read_only(&db).unwrap();
        let l = &store.landscapes().unwrap()[0];
        store.minima(l.id).unwrap()[0].energy
    };
    let mut bytes = std::fs::read(&db).unwrap();
    let at = bytes
        .windows(8)
        .position(|w| w == energy.to_be_bytes())
        .expect("the energy is stored as 8 big-endian bytes");
    bytes[at + 7] ^= 1;
    std::fs::write(&db, &bytes).unwrap();

    let cases: [(&str, Vec<&str>); 3] = [
        ("run", vec!["run", p(&s.cfg), "--db", p(&db), "--quiet"]),
        ("census", vec!["census", p(&db)]),
        (
            "report",
            vec![
                "report",
                p(&db),
                "-o",
                "report-out",
                "--no-basins",
                "--no-png",
            ],
        ),
    ];
    for (what, args) in cases {
        let msg = refused(&run_in(dir.path(), &args), what);
        assert!(
            msg.contains("damaged.db is damaged: SQLite's integrity check fails")
                && msg.contains(".recover"),
            "{what}: {msg}"
        );
        assert_eq!(
            std::fs::read(&db).unwrap(),
            bytes,
            "{what} changed the file"
        );
    }
    assert!(!dir.path().join("report-out").exists());
}

/// `report -o DIR` and `graph -o FILE` replace a symbolic link already at an output name, as
/// `export` does, instead of overwriting the file it points to.
#[test]
fn outputs_replace_links_instead_of_following_them() {
    let s = sweep();
    let dir = tempfile::tempdir().unwrap();
    let victim = write_file(dir.path(), "victim.txt", "keep");
    let out = dir.path().join("report");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&victim, out.join("index.html")).unwrap();
    std::os::unix::fs::symlink(&victim, out.join("counts.csv")).unwrap();
    success(
        &run_in(
            dir.path(),
            &[
                "report",
                p(&s.single),
                "-o",
                p(&out),
                "--no-basins",
                "--no-png",
            ],
        ),
        "report",
    );
    let graph = dir.path().join("graph.svg");
    std::os::unix::fs::symlink(&victim, &graph).unwrap();
    success(
        &run_in(
            dir.path(),
            &[
                "graph",
                p(&s.single),
                "--landscape",
                "h2-l1e-3",
                "-o",
                p(&graph),
            ],
        ),
        "graph",
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    for written in [out.join("index.html"), out.join("counts.csv"), graph] {
        let meta = std::fs::symlink_metadata(&written).unwrap();
        assert!(meta.is_file(), "{} is still a link", written.display());
    }
}

/// Imported points pass the identity rule found points pass: a `min.data` that lists a minimum
/// twice stores it once (found twice), and the Morse census sees no phantom minimum.
#[test]
fn an_imported_repeated_minimum_is_stored_once() {
    let s = sweep();
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("ps");
    let key = "h2-l1e-3";
    success(
        &run_in(
            dir.path(),
            &[
                "export",
                "pathsample",
                p(&s.single),
                "--landscape",
                key,
                "--dir",
                p(&files),
            ],
        ),
        "export",
    );
    // Append a copy of line 1 to min.data and of its coordinates to points.min.
    let min_data = std::fs::read_to_string(files.join("min.data")).unwrap();
    let lines = min_data.lines().count();
    let first = min_data.lines().next().unwrap().to_owned();
    std::fs::write(files.join("min.data"), format!("{min_data}{first}\n")).unwrap();
    let mut points = std::fs::read(files.join("points.min")).unwrap();
    let record = points.len() / lines;
    let copy = points[..record].to_vec();
    points.extend_from_slice(&copy);
    std::fs::write(files.join("points.min"), points).unwrap();

    let db = dir.path().join("imported.db");
    let msg = success(
        &run_in(
            dir.path(),
            &[
                "import",
                "pathsample",
                p(&files),
                "--db",
                p(&db),
                "--landscape",
                "copy",
                "--n-hidden",
                "2",
                "--lambda",
                "1e-3",
            ],
        ),
        "import",
    );
    assert!(msg.contains("1 line(s) of the files repeat"), "{msg}");
    let store = Store::open_read_only(&db).unwrap();
    let l = store.landscape_by_key("copy").unwrap().unwrap();
    let minima = store.minima(l.id).unwrap();
    assert_eq!(
        minima.len(),
        lines,
        "the repeated line is not a new minimum"
    );
    assert_eq!(minima.iter().map(|m| m.times_found).max(), Some(2));
    // The Morse census of the copy reads as the original's: no phantom minimum, no deficit.
    let census = |db: &Path, key: &str| {
        let out = run_in(
            dir.path(),
            &["census", p(db), "--landscape", key, "--format", "csv"],
        );
        success(&out, "census");
        String::from_utf8_lossy(&out.stdout).replace(key, "KEY")
    };
    assert_eq!(census(&db, "copy"), census(&s.single, key));
}

/// After a clean exit of a run or of a read command, the database has no `-wal`/`-shm`
/// companions beside it.
#[test]
fn no_companion_files_are_left_after_clean_exits() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(
        dir.path(),
        "small.toml",
        "[experiment]\nname = \"small\"\nstages = [\"basin_hopping\"]\n\
         [landscape]\nn_hidden = [1]\nlambda = [1e-3]\n[basin_hopping]\nchains = 2\nsteps = 10\n",
    );
    let db = dir.path().join("small.db");
    let companions = || {
        ["-wal", "-shm", "-journal"]
            .iter()
            .map(|suffix| format!("{}{suffix}", db.display()))
            .filter(|f| Path::new(f).exists())
            .collect::<Vec<_>>()
    };
    let commands: [Vec<&str>; 5] = [
        vec!["run", p(&cfg), "--db", p(&db), "--quiet"],
        vec!["summary", p(&db)],
        vec!["minima", p(&db)],
        vec!["census", p(&db)],
        vec!["run", p(&cfg), "--db", p(&db), "--quiet"],
    ];
    for args in commands {
        success(&run_in(dir.path(), &args), args[0]);
        assert!(
            companions().is_empty(),
            "after {args:?}: {:?}",
            companions()
        );
    }
}

/// A plugin that cannot be found is reported with how to build it and where to point to it,
/// by every command that loads plugins.
#[test]
fn a_missing_plugin_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(
        dir.path(),
        "fire.toml",
        "[landscape]\nn_hidden = [1]\nlambda = [1e-3]\n[minimiser]\nkind = \"plugin\"\nname = \"no-such-opt\"\n",
    );
    let lbfgs = write_file(
        dir.path(),
        "plain.toml",
        "[landscape]\nn_hidden = [1]\nlambda = [1e-3]\n",
    );
    let db = dir.path().join("x.db");
    for args in [
        vec!["check", p(&cfg)],
        vec!["run", p(&cfg), "--db", p(&db), "--quiet"],
        vec![
            "basins",
            p(&lbfgs),
            "--minimisers",
            "lbfgs,no-such-opt",
            "--starts",
            "2",
        ],
    ] {
        let msg = refused(&run_in(dir.path(), &args), args[0]);
        assert!(
            msg.contains("cargo build --release -p losscape-plugin-no-such-opt")
                && msg.contains("target/release/")
                && msg.contains("--plugin-dir"),
            "{}: {msg}",
            args[0]
        );
    }
    assert!(!db.exists(), "no database for a run that cannot start");
}
