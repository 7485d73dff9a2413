//! Model tests: save → load round trip, byte-for-byte determinism, refusal of corrupt /
//! truncated / newer-format / missing-manifest models, the CLI train → predict → eval path on a
//! small synthetic dataset, and a SemEval-2016 cross-validation smoke test (skipped when
//! `../shared/corpora` is absent). The linfa-logistic oracle tests live in
//! `src/model/logistic.rs`.

use stance::corpora::{read_records, ReadOptions};
use stance::dataset::Record;
use stance::model::{Model, Statement, Strategy, TrainParams};
use std::path::{Path, PathBuf};

mod common;

/// A small guide-format dataset: two topics whose stance is carried by clear words, off-topic
/// records (`"topics": {}`), sentiment labels, and NewsMTSC-style targeted records.
fn synthetic_jsonl() -> String {
    let mut lines = Vec::new();
    let fill = [
        "today",
        "in the capital",
        "said the minister",
        "again",
        "on monday",
        "to reporters",
    ];
    for i in 0..60 {
        let f = fill[i % fill.len()];
        let (topic, kw) = if i % 2 == 0 {
            ("nato", "alliance membership")
        } else {
            ("sanctions", "sanctions on moscow")
        };
        let (stance, word, sent) = match i % 3 {
            0 => ("favor", "we strongly support", "positive"),
            1 => ("against", "we firmly reject", "negative"),
            _ => ("neutral", "we will discuss", "neutral"),
        };
        lines.push(format!(
            r#"{{"id":"s{i}","text":"{word} the {kw} {f}","topics":{{"{topic}":"{stance}"}},"sentiment":"{sent}","source":"synthetic"}}"#
        ));
    }
    for i in 0..20 {
        lines.push(format!(r#"{{"id":"o{i}","text":"the weather is mild {} and the match was played","topics":{{}}}}"#, fill[i % 6]));
    }
    for i in 0..12 {
        let (name, verb, sent) = match i % 3 {
            0 => ("Smith", "praised", "positive"),
            1 => ("Jones", "attacked", "negative"),
            _ => ("Brown", "met", "neutral"),
        };
        lines.push(format!(
            r#"{{"id":"t{i}","text":"{name} was {verb} by the press {}","sentiment":"{sent}","target":{{"start":0,"end":{}}}}}"#,
            fill[i % 6],
            name.len()
        ));
    }
    lines.join("\n") + "\n"
}

fn write_data(dir: &Path) -> PathBuf {
    let p = dir.join("train.jsonl");
    std::fs::write(&p, synthetic_jsonl()).unwrap();
    p
}

fn small_params() -> TrainParams {
    TrainParams {
        cv_folds: 2,
        c: vec![1.0, 10.0],
        vectorizers: vec![stance::features::VectorizerConfig {
            word_ngrams: (1, 2),
            char_ngrams: None,
            min_df: 1,
            ..Default::default()
        }],
        ..TrainParams::default()
    }
}

fn records(dir: &Path) -> Vec<Record> {
    read_records(&write_data(dir), &ReadOptions::default()).unwrap()
}

fn statements(recs: &[Record]) -> Vec<Statement<'_>> {
    recs.iter()
        .map(|r| Statement {
            text: &r.text,
            context: r.context.as_deref(),
            wide_context: r.wide_context.as_deref(),
            topics: r.topics.as_ref().map(|t| t.keys().cloned().collect()),
            target: r.target.map(|t| (t.start, t.end)),
            lead: r.lead.as_deref(),
        })
        .collect()
}

fn set_epoch() {
    // Every test that saves uses the same value, so parallel tests cannot disagree.
    std::env::set_var("SOURCE_DATE_EPOCH", "1700000000");
}

#[test]
fn round_trip_gives_identical_predictions() {
    set_epoch();
    let tmp = tempfile::tempdir().unwrap();
    let recs = records(tmp.path());
    let (model, report) = stance::model::train(&recs, &small_params(), |_| {}).unwrap();
    assert!(report.stance_pooled.is_some(), "CV ran");
    assert_eq!(model.topics(), ["nato", "sanctions"]);
    let dir = tmp.path().join("model");
    model.save(&dir).unwrap();
    let loaded = Model::load(&dir).unwrap();
    assert_eq!(loaded.manifest().created, "2023-11-14T22:13:20Z");
    let st = statements(&recs);
    let a = model.predict_batch(&st);
    let b = loaded.predict_batch(&st);
    assert_eq!(a, b);
    // The model learned the synthetic signal.
    let rep = loaded.evaluate(&recs);
    assert!(rep.stance_pooled.unwrap().f_avg.unwrap() > 0.9);
    assert!(rep.sentiment.unwrap().macro_f1 > 0.8);
    // Relevance head: trained (there are off-topic records) and sensible.
    let rel = loaded.topic_relevance(&Statement {
        text: "we strongly support the alliance membership",
        ..Default::default()
    });
    let nato = rel.iter().find(|(t, _)| t == "nato").unwrap().1;
    let sanc = rel.iter().find(|(t, _)| t == "sanctions").unwrap().1;
    assert!(nato > 0.5 && sanc < 0.5, "nato {nato} sanctions {sanc}");
    // Detection: no topics given → only detected topics are predicted.
    let p = loaded.predict(&Statement {
        text: "we firmly reject the sanctions on moscow",
        ..Default::default()
    });
    assert_eq!(p.topics.keys().collect::<Vec<_>>(), ["sanctions"]);
    assert_eq!(p.topics["sanctions"].stance, stance::Stance::Against);
    assert!(loaded
        .check_topics(&["sanctions".into(), "nato".into()])
        .is_ok());
    let e = loaded
        .check_topics(&["nato".into(), "summit".into()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("summit") && e.contains("sanctions"), "{e}");
    // A loaded model (blocks read back sparse, relevance fused on load) saves the same bytes.
    let again = tmp.path().join("again");
    loaded.save(&again).unwrap();
    for f in ["manifest.json", "vectorizer.json", "weights.bin"] {
        assert!(
            std::fs::read(dir.join(f)).unwrap() == std::fs::read(again.join(f)).unwrap(),
            "{f} differs after a load and a save"
        );
    }
    // Saving over an existing model replaces it.
    loaded.save(&dir).unwrap();
    assert!(Model::load(&dir).is_ok());
}

#[test]
fn training_is_deterministic_to_the_byte() {
    set_epoch();
    let tmp = tempfile::tempdir().unwrap();
    let recs = records(tmp.path());
    let mut dirs = Vec::new();
    for n in 0..2 {
        let (model, _) = stance::model::train(&recs, &small_params(), |_| {}).unwrap();
        let d = tmp.path().join(format!("m{n}"));
        model.save(&d).unwrap();
        dirs.push(d);
    }
    for f in ["manifest.json", "vectorizer.json", "weights.bin"] {
        let a = std::fs::read(dirs[0].join(f)).unwrap();
        let b = std::fs::read(dirs[1].join(f)).unwrap();
        assert!(a == b, "{f} differs between two identical training runs");
    }
}

#[test]
fn thread_count_does_not_change_the_model() {
    set_epoch();
    let tmp = tempfile::tempdir().unwrap();
    let recs = records(tmp.path());
    let mut weights = Vec::new();
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (model, _) =
            pool.install(|| stance::model::train(&recs, &small_params(), |_| {}).unwrap());
        let d = tmp.path().join(format!("t{threads}"));
        model.save(&d).unwrap();
        weights.push(std::fs::read(d.join("weights.bin")).unwrap());
    }
    assert!(
        weights[0] == weights[1],
        "weights differ between 1 and 3 threads"
    );
}

fn saved_model(tmp: &Path) -> PathBuf {
    set_epoch();
    let recs = records(tmp);
    let params = TrainParams {
        cv_folds: 0,
        ..small_params()
    };
    let (model, _) = stance::model::train(&recs, &params, |_| {}).unwrap();
    let d = tmp.join("model");
    model.save(&d).unwrap();
    d
}

fn load_err(d: &Path) -> String {
    Model::load(d).expect_err("load must fail").to_string()
}

#[test]
fn refuses_broken_models_with_clear_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let d = saved_model(tmp.path());
    let w = d.join("weights.bin");
    let good = std::fs::read(&w).unwrap();

    // Bad checksum: one flipped bit in the weights.
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    std::fs::write(&w, &bad).unwrap();
    assert!(
        load_err(&d).contains("checksum mismatch"),
        "{}",
        load_err(&d)
    );

    // Truncated weights.
    std::fs::write(&w, &good[..good.len() - 10]).unwrap();
    assert!(
        load_err(&d).contains("weights.bin is truncated"),
        "{}",
        load_err(&d)
    );
    std::fs::write(&w, &good).unwrap();
    assert!(Model::load(&d).is_ok());

    // Newer format version.
    let m = d.join("manifest.json");
    let man = std::fs::read_to_string(&m).unwrap();
    std::fs::write(
        &m,
        man.replace(
            &format!("\"format_version\": {}", written_version(&man)),
            "\"format_version\": 99",
        ),
    )
    .unwrap();
    let e = load_err(&d);
    assert!(e.contains("format version 99 is newer"), "{e}");

    // Corrupt manifest.
    std::fs::write(&m, &man[..man.len() / 2]).unwrap();
    assert!(load_err(&d).contains("not valid JSON"));

    // Missing manifest.
    std::fs::remove_file(&m).unwrap();
    assert!(load_err(&d).contains("missing manifest.json"));
    assert!(load_err(&tmp.path().join("nope")).contains("no such model directory"));
}

/// One block of `weights.bin` as stored: name, k, rows, row index, weights, bias.
struct StoredBlock {
    name: String,
    k: usize,
    rows: usize,
    index: Vec<u32>,
    w: Vec<f32>,
    bias: Vec<f32>,
}

/// The blocks of a saved model's `weights.bin` (the layout of `docs/model-format.md`).
fn read_blocks(d: &Path) -> Vec<StoredBlock> {
    let man: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("manifest.json")).unwrap()).unwrap();
    let w = std::fs::read(d.join("weights.bin")).unwrap();
    let mut at = 8; // after the magic
    let mut u32s = |n: usize| -> Vec<u32> {
        let v = w[at..at + 4 * n]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        at += 4 * n;
        v
    };
    let mut out = Vec::new();
    for b in man["blocks"].as_array().unwrap() {
        let [k, rows, stored] = u32s(3).try_into().unwrap();
        let (k, rows, stored) = (k as usize, rows as usize, stored as usize);
        let index = u32s(stored);
        let w = u32s(stored * k).into_iter().map(f32::from_bits).collect();
        let bias = u32s(k).into_iter().map(f32::from_bits).collect();
        out.push(StoredBlock {
            name: b["name"].as_str().unwrap().to_string(),
            k,
            rows,
            index,
            w,
            bias,
        });
    }
    let read: usize = 8 + out
        .iter()
        .map(|b| 4 * (3 + b.index.len() + b.w.len() + b.bias.len()))
        .sum::<usize>();
    assert_eq!(read, w.len(), "the block table covers weights.bin");
    out
}

/// Writes `blocks` as the model's `weights.bin`, with the manifest's block table, size and
/// sha256 to match (so only the change under test can make a load fail).
/// The `format_version` a manifest's text states.
fn written_version(manifest: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(manifest).unwrap();
    v["format_version"].as_u64().unwrap()
}

fn write_blocks(d: &Path, blocks: &[StoredBlock], format_version: u32) {
    let m = d.join("manifest.json");
    let mut man: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&m).unwrap()).unwrap();
    let mut w = b"STNCWTS1".to_vec();
    let mut table = Vec::new();
    for b in blocks {
        let stored = b.index.len();
        for x in [b.k, b.rows, stored] {
            w.extend_from_slice(&(x as u32).to_le_bytes());
        }
        for x in &b.index {
            w.extend_from_slice(&x.to_le_bytes());
        }
        for x in b.w.iter().chain(&b.bias) {
            w.extend_from_slice(&x.to_le_bytes());
        }
        table.push(
            serde_json::json!({"name": b.name, "k": b.k, "rows": b.rows, "stored_rows": stored}),
        );
    }
    man["blocks"] = table.into();
    man["format_version"] = format_version.into();
    std::fs::write(d.join("weights.bin"), &w).unwrap();
    std::fs::write(&m, serde_json::to_string_pretty(&man).unwrap()).unwrap();
    fix_weights_checksum(d);
}

#[test]
fn a_huge_block_height_is_refused_not_allocated() {
    // A weights file whose checksums agree but whose relevance block claims 2^32 - 1 rows:
    // loading must refuse the shape, not allocate the block's dense scoring layout first.
    let tmp = tempfile::tempdir().unwrap();
    let d = saved_model(tmp.path());
    let mut blocks = read_blocks(&d);
    let rel = blocks.iter_mut().find(|b| b.name == "relevance").unwrap();
    assert_eq!(rel.k, 2, "one column per topic");
    rel.rows = u32::MAX as usize;
    write_blocks(&d, &blocks, stance::model::store::FORMAT_VERSION);
    let e = load_err(&d);
    assert!(e.contains("block relevance has shape 4294967295×2"), "{e}");
}

#[test]
fn a_format_4_model_with_a_relevance_block_per_topic_loads_the_same() {
    // Format 4 stored a `relevance:<topic>` block (k = 1) per topic; format 5 stores one
    // `relevance` block with a column per topic. Split a saved model's block the way format 4
    // wrote it (each topic's non-zero rows): it must load and label exactly as before.
    let tmp = tempfile::tempdir().unwrap();
    let d = saved_model(tmp.path());
    let v5 = Model::load(&d).unwrap();
    let topics = v5.topics().to_vec();
    let blocks = read_blocks(&d);
    let mut v4 = Vec::new();
    for b in blocks {
        if b.name != "relevance" {
            v4.push(b);
            continue;
        }
        for (t, topic) in topics.iter().enumerate() {
            let (index, w) = b
                .index
                .iter()
                .zip(b.w.chunks_exact(b.k))
                .filter(|(_, w)| w[t] != 0.0)
                .map(|(&j, w)| (j, w[t]))
                .unzip();
            v4.push(StoredBlock {
                name: format!("relevance:{topic}"),
                k: 1,
                rows: b.rows,
                index,
                w,
                bias: vec![b.bias[t]],
            });
        }
    }
    assert_eq!(
        v4.iter()
            .filter(|b| b.name.starts_with("relevance:"))
            .count(),
        2
    );
    write_blocks(&d, &v4, 4);
    let old = Model::load(&d).unwrap();
    assert_eq!(old.manifest().format_version, 4);
    let recs = records(tmp.path());
    let st = statements(&recs);
    assert_eq!(old.predict_batch(&st), v5.predict_batch(&st));
    assert_eq!(old.top_features(20), v5.top_features(20));
    assert_eq!(old.relevance_head(), v5.relevance_head());
    // Saved again, it is a format 5 model with the same bytes as the original.
    let again = tmp.path().join("again");
    old.save(&again).unwrap();
    let v5_dir = tmp.path().join("v5");
    v5.save(&v5_dir).unwrap();
    for f in ["manifest.json", "weights.bin"] {
        assert_eq!(
            std::fs::read(again.join(f)).unwrap(),
            std::fs::read(v5_dir.join(f)).unwrap(),
            "{f}"
        );
    }

    // A topic without its block is refused.
    v4.retain(|b| b.name != format!("relevance:{}", topics[1]));
    write_blocks(&d, &v4, 4);
    let e = load_err(&d);
    assert!(
        e.contains("a `relevance:<topic>` block for every topic"),
        "{e}"
    );
}

#[test]
fn train_params_are_checked() {
    let p = TrainParams {
        c: vec![0.0],
        ..TrainParams::default()
    };
    assert!(p.validate().is_err());
    let mut p = TrainParams::default();
    p.c.clear();
    assert!(p.validate().is_err());
    for repeats in [0, 11] {
        let p = TrainParams {
            cv_repeats: repeats,
            ..TrainParams::default()
        };
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains("cv_repeats"), "{e}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let recs: Vec<Record> = vec![Record::new("no labels here")];
    let _ = tmp;
    assert!(stance::model::train(&recs, &TrainParams::default(), |_| {}).is_err());
}

#[test]
fn cli_train_predict_eval_inspect() {
    use assert_cmd::Command;
    let tmp = tempfile::tempdir().unwrap();
    let data = write_data(tmp.path());
    let model = tmp.path().join("m");
    Command::cargo_bin("stance")
        .unwrap()
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "train",
            "--quiet",
            "--cv",
            "2",
            "--c",
            "1,10",
            "--char-ngrams",
            "none",
            "--min-df",
            "1",
        ])
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    let input = "{\"id\":\"a\",\"text\":\"we strongly support the alliance membership\",\"topics\":{\"nato\":\"favor\"},\"keep\":[1,2]}\n\
                 {\"id\":\"b\",\"text\":\"Jones was attacked by the press\",\"target\":{\"start\":0,\"end\":5}}\n\
                 {\"id\":\"c\"}\n";
    let out = Command::cargo_bin("stance")
        .unwrap()
        .args(["predict", "--explain", "--model"])
        .arg(&model)
        .arg("-")
        .write_stdin(input)
        .assert()
        .code(1) // one malformed record, reported and skipped
        .get_output()
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["keep"], serde_json::json!([1, 2]));
    let t = &lines[0]["prediction"]["topics"]["nato"];
    assert_eq!(t["stance"], "favor");
    let p = &t["probs"];
    let sum = p["favor"].as_f64().unwrap()
        + p["against"].as_f64().unwrap()
        + p["neutral"].as_f64().unwrap();
    assert!((sum - 1.0).abs() < 1e-3, "rounded to 4 decimals: {sum}");
    assert!(t["explain"].as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(lines[1]["prediction"]["sentiment"]["label"], "negative");
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("missing `text`"));

    let ev = Command::cargo_bin("stance")
        .unwrap()
        .args(["eval", "--format", "json", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let ev: serde_json::Value = serde_json::from_slice(&ev).unwrap();
    assert!(ev["stance_pooled"]["f_avg"].as_f64().unwrap() > 0.9);
    assert!(ev["stance_per_topic"]["nato"]["confusion"]["matrix"].is_array());
    assert!(ev["sentiment"]["macro_f1"].as_f64().is_some());

    let insp = Command::cargo_bin("stance")
        .unwrap()
        .args(["inspect", "--model"])
        .arg(&model)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let insp = String::from_utf8(insp).unwrap();
    assert!(insp.contains("topics (2): nato, sanctions"), "{insp}");
    assert!(insp.contains("stance:nato"));

    // A corrupt model is refused by the CLI with exit code 2 and the reason.
    std::fs::write(model.join("weights.bin"), b"junk").unwrap();
    let err = Command::cargo_bin("stance")
        .unwrap()
        .args(["inspect", "--model"])
        .arg(&model)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8(err).unwrap().contains("truncated"));
}

#[test]
fn semeval_cv_smoke() {
    let Some(file) = common::shared(
        "semeval_cv_smoke",
        "semeval2016-task6/trainingdata-all-annotations.txt",
    ) else {
        return;
    };
    let all = read_records(&file, &ReadOptions::default()).unwrap();
    assert_eq!(all.len(), 2814);
    // Every third tweet keeps the test quick; the full 5-fold grid is in the report.
    let recs: Vec<Record> = all.into_iter().step_by(3).collect();
    let params = TrainParams {
        cv_folds: 3,
        c: vec![10.0],
        strategy: Strategy::PerTopic,
        relevance: false,
        ..TrainParams::default()
    };
    let (_, report) = stance::model::train(&recs, &params, |_| {}).unwrap();
    let f = report.stance_pooled.unwrap().f_avg.unwrap();
    // Majority class (against) scores ≈ 0.33 F_avg; a working model is far above.
    assert!(f > 0.5, "SemEval CV F_avg {f}");
    assert_eq!(report.stance_per_topic.len(), 5);
}

/// A ranker with distinct weights (values do not matter for the format).
fn test_ranker() -> stance::speakers::Ranker {
    use stance::speakers::ranker::{FEATURES, N_FEATURES};
    stance::speakers::Ranker {
        features: FEATURES.iter().map(|s| s.to_string()).collect(),
        weights: (0..N_FEATURES).map(|i| i as f32 / 10.0 - 1.0).collect(),
        bias: 0.25,
        trainer: "sparse-lbfgs".into(),
        c: 0.1,
        report: serde_json::json!({"note": "test"}),
    }
}

#[test]
fn attribution_ranker_round_trips_and_older_formats_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = saved_model(tmp.path());
    // Without a ranker: no attribution.json, no manifest field.
    assert!(Model::load(&d).unwrap().attribution_ranker().is_none());
    assert!(!d.join("attribution.json").exists());
    let man = std::fs::read_to_string(d.join("manifest.json")).unwrap();
    assert!(!man.contains("\"attribution\""));

    // Older formats (1: keyword topic rule; 2: fixed heads) are refused with a way out.
    for old in [1, 2] {
        let v = man.replace(
            &format!("\"format_version\": {}", written_version(&man)),
            &format!("\"format_version\": {old}"),
        );
        assert_ne!(v, man);
        std::fs::write(d.join("manifest.json"), &v).unwrap();
        let e = Model::load(&d).unwrap_err().to_string();
        assert!(
            e.contains(&format!("model format version {old} predates")) && e.contains("retrain"),
            "{e}"
        );
    }
    // Format 3 (no second/article thresholds) still loads, and detects as before.
    let mut v3: serde_json::Value = serde_json::from_str(&man).unwrap();
    v3["format_version"] = 3.into();
    let det = v3["detection"].as_object_mut().unwrap();
    det.remove("article_threshold");
    det.remove("second_threshold");
    std::fs::write(d.join("manifest.json"), v3.to_string()).unwrap();
    let m3 = Model::load(&d).unwrap();
    assert_eq!(m3.detection().article_threshold, None);
    std::fs::write(d.join("manifest.json"), &man).unwrap();
    let m = Model::load(&d).unwrap();
    assert!(m.attribution_ranker().is_none());

    // With a ranker: listed with size and sha256, loaded back identical.
    let mut m = m;
    m.set_attribution_ranker(Some(test_ranker()));
    let d2 = tmp.path().join("with-ranker");
    m.save(&d2).unwrap();
    let man: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d2.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(man["format_version"], 7, "no single-word parts: format 7");
    assert_eq!(man["attribution"]["file"], "attribution.json");
    assert!(man["files"]["attribution.json"]["sha256"].is_string());
    let back = Model::load(&d2).unwrap();
    assert_eq!(back.attribution_ranker(), Some(&test_ranker()));
    // Quote extraction loads the ranker alone (manifest and attribution.json, same checks).
    use stance::model::store::ModelSource;
    assert_eq!(
        Model::load_ranker_from(ModelSource::Dir(&d2)).unwrap(),
        Some(test_ranker())
    );
    assert_eq!(Model::load_ranker_from(ModelSource::Dir(&d)).unwrap(), None);
    // The pipeline takes the model's ranker.
    let p = stance::pipeline::Pipeline::new(
        stance::quotes::QuoteExtractor::with_defaults(),
        back,
        &stance::topics::TopicConfig::builtin(),
    );
    if let Ok(p) = p {
        assert_eq!(p.extractor().ranker(), Some(&test_ranker()));
    }

    // A corrupt or foreign ranker is refused with a message.
    let f = d2.join("attribution.json");
    let good = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, good.replacen("0.25", "0.35", 1)).unwrap();
    let e = load_err(&d2);
    assert!(e.contains("attribution.json: checksum mismatch"), "{e}");
    let e = Model::load_ranker_from(ModelSource::Dir(&d2))
        .unwrap_err()
        .to_string();
    assert!(e.contains("attribution.json: checksum mismatch"), "{e}");
    let mut foreign = test_ranker();
    foreign.features[0] = "something_else".into();
    let mut m = Model::load(&d).unwrap();
    m.set_attribution_ranker(Some(foreign));
    let d3 = tmp.path().join("foreign");
    m.save(&d3).unwrap();
    let e = load_err(&d3);
    assert!(e.contains("retrain it"), "{e}");
}

#[test]
fn an_article_lends_its_topics_to_quotes_that_say_little_alone() {
    set_epoch();
    let tmp = tempfile::tempdir().unwrap();
    let (model, _) = stance::model::train(&records(tmp.path()), &small_params(), |_| {}).unwrap();
    let dir = tmp.path().join("model");
    model.save(&dir).unwrap();
    let clear = Statement {
        text: "we strongly support the alliance membership today",
        ..Default::default()
    };
    let vague = Statement {
        text: "we will see about that again",
        ..Default::default()
    };
    let p = |m: &Model, s: &Statement| -> f32 {
        m.topic_relevance(s)
            .into_iter()
            .find(|(t, _)| t == "nato")
            .unwrap()
            .1
    };
    let (p_clear, p_vague) = (p(&model, &clear), p(&model, &vague));
    assert!(p_clear > p_vague + 0.02, "{p_clear} vs {p_vague}");
    // A rule under which the clear quote has `nato` alone, the vague one not, and the article
    // threshold lies just below the vague quote's P(nato).
    let th = (p_clear + p_vague) / 2.0;
    let manifest = dir.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    m["detection"] = serde_json::json!({
        "thresholds": {"nato": th, "sanctions": 1.0},
        "default_threshold": 1.0,
        "max_topics": 1,
        "article_threshold": p_vague - 0.01,
    });
    std::fs::write(&manifest, m.to_string()).unwrap();
    let model = Model::load(&dir).unwrap();
    let nato = |pred: &stance::model::Prediction| pred.topics.contains_key("nato");
    assert!(nato(&model.predict(&clear)) && !nato(&model.predict(&vague)));
    let together = model.predict_article(&[clear.clone(), vague.clone()]);
    assert!(nato(&together[0]) && nato(&together[1]), "{together:?}");
    // Alone in its article, the vague quote has nothing to borrow.
    assert!(!nato(
        &model.predict_article(std::slice::from_ref(&vague))[0]
    ));
    // Otherwise the article's predictions are the quote's own: same stance on the same topic,
    // same sentiment.
    let given = model.predict(&Statement {
        topics: Some(vec!["nato".into()]),
        ..vague.clone()
    });
    assert_eq!(together[1].topics["nato"].probs, given.topics["nato"].probs);
    assert_eq!(together[1].sentiment, given.sentiment);
    assert_eq!(together[0], model.predict(&clear));
}

/// `train` is `cross_validate` → `select` → `fit_final`: the steps run one by one give the
/// same model bytes and report; `fit_final` with `Selection::from_params` is training
/// without CV; a selection from other records is refused.
#[test]
fn split_training_steps_compose_to_train() {
    use stance::model::{cross_validate, fit_final, select, Selection};
    use stance::topics::TopicConfig;
    set_epoch();
    let tmp = tempfile::tempdir().unwrap();
    let recs = records(tmp.path());
    let params = small_params();
    let topics = TopicConfig::builtin();
    let save = |m: &Model, name: &str| {
        let d = tmp.path().join(name);
        m.save(&d).unwrap();
        ["manifest.json", "vectorizer.json", "weights.bin"]
            .map(|f| std::fs::read(d.join(f)).unwrap())
    };

    let mut train_ticks = Vec::new();
    let (whole, whole_report) =
        stance::model::train(&recs, &params, |p| train_ticks.push((p.done, p.total))).unwrap();
    let mut cv_ticks = 0;
    let cv = cross_validate(&recs, &params, &topics, |_| cv_ticks += 1).unwrap();
    assert_eq!(cv.folds, 2);
    assert_eq!(cv.topics, ["nato", "sanctions"]);
    // 2 strategies × 2 C (stance) + 2 C (sentiment) + 1 relevance C, per fold.
    assert_eq!(cv.stance.len(), 4);
    assert_eq!(cv.sentiment.len(), 2);
    assert_eq!(cv.relevance.len(), 1);
    assert_eq!(cv_ticks, 2 * 7);
    assert_eq!(train_ticks.len(), cv_ticks + 3);
    assert!(train_ticks.iter().all(|&(_, total)| total == cv_ticks + 3));
    // Every stance example was held out once.
    for z in cv.stance.values() {
        assert_eq!(z.len(), cv.stance_examples.len());
        assert!(z.iter().all(|z| z.as_ref().is_some_and(|z| z.len() == 3)));
    }
    let selection = select(&recs, &params, &cv).unwrap();
    assert!(params.c.contains(&selection.stance_c));
    assert_eq!(selection.report.folds, 2);
    let (steps, steps_report) = fit_final(&recs, &params, &topics, selection, |_| {}).unwrap();
    assert_eq!(save(&whole, "whole"), save(&steps, "steps"));
    let json = |r: &stance::model::TrainReport| serde_json::to_value(r).unwrap();
    assert_eq!(json(&whole_report), json(&steps_report));

    // Fitting with given settings: the settings used without CV.
    let no_cv = TrainParams {
        cv_folds: 0,
        ..params.clone()
    };
    let (plain, _) = stance::model::train(&recs, &no_cv, |_| {}).unwrap();
    let (given, _) = fit_final(
        &recs,
        &no_cv,
        &topics,
        Selection::from_params(&no_cv),
        |_| {},
    )
    .unwrap();
    assert_eq!(save(&plain, "plain"), save(&given, "given"));

    // Scores of other records, or settings out of range, are refused.
    let e = select(&recs[..40], &params, &cv).unwrap_err().to_string();
    assert!(e.contains("other records or parameters"), "{e}");
    let bad = Selection {
        vectorizer: 5,
        ..Selection::from_params(&params)
    };
    let e = fit_final(&recs, &params, &topics, bad, |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("vectorizer = 5"), "{e}");
}

/// `cv_repeats = 2` runs the CV once per seed (`seed`, `seed + 1`) and concatenates the
/// runs' out-of-fold scores; selection pools them, so two identical runs choose what one
/// run chooses. (A unit test in src/model/train.rs checks that a record's positives count
/// once in the pooled runs.)
#[test]
fn repeated_cv_concatenates_the_runs_and_selection_pools_them() {
    use stance::model::{cross_validate, select, CvScores};
    use stance::topics::TopicConfig;
    let tmp = tempfile::tempdir().unwrap();
    let recs = records(tmp.path());
    let topics = TopicConfig::builtin();
    let params = TrainParams {
        cv_folds: 3,
        neutral_bias: vec![0.0, 0.5],
        ..small_params()
    };
    let run = |seed: u64, repeats: usize| {
        let p = TrainParams {
            seed,
            cv_repeats: repeats,
            ..params.clone()
        };
        let mut ticks = 0;
        let cv = cross_validate(&recs, &p, &topics, |_| ticks += 1).unwrap();
        (cv, ticks)
    };
    let (one, one_ticks) = run(7, 1);
    let (next, _) = run(8, 1);
    let (both, both_ticks) = run(7, 2);
    assert_eq!((one.repeats, both.repeats), (1, 2));
    assert_eq!(both_ticks, 2 * one_ticks);
    assert_ne!(
        one.stance, next.stance,
        "the seeds must split the records differently"
    );
    let cat = |a: &Vec<Option<Vec<f32>>>, b: &Vec<Option<Vec<f32>>>| -> Vec<Option<Vec<f32>>> {
        a.iter().chain(b).cloned().collect()
    };
    assert_eq!(both.stance.len(), one.stance.len());
    for (k, z) in &both.stance {
        assert_eq!(z, &cat(&one.stance[k], &next.stance[k]), "stance {k:?}");
    }
    for (k, z) in &both.sentiment {
        assert_eq!(
            z,
            &cat(&one.sentiment[k], &next.sentiment[k]),
            "sentiment {k:?}"
        );
    }
    for (k, p) in &both.relevance {
        let want: Vec<Vec<f32>> = one.relevance[k]
            .iter()
            .chain(&next.relevance[k])
            .cloned()
            .collect();
        assert_eq!(p, &want, "relevance {k:?}");
    }

    // The same run twice: every pooled count doubles, so every choice is the one run's.
    let repeated = |cv: &CvScores| CvScores {
        repeats: 2,
        stance: cv.stance.iter().map(|(k, z)| (*k, cat(z, z))).collect(),
        sentiment: cv.sentiment.iter().map(|(k, z)| (*k, cat(z, z))).collect(),
        relevance: cv
            .relevance
            .iter()
            .map(|(k, p)| (*k, p.iter().chain(p).cloned().collect()))
            .collect(),
        ..cv.clone()
    };
    let twice = TrainParams {
        seed: 7,
        cv_repeats: 2,
        ..params.clone()
    };
    let once = TrainParams {
        seed: 7,
        ..params.clone()
    };
    let a = select(&recs, &once, &one).unwrap();
    let b = select(&recs, &twice, &repeated(&one)).unwrap();
    assert_eq!(
        (a.stance_strategy, a.stance_c, a.neutral_bias),
        (b.stance_strategy, b.stance_c, b.neutral_bias)
    );
    assert_eq!(
        (a.sentiment_c, a.sentiment_bias),
        (b.sentiment_c, b.sentiment_bias)
    );
    assert_eq!((a.relevance_c, &a.detection), (b.relevance_c, &b.detection));
    let f_avg = |s: &stance::model::Selection| -> Vec<f64> {
        s.report.stance_grid.iter().map(|g| g.f_avg).collect()
    };
    assert_eq!(f_avg(&a), f_avg(&b));
    assert_eq!(a.report.detection_grid, b.report.detection_grid);
    let (pa, pb) = (
        a.report.stance_pooled.as_ref().unwrap(),
        b.report.stance_pooled.as_ref().unwrap(),
    );
    assert_eq!(2 * pa.n, pb.n);
    assert_eq!((a.report.repeats, b.report.repeats), (1, 2));

    // Scores of one run are refused for parameters that ask for two, and vice versa.
    let e = select(&recs, &twice, &one).unwrap_err().to_string();
    assert!(e.contains("other records or parameters"), "{e}");
    let e = select(&recs, &once, &both).unwrap_err().to_string();
    assert!(e.contains("other records or parameters"), "{e}");
}

/// `stance train --cv-repeats N` needs `--cv`, reports the runs, and saves them in the
/// manifest's parameters and CV report.
#[test]
fn cli_train_repeats_the_cross_validation() {
    use assert_cmd::Command;
    let tmp = tempfile::tempdir().unwrap();
    let data = write_data(tmp.path());
    let model = tmp.path().join("m");
    let train = |extra: &[&str]| {
        let mut c = Command::cargo_bin("stance").unwrap();
        c.env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["train", "--char-ngrams", "none", "--min-df", "1"])
            .args(extra)
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(&model);
        c
    };
    let no_cv = train(&["--cv-repeats", "2"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&no_cv.stderr).contains("--cv"));
    let out = train(&["--cv", "2", "--cv-repeats", "2"])
        .assert()
        .success()
        .get_output()
        .clone();
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("2-fold cross-validation, 2 runs"),
        "{report}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["train_params"]["cv_repeats"], 2);
    assert_eq!(manifest["cv"]["repeats"], 2);
}

/// Damage done to a saved model by [`damaged_models_are_refused_or_label_without_panicking`].
#[derive(Debug, Clone)]
enum Damage {
    /// Set `k` (field 0), `rows` (1) or the number of stored rows (2) of block `i % blocks`,
    /// in the manifest and in the weights' header alike, so the decoder has to catch it.
    Shape(usize, usize, u32),
    /// Overwrite bytes of `weights.bin` (positions as fractions of its length).
    Bytes(Vec<(f64, u8)>),
    /// Cut `weights.bin` to a fraction of its length.
    Truncate(f64),
}

fn damage() -> impl proptest::strategy::Strategy<Value = Damage> {
    use proptest::prelude::*;
    let value = prop_oneof![
        Just(0u32),
        Just(1),
        Just(2),
        Just(3),
        Just(4),
        Just(u32::MAX),
        Just(u32::MAX / 4),
        0u32..100_000,
    ];
    prop_oneof![
        (0usize..64, 0usize..3, value).prop_map(|(i, f, v)| Damage::Shape(i, f, v)),
        proptest::collection::vec((0.0f64..1.0, any::<u8>()), 1..8).prop_map(Damage::Bytes),
        (0.0f64..1.0).prop_map(Damage::Truncate),
    ]
}

/// Makes the manifest's size and sha256 of `weights.bin` match the file again.
fn fix_weights_checksum(d: &Path) {
    use sha2::Digest;
    let w = std::fs::read(d.join("weights.bin")).unwrap();
    let m = d.join("manifest.json");
    let mut man: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&m).unwrap()).unwrap();
    let sum: String = sha2::Sha256::digest(&w)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    man["files"]["weights.bin"] = serde_json::json!({"bytes": w.len(), "sha256": sum});
    std::fs::write(&m, serde_json::to_string_pretty(&man).unwrap()).unwrap();
}

#[test]
fn damaged_models_are_refused_or_label_without_panicking() {
    // Checksums are fixed up after each damage, so every case reaches the weights' decoder
    // and the shape checks; a load either fails with a message or gives a model that labels.
    let tmp = tempfile::tempdir().unwrap();
    let d = saved_model(tmp.path());
    let pristine: Vec<(String, Vec<u8>)> = ["manifest.json", "weights.bin"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(d.join(f)).unwrap()))
        .collect();
    let texts = [
        "we strongly support the alliance membership today",
        "we firmly reject the sanctions on moscow",
        "the weather is mild",
        "",
    ];
    let (refused, loaded) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        // `PROPTEST_CASES=20000 cargo test --release --test model damaged` runs it longer.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256),
        ..Default::default()
    });
    runner
        .run(&damage(), |dmg| {
            for (f, b) in &pristine {
                std::fs::write(d.join(f), b).unwrap();
            }
            let mut blocks = read_blocks(&d);
            match &dmg {
                Damage::Shape(i, field, v) => {
                    let n = blocks.len();
                    let b = &mut blocks[i % n];
                    let v = *v as usize;
                    match field {
                        0 => b.k = v,
                        1 => b.rows = v,
                        _ => b.index.resize(v.min(1 << 20), 0),
                    }
                    write_blocks(&d, &blocks, stance::model::store::FORMAT_VERSION);
                }
                Damage::Bytes(edits) => {
                    let p = d.join("weights.bin");
                    let mut w = std::fs::read(&p).unwrap();
                    for &(at, byte) in edits {
                        let i = ((at * w.len() as f64) as usize).min(w.len() - 1);
                        w[i] = byte;
                    }
                    std::fs::write(&p, w).unwrap();
                    fix_weights_checksum(&d);
                }
                Damage::Truncate(at) => {
                    let p = d.join("weights.bin");
                    let w = std::fs::read(&p).unwrap();
                    std::fs::write(&p, &w[..(at * w.len() as f64) as usize]).unwrap();
                    fix_weights_checksum(&d);
                }
            }
            match Model::load(&d) {
                Err(e) => {
                    refused.set(refused.get() + 1);
                    let msg = e.to_string();
                    assert!(msg.contains("model") && msg.len() > 20, "{msg}");
                }
                Ok(m) => {
                    loaded.set(loaded.get() + 1);
                    // A damaged weight may be any finite value, so only "labels without a
                    // panic" is checked here (the probabilities of absurd weights are absurd).
                    for text in texts {
                        m.predict(&Statement {
                            text,
                            ..Default::default()
                        });
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    // Both outcomes occur: a changed weight byte usually leaves a valid (different) model.
    let (refused, loaded) = (refused.get(), loaded.get());
    assert!(
        refused > 50 && loaded > 10,
        "refused {refused}, loaded {loaded}"
    );
}

#[test]
fn the_model_card_describes_the_shipped_model() {
    // models/README.md is prose about models/default: when the model is retrained, its
    // detection choices and sizes move, and the card must move with them.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let card = std::fs::read_to_string(root.join("models/README.md")).unwrap();
    let dir = root.join("models/default");
    let man: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let det = &man["detection"];
    let mb = |bytes: u64| format!("{:.1} MB", bytes as f64 / 1e6);
    let size = |f: &str| std::fs::metadata(dir.join(f)).unwrap().len();
    let total: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    let thousands = |n: u64| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let expected = [
        format!("version {}", man["format_version"]),
        format!("{}: weights {}", mb(total), mb(size("weights.bin"))),
        format!(
            "{} columns per n-gram part",
            thousands(man["n_features"].as_u64().unwrap())
        ),
        format!(
            "peace_talks {:.2}",
            det["thresholds"]["peace_talks"].as_f64().unwrap()
        ),
        format!("at most {} topics per quote", det["max_topics"]),
        format!("at P ≥ {:.2}", det["second_threshold"].as_f64().unwrap()),
        format!(
            "took up at P ≥ {:.2}",
            det["article_threshold"].as_f64().unwrap()
        ),
        {
            let topic = &man["calibration"]["topic"];
            let b = topic["b"].as_f64().unwrap();
            format!(
                "σ({:.3} · logit(relevance) + {:.3} · ln(1 + the quote's words) {} {:.3})",
                topic["a"].as_f64().unwrap(),
                topic["length"].as_f64().unwrap(),
                if b < 0.0 { '−' } else { '+' },
                b.abs()
            )
        },
        format!("{} out-of-fold detections", man["calibration"]["examples"]),
    ];
    for e in expected {
        assert!(card.contains(&e), "models/README.md does not say {e:?}");
    }
}

#[test]
fn calibration_adds_a_confidence_and_changes_no_label() {
    set_epoch();
    let tmp = tempfile::tempdir().unwrap();
    let recs = records(tmp.path());
    // Noisy relevance labels, so that not every out-of-fold detection is right: every
    // fourth topical record says it is about no topic.
    let mut recs = recs;
    for (i, r) in recs.iter_mut().enumerate() {
        if let Some(t) = r.topics.as_mut().filter(|t| !t.is_empty() && i % 4 == 0) {
            t.clear();
        }
    }
    let (model, _) = stance::model::train(&recs, &small_params(), |_| {}).unwrap();
    let cal = model
        .calibration()
        .cloned()
        .expect("training with CV fits a calibration");
    assert!(cal.validate().is_ok() && cal.examples > 0, "{cal:?}");
    assert!(
        cal.topic
            != stance::model::calibrate::Platt {
                a: 1.0,
                b: 0.0,
                length: 0.0
            }
    );
    let mut raw = model.clone();
    raw.set_calibration(None).unwrap();
    let mut texts: Vec<Statement> = statements(&recs);
    for s in texts.iter_mut() {
        s.topics = None;
    }
    let mut topics_seen = 0;
    for s in &texts {
        let (a, b) = (model.predict(s), raw.predict(s));
        // The same labels and probabilities; only the confidence is new.
        assert_eq!(
            a.topics.keys().collect::<Vec<_>>(),
            b.topics.keys().collect::<Vec<_>>()
        );
        assert_eq!(a.sentiment, b.sentiment);
        for (t, ta) in &a.topics {
            let tb = &b.topics[t];
            topics_seen += 1;
            assert_eq!(
                (ta.stance, ta.probs, ta.relevance),
                (tb.stance, tb.probs, tb.relevance)
            );
            assert_eq!(tb.confidence, None);
            let length = stance::model::calibrate::length_feature(s.text);
            let want = cal.topic.apply(tb.relevance.unwrap(), length);
            assert!((ta.confidence.unwrap() - want).abs() < 1e-6);
        }
    }
    assert!(topics_seen > 20, "{topics_seen}");
    // A topic the caller names gets no confidence: the map was fitted on detected topics.
    let given = model.predict(&Statement {
        text: "we firmly reject the sanctions on moscow",
        topics: Some(vec!["nato".into()]),
        ..Default::default()
    });
    assert!(given.topics["nato"].relevance.is_some());
    assert_eq!(given.topics["nato"].confidence, None);
    // Saved and loaded, the calibration is the same; an invalid one is refused both ways.
    let dir = tmp.path().join("model");
    model.save(&dir).unwrap();
    assert_eq!(Model::load(&dir).unwrap().calibration(), Some(&cal));
    // The length weight needs format 10; without it the model is written as before.
    assert!(cal.topic.length != 0.0, "{cal:?}");
    let version = |m: &Model| m.manifest().format_version;
    assert_eq!(version(&Model::load(&dir).unwrap()), 10);
    let mut lengthless = model.clone();
    let mut flat = cal.clone();
    flat.topic.length = 0.0;
    lengthless.set_calibration(Some(flat)).unwrap();
    assert!(version(&lengthless) < 10);
    let mut bad = cal.clone();
    bad.topic.a = -0.5;
    assert!(raw.set_calibration(Some(bad)).is_err());
    let m = dir.join("manifest.json");
    let man = std::fs::read_to_string(&m).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&man).unwrap();
    v["calibration"]["topic"]["a"] = serde_json::json!(0.0);
    std::fs::write(&m, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let e = load_err(&dir);
    assert!(e.contains("calibration: topic map"), "{e}");
}

/// Short quotes whose topic is named only in the sentence before theirs: `wide_context`. That
/// sentence is also each record's lead: the vocabulary is fitted on text, context and lead.
fn short_quotes_with_the_topic_before() -> Vec<Record> {
    let words = [
        "absurd",
        "a good step",
        "very productive",
        "out of the question",
    ];
    let about = [
        (
            Some("nato"),
            "The alliance debated NATO membership for Kyiv.",
        ),
        (
            Some("sanctions"),
            "Washington weighed new sanctions on Russian banks.",
        ),
        (None, "The weather in the capital was mild."),
    ];
    (0..72)
        .map(|i| {
            let (topic, before) = about[i % about.len()];
            // Each word comes with every topic: only the sentence before tells them apart.
            let text = words[(i / about.len()) % words.len()];
            let context = format!("He called it “{text}” on day {i}.");
            let mut r = Record::new(text);
            r.wide_context = Some(format!("{before} {context}"));
            r.context = Some(context);
            r.lead = Some(before.to_string());
            r.topics = Some(
                topic
                    .map(|t| (t.to_string(), stance::Stance::Favor))
                    .into_iter()
                    .collect(),
            );
            r
        })
        .collect()
}

#[test]
fn the_relevance_head_reads_the_wide_context_when_its_parts_say_so() {
    use stance::model::Part;
    let recs = short_quotes_with_the_topic_before();
    let wide = TrainParams {
        heads: stance::model::HeadSpecs {
            relevance: vec![Part::Text, Part::WideContext],
            ..Default::default()
        },
        ..small_params()
    };
    let narrow = TrainParams {
        heads: stance::model::HeadSpecs {
            relevance: vec![Part::Text, Part::Context],
            ..Default::default()
        },
        ..small_params()
    };
    // The wide context is read over the vocabulary of text, context and lead: without the
    // leads, the words of the sentences before are unknown.
    let no_leads: Vec<Record> = recs
        .iter()
        .cloned()
        .map(|mut r| {
            r.lead = None;
            r
        })
        .collect();
    let (blind, _) = stance::model::train(&no_leads, &wide, |_| {}).unwrap();
    let (wide, _) = stance::model::train(&recs, &wide, |_| {}).unwrap();
    let (narrow, _) = stance::model::train(&recs, &narrow, |_| {}).unwrap();
    assert_eq!(
        wide.manifest().heads.relevance,
        [Part::Text, Part::WideContext]
    );
    let context = "He called it “absurd” on day 99.";
    let about = |m: &Model, wide_context: Option<&str>| -> Vec<f32> {
        m.topic_relevance(&Statement {
            text: "absurd",
            context: Some(context),
            wide_context,
            ..Default::default()
        })
        .into_iter()
        .map(|(_, p)| p)
        .collect()
    };
    let nato_before = format!("Leaders argued over NATO membership for Kyiv. {context}");
    let sanctions_before = format!("They weighed new sanctions on Russian banks. {context}");
    // Topics in model order: nato, sanctions.
    let nato = about(&wide, Some(&nato_before));
    let sanctions = about(&wide, Some(&sanctions_before));
    assert!(
        nato[0] > 0.5 && nato[0] > nato[1] && sanctions[1] > 0.5 && sanctions[1] > sanctions[0],
        "{nato:?} {sanctions:?}"
    );
    // Without a wide context the head reads the context in its place.
    assert_eq!(about(&wide, None), about(&wide, Some(context)));
    assert_ne!(about(&wide, None), nato);
    // A head that reads the context does not see the wide one.
    assert_eq!(about(&narrow, Some(&nato_before)), about(&narrow, None));
    // Words only the wide contexts had are not in the vocabulary.
    assert_eq!(about(&blind, Some(&nato_before)), about(&blind, None));
    assert!(blind.vectorizer().n_features() < wide.vectorizer().n_features());
}

#[test]
fn stance_parts_are_computed_only_for_quotes_with_a_topic_and_change_no_label() {
    // The stance head reads the context, topic detection the wide context: a quote without a
    // topic skips the context's parts. Whatever the order of quotes with and without topics
    // (and sharing a context or not), every stance equals the one of the quote predicted
    // alone with its topic given, which computes every part.
    use stance::model::Part;
    let params = TrainParams {
        heads: stance::model::HeadSpecs {
            relevance: vec![Part::Text, Part::WideContext],
            stance: vec![Part::Text, Part::Context],
            ..Default::default()
        },
        ..small_params()
    };
    let (m, _) =
        stance::model::train(&short_quotes_with_the_topic_before(), &params, |_| {}).unwrap();
    let shared = "He called it “absurd” and “a good step” on day 99.";
    let other = "He said it was “out of the question” on day 98.";
    let nato = format!("The alliance debated NATO membership for Kyiv. {other}");
    let weather = format!("The weather in the capital was mild. {shared}");
    let sanctions = format!("Washington weighed new sanctions on Russian banks. {shared}");
    let statement = |text, context, wide_context| Statement {
        text,
        context: Some(context),
        wide_context: Some(wide_context),
        ..Default::default()
    };
    let article = [
        statement("out of the question", other, nato.as_str()),
        statement("absurd", shared, weather.as_str()),
        statement("a good step", shared, sanctions.as_str()),
        statement("absurd", shared, weather.as_str()),
        statement("out of the question", other, nato.as_str()),
    ];
    let together = m.predict_article(&article);
    let alone: Vec<stance::model::Prediction> = article.iter().map(|s| m.predict(s)).collect();
    assert_eq!(together.len(), article.len());
    let with_topic = together.iter().filter(|p| !p.topics.is_empty()).count();
    assert!(
        with_topic >= 2 && with_topic < article.len(),
        "need quotes with and without a topic: {together:?}"
    );
    for (i, (s, p)) in article.iter().zip(&together).enumerate() {
        assert_eq!(
            p.topics.keys().collect::<Vec<_>>(),
            alone[i].topics.keys().collect::<Vec<_>>()
        );
        for (topic, got) in &p.topics {
            let given = m.predict(&Statement {
                topics: Some(vec![topic.clone()]),
                ..s.clone()
            });
            let want = &given.topics[topic];
            assert_eq!(
                (got.stance, &got.probs),
                (want.stance, &want.probs),
                "quote {i}, {topic}"
            );
            assert_eq!(
                got.probs, alone[i].topics[topic].probs,
                "quote {i}, {topic}"
            );
            // The stance did read the context (skipped, it would be empty for every quote).
            let elsewhere = m.predict(&Statement {
                topics: Some(vec![topic.clone()]),
                context: Some("Reporters waited outside for hours."),
                ..s.clone()
            });
            assert_ne!(
                elsewhere.topics[topic].probs, want.probs,
                "quote {i}, {topic}"
            );
        }
    }
}

/// [`short_quotes_with_the_topic_before`] with a sentiment label each, so that a sentiment
/// head is trained too.
fn short_quotes_with_sentiment() -> Vec<Record> {
    short_quotes_with_the_topic_before()
        .into_iter()
        .map(|mut r| {
            let negative = ["absurd", "out of the question"].contains(&r.text.as_str());
            r.sentiment = Some(if negative {
                stance::Sentiment::Negative
            } else {
                stance::Sentiment::Positive
            });
            r
        })
        .collect()
}

#[test]
fn single_word_parts_give_heads_without_longer_n_grams_and_format_8() {
    // Heads that read `text_unigrams` / `context_unigrams` never see a word bigram, so they
    // learn no weight for one, while the sentiment head (its own parts) keeps its bigrams.
    // Such a model is written as format 8; a model without those parts stays format 7, so
    // older builds keep reading it.
    use stance::model::Part;
    let recs = short_quotes_with_sentiment();
    let single = TrainParams {
        heads: stance::model::HeadSpecs {
            relevance: vec![Part::TextUnigrams, Part::ContextUnigrams, Part::Lexicon],
            stance: vec![Part::TextUnigrams, Part::ContextUnigrams],
            ..Default::default()
        },
        ..small_params()
    };
    let (m, _) = stance::model::train(&recs, &single, |_| {}).unwrap();
    let v = m.vectorizer();
    let nf = v.n_features();
    let bigram = |col: usize| col < 2 * nf && v.feature_name(col % nf).contains(' ');
    let rel = m.relevance_head().expect("a relevance head");
    let rel_rows = rel.stored_rows();
    assert!(rel_rows.iter().any(|(r, _)| *r < 2 * nf && !bigram(*r)));
    for (r, w) in &rel_rows {
        assert!(
            !bigram(*r) || w.iter().all(|&x| x == 0.0),
            "relevance row {r}"
        );
    }
    let stance = m.stance_head().expect("a stance head");
    let mut stance_rows = 0;
    for b in stance.per_topic.iter().chain(&stance.shared) {
        for (r, w) in b.stored_rows() {
            stance_rows += 1;
            assert!(!bigram(r) || w.iter().all(|&x| x == 0.0), "stance row {r}");
        }
    }
    assert!(stance_rows > 0);
    let sentiment = m.sentiment_head().expect("a sentiment head");
    assert!(
        sentiment
            .stored_rows()
            .iter()
            .any(|(r, w)| *r < nf && bigram(*r) && w.iter().any(|&x| x != 0.0)),
        "the sentiment head reads bigrams"
    );

    let tmp = tempfile::tempdir().unwrap();
    let version =
        |d: &Path| written_version(&std::fs::read_to_string(d.join("manifest.json")).unwrap());
    // The heads' format: a length-aware calibration alone would make it 10.
    let mut m = m;
    m.set_calibration(None).unwrap();
    m.save(tmp.path().join("single")).unwrap();
    assert_eq!(version(&tmp.path().join("single")), 8);
    let back = Model::load(tmp.path().join("single")).unwrap();
    let s = Statement {
        text: "a good step",
        context: Some("He called it “a good step” on day 7."),
        ..Default::default()
    };
    assert_eq!(back.predict(&s), m.predict(&s));
    assert_eq!(back.manifest().heads, m.manifest().heads);
    let (mut plain, _) = stance::model::train(&recs, &small_params(), |_| {}).unwrap();
    plain.set_calibration(None).unwrap();
    plain.save(tmp.path().join("plain")).unwrap();
    assert_eq!(version(&tmp.path().join("plain")), 7);
    assert_eq!(plain.manifest().format_version, 7);
    assert_eq!(m.manifest().format_version, 8);
}

#[test]
fn sif_part_reads_weighted_vectors_needs_weights_and_gives_format_9() {
    // `embed_text_sif` pools the quote's vectors with the table's SIF weights whatever the
    // table's own pooling (the other `embed_*` parts stay the mean). A model whose head reads
    // it is written as format 9 and predicts the same after loading; a table without
    // per-word weights is refused when training starts.
    use stance::features::{Embeddings, StoredDtype};
    use stance::model::Part;
    let recs = short_quotes_with_sentiment();
    let tmp = tempfile::tempdir().unwrap();
    let mut words: Vec<String> = Vec::new();
    for r in &recs {
        for w in r.text.split(|c: char| !c.is_alphanumeric()) {
            let w = w.to_lowercase();
            if !w.is_empty() && !words.contains(&w) {
                words.push(w);
            }
        }
    }
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let dim = 4;
    let matrix: Vec<f32> = (0..words.len() * dim)
        .map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0)
        .collect();
    let table = |weights: Option<Vec<f32>>, name: &str| {
        let path = tmp.path().join(name);
        Embeddings::from_parts(&refs, dim, matrix.clone(), weights, "{}", StoredDtype::F16)
            .unwrap()
            .save(&path)
            .unwrap();
        path
    };
    let weighted = table(
        Some(
            (0..words.len())
                .map(|i| 0.1 + (i % 5) as f32 * 0.2)
                .collect(),
        ),
        "weighted.emb",
    );
    let heads = stance::model::HeadSpecs {
        sentiment: vec![Part::SentimentText, Part::EmbedTextSif],
        ..Default::default()
    };
    let params = TrainParams {
        heads: heads.clone(),
        embeddings: Some(weighted),
        ..small_params()
    };
    let (mut m, _) = stance::model::train(&recs, &params, |_| {}).unwrap();
    assert_eq!(
        m.manifest().format_version,
        10,
        "a length-aware calibration"
    );
    // Without it, the heads alone decide the format.
    m.set_calibration(None).unwrap();
    assert_eq!(m.manifest().format_version, 9);
    let nf = m.vectorizer().n_features();
    // The head learnt weights on the SIF columns: the part was not empty in training.
    let sentiment = m.sentiment_head().expect("a sentiment head");
    assert!(
        sentiment
            .stored_rows()
            .iter()
            .any(|(r, w)| (nf..nf + dim).contains(r) && w.iter().any(|&x| x != 0.0)),
        "no weight on the embed_text_sif columns"
    );
    m.save(tmp.path().join("sif")).unwrap();
    let man = std::fs::read_to_string(tmp.path().join("sif/manifest.json")).unwrap();
    assert_eq!(written_version(&man), 9);
    let back = Model::load(tmp.path().join("sif")).unwrap();
    for r in &recs {
        let s = Statement {
            text: &r.text,
            context: r.context.as_deref(),
            ..Default::default()
        };
        assert_eq!(back.predict(&s), m.predict(&s), "{}", r.text);
    }

    let plain = TrainParams {
        heads,
        embeddings: Some(table(None, "plain.emb")),
        ..small_params()
    };
    let err = stance::model::train(&recs, &plain, |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("embed_text_sif") && err.contains("per-word weights"),
        "{err}"
    );
}

#[test]
fn relevance_weight_weighs_records_in_the_relevance_head_only() {
    let tmp = tempfile::tempdir().unwrap();
    let recs = records(tmp.path());
    let params = TrainParams {
        cv_folds: 0,
        ..small_params()
    };
    let fit = |recs: &[Record]| stance::model::train(recs, &params, |_| {}).unwrap().0;
    let plain = fit(&recs);
    // The record's own weight written as its relevance weight changes nothing.
    let mut same = recs.clone();
    for r in &mut same {
        r.relevance_weight = Some(r.weight);
    }
    let heads = |m: &Model| {
        (
            m.relevance_head().cloned(),
            m.stance_head().cloned(),
            m.sentiment_head().cloned(),
        )
    };
    assert_eq!(heads(&fit(&same)), heads(&plain));
    // Every other record five times heavier in relevance: that head moves, the others do not.
    let mut heavier = recs.clone();
    for r in heavier.iter_mut().step_by(2) {
        r.relevance_weight = Some(5.0 * r.weight);
    }
    let weighted = fit(&heavier);
    let (relevance, stance, sentiment) = heads(&weighted);
    let (plain_relevance, plain_stance, plain_sentiment) = heads(&plain);
    assert!(plain_relevance.is_some() && plain_stance.is_some() && plain_sentiment.is_some());
    assert_ne!(relevance, plain_relevance);
    assert_eq!(stance, plain_stance);
    assert_eq!(sentiment, plain_sentiment);
}
