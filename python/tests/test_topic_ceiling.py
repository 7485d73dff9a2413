"""scripts/analysis/topic_ceiling.py, whose figures the README quotes, on a case worked by hand:
one-to-one span matching (largest overlap first), the figures as scored, and the ceiling."""

import json
import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "analysis" / "topic_ceiling.py"


def rel(**p):
    return {t: p.get(t, 0.0) for t in ("nato", "peace_talks", "summit")}


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_ceiling_on_a_hand_worked_case(tmp_path):
    gold = [
        {"article": "a", "start": 0, "end": 10, "topics": {"peace_talks": "favor"}},
        {"article": "a", "start": 20, "end": 30, "topics": {"summit": "favor", "peace_talks": "favor"}},
        {"article": "a", "start": 40, "end": 50, "topics": {}},
        {"article": "other", "start": 0, "end": 5, "topics": {"nato": "against"}},  # not predicted on
    ]
    preds = [
        # Matches gold 1 (overlap 10) but ranks summit first.
        {"article": "a", "start": 0, "end": 10, "topics": {"summit": {}}, "relevance": rel(summit=0.7, peace_talks=0.6)},
        # Overlaps gold 1 by 7 of its 10 chars too, but gold 1 is taken: unmatched, a false topic.
        {"article": "a", "start": 2, "end": 9, "topics": {"peace_talks": {}}, "relevance": rel(peace_talks=0.9)},
        {"article": "a", "start": 21, "end": 30, "topics": {"summit": {}}, "relevance": rel(summit=0.9, peace_talks=0.8)},
        {"article": "a", "start": 40, "end": 50, "topics": {"nato": {}}, "relevance": rel(nato=0.5)},
        {"article": "a", "start": 60, "end": 70, "topics": {}, "relevance": rel()},
    ]
    write_jsonl(tmp_path / "gold.jsonl", gold)
    write_jsonl(tmp_path / "p.jsonl", preds)
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "p.jsonl"), "--gold", str(tmp_path / "gold.jsonl")],
        capture_output=True, text=True, check=True,
    ).stdout
    # Gold pairs of the predicted articles: 1 + 2. As scored: 1 right (summit on gold 2) of 4.
    assert "gold (quote, topic) pairs: 3" in out
    assert "as scored:        P 0.250  R 0.333  F1 0.286" in out
    # Ceiling: gold 1 takes its 1 most relevant topic (summit, wrong), gold 2 its 2 (both right).
    assert "P 0.667  R 0.667  F1 0.667" in out
    assert "top topic is right: 0 of 1" in out


def test_predictions_without_relevance_are_refused(tmp_path):
    write_jsonl(tmp_path / "p.jsonl", [{"article": "a", "start": 0, "end": 1, "topics": {}}])
    r = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "p.jsonl"), "--gold", str(tmp_path / "p.jsonl")],
        capture_output=True, text=True,
    )
    assert r.returncode != 0 and "no `relevance`" in r.stderr


def test_rules_re_applied_on_a_hand_worked_case(tmp_path):
    # One fold, one article; the rule as `stance eval cv` reports it.
    detection = {"default_threshold": 0.5, "max_topics": 2, "second_threshold": 0.55,
                 "article_threshold": 0.3,
                 "thresholds": {"nato": 0.5, "peace_talks": 0.5, "summit": 0.5}}
    report = {"folds": [{"groups": ["set/g1"], "chosen": {"detection": detection}}]}
    gold = [
        {"article": "a", "start": 0, "end": 10, "topics": {"peace_talks": "favor"}},
        {"article": "a", "start": 20, "end": 30, "topics": {"summit": "favor"}},
        {"article": "a", "start": 40, "end": 50, "topics": {"nato": "against"}},
    ]
    preds = [
        # Alone: peace_talks and summit (0.6 reaches the second bar 0.55).
        {"article": "a", "start": 0, "end": 10, "topics": {"peace_talks": {}, "summit": {}},
         "relevance": rel(peace_talks=0.9, summit=0.6)},
        # Nothing alone; peace_talks is in another quote, and 0.4 reaches the article bar 0.3.
        {"article": "a", "start": 20, "end": 30, "topics": {"peace_talks": {}},
         "relevance": rel(peace_talks=0.4)},
        # Nothing, even in the article (nato is in no other quote).
        {"article": "a", "start": 40, "end": 50, "topics": {}, "relevance": rel(nato=0.2)},
    ]
    write_jsonl(tmp_path / "gold.jsonl", gold)
    write_jsonl(tmp_path / "p.jsonl", preds)
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    (tmp_path / "groups.tsv").write_text("article\tgroup\na\tg1\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "p.jsonl"), "--gold", str(tmp_path / "gold.jsonl"),
         "--report", str(tmp_path / "report.json"), "--groups", str(tmp_path / "groups.tsv")],
        capture_output=True, text=True, check=True,
    ).stdout
    lines = {l.split(":")[0]: l for l in out.splitlines()}
    # Own rule: peace_talks right, summit and the second quote's peace_talks wrong: 1 of 3, 1 of 3.
    assert lines["as scored"].endswith("P 0.333  R 0.333  F1 0.333")
    assert lines["each fold's own rule (must equal \"as scored\")"].endswith("P 0.333  R 0.333  F1 0.333")
    assert lines["one rule for all folds, the median of their choices"].endswith("F1 0.333")
    # One topic per quote: summit goes; 1 right of 2.
    assert lines["at most one topic per quote (each fold's rule)"].endswith("P 0.500  R 0.333  F1 0.400")
    # The third quote takes nato (0.2) only when the bar is 0.2 or lower: 2 right of 4.
    assert lines["a quote without topics takes its top one at P >= 0.2"].endswith("P 0.500  R 0.667  F1 0.571")
    assert lines["a quote without topics takes its top one at P >= 0.3"].endswith("F1 0.333")


def test_a_report_that_does_not_hold_an_article_is_refused(tmp_path):
    detection = {"default_threshold": 0.5, "max_topics": 1, "thresholds": {}}
    report = {"folds": [{"groups": ["set/other"], "chosen": {"detection": detection}}]}
    write_jsonl(tmp_path / "p.jsonl", [{"article": "a", "start": 0, "end": 1, "topics": {},
                                        "relevance": rel()}])
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    r = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "p.jsonl"), "--gold", str(tmp_path / "p.jsonl"),
         "--report", str(tmp_path / "report.json")],
        capture_output=True, text=True,
    )
    assert r.returncode != 0 and "group a is in 0 folds" in r.stderr
