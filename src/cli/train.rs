//! `stance train`: read labelled data (guide JSONL, CSV/TSV, SemEval, NewsMTSC — several
//! files, mixed formats), cross-validate, fit, save the model directory atomically and print
//! the CV report. Data that would train a useless model (no labels, one class, topics the
//! labeler would refuse) is refused or warned about before any time is spent.

use super::args::{InputFormat, ReportFormat, RunArgs, TopicsArg};
use super::inspect::{ngram_range, vectorizer_words};
use super::output::{self, warn, Output};
use super::Outcome;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use stance::corpora::{self, ReadOptions};
use stance::dataset::{self, Record};
use stance::features::TokenizerKind;
use stance::model::logistic::ClassWeight;
use stance::model::train::{default_vectorizer, TrainParams};
use stance::model::Strategy;
use stance::quotes::QuoteExtractor;
use stance::recipe::ranker_train::{train_from_polnear, RankerTrainConfig, Trainer};
use stance::{Sentiment, Stance};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// `stance train --data FILE... -o DIR`
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training data files (repeatable; formats may differ).
    #[arg(long, required_unless_present = "recipe", num_args = 1.., value_name = "FILE")]
    pub data: Vec<PathBuf>,
    /// Train from a recipe (TOML: real labelled news sets, statement files with weights,
    /// off-domain negatives, training parameters; see models/default.recipe.toml) instead of
    /// --data and the grid flags.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["data", "input_format", "cv", "cv_repeats", "c", "word_ngrams", "char_ngrams", "min_df", "max_features", "strategy", "class_weight", "tol", "max_iter", "seed", "no_relevance", "no_sentiment", "attribution_data", "attribution_trainer"])]
    pub recipe: Option<PathBuf>,
    /// Model directory to write (replaced atomically).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Format of every --data file.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    #[command(flatten)]
    pub columns: ColumnArgs,
    /// Topic configuration (TOML) defining topics the data uses beyond the built-in ones.
    #[command(flatten)]
    pub topics: TopicsArg,
    /// Cross-validation folds: K > 1 cross-validates every grid point, keeps the best and
    /// prints per-topic and pooled metrics; 0 fits the first value of each grid, whose
    /// defaults were chosen by 5-fold CV on SemEval-2016 (docs/training.md).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub cv: usize,
    /// Runs of the cross-validation, each with its own fold assignment (seeds `--seed`,
    /// `--seed` + 1, …); selection pools their out-of-fold scores: a steadier choice for
    /// N times the CV's cost.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "cv")]
    pub cv_repeats: usize,
    /// Comma-separated C values to cross-validate (without CV the first is used).
    #[arg(
        long,
        value_name = "C,...",
        value_delimiter = ',',
        default_value = "10,1"
    )]
    pub c: Vec<f64>,
    /// Word n-gram ranges to cross-validate, e.g. `1-2,1-3` (`none` = no word n-grams).
    #[arg(
        long,
        value_name = "RANGES",
        value_delimiter = ',',
        default_value = "1-2"
    )]
    pub word_ngrams: Vec<String>,
    /// Char n-gram ranges to cross-validate, e.g. `2-5,none`.
    #[arg(
        long,
        value_name = "RANGES",
        value_delimiter = ',',
        default_value = "2-5"
    )]
    pub char_ngrams: Vec<String>,
    /// min_df values to cross-validate.
    #[arg(long, value_name = "N,...", value_delimiter = ',', default_value = "1")]
    pub min_df: Vec<usize>,
    /// Keep at most this many features (most frequent first) [default: all].
    #[arg(long, value_name = "N")]
    pub max_features: Option<usize>,
    /// Stance strategy: one joint model with topic-conjoined features, one model per topic,
    /// or choose by CV (`auto`; without CV `auto` means per-topic).
    #[arg(long, value_enum, default_value_t = StrategyArg::Auto)]
    pub strategy: StrategyArg,
    /// Class weights.
    #[arg(long, value_name = "WEIGHTS", value_enum, default_value_t = ClassWeightArg::Balanced)]
    pub class_weight: ClassWeightArg,
    /// L-BFGS gradient tolerance (on the sample-weight-normalised gradient's L2 norm).
    #[arg(long, default_value_t = TrainParams::default().tol)]
    pub tol: f64,
    /// L-BFGS iteration cap.
    #[arg(long, value_name = "N", default_value_t = TrainParams::default().max_iter)]
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
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Attribution data in PolNeAR's brat layout (DIR/train is fitted, DIR/dev tunes C): also
    /// learn the attribution source ranker and save it with the model.
    #[arg(long, value_name = "DIR")]
    pub attribution_data: Option<PathBuf>,
    /// Solver of the attribution ranker.
    #[arg(long, value_name = "SOLVER", value_enum, default_value_t = RankerTrainer::Linfa)]
    pub attribution_trainer: RankerTrainer,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Solver of the attribution source ranker.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
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

/// `--strategy`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrategyArg {
    /// One model over all topics, shared and topic-conjoined features.
    Joint,
    /// One model per topic.
    PerTopic,
    /// Choose by cross-validation.
    Auto,
}

impl From<StrategyArg> for Strategy {
    fn from(s: StrategyArg) -> Self {
        match s {
            StrategyArg::Joint => Strategy::Joint,
            StrategyArg::PerTopic => Strategy::PerTopic,
            StrategyArg::Auto => Strategy::Auto,
        }
    }
}

/// `--class-weight`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassWeightArg {
    /// Every class weighs the same in total.
    Balanced,
    /// Every record weighs 1.
    None,
}

impl From<ClassWeightArg> for ClassWeight {
    fn from(c: ClassWeightArg) -> Self {
        match c {
            ClassWeightArg::Balanced => ClassWeight::Balanced,
            ClassWeightArg::None => ClassWeight::None,
        }
    }
}

/// Column flags for CSV/TSV data files (shared by `train` and `eval`). Columns named `text`,
/// `topic`, `stance`, `sentiment`, `context` and `target` are found without them.
#[derive(Args, Debug, Clone)]
pub struct ColumnArgs {
    /// CSV/TSV text column [default: text].
    #[arg(long, value_name = "NAME")]
    pub text_col: Option<String>,
    /// CSV/TSV topic column [default: topic].
    #[arg(long, value_name = "NAME")]
    pub topic_col: Option<String>,
    /// CSV/TSV stance column [default: stance].
    #[arg(long, value_name = "NAME")]
    pub stance_col: Option<String>,
    /// CSV/TSV sentiment column [default: sentiment].
    #[arg(long, value_name = "NAME")]
    pub sentiment_col: Option<String>,
    /// CSV/TSV context column [default: context].
    #[arg(long, value_name = "NAME")]
    pub context_col: Option<String>,
    /// CSV/TSV target column: the person the sentiment is about, as `START-END` char offsets
    /// or as the mention's text [default: target].
    #[arg(long, value_name = "NAME")]
    pub target_col: Option<String>,
}

impl ColumnArgs {
    /// The dataset reader's options for files of `format`.
    pub fn read_options(&self, format: InputFormat) -> ReadOptions {
        ReadOptions {
            format: format.into(),
            text_col: self.text_col.clone(),
            topic_col: self.topic_col.clone(),
            stance_col: self.stance_col.clone(),
            sentiment_col: self.sentiment_col.clone(),
            context_col: self.context_col.clone(),
            target_col: self.target_col.clone(),
        }
    }
}

/// Reads every data file; refuses data without a single label, naming the flags that map
/// CSV/TSV columns.
pub fn read_data(
    paths: &[PathBuf],
    format: InputFormat,
    columns: &ColumnArgs,
    quiet: bool,
) -> Result<Vec<Record>> {
    let opts = columns.read_options(format);
    let mut records = Vec::new();
    for p in paths {
        let r = corpora::read_records(p, &opts)?;
        if !quiet {
            eprintln!("{}: {} records", p.display(), r.len());
        }
        records.extend(r);
    }
    let labelled = records
        .iter()
        .filter(|r| r.topics.as_ref().is_some_and(|t| !t.is_empty()) || r.sentiment.is_some())
        .count();
    if labelled == 0 {
        bail!(
            "no labelled records in {} ({} records, none with a stance or sentiment label): \
             JSON Lines records need \"topics\": {{TOPIC: favor|against|neutral}} or \
             \"sentiment\"; CSV/TSV files need topic and stance or sentiment columns, found by \
             the header names topic, stance, sentiment or named with --topic-col, --stance-col, \
             --sentiment-col",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            records.len()
        );
    }
    Ok(records)
}

fn range(s: &str) -> Result<Option<(usize, usize)>> {
    if s == "none" || s == "0-0" || s == "0" {
        return Ok(None);
    }
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let n = |x: &str| {
        x.trim()
            .parse()
            .with_context(|| format!("bad n-gram range {s:?} (expected e.g. 1-2 or none)"))
    };
    Ok(Some((n(a)?, n(b)?)))
}

/// Builds the checked training parameters from the flags.
pub fn params(a: &TrainArgs) -> Result<TrainParams> {
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
        cv_repeats: a.cv_repeats,
        class_weight: a.class_weight.into(),
        strategy: a.strategy.into(),
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

/// Warns about data that trains a model which cannot tell anything apart, and about topics
/// the labeler would refuse (the topic configuration gives a topic's stance its meaning).
fn check_data(a: &TrainArgs, records: &[Record]) -> Result<()> {
    let mut stance: BTreeMap<&str, BTreeMap<Stance, usize>> = BTreeMap::new();
    let mut sentiment: BTreeMap<Sentiment, usize> = BTreeMap::new();
    for r in records {
        for (t, s) in r.topics.iter().flatten() {
            *stance.entry(t).or_default().entry(*s).or_default() += 1;
        }
        if let Some(s) = r.sentiment {
            *sentiment.entry(s).or_default() += 1;
        }
    }
    for (topic, counts) in &stance {
        if let [(only, n)] = counts.iter().collect::<Vec<_>>()[..] {
            warn(format_args!(
                "every stance label of topic {topic} is {only} ({n} record(s)): the model \
                 cannot learn to tell {only} from the other stances on it; add records of the \
                 other classes"
            ));
        }
    }
    if !a.no_sentiment {
        if let [(only, n)] = sentiment.iter().collect::<Vec<_>>()[..] {
            warn(format_args!(
                "every sentiment label is {only} ({n} record(s)): the sentiment head cannot \
                 learn anything else; add other labels or pass --no-sentiment"
            ));
        }
    }
    let known = a.topics.config()?.ids();
    let unknown: Vec<&str> = stance
        .keys()
        .copied()
        .filter(|t| !known.iter().any(|k| k == t))
        .collect();
    if !unknown.is_empty() {
        warn(format_args!(
            "topic(s) {} are not in the topic configuration{}: `stance label` will refuse \
             this model until they are defined in a topics file passed with --topics \
             (`predict` and `eval` work without); define them and pass the file to train \
             --topics to silence this",
            unknown.join(", "),
            a.topics
                .topics
                .as_ref()
                .map_or(String::new(), |p| format!(" (built-in + {})", p.display()))
        ));
    }
    Ok(())
}

/// Records, parameters and the files they came from (for the training-data hash), from a
/// recipe.
#[allow(clippy::type_complexity)]
fn recipe_inputs(
    a: &TrainArgs,
    path: &Path,
) -> Result<(
    Vec<Record>,
    TrainParams,
    Vec<PathBuf>,
    Option<stance::recipe::Recipe>,
)> {
    let recipe = stance::recipe::Recipe::load(path)
        .with_context(|| format!("cannot read the recipe {}", path.display()))?;
    let extractor = stance::quotes::QuoteExtractor::with_defaults();
    let data = recipe.load_data(&extractor)?;
    let (records, _) = data.training_records(&extractor, |_| true, None);
    if !a.run.quiet {
        eprintln!(
            "{}: {} records ({} gold quotes, {} statements, {} off-domain negatives)",
            path.display(),
            records.len(),
            data.sets.iter().map(|(s, _)| s.quotes.len()).sum::<usize>(),
            data.statements.len(),
            data.off_domain.len()
        );
    }
    let mut files = vec![path.to_path_buf()];
    files.extend(recipe.files()?);
    Ok((records, recipe.train.clone(), files, Some(recipe)))
}

pub fn run(a: TrainArgs) -> Result<Outcome> {
    a.run.init_global_pool();
    let (records, params, files, recipe) = match &a.recipe {
        Some(path) => recipe_inputs(&a, path)?,
        None => {
            let params = params(&a)?;
            let records = read_data(&a.data, a.input_format, &a.columns, a.run.quiet)?;
            (records, params, a.data.clone(), None)
        }
    };
    check_data(&a, &records)?;
    let bar = (!a.run.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(1);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} fits {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
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
    let (sha256, names) = dataset::data_identity(&files)?;
    model.set_training_data(sha256, names);
    let ranker = match (&recipe, &a.attribution_data) {
        (Some(r), _) => r
            .train_ranker(&QuoteExtractor::with_defaults())
            .context("training the recipe's attribution ranker")?,
        (None, Some(dir)) => {
            let cfg = RankerTrainConfig {
                trainer: a.attribution_trainer.into(),
                ..RankerTrainConfig::default()
            };
            Some(
                train_from_polnear(&QuoteExtractor::with_defaults(), dir, &cfg).with_context(
                    || format!("training the attribution ranker from {}", dir.display()),
                )?,
            )
        }
        (None, None) => None,
    };
    if let Some(r) = ranker {
        if !a.run.quiet {
            eprintln!(
                "attribution ranker: {} C={} ({})",
                r.trainer, r.c, r.report["grid"]
            );
        }
        model.set_attribution_ranker(Some(r));
    }
    save(&model, &a.out)?;
    let mut out = Output::open(None)?;
    match a.format {
        ReportFormat::Json => {
            let mut v = serde_json::to_value(&report)?;
            v["cv_seconds"] = report.cv_seconds.into();
            v["final_fit_seconds"] = report.final_fit_seconds.into();
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        ReportFormat::Text => {
            write_report(&mut out, &report, &params)?;
            writeln!(
                out,
                "time: total {secs:.2}s (cross-validation {:.2}s, final fit {:.2}s); model \
                 written to {}",
                report.cv_seconds,
                report.final_fit_seconds,
                a.out.display()
            )?;
        }
    }
    out.finish()?;
    Ok(Outcome::default())
}

/// Saves the model; an interrupt meanwhile removes the half-written temp directory.
fn save(model: &stance::model::Model, dir: &Path) -> Result<()> {
    let tmp = output::temp_sibling(dir);
    output::remove_on_signal(&tmp);
    let saved = model.save(dir);
    output::forget_on_signal(&tmp);
    saved.with_context(|| format!("cannot write the model to {}", dir.display()))
}

fn write_report(
    out: &mut impl Write,
    r: &stance::model::TrainReport,
    p: &TrainParams,
) -> Result<()> {
    let features = |i: usize| {
        let v = &p.vectorizers[i];
        format!(
            "words {:<4} chars {:<4} min_df {}",
            ngram_range(Some(v.word_ngrams)),
            ngram_range(v.char_ngrams),
            v.min_df
        )
    };
    if r.folds >= 2 {
        if r.repeats > 1 {
            writeln!(
                out,
                "{}-fold cross-validation, {} runs (counts pooled over the runs)",
                r.folds, r.repeats
            )?;
        } else {
            writeln!(out, "{}-fold cross-validation", r.folds)?;
        }
        let biases = p.neutral_bias.len() > 1;
        for g in &r.stance_grid {
            writeln!(
                out,
                "  stance     {}  {:<9}  C={:<6}{} F_avg={:.4} macro-F1={:.4}",
                features(g.vectorizer),
                g.strategy.name(),
                g.c,
                if biases {
                    format!(" neutral{:+.1}", g.neutral_bias)
                } else {
                    String::new()
                },
                g.f_avg,
                g.macro_f1
            )?;
        }
        for g in &r.sentiment_grid {
            writeln!(
                out,
                "  sentiment  {}  C={:<6} macro-F1={:.4}",
                features(g.vectorizer),
                g.c,
                g.macro_f1
            )?;
        }
    }
    writeln!(
        out,
        "features: {}",
        vectorizer_words(&p.vectorizers[r.chosen_vectorizer])
    )?;
    if let Some((s, c)) = r.chosen_stance {
        writeln!(out, "stance: {} strategy, C={c}", s.name())?;
    }
    if let Some(c) = r.chosen_sentiment_c {
        writeln!(out, "sentiment: C={c}")?;
    }
    if let Some(pooled) = &r.stance_pooled {
        writeln!(out, "== CV stance, pooled ==\n{pooled}")?;
        for (t, rep) in &r.stance_per_topic {
            writeln!(out, "== CV stance, topic {t} ==\n{rep}")?;
        }
    }
    if let Some(s) = &r.sentiment {
        writeln!(out, "== CV sentiment ==\n{s}")?;
    }
    writeln!(out, "relevance: {}", r.relevance_note)?;
    Ok(())
}
