//! `stance label` end to end with the shipped default model: per-quote records, CSV, the
//! speaker × topic summary on the seeds, and refusal of broken or mismatched models.
//! Also runs the library example that loads the model in another program.

use serde_json::Value;
use std::path::Path;

mod common;
use common::{assert_success, example, root, run};

#[test]
fn jsonl_records_carry_quote_topics_and_sentiment() {
    let (code, stdout, stderr) = run(&["label", "data/articles"]);
    assert_eq!(code, 0, "{stderr}");
    let recs: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        recs.len() >= 60,
        "the seeds hold 66 quotes, got {}",
        recs.len()
    );
    let mut with_topics = 0;
    for r in &recs {
        let article = r["article"].as_str().unwrap();
        let text =
            std::fs::read_to_string(root().join(format!("data/articles/{article}.txt"))).unwrap();
        let chars: Vec<char> = text.chars().collect();
        let (s, e) = (
            r["start"].as_u64().unwrap() as usize,
            r["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            chars[s..e].iter().collect::<String>(),
            r["text"].as_str().unwrap()
        );
        for key in [
            "fragment",
            "speaker",
            "speaker_mention",
            "cue",
            "confidence",
            "topics",
            "sentiment",
        ] {
            assert!(r.get(key).is_some(), "missing {key} in {r}");
        }
        let sent = r["sentiment"]["label"].as_str().unwrap();
        assert!(["positive", "negative", "neutral"].contains(&sent));
        for (_, t) in r["topics"].as_object().unwrap() {
            with_topics += 1;
            let p = &t["probs"];
            let sum = p["favor"].as_f64().unwrap()
                + p["against"].as_f64().unwrap()
                + p["neutral"].as_f64().unwrap();
            assert!(
                (sum - 1.0).abs() < 1e-3,
                "stance probabilities sum to {sum}"
            );
            let rel = t["relevance"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&rel));
            // The shipped model is calibrated: every detected topic says how likely it is.
            let conf = t["confidence"].as_f64().expect("a confidence per topic");
            assert!((0.0..=1.0).contains(&conf));
            assert!(["favor", "against", "neutral"].contains(&t["stance"].as_str().unwrap()));
        }
    }
    assert!(
        with_topics >= 40,
        "most seed quotes take up a topic; got {with_topics} labels"
    );
}

/// The shipped model on its sample input: the four expectations. The seeds are part
/// of the default model's training data, so this guards the product, it does not measure it
/// (the held-out figures come from `stance eval cv`, grouped by story).
#[test]
fn summary_puts_the_speakers_where_they_stand() {
    let (code, stdout, stderr) = run(&["label", "--summary", "--format", "json", "data/articles"]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["articles"], 5);
    let rows = v["rows"].as_array().unwrap();
    let row = |speaker: &str, topic: &str| -> &Value {
        rows.iter()
            .find(|r| r["speaker"] == speaker && r["topic"] == topic)
            .unwrap_or_else(|| panic!("no row {speaker} × {topic}"))
    };
    let net = |speaker: &str, topic: &str| row(speaker, topic)["net"].as_f64().unwrap();
    assert!(net("Sergey Lavrov", "nato") < 0.0);
    assert!(net("Sergey Lavrov", "peacekeepers") < 0.0);
    assert!(net("Volodymyr Zelensky", "inclusion") > 0.0);
    assert!(net("Marco Rubio", "diplomatic_ties") > 0.0);
    // Counting rule: a stance is counted at most once per speaker × topic × article.
    for r in rows {
        let n = r["favor"].as_u64().unwrap()
            + r["against"].as_u64().unwrap()
            + r["neutral"].as_u64().unwrap();
        assert_eq!(n, r["articles"].as_u64().unwrap(), "{r}");
        assert!(!r["evidence"].as_array().unwrap().is_empty());
    }
    let (code, table, _) = run(&["label", "--summary", "data/articles"]);
    assert_eq!(code, 0);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap()
        .split('|')
        .map(str::trim)
        .collect();
    assert_eq!(
        header,
        [
            "", "speaker", "topic", "favor", "against", "neutral", "net", "articles", "evidence",
            ""
        ]
    );
    // Padded to line up: every row of the table has the header's length.
    let width = table.lines().next().unwrap().chars().count();
    for line in table.lines().take_while(|l| l.starts_with('|')) {
        assert_eq!(line.chars().count(), width, "{line}");
    }
}

#[test]
fn syndicated_copies_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let seed =
        std::fs::read_to_string(root().join("data/articles/000_43da77a679854bc7.txt")).unwrap();
    std::fs::write(dir.path().join("a.txt"), &seed).unwrap();
    std::fs::write(dir.path().join("b.txt"), &seed).unwrap();
    let (code, stdout, stderr) = run(&[
        "label",
        "--summary",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    for r in v["rows"].as_array().unwrap() {
        assert_eq!(
            r["articles"], 1,
            "a copy of the same article counted twice: {r}"
        );
    }
}

#[test]
fn csv_and_table_formats() {
    let (code, csv, _) = run(&[
        "label",
        "--format",
        "csv",
        "data/articles/004_fafa6a3430f658bd.txt",
    ]);
    assert_eq!(code, 0);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "article");
    assert_eq!(&headers[4], "topic");
    let rows: Vec<_> = rdr.records().map(|r| r.unwrap()).collect();
    assert!(rows.len() >= 10, "one row per quote × topic");
    let (code, table, _) = run(&[
        "label",
        "--format",
        "table",
        "data/articles/004_fafa6a3430f658bd.txt",
    ]);
    assert_eq!(code, 0);
    assert!(table.contains("Marco Rubio"));
}

/// `--format gold` writes the guide's records (§6) of the model's labels: read back as gold,
/// they score perfectly against the labels they came from (same offsets, speakers, topics,
/// stances, sentiment), so a corrected copy measures and trains on exactly what it says.
#[test]
fn gold_format_is_the_guides_records_and_scores_perfectly_against_its_own_labels() {
    let dir = tempfile::tempdir().unwrap();
    let draft = dir.path().join("draft.jsonl");
    let (code, _, stderr) = run(&[
        "label",
        "--quiet",
        "--format",
        "gold",
        "data/articles",
        "-o",
        draft.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (_, labeled, _) = run(&["label", "data/articles"]);
    let labeled = jsonl(&labeled);
    let lines = std::fs::read_to_string(&draft).unwrap();
    let records = jsonl(&lines);
    assert_eq!(records.len(), labeled.len(), "one record per labeled quote");
    let guide_keys = [
        "article",
        "start",
        "end",
        "text",
        "speaker",
        "fragment",
        "topics",
        "sentiment",
    ];
    let mut stances = 0;
    for ((g, l), line) in records.iter().zip(&labeled).zip(lines.lines()) {
        let mut keys: Vec<&str> = g.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = guide_keys.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want, "{g}");
        // In the guide's order: the first occurrence of each key comes after the previous one.
        let at: Vec<usize> = guide_keys
            .iter()
            .map(|k| line.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "key order of {line}");
        for k in ["article", "start", "end", "text", "speaker", "fragment"] {
            assert_eq!(g[k], l[k], "{k} of {g}");
        }
        assert_eq!(g["sentiment"], l["sentiment"]["label"]);
        let topics = g["topics"].as_object().unwrap();
        assert_eq!(topics.len(), l["topics"].as_object().unwrap().len());
        for (t, s) in topics {
            assert_eq!(*s, l["topics"][t]["stance"], "{t} of {g}");
            stances += 1;
        }
    }
    assert!(
        stances >= 50,
        "the seeds' draft should carry topics, got {stances}"
    );
    let (code, report, stderr) = run(&[
        "eval",
        "labels",
        "--gold",
        draft.to_str().unwrap(),
        "--articles",
        "data/articles",
    ]);
    assert_eq!(code, 0, "{stderr}");
    for figure in [
        "topic micro-F1 1.0000",
        "stance F_avg 1.0000",
        "sentiment macro-F1 1.0000",
        "summary sign F1 1.0000",
    ] {
        assert!(report.contains(figure), "{figure} missing:\n{report}");
    }
    let (code, _, stderr) = run(&["label", "--format", "gold", "--summary", "data/articles"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--format gold"), "{stderr}");
}

fn copy_model(dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for f in std::fs::read_dir(root().join("models/default")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dst.join(f.file_name().unwrap())).unwrap();
    }
}

/// Runs `label` with a damaged copy of the default model and returns (code, stderr).
fn label_with_broken_model(damage: impl FnOnce(&Path)) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("model");
    copy_model(&m);
    damage(&m);
    let (code, _, stderr) = run(&["label", "--model", m.to_str().unwrap(), "data/articles"]);
    (code, stderr)
}

#[test]
fn broken_models_are_refused_with_the_reason() {
    let (code, err) =
        label_with_broken_model(|m| std::fs::remove_file(m.join("manifest.json")).unwrap());
    assert_eq!(code, 2);
    assert!(err.contains("missing manifest.json"), "{err}");

    let (code, err) = label_with_broken_model(|m| {
        let w = std::fs::read(m.join("weights.bin")).unwrap();
        std::fs::write(m.join("weights.bin"), &w[..w.len() / 2]).unwrap();
    });
    assert_eq!(code, 2);
    assert!(err.contains("weights.bin is truncated"), "{err}");

    let (code, err) = label_with_broken_model(|m| {
        let mut w = std::fs::read(m.join("weights.bin")).unwrap();
        let mid = w.len() / 2;
        w[mid] ^= 0x5a;
        std::fs::write(m.join("weights.bin"), &w).unwrap();
    });
    assert_eq!(code, 2);
    assert!(err.contains("checksum mismatch"), "{err}");

    let (code, err) = label_with_broken_model(|m| {
        let p = m.join("manifest.json");
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        v["format_version"] = Value::from(99);
        std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
    });
    assert_eq!(code, 2);
    assert!(err.contains("newer than this build"), "{err}");

    let (code, err) = run(&["label", "--model", "no/such/model", "data/articles"]).into_code_err();
    assert_eq!(code, 2);
    assert!(
        err.contains("no model at no/such/model (no such directory)"),
        "{err}"
    );
}

trait CodeErr {
    fn into_code_err(self) -> (i32, String);
}
impl CodeErr for (i32, String, String) {
    fn into_code_err(self) -> (i32, String) {
        (self.0, self.2)
    }
}

#[test]
fn a_model_with_unconfigured_topics_is_refused_until_they_are_configured() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("train.jsonl");
    let mut lines = String::new();
    let texts = [
        ("We will build the canal whatever it costs,", "favor"),
        ("The canal is a waste of public money,", "against"),
        ("Work on the canal begins in May,", "neutral"),
        ("This canal will bring jobs to the whole region,", "favor"),
        ("Nobody asked the farmers about the canal,", "against"),
        ("The canal commission meets on Tuesday,", "neutral"),
    ];
    for (i, (t, s)) in texts.iter().enumerate() {
        lines.push_str(&format!(
            "{}\n",
            serde_json::json!({"id": i, "text": t, "topics": {"canal": s}, "sentiment": "neutral"})
        ));
    }
    std::fs::write(&data, lines).unwrap();
    let model = dir.path().join("canal-model");
    let (code, _, err) = run(&[
        "train",
        "--quiet",
        "--cv",
        "0",
        "--min-df",
        "1",
        "--data",
        data.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let article = dir.path().join("a.txt");
    std::fs::write(
        &article,
        "“We will build the canal whatever it costs,” the mayor said.\n",
    )
    .unwrap();
    let (code, _, err) = run(&[
        "label",
        "--model",
        model.to_str().unwrap(),
        article.to_str().unwrap(),
    ]);
    assert_eq!(
        code, 2,
        "a model whose topics are not configured is refused"
    );
    assert!(err.contains("canal"), "the message names the topic: {err}");

    let topics = dir.path().join("topics.toml");
    std::fs::write(
        &topics,
        "[[topic]]\nid = \"canal\"\nproposition = \"the canal should be built\"\nkeywords = [\"canal\"]\n",
    )
    .unwrap();
    let (code, out, err) = run(&[
        "label",
        "--model",
        model.to_str().unwrap(),
        "--topics",
        topics.to_str().unwrap(),
        article.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert!(v["topics"].get("canal").is_some(), "{v}");
}

#[test]
fn library_example_loads_the_model_and_labels_a_file() {
    let out = std::process::Command::new(example("label_file"))
        .current_dir(root())
        .args(["models/default", "data/articles/004_fafa6a3430f658bd.txt"])
        .output()
        .unwrap();
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().count() >= 8, "{stdout}");
    assert!(stdout.contains("Marco Rubio\t"), "{stdout}");
}

/// The library builder: user files merge over the built-in configuration, a bad file is an
/// error naming it, and `label_many` on the builder's threads equals labeling one by one.
#[test]
fn pipeline_builder_merges_user_files_and_labels_in_parallel() {
    use stance::pipeline::Pipeline;
    let dir = tempfile::tempdir().unwrap();
    let speakers = dir.path().join("speakers.toml");
    std::fs::write(
        &speakers,
        "[[speaker]]\nname = \"Olena Testenko\"\naliases = [\"Testenko\"]\ngender = \"female\"\n",
    )
    .unwrap();
    let model = root().join("models/default");
    let p = Pipeline::builder(&model)
        .speakers(&speakers)
        .threads(2)
        .build()
        .unwrap();
    let article = stance::Article::new(
        "t",
        "Kyiv.\n“We will not give up a single village,” Testenko told reporters on Monday.\n",
    );
    let got = p.label(&article);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].quote.speaker.as_deref(), Some("Olena Testenko"));
    // Without the user file the surname is not a known speaker's.
    let plain = Pipeline::builder(&model).build().unwrap();
    assert_ne!(
        plain.label(&article)[0].quote.speaker.as_deref(),
        Some("Olena Testenko")
    );

    let articles: Vec<stance::Article> = std::fs::read_dir(root().join("data/articles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|f| {
            stance::Article::new(
                f.file_stem().unwrap().to_string_lossy(),
                std::fs::read_to_string(&f).unwrap(),
            )
        })
        .collect();
    let one_by_one: Vec<_> = articles.iter().map(|a| p.label(a)).collect();
    assert_eq!(p.label_many(&articles), one_by_one);

    let bad = dir.path().join("topics.toml");
    std::fs::write(&bad, "[[topic]]\nid = 3\n").unwrap();
    let e = match Pipeline::builder(&model).topics(&bad).build() {
        Ok(_) => panic!("a topics file with a numeric id was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("topics.toml"), "{e}");
}

/// The (quote, topic) pairs of `stance label` JSONL output, with each topic's confidence.
fn topic_confidences(recs: &[Value]) -> Vec<f64> {
    recs.iter()
        .flat_map(|r| r["topics"].as_object().unwrap().values())
        .map(|t| {
            t["confidence"]
                .as_f64()
                .expect("the default model is calibrated")
        })
        .collect()
}

fn jsonl(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn min_confidence_keeps_exactly_the_topics_at_or_above_the_bar() {
    let (code, out, err) = run(&["label", "data/articles"]);
    assert_eq!(code, 0, "{err}");
    let full = jsonl(&out);
    let mut confs = topic_confidences(&full);
    assert!(confs.len() >= 20, "{} topics on the seeds", confs.len());
    confs.sort_by(f64::total_cmp);
    // A bar equal to a written confidence: that topic is kept (≥, compared as written).
    let bar = confs[confs.len() / 2];
    let (code, out, err) = run(&[
        "label",
        "data/articles",
        "--min-confidence",
        &bar.to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let kept = jsonl(&out);
    // The same quotes, in the same order, each with its topics at or above the bar.
    let mut want = full.clone();
    for r in &mut want {
        r["topics"]
            .as_object_mut()
            .unwrap()
            .retain(|_, t| t["confidence"].as_f64().unwrap() >= bar);
    }
    assert_eq!(kept, want);
    let n_kept = topic_confidences(&kept).len();
    assert!(
        0 < n_kept && n_kept < confs.len(),
        "the median bar keeps some topics and drops others: {n_kept} of {}",
        confs.len()
    );
    assert!(topic_confidences(&kept).contains(&bar));

    // The summary counts only the kept topics.
    let summary_topics = |extra: &[&str]| -> u64 {
        let mut args = vec!["label", "data/articles", "--summary", "--format", "json"];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                ["favor", "against", "neutral"]
                    .iter()
                    .map(|k| r[*k].as_u64().unwrap())
                    .sum::<u64>()
            })
            .sum()
    };
    let (all, surer) = (
        summary_topics(&[]),
        summary_topics(&["--min-confidence", &bar.to_string()]),
    );
    assert!(0 < surer && surer < all, "summary counts {surer} of {all}");

    // A bar of 0 changes nothing.
    let (code, out, err) = run(&["label", "data/articles", "--min-confidence", "0"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(jsonl(&out), full);
}

#[test]
fn min_confidence_outside_0_1_or_without_calibration_is_refused() {
    for bad in ["1.5", "-0.1", "NaN"] {
        let arg = format!("--min-confidence={bad}");
        let (code, out, err) = run(&["label", "data/articles", &arg]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(out.is_empty(), "{bad}: nothing is labeled");
        assert!(
            err.contains("min_confidence") && err.contains("between 0 and 1"),
            "{bad}: {err}"
        );
    }
    let mut model = stance::model::Model::load(root().join("models/default")).unwrap();
    model.set_calibration(None).unwrap();
    let pipeline = || {
        stance::pipeline::Pipeline::new(
            stance::quotes::QuoteExtractor::with_defaults(),
            model.clone(),
            &stance::topics::TopicConfig::builtin(),
        )
        .unwrap()
    };
    let err = pipeline()
        .with_min_confidence(Some(0.5))
        .err()
        .expect("a model without calibration has no confidence to compare");
    assert!(err.to_string().contains("no confidence"), "{err}");
    assert!(pipeline().with_min_confidence(None).is_ok());
    // The library builder checks the bar the same way.
    let built = |p: f32| {
        stance::pipeline::Pipeline::builder(root().join("models/default"))
            .min_confidence(p)
            .build()
    };
    let err = built(1.5).err().expect("1.5 is refused");
    assert!(err.to_string().contains("between 0 and 1"), "{err}");
    assert!(built(0.7).is_ok());
}

#[test]
fn relevance_gives_every_topic_as_the_detector_saw_it() {
    let (code, out, err) = run(&["label", "data/articles"]);
    assert_eq!(code, 0, "{err}");
    let plain = jsonl(&out);
    let (code, out, err) = run(&["label", "data/articles", "--relevance"]);
    assert_eq!(code, 0, "{err}");
    let scored = jsonl(&out);
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("models/default/manifest.json")).unwrap(),
    )
    .unwrap();
    let topics: Vec<&str> = manifest["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let detection = &manifest["detection"];
    let own = |t: &str| detection["thresholds"][t].as_f64().unwrap();
    let article = detection["article_threshold"].as_f64().unwrap();
    assert_eq!(scored.len(), plain.len());
    for (s, p) in scored.iter().zip(&plain) {
        let rel = s["relevance"]
            .as_object()
            .expect("every quote has relevance");
        assert_eq!(rel.keys().map(String::as_str).collect::<Vec<_>>(), topics);
        // The scores are the detector's input: a detected topic's own relevance is its
        // score; it reached its threshold or the article's; the best topic, when it reaches
        // its threshold, is always detected.
        for (t, tp) in s["topics"].as_object().unwrap() {
            let r = rel[t].as_f64().unwrap();
            assert_eq!(tp["relevance"].as_f64().unwrap(), r, "{t} in {s}");
            assert!(r >= own(t).min(article) - 1e-4, "{t} detected at {r}");
        }
        let (best, p_best) = rel
            .iter()
            .map(|(t, v)| (t.as_str(), v.as_f64().unwrap()))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        if p_best >= own(best) + 1e-4 {
            assert!(s["topics"].get(best).is_some(), "{best} at {p_best}: {s}");
        }
        // Nothing else changes.
        let mut without = s.clone();
        without.as_object_mut().unwrap().remove("relevance");
        assert_eq!(&without, p);
    }
    assert!(
        plain.iter().all(|r| r.get("relevance").is_none()),
        "off by default"
    );

    // Only per-quote JSON Lines carry it.
    for extra in [
        &["--summary"][..],
        &["--format", "csv"],
        &["--format", "table"],
    ] {
        let mut args = vec!["label", "data/articles", "--relevance"];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(out.is_empty(), "{extra:?}: nothing is labeled");
        assert!(
            err.contains("--relevance") && err.contains("jsonl"),
            "{err}"
        );
    }

    // The library: off by default, on through the builder.
    let text =
        std::fs::read_to_string(root().join("data/articles/000_43da77a679854bc7.txt")).unwrap();
    let article = stance::Article::new("a", text);
    let built = |on: bool| {
        stance::pipeline::Pipeline::builder(root().join("models/default"))
            .relevance_scores(on)
            .build()
            .unwrap()
            .label(&article)
    };
    let (off, on) = (built(false), built(true));
    assert!(!on.is_empty());
    assert!(off.iter().all(|q| q.relevance.is_none()));
    for (a, b) in off.iter().zip(&on) {
        assert_eq!(b.relevance.as_ref().map(|r| r.len()), Some(topics.len()));
        assert_eq!((&a.topics, &a.sentiment), (&b.topics, &b.sentiment));
    }
}
