"""Models: the default model and how it is found, corrupt models, predict, train."""

import json
import struct
import subprocess
import sys

import pytest

import stance
from conftest import GOLD, MODEL, ROOT


def _largest_file(d):
    files = [p for p in d.rglob("*") if p.is_file()]
    return max(files, key=lambda p: p.stat().st_size)


def test_corrupt_models_raise_with_the_library_message(model_copy):
    big = _largest_file(model_copy)
    data = big.read_bytes()
    big.write_bytes(data[: len(data) // 2])
    with pytest.raises(stance.ModelError, match=rf"{big.name} is truncated"):
        stance.load(model_copy)
    with pytest.raises(stance.ModelError, match=rf"{big.name} is truncated"):
        stance.load_model(model_copy)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x5A
    big.write_bytes(bytes(flipped))
    with pytest.raises(stance.ModelError, match=big.name):
        stance.load(model_copy)
    # The interpreter is fine afterwards and the intact model still loads.
    big.write_bytes(data)
    assert stance.load(model_copy).label("“We agree,” Rubio said.")


def test_unusable_model_directories_raise(model_copy, tmp_path):
    with pytest.raises(stance.StanceError):
        stance.load(tmp_path / "does-not-exist")
    manifest = model_copy / "manifest.json"
    manifest.write_text("{ this is not json")
    with pytest.raises(stance.ModelError, match="manifest"):
        stance.load(model_copy)
    manifest.unlink()
    with pytest.raises(stance.ModelError, match="manifest"):
        stance.load(model_copy)
    assert issubclass(stance.ModelError, stance.StanceError)


def test_a_newer_format_version_is_refused(model_copy):
    manifest = model_copy / "manifest.json"
    m = json.loads(manifest.read_text())
    m["format_version"] = m["format_version"] + 1000
    manifest.write_text(json.dumps(m))
    with pytest.raises(stance.ModelError, match="version"):
        stance.load(model_copy)


def test_corrupt_model_in_a_fresh_interpreter_exits_cleanly(model_copy):
    big = _largest_file(model_copy)
    big.write_bytes(big.read_bytes()[:100])
    code = (
        "import stance, sys\n"
        "try:\n"
        f"    stance.load({str(model_copy)!r})\n"
        "except stance.ModelError as e:\n"
        "    print('refused:', e)\n"
        "    sys.exit(3)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 3, p.stderr
    assert "refused:" in p.stdout and big.name in p.stdout


def test_default_model_is_the_bundled_copy_of_models_default(monkeypatch, tmp_path, seeds):
    monkeypatch.delenv("STANCE_MODEL", raising=False)
    bundled = stance.load()
    assert bundled.path is None
    aid, text = seeds[2]
    assert bundled.label(text, id=aid) == stance.load(MODEL).label(text, id=aid)
    out = stance.write_default_model(tmp_path / "m")
    written = sorted(p.relative_to(out) for p in (tmp_path / "m").rglob("*") if p.is_file())
    shipped = sorted(p.relative_to(MODEL) for p in MODEL.rglob("*") if p.is_file())
    assert written == shipped
    for rel in shipped:
        assert (tmp_path / "m" / rel).read_bytes() == (MODEL / rel).read_bytes()


def test_stance_model_environment_variable_wins(monkeypatch, model_copy, tmp_path):
    monkeypatch.setenv("STANCE_MODEL", str(model_copy))
    assert stance.load().path == str(model_copy)
    monkeypatch.setenv("STANCE_MODEL", str(tmp_path / "nowhere"))
    with pytest.raises(stance.StanceError):
        stance.load()
    # An explicit path beats the variable.
    assert stance.load(MODEL).path == str(MODEL)


def test_predict_a_statement_with_its_topic():
    m = stance.load_model(MODEL)
    p = m.predict(
        "This is, of course, unacceptable to us.",
        context="Lavrov said deploying European peacekeepers would be “unacceptable”.",
        topics=["peacekeepers"],
    )
    assert set(p["topics"]) == {"peacekeepers"}
    lab = p["topics"]["peacekeepers"]
    assert lab["stance"] in ("favor", "against", "neutral")
    assert lab["stance"] == max(lab["probs"], key=lab["probs"].get)
    # Each probability is rounded to 4 decimals: three of them may sum to 1 ± 1.5e-4.
    assert abs(sum(lab["probs"].values()) - 1) <= 1.5e-4 + 1e-12
    assert p["sentiment"]["label"] in ("positive", "negative", "neutral")
    explained = m.predict("We will never accept it.", topics="territory", explain=3)
    assert 0 < len(explained["topics"]["territory"]["explain"]) <= 3
    targeted = m.predict("Trump praised Zelensky warmly.", target=(14, 22))
    assert targeted["sentiment"]["label"] in ("positive", "negative", "neutral")


def _as_f32(v):
    """Floats rounded to the f32 the model computed: `stance predict` prints them widened to
    f64 (0.9204180240631104), the package as `stance label` does (0.920418)."""
    if isinstance(v, float):
        return struct.unpack("f", struct.pack("f", v))[0]
    if isinstance(v, dict):
        return {k: _as_f32(x) for k, x in v.items()}
    return v


def test_predict_equals_the_cli(cli):
    stmt = {"text": "We will never recognise the occupied territories as Russian.", "topics": ["territory"],
            "context": "Zelensky said on Tuesday:"}
    code, out, err = cli("predict", "--model", "models/default", "-", stdin=json.dumps(stmt).encode())
    assert code == 0, err
    got = stance.load_model(MODEL).predict(stmt["text"], context=stmt["context"], topics=stmt["topics"])
    assert _as_f32(got) == _as_f32(json.loads(out)["prediction"])


def _short_quotes_with_the_topic_before():
    """Short quotes whose topic is named only in the sentence before (the wide context).

    The vocabulary is fitted on the records' text, context and lead, not on the wide context:
    the sentence before is also each record's lead, as an article's earlier sentences are in
    its other quotes' contexts and its lead."""
    words = ["absurd", "a good step", "very productive", "out of the question"]
    about = [("nato", "The alliance debated NATO membership for Kyiv."),
             ("sanctions", "Washington weighed new sanctions on Russian banks."),
             (None, "The weather in the capital was mild.")]
    records = []
    for i in range(72):
        topic, before = about[i % len(about)]
        text = words[(i // len(about)) % len(words)]
        context = f"He called it “{text}” on day {i}."
        records.append({"text": text, "context": context, "wide_context": f"{before} {context}",
                        "lead": before, "topics": {topic: "favor"} if topic else {}})
    return records


def test_predict_reads_the_wide_context_like_the_cli(cli, tmp_path):
    # A model whose topic detection reads the wide context: Model.predict passes it on.
    m = stance.train(_short_quotes_with_the_topic_before(), out=tmp_path / "wide", c=[10],
                     heads={"relevance": ["text", "wide_context"]}, **FAST)
    context = "He called it “absurd” on day 99."
    stmt = {"text": "absurd", "context": context,
            "wide_context": "The alliance debated NATO membership for Kyiv. " + context}
    code, out, err = cli("predict", "--model", str(tmp_path / "wide"), "-", stdin=json.dumps(stmt).encode())
    assert code == 0, err
    wide = m.predict(stmt["text"], context=context, wide_context=stmt["wide_context"])
    assert _as_f32(wide) == _as_f32(json.loads(out)["prediction"])
    assert "nato" in wide["topics"], wide
    # Without it, the context stands in.
    alone = m.predict(stmt["text"], context=context)
    assert _as_f32(alone) == _as_f32(m.predict(stmt["text"], context=context, wide_context=context))
    assert alone["topics"].keys() != wide["topics"].keys(), (alone, wide)


def test_predict_bad_input():
    m = stance.load_model(MODEL)
    with pytest.raises(ValueError, match="unknown topic"):
        m.predict("x", topics=["no_such_topic"])
    with pytest.raises(ValueError, match="target"):
        m.predict("x y z", target=(3, 1))
    with pytest.raises(TypeError):
        m.predict(None)


def _seed_records():
    with open(GOLD, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


FAST = {"vectorizers": [{"char_ngrams": None}], "class_weight": "none"}


def test_train_from_records_and_from_the_same_file_agree(tmp_path, seeds):
    a = stance.train(_seed_records(), out=tmp_path / "a", **FAST)
    b = stance.train(data=GOLD, out=tmp_path / "b", **FAST)
    assert a.topics == b.topics and a.topics
    # Deterministic, and the same data gives the same weights whichever way it came in.
    weights = lambda d: {p.name: p.read_bytes() for p in d.iterdir() if p.name != "manifest.json"}
    assert weights(tmp_path / "a") == weights(tmp_path / "b")
    assert b.manifest["training_files"] == [GOLD.name]
    assert a.report["chosen_stance"] is not None
    # A trained model labels, saved or not.
    aid, text = seeds[0]
    assert stance.load(tmp_path / "a").label(text, id=aid) == a.pipeline().label(text, id=aid)


def test_train_with_cross_validation_reports_it(tmp_path):
    m = stance.train(_seed_records(), cv_folds=3, c=[1, 10], **FAST)
    assert m.report["folds"] == 3
    assert len(m.report["stance_grid"]) >= 2
    assert m.path is None
    assert "cv_repeats" not in m.manifest["train_params"] and "repeats" not in m.report
    r = stance.train(_seed_records(), cv_folds=3, cv_repeats=2, c=[1, 10], **FAST)
    assert r.report["repeats"] == 2 and r.manifest["train_params"]["cv_repeats"] == 2
    # Two runs pool the counts of both: every real stance example is scored twice.
    assert r.report["stance_pooled"]["n"] == 2 * m.report["stance_pooled"]["n"]


def test_train_bad_input():
    with pytest.raises(ValueError, match="nothing to train on"):
        stance.train()
    with pytest.raises(ValueError, match=r"records\[1\]: .*topics\.nato"):
        stance.train([{"text": "a", "topics": {"nato": "favor"}}, {"text": "b", "topics": {"nato": "maybe"}}])
    with pytest.raises(ValueError, match=r"records\[0\]: missing `text`"):
        stance.train([{"txt": "a"}])
    with pytest.raises(stance.StanceError, match="no labels"):
        stance.train([{"text": "no labels here"}])
    with pytest.raises(ValueError, match="unknown training parameter \"folds\""):
        stance.train(_seed_records(), folds=3)
    with pytest.raises(stance.StanceError, match="C"):
        stance.train(_seed_records(), c=-1)
    with pytest.raises(stance.StanceError):
        stance.train(data=ROOT / "no-such-file.jsonl")
