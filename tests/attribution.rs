//! The attribution source ranker end to end on a tiny corpus in PolNeAR's brat layout, written
//! here (invented sentences): training with both solvers, the `stance train
//! --attribution-data` flag, and `stance quotes` / `stance eval quotes` using the saved ranker;
//! and the built-in gazetteer's spelling of the owners' speakers.

mod common;

use stance::quotes::QuoteExtractor;
use stance::recipe::ranker_train::{train_from_polnear, RankerTrainConfig, Trainer};
use std::path::Path;

/// Articles: (text, [(source, content)]) with source and content given as substrings.
const ARTICLES: &[(&str, &[(&str, &str)])] = &[
    (
        "Mayor Ana Ruiz spoke on Monday. \"The bridge opens in May,\" she said.\n\nThe council met later. \"We need more money,\" said Tom Berg, a council member.",
        &[("she", "\"The bridge opens in May,\""), ("Tom Berg", "\"We need more money,\"")],
    ),
    (
        "Doctor Lee Park warned the board: \"The clinic is full.\"\n\n\"Patients wait for hours,\" Park added.",
        &[("Doctor Lee Park", "\"The clinic is full.\""), ("Park", "\"Patients wait for hours,\"")],
    ),
    (
        "Coach Mia Stone was blunt after the game. \"We played badly,\" Stone said. \"The defense failed.\"",
        &[("Stone", "\"We played badly,\""), ("Stone", "\"The defense failed.\"")],
    ),
];

/// Writes `root/{train,dev}/{text,attributions}` with every article in both splits.
fn write_corpus(root: &Path) {
    for split in ["train", "dev"] {
        let (t, a) = (
            root.join(split).join("text"),
            root.join(split).join("attributions"),
        );
        std::fs::create_dir_all(&t).unwrap();
        std::fs::create_dir_all(&a).unwrap();
        for (i, (text, rels)) in ARTICLES.iter().enumerate() {
            std::fs::write(t.join(format!("a{i}.txt")), text).unwrap();
            let chars = |byte: usize| text[..byte].chars().count();
            let mut ann = String::new();
            let mut from = 0;
            for (k, (src, content)) in rels.iter().enumerate() {
                let cs = text[from..].find(content).unwrap() + from;
                let ce = cs + content.len();
                from = ce;
                // The source is the nearest occurrence before the content, else after it.
                let ss = text[..cs]
                    .rfind(src)
                    .unwrap_or_else(|| text[ce..].find(src).unwrap() + ce);
                let se = ss + src.len();
                ann += &format!(
                    "T{}\tSource {} {}\t{src}\n",
                    2 * k + 1,
                    chars(ss),
                    chars(se)
                );
                ann += &format!(
                    "T{}\tContent {} {}\t{content}\n",
                    2 * k + 2,
                    chars(cs),
                    chars(ce)
                );
                ann += &format!(
                    "E{k}\tAttribution:T{} Source:T{} Content:T{}\n",
                    2 * k + 1,
                    2 * k + 1,
                    2 * k + 2
                );
            }
            std::fs::write(a.join(format!("a{i}_ann1.ann")), ann).unwrap();
        }
    }
}

#[test]
fn both_trainers_learn_a_valid_ranker() {
    let tmp = tempfile::tempdir().unwrap();
    write_corpus(tmp.path());
    let x = QuoteExtractor::with_defaults();
    for trainer in [Trainer::SparseLbfgs, Trainer::LinfaLogistic] {
        let cfg = RankerTrainConfig {
            trainer,
            c_grid: vec![1.0],
            ..RankerTrainConfig::default()
        };
        let r = train_from_polnear(&x, tmp.path(), &cfg).unwrap();
        r.validate().unwrap();
        assert_eq!(r.trainer, trainer.name());
        let grid = &r.report["grid"][0];
        assert!(grid["dev_scored"].as_u64().unwrap() >= 5, "{grid}");
        // Trained and scored on the same easy quotes: the ranker finds the sources.
        assert!(grid["dev_accuracy"].as_f64().unwrap() >= 0.8, "{grid}");
    }
    // A directory without the splits is an error, not a panic.
    let e = train_from_polnear(&x, &tmp.path().join("nope"), &RankerTrainConfig::default());
    assert!(e.is_err());
}

#[test]
fn train_flag_saves_the_ranker_and_quotes_use_it() {
    let tmp = tempfile::tempdir().unwrap();
    write_corpus(tmp.path());
    let model = tmp.path().join("model");
    let corpus = tmp.path().to_str().unwrap();
    let (code, _, err) = common::run(&[
        "train",
        "--data",
        "data/gold/seeds.jsonl",
        "--out",
        model.to_str().unwrap(),
        "--attribution-data",
        corpus,
        "--attribution-trainer",
        "sparse",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(model.join("attribution.json").exists());
    let text = tmp.path().join("train/text/a0.txt");
    let (code, out, err) = common::run(&[
        "quotes",
        "--model",
        model.to_str().unwrap(),
        text.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"speaker\":\"Tom Berg\""), "{out}");
    let (code, out, err) = common::run(&[
        "eval",
        "quotes",
        "--polnear",
        corpus,
        "--split",
        "dev",
        "--model",
        model.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("per sieve"), "{out}");
    // A model whose ranker file is damaged is refused.
    let f = model.join("attribution.json");
    let s = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, s.replacen('1', "2", 1)).unwrap();
    let (code, _, err) = common::run(&[
        "quotes",
        "--model",
        model.to_str().unwrap(),
        text.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("attribution.json"), "{err}");
}

/// Speaker accuracy and summary rows compare canonical names as strings, so a person the
/// built-in gazetteer knows must be spelled the way the owners' speaker list spells them
/// (`../shared/news-dev/speakers.tsv`: canonical name, tab, role).
#[test]
fn the_gazetteer_spells_known_speakers_as_the_owners_do() {
    let list = common::root().join("../shared/news-dev/speakers.tsv");
    if !list.exists() {
        common::skip(
            "the_gazetteer_spells_known_speakers_as_the_owners_do",
            &format!("{} not found (../shared absent)", list.display()),
        );
        return;
    }
    let gazetteer = stance::speakers::Gazetteer::builtin();
    let text = std::fs::read_to_string(&list).unwrap();
    let mut known = 0;
    let mut wrong = Vec::new();
    for name in text.lines().skip(1).filter_map(|l| l.split('\t').next()) {
        if let Some(e) = gazetteer.lookup(name) {
            known += 1;
            if e.name != name {
                wrong.push(format!("{name} (gazetteer: {})", e.name));
            }
        }
    }
    assert!(
        known >= 25,
        "only {known} of the owners' speakers are in the gazetteer"
    );
    assert!(wrong.is_empty(), "spelled differently: {wrong:?}");
}
