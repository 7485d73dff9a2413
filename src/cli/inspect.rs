//! `stance inspect --model DIR`: a saved model's metadata (manifest) and its top features per
//! class, topic and head.

use super::Outcome;
use clap::Args;
use stance::model::Model;
use std::path::PathBuf;

/// `stance inspect --model DIR [--top N] [--json]`
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// Features to list per class.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Print JSON (`{"manifest": …, "top_features": …}`).
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: InspectArgs) -> anyhow::Result<Outcome> {
    let model = Model::load(&a.model)?;
    let m = model.manifest();
    let top = model.top_features(a.top);
    if a.json {
        let v = serde_json::json!({"manifest": m, "top_features": top});
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(Outcome::default());
    }
    println!("model {}", a.model.display());
    println!(
        "  format {} v{}, written by stance {}",
        m.format, m.format_version, m.crate_version
    );
    println!("  created {}", m.created);
    println!(
        "  training data sha256 {} ({} records: {})",
        m.training_data_sha256,
        m.n_records,
        m.training_files.join(", ")
    );
    println!("  topics ({}): {}", m.topics.len(), m.topics.join(", "));
    println!(
        "  stance labels {:?}, sentiment labels {:?}",
        m.labels.stance, m.labels.sentiment
    );
    println!(
        "  vectorizer: {} features, words {:?}, chars {:?}, min_df {}, max_df {}, sublinear_tf {}, tokenizer {}",
        m.n_features,
        m.vectorizer.word_ngrams,
        m.vectorizer.char_ngrams,
        m.vectorizer.min_df,
        m.vectorizer.max_df,
        m.vectorizer.sublinear_tf,
        match &m.vectorizer.tokenizer {
            stance::features::TokenizerKind::Fast { lowercase } => format!("fast (lowercase {lowercase})"),
            stance::features::TokenizerKind::HuggingFace(_) => "huggingface".to_string(),
        }
    );
    println!(
        "  heads: stance {}, relevance {}, sentiment {}",
        m.stance_strategy
            .map(|s| format!("{s:?}"))
            .unwrap_or_else(|| "none".into()),
        if model.relevance_head().is_some() {
            "yes"
        } else {
            "no"
        },
        if model.sentiment_head().is_some() {
            "yes"
        } else {
            "no"
        }
    );
    let cv = &m.cv;
    if let Some(f) = cv
        .get("stance_pooled")
        .and_then(|p| p.get("f_avg"))
        .and_then(|x| x.as_f64())
    {
        println!("  CV ({} folds): stance F_avg {:.4}", cv["folds"], f);
    }
    if let Some(f) = cv
        .get("sentiment")
        .and_then(|p| p.get("macro_f1"))
        .and_then(|x| x.as_f64())
    {
        println!("  CV sentiment macro-F1 {:.4}", f);
    }
    for (head, classes) in &top {
        println!("{head}");
        for (cls, feats) in classes {
            let list: Vec<String> = feats
                .iter()
                .map(|c| format!("{} {:+.3}", c.feature, c.weight))
                .collect();
            println!("  {cls:<9} {}", list.join(" | "));
        }
    }
    Ok(Outcome::default())
}
