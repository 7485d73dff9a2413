//! `stance label`: quotes → speakers → topics → stance and sentiment for every article, as
//! JSON Lines / CSV / a table, or summarised per speaker × topic with `--summary`.

use super::args::{ArticleArgs, ConfigArgs, ModelArg, OutArg, RunArgs};
use super::output::Output;
use super::table::{self, left, Col};
use super::Outcome;
use anyhow::Result;
use clap::{Args, ValueEnum};
use stance::corpora::gold::GoldQuote;
use stance::pipeline::LabeledQuote;
use stance::summary::Summary;
use std::io::Write;

#[derive(Args, Debug)]
pub struct LabelArgs {
    #[command(flatten)]
    pub input: ArticleArgs,
    #[command(flatten)]
    pub model: ModelArg,
    /// Output format [default: jsonl; with --summary: table].
    #[arg(long, value_enum)]
    pub format: Option<LabelFormat>,
    /// Print the speaker × topic summary instead of one record per quote.
    #[arg(long)]
    pub summary: bool,
    /// Add every topic's P(topic) to each quote as `relevance`, detected or not (JSON Lines
    /// only): to set your own thresholds or rank quotes by a topic.
    #[arg(long)]
    pub relevance: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub out: OutArg,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelFormat {
    /// One JSON object per quote (with --summary: one JSON document).
    Jsonl,
    /// One row per quote × topic, or per summary row.
    Csv,
    /// Aligned columns with a header (with --summary: a markdown table).
    Table,
    /// With --summary: one JSON document.
    Json,
    /// One annotation-guide record per quote (guide §6: span, speaker, topics with stance,
    /// sentiment): the model's labels as a draft to correct by hand, then train on as a
    /// recipe's `[[gold]]` set.
    Gold,
}

pub fn run(a: LabelArgs) -> Result<Outcome> {
    let format = a.format.unwrap_or(if a.summary {
        LabelFormat::Table
    } else {
        LabelFormat::Jsonl
    });
    if a.summary && format == LabelFormat::Gold {
        anyhow::bail!("--format gold writes one record per quote; it does not go with --summary");
    }
    if !a.summary && format == LabelFormat::Json {
        anyhow::bail!("--format json goes with --summary; per-quote output is --format jsonl");
    }
    if a.relevance && (a.summary || format != LabelFormat::Jsonl) {
        anyhow::bail!("--relevance adds a field to each quote's JSON record: it goes with --format jsonl, without --summary");
    }
    let pipeline = a
        .config
        .pipeline(&a.model)?
        .with_relevance_scores(a.relevance);
    let mut out = Output::open(a.out.out.as_deref())?;
    let mut summary = Summary::new();
    if !a.summary {
        match format {
            LabelFormat::Csv => csv::Writer::from_writer(&mut out)
                .write_record(table::quote_csv_header(CSV_REST))?,
            LabelFormat::Table => table::header(&mut out, &table::quote_columns(TABLE_REST))?,
            _ => {}
        }
    }
    let outcome = super::stream::articles(
        &a.input,
        &a.run,
        &mut out,
        // Per-quote output is rendered on the worker threads, so the writer only copies bytes.
        |article| {
            let quotes = pipeline.label(article);
            if a.summary {
                Ok((Vec::new(), quotes))
            } else {
                let mut bytes = Vec::with_capacity(512 * quotes.len());
                write_quotes(&mut bytes, format, &quotes)?;
                Ok((bytes, Vec::new()))
            }
        },
        |quotes| quotes.iter().for_each(|q| summary.add(q)),
    )?;
    if a.summary {
        match format {
            LabelFormat::Json | LabelFormat::Jsonl | LabelFormat::Gold => {
                serde_json::to_writer_pretty(&mut out, &summary.to_json())?;
                writeln!(out)?;
            }
            LabelFormat::Csv => write_summary_csv(&mut out, &summary)?,
            LabelFormat::Table => write!(out, "{}", summary.to_markdown())?,
        }
    }
    out.finish()?;
    Ok(outcome)
}

const CSV_REST: &[&str] = &[
    "topic",
    "stance",
    "p_favor",
    "p_against",
    "p_neutral",
    "relevance",
    "topic_confidence",
    "sentiment",
    "fragment",
    "text",
];

const TABLE_REST: &[Col] = &[
    left("topic", 20),
    left("stance", 7),
    left("sentiment", 9),
    left("text", 60),
];

/// One row per quote × topic (a quote without topics gets one row with an empty topic).
fn write_quotes(out: &mut impl Write, format: LabelFormat, quotes: &[LabeledQuote]) -> Result<()> {
    match format {
        LabelFormat::Jsonl | LabelFormat::Json => {
            for q in quotes {
                serde_json::to_writer(&mut *out, q)?;
                out.write_all(b"\n")?;
            }
        }
        LabelFormat::Gold => {
            for q in quotes {
                serde_json::to_writer(&mut *out, &GoldQuote::from(q))?;
                out.write_all(b"\n")?;
            }
        }
        LabelFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(&mut *out);
            for q in quotes {
                for t in topic_rows(q) {
                    let start = q.quote.start.to_string();
                    let end = q.quote.end.to_string();
                    let fragment = q.quote.fragment.to_string();
                    w.write_record([
                        q.article.as_str(),
                        &start,
                        &end,
                        q.quote.speaker.as_deref().unwrap_or(""),
                        t.topic,
                        &t.stance,
                        &t.favor,
                        &t.against,
                        &t.neutral,
                        &t.relevance,
                        &t.confidence,
                        &sentiment(q),
                        &fragment,
                        &q.quote.text,
                    ])?;
                }
            }
            w.flush()?;
        }
        LabelFormat::Table => {
            let cols = table::quote_columns(TABLE_REST);
            for q in quotes {
                for t in topic_rows(q) {
                    table::row(
                        out,
                        &cols,
                        &[
                            &q.article,
                            &q.quote.start.to_string(),
                            &q.quote.end.to_string(),
                            q.quote.speaker.as_deref().unwrap_or("-"),
                            if t.topic.is_empty() { "-" } else { t.topic },
                            if t.stance.is_empty() { "-" } else { &t.stance },
                            &sentiment(q),
                            &q.quote.text,
                        ],
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// A quote's label for one topic, as text cells.
struct TopicRow<'a> {
    topic: &'a str,
    stance: String,
    favor: String,
    against: String,
    neutral: String,
    relevance: String,
    confidence: String,
}

fn topic_rows(q: &LabeledQuote) -> Vec<TopicRow<'_>> {
    if q.topics.is_empty() {
        return vec![TopicRow {
            topic: "",
            stance: String::new(),
            favor: String::new(),
            against: String::new(),
            neutral: String::new(),
            relevance: String::new(),
            confidence: String::new(),
        }];
    }
    q.topics
        .iter()
        .map(|(topic, l)| TopicRow {
            topic,
            stance: l.stance.to_string(),
            favor: prob(l.probs.favor),
            against: prob(l.probs.against),
            neutral: prob(l.probs.neutral),
            relevance: l.relevance.map(prob).unwrap_or_default(),
            confidence: l.confidence.map(prob).unwrap_or_default(),
        })
        .collect()
}

/// A probability as every output writes it (4 decimals; see `stance::labels`).
fn prob(p: f32) -> String {
    format!("{}", stance::labels::round_prob(p))
}

fn sentiment(q: &LabeledQuote) -> String {
    q.sentiment
        .as_ref()
        .map(|s| s.label.to_string())
        .unwrap_or_default()
}

/// The summary as CSV: one row per speaker × topic with every evidence span.
fn write_summary_csv(out: &mut impl Write, summary: &Summary) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(stance::summary::COLUMNS)?;
    for r in summary.rows() {
        w.write_record(r.cells(usize::MAX))?;
    }
    w.flush()?;
    Ok(())
}
