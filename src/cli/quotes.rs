//! `stance quotes`: quotations and speakers of articles, as JSON Lines, CSV or a table.

use super::args::{ArticleArgs, ExtractorArgs, OutArg, RankerArgs, RunArgs};
use super::output::Output;
use super::table::{self, left, right, Col};
use super::Outcome;
use anyhow::Result;
use clap::ValueEnum;
use stance::quotes::{Quote, QuoteRecord};

/// Output format of `stance quotes`.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum QuotesFormat {
    /// One JSON object per quote.
    #[default]
    Jsonl,
    /// One row per quote.
    Csv,
    /// Aligned columns with a header.
    Table,
}

#[derive(clap::Args, Debug)]
pub struct QuotesArgs {
    #[command(flatten)]
    pub input: ArticleArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QuotesFormat::Jsonl)]
    pub format: QuotesFormat,
    #[command(flatten)]
    pub config: ExtractorArgs,
    #[command(flatten)]
    pub ranker: RankerArgs,
    #[command(flatten)]
    pub out: OutArg,
    #[command(flatten)]
    pub run: RunArgs,
}

const CSV_REST: &[&str] = &[
    "speaker_mention",
    "speaker_start",
    "speaker_end",
    "cue",
    "confidence",
    "fragment",
    "text",
];

const TABLE_REST: &[Col] = &[right("conf", 4), left("text", 70)];

pub fn run(a: QuotesArgs) -> Result<Outcome> {
    let x = a.config.extractor()?.with_ranker(a.ranker.ranker()?);
    let mut out = Output::open(a.out.out.as_deref())?;
    match a.format {
        QuotesFormat::Csv => {
            csv::Writer::from_writer(&mut out).write_record(table::quote_csv_header(CSV_REST))?
        }
        QuotesFormat::Table => table::header(&mut out, &table::quote_columns(TABLE_REST))?,
        QuotesFormat::Jsonl => {}
    }
    let outcome = super::stream::articles(
        &a.input,
        &a.run,
        &mut out,
        |article| {
            let quotes = x.extract(article);
            let mut bytes = Vec::with_capacity(256 * quotes.len());
            write_quotes(&mut bytes, a.format, &article.id, &quotes)?;
            Ok((bytes, ()))
        },
        |()| {},
    )?;
    out.finish()?;
    Ok(outcome)
}

fn write_quotes(
    out: &mut Vec<u8>,
    format: QuotesFormat,
    article: &str,
    quotes: &[Quote],
) -> Result<()> {
    match format {
        QuotesFormat::Jsonl => {
            for q in quotes {
                serde_json::to_writer(&mut *out, &QuoteRecord { article, quote: q })?;
                out.push(b'\n');
            }
        }
        QuotesFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(&mut *out);
            for q in quotes {
                let (ms, me, mt) = match &q.speaker_mention {
                    Some(m) => (m.start.to_string(), m.end.to_string(), m.text.as_str()),
                    None => (String::new(), String::new(), ""),
                };
                w.write_record([
                    article,
                    &q.start.to_string(),
                    &q.end.to_string(),
                    q.speaker.as_deref().unwrap_or(""),
                    mt,
                    &ms,
                    &me,
                    q.cue.as_ref().map_or("", |c| c.text.as_str()),
                    &format!("{:.2}", q.confidence),
                    &q.fragment.to_string(),
                    &q.text,
                ])?;
            }
            w.flush()?;
        }
        QuotesFormat::Table => {
            let cols = table::quote_columns(TABLE_REST);
            for q in quotes {
                table::row(
                    out,
                    &cols,
                    &[
                        article,
                        &q.start.to_string(),
                        &q.end.to_string(),
                        q.speaker.as_deref().unwrap_or("-"),
                        &format!("{:.2}", q.confidence),
                        &q.text,
                    ],
                )?;
            }
        }
    }
    Ok(())
}
