"""Fixtures of the Python package's tests: the `losscape` binary, and the databases of runs made
once per session through the Python API.

The binary is $LOSSCAPE_BIN, else target/release/losscape or target/debug/losscape of this
checkout (`.ci/python` builds it with `cargo build -p losscape-cli`).
"""

import json
import os
import pathlib
import subprocess

import pytest

import losscape

ROOT = pathlib.Path(__file__).resolve().parents[2]
QUICK = ROOT / "configs" / "xor-quick.toml"

# A sweep of one small landscape that runs in about a second: the dict and file forms of it are
# compared, and most checks that need some stored points use it.
SMALL = {
    "experiment": {
        "name": "small",
        "seed": 7,
        "stages": ["basin_hopping", "connect"],
    },
    "data": {"kind": "xor"},
    "landscape": {"n_hidden": [2], "lambda": [1e-2]},
    "basin_hopping": {"chains": 4, "steps": 60, "max_without_new": 40},
}

# The same sweep as an experiment file.
SMALL_TOML = """\
[experiment]
name = "small"
seed = 7
stages = ["basin_hopping", "connect"]

[data]
kind = "xor"

[landscape]
n_hidden = [2]
lambda = [1e-2]

[basin_hopping]
chains = 4
steps = 60
max_without_new = 40
"""


def losscape_bin() -> pathlib.Path:
    explicit = os.environ.get("LOSSCAPE_BIN")
    if explicit:
        return pathlib.Path(explicit)
    for profile in ("release", "debug"):
        candidate = ROOT / "target" / profile / "losscape"
        if candidate.exists():
            return candidate
    subprocess.run(["cargo", "build", "-p", "losscape-cli"], cwd=ROOT, check=True)
    return ROOT / "target" / "debug" / "losscape"


@pytest.fixture(scope="session")
def cli():
    """Runs the `losscape` binary with the given arguments; returns its parsed JSON output
    when `--format json` is among them, else its stdout."""
    binary = losscape_bin()

    def call(*args):
        out = subprocess.run(
            [str(binary), *map(str, args)], capture_output=True, text=True, check=True
        )
        return json.loads(out.stdout) if "json" in args else out.stdout

    return call


@pytest.fixture(scope="session")
def quick_db(tmp_path_factory):
    """The quick XOR sweep (configs/xor-quick.toml), run through `losscape.run`."""
    db = tmp_path_factory.mktemp("quick") / "quick.db"
    losscape.run(QUICK, db)
    return db


@pytest.fixture(scope="session")
def small_db(tmp_path_factory):
    """The small sweep from the dict form of its config."""
    db = tmp_path_factory.mktemp("small") / "small.db"
    losscape.run(SMALL, db)
    return db
