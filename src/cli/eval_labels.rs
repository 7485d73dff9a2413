//! `stance eval labels`: the whole labeler (quotes, speakers, topics, stance, sentiment)
//! against gold quotes in the annotation guide's JSON Lines, with the end-to-end figures
//! defined in `stance::eval::labels`, and optionally the off-domain topic rate.

use super::output::report_bad_input;
use super::Outcome;
use anyhow::{Context, Result};
use stance::article::Article;
use stance::eval::labels::{evaluate, off_domain, read_gold};
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
    /// Off-domain articles (news about none of the topics, e.g. PolNeAR dev texts): report
    /// the share of their quotes that get a topic.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub off_domain: Vec<PathBuf>,
    /// Report format: text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

/// Reads articles, reporting and counting the bad ones.
pub fn read_articles(paths: &[PathBuf], failed: &mut usize) -> Vec<Article> {
    let mut articles = Vec::new();
    for item in read_inputs(paths, &InputOptions::default()) {
        match item {
            Ok(article) => articles.push(article),
            Err(bad) => {
                report_bad_input(&bad);
                *failed += 1;
            }
        }
    }
    articles
}

pub fn run(a: EvalLabelsArgs) -> Result<Outcome> {
    let pipeline = Pipeline::load(&a.model).context("cannot load the model")?;
    let gold = read_gold(&a.gold)?;
    let mut failed = 0;
    let articles = read_articles(&a.articles, &mut failed);
    let report = evaluate(&pipeline, &articles, &gold).report();
    let off = (!a.off_domain.is_empty()).then(|| {
        let docs = read_articles(&a.off_domain, &mut failed);
        off_domain(&pipeline, &docs)
    });
    if a.format == "json" {
        let mut v = serde_json::to_value(&report)?;
        if let Some((n, with)) = off {
            v["off_domain"] = serde_json::json!({"quotes": n, "with_topic": with,
                "rate": if n > 0 { with as f64 / n as f64 } else { 0.0 }});
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{report}");
        if let Some((n, with)) = off {
            println!(
                "off-domain: {with} of {n} quotes got a topic ({:.2}%)",
                if n > 0 { 100.0 * with as f64 / n as f64 } else { 0.0 }
            );
        }
    }
    Ok(Outcome {
        failed_inputs: failed,
    })
}
