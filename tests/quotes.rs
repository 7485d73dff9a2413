//! End-to-end tests of `stance quotes` and `stance eval quotes`: the seed articles against the
//! hand-made gold, PolNeAR dev (skipped with a message when `../shared` is absent), bad inputs,
//! stdin / JSON Lines input and user gazetteers.

use serde_json::Value;
use std::path::Path;

mod common;
use common::{assert_success, root, stance};

fn json_report(args: &[&str]) -> Value {
    let out = stance().args(args).current_dir(root()).output().unwrap();
    assert_success(&out);
    serde_json::from_slice(&out.stdout).expect("one JSON report")
}

#[test]
fn seeds_against_gold() {
    let r = json_report(&[
        "eval",
        "quotes",
        "--gold",
        "data/gold/seeds.jsonl",
        "--articles",
        "data/articles",
        "--format",
        "json",
    ]);
    eprintln!("seeds: {r}");
    assert_eq!(r["gold"], 66);
    assert!(r["overlap"]["f1"].as_f64().unwrap() >= 0.95, "{r}");
    assert!(r["exact"]["f1"].as_f64().unwrap() >= 0.90, "{r}");
    assert!(r["speaker"]["accuracy"].as_f64().unwrap() >= 0.90, "{r}");
}

#[test]
fn quotes_output_offsets_match_the_articles() {
    let out = stance()
        .args(["quotes", "data/articles"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut n = 0;
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = v["article"].as_str().unwrap();
        let text = std::fs::read_to_string(root().join(format!("data/articles/{id}.txt"))).unwrap();
        let chars: Vec<char> = text.chars().collect();
        let (s, e) = (
            v["start"].as_u64().unwrap() as usize,
            v["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            chars[s..e].iter().collect::<String>(),
            v["text"].as_str().unwrap()
        );
        if let Some(m) = v["speaker_mention"].as_object() {
            let (s, e) = (
                m["start"].as_u64().unwrap() as usize,
                m["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(
                chars[s..e].iter().collect::<String>(),
                m["text"].as_str().unwrap()
            );
        }
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        // `sieve` is present exactly when a sieve (or the ranker) decided.
        let sieve = v.get("sieve").and_then(|s| s.as_str());
        assert_eq!(keys.len(), 9 + usize::from(sieve.is_some()));
        if let Some(s) = sieve {
            assert!(
                stance::speakers::Sieve::ALL.iter().any(|x| x.name() == s),
                "{s}"
            );
        }
        assert!(line.starts_with("{\"article\":") && line.contains("\"confidence\":"));
        n += 1;
    }
    assert!(n >= 60, "{n} quotes");
}

#[test]
fn polnear_dev() {
    let Some(p) = common::shared("polnear_dev", "polnear/dev") else {
        return;
    };
    let p = p.parent().unwrap().to_path_buf();
    let r = json_report(&[
        "eval",
        "quotes",
        "--polnear",
        p.to_str().unwrap(),
        "--split",
        "dev",
        "--format",
        "json",
    ]);
    eprintln!("PolNeAR dev: {r}");
    assert!(r["gold"].as_u64().unwrap() > 300);
    assert!(r["overlap"]["recall"].as_f64().unwrap() >= 0.95, "{r}");
    // With the shipped ranker: 0.9028 (706/782) today; the bound is the target 0.90
    // (two quotes of margin), so falling under the target fails rather than drifts.
    assert!(
        r["speaker_mention"]["accuracy"].as_f64().unwrap() >= 0.90,
        "{r}"
    );
}

#[test]
fn bad_inputs_are_reported_and_the_rest_processed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("a_good.txt"),
        "“We will not give up,” Zelenskyy said.\n",
    )
    .unwrap();
    std::fs::write(d.join("b_bad_utf8.txt"), b"\xff\xfe \"x\"").unwrap();
    std::fs::write(d.join("c_binary.txt"), b"ab\0cd").unwrap();
    std::fs::write(d.join("d_empty.txt"), b"  \n").unwrap();
    std::fs::write(d.join("e_big.txt"), "“x y z,” he said. ".repeat(100)).unwrap();
    let out = stance()
        .args(["quotes", "--max-bytes", "1000"])
        .arg(d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for name in ["b_bad_utf8", "c_binary", "d_empty", "e_big"] {
        assert!(err.contains(name), "{name} not reported: {err}");
    }
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.contains("\"speaker\":\"Volodymyr Zelensky\""));
    let missing = stance()
        .args(["quotes", "/nonexistent/x.txt"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn a_month_is_not_a_speaker_for_the_shipped_ranker() {
    // The shipped ranker named "August" here until capitalised common words alone stopped
    // being name mentions.
    let quotes = quotes_of_text(
        "In an August speech, Trump attacked “the hateful ideology of radical Islam.”",
    );
    assert_eq!(quotes.len(), 1, "{quotes:?}");
    assert_eq!(quotes[0]["speaker"], "Donald Trump", "{}", quotes[0]);
}

/// The quote records `stance quotes -` prints for a plain-text article on stdin.
fn quotes_of_text(text: &str) -> Vec<Value> {
    let out = stance()
        .args(["quotes", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_success(&out);
    serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter()
        .map(|v| v.unwrap())
        .collect()
}

#[test]
fn a_quote_after_reported_speech_by_a_new_person_is_theirs() {
    // Reported speech by a person named in apposition to a role ending in a prepositional
    // phrase, then a paragraph-opening quote: it went to the previous quote's speaker by
    // continuation until such a name blocked it and the role was linked to the name.
    let text = "“We will send no troops,” Jane Harper, the defense minister, said.\n\nOn Tuesday, Norway’s ambassador to the UN, Erik Lund, said his country would veto any such mission.\n\n“A mission without a mandate is an occupation. Nobody should pretend otherwise.”";
    let quotes = quotes_of_text(text);
    assert_eq!(quotes.len(), 2, "{quotes:?}");
    assert_eq!(quotes[0]["speaker"], "Jane Harper");
    assert_eq!(quotes[1]["speaker"], "Erik Lund", "{}", quotes[1]);
}

#[test]
fn stdin_jsonl_table_and_user_gazetteer() {
    let jsonl = "{\"id\":\"k1\",\"text\":\"Kyiv mayor Vitali Klitschko spoke. “The city stands,” the mayor said.\"}\n";
    let out = stance()
        .args(["quotes", "-"])
        .write_stdin(jsonl)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["article"], "k1");
    assert_eq!(v["speaker"], "Vitali Klitschko");

    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("extra.toml");
    std::fs::write(&g, "[[speaker]]\nname = \"Vitali Klitschko\"\naliases = [\"Klitschko\"]\nroles = [\"Kyiv mayor\"]\ngender = \"male\"\n").unwrap();
    let txt = "“The city stands,” the Kyiv mayor said.";
    let out = stance()
        .arg("quotes")
        .arg("--speakers")
        .arg(&g)
        .arg("-")
        .write_stdin(txt)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["speaker"], "Vitali Klitschko");
    assert_eq!(v["article"], "stdin");

    let out = stance()
        .args(["quotes", "--format", "table", "-"])
        .write_stdin(txt)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("The city stands"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[speaker]]\nname = [\n").unwrap();
    let out = stance()
        .arg("quotes")
        .arg("--speakers")
        .arg(&bad)
        .arg("-")
        .write_stdin(txt)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml"));
}

#[test]
fn eval_needs_a_source() {
    let out = stance().args(["eval", "quotes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = Path::new(".");
}
