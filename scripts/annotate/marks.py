"""List candidate quotation-mark positions in articles (char offsets), to help hand annotation.

Usage: python3 scripts/annotate/marks.py data/articles/*.txt
Prints each mark with its char offset and a little context. Apostrophes inside words
(letter on both sides) are skipped: they are never marks.
"""
import sys, pathlib

MARKS = '"“”«»„‘’\''

def main(paths):
    for p in paths:
        t = pathlib.Path(p).read_text(encoding="utf-8")
        print("=" * 20, pathlib.Path(p).stem, len(t))
        for i, c in enumerate(t):
            if c not in MARKS:
                continue
            prev = t[i - 1] if i else " "
            nxt = t[i + 1] if i + 1 < len(t) else " "
            if c in "’'" and prev.isalpha() and nxt.isalpha():
                continue  # apostrophe
            ctx = t[max(0, i - 25):i + 25].replace("\n", "⏎")
            print(f"{i:6d} {c!r:5} {ctx}")

if __name__ == "__main__":
    main(sys.argv[1:])
