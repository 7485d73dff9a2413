"""The speaker × topic summary: the CLI's table, its counting rules, bad input."""

import json

import pytest

import stance
from conftest import ARTICLES


def test_summary_equals_the_cli(pipe, seeds, cli):
    ids, texts = zip(*seeds)
    code, out, err = cli("label", "--quiet", "--summary", "--format", "json", "--model", "models/default", str(ARTICLES))
    assert code == 0, err
    assert pipe.summary(texts, ids) == json.loads(out)
    code, out, err = cli("label", "--quiet", "--summary", "--model", "models/default", str(ARTICLES))
    assert code == 0, err
    assert pipe.summary(texts, ids, format="markdown") == out


def test_summary_follows_the_counting_rules(pipe, seeds):
    ids, texts = zip(*seeds)
    s = pipe.summary(texts, ids, threads=2)
    assert s["articles"] == 5
    assert s["rows"], "the seeds have attributed topical quotes"
    for r in s["rows"]:
        total = r["favor"] + r["against"] + r["neutral"]
        assert total == r["articles"], "a stance counts once per article"
        assert r["net"] == pytest.approx((r["favor"] - r["against"]) / total)
        assert {e["article"] for e in r["evidence"]} <= set(ids)
    order = [(-r["articles"], r["speaker"], r["topic"]) for r in s["rows"]]
    assert order == sorted(order)
    # Recounted from the records: every (speaker, topic) seen in a topical quote with a speaker
    # is a row, and the unattributed tally is the topical quotes without one.
    records = [q for per in pipe.label_many(texts, ids) for q in per]
    pairs = {(q["speaker"], t) for q in records if q["speaker"] for t in q["topics"]}
    assert pairs == {(r["speaker"], r["topic"]) for r in s["rows"]}
    assert s["unattributed_quotes"] == sum(1 for q in records if q["topics"] and not q["speaker"])


def test_syndicated_copies_count_once(pipe, seeds):
    aid, text = seeds[0]
    once = pipe.summary([text], [aid])
    twice = pipe.summary([text, text], [aid, aid + "-copy"])
    assert twice["articles"] == 2
    assert [(r["speaker"], r["topic"], r["articles"]) for r in twice["rows"]] == [
        (r["speaker"], r["topic"], r["articles"]) for r in once["rows"]
    ]


def test_summary_bad_input(pipe, seeds):
    with pytest.raises(ValueError, match=r"texts\[1\] \(id 'x'\): empty article"):
        pipe.summary([seeds[0][1], "  "], ["a", "x"])
    with pytest.warns(UserWarning, match="skipped texts\\[1\\]"):
        s = pipe.summary([seeds[0][1], "  "], ["a", "x"], errors="skip")
    assert s == pipe.summary([seeds[0][1]], ["a"])
    with pytest.raises(ValueError, match="format"):
        pipe.summary([seeds[0][1]], format="csv")


def test_summary_to_pandas(pipe, seeds):
    pytest.importorskip("pandas", reason="SKIPPED: pandas is not installed")
    s = pipe.summary([t for _, t in seeds], [i for i, _ in seeds])
    df = stance.to_pandas(s)
    assert len(df) == len(s["rows"])
    assert list(df.columns) == ["speaker", "topic", "favor", "against", "neutral", "net", "articles", "evidence"]
