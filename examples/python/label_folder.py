# %% [markdown]
# # Who stands where: label a folder of articles, tabulate, plot
#
# A notebook in percent format: run it cell by cell in Jupyter/VS Code (jupytext opens it as a
# notebook), or top to bottom as a script:
#
#     pip install ./python            # once, from the repository root
#     python examples/python/label_folder.py [FOLDER] [--out heatmap.png]
#
# pandas and matplotlib are optional: without pandas the table is built from the records by
# hand, without matplotlib the plot is skipped.

# %%
import argparse
import sys
from pathlib import Path

import stance

ROOT = Path(__file__).resolve().parents[2]
ap = argparse.ArgumentParser()
ap.add_argument("folder", nargs="?", default=str(ROOT / "data" / "articles"))
ap.add_argument("--out", default="stance-heatmap.png", help="where to save the heat map")
# In a notebook the kernel's own arguments are not ours.
args = ap.parse_args([] if "ipykernel" in sys.modules else None)

# %% [markdown]
# ## 1. Read the folder and label every article
# One article per `.txt` file, its id the file name. `label_many` labels them in parallel.

# %%
files = sorted(Path(args.folder).rglob("*.txt"))
ids = [f.stem for f in files]
texts = [f.read_text(encoding="utf-8") for f in files]

pipe = stance.load()  # $STANCE_MODEL, else the default model bundled in the package
labels = pipe.label_many(texts, ids, errors="skip")
n_quotes = sum(len(per) for per in labels)
print(f"{len(files)} articles, {n_quotes} quotes")
first = next(q for per in labels for q in per if q["topics"] and q["speaker"])
print(first["speaker"], "—", first["text"][:80], "—", {t: l["stance"] for t, l in first["topics"].items()})

# %% [markdown]
# ## 2. The speaker × topic table
# `summary` applies the counting rules of `stance label --summary` (a speaker's stance on a
# topic counts once per article; syndicated copies once); `net = (favor − against) / n`.

# %%
summary = pipe.summary(texts, ids)
try:
    import pandas as pd
except ImportError:
    pd = None

if pd is not None:
    rows = stance.to_pandas(summary)
    table = rows.pivot_table(index="speaker", columns="topic", values="net")
    # Most-quoted speakers first.
    order = rows.groupby("speaker")["articles"].sum().sort_values(ascending=False).index
    table = table.loc[order]
    print(table.round(2).to_string(na_rep=""))
else:
    speakers = sorted({r["speaker"] for r in summary["rows"]})
    topics = sorted({r["topic"] for r in summary["rows"]})
    net = {(r["speaker"], r["topic"]): r["net"] for r in summary["rows"]}
    print("speaker".ljust(22) + "".join(t[:10].rjust(11) for t in topics))
    for s in speakers:
        cells = "".join((f"{net[(s, t)]:+.2f}" if (s, t) in net else "").rjust(11) for t in topics)
        print(s[:21].ljust(22) + cells)

# %% [markdown]
# ## 3. Heat map of net stance
# Green: for; red: against; blank: the speaker did not take up the topic.

# %%
try:
    import matplotlib

    if "ipykernel" not in sys.modules:
        matplotlib.use("Agg")  # no display needed when run as a script
    import matplotlib.pyplot as plt
except ImportError:
    plt = None

if plt is None or pd is None:
    print("heat map skipped: pip install pandas matplotlib")
else:
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * table.shape[1], 1.2 + 0.38 * table.shape[0]))
    values = table.to_numpy(dtype=float)
    im = ax.imshow(values, cmap="RdYlGn", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(table.shape[1]), [t.replace("_", " ") for t in table.columns], rotation=45, ha="right")
    ax.set_yticks(range(table.shape[0]), table.index)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if values[i, j] == values[i, j]:  # not NaN: the speaker took up the topic
                ax.text(j, i, f"{values[i, j]:+.2f}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax, label="net stance (favor − against) / n")
    ax.set_title(f"Net stance by speaker and topic ({len(files)} articles)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"heat map written to {args.out}")
