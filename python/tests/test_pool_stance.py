"""scripts/analysis/pool_stance.py, whose figures docs/training.md quotes, on a case worked by
hand: which quotes form a group, the pooled probabilities, and what stays as it was."""

import json
import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "analysis" / "pool_stance.py"


def side(stance, favor, against, neutral):
    return {"stance": stance, "probs": {"favor": favor, "against": against, "neutral": neutral},
            "relevance": 0.9, "confidence": 0.8}


def run(tmp_path, rows, *args):
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "p.jsonl"), str(tmp_path / "o.jsonl"), *args],
        capture_output=True, text=True, check=True,
    ).stdout
    got = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()]
    return out, got


ROWS = [
    # Lavrov on nato twice in article a: one group of two.
    {"article": "a", "speaker": "Sergey Lavrov", "topics": {"nato": side("favor", 0.5, 0.4, 0.1)},
     "sentiment": {"label": "negative"}},
    {"article": "a", "speaker": "Sergey Lavrov",
     "topics": {"nato": side("against", 0.1, 0.8, 0.1), "peacekeepers": side("against", 0.2, 0.7, 0.1)}},
    # The same speaker and topic in another article: not in the group.
    {"article": "b", "speaker": "Sergey Lavrov", "topics": {"nato": side("favor", 0.9, 0.05, 0.05)}},
    # No speaker: never pooled, not even with each other.
    {"article": "a", "speaker": None, "topics": {"nato": side("favor", 0.9, 0.05, 0.05)}},
    {"article": "a", "speaker": None, "topics": {"nato": side("against", 0.1, 0.6, 0.3)}},
]


def test_mean_of_a_group(tmp_path):
    out, got = run(tmp_path, ROWS)
    assert "1 groups of two or more quotes; 2 (quote, topic) labels pooled, 1 stances changed" in out
    # The mean of (0.5, 0.4, 0.1) and (0.1, 0.8, 0.1): (0.3, 0.6, 0.1), so both are against.
    for r in got[:2]:
        assert r["topics"]["nato"]["stance"] == "against"
        assert r["topics"]["nato"]["probs"] == {"favor": 0.3, "against": 0.6, "neutral": 0.1}
    # Everything else is as it was: the lone topic, the other article, the unattributed quote,
    # relevance, confidence and sentiment.
    assert got[1]["topics"]["peacekeepers"] == ROWS[1]["topics"]["peacekeepers"]
    assert got[2:] == ROWS[2:]
    assert got[0]["sentiment"] == ROWS[0]["sentiment"]
    assert got[0]["topics"]["nato"]["relevance"] == 0.9 and got[0]["topics"]["nato"]["confidence"] == 0.8


def test_beta_weighs_the_others(tmp_path):
    # beta 0.25: quote 1 keeps favor, (0.5 + 0.025, 0.4 + 0.2, 0.1 + 0.025) / 1.25 = (0.42, 0.48,
    # 0.10) -> against after all; quote 2 (0.1 + 0.125, 0.8 + 0.1, 0.1 + 0.025) / 1.25.
    _, got = run(tmp_path, ROWS, "--beta", "0.25")
    assert got[0]["topics"]["nato"]["probs"] == {"favor": 0.42, "against": 0.48, "neutral": 0.1}
    assert got[1]["topics"]["nato"]["probs"] == {"favor": 0.18, "against": 0.72, "neutral": 0.1}
    # beta 0 changes nothing.
    _, got = run(tmp_path, ROWS, "--beta", "0")
    assert got == ROWS
