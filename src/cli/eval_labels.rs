//! `stance eval labels`: the whole labeler (quotes, speakers, topics, stance, sentiment)
//! against gold quotes in the annotation guide's JSON Lines.

use super::output::report_bad_input;
use super::Outcome;
use anyhow::{Context, Result};
use stance::eval::labels::{evaluate, read_gold};
use stance::input::{read_inputs, InputOptions};
use stance::pipeline::Pipeline;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct EvalLabelsArgs {
    /// Model directory.
    #[arg(long, default_value = "models/default", env = "STANCE_MODEL")]
    pub model: PathBuf,
    /// Gold quotes with topics, stance and sentiment (annotation-guide JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub gold: PathBuf,
    /// The articles to label and score (files, directories, .jsonl); gold quotes of other
    /// articles are ignored.
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    pub articles: Vec<PathBuf>,
    /// Report format: text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

pub fn run(a: EvalLabelsArgs) -> Result<Outcome> {
    let pipeline = Pipeline::load(&a.model).context("cannot load the model")?;
    let gold = read_gold(&a.gold)?;
    let mut articles = Vec::new();
    let mut failed = 0;
    for item in read_inputs(&a.articles, &InputOptions::default()) {
        match item {
            Ok(article) => articles.push(article),
            Err(bad) => {
                report_bad_input(&bad);
                failed += 1;
            }
        }
    }
    let report = evaluate(&pipeline, &articles, &gold);
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(Outcome {
        failed_inputs: failed,
    })
}
