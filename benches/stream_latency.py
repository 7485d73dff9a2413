#!/usr/bin/env python3
"""How long a record fed to `stance label -` takes to come out while stdin stays open.

Feeds N records one every --gap seconds and reports, per record, the time from writing it to
reading its output line, and how many came out before stdin was closed. A batcher that waits
for a full chunk or the end of input shows latencies of seconds and 0/N.

    python3 benches/stream_latency.py                      # target/release/stance
    python3 benches/stream_latency.py --binary OTHER/stance --n 20 --gap 0.1
"""
import argparse
import json
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = "“We will not accept a deal without Ukraine,” Zelensky said on Tuesday."


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "stance"))
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--gap", type=float, default=0.2)
    a = ap.parse_args()
    p = subprocess.Popen([a.binary, "label", "--quiet", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    sent, got = {}, {}

    def reader():
        for line in p.stdout:
            got[json.loads(line)["article"]] = time.perf_counter()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    for i in range(a.n):
        sent[f"r{i}"] = time.perf_counter()
        p.stdin.write((json.dumps({"id": f"r{i}", "text": TEXT}) + "\n").encode())
        p.stdin.flush()
        time.sleep(a.gap)
    closed = time.perf_counter()
    p.stdin.close()
    p.wait()
    t.join(timeout=5)
    lat = sorted((got[k] - sent[k]) * 1e3 for k in sent if k in got)
    early = sum(got[k] < closed for k in got)
    print(f"{a.binary}: {len(lat)}/{a.n} records out; latency ms min {lat[0]:.0f} "
          f"median {lat[len(lat) // 2]:.0f} max {lat[-1]:.0f}; out before stdin closed: {early}/{a.n}")


if __name__ == "__main__":
    main()
