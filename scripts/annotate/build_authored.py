"""Build data/train/authored.jsonl from the team-written statements in scripts/annotate/authored/*.psv.

Source format, one statement per line (blank lines and lines starting with `#` ignored):

    speaker | topics | sentiment | context

- speaker: canonical name, or `null`
- topics: `-` for none, else comma-separated `code:S` with S in F/A/N (favor/against/neutral);
  codes: nato pk(peacekeepers) el(elections) eu(eu_membership) sanc(sanctions) terr(territory)
  sg(security_guarantees) pt(peace_talks) inc(inclusion) dip(diplomatic_ties)
  econ(economic_cooperation) en(energy_truce) sum(summit)
- sentiment: `+` positive, `-` negative, `0` neutral
- context: the sentence that introduces the statement, with the quoted words in curly marks
  “…”; the record's `text` is what stands inside the FIRST pair of marks.

The statements are invented by the annotators in the style of 2025 news coverage (they are
NOT real quotations of the named people); see data/train/README.md.

Usage: python3 scripts/annotate/build_authored.py
       python3 scripts/annotate/build_authored.py --extra F.psv ... --out FILE
         (the measured-and-unused statements of scripts/annotate/authored-unused/ appended to
         the default's; see the README there)
"""
import argparse, json, os, pathlib, re, sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SRC = ROOT / "scripts" / "annotate" / "authored"
OUT = ROOT / "data" / "train" / "authored.jsonl"
CODES = {"nato": "nato", "pk": "peacekeepers", "el": "elections", "eu": "eu_membership",
         "sanc": "sanctions", "terr": "territory", "sg": "security_guarantees",
         "pt": "peace_talks", "inc": "inclusion", "dip": "diplomatic_ties",
         "econ": "economic_cooperation", "en": "energy_truce", "sum": "summit"}
ST = {"F": "favor", "A": "against", "N": "neutral"}
SE = {"+": "positive", "-": "negative", "0": "neutral"}


def parse(path):
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{path.name}:{n}"
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 4:
            raise ValueError(f"{where}: expected 4 fields, got {len(parts)}")
        spk, top, sent, ctx = parts
        topics = {}
        if top != "-":
            for item in top.split(","):
                code, s = item.strip().split(":")
                if code not in CODES or s not in ST:
                    raise ValueError(f"{where}: bad topic item {item!r}")
                topics[CODES[code]] = ST[s]
        if sent not in SE:
            raise ValueError(f"{where}: bad sentiment {sent!r}")
        m = re.search(r"“([^“”]+)”", ctx)
        if not m:
            raise ValueError(f"{where}: no “…” quote in context")
        yield {"text": m.group(1), "context": ctx, "speaker": None if spk == "null" else spk,
               "topics": dict(sorted(topics.items())), "sentiment": SE[sent], "source": "authored"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--extra", nargs="*", default=[], type=pathlib.Path,
                    help=".psv files appended after the default sources")
    ap.add_argument("--out", type=pathlib.Path, default=OUT)
    a = ap.parse_args()
    out = []
    try:
        for p in sorted(SRC.glob("*.psv")) + a.extra:
            out.extend(parse(p))
    except ValueError as e:
        print(e, file=sys.stderr)
        return 1
    recs = [{"id": f"authored-{i:04d}", **r} for i, r in enumerate(out, 1)]
    tmp = a.out.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    os.replace(tmp, a.out)
    print(f"wrote {len(recs)} records to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
