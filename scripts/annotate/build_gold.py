"""Build data/gold/seeds.jsonl from hand annotations of the five seed articles.

Every decision below (is it a quote, where the span is, who spoke, topics, stance,
sentiment) was made by reading the article; this script only turns the chosen mark
positions into char offsets and checks them. Each entry gives the char offset of the
OPENING mark, the char offset of the CLOSING mark, and the first words of the quote as a
guard: the record's text is article[open+1:close] and must start with the guard.

Usage: python3 scripts/annotate/build_gold.py   (writes data/gold/seeds.jsonl atomically)
"""
import json, os, pathlib, sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
ART = ROOT / "data" / "articles"
OUT = ROOT / "data" / "gold" / "seeds.jsonl"

RUBIO, LAVROV, ZEL, PESKOV, USHAKOV = "Marco Rubio", "Sergey Lavrov", "Volodymyr Zelensky", "Dmitry Peskov", "Yuri Ushakov"
WALTZ, WITKOFF, DMITRIEV, TRUMP = "Mike Waltz", "Steve Witkoff", "Kirill Dmitriev", "Donald Trump"
STATE, BRUCE = "U.S. State Department", "Tammy Bruce"

# (article, open_mark_offset, close_mark_offset, guard, speaker, topics, sentiment)
A0, A1, A2, A3, A4 = ("000_43da77a679854bc7", "001_4d6ec3b30284fe3f", "002_dfa974dc6e2f71e1",
                      "003_b8a2ebccda844a67", "004_fafa6a3430f658bd")
ANN = [
    # --- 000 (Worthy News). The 'It Would Take a Miracle' headline at 6931/7049 sits in the
    # "Latest News from Worthy News" teaser block: page furniture, not a quote of this article.
    (A0, 567, 672, "economic and investment", RUBIO, {"economic_cooperation": "favor", "diplomatic_ties": "favor"}, "positive"),
    (A0, 924, 1052, "We’re going to need", RUBIO, {"diplomatic_ties": "favor"}, "neutral"),
    (A0, 1387, 1461, "no decision can be made", ZEL, {"inclusion": "favor"}, "negative"),
    (A0, 1515, 1527, "ultimatums.", ZEL, {}, "negative"),
    (A0, 1796, 1840, "first step of a long", RUBIO, {"peace_talks": "favor"}, "neutral"),
    (A0, 2064, 2075, "went well.", USHAKOV, {"peace_talks": "favor"}, "positive"),
    (A0, 2408, 2419, "gone well,", USHAKOV, {"peace_talks": "favor"}, "positive"),
    (A0, 3116, 3384, "We explained to our colleagues", LAVROV, {"nato": "against"}, "negative"),
    (A0, 3528, 3681, "With regard to Ukraine joining the EU", PESKOV, {"eu_membership": "favor"}, "neutral"),
    (A0, 3721, 3879, "But it is completely different", PESKOV, {"nato": "against"}, "negative"),
    (A0, 4617, 4774, "This has nothing to do", ZEL, {"energy_truce": "favor", "peace_talks": "favor"}, "negative"),
    # --- 001 (breadcrumb "Home »" is navigation, not a mark)
    (A1, 949, 973, "enduring and acceptable", RUBIO, {"peace_talks": "favor"}, "positive"),
    (A1, 1276, 1413, "For us to be able", RUBIO, {"diplomatic_ties": "favor"}, "neutral"),
    (A1, 3183, 3219, "a seat at the table", TRUMP, {"inclusion": "against"}, "negative"),
    (A1, 3845, 3860, "trust building", WITKOFF, {"peace_talks": "favor"}, "positive"),
    # --- 002 (IRIA)
    (A2, 514, 523, "positive", None, {"peace_talks": "favor"}, "positive"),
    (A2, 531, 542, "first step", None, {"peace_talks": "favor"}, "neutral"),
    (A2, 2408, 2464, "This is the first step", RUBIO, {"peace_talks": "favor"}, "neutral"),
    (A2, 2572, 2659, "Concessions should be made", RUBIO, {"peace_talks": "favor"}, "neutral"),
    (A2, 2801, 2898, "Discussion of territory", WALTZ, {"territory": "neutral", "security_guarantees": "neutral", "peace_talks": "neutral"}, "neutral"),
    (A2, 3138, 3224, "The EU would be involved", RUBIO, {"inclusion": "favor", "sanctions": "neutral"}, "neutral"),
    (A2, 3275, 3328, "literally almost daily", WALTZ, {"inclusion": "favor"}, "neutral"),
    (A2, 3449, 3610, "It is too early to talk", DMITRIEV, {"peace_talks": "favor"}, "positive"),
    (A2, 4211, 4252, "very serious conversation", USHAKOV, {"peace_talks": "neutral"}, "neutral"),
    (A2, 4410, 4452, "take into account", USHAKOV, {"diplomatic_ties": "favor"}, "neutral"),
    (A2, 5445, 5565, "the issue of a potential deployment", LAVROV, {"peacekeepers": "neutral"}, "neutral"),
    (A2, 5587, 5824, "We made it clear today", LAVROV, {"peacekeepers": "against", "nato": "against"}, "negative"),
    (A2, 5927, 5962, "no place at the negotiating table", LAVROV, {"inclusion": "against"}, "negative"),
    (A2, 6539, 6548, "not bad,", USHAKOV, {"peace_talks": "favor"}, "positive"),
    (A2, 6568, 6695, "It is still difficult to say", USHAKOV, {"peace_talks": "neutral"}, "neutral"),
    (A2, 7129, 7186, "We cannot recognize", ZEL, {"inclusion": "favor"}, "negative"),
    (A2, 8087, 8099, "made a deal", TRUMP, {}, "negative"),
    (A2, 8116, 8205, "I’m very disappointed", TRUMP, {"inclusion": "against"}, "negative"),
    # nested ‘oh, well, we weren’t invited.’ stays inside Trump's quote (not a separate record)
    (A2, 8265, 8416, "Today I heard, ‘oh, well", TRUMP, {"inclusion": "against"}, "negative"),
    (A2, 8437, 8527, "… I could have made a deal", TRUMP, {"territory": "neutral"}, "neutral"),
    (A2, 8548, 8568, "much more confident", TRUMP, {"peace_talks": "favor"}, "positive"),
    (A2, 8620, 8714, "They were very good.", TRUMP, {"peace_talks": "favor"}, "positive"),
    (A2, 8736, 8812, "I think I have the power", TRUMP, {"peace_talks": "favor"}, "positive"),
    # ends with the nested close ' (straight) right before the outer ”; nested ‘It’s been…?' stays inside
    (A2, 9181, 9350, "Yeah, I would say", TRUMP, {"elections": "favor"}, "negative"),
    (A2, 9505, 9579, "No decision can be made", ZEL, {"inclusion": "favor"}, "negative"),
    # --- 003 (headline single marks delimit the State Department's words quoted in the body)
    (A3, 23, 42, "Lay the Groundwork", STATE, {"peace_talks": "favor"}, "neutral"),
    (A3, 523, 540, "high-level teams", STATE, {"peace_talks": "favor", "diplomatic_ties": "favor"}, "neutral"),
    (A3, 638, 749, "This must be a permanent", WALTZ, {"peace_talks": "favor"}, "neutral"),
    (A3, 1132, 1164, "determined to move", WALTZ, {"peace_talks": "favor"}, "positive"),
    (A3, 1732, 1742, "surprise.", ZEL, {"inclusion": "favor"}, "negative"),
    (A3, 1874, 2073, "lay the groundwork for future", STATE, {"economic_cooperation": "favor", "diplomatic_ties": "favor"}, "positive"),
    (A3, 2418, 2513, "Our deputies will soon", LAVROV, {"diplomatic_ties": "favor", "sanctions": "against"}, "neutral"),
    (A3, 2757, 2783, "hard, difficult diplomacy", RUBIO, {"peace_talks": "favor"}, "neutral"),
    (A3, 2830, 2862, "No one is being sidelined", RUBIO, {"inclusion": "favor"}, "neutral"),
    (A3, 3602, 3662, "We reject the idea", WALTZ, {"inclusion": "favor"}, "negative"),
    (A3, 4558, 4652, "We will not accept a peace deal", ZEL, {"inclusion": "favor"}, "negative"),
    (A3, 4674, 4717, "Without Ukraine, peace", ZEL, {"inclusion": "favor"}, "negative"),
    (A3, 4881, 4913, "consider each other", USHAKOV, {"diplomatic_ties": "favor"}, "neutral"),
    (A3, 4937, 4955, "too early to tell", USHAKOV, {"peace_talks": "neutral"}, "neutral"),
    (A3, 5187, 5213, "thorough preparatory work", USHAKOV, {"summit": "neutral"}, "neutral"),
    (A3, 5432, 5442, "realistic", None, {"nato": "against", "territory": "against"}, "neutral"),
    # --- 004
    (A4, 388, 535, "We have agreed to take account", USHAKOV, {"diplomatic_ties": "favor"}, "positive"),
    (A4, 926, 970, "the most urgent", LAVROV, {"diplomatic_ties": "favor"}, "neutral"),
    (A4, 1128, 1161, "endless expulsions", LAVROV, {"diplomatic_ties": "favor"}, "negative"),
    (A4, 1770, 1796, "an important step forward", BRUCE, {"peace_talks": "favor"}, "positive"),
    (A4, 1813, 1899, "One phone call", BRUCE, {"peace_talks": "neutral"}, "neutral"),
    (A4, 2056, 2109, "an endless war in Europe", WALTZ, {"peace_talks": "favor"}, "negative"),
    (A4, 2193, 2208, "in due course", USHAKOV, {"peace_talks": "neutral"}, "neutral"),
    (A4, 2708, 2740, "No one is being sidelined", RUBIO, {"inclusion": "favor"}, "neutral"),
    (A4, 2845, 2924, "Today is the first step", RUBIO, {"peace_talks": "favor"}, "positive"),
    (A4, 3203, 3212, "unlikely", USHAKOV, {"summit": "neutral"}, "neutral"),
]

OPEN = set("“\"«»„‘'")
CLOSE = set("”\"»«“’'")


def word_count(s: str) -> int:
    return sum(1 for w in s.split() if any(ch.isalnum() for ch in w))


def main() -> int:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(ART.glob("*.txt"))}
    out, errors = [], []
    last = {}
    for art, o, c, guard, spk, topics, sent in ANN:
        t = texts[art]
        if t[o] not in OPEN or t[c] not in CLOSE:
            errors.append(f"{art} {o}-{c}: not marks: {t[o]!r} {t[c]!r}")
        text = t[o + 1:c]
        if not text.startswith(guard):
            errors.append(f"{art} {o}: guard {guard!r} != {text[:40]!r}")
        if o <= last.get(art, -1):
            errors.append(f"{art} {o}: not in article order")
        last[art] = c
        out.append({"article": art, "start": o + 1, "end": c, "text": text, "speaker": spk,
                    "fragment": word_count(text) < 3, "topics": dict(sorted(topics.items())),
                    "sentiment": sent})
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".jsonl.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for r in out:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, OUT)
    print(f"wrote {len(out)} records to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
