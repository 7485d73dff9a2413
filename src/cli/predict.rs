//! `stance predict FILE|-`: JSON Lines records in, the same records out (every field kept, in
//! order) with a `prediction` field added. Records with `topics` get stance for exactly those
//! topics; others get detected topics. Malformed lines are reported on stderr and skipped
//! (exit code 1). Lines go through the same streaming batch as `label`: parallel, in input
//! order, and a record fed in on stdin comes out without waiting for more.

use super::args::{ModelArg, OutArg, RunArgs};
use super::output::{report_bad_input, Output};
use super::Outcome;
use anyhow::Result;
use clap::Args;
use serde_json::Value;
use stance::batch::{self, BatchItem, BatchOptions};
use stance::input::{BadInput, InputItem};
use stance::model::Statement;
use stance::Article;
use std::io::{BufRead, Write};
use std::path::PathBuf;

/// `stance predict [--model DIR] [--explain[=N]] [-o FILE] FILE|-`
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// Statements, JSON Lines (`-` = stdin).
    #[arg(value_name = "PATH")]
    pub input: PathBuf,
    #[command(flatten)]
    pub model: ModelArg,
    /// Add the N top contributing features per prediction: `--explain` (5) or `--explain=N`.
    #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true, default_missing_value = "5")]
    pub explain: Option<usize>,
    #[command(flatten)]
    pub out: OutArg,
    #[command(flatten)]
    pub run: RunArgs,
}

/// A parsed input line: the raw object plus what the model needs.
struct Item {
    obj: serde_json::Map<String, Value>,
    topics: Option<Vec<String>>,
    target: Option<(usize, usize)>,
}

fn parse_line(line: &str) -> Result<Item, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let Value::Object(obj) = v else {
        return Err("expected a JSON object".into());
    };
    match obj.get("text") {
        Some(Value::String(_)) => {}
        Some(_) => return Err("`text` must be a string".into()),
        None => return Err("missing `text`".into()),
    }
    for key in ["context", "wide_context"] {
        if let Some(c) = obj.get(key) {
            if !(c.is_string() || c.is_null()) {
                return Err(format!("`{key}` must be a string"));
            }
        }
    }
    let topics = match obj.get("topics") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.keys().cloned().collect()),
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|t| {
                    t.as_str()
                        .map(str::to_string)
                        .ok_or("`topics` array must hold strings")
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err("`topics` must be an object or an array of topic ids".into()),
    };
    let target = match obj.get("target") {
        None | Some(Value::Null) => None,
        Some(t) => {
            let s = t.get("start").and_then(Value::as_u64);
            let e = t.get("end").and_then(Value::as_u64);
            match (s, e) {
                (Some(s), Some(e)) if s < e => Some((s as usize, e as usize)),
                _ => {
                    return Err(
                        "`target` must be {\"start\": n, \"end\": m} with start < end".into(),
                    )
                }
            }
        }
    };
    Ok(Item {
        obj,
        topics,
        target,
    })
}

/// The input's non-blank lines as batch items: line number as id, the line as text.
fn lines(input: &PathBuf) -> Result<impl Iterator<Item = InputItem> + Send> {
    let name = if input.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        input.display().to_string()
    };
    let reader: Box<dyn BufRead + Send> = if input.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(input)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", input.display()))?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, f))
    };
    Ok(reader
        .lines()
        .enumerate()
        .filter(|(_, l)| l.as_ref().map_or(true, |l| !l.trim().is_empty()))
        .map(move |(n, l)| match l {
            // A byte-order mark is an encoding signature, not part of the first record.
            Ok(l) if n == 0 => Ok(Article::new("1", l.trim_start_matches('\u{feff}'))),
            Ok(l) => Ok(Article::new(format!("{}", n + 1), l)),
            Err(e) => Err(BadInput {
                origin: format!("{name}:{}", n + 1),
                reason: e.to_string(),
                failed: true,
            }),
        }))
}

pub fn run(a: PredictArgs) -> Result<Outcome> {
    let model = a.model.load()?;
    let inputs = lines(&a.input)?;
    let mut out = Output::open(a.out.out.as_deref())?;
    let opts = BatchOptions {
        threads: a.run.threads(),
        chunk_articles: 1024,
        ..BatchOptions::default()
    };
    let progress =
        super::progress::Progress::new(std::slice::from_ref(&a.input), a.run.quiet, "statements");
    let name = a.input.display().to_string();
    let mut malformed = 0;
    let stats = batch::run(
        inputs,
        &opts,
        |line| -> Result<Vec<u8>, String> {
            let mut it = parse_line(&line.text)?;
            let s = Statement {
                text: it.obj["text"].as_str().unwrap_or_default(),
                context: it.obj.get("context").and_then(Value::as_str),
                wide_context: it.obj.get("wide_context").and_then(Value::as_str),
                topics: it.topics.clone(),
                target: it.target,
                lead: it.obj.get("lead").and_then(Value::as_str),
            };
            let p = match a.explain {
                Some(n) => model.predict_explained(&s, n),
                None => model.predict(&s),
            };
            let p = serde_json::to_vec(&p).map_err(|e| e.to_string())?;
            // The record goes out as it came in, every field in its order and spelling, with
            // `"prediction"` added before the closing brace.
            let line = line.text.trim_end();
            let mut bytes = if it.obj.contains_key("prediction") {
                it.obj.insert(
                    "prediction".into(),
                    serde_json::from_slice(&p).map_err(|e| e.to_string())?,
                );
                serde_json::to_vec(&Value::Object(it.obj)).map_err(|e| e.to_string())?
            } else {
                let mut b = Vec::with_capacity(line.len() + p.len() + 16);
                b.extend_from_slice(&line.as_bytes()[..line.len() - 1]);
                b.extend_from_slice(b",\"prediction\":");
                b.extend_from_slice(&p);
                b.push(b'}');
                b
            };
            bytes.push(b'\n');
            Ok(bytes)
        },
        |item| -> Result<()> {
            match item {
                BatchItem::Done(line, Ok(bytes)) => {
                    progress.article(line.text.len());
                    out.write_all(&bytes)?;
                }
                BatchItem::Done(line, Err(reason)) => {
                    malformed += 1;
                    progress.skipped();
                    progress.suspend(|| {
                        report_bad_input(&BadInput {
                            origin: format!("{name}:{}", line.id),
                            reason,
                            failed: true,
                        })
                    });
                }
                BatchItem::Failed(bad) => {
                    progress.skipped();
                    progress.suspend(|| report_bad_input(&bad));
                }
                BatchItem::Idle => out.flush()?,
            }
            Ok(())
        },
    )?;
    progress.finish();
    out.finish()?;
    Ok(Outcome {
        failed_inputs: stats.failed + malformed,
    })
}
