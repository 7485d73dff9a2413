#!/usr/bin/env python3
"""Reference scores of the Python originals for the hand-written sentences of
data/lexicons/valence_cases.txt: vaderSentiment 3.3.2 (neg, neu, pos, compound; rounded by
VADER itself) and TextBlob 0.20.1's PatternAnalyzer (polarity, subjectivity), written to
data/lexicons/valence_reference.tsv for the test in src/features/valence.rs.

    /work/derived/venv/bin/python scripts/derive/valence_reference.py
"""

from pathlib import Path

from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from common import say, sha256_file

root = Path(__file__).resolve().parents[2] / "data" / "lexicons"
cases = root / "valence_cases.txt"
out = root / "valence_reference.tsv"
say(f"input  {sha256_file(cases)}  {cases.name}")
vader = SentimentIntensityAnalyzer()
rows = ["text\tneg\tneu\tpos\tcompound\tpattern_polarity\tpattern_subjectivity"]
for text in cases.read_text(encoding="utf-8").splitlines():
    if not text.strip():
        continue
    v = vader.polarity_scores(text)
    p = TextBlob(text).sentiment
    rows.append("\t".join([text] + [repr(float(x)) for x in (v["neg"], v["neu"], v["pos"], v["compound"], p.polarity, p.subjectivity)]))
out.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
say(f"output {sha256_file(out)}  {out}  ({len(rows) - 1} sentences)")
