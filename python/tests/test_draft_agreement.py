"""scripts/analysis/draft_agreement.py, whose figures the README quotes, on a case worked by
hand: one-to-one matching by span overlap, each label counted on its own, drafts to delete."""

import json
import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "analysis" / "draft_agreement.py"

GOLD = [
    # Drafted exactly right (the draft as `stance label --format gold` writes it).
    {"article": "a", "start": 0, "end": 10, "speaker": "Sergey Lavrov", "topics": {"nato": "against"},
     "sentiment": "negative"},
    # Drafted with a shorter span (still matched: 6 of 8 chars), another stance, the same speaker.
    {"article": "a", "start": 20, "end": 28, "speaker": "Marco Rubio", "topics": {"peace_talks": "favor"},
     "sentiment": "positive"},
    # Not drafted: the draft's span overlaps it by less than half.
    {"article": "a", "start": 40, "end": 60, "speaker": None, "topics": {}, "sentiment": "neutral"},
    # Another article; drafted as a `stance label` record, wrong speaker, one topic too many.
    {"article": "b", "start": 5, "end": 15, "speaker": "Volodymyr Zelensky", "topics": {"inclusion": "favor"},
     "sentiment": "negative"},
]

DRAFTS = [
    {"article": "a", "start": 0, "end": 10, "speaker": "Sergey Lavrov", "topics": {"nato": "against"},
     "sentiment": "negative"},
    {"article": "a", "start": 22, "end": 28, "speaker": "Marco Rubio", "topics": {"peace_talks": "neutral"},
     "sentiment": "positive"},
    {"article": "a", "start": 55, "end": 70, "speaker": None, "topics": {}, "sentiment": "neutral"},
    {"article": "b", "start": 5, "end": 15, "speaker": "Sergey Lavrov",
     "topics": {"inclusion": {"stance": "favor", "probs": {}}, "nato": {"stance": "against", "probs": {}}},
     "sentiment": {"label": "negative", "probs": {}}},
    # An article nobody labelled: not scored.
    {"article": "c", "start": 0, "end": 5, "speaker": None, "topics": {}, "sentiment": "neutral"},
]


def test_counts_worked_by_hand(tmp_path):
    for name, rows in [("d.jsonl", DRAFTS), ("g.jsonl", GOLD)]:
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "d.jsonl"), str(tmp_path / "g.jsonl"), "--format", "json"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert json.loads(out) == {
        "gold": 4,
        "drafted": 3,
        "span": 2,
        "speaker": 2,
        "topics": 1,
        "sentiment": 3,
        "no_edit": 1,
        "to_delete": 1,
    }
