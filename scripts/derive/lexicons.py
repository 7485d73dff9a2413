#!/usr/bin/env python3
"""Converts the sentiment lexicons into the TSV files of data/lexicons/ (committed):

* vader_lexicon.tsv      word, mean valence        (vaderSentiment==3.3.2, MIT)
* vader_boosters.tsv     booster word, increment   (vaderSentiment.BOOSTER_DICT)
* vader_negations.txt    negation words            (vaderSentiment.NEGATE)
* vader_idioms.tsv       special-case idiom, valence (vaderSentiment.SPECIAL_CASES)
* LICENSE-vaderSentiment.txt  the package's MIT licence
* pattern_sentiment.tsv  word, polarity, subjectivity, intensity, modifier
                         (textblob==0.20.1 en/en-sentiment.xml, PDDL, as TextBlob loads it:
                         per word the average over senses and parts of speech, plus the
                         "-ly" adverbs it derives from adjectives; exactly the scores its
                         PatternAnalyzer uses on plain text; modifier = 1 when the word has
                         an RB entry, i.e. it intensifies the next word)

    /work/derived/venv/bin/python scripts/derive/lexicons.py [--out data/lexicons]
"""

import argparse
import importlib.util
from pathlib import Path

from common import say, sha256_file


def package_file(package, name):
    spec = importlib.util.find_spec(package)
    return Path(spec.submodule_search_locations[0]) / name


def fmt(x):
    # Shortest repr that round-trips; stable across runs.
    return repr(float(x))


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    say(f"output {sha256_file(path)}  {path}  ({len(lines)} lines)")


def vader(out):
    lex = package_file("vaderSentiment", "vader_lexicon.txt")
    src = package_file("vaderSentiment", "vaderSentiment.py")
    for p in (lex, src):
        say(f"input  {sha256_file(p)}  {p.name}")
    rows = []
    for line in lex.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        word, mean = line.split("\t")[:2]
        rows.append(f"{word}\t{fmt(mean)}")
    write(out / "vader_lexicon.tsv", rows)
    # The rule lists, read from the module itself (not re-typed).
    import vaderSentiment.vaderSentiment as v

    write(out / "vader_boosters.tsv", [f"{w}\t{fmt(x)}" for w, x in sorted(v.BOOSTER_DICT.items())])
    write(out / "vader_negations.txt", sorted(v.NEGATE))
    write(out / "vader_idioms.tsv", [f"{w}\t{fmt(x)}" for w, x in sorted(v.SPECIAL_CASES.items())])
    # The MIT licence travels with the data.
    dist = next(Path(importlib.util.find_spec("vaderSentiment").origin).parents[1].glob("vaderSentiment-3.3.2.dist-info"))
    lic = out / "LICENSE-vaderSentiment.txt"
    lic.write_bytes((dist / "LICENSE.txt").read_bytes())
    say(f"output {sha256_file(lic)}  {lic}")


def pattern(out):
    xml = package_file("textblob", "en/en-sentiment.xml")
    say(f"input  {sha256_file(xml)}  {xml.name}")
    # The lexicon exactly as TextBlob loads it (textblob.en.Sentiment.load): per (word, pos)
    # the mean over senses, per word the mean over parts of speech (the `None` entry used on
    # plain text), plus an adverb "-ly" entry derived from every adjective ("terrible" ->
    # "terribly"), which overwrites the adverb's own `None` entry.
    from textblob.en import sentiment

    sentiment.load()
    rows = []
    for form in sorted(dict.keys(sentiment)):
        entry = dict.__getitem__(sentiment, form)
        p, s, i = entry[None]
        modifier = 1 if "RB" in entry else 0
        rows.append(f"{form}\t{fmt(p)}\t{fmt(s)}\t{fmt(i)}\t{modifier}")
    write(out / "pattern_sentiment.tsv", rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "data" / "lexicons"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    vader(out)
    pattern(out)


if __name__ == "__main__":
    main()
