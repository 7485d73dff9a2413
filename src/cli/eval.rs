//! `stance eval`: model evaluation on annotated statements, or `stance eval quotes` /
//! `stance eval labels` for the extractor and the whole labeler, `stance eval cv` for grouped
//! cross-validation of a training recipe, or `stance eval compare` for a paired bootstrap of
//! two runs.
use super::args::{InputFormat, ModelArg, ReportArgs, RunArgs};
use super::train::{read_data, ColumnArgs};
use super::{eval_compare, eval_cv, eval_labels, eval_quotes, Outcome};
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub stage: Option<EvalStage>,
    #[command(flatten)]
    pub model: EvalModelArgs,
}

#[derive(Subcommand, Debug)]
pub enum EvalStage {
    /// Evaluate quote extraction and speaker attribution against gold annotations.
    Quotes(eval_quotes::EvalQuotesArgs),
    /// Evaluate the whole labeler (quotes, speakers, topics, stance, sentiment) against gold.
    Labels(eval_labels::EvalLabelsArgs),
    /// Grouped cross-validation of a training recipe over real labelled news, end to end.
    Cv(eval_cv::EvalCvArgs),
    /// Paired bootstrap over story groups: are run B's figures really above run A's?
    Compare(eval_compare::EvalCompareArgs),
}

/// `stance eval [--model DIR] --data FILE... [--format json]`: stance per topic and pooled
/// (topics given by the records, as in SemEval), SemEval F_avg, macro-F1, sentiment macro-F1,
/// confusion matrices.
#[derive(Args, Debug)]
pub struct EvalModelArgs {
    #[command(flatten)]
    pub model: ModelArg,
    /// Annotated data files (guide JSONL, CSV/TSV, SemEval, NewsMTSC; repeatable).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub data: Vec<PathBuf>,
    /// Format of every --data file.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    #[command(flatten)]
    pub columns: ColumnArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(a: EvalArgs) -> Result<Outcome> {
    match a.stage {
        Some(EvalStage::Quotes(q)) => eval_quotes::run(q),
        Some(EvalStage::Labels(l)) => eval_labels::run(l),
        Some(EvalStage::Cv(c)) => eval_cv::run(c),
        Some(EvalStage::Compare(c)) => eval_compare::run(c),
        None => run_model_eval(a.model),
    }
}

fn run_model_eval(a: EvalModelArgs) -> Result<Outcome> {
    if a.data.is_empty() {
        bail!(
            "give --data FILE (annotated statements), or use `stance eval quotes` or \
             `stance eval labels`"
        );
    }
    a.run.init_global_pool();
    let model = a.model.load()?;
    let records = read_data(&a.data, a.input_format, &a.columns, a.run.quiet)?;
    let report = model.evaluate(&records);
    if report.stance_pooled.is_none() && report.sentiment.is_none() {
        let mut gold: Vec<&String> = records
            .iter()
            .flat_map(|r| r.topics.iter().flatten().map(|(t, _)| t))
            .collect();
        gold.sort();
        gold.dedup();
        bail!(
            "nothing to score: the data's topics ({}) are not topics of {} ({}), and {}",
            join_or_none(&gold),
            a.model.describe(),
            join_or_none(&model.topics().iter().collect::<Vec<_>>()),
            if model.sentiment_head().is_some() {
                "no record has a sentiment label"
            } else {
                "the model has no sentiment head"
            }
        );
    }
    a.report.write(&report)?;
    Ok(Outcome::default())
}

fn join_or_none(items: &[&String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
