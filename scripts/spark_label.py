#!/usr/bin/env python3
"""Label a JSON Lines corpus with Spark, two ways, and check both against one `stance label`.

1. **Python package in `mapPartitions`**: each partition loads the model once
   (`stance.load`) and labels its lines in chunks with `Pipeline.label_jsonl`, which gives the
   CLI's output lines. (`--ways python-dicts` measures the other Python path too: records as
   dicts with `Pipeline.label_many`, written back with `json.dumps`.)
2. **`RDD.pipe("stance label -")`**: each partition's JSONL lines go through one `stance label`
   process (a pure streaming filter: JSONL in, JSONL out, input order kept).

Each writes JSON Lines (`saveAsTextFile`, one part file per partition, in input order). The
script also runs a single-process `stance label` over the same file (1 thread and all
threads), checks that every output equals it record for record (parsed JSON, same order), and
prints articles/s of each, best of `--runs`. Input: JSONL `{"id": ..., "text": ...}` records,
every one with an `id` (a record without one gets a position-based id that differs between the
ways); without `--input`, the PolNeAR texts in ../shared/corpora/polnear ({train,dev}, 924
articles) repeated `--repeat` times.

Local run (needs Java 17+, `pip install pyspark`, `pip install ./python`, and the release
binary, built by this script unless --no-build):

    python3 scripts/spark_label.py                       # local[2], PolNeAR x 5
    python3 scripts/spark_label.py --input corpus.jsonl --out /tmp/spark-out --partitions 8

On a cluster (see the README, "Batch labeling and scale-out"), run it with `spark-submit` and
`--no-check --input URI --out URI`: it labels once with each way (`--ways`) and prints the
times, with no single-process reference. `--model`/`--binary` then name the paths the executors
see, e.g. `./job/model` and `./job/stance` for an archive shipped with `--archives ...#job`.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLNEAR = ROOT.parent / "shared" / "corpora" / "polnear"
CHUNK = 256  # articles per label_many call inside a partition: bounded memory per task


def make_polnear_jsonl(path, repeat):
    if not POLNEAR.exists():
        sys.exit(f"SKIPPED: {POLNEAR} is absent and no --input was given")
    texts = []
    for split in ("train", "dev"):
        for f in sorted((POLNEAR / split / "text").glob("*.txt")):
            texts.append((f.stem, f.read_text(encoding="utf-8", errors="replace")))
    with open(path, "w", encoding="utf-8") as fh:
        for k in range(repeat):
            for stem, text in texts:
                fh.write(json.dumps({"id": f"{stem}-{k}", "text": text}, ensure_ascii=False) + "\n")
    return len(texts) * repeat


def label_partition(model):
    """The mapPartitions function: the model loaded once per partition, the partition's JSONL
    lines labeled in chunks by `Pipeline.label_jsonl` (the CLI's output lines, no dicts)."""

    def run(lines):
        import stance

        pipe = stance.load(model)
        chunk = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= CHUNK:
                yield from pipe.label_jsonl(chunk, threads=1, errors="skip")
                chunk = []
        if chunk:
            yield from pipe.label_jsonl(chunk, threads=1, errors="skip")

    return run


def label_partition_dicts(model):
    """The same through Python dicts (`Pipeline.label_many`, then `json.dumps`): the path of a
    job that works on the records in Python before writing them."""

    def run(lines):
        import json as _json

        import stance

        pipe = stance.load(model)

        def flush(chunk):
            out = pipe.label_many([t for _, t in chunk], [i for i, _ in chunk], threads=1, errors="skip")
            for per in out:
                for q in per:
                    yield _json.dumps(q, ensure_ascii=False, separators=(",", ":"))

        chunk = []
        for line in lines:
            if not line.strip():
                continue
            try:
                rec = _json.loads(line)
                text = rec["text"]
            except (ValueError, KeyError, TypeError) as e:
                print(f"stance: skipped a malformed record: {e}", file=sys.stderr)
                continue
            rid = rec.get("id")
            # Ids as `stance label` reads them: strings as they are, other JSON values as JSON.
            rid = rid if isinstance(rid, str) else _json.dumps(rid)
            chunk.append((rid, text))
            if len(chunk) >= CHUNK:
                yield from flush(chunk)
                chunk = []
        if chunk:
            yield from flush(chunk)

    return run


def read_parts(d):
    """The records of a saveAsTextFile directory, part files in partition order."""
    recs = []
    for part in sorted(Path(d).glob("part-*")):
        with open(part, encoding="utf-8") as fh:
            recs.extend(json.loads(line) for line in fh if line.strip())
    return recs


def start_spark(master, partitions):
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName("stance-label")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master:
        builder = builder.master(master)
    if (master or "").startswith("local"):
        # Stay on the loopback interface; no UI port.
        builder = (builder.config("spark.ui.enabled", "false")
                   .config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1"))
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    # Start the executors' Python workers before anything is timed.
    sc.parallelize(range(4 * partitions), partitions).map(lambda x: x).count()
    return spark, sc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", help="JSONL articles, any path Spark reads (default: PolNeAR texts x --repeat)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", help="output directory, any path Spark writes (default: a temporary one, removed after)")
    ap.add_argument("--master", default=None,
                    help="Spark master (default: local[2], or spark-submit's --master under spark-submit)")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each way; the best is kept")
    ap.add_argument("--model", default=str(ROOT / "models" / "default"),
                    help="model directory as the executors see it")
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "stance"),
                    help="stance binary as the executors see it")
    ap.add_argument("--ways", default="python,pipe",
                    help="comma-separated: python (mapPartitions + label_jsonl), python-dicts "
                         "(mapPartitions + label_many + json.dumps), pipe (RDD.pipe)")
    ap.add_argument("--no-check", action="store_true",
                    help="cluster runs: label once with each way, no single-process reference and no check")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    ways_wanted = [w.strip() for w in a.ways.split(",") if w.strip()]
    if not ways_wanted or set(ways_wanted) - {"python", "python-dicts", "pipe"}:
        sys.exit("--ways takes python, python-dicts and pipe, comma-separated")
    # Under spark-submit the master comes from its --master.
    under_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    master = a.master or (None if under_submit else "local[2]")

    # Local runs: Python workers use this interpreter (where `stance` is installed).
    if (master or "").startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    if a.no_check:
        if not a.input or not a.out:
            sys.exit("--no-check needs --input and --out")
        spark, sc = start_spark(master, a.partitions)
        try:
            for way in ways_wanted:
                dest = a.out.rstrip("/") + "/" + way
                rdd = sc.textFile(a.input, a.partitions)
                t = time.perf_counter()
                if way == "python":
                    rdd.mapPartitions(label_partition(a.model)).saveAsTextFile(dest)
                elif way == "python-dicts":
                    rdd.mapPartitions(label_partition_dicts(a.model)).saveAsTextFile(dest)
                else:
                    rdd.pipe(f"{a.binary} label --quiet --threads 1 --model {a.model} -").saveAsTextFile(dest)
                print(f"{way}: labeled into {dest} in {time.perf_counter() - t:.1f} s")
        finally:
            spark.stop()
        return

    import stance

    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    out = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="spark-label-"))
    out.mkdir(parents=True, exist_ok=True)
    if a.input:
        src = os.path.abspath(a.input)
        with open(src, encoding="utf-8") as fh:
            n = sum(1 for line in fh if line.strip())
    else:
        src = str(out / "articles.jsonl")
        n = make_polnear_jsonl(src, a.repeat)
    mb = os.path.getsize(src) / 1e6

    def single(threads, dest):
        t = time.perf_counter()
        with open(dest, "wb") as fh:
            p = subprocess.run([a.binary, "label", "--quiet", "--threads", str(threads), "--model", a.model, src],
                               stdout=fh, stderr=subprocess.PIPE, check=False)
        dt = time.perf_counter() - t
        if p.returncode != 0:
            sys.exit(f"stance label failed ({p.returncode}): {p.stderr.decode()[:500]}")
        return dt

    t = time.perf_counter()
    spark, sc = start_spark(master, a.partitions)
    t_session = time.perf_counter() - t

    def spark_python(dest, make=label_partition):
        t = time.perf_counter()
        sc.textFile(src, a.partitions).mapPartitions(make(a.model)).saveAsTextFile(dest)
        return time.perf_counter() - t

    pipe_cmd = f"{a.binary} label --quiet --threads 1 --model {a.model} -"

    def spark_pipe(dest):
        t = time.perf_counter()
        sc.textFile(src, a.partitions).pipe(pipe_cmd).saveAsTextFile(dest)
        return time.perf_counter() - t

    cores = os.cpu_count() or 1
    ways = {
        "single process, stance label, 1 thread": lambda d: single(1, d),
        f"single process, stance label, {cores} threads": lambda d: single(cores, d),
    }
    if "python" in ways_wanted:
        ways[f"Spark {master}, mapPartitions, label_jsonl"] = spark_python
    if "python-dicts" in ways_wanted:
        ways[f"Spark {master}, mapPartitions, label_many+dumps"] = lambda d: spark_python(d, label_partition_dicts)
    if "pipe" in ways_wanted:
        ways[f"Spark {master}, RDD.pipe(stance label -)"] = spark_pipe
    best = {}
    outputs = {}
    try:
        for r in range(a.runs):
            for k, (name, fn) in enumerate(ways.items()):
                # A JSONL file for the single process, a part-file directory for Spark.
                dest = str(out / (f"way{k}-run{r}" + (".jsonl" if name.startswith("single") else "")))
                best[name] = min(best.get(name, float("inf")), fn(dest))
                outputs[name] = dest
        # The check: every way's records equal the single-process run's, in order.
        names = list(ways)
        with open(outputs[names[1]], encoding="utf-8") as fh:
            reference = [json.loads(line) for line in fh]
        with open(outputs[names[0]], encoding="utf-8") as fh:
            one_thread = [json.loads(line) for line in fh]
        results = {names[0]: one_thread == reference}
        for name in names[2:]:
            results[name] = read_parts(outputs[name]) == reference
    finally:
        spark.stop()
    print(f"{n} articles, {mb:.1f} MB JSONL; {a.partitions} partitions; best of {a.runs} runs; "
          f"Spark session start-up {t_session:.1f} s (not counted); stance package {stance.__version__}")
    ref = best[names[1]]
    print(f"{'way':55} {'seconds':>8} {'articles/s':>11} {'vs single':>10}  records")
    for name in names:
        same = "reference" if name == names[1] else ("identical" if results[name] else "DIFFERENT")
        print(f"{name:55} {best[name]:8.2f} {n / best[name]:11.0f} {ref / best[name]:9.2f}x  {same}")
    print(f"{len(reference)} quote records in the reference run")
    if not a.out:
        shutil.rmtree(out)
    else:
        print(f"outputs in {out}")
    if not all(results.values()):
        sys.exit("MISMATCH: a Spark output differs from the single-process run")


if __name__ == "__main__":
    main()
