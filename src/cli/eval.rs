//! `stance eval`: model evaluation on annotated statements, or `stance eval quotes`.
use super::{eval_cv, eval_labels, eval_quotes, Outcome};
use clap::{Args, Subcommand};

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
}

/// `stance eval --model DIR --data FILE... [--format json]`: stance per topic and pooled
/// (topics given by the records, as in SemEval), SemEval F_avg, macro-F1, sentiment macro-F1,
/// confusion matrices.
#[derive(Args, Debug)]
pub struct EvalModelArgs {
    /// Model directory.
    #[arg(long)]
    pub model: Option<std::path::PathBuf>,
    /// Annotated data files (guide JSONL, CSV/TSV, SemEval, NewsMTSC).
    #[arg(long, num_args = 1..)]
    pub data: Vec<std::path::PathBuf>,
    /// Data format (default: autodetect per file).
    #[arg(long, value_enum, default_value_t = stance::dataset::Format::Auto)]
    pub data_format: stance::dataset::Format,
    /// Report format: text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    #[command(flatten)]
    pub columns: super::train::ColumnArgs,
}

pub fn run(a: EvalArgs) -> anyhow::Result<Outcome> {
    match a.stage {
        Some(EvalStage::Quotes(q)) => eval_quotes::run(q),
        Some(EvalStage::Labels(l)) => eval_labels::run(l),
        Some(EvalStage::Cv(c)) => eval_cv::run(c),
        None => run_model_eval(a.model),
    }
}

fn run_model_eval(a: EvalModelArgs) -> anyhow::Result<Outcome> {
    let Some(dir) = &a.model else {
        anyhow::bail!("--model DIR is required (or use `stance eval quotes`)");
    };
    if a.data.is_empty() {
        anyhow::bail!("--data FILE is required");
    }
    let model = stance::model::Model::load(dir)?;
    let opts = a.columns.read_options(a.data_format);
    let mut records = Vec::new();
    for p in &a.data {
        records.extend(stance::dataset::read_records(p, &opts)?);
    }
    let report = model.evaluate(&records);
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(Outcome::default())
}
