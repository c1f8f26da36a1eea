"""`losscape.check` and `losscape.run`: configs as files or dicts, errors, logging, Ctrl-C."""

import logging
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import losscape
from conftest import QUICK, SMALL, SMALL_TOML, losscape_bin


def points(db_path):
    """Every stored minimum and transition state, per landscape, as plain arrays."""
    db = losscape.open(db_path)
    out = {}
    for l in db.landscapes():
        m, t = l.minima(), l.transition_states()
        out[l.key] = {
            "minima": {k: m[k] for k in ("id", "energy", "coords", "times_found")},
            "ts": {k: t[k] for k in ("id", "energy", "coords", "min1", "min2")},
        }
    return out


def assert_same_points(a, b):
    assert a.keys() == b.keys()
    for key in a:
        for kind in ("minima", "ts"):
            for column in a[key][kind]:
                np.testing.assert_array_equal(
                    a[key][kind][column], b[key][kind][column], err_msg=f"{key} {kind} {column}"
                )


def test_check_lists_the_grid_like_the_cli(cli):
    checked = losscape.check(QUICK)
    assert checked["text"] == cli("check", QUICK)
    assert [l["key"] for l in checked["landscapes"]] == [
        "h2-l1e-2", "h2-l1e-3", "h3-l1e-2", "h3-l1e-3"
    ]
    assert checked["minimiser"] == "lbfgs"
    assert checked["memory_bytes"] > 0
    assert losscape.check(SMALL)["source"] == "<config dict>"


def test_a_dict_runs_like_its_toml_file(small_db, tmp_path):
    config = tmp_path / "small.toml"
    config.write_text(SMALL_TOML)
    from_file = tmp_path / "from-file.db"
    summaries = losscape.run(config, from_file, threads=1)
    assert [s["landscape"] for s in summaries] == ["h2-l1e-2"]
    assert summaries[0]["minima_by_energy"] > 1
    assert_same_points(points(small_db), points(from_file))


def test_bad_configs_raise_the_clis_messages(tmp_path):
    bad = dict(SMALL, landscape={"n_hidden": [2], "lambda": [-1.0]})
    with pytest.raises(losscape.ConfigError, match=r"<config dict>: invalid value for `landscape.lambda`"):
        losscape.check(bad)
    unknown = dict(SMALL, experiment=dict(SMALL["experiment"], sed=3))
    with pytest.raises(losscape.ConfigError, match="sed"):
        losscape.check(unknown)
    with pytest.raises(losscape.ConfigError, match=r"invalid value for `data.path`.*object"):
        losscape.check(dict(SMALL, data={"kind": "csv", "path": object()}))
    # A file gets the CLI's message word for word.
    config = tmp_path / "bad.toml"
    config.write_text(SMALL_TOML.replace("lambda = [1e-2]", "lambda = [-1.0]"))
    with pytest.raises(losscape.ConfigError) as raised:
        losscape.check(config)
    failed = subprocess.run(
        [str(losscape_bin()), "check", str(config)], capture_output=True, text=True
    )
    assert failed.returncode != 0
    assert failed.stderr.strip() == f"error: {raised.value}"
    # Nothing was created for a config that does not check.
    with pytest.raises(losscape.ConfigError):
        losscape.run(bad, tmp_path / "never.db")
    assert not (tmp_path / "never.db").exists()


def test_progress_goes_to_logging(tmp_path, caplog):
    with caplog.at_level(logging.DEBUG, logger="losscape"):
        losscape.run(SMALL, tmp_path / "logged.db")
    messages = [r.getMessage() for r in caplog.records if r.name == "losscape"]
    assert "landscape h2-l1e-2 (1/1)" in messages
    assert any(m.startswith("h2-l1e-2: basin_hopping: 4 unit(s) to do") for m in messages)
    assert any("unit committed" in m for m in messages)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="losscape"):
        losscape.run(SMALL, tmp_path / "logged.db")
    messages = [r.getMessage() for r in caplog.records if r.name == "losscape"]
    assert any(m.startswith("resuming") for m in messages)
    assert any("finished by an earlier run, skipped" in m for m in messages)


def test_ctrl_c_keeps_committed_work_and_the_run_resumes(quick_db, tmp_path):
    db = tmp_path / "interrupted.db"
    script = textwrap.dedent(
        f"""
        import logging, sys
        import losscape
        logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(message)s")
        losscape.run({str(QUICK)!r}, {str(db)!r})
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # Interrupt once some units are committed, well before the sweep ends.
    committed = 0
    for line in child.stdout:
        if "unit committed" in line:
            committed += 1
            if committed == 3:
                break
    assert committed == 3, "the run committed units before it ended"
    # A reader sees the committed work while the run writes.
    during = losscape.open(db)
    assert [r["status"] for r in during.runs()] == ["running"]
    assert sum(len(l.minima()["id"]) for l in during.landscapes()) > 0
    child.send_signal(signal.SIGINT)
    rest, err = child.communicate(timeout=300)
    assert child.returncode != 0
    assert "KeyboardInterrupt" in err
    assert "interrupted: everything committed is kept" in rest
    runs = losscape.open(db).runs()
    assert [r["status"] for r in runs] == ["interrupted"]
    partial = points(db)
    assert sum(len(p["minima"]["id"]) for p in partial.values()) > 0
    # The same call resumes and ends with what an uninterrupted run stores.
    losscape.run(QUICK, db)
    assert [r["status"] for r in losscape.open(db).runs()] == ["interrupted", "completed"]
    assert_same_points(points(db), points(quick_db))
