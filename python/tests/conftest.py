"""Shared fixtures: the repository root, the seed articles, the default model, the CLI."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import stance

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "data" / "articles"
GOLD = ROOT / "data" / "gold" / "seeds.jsonl"
MODEL = ROOT / "models" / "default"


def seed_articles():
    """(id, text) of the seed articles, sorted by file name as `stance label DIR` reads them."""
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(ARTICLES.glob("*.txt"))]


@pytest.fixture(scope="session")
def seeds():
    return seed_articles()


@pytest.fixture(scope="session")
def pipe():
    return stance.load(MODEL)


@pytest.fixture(scope="session")
def gold():
    with open(GOLD, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _cli_binary():
    env = os.environ.get("STANCE_BIN")
    if env:
        return env if Path(env).exists() else None
    for profile in ("release", "debug"):
        p = ROOT / "target" / profile / "stance"
        if p.exists():
            return str(p)
    return shutil.which("stance")


@pytest.fixture(scope="session")
def cli():
    """Runs the `stance` binary from the repository root; skips when it is not built."""
    binary = _cli_binary()
    if binary is None:
        pytest.skip("SKIPPED: no stance binary (set STANCE_BIN or run `cargo build` first)")

    def run(*args, stdin=None):
        p = subprocess.run([binary, *args], cwd=ROOT, input=stdin, capture_output=True, check=False)
        return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")

    return run


@pytest.fixture
def model_copy(tmp_path):
    """A fresh copy of the default model directory, to damage."""
    dst = tmp_path / "model"
    shutil.copytree(MODEL, dst)
    return dst
