//! `stance inspect`: a saved model's metadata (manifest) and its top features per class,
//! topic and head, in words (or JSON with `--format json`).

use super::args::{ModelArg, ReportArgs, ReportFormat};
use super::output::Output;
use super::Outcome;
use clap::Args;
use stance::features::{TokenizerKind, VectorizerConfig};
use stance::model::Strategy;
use std::io::Write;

/// `stance inspect [--model DIR] [--top N] [--format json]`
#[derive(Args, Debug)]
pub struct InspectArgs {
    #[command(flatten)]
    pub model: ModelArg,
    /// Features to list per class.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Text, or JSON `{"manifest": …, "top_features": …}`.
    #[command(flatten)]
    pub report: ReportArgs,
}

pub fn run(a: InspectArgs) -> anyhow::Result<Outcome> {
    let model = a.model.load()?;
    let m = model.manifest();
    let top = model.top_features(a.top);
    let mut out = Output::open(a.report.out.out.as_deref())?;
    if a.report.format == ReportFormat::Json {
        let v = serde_json::json!({"manifest": m, "top_features": top});
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        out.finish()?;
        return Ok(Outcome::default());
    }
    writeln!(out, "model: {}", a.model.describe())?;
    writeln!(
        out,
        "  format {} v{}, written by stance {}",
        m.format, m.format_version, m.crate_version
    )?;
    writeln!(out, "  created {}", m.created)?;
    writeln!(
        out,
        "  training data sha256 {} ({} records: {})",
        m.training_data_sha256,
        m.n_records,
        m.training_files.join(", ")
    )?;
    writeln!(
        out,
        "  topics ({}): {}",
        m.topics.len(),
        m.topics.join(", ")
    )?;
    writeln!(
        out,
        "  stance labels: {}; sentiment labels: {}",
        m.labels.stance.join(", "),
        m.labels.sentiment.join(", ")
    )?;
    writeln!(
        out,
        "  vectorizer: {} features; {}",
        m.n_features,
        vectorizer_words(&m.vectorizer)
    )?;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    writeln!(
        out,
        "  heads: stance {}, topic relevance {}, sentiment {}",
        m.stance_strategy.map_or("none", Strategy::name),
        yes_no(model.relevance_head().is_some()),
        yes_no(model.sentiment_head().is_some()),
    )?;
    let cv = &m.cv;
    if let Some(f) = cv["stance_pooled"]["f_avg"].as_f64() {
        writeln!(out, "  CV ({} folds): stance F_avg {f:.4}", cv["folds"])?;
    }
    if let Some(f) = cv["sentiment"]["macro_f1"].as_f64() {
        writeln!(out, "  CV sentiment macro-F1 {f:.4}")?;
    }
    for (head, classes) in &top {
        writeln!(out, "{head}")?;
        for (cls, feats) in classes {
            let list: Vec<String> = feats
                .iter()
                .map(|c| format!("{} {:+.3}", c.feature, c.weight))
                .collect();
            writeln!(out, "  {cls:<9} {}", list.join(" | "))?;
        }
    }
    out.finish()?;
    Ok(Outcome::default())
}

/// `1–2`, or `none` for a disabled n-gram range.
pub fn ngram_range(r: Option<(usize, usize)>) -> String {
    match r {
        Some((0, _)) | None => "none".into(),
        Some((a, b)) if a == b => a.to_string(),
        Some((a, b)) => format!("{a}–{b}"),
    }
}

/// A vectorizer configuration in words.
pub fn vectorizer_words(v: &VectorizerConfig) -> String {
    let tokenizer = match &v.tokenizer {
        TokenizerKind::Fast { lowercase: true } => "fast tokenizer, lowercased",
        TokenizerKind::Fast { lowercase: false } => "fast tokenizer, case kept",
        TokenizerKind::HuggingFace(_) => "Hugging Face tokenizer",
    };
    let max = v
        .max_features
        .map_or(String::new(), |n| format!(", at most {n} features"));
    format!(
        "word n-grams {}, char n-grams {}, min_df {}, max_df {}{max}, {} TF, {tokenizer}",
        ngram_range(Some(v.word_ngrams)),
        ngram_range(v.char_ngrams),
        v.min_df,
        v.max_df,
        if v.sublinear_tf { "sublinear" } else { "raw" },
    )
}
