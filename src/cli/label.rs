//! `stance label`: quotes → speakers → topics → stance and sentiment for every article, as
//! JSON Lines / CSV / a table, or summarised per speaker × topic with `--summary`.

use super::output::{report_bad_input, Output};
use super::Outcome;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use stance::batch::{self, BatchItem, BatchOptions};
use stance::input::{read_inputs, InputOptions, DEFAULT_MAX_BYTES};
use stance::model::Model;
use stance::pipeline::{LabeledQuote, Pipeline};
use stance::summary::Summary;
use stance::topics::TopicConfig;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct LabelArgs {
    /// Articles: .txt files, directories of them, .jsonl files of {"id","text"}, or - for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Saved model directory.
    #[arg(long, default_value = "models/default", env = "STANCE_MODEL")]
    pub model: PathBuf,
    /// Output format. With --summary: table (markdown) or json.
    #[arg(long, value_enum)]
    pub format: Option<LabelFormat>,
    /// Print the speaker × topic summary instead of one record per quote.
    #[arg(long)]
    pub summary: bool,
    /// Extra speaker gazetteer (TOML), merged over the built-in one.
    #[arg(long, value_name = "FILE")]
    pub speakers: Option<PathBuf>,
    /// Extra attribution cues (TOML, see data/cues.toml); extends the built-in list.
    #[arg(long, value_name = "FILE")]
    pub cues: Option<PathBuf>,
    /// Extra topic configuration (TOML), merged over the built-in topics.
    #[arg(long, value_name = "FILE")]
    pub topics: Option<PathBuf>,
    /// Write here (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Skip articles larger than this many bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BYTES)]
    pub max_bytes: u64,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelFormat {
    Jsonl,
    Csv,
    Table,
    Json,
}

pub fn run(a: LabelArgs) -> Result<Outcome> {
    let pipeline = build_pipeline(&a)?;
    let format = a.format.unwrap_or(if a.summary {
        LabelFormat::Table
    } else {
        LabelFormat::Jsonl
    });
    if !a.summary && format == LabelFormat::Json {
        anyhow::bail!("--format json goes with --summary; per-quote output is jsonl");
    }
    let mut out = Output::open(a.out.as_deref())?;
    let progress = super::progress::Progress::new(&a.paths, a.quiet);
    let opts = BatchOptions {
        threads: a.threads,
        ..BatchOptions::default()
    };
    let inputs = read_inputs(
        &a.paths,
        &InputOptions {
            max_bytes: a.max_bytes,
        },
    );
    let mut summary = Summary::new();
    if format == LabelFormat::Csv && !a.summary {
        csv::Writer::from_writer(&mut out).write_record(CSV_HEADER)?;
    }
    let stats = batch::run(
        inputs,
        &opts,
        // Per-quote output is rendered on the worker threads, so the writer only copies bytes.
        |article| {
            let quotes = pipeline.label(article);
            if a.summary {
                Ok((quotes, Vec::new()))
            } else {
                let mut bytes = Vec::with_capacity(512 * quotes.len());
                write_quotes(&mut bytes, format, &quotes).map(|_| (Vec::new(), bytes))
            }
        },
        |item| -> Result<()> {
            match item {
                BatchItem::Failed(bad) => {
                    progress.suspend(|| report_bad_input(&bad));
                }
                BatchItem::Done(article, rendered) => {
                    progress.article(article.text.len());
                    let (quotes, bytes) = rendered?;
                    quotes.iter().for_each(|q| summary.add(q));
                    out.write_all(&bytes)?;
                }
            }
            Ok(())
        },
    )?;
    progress.finish();
    if a.summary {
        match format {
            LabelFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &summary.to_json())?;
                writeln!(out)?;
            }
            _ => write!(out, "{}", summary.to_markdown())?,
        }
    }
    out.finish()?;
    Ok(Outcome {
        failed_inputs: stats.failed,
    })
}

fn build_pipeline(a: &LabelArgs) -> Result<Pipeline> {
    let model = Model::load(&a.model).context(
        "cannot load the model (use --model DIR; the default is models/default in the project directory)",
    )?;
    let mut topics = TopicConfig::builtin();
    if let Some(p) = &a.topics {
        topics.extend(TopicConfig::load(p)?);
    }
    let extractor = super::quotes::extractor(a.speakers.as_ref(), a.cues.as_ref())?;
    Ok(Pipeline::new(extractor, model, &topics)?)
}

const CSV_HEADER: [&str; 13] = [
    "article",
    "start",
    "end",
    "speaker",
    "topic",
    "stance",
    "p_favor",
    "p_against",
    "p_neutral",
    "relevance",
    "sentiment",
    "fragment",
    "text",
];

fn write_quotes(out: &mut impl Write, format: LabelFormat, quotes: &[LabeledQuote]) -> Result<()> {
    match format {
        LabelFormat::Jsonl | LabelFormat::Json => {
            for q in quotes {
                serde_json::to_writer(&mut *out, q)?;
                out.write_all(b"\n")?;
            }
        }
        LabelFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(&mut *out);
            for q in quotes {
                let speaker = q.quote.speaker.clone().unwrap_or_default();
                let sentiment = q
                    .sentiment
                    .as_ref()
                    .map(|s| s.label.to_string())
                    .unwrap_or_default();
                let base =
                    |topic: &str, st: String, pf: String, pa: String, pn: String, r: String| {
                        vec![
                            q.article.clone(),
                            q.quote.start.to_string(),
                            q.quote.end.to_string(),
                            speaker.clone(),
                            topic.to_string(),
                            st,
                            pf,
                            pa,
                            pn,
                            r,
                            sentiment.clone(),
                            q.quote.fragment.to_string(),
                            q.quote.text.clone(),
                        ]
                    };
                if q.topics.is_empty() {
                    w.write_record(base(
                        "",
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ))?;
                }
                for (topic, l) in &q.topics {
                    w.write_record(base(
                        topic,
                        l.stance.to_string(),
                        format!("{:.4}", l.probs.favor),
                        format!("{:.4}", l.probs.against),
                        format!("{:.4}", l.probs.neutral),
                        format!("{:.4}", l.relevance),
                    ))?;
                }
            }
            w.flush()?;
        }
        LabelFormat::Table => {
            for q in quotes {
                let topics: Vec<String> = q
                    .topics
                    .iter()
                    .map(|(t, l)| format!("{t}:{}", l.stance))
                    .collect();
                let sentiment = q
                    .sentiment
                    .as_ref()
                    .map(|s| s.label.to_string())
                    .unwrap_or_else(|| "-".into());
                writeln!(
                    out,
                    "{}\t{}-{}\t{}\t{}\t{}\t{}",
                    q.article,
                    q.quote.start,
                    q.quote.end,
                    q.quote.speaker.as_deref().unwrap_or("(unknown)"),
                    if topics.is_empty() {
                        "-".to_string()
                    } else {
                        topics.join(",")
                    },
                    sentiment,
                    ellipsize(&q.quote.text, 80)
                )?;
            }
        }
    }
    Ok(())
}

fn ellipsize(s: &str, n: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= n {
        flat
    } else {
        let mut t: String = flat.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
