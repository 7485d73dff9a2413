"""The notebook-style example runs top to bottom on the seed articles."""

import importlib.util
import subprocess
import sys

from conftest import ARTICLES, ROOT

EXAMPLE = ROOT / "examples" / "python" / "label_folder.py"


def test_example_labels_the_folder_and_plots(tmp_path):
    png = tmp_path / "heat.png"
    p = subprocess.run([sys.executable, str(EXAMPLE), str(ARTICLES), "--out", str(png)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "5 articles, " in p.stdout
    has_plot = all(importlib.util.find_spec(m) for m in ("pandas", "matplotlib"))
    if has_plot:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"heat map written to {png}" in p.stdout
    else:
        assert "heat map skipped" in p.stdout
        assert not png.exists()
