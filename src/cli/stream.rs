//! The article loop shared by `label` and `quotes`: inputs read lazily, processed in parallel
//! in bounded chunks, written in input order, skipped inputs named on stderr, progress shown,
//! and the output flushed whenever the input is idle, so `stance label -` is a streaming
//! filter (a record fed in comes out without waiting for more input).

use super::args::{ArticleArgs, RunArgs};
use super::output::{report_bad_input, Output};
use super::progress::Progress;
use super::Outcome;
use anyhow::Result;
use stance::batch::{self, BatchItem, BatchOptions};
use stance::input::read_inputs;
use stance::Article;
use std::io::Write;

/// Runs `work` over every article of `input`: the bytes it renders go to `out` in input
/// order, the rest of its result to `keep` (e.g. the summary).
pub fn articles<T: Send>(
    input: &ArticleArgs,
    run: &RunArgs,
    out: &mut Output,
    work: impl Fn(&Article) -> Result<(Vec<u8>, T)> + Sync,
    mut keep: impl FnMut(T),
) -> Result<Outcome> {
    let progress = Progress::new(&input.paths, run.quiet, "articles");
    let opts = BatchOptions {
        threads: run.threads(),
        ..BatchOptions::default()
    };
    let inputs = read_inputs(&input.paths, &input.limits.input_options());
    let stats = batch::run(inputs, &opts, work, |item| -> Result<()> {
        match item {
            BatchItem::Failed(bad) => {
                if bad.failed {
                    progress.skipped();
                }
                progress.suspend(|| report_bad_input(&bad));
            }
            BatchItem::Done(article, rendered) => {
                progress.article(article.text.len());
                let (bytes, rest) = rendered?;
                out.write_all(&bytes)?;
                keep(rest);
            }
            BatchItem::Idle => out.flush()?,
        }
        Ok(())
    })?;
    progress.finish();
    Ok(Outcome {
        failed_inputs: stats.failed,
    })
}

/// Reads every article of `input` into memory (for the evaluations, which need them all),
/// naming the skipped ones.
pub fn collect_articles(input: &ArticleArgs) -> (Vec<Article>, Outcome) {
    let mut articles = Vec::new();
    let mut outcome = Outcome::default();
    for item in read_inputs(&input.paths, &input.limits.input_options()) {
        match item {
            Ok(a) => articles.push(a),
            Err(bad) => {
                report_bad_input(&bad);
                outcome.failed_inputs += usize::from(bad.failed);
            }
        }
    }
    (articles, outcome)
}
