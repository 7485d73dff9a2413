//! `stance eval quotes`: scores the extractor against gold quotes in the annotation guide's
//! JSON Lines (`--gold FILE --articles DIR`) or against PolNeAR (`--polnear DIR --split dev`).

use super::args::{ArticleArgs, ExtractorArgs, LimitArgs, RankerArgs, ReportArgs, RunArgs};
use super::output::Output;
use super::Outcome;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use stance::article::CharIndex;
use stance::corpora::gold::read_gold_jsonl;
use stance::corpora::{polnear, SpanQuote};
use stance::eval::spans::{evaluate, AttributionMiss, QuoteEval};
use stance::quotes::QuoteExtractor;
use stance::speakers::gazetteer::normalize;
use stance::Article;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// Articles the gold refers to (files, folders, .jsonl); every article is scored.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub articles: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// PolNeAR root (e.g. ../shared/corpora/polnear): direct quotes and Source mentions.
    #[arg(long, value_name = "DIR")]
    pub polnear: Option<PathBuf>,
    /// PolNeAR split to score.
    #[arg(long, default_value = "dev")]
    pub split: String,
    #[command(flatten)]
    pub config: ExtractorArgs,
    #[command(flatten)]
    pub ranker: RankerArgs,
    /// Also write every matched quote whose speaker (or speaker mention) is wrong to FILE, as
    /// JSON Lines with the quote, both mentions' text and the deciding sieve.
    #[arg(long, value_name = "FILE")]
    pub misses: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub run: RunArgs,
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
    a.run.init_global_pool();
    let x = a.config.extractor()?.with_ranker(a.ranker.ranker()?);
    let mut outcome = Outcome::default();
    let (report, articles): (QuoteEval, Vec<Article>) = if let Some(gold_path) = &a.gold {
        let gold = read_gold_jsonl(gold_path)
            .with_context(|| format!("reading gold {}", gold_path.display()))?;
        let (articles, read) = super::stream::collect_articles(&ArticleArgs {
            paths: a.articles.clone(),
            limits: a.limits.clone(),
        });
        outcome = read;
        let pred = predict(&x, &articles);
        let g = x.gazetteer();
        let report = evaluate(&gold, &pred, true, |gs, ps| {
            normalize(gs) == normalize(ps) || g.canonical(gs).is_some_and(|c| c == ps)
        });
        (report, articles)
    } else if let Some(root) = &a.polnear {
        let data = polnear::read_split(root, &a.split)
            .with_context(|| format!("reading PolNeAR {} split {}", root.display(), a.split))?;
        let (articles, gold): (Vec<Article>, Vec<Vec<SpanQuote>>) =
            data.into_iter().map(|p| (p.article, p.quotes)).unzip();
        let gold: Vec<SpanQuote> = gold.into_iter().flatten().collect();
        let pred = predict(&x, &articles);
        (evaluate(&gold, &pred, false, |a, b| a == b), articles)
    } else {
        bail!("give --gold FILE --articles DIR, or --polnear DIR [--split dev]");
    };
    if let Some(path) = &a.misses {
        write_misses(path, &report.misses, &articles)?;
    }
    a.report.write(&report)?;
    Ok(outcome)
}

/// One line per miss: the spans (char offsets, as everywhere in the guide's format) resolved
/// to their text so a reader needs no other file.
fn write_misses(path: &Path, misses: &[AttributionMiss], articles: &[Article]) -> Result<()> {
    let index: HashMap<&str, (&str, CharIndex)> = articles
        .iter()
        .map(|a| (a.id.as_str(), (a.text.as_str(), CharIndex::new(&a.text))))
        .collect();
    let cut = |id: &str, span: Option<(usize, usize)>| {
        let ((text, idx), (s, e)) = (index.get(id)?, span?);
        Some(idx.slice(text, s, e))
    };
    let mut out = Output::open(Some(path))?;
    for AttributionMiss {
        gold: g,
        predicted: p,
    } in misses
    {
        let line = serde_json::json!({
            "article": g.article,
            "quote": cut(&g.article, Some((g.start, g.end))),
            "gold_speaker": g.speaker,
            "gold_mention": cut(&g.article, g.mention),
            "speaker": p.speaker,
            "mention": cut(&g.article, p.mention),
            "sieve": p.sieve.map(|s| s.name()),
            "start": g.start,
            "end": g.end,
        });
        writeln!(out, "{line}")?;
    }
    out.finish()
}
