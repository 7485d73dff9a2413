//! `stance eval`: model evaluation on annotated statements, or `stance eval quotes`.
use super::{eval_quotes, Outcome};
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
}

/// `stance eval --model DIR --data FILE` (stub, being written).
#[derive(Args, Debug)]
pub struct EvalModelArgs {}

pub fn run(a: EvalArgs) -> anyhow::Result<Outcome> {
    match a.stage {
        Some(EvalStage::Quotes(q)) => eval_quotes::run(q),
        None => run_model_eval(a.model),
    }
}

fn run_model_eval(_a: EvalModelArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("not yet implemented")
}
