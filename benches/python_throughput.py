#!/usr/bin/env python3
"""Articles/s of the Python package's `Pipeline.label_many` against the `stance label` CLI,
measured in the same run on the same articles, and a check that both give the same records.

Articles: the PolNeAR texts (../shared/corpora/polnear/{train,dev}/text, 924 real articles),
repeated --repeat times (default 5: 4,620 articles, as in benches/throughput.py).

- CLI: `stance label --quiet --model M --threads N FILE.jsonl > out`, timed from process start
  to exit (start-up, model load, JSON in, labeling, JSON out).
- Python: `stance.load(M)` + `pipe.label_many(texts, ids, threads=N)` on texts already in
  memory, timed until the records are Python dicts (model load, labeling, records out).
  `py+read` adds reading the same JSONL file with `json.loads`, for a like-for-like I/O figure.

Runs alternate between the two sides and the best of --runs is kept (the machine is shared);
the last column compares mean CPU time (all threads of each side), the steadier figure under
load.

    python3 benches/python_throughput.py                  # needs `pip install ./python` first
    python3 benches/python_throughput.py --repeat 5 --runs 5 --threads 1,2
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLNEAR = ROOT.parent / "shared" / "corpora" / "polnear"


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cli_run(binary, jsonl, model, threads, out_path):
    c = child_cpu()
    t = time.perf_counter()
    with open(out_path, "wb") as out:
        p = subprocess.run(
            [binary, "label", "--quiet", "--model", model, "--threads", str(threads), jsonl],
            stdout=out, stderr=subprocess.PIPE, check=False,
        )
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"stance label failed ({p.returncode}): {p.stderr.decode()[:500]}")
    return dt, child_cpu() - c


def py_run(stance, model, texts, ids, threads):
    c = time.process_time()
    t = time.perf_counter()
    pipe = stance.load(model)
    out = pipe.label_many(texts, ids, threads=threads)
    return time.perf_counter() - t, time.process_time() - c, out


def py_read_run(stance, model, jsonl, threads):
    t = time.perf_counter()
    with open(jsonl, encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh]
    pipe = stance.load(model)
    out = pipe.label_many([r["text"] for r in recs], [r["id"] for r in recs], threads=threads)
    return time.perf_counter() - t, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", default=f"1,{os.cpu_count() or 1}")
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "stance"))
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if not POLNEAR.exists():
        sys.exit(f"SKIPPED: {POLNEAR} is absent (needs ../shared beside the project)")
    try:
        import stance
    except ImportError:
        sys.exit("the stance Python package is not installed: pip install ./python")
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    texts = []
    for split in ("train", "dev"):
        for f in sorted((POLNEAR / split / "text").glob("*.txt")):
            texts.append(f.read_text(encoding="utf-8", errors="replace"))
    records = [{"id": f"{k}-{i}", "text": t} for k in range(a.repeat) for i, t in enumerate(texts)]
    n = len(records)
    mb = sum(len(r["text"].encode()) for r in records) / 1e6
    all_texts = [r["text"] for r in records]
    all_ids = [r["id"] for r in records]
    tmp = tempfile.mkdtemp()
    jsonl = os.path.join(tmp, "articles.jsonl")
    cli_out = os.path.join(tmp, "cli.jsonl")
    with open(jsonl, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    threads = [int(x) for x in a.threads.split(",")]
    print(f"{n} articles ({len(texts)} PolNeAR texts x {a.repeat}), {mb:.1f} MB; best of {a.runs} runs, "
          f"stance package {stance.__version__}")
    print(f"{'threads':>7} {'CLI art/s':>10} {'py art/s':>10} {'py/CLI':>7} {'py+read art/s':>14} "
          f"{'py+read/CLI':>12} {'CPU-time py/CLI':>16}")
    try:
        for th in threads:
            best_cli = best_py = best_pr = float("inf")
            cpu_cli, cpu_py = [], []
            py_out = None
            for _ in range(a.runs):
                py_out = None  # the previous result is not kept alive during the next run
                dt, cpu = cli_run(a.binary, jsonl, a.model, th, cli_out)
                best_cli = min(best_cli, dt)
                cpu_cli.append(cpu)
                dt, cpu, py_out = py_run(stance, a.model, all_texts, all_ids, th)
                best_py = min(best_py, dt)
                cpu_py.append(cpu)
                dt, _ = py_read_run(stance, a.model, jsonl, th)
                best_pr = min(best_pr, dt)
            # Same records, record for record, in the same order.
            with open(cli_out, encoding="utf-8") as fh:
                cli_recs = [json.loads(line) for line in fh]
            py_recs = [q for per in py_out for q in per]
            if cli_recs != py_recs:
                sys.exit(f"MISMATCH: CLI gave {len(cli_recs)} records, label_many {len(py_recs)}")
            # CPU time (mean over runs; all threads, start-up and I/O included) is the steadier
            # figure on a shared machine: the articles/s ratio it implies.
            cpu_ratio = (sum(cpu_cli) / len(cpu_cli)) / (sum(cpu_py) / len(cpu_py))
            print(f"{th:7d} {n / best_cli:10.0f} {n / best_py:10.0f} {best_cli / best_py:6.2f}x "
                  f"{n / best_pr:14.0f} {best_cli / best_pr:11.2f}x {cpu_ratio:15.2f}x")
        print(f"records identical: {len(cli_recs)} quotes")
    finally:
        for f in (jsonl, cli_out):
            if os.path.exists(f):
                os.unlink(f)
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
