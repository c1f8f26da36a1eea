//! Promises of the README under adversarial use: kills in the first milliseconds, writers that
//! meet through links, special files and read-only folders as databases, resuming with another
//! config, experiment names that look like paths, sizes that do not fit in memory, and the
//! smaller edges of the command line.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use losscape_db::Store;
use support::{bin, losscape, text, uid, write_file};

/// A run small enough to be killed and redone dozens of times: two landscapes, a few chains.
const TINY: &str = "[experiment]\nname = \"tiny\"\nseed = 5\nstages = [\"basin_hopping\"]\n\
    [landscape]\nn_hidden = [1, 2]\nlambda = [1e-3]\n\
    [basin_hopping]\nchains = 3\nsteps = 20\n";

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 test paths")
}

/// Stored minima, exactly (id, energy bits, coordinate bits), by landscape key.
fn minima(db: &Path) -> Vec<(String, i64, u64, Vec<u64>)> {
    let store = Store::open_read_only(db).expect("open the database");
    let mut out = Vec::new();
    for l in store.landscapes().expect("landscapes") {
        for m in store.minima(l.id).expect("minima") {
            let bits = m.coords.iter().map(|x| x.to_bits()).collect();
            out.push((l.key.clone(), m.id, m.energy.to_bits(), bits));
        }
    }
    out
}

fn run_ok(cfg: &Path, db: &Path, dir: &Path) -> Output {
    let out = losscape(&["run", p(cfg), "--db", p(db), "--quiet"], dir);
    assert!(out.status.success(), "run failed:\n{}", text(&out));
    out
}

/// Kills in the first milliseconds of a run, when the database is being created, never leave a
/// file that later commands cannot open: every killed run resumes to the uninterrupted result.
/// (Before creation was made safe, about one kill in twenty left a hot journal that made every
/// later command fail with "attempt to write a readonly database".) The kills sweep the first
/// 30 ms: 40 of them by default, 120 with `LOSSCAPE_EXHAUSTIVE=1`.
#[test]
fn kills_during_creation_leave_a_database_that_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(dir.path(), "tiny.toml", TINY);
    let reference = dir.path().join("reference.db");
    run_ok(&cfg, &reference, dir.path());
    let expected = minima(&reference);
    assert!(!expected.is_empty());

    let db = dir.path().join("e.db");
    let mut hit_creation = 0;
    let kills: u64 = if losscape_test_support::exhaustive() {
        120
    } else {
        40
    };
    let step = 30_000 / kills;
    for i in 0..kills {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let mut child = Command::new(bin())
            .args(["run", p(&cfg), "--db", p(&db), "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start losscape");
        // Sweep the kill moment across process start-up and database creation.
        std::thread::sleep(Duration::from_micros(500 + step * i));
        let _ = child.kill();
        let _ = child.wait();
        if db.exists() {
            hit_creation += 1;
        }
        let summary = losscape(&["summary", p(&db)], dir.path());
        let msg = text(&summary);
        assert!(
            !msg.contains("readonly") && !msg.contains("panicked"),
            "kill #{i}: {msg}"
        );
        run_ok(&cfg, &db, dir.path());
        assert_eq!(minima(&db), expected, "kill #{i}: resumed run differs");
    }
    assert!(hit_creation > 0, "no kill happened after the file existed");
}

/// Two `run`s on one database through a symbolic or a hard link: the second is refused as busy
/// and records nothing.
#[test]
fn a_second_writer_through_a_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, make) in [
        (
            "symbolic",
            (|a: &Path, b: &Path| std::os::unix::fs::symlink(a, b)) as fn(&Path, &Path) -> _,
        ),
        ("hard", |a: &Path, b: &Path| std::fs::hard_link(a, b)),
    ] {
        let db = dir.path().join(format!("{kind}.db"));
        let link = dir.path().join(format!("{kind}-link.db"));
        // The first writer holds the database open while it works; a run over a slow config
        // makes sure it is still running when the second one starts.
        let slow = write_file(
            dir.path(),
            "slow.toml",
            &TINY.replace("steps = 20", "steps = 4000"),
        );
        let mut first = Command::new(bin())
            .args(["run", p(&slow), "--db", p(&db), "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the first writer");
        while Store::open_read_only(&db)
            .and_then(|s| s.runs())
            .map_or(true, |r| r.is_empty())
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        make(&db, &link).expect("make the link");
        let second = losscape(&["run", p(&slow), "--db", p(&link), "--quiet"], dir.path());
        let msg = text(&second);
        let _ = first.kill();
        let _ = first.wait();
        assert!(!second.status.success(), "{kind} link: second writer ran");
        assert!(msg.contains("busy"), "{kind} link: {msg}");
        let runs = Store::open_read_only(&db).unwrap().runs().unwrap();
        assert_eq!(
            runs.len(),
            1,
            "{kind} link: the refused writer recorded a run"
        );
    }
}

/// Runs `losscape args` under an address-space limit of 4 GB (`ulimit -v`), as on a machine
/// with 4 GB for this process, in `cwd`.
fn losscape_in_4gb(args: &[&str], cwd: &Path) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4000000 && exec \"$0\" \"$@\"")
        .arg(bin())
        .args(args)
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("sh runs")
}

/// Sizes that pass validation but cannot fit are refused before anything is allocated or
/// opened, with a message saying how much they need; none ends in the allocator's abort.
#[test]
fn sizes_that_cannot_fit_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let wide_csv: String = (0..4)
        .map(|row| {
            let features: Vec<String> = (0..5000).map(|j| ((row * j) % 7).to_string()).collect();
            format!("{},{}\n", features.join(","), row % 2)
        })
        .collect();
    write_file(dir.path(), "wide.csv", &wide_csv);
    let cases = [
        ("wide-network", "[landscape]\nn_hidden = [6553]\n"),
        ("wide-data", "[data]\nkind = \"csv\"\npath = \"wide.csv\"\n"),
        (
            "lbfgs-memory",
            "[minimiser]\nkind = \"lbfgs\"\nmemory = 100000000000\n",
        ),
        (
            "band",
            "[experiment]\nstages = [\"basin_hopping\", \"connect\"]\n\
             [dneb]\nmin_images = 100000000\nmax_images = 100000000\n",
        ),
        ("chains", "[basin_hopping]\nchains = 1000000000000\n"),
    ];
    for (name, text) in cases {
        let cfg = write_file(dir.path(), &format!("{name}.toml"), text);
        let db = dir.path().join(format!("{name}.db"));
        let out = losscape_in_4gb(
            &["run", p(&cfg), "--db", p(&db), "--threads", "2", "--quiet"],
            dir.path(),
        );
        let msg = text_of(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {msg}");
        assert!(msg.contains("needs about"), "{name}: {msg}");
        assert!(msg.contains("available"), "{name}: {msg}");
        assert!(!db.exists(), "{name}: the database was created");
    }
    let cfg = write_file(dir.path(), "tiny.toml", TINY);
    let out = losscape(
        &["run", p(&cfg), "--threads", "100000", "--quiet"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("1024"), "{}", text(&out));

    // The analysis commands bound their sizes too.
    let db = dir.path().join("tiny.db");
    run_ok(&cfg, &db, dir.path());
    let out = losscape_in_4gb(&["basins", p(&cfg), "--starts", "100000000000"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("needs about"), "{}", text(&out));
    let svg = dir.path().join("g.svg");
    let out = losscape(
        &[
            "graph",
            p(&db),
            "--landscape",
            "h2-l1e-3",
            "-o",
            p(&svg),
            "--levels",
            "100000000",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("--levels"), "{}", text(&out));
    let out = losscape(&["basins", p(&cfg), "--rms-gradient", "nan"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("--rms-gradient"), "{}", text(&out));
}

fn text_of(o: &Output) -> String {
    text(o)
}

/// A FIFO or a device as the database is refused at once (opening a FIFO would block forever)
/// and nothing is created beside it.
#[test]
fn special_files_are_refused_as_databases() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(dir.path(), "tiny.toml", TINY);
    let fifo = dir.path().join("p.db");
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    for args in [
        vec!["summary", p(&fifo)],
        vec!["run", p(&cfg), "--db", p(&fifo), "--quiet"],
    ] {
        let mut child = Command::new(bin())
            .args(&args)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("{args:?} hangs on a FIFO");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("FIFO"), "{args:?}: {}", text(&out));
    }
    for dev in ["/dev/null", "/dev/zero"] {
        let out = losscape(&["run", p(&cfg), "--db", dev, "--quiet"], dir.path());
        assert_eq!(out.status.code(), Some(1), "{dev}: {}", text(&out));
        assert!(text(&out).contains("device"), "{dev}: {}", text(&out));
        for litter in [".lock", "-journal", "-wal"] {
            assert!(
                !Path::new(&format!("{dev}{litter}")).exists(),
                "{dev}{litter}"
            );
        }
    }
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["p.db", "tiny.toml"]);
}

/// Every read command works on a database in a read-only folder (mode 555, file 444). Run as an
/// unprivileged user, since root may write anywhere.
#[test]
#[cfg_attr(
    losscape_root_without_setpriv,
    ignore = "built as root without setpriv, which the test needs to read as an unprivileged user"
)]
fn read_commands_work_in_a_read_only_folder() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = write_file(root.path(), "tiny.toml", TINY);
    let folder = root.path().join("ro");
    std::fs::create_dir(&folder).unwrap();
    let db = folder.join("q.db");
    run_ok(&cfg, &db, root.path());
    let out_dir = root.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();

    // As root, drop to the `nobody` user for the read commands.
    let prefix: Vec<String> = if uid() == Some(0) {
        let setpriv = Command::new("setpriv").arg("--version").output();
        assert!(
            setpriv.is_ok_and(|o| o.status.success()),
            "running as root without setpriv to drop privileges"
        );
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
        .map(String::from)
        .to_vec()
    } else {
        Vec::new()
    };
    let report = out_dir.join("report");
    let commands: Vec<Vec<&str>> = vec![
        vec!["summary", p(&db)],
        vec!["minima", p(&db)],
        vec!["ts", p(&db)],
        vec!["census", p(&db)],
        vec!["counts", p(&db)],
        vec!["report", p(&db), "-o", p(&report), "--no-basins"],
    ];
    for args in commands {
        let mut cmd = if prefix.is_empty() {
            Command::new(bin())
        } else {
            let mut c = Command::new(&prefix[0]);
            c.args(&prefix[1..]).arg(bin());
            c
        };
        let out = cmd
            .args(&args)
            .current_dir(&out_dir)
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    assert!(report.join("index.html").exists());
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Resuming a database with a config that changes what its finished work means is refused,
/// naming what differs, and the database keeps exactly what it had; a config that only adds
/// work resumes.
#[test]
fn a_database_belongs_to_one_experiment() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(dir.path(), "tiny.toml", TINY);
    let db = dir.path().join("one.db");
    run_ok(&cfg, &db, dir.path());
    let before = minima(&db);

    let other = write_file(
        dir.path(),
        "other.toml",
        &TINY.replace("seed = 5", "seed = 6"),
    );
    let out = losscape(&["run", p(&other), "--db", p(&db), "--quiet"], dir.path());
    let msg = text(&out);
    assert_eq!(out.status.code(), Some(1), "{msg}");
    assert!(msg.contains("another experiment"), "{msg}");
    assert!(
        msg.contains("experiment.seed: 5 in the database, 6 in the file"),
        "{msg}"
    );
    assert_eq!(minima(&db), before);
    let runs = Store::open_read_only(&db).unwrap().runs().unwrap();
    assert_eq!(runs.len(), 1, "the refused run was recorded");

    let more = write_file(
        dir.path(),
        "more.toml",
        &TINY.replace("chains = 3", "chains = 5"),
    );
    run_ok(&more, &db, dir.path());
    let after = minima(&db);
    assert!(
        before.iter().all(|m| after.contains(m)),
        "extending lost minima"
    );
}

/// An experiment name is a plain file name: the default database `<name>.db` stays in the
/// current folder.
#[test]
fn experiment_names_that_are_paths_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for name in [
        "../escape",
        "/tmp/losscape-absolute",
        "bad\\u0001name",
        "",
        ".hidden",
    ] {
        let cfg = write_file(
            &work,
            "named.toml",
            &TINY.replace("name = \"tiny\"", &format!("name = \"{name}\"")),
        );
        for args in [vec!["check", p(&cfg)], vec!["run", p(&cfg), "--quiet"]] {
            let out = losscape(&args, &work);
            let msg = text(&out);
            assert_eq!(out.status.code(), Some(1), "{name:?} {args:?}: {msg}");
            assert!(msg.contains("experiment.name"), "{name:?}: {msg}");
        }
    }
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["work"]);
    assert!(!Path::new("/tmp/losscape-absolute.db").exists());
}

/// Waits for `child` to commit its first basin-hopping chain into `db`.
fn wait_for_work(child: &mut std::process::Child, db: &Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended too soon"
        );
        let started = Store::open_read_only(db)
            .ok()
            .and_then(|s| {
                let l = s.landscapes().ok()?.into_iter().next()?;
                Some(s.attempts(l.id, "basin_hopping").ok()?.len())
            })
            .unwrap_or(0);
        if started >= 2 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "no work committed");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// SIGTERM (what `kill` and batch schedulers send) stops a run like Ctrl-C: committed work is
/// kept, the run is marked interrupted, and the printed resume command works when pasted into
/// a shell, even for paths with spaces and quotes.
#[test]
fn sigterm_stops_cleanly_and_the_resume_command_can_be_pasted() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("my work's folder");
    std::fs::create_dir(&folder).unwrap();
    let slow = TINY
        .replace("steps = 20", "steps = 3000")
        .replace("chains = 3", "chains = 40");
    let cfg = write_file(&folder, "my cfg.toml", &slow);
    let db = folder.join("the db.db");
    let mut child = Command::new(bin())
        .args(["run", p(&cfg), "--db", p(&db), "--quiet", "--threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_work(&mut child, &db);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let msg = text(&out);
    assert_eq!(out.status.code(), Some(130), "{msg}");
    let runs = Store::open_read_only(&db).unwrap().runs().unwrap();
    assert_eq!(runs[0].status, losscape_db::RunStatus::Interrupted, "{msg}");
    let command = msg
        .lines()
        .find_map(|l| l.strip_prefix("resume with the same command: "))
        .unwrap_or_else(|| panic!("no resume command in:\n{msg}"))
        .replace("--threads 1", "--threads 2");
    // Paste it, with the configuration shortened so the test stays quick.
    std::fs::write(&cfg, TINY.replace("chains = 3", "chains = 40")).unwrap();
    let pasted = Command::new("sh").arg("-c").arg(&command).output().unwrap();
    // The shortened config has fewer steps: a database of the longer run refuses it, naming
    // the key, which proves the pasted command reached this database and config.
    let pasted_msg = text(&pasted);
    assert!(
        pasted_msg.contains("basin_hopping.steps"),
        "the pasted command did not reach the database:\n{command}\n{pasted_msg}"
    );
}

/// The plugin loader's errors say why: a file that is not a library is named for what it is,
/// and a folder given as the plugin path is called a folder.
#[test]
fn plugin_loading_errors_give_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "libfake.so", "this is not an ELF file\n");
    let fake = write_file(
        dir.path(),
        "fake.toml",
        "[minimiser]\nkind = \"plugin\"\npath = \"libfake.so\"\n",
    );
    let out = losscape(&["check", p(&fake)], dir.path());
    let msg = text(&out);
    assert_eq!(out.status.code(), Some(1), "{msg}");
    assert!(msg.contains("libfake.so"), "{msg}");
    // Refused as what it is, before the loader sees it.
    assert!(
        msg.contains("is not a shared library: it is a text file"),
        "no reason: {msg}"
    );
    std::fs::create_dir(dir.path().join("plugins")).unwrap();
    let folder = write_file(
        dir.path(),
        "folder.toml",
        "[minimiser]\nkind = \"plugin\"\npath = \"plugins\"\n",
    );
    let out = losscape(&["check", p(&folder)], dir.path());
    let msg = text(&out);
    assert_eq!(out.status.code(), Some(1), "{msg}");
    assert!(msg.contains("a folder"), "{msg}");
    assert!(!msg.contains("not found"), "{msg}");
}

/// `report -o` naming an existing file says so, and leaves the file alone.
#[test]
fn a_report_into_a_file_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(dir.path(), "tiny.toml", TINY);
    let db = dir.path().join("r.db");
    run_ok(&cfg, &db, dir.path());
    let file = write_file(dir.path(), "notes.txt", "mine\n");
    let out = losscape(
        &["report", p(&db), "-o", p(&file), "--no-basins"],
        dir.path(),
    );
    let msg = text(&out);
    assert_eq!(out.status.code(), Some(1), "{msg}");
    assert!(msg.contains("is a file, not a folder"), "{msg}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");
}
