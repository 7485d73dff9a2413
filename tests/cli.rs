//! The command line as a new user meets it (issue 11, "one way to do each thing"): unique
//! article ids, no silent no-ops, CSV columns by name, `label -` as a streaming filter, quiet
//! broken pipes, the same flags in every subcommand, outputs in words, and the built-in model.
//! Interrupts are in `tests/robustness.rs`.

use serde_json::Value;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

mod common;
use common::{assert_success, root, run, stance};

const GOOD: &str = "“We will not accept a deal without Ukraine,” Zelensky said on Tuesday.\n";

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `DIR/s.jsonl`: one labelled statement, for the commands that read statements.
fn statements(dir: &Path) -> PathBuf {
    let path = dir.join("s.jsonl");
    write(
        &path,
        "{\"text\": \"We back the alliance.\", \"topics\": {\"nato\": \"favor\"}}\n",
    );
    path
}

/// `stance eval WHAT` (`quotes`, `labels`) on the seed articles and their gold.
fn eval_on_seeds(what: &str) -> Vec<&str> {
    vec![
        "eval",
        what,
        "--gold",
        "data/gold/seeds.jsonl",
        "--articles",
        "data/articles",
    ]
}

/// `stance ARGS…` started from the project root with stdout and stderr piped.
fn spawn_piped(args: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_stance"))
        .current_dir(root())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

// ---- article ids ---------------------------------------------------------------------------

#[test]
fn article_ids_are_paths_below_the_input_and_never_collide() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a/day1/story.txt"), GOOD);
    write(
        &dir.path().join("a/day2/story.txt"),
        "“We are ready to resume the peace talks with Russia next week,” Zelensky said.\n",
    );
    let (code, out, err) = run(&["quotes", p(&dir.path().join("a"))]);
    assert_eq!(code, 0, "{err}");
    let ids: Vec<String> = json_lines(&out)
        .iter()
        .map(|v| v["article"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["day1/story", "day2/story"]);

    // The summary keeps the two articles apart.
    let (code, out, err) = run(&[
        "label",
        "--summary",
        "--format",
        "json",
        p(&dir.path().join("a")),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["articles"], 2, "{v}");

    // Two inputs that give the same id: the second is reported and skipped.
    let (code, out, err) = run(&[
        "quotes",
        p(&dir.path().join("a/day1")),
        p(&dir.path().join("a/day2")),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("duplicate article id \"story\"") && err.contains("day2"),
        "{err}"
    );
    assert_eq!(json_lines(&out).len(), 1);

    // Same for JSON Lines ids.
    let jsonl = dir.path().join("dup.jsonl");
    write(
        &jsonl,
        &format!(
            "{}\n{}\n",
            serde_json::json!({"id": "x", "text": GOOD}),
            serde_json::json!({"id": "x", "text": GOOD})
        ),
    );
    let (code, _, err) = run(&["quotes", p(&jsonl)]);
    assert_eq!(code, 1);
    assert!(err.contains("duplicate article id \"x\""), "{err}");
}

#[test]
fn files_a_folder_holds_that_are_not_articles_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("LOUD.TXT"), GOOD);
    write(&dir.path().join("notes.md"), "# notes\n");
    write(
        &dir.path().join("more.jsonl"),
        &format!("{}\n", serde_json::json!({"id": "j", "text": GOOD})),
    );
    let (code, out, err) = run(&["quotes", p(dir.path())]);
    assert_eq!(code, 0, "not articles, not failures: {err}");
    assert_eq!(
        json_lines(&out)[0]["article"],
        "LOUD",
        "a .TXT file is read"
    );
    assert!(
        err.contains("ignored") && err.contains("notes.md") && err.contains("not a .txt file"),
        "{err}"
    );
    assert!(
        err.contains("more.jsonl") && err.contains("name a JSON Lines file"),
        "{err}"
    );
}

// ---- silent no-ops -------------------------------------------------------------------------

#[test]
fn evaluating_or_training_on_data_without_labels_names_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("my.csv");
    write(&csv, "text,label\nwe back the alliance,FAVOR\n");
    let jsonl = dir.path().join("plain.jsonl");
    write(&jsonl, "{\"text\": \"we back the alliance\"}\n");
    for data in [&csv, &jsonl] {
        let (code, out, err) = run(&["eval", "--quiet", "--data", p(data)]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(out.is_empty());
        assert!(
            err.contains("no labelled records")
                && err.contains("--stance-col")
                && err.contains("--topic-col"),
            "{err}"
        );
        let (code, _, err) = run(&[
            "train",
            "--quiet",
            "--data",
            p(data),
            "-o",
            p(&dir.path().join("m")),
        ]);
        assert_eq!(code, 2);
        assert!(err.contains("no labelled records"), "{err}");
    }
    assert!(!dir.path().join("m").exists());
}

#[test]
fn eval_on_topics_the_model_does_not_know_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.jsonl");
    write(
        &data,
        "{\"text\": \"build it\", \"topics\": {\"canal\": \"favor\"}}\n",
    );
    // Stance labels on a topic the built-in model lacks and no sentiment label: nothing the
    // model can score.
    let (code, _, err) = run(&["eval", "--quiet", "--data", p(&data)]);
    assert_eq!(code, 2);
    assert!(
        err.contains("canal") && err.contains("not topics of built-in model"),
        "{err}"
    );
}

fn canal_data(dir: &Path, stances: &[&str]) -> std::path::PathBuf {
    let data = dir.join("canal.jsonl");
    let texts = [
        "We will build the canal whatever it costs,",
        "The canal is a waste of public money,",
        "Work on the canal begins in May,",
        "This canal will bring jobs to the whole region,",
        "Nobody asked the farmers about the canal,",
        "The canal commission meets on Tuesday,",
    ];
    let mut lines = String::new();
    for (i, t) in texts.iter().enumerate() {
        let s = stances[i % stances.len()];
        let sentiment = ["neutral", "negative"][i % 2];
        lines.push_str(&format!(
            "{}\n",
            serde_json::json!({"id": i, "text": t, "topics": {"canal": s}, "sentiment": sentiment})
        ));
    }
    write(&data, &lines);
    data
}

#[test]
fn training_on_one_class_warns() {
    let dir = tempfile::tempdir().unwrap();
    let data = canal_data(dir.path(), &["favor"]);
    let (code, _, err) = run(&[
        "train",
        "--quiet",
        "--data",
        p(&data),
        "-o",
        p(&dir.path().join("m")),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: every stance label of topic canal is favor"),
        "{err}"
    );
}

#[test]
fn training_on_a_topic_the_configuration_does_not_define_warns_until_defined() {
    let dir = tempfile::tempdir().unwrap();
    let data = canal_data(dir.path(), &["favor", "against", "neutral"]);
    let model = dir.path().join("m");
    let (code, _, err) = run(&["train", "--quiet", "--data", p(&data), "-o", p(&model)]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: topic(s) canal are not in the topic configuration")
            && err.contains("--topics"),
        "{err}"
    );
    let topics = dir.path().join("topics.toml");
    write(
        &topics,
        "[[topic]]\nid = \"canal\"\nproposition = \"the canal should be built\"\nkeywords = [\"canal\"]\n",
    );
    let (code, _, err) = run(&[
        "train",
        "--quiet",
        "--topics",
        p(&topics),
        "--data",
        p(&data),
        "-o",
        p(&model),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
}

// ---- CSV/TSV columns -----------------------------------------------------------------------

#[test]
fn csv_and_tsv_columns_are_found_by_header_name() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("d.csv");
    let mut rows = String::from("id,text,topic,stance,sentiment\n");
    let texts = [
        ("we back the alliance fully", "nato", "favor", "positive"),
        (
            "the alliance must never expand",
            "nato",
            "against",
            "negative",
        ),
        ("the alliance meets in June", "nato", "neutral", "neutral"),
        (
            "keep every sanction in place",
            "sanctions",
            "favor",
            "positive",
        ),
        ("lift the sanctions now", "sanctions", "against", "negative"),
        (
            "sanctions were discussed",
            "sanctions",
            "neutral",
            "neutral",
        ),
    ];
    for (i, (t, topic, s, sent)) in texts.iter().enumerate() {
        rows.push_str(&format!("{i},{t},{topic},{s},{sent}\n"));
    }
    write(&csv, &rows);
    let tsv = dir.path().join("d.tsv");
    write(&tsv, &rows.replace(',', "\t"));
    for data in [&csv, &tsv] {
        let model = dir.path().join("m");
        let (code, _, err) = run(&[
            "train",
            "--quiet",
            "--min-df",
            "1",
            "--data",
            p(data),
            "-o",
            p(&model),
        ]);
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = run(&[
            "eval",
            "--quiet",
            "--format",
            "json",
            "--model",
            p(&model),
            "--data",
            p(data),
        ]);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert!(v["stance_pooled"]["f_avg"].as_f64().is_some(), "{v}");
        assert!(v["stance_per_topic"]["nato"].is_object(), "{v}");
        assert!(v["sentiment"]["macro_f1"].as_f64().is_some(), "{v}");
    }
}

// ---- streaming -----------------------------------------------------------------------------

/// Feeds `stance label -` one record at a time and reads each result before sending the
/// next: it passes only if every record comes out without more input or the end of input.
#[test]
fn label_stdin_is_a_streaming_filter() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stance"))
        .current_dir(root())
        .args(["label", "--quiet", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    for i in 0..3 {
        writeln!(
            stdin,
            "{}",
            serde_json::json!({"id": format!("r{i}"), "text": GOOD})
        )
        .unwrap();
        stdin.flush().unwrap();
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("record r{i} did not come out while stdin stayed open"));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["article"], format!("r{i}"));
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

// ---- broken pipes --------------------------------------------------------------------------

/// Every subcommand whose reader goes away (`stance … | head`) stops quietly with exit 0.
#[test]
fn a_closed_stdout_is_quiet_and_exit_0_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let statements = statements(dir.path());
    let model = dir.path().join("m");
    let runs: Vec<Vec<&str>> = vec![
        vec!["quotes", "data/articles"],
        vec!["quotes", "--format", "table", "data/articles"],
        vec!["quotes", "--format", "csv", "data/articles"],
        vec!["label", "data/articles"],
        vec!["label", "--format", "csv", "data/articles"],
        vec!["label", "--summary", "data/articles"],
        vec!["predict", p(&statements)],
        vec!["inspect"],
        vec!["eval", "--data", p(&statements)],
        eval_on_seeds("quotes"),
        eval_on_seeds("labels"),
        vec![
            "train",
            "--data",
            "data/gold/seeds.jsonl",
            "--char-ngrams",
            "none",
            "-o",
            p(&model),
        ],
    ];
    for args in runs {
        let mut child = spawn_piped(&args);
        drop(child.stdout.take()); // the reader is gone before anything is written
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("Broken pipe") && !err.contains("error") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
    // `| head -1`: the reader takes one line and goes, with megabytes still to come (the
    // broken pipe then surfaces inside the JSON, CSV and table writers, not at the end).
    let many = dir.path().join("many.jsonl");
    let line = |i: usize| serde_json::json!({"id": i, "text": GOOD}).to_string() + "\n";
    write(&many, &(0..5000).map(line).collect::<String>());
    for args in [
        vec!["quotes", p(&many)],
        vec!["quotes", "--format", "csv", p(&many)],
        vec!["quotes", "--format", "table", p(&many)],
        vec!["label", p(&many)],
        vec!["label", "--format", "csv", p(&many)],
    ] {
        let mut child = spawn_piped(&args);
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{args:?}");
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

// ---- the same flags everywhere -------------------------------------------------------------

fn help(sub: &[&str]) -> String {
    let (code, out, err) = run(&[sub, &["--help"]].concat());
    assert_eq!(code, 0, "{err}");
    out
}

const SUBCOMMANDS: &[&[&str]] = &[
    &["quotes"],
    &["label"],
    &["train"],
    &["predict"],
    &["eval"],
    &["eval", "quotes"],
    &["eval", "labels"],
    &["eval", "cv"],
    &["eval", "compare"],
    &["inspect"],
];

#[test]
fn every_subcommand_spells_the_shared_flags_the_same_way() {
    for sub in SUBCOMMANDS {
        let h = help(sub);
        assert!(h.contains("-o, --out <"), "{sub:?}: -o/--out\n{h}");
        for gone in ["--json", "--data-format", "--output "] {
            assert!(!h.contains(gone), "{sub:?} still has {gone}\n{h}");
        }
        if sub != &["inspect"] {
            assert!(
                h.contains("--threads <N>") && h.contains("[default: all]"),
                "{sub:?}: --threads\n{h}"
            );
            assert!(h.contains("-q, --quiet"), "{sub:?}: --quiet\n{h}");
        }
        // Everything reads a model except the two commands that train one and the comparison
        // of two runs' predictions.
        if ![&["train"][..], &["eval", "cv"], &["eval", "compare"]].contains(sub) {
            assert!(
                h.contains("--model <DIR>") && h.contains("[env: STANCE_MODEL"),
                "{sub:?}: --model\n{h}"
            );
        }
        if sub == &["train"] || sub == &["eval"] {
            assert!(h.contains("--input-format <"), "{sub:?}\n{h}");
        }
        if sub != &["predict"] {
            assert!(h.contains("--format <"), "{sub:?}: --format\n{h}");
        }
    }
    let label = help(&["label"]);
    assert!(label.contains("[default: 512M]"), "{label}");
}

#[test]
fn eval_compare_tells_a_run_that_lost_a_story_from_the_same_run() {
    // The seeds as a recipe's only gold set (each article its own story group); run A labels
    // them with the default model, run B is A without one article's quotes.
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("seeds.recipe.toml");
    std::fs::write(
        &recipe,
        format!(
            "[[gold]]\nname = \"seeds\"\narticles = \"{0}/data/articles\"\nquotes = \"{0}/data/gold/seeds.jsonl\"\n",
            root().display()
        ),
    )
    .unwrap();
    let (code, a, err) = run(&["label", "-q", "data/articles"]);
    assert_eq!(code, 0, "{err}");
    let lost = "004_fafa6a3430f658bd";
    let b: String = a
        .lines()
        .filter(|l| !l.contains(&format!("\"article\":\"{lost}\"")))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(b.len() < a.len(), "article {lost} has quotes");
    let (pa, pb) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    std::fs::write(&pa, &a).unwrap();
    std::fs::write(&pb, &b).unwrap();
    let compare = |x: &Path, y: &Path| {
        let (code, out, err) = run(&[
            "eval",
            "compare",
            "--recipe",
            p(&recipe),
            p(x),
            p(y),
            "--resamples",
            "500",
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (v["groups"].as_u64(), v["resamples"].as_u64()),
            (Some(5), Some(500))
        );
        v["figures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["figure"].as_str().unwrap().to_string(), f.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    for f in compare(&pa, &pa).values() {
        assert_eq!(
            (f["diff"].as_f64(), f["b_above"].as_f64()),
            (Some(0.0), Some(0.0)),
            "{f}"
        );
    }
    let f = compare(&pa, &pb);
    let recall = &f["topic recall"];
    assert!(recall["diff"].as_f64().unwrap() < 0.0, "{recall}");
    assert!(recall["high"].as_f64().unwrap() <= 0.0, "{recall}");
    assert!(
        recall["low"].as_f64().unwrap() < recall["diff"].as_f64().unwrap(),
        "{recall}"
    );
    // B's precision is that of A's labels on the articles B kept: `eval labels` on those
    // articles alone (labeling them afresh and scoring them as one set, where `compare` pools
    // the file's per-story counts) gives the same figure.
    let kept: Vec<String> = std::fs::read_dir(root().join("data/articles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|f| !f.to_string_lossy().contains(lost))
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    assert_eq!(kept.len(), 4);
    let mut args = vec![
        "eval",
        "labels",
        "--gold",
        "data/gold/seeds.jsonl",
        "--format",
        "json",
        "--articles",
    ];
    args.extend(kept.iter().map(String::as_str));
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let kept_only: serde_json::Value = serde_json::from_str(&out).unwrap();
    let precision = kept_only["topics"]["precision"].as_f64().unwrap();
    assert!(
        (f["topic precision"]["b"].as_f64().unwrap() - precision).abs() < 1e-12,
        "{} vs {precision}",
        f["topic precision"]
    );

    // A line that is not a labeled quote, or a quote of an article no gold set has: exit 2.
    std::fs::write(&pb, format!("{b}{{\"article\": \"x\"}}\n")).unwrap();
    let (code, _, err) = run(&["eval", "compare", "--recipe", p(&recipe), p(&pa), p(&pb)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("b.jsonl:") && err.contains("not a labeled quote"),
        "{err}"
    );
    let alien = a
        .lines()
        .next()
        .unwrap()
        .replacen("\"article\":\"", "\"article\":\"zz-", 1);
    std::fs::write(&pb, format!("{b}{alien}\n")).unwrap();
    let (code, _, err) = run(&["eval", "compare", "--recipe", p(&recipe), p(&pa), p(&pb)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no gold set has"), "{err}");
}

#[test]
fn stance_model_is_honoured_by_every_subcommand_that_uses_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let statements = statements(dir.path());
    let runs: Vec<Vec<&str>> = vec![
        vec!["label", "data/articles/004_fafa6a3430f658bd.txt"],
        vec!["predict", p(&statements)],
        vec!["eval", "--data", p(&statements)],
        eval_on_seeds("labels"),
        vec!["inspect"],
        // The model supplies the learned attribution ranker.
        vec!["quotes", "data/articles/004_fafa6a3430f658bd.txt"],
        eval_on_seeds("quotes"),
    ];
    for args in &runs {
        let out = stance()
            .env("STANCE_MODEL", "/no/such/model")
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("no model at /no/such/model") && err.contains("STANCE_MODEL"),
            "{args:?}: {err}"
        );
        // And a real model through the variable works.
        let ok = stance()
            .env("STANCE_MODEL", root().join("models/default"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }
    // `eval quotes --sieves-only` needs no model: the variable does not get in its way.
    let out = stance()
        .env("STANCE_MODEL", "/no/such/model")
        .args([
            "eval",
            "quotes",
            "--sieves-only",
            "--gold",
            "data/gold/seeds.jsonl",
            "--articles",
            "data/articles",
        ])
        .output()
        .unwrap();
    assert_success(&out);
}

#[test]
fn max_bytes_takes_units() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("big.txt"), &GOOD.repeat(30)); // > 2K
    write(&dir.path().join("small.txt"), GOOD);
    let (code, out, err) = run(&["quotes", "--max-bytes", "1K", p(dir.path())]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("big.txt") && err.contains("limit"), "{err}");
    assert_eq!(json_lines(&out).len(), 1);
    let (code, _, err) = run(&["quotes", "--max-bytes", "10M", p(dir.path())]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["quotes", "--max-bytes", "ten", p(dir.path())]);
    assert_eq!(code, 2);
    assert!(err.contains("not a size"), "{err}");
}

#[test]
fn explain_does_not_swallow_the_input_path() {
    let dir = tempfile::tempdir().unwrap();
    let statements = statements(dir.path());
    for args in [
        vec!["predict", "--explain", p(&statements)],
        vec!["predict", "--explain=3", p(&statements)],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        let v = &json_lines(&out)[0];
        let n = v["prediction"]["topics"]["nato"]["explain"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(n, if args[1] == "--explain" { 5 } else { 3 }, "{v}");
    }
}

#[test]
fn summary_as_csv() {
    let (code, out, err) = run(&["label", "--summary", "--format", "csv", "data/articles"]);
    assert_eq!(code, 0, "{err}");
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        ["speaker", "topic", "favor", "against", "neutral", "net", "articles", "evidence"]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert!(rows.len() > 10);
    assert!(rows
        .iter()
        .any(|r| &r[0] == "Sergey Lavrov" && &r[1] == "nato" && r[5].starts_with('-')));
}

/// Every line has its cells where the header has the column names: a left-aligned column
/// starts at its name (after the two-space gap), a right-aligned one ends where its name ends.
fn assert_aligned(table: &str, columns: &[(&str, bool)]) {
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let mut n = 0;
    for line in lines {
        n += 1;
        let chars: Vec<char> = line.chars().collect();
        let at = |i: usize| chars.get(i).copied().unwrap_or(' ');
        for &(name, right) in columns {
            let s = header
                .find(name)
                .unwrap_or_else(|| panic!("no {name} in {header}"));
            let ok = if right {
                let e = s + name.len();
                at(e - 1) != ' ' && at(e) == ' '
            } else {
                (s == 0 || (at(s - 1) == ' ' && at(s - 2) == ' ')) && at(s) != ' '
            };
            assert!(ok, "column {name} misplaced in\n{header}\n{line}");
        }
    }
    assert!(n > 3, "{table}");
}

#[test]
fn tables_are_aligned_with_a_header_in_label_and_quotes() {
    let (l, r) = (false, true);
    let (code, out, err) = run(&["quotes", "--format", "table", "data/articles"]);
    assert_eq!(code, 0, "{err}");
    assert_aligned(
        &out,
        &[
            ("article", l),
            ("start", r),
            ("end", r),
            ("speaker", l),
            ("conf", r),
            ("text", l),
        ],
    );
    let (code, out, err) = run(&["label", "--format", "table", "data/articles"]);
    assert_eq!(code, 0, "{err}");
    assert_aligned(
        &out,
        &[
            ("article", l),
            ("start", r),
            ("end", r),
            ("speaker", l),
            ("topic", l),
            ("stance", l),
            ("sentiment", l),
            ("text", l),
        ],
    );
}

#[test]
fn quotes_as_csv() {
    let (code, out, err) = run(&[
        "quotes",
        "--format",
        "csv",
        "data/articles/004_fafa6a3430f658bd.txt",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, jsonl, _) = run(&["quotes", "data/articles/004_fafa6a3430f658bd.txt"]);
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let h = rdr.headers().unwrap().clone();
    assert_eq!(&h[0], "article");
    assert_eq!(&h[h.len() - 1], "text");
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let recs = json_lines(&jsonl);
    assert_eq!(rows.len(), recs.len(), "one row per quote");
    for (r, j) in rows.iter().zip(&recs) {
        assert_eq!(&r[1], j["start"].to_string());
        assert_eq!(&r[r.len() - 1], j["text"].as_str().unwrap());
    }
}

// ---- outputs -------------------------------------------------------------------------------

#[test]
fn inspect_and_train_speak_words_not_rust() {
    let (code, out, err) = run(&["inspect"]);
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let (code, trained, err) = run(&[
        "train",
        "--quiet",
        "--cv",
        "2",
        "--char-ngrams",
        "none",
        "--data",
        "data/gold/seeds.jsonl",
        "-o",
        p(&dir.path().join("m")),
    ]);
    assert_eq!(code, 0, "{err}");
    for text in [&out, &trained] {
        for rust in ["Some(", "None", "#0", "PerTopic", "Joint", "[\"", "(1, 2)"] {
            assert!(!text.contains(rust), "{rust} in\n{text}");
        }
    }
    assert!(out.contains("word n-grams 1–"), "{out}");
    assert!(
        trained.contains("features: word n-grams 1–2, char n-grams none"),
        "{trained}"
    );
}

/// Every probability, relevance and confidence has at most 4 decimals, in `predict` and
/// `label` alike.
#[test]
fn probabilities_are_rounded_the_same_in_predict_and_label() {
    fn check(v: &Value, path: &str, n: &mut usize) {
        match v {
            Value::Number(x) if x.is_f64() => {
                let f = x.as_f64().unwrap();
                *n += 1;
                assert_eq!((f * 1e4).round() / 1e4, f, "{path} = {f}");
            }
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| check(v, &format!("{path}.{k}"), n)),
            Value::Array(a) => a.iter().for_each(|v| check(v, path, n)),
            _ => {}
        }
    }
    let (_, labelled, _) = run(&["label", "data/articles/004_fafa6a3430f658bd.txt"]);
    let dir = tempfile::tempdir().unwrap();
    let statements = dir.path().join("s.jsonl");
    write(
        &statements,
        "{\"text\": \"This is, of course, unacceptable to us.\", \"topics\": [\"peacekeepers\"]}\n",
    );
    let (code, predicted, err) = run(&["predict", p(&statements)]);
    assert_eq!(code, 0, "{err}");
    let mut n = 0;
    for v in json_lines(&labelled).iter().chain(&json_lines(&predicted)) {
        check(v, "", &mut n);
    }
    assert!(n > 50, "{n} numbers checked");
    // predict keeps the record's own fields first, in their order.
    assert!(predicted.starts_with("{\"text\": \"This is"), "{predicted}");
}

#[test]
fn offsets_count_from_after_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Ukraine’s president was clear. “No deal without us,” Zelensky said.\n";
    let file = dir.path().join("bom.txt");
    std::fs::write(
        &file,
        [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
    )
    .unwrap();
    let jsonl = dir.path().join("bom.jsonl");
    std::fs::write(
        &jsonl,
        [
            b"\xEF\xBB\xBF".as_slice(),
            serde_json::json!({"id": "j", "text": text})
                .to_string()
                .as_bytes(),
            b"\n",
        ]
        .concat(),
    )
    .unwrap();
    let chars: Vec<char> = text.chars().collect();
    for input in [&file, &jsonl] {
        let (code, out, err) = run(&["quotes", p(input)]);
        assert_eq!(code, 0, "{err}");
        let v = &json_lines(&out)[0];
        let (s, e) = (
            v["start"].as_u64().unwrap() as usize,
            v["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            chars[s..e].iter().collect::<String>(),
            "No deal without us,"
        );
        assert_eq!(v["text"], "No deal without us,");
        let m = &v["speaker_mention"];
        let (s, e) = (
            m["start"].as_u64().unwrap() as usize,
            m["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(chars[s..e].iter().collect::<String>(), "Zelensky");
    }
    // stdin, with and without JSON Lines.
    for input in [
        [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        std::fs::read(&jsonl).unwrap(),
    ] {
        let out = stance()
            .args(["quotes", "-"])
            .write_stdin(input)
            .output()
            .unwrap();
        assert_success(&out);
        let v = &json_lines(&String::from_utf8_lossy(&out.stdout))[0];
        assert_eq!(v["text"], "No deal without us,");
        assert_eq!(
            v["start"].as_u64().unwrap() as usize,
            text.find('N').map(|b| text[..b].chars().count()).unwrap()
        );
    }
}

/// The bar needs a terminal: `script` gives the run one.
#[test]
fn progress_ends_with_a_count_and_no_early_eta() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tty.log");
    let cmd = format!(
        "{} label data/articles > /dev/null",
        env!("CARGO_BIN_EXE_stance")
    );
    let status = std::process::Command::new("script")
        .current_dir(root())
        .args(["-q", "-e", "-c", &cmd, p(&log)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => {
            common::skip(
                "progress_ends_with_a_count_and_no_early_eta",
                &format!("no usable `script` to give the run a terminal: {other:?}"),
            );
            return;
        }
    }
    let tty = std::fs::read_to_string(&log).unwrap();
    // What the run drew, without `script`'s own first and last lines.
    let drawn: Vec<&str> = tty
        .split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty() && !l.starts_with("Script "))
        .collect();
    let last = drawn.last().copied().unwrap_or_default();
    assert!(
        last.contains("stance: 5 articles") && last.contains("articles/s"),
        "last line: {last:?}\n{tty:?}"
    );
    assert!(drawn.len() > 1, "no bar was drawn: {tty:?}");
    assert!(!tty.contains("ETA"), "an ETA in a run this short: {tty:?}");
}

// ---- the model anywhere --------------------------------------------------------------------

#[test]
fn the_built_in_model_works_outside_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let article = dir.path().join("a.txt");
    std::fs::copy(
        root().join("data/articles/004_fafa6a3430f658bd.txt"),
        &article,
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stance"))
        .current_dir(dir.path())
        .env_remove("STANCE_MODEL")
        .args(["label", "a.txt"])
        .output()
        .unwrap();
    assert_success(&out);
    let recs = json_lines(&String::from_utf8_lossy(&out.stdout));
    assert!(recs.len() > 5);
    // The same labels as the model directory it was built from.
    let (_, from_dir, _) = run(&[
        "label",
        "--model",
        "models/default",
        "data/articles/004_fafa6a3430f658bd.txt",
    ]);
    let from_dir = json_lines(&from_dir);
    assert_eq!(recs.len(), from_dir.len());
    for (a, b) in recs.iter().zip(&from_dir) {
        assert_eq!(a["topics"], b["topics"]);
        assert_eq!(a["sentiment"], b["sentiment"]);
    }
}

#[test]
fn the_which_model_hint_comes_only_when_no_model_was_found() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&[
        "label",
        "--model",
        p(&dir.path().join("nope")),
        "data/articles",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no model at") && err.contains("--model DIR"),
        "{err}"
    );

    let m = dir.path().join("m");
    std::fs::create_dir(&m).unwrap();
    for f in std::fs::read_dir(root().join("models/default")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, m.join(f.file_name().unwrap())).unwrap();
    }
    let mut w = std::fs::read(m.join("weights.bin")).unwrap();
    let mid = w.len() / 2;
    w[mid] ^= 0x5a;
    std::fs::write(m.join("weights.bin"), &w).unwrap();
    let (code, _, err) = run(&["label", "--model", p(&m), "data/articles"]);
    assert_eq!(code, 2);
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(
        !err.contains("--model DIR") && !err.contains("STANCE_MODEL"),
        "a damaged model is not a missing one: {err}"
    );
}

// ---- the library ---------------------------------------------------------------------------

/// The library compiles without the `cli` feature, so nothing outside `src/cli` and
/// `src/main.rs` may use clap, indicatif, anyhow or signal-hook.
#[test]
fn the_library_does_not_use_the_cli_crates() {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if !p.ends_with("cli") {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("main.rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("src"), &mut files);
    assert!(files.len() > 20);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for krate in ["clap::", "indicatif", "anyhow", "signal_hook"] {
            let used = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| l.contains(krate));
            assert!(!used, "{} uses {krate}", f.display());
        }
    }
}

// ---- the README ----------------------------------------------------------------------------

/// The README's flags table lists exactly the flags `--help` shows, per subcommand.
#[test]
fn the_readme_flags_table_matches_help() {
    use std::collections::{BTreeMap, BTreeSet};
    let flag_names = |text: &str| -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let b = text.as_bytes();
        for (i, _) in text.match_indices("--") {
            if i > 0 && (b[i - 1] as char).is_ascii_alphanumeric() {
                continue;
            }
            let name: String = text[i + 2..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            if !name.is_empty() {
                out.insert(format!("--{name}"));
            }
        }
        out
    };
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("\n## Flags").expect("a Flags section")..];
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let names: Vec<String> = SUBCOMMANDS.iter().map(|s| s.join(" ")).collect();
    for row in section
        .lines()
        .skip_while(|l| !l.starts_with("|---"))
        .skip(1)
    {
        if !row.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let subs: Vec<String> = if cells[2] == "all" {
            names.clone()
        } else {
            cells[2].split(", ").map(String::from).collect()
        };
        for sub in subs {
            assert!(names.contains(&sub), "unknown subcommand {sub:?} in {row}");
            documented
                .entry(sub)
                .or_default()
                .extend(flag_names(cells[1]));
        }
    }
    for sub in SUBCOMMANDS {
        let shown: BTreeSet<String> = help(sub)
            .lines()
            .filter(|l| l.trim_start().starts_with('-'))
            .flat_map(|l| flag_names(l.split("  ").find(|p| !p.is_empty()).unwrap_or("")))
            .filter(|f| f != "--help")
            .collect();
        let name = sub.join(" ");
        assert_eq!(
            documented.get(&name).cloned().unwrap_or_default(),
            shown,
            "README flags table vs `stance {name} --help`"
        );
    }
}
