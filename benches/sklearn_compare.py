#!/usr/bin/env python3
"""Compare stance's TF-IDF vectorizer with scikit-learn's TfidfVectorizer on the same text.

Runs, in one go and on the same files (one document per .txt file, sorted):
  * `examples/vectorize_throughput.rs` (release build) on 1 thread and on all threads;
  * scikit-learn's TfidfVectorizer with the same n-gram settings (one core: sklearn's
    transform is single-threaded);
and prints transform throughput in MB/s and the ratio stance(1 thread) / sklearn.

Settings compared (fit on the corpus, then time transform of the corpus, best of --reps):
  word:      word 1-2 grams, min_df=2, sublinear_tf, lowercase, L2 rows
  word+char: the above plus char_wb 2-5 grams (sklearn: FeatureUnion of the two vectorizers)
sklearn's token_pattern is set to r"(?u)\b\w+\b" so that one-char tokens count, like ours.

Usage (from the repo root):
  pip install scikit-learn        # if `python3 -c "import sklearn"` fails
  python3 benches/sklearn_compare.py [--reps 3] [PATH ...]
Default PATHs: data/articles and ../shared/corpora/polnear (if present).
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def txt_files(paths):
    files = []
    for p in paths:
        p = pathlib.Path(p)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*.txt") if f.is_file()))
        elif p.is_file():
            files.append(p)
    return files


def run_stance(paths, threads, chars, reps):
    cmd = [str(ROOT / "target/release/examples/vectorize_throughput"),
           "--threads", str(threads), "--reps", str(reps)]
    if chars:
        cmd.append("--char")
    cmd += [str(p) for p in paths]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT"))
    return dict(kv.split("=", 1) for kv in line.split()[1:])


def run_sklearn(texts, chars, reps):
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                           token_pattern=r"(?u)\b\w+\b", dtype=np.float32)
    if chars:
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                               sublinear_tf=True, dtype=np.float32)
        vec = FeatureUnion([("word", word), ("char", char)])
    else:
        vec = word
    t = time.perf_counter()
    vec.fit(texts)
    fit_s = time.perf_counter() - t
    best = float("inf")
    cpu0 = time.process_time()
    for _ in range(max(1, reps)):
        t = time.perf_counter()
        x = vec.transform(texts)
        best = min(best, time.perf_counter() - t)
    cpu_s = (time.process_time() - cpu0) / max(1, reps)
    return {"fit_s": fit_s, "transform_s": best, "cpu_s": cpu_s, "nnz": x.nnz, "features": x.shape[1]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-build", action="store_true", help="skip cargo build")
    args = ap.parse_args()
    paths = args.paths or [ROOT / "data/articles", ROOT / "../shared/corpora/polnear"]
    paths = [p for p in map(pathlib.Path, paths) if p.exists()]
    files = txt_files(paths)
    if not files:
        sys.exit("no .txt files found")
    texts = [f.read_text(encoding="utf-8") for f in files]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"corpus: {len(texts)} docs, {mb:.2f} MB from {', '.join(map(str, paths))}")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--example", "vectorize_throughput"],
                       cwd=ROOT, check=True)
    try:
        import sklearn
    except ImportError:
        sys.exit("scikit-learn is not installed: pip install scikit-learn")
    print(f"scikit-learn {sklearn.__version__}; cores: {os.cpu_count()}")
    print("transform throughput, MB/s: wall = best of --reps; cpu = mean CPU time (steadier on a busy machine)")
    print(f"{'setting':<16} {'sklearn wall':>12} {'stance 1t wall':>14} {'stance all wall':>15} {'ratio 1t':>9} {'ratio all':>9}"
          f" {'sklearn cpu':>11} {'stance 1t cpu':>13} {'ratio cpu':>9}")
    for chars in (False, True):
        sk = run_sklearn(texts, chars, args.reps)
        one = run_stance(files, 1, chars, args.reps)
        allt = run_stance(files, 0, chars, args.reps)
        sk_wall = mb / sk["transform_s"]
        sk_cpu = mb / sk["cpu_s"]
        one_wall, all_wall, one_cpu = float(one["mbps"]), float(allt["mbps"]), float(one["cpu_mbps"])
        name = "word1-2+char2-5" if chars else "word1-2"
        print(f"{name:<16} {sk_wall:>12.2f} {one_wall:>14.2f} {all_wall:>15.2f} {one_wall / sk_wall:>8.1f}x {all_wall / sk_wall:>8.1f}x"
              f" {sk_cpu:>11.2f} {one_cpu:>13.2f} {one_cpu / sk_cpu:>8.1f}x")
        print(f"{'':<16} features: sklearn {sk['features']}, stance {one['features']}; nnz: sklearn {sk['nnz']}, stance {one['nnz']};"
              f" 'all' = {allt['threads']} threads")

if __name__ == "__main__":
    main()
