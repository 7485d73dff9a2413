//! Command-line layer: clap definitions and glue. No NLP lives here; every subcommand
//! builds library objects, runs them, and prints. The flags every subcommand shares are in
//! `args.rs` (see "CLI conventions" in ARCHITECTURE.md).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod args;
mod builtin_model;
mod eval;
mod eval_compare;
mod eval_cv;
mod eval_labels;
mod eval_quotes;
mod inspect;
mod label;
mod output;
mod predict;
mod progress;
mod quotes;
mod stream;
mod table;
mod train;

/// Who said what, about which topic, for or against, in what tone.
#[derive(Parser, Debug)]
#[command(name = "stance", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Extract quotations and their speakers from articles.
    Quotes(quotes::QuotesArgs),
    /// Label quotes with topics, stance and sentiment (and summarise per speaker × topic).
    Label(label::LabelArgs),
    /// Train stance, sentiment and topic models from annotated statements.
    Train(train::TrainArgs),
    /// Predict stance and sentiment for JSON Lines statements.
    Predict(predict::PredictArgs),
    /// Evaluate a model on annotated statements (or `eval quotes`, `eval labels`).
    Eval(eval::EvalArgs),
    /// Show a saved model's metadata and top features.
    Inspect(inspect::InspectArgs),
}

/// What a subcommand reports back, for the exit code.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcome {
    /// Inputs that were reported and skipped.
    pub failed_inputs: usize,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    output::clean_up_on_signals();
    let result = match cli.command {
        Command::Quotes(a) => quotes::run(a),
        Command::Label(a) => label::run(a),
        Command::Train(a) => train::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Inspect(a) => inspect::run(a),
    };
    match result {
        Ok(o) if o.failed_inputs > 0 => {
            eprintln!(
                "stance: {} input(s) failed; the rest were processed",
                o.failed_inputs
            );
            ExitCode::from(1)
        }
        Ok(_) => ExitCode::SUCCESS,
        // The reader went away (`stance … | head`): nothing is wrong, stop quietly.
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stance: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
