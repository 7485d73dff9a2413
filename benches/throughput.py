#!/usr/bin/env python3
"""Batch-labeling throughput of `stance label` against a peer measured in the same run.

The peer is the 20-line Python regex quote finder the issue names for scale: it only finds
quotation spans (no speakers, topics, stance or sentiment). Both read the same articles:
the PolNeAR texts (../shared/corpora/polnear/{train,dev}/text, 924 real articles), repeated
--repeat times into one JSON Lines file so process start-up and model loading are amortised.

    python3 benches/throughput.py            # builds the release binary first
    python3 benches/throughput.py --repeat 20 --runs 3 --model models/default
    python3 benches/throughput.py --no-build --binary OTHER/stance --stdin   # another build, fed on stdin

Prints articles/s and MB/s for `stance label` on 1 thread and on all threads, for the peer,
and the ratios. The machine is shared and noisy: the best of --runs is reported.
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLNEAR = ROOT.parent / "shared" / "corpora" / "polnear"

# --- the peer: a 20-line regex quote finder --------------------------------------------
QUOTE_RE = re.compile(r'“([^”\n]{1,2000})”|"([^"\n]{1,2000})"|«([^»\n]{1,2000})»')


def regex_quotes(text):
    out = []
    for m in QUOTE_RE.finditer(text):
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        out.append((m.start(g), m.end(g), m.group(g)))
    return out


def peer_run(records):
    t = time.perf_counter()
    n = 0
    for r in records:
        n += len(regex_quotes(r["text"]))
    return time.perf_counter() - t, n


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def stance_run(binary, jsonl, model, threads, stdin):
    """(wall seconds, output lines, CPU seconds): CPU time is the steadier figure when other
    jobs share the machine."""
    cpu = children_cpu()
    t = time.perf_counter()
    args = [binary, "label", "--quiet", "--model", model, "--threads", str(threads)]
    with open(jsonl, "rb") as fh:
        p = subprocess.run(
            args + (["-"] if stdin else [jsonl]),
            stdin=fh if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
        )
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"stance label failed ({p.returncode}): {p.stderr.decode()[:500]}")
    return dt, p.stdout.count(b"\n"), children_cpu() - cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--binary", help="the stance binary to run (default: target/release/stance)")
    ap.add_argument("--stdin", action="store_true", help="feed the JSONL on stdin (`stance label -`)")
    a = ap.parse_args()
    if not POLNEAR.exists():
        sys.exit(f"skipped: {POLNEAR} is absent (needs ../shared beside the project)")
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = a.binary or str(ROOT / "target" / "release" / "stance")
    texts = []
    for split in ("train", "dev"):
        for f in sorted((POLNEAR / split / "text").glob("*.txt")):
            texts.append((f.stem, f.read_text(encoding="utf-8", errors="replace")))
    records = [{"id": f"{k}-{i}", "text": t} for k in range(a.repeat) for i, (_, t) in enumerate(texts)]
    mb = sum(len(r["text"].encode()) for r in records) / 1e6
    n = len(records)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
        jsonl = fh.name
    try:
        cores = os.cpu_count() or 1
        rows = []
        best = lambda f: min((f() for _ in range(a.runs)), key=lambda x: x[0])
        t1, q1, c1 = best(lambda: stance_run(binary, jsonl, a.model, 1, a.stdin))
        tn, qn, cn = best(lambda: stance_run(binary, jsonl, a.model, cores, a.stdin))
        tp, qp = best(lambda: peer_run(records))
        src = "stdin" if a.stdin else "file"
        rows.append((f"stance label ({src}), 1 thread", t1, q1, c1))
        rows.append((f"stance label ({src}), {cores} threads", tn, qn, cn))
        rows.append(("python regex peer (quotes only), 1 thread", tp, qp, tp))
        print(f"{n} articles ({len(texts)} PolNeAR texts x {a.repeat}), {mb:.1f} MB; best of {a.runs} runs")
        print(f"{'run':45} {'seconds':>8} {'articles/s':>11} {'MB/s':>7} {'quotes':>8} {'vs peer':>8} "
              f"{'CPU s':>7} {'articles/CPU-s':>15}")
        for name, t, q, c in rows:
            print(f"{name:45} {t:8.2f} {n / t:11.0f} {mb / t:7.1f} {q:8d} {tp / t:7.1f}x "
                  f"{c:7.2f} {n / c:15.0f}")
    finally:
        os.unlink(jsonl)


if __name__ == "__main__":
    main()
