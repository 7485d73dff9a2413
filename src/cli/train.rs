//! `stance train`: read labelled data (guide JSONL, CSV/TSV, SemEval, NewsMTSC — several
//! files, mixed formats), cross-validate, fit, save the model directory atomically and print
//! the CV report.

use super::Outcome;
use anyhow::Context;
use clap::Args;
use stance::dataset::{self, Format, ReadOptions};
use stance::features::TokenizerKind;
use stance::model::logistic::ClassWeight;
use stance::model::train::{default_vectorizer, TrainParams};
use stance::model::Strategy;
use stance::quotes::QuoteExtractor;
use stance::speakers::ranker_train::{train_from_polnear, RankerTrainConfig, Trainer};
use std::io::IsTerminal;
use std::path::PathBuf;

/// `stance train --data FILE... --out DIR`
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training data files (repeatable; formats may differ).
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Model directory to write (replaced atomically).
    #[arg(long)]
    pub out: PathBuf,
    /// Input format for every --data file (default: autodetect per file).
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// Cross-validation folds: K > 1 cross-validates every grid point, keeps the best and
    /// prints per-topic and pooled metrics; 0 (default) fits the first value of each grid,
    /// whose defaults were chosen by 5-fold CV on SemEval-2016 (docs/training.md).
    #[arg(long, default_value_t = 0)]
    pub cv: usize,
    /// Comma-separated C values to cross-validate (without CV the first is used).
    #[arg(long, value_delimiter = ',', default_value = "10,1")]
    pub c: Vec<f64>,
    /// Word n-gram ranges to cross-validate, e.g. `1-2,1-3` (`0-0` = none).
    #[arg(long, value_delimiter = ',', default_value = "1-2")]
    pub word_ngrams: Vec<String>,
    /// Char n-gram ranges to cross-validate, e.g. `2-5,none`.
    #[arg(long, value_delimiter = ',', default_value = "2-5")]
    pub char_ngrams: Vec<String>,
    /// min_df values to cross-validate.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub min_df: Vec<usize>,
    /// Keep at most this many features (most frequent first).
    #[arg(long)]
    pub max_features: Option<usize>,
    /// Stance strategy: one joint model with topic-conjoined features, one model per topic,
    /// or choose by CV (`auto`; without CV `auto` means per-topic).
    #[arg(long, value_enum, default_value_t = Strategy::Auto)]
    pub strategy: Strategy,
    /// Class weights: balanced or none.
    #[arg(long, default_value = "balanced")]
    pub class_weight: ClassWeight,
    /// L-BFGS gradient tolerance (on the sample-weight-normalised gradient's L2 norm).
    #[arg(long, default_value_t = TrainParams::default().tol)]
    pub tol: f64,
    /// L-BFGS iteration cap.
    #[arg(long, default_value_t = TrainParams::default().max_iter)]
    pub max_iter: u64,
    /// Fold-assignment seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Do not train the topic-relevance head.
    #[arg(long)]
    pub no_relevance: bool,
    /// Do not train the sentiment head (even if records carry sentiment).
    #[arg(long)]
    pub no_sentiment: bool,
    #[command(flatten)]
    pub columns: ColumnArgs,
    /// Attribution data in PolNeAR's brat layout (DIR/train fitted, DIR/dev tunes C): also
    /// learn the attribution source ranker and save it with the model.
    #[arg(long, value_name = "DIR")]
    pub attribution_data: Option<PathBuf>,
    /// Solver of the attribution ranker.
    #[arg(long, value_enum, default_value_t = RankerTrainer::Linfa)]
    pub attribution_trainer: RankerTrainer,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Column flags for CSV/TSV data files (shared by `train` and `eval`).
#[derive(Args, Debug, Clone)]
pub struct ColumnArgs {
    /// CSV/TSV text column.
    #[arg(long)]
    pub text_col: Option<String>,
    /// CSV/TSV topic column.
    #[arg(long)]
    pub topic_col: Option<String>,
    /// CSV/TSV stance column.
    #[arg(long)]
    pub stance_col: Option<String>,
    /// CSV/TSV sentiment column.
    #[arg(long)]
    pub sentiment_col: Option<String>,
    /// CSV/TSV context column.
    #[arg(long)]
    pub context_col: Option<String>,
}

impl ColumnArgs {
    /// The dataset reader's options for files of `format`.
    pub fn read_options(&self, format: Format) -> ReadOptions {
        ReadOptions {
            format,
            text_col: self.text_col.clone(),
            topic_col: self.topic_col.clone(),
            stance_col: self.stance_col.clone(),
            sentiment_col: self.sentiment_col.clone(),
            context_col: self.context_col.clone(),
        }
    }
}

fn range(s: &str) -> anyhow::Result<Option<(usize, usize)>> {
    if s == "none" || s == "0-0" || s == "0" {
        return Ok(None);
    }
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    Ok(Some((
        a.trim()
            .parse()
            .with_context(|| format!("bad n-gram range {s:?}"))?,
        b.trim()
            .parse()
            .with_context(|| format!("bad n-gram range {s:?}"))?,
    )))
}

/// Builds the checked training parameters from the flags.
pub fn params(a: &TrainArgs) -> anyhow::Result<TrainParams> {
    let mut vectorizers = Vec::new();
    for w in &a.word_ngrams {
        for c in &a.char_ngrams {
            for &min_df in &a.min_df {
                vectorizers.push(stance::features::VectorizerConfig {
                    tokenizer: TokenizerKind::default(),
                    word_ngrams: range(w)?.unwrap_or((0, 0)),
                    char_ngrams: range(c)?,
                    min_df,
                    max_features: a.max_features,
                    ..default_vectorizer()
                });
            }
        }
    }
    let p = TrainParams {
        vectorizers,
        c: a.c.clone(),
        cv_folds: a.cv,
        class_weight: a.class_weight,
        strategy: a.strategy,
        seed: a.seed,
        relevance: !a.no_relevance,
        sentiment: !a.no_sentiment,
        tol: a.tol,
        max_iter: a.max_iter,
        ..TrainParams::default()
    };
    p.validate()?;
    Ok(p)
}

pub fn run(a: TrainArgs) -> anyhow::Result<Outcome> {
    let params = params(&a)?;
    let opts = a.columns.read_options(a.format);
    let mut records = Vec::new();
    for p in &a.data {
        let r = dataset::read_records(p, &opts)?;
        if !a.quiet {
            eprintln!("{}: {} records", p.display(), r.len());
        }
        records.extend(r);
    }
    let bar = (!a.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(1);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} {msg}",
            )
            .expect("valid template"),
        );
        b
    });
    let t = std::time::Instant::now();
    let (mut model, report) = stance::model::train(&records, &params, |p| {
        if let Some(b) = &bar {
            b.set_length(p.total as u64);
            b.set_position(p.done as u64);
            b.set_message(p.stage.clone());
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let secs = t.elapsed().as_secs_f64();
    let names = a
        .data
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    model.set_training_data(dataset::data_hash(&a.data)?, names);
    if let Some(dir) = &a.attribution_data {
        let cfg = RankerTrainConfig {
            trainer: a.attribution_trainer.into(),
            ..RankerTrainConfig::default()
        };
        let r = train_from_polnear(&QuoteExtractor::with_defaults(), dir, &cfg)
            .with_context(|| format!("training the attribution ranker from {}", dir.display()))?;
        if !a.quiet {
            eprintln!(
                "attribution ranker: {} C={} ({})",
                r.trainer, r.c, r.report["grid"]
            );
        }
        model.set_attribution_ranker(Some(r));
    }
    model.save(&a.out)?;
    if a.json {
        let mut v = serde_json::to_value(&report)?;
        v["cv_seconds"] = report.cv_seconds.into();
        v["final_fit_seconds"] = report.final_fit_seconds.into();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_report(&report, &params);
        println!(
            "time: total {secs:.2}s (cross-validation {:.2}s, final fit {:.2}s); model written to {}",
            report.cv_seconds,
            report.final_fit_seconds,
            a.out.display()
        );
    }
    Ok(Outcome::default())
}

fn print_report(r: &stance::model::TrainReport, p: &TrainParams) {
    if r.folds >= 2 {
        println!("{}-fold cross-validation", r.folds);
        for g in &r.stance_grid {
            let v = &p.vectorizers[g.vectorizer];
            println!(
                "  stance  words {:?} chars {:?} min_df {} {:>9} C={:<6} F_avg={:.4} macro-F1={:.4}",
                v.word_ngrams,
                v.char_ngrams,
                v.min_df,
                format!("{:?}", g.strategy),
                g.c,
                g.f_avg,
                g.macro_f1
            );
        }
        for g in &r.sentiment_grid {
            let v = &p.vectorizers[g.vectorizer];
            println!(
                "  sentiment words {:?} chars {:?} min_df {} C={:<6} macro-F1={:.4}",
                v.word_ngrams, v.char_ngrams, v.min_df, g.c, g.macro_f1
            );
        }
    }
    if let Some((s, c)) = r.chosen_stance {
        println!(
            "chosen stance: {s:?} C={c} vectorizer #{}",
            r.chosen_vectorizer
        );
    }
    if let Some(c) = r.chosen_sentiment_c {
        println!("chosen sentiment: C={c}");
    }
    if let Some(pooled) = &r.stance_pooled {
        println!("== CV stance, pooled ==\n{pooled}");
        for (t, rep) in &r.stance_per_topic {
            println!("== CV stance, topic {t} ==\n{rep}");
        }
    }
    if let Some(s) = &r.sentiment {
        println!("== CV sentiment ==\n{s}");
    }
    println!("relevance: {}", r.relevance_note);
}

/// Solver of the attribution source ranker.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RankerTrainer {
    /// linfa-logistic (dense L-BFGS).
    Linfa,
    /// The project's sparse L-BFGS trainer.
    Sparse,
}

impl From<RankerTrainer> for Trainer {
    fn from(t: RankerTrainer) -> Self {
        match t {
            RankerTrainer::Linfa => Trainer::LinfaLogistic,
            RankerTrainer::Sparse => Trainer::SparseLbfgs,
        }
    }
}
