//! `stance eval quotes`: scores the extractor against gold quotes in the annotation guide's
//! JSON Lines (`--gold FILE --articles DIR`) or against PolNeAR (`--polnear DIR --split dev`).

use super::output::report_bad_input;
use super::quotes::{extractor, RankerArgs};
use super::Outcome;
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use rayon::prelude::*;
use stance::corpora::polnear;
use stance::eval::spans::{evaluate, read_gold_jsonl, QuoteEval, SpanQuote};
use stance::input::{read_inputs, InputOptions};
use stance::quotes::QuoteExtractor;
use stance::speakers::gazetteer::normalize;
use stance::Article;
use std::path::PathBuf;

/// Report format.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum EvalFormat {
    /// Human-readable table.
    #[default]
    Text,
    /// One JSON object (the `QuoteEval` report).
    Json,
}

#[derive(clap::Args, Debug)]
pub struct EvalQuotesArgs {
    /// Gold quotes (annotation-guide JSON Lines); needs --articles.
    #[arg(
        long,
        value_name = "FILE",
        requires = "articles",
        conflicts_with = "polnear"
    )]
    pub gold: Option<PathBuf>,
    /// Articles the gold refers to (directory of .txt, .jsonl, …); every article is scored.
    #[arg(long, value_name = "DIR")]
    pub articles: Option<PathBuf>,
    /// PolNeAR root (e.g. ../shared/corpora/polnear): direct quotes and Source mentions.
    #[arg(long, value_name = "DIR")]
    pub polnear: Option<PathBuf>,
    /// PolNeAR split to score.
    #[arg(long, default_value = "dev")]
    pub split: String,
    /// Report format.
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub format: EvalFormat,
    /// Extra speaker gazetteer (TOML).
    #[arg(long, value_name = "FILE")]
    pub speakers: Option<PathBuf>,
    /// Extra attribution cues (TOML).
    #[arg(long, value_name = "FILE")]
    pub cues: Option<PathBuf>,
    #[command(flatten)]
    pub ranker: RankerArgs,
}

fn predict(x: &QuoteExtractor, articles: &[Article]) -> Vec<SpanQuote> {
    articles
        .par_iter()
        .map(|a| {
            x.extract(a)
                .into_iter()
                .map(|q| SpanQuote {
                    article: a.id.clone(),
                    start: q.start,
                    end: q.end,
                    speaker: q.speaker,
                    mention: q.speaker_mention.map(|m| (m.start, m.end)),
                    sieve: q.sieve,
                })
                .collect::<Vec<_>>()
        })
        .flatten()
        .collect()
}

pub fn run(a: EvalQuotesArgs) -> Result<Outcome> {
    let x = extractor(a.speakers.as_ref(), a.cues.as_ref())?.with_ranker(a.ranker.load()?);
    let mut outcome = Outcome::default();
    let report: QuoteEval = if let Some(gold_path) = &a.gold {
        let gold = read_gold_jsonl(gold_path)
            .with_context(|| format!("reading gold {}", gold_path.display()))?;
        let dir = a.articles.clone().context("--gold needs --articles DIR")?;
        let mut articles = Vec::new();
        for item in read_inputs(&[dir], &InputOptions::default()) {
            match item {
                Ok(art) => articles.push(art),
                Err(bad) => {
                    report_bad_input(&bad);
                    outcome.failed_inputs += 1;
                }
            }
        }
        let pred = predict(&x, &articles);
        let g = x.gazetteer();
        evaluate(&gold, &pred, true, |gs, ps| {
            normalize(gs) == normalize(ps) || g.canonical(gs).is_some_and(|c| c == ps)
        })
    } else if let Some(root) = &a.polnear {
        let data = polnear::read_split(root, &a.split)
            .with_context(|| format!("reading PolNeAR {} split {}", root.display(), a.split))?;
        let (articles, gold): (Vec<Article>, Vec<Vec<SpanQuote>>) =
            data.into_iter().map(|p| (p.article, p.quotes)).unzip();
        let gold: Vec<SpanQuote> = gold.into_iter().flatten().collect();
        let pred = predict(&x, &articles);
        evaluate(&gold, &pred, false, |a, b| a == b)
    } else {
        bail!("give --gold FILE --articles DIR, or --polnear DIR [--split dev]");
    };
    match a.format {
        EvalFormat::Text => print!("{report}"),
        EvalFormat::Json => println!("{}", serde_json::to_string(&report)?),
    }
    Ok(outcome)
}
