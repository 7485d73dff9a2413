//! `stance predict --model DIR FILE|-`: JSON Lines records in, the same records out (every
//! field kept, in order) with a `prediction` field added. Records with `topics` get stance for
//! exactly those topics; others get detected topics. Malformed lines are reported on stderr
//! and skipped (exit code 1).

use super::output::Output;
use super::Outcome;
use clap::Args;
use serde_json::Value;
use stance::model::{Model, Statement};
use std::io::{BufRead, Write};
use std::path::PathBuf;

/// `stance predict --model DIR [--explain[=N]] [--out FILE] FILE|-`
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// Model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// Input JSON Lines (`-` = stdin).
    pub input: PathBuf,
    /// Add the N top contributing features per prediction (default 5).
    #[arg(long, num_args = 0..=1, default_missing_value = "5")]
    pub explain: Option<usize>,
    /// Write here instead of stdout (atomically).
    #[arg(long)]
    pub out: Option<PathBuf>,
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
    if let Some(c) = obj.get("context") {
        if !(c.is_string() || c.is_null()) {
            return Err("`context` must be a string".into());
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

pub fn run(a: PredictArgs) -> anyhow::Result<Outcome> {
    let model = Model::load(&a.model)?;
    let reader: Box<dyn BufRead> = if a.input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(&a.input)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", a.input.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    let mut out = Output::open(a.out.as_deref())?;
    let mut outcome = Outcome::default();
    let mut batch: Vec<Item> = Vec::new();
    let flush = |batch: &mut Vec<Item>, out: &mut Output| -> anyhow::Result<()> {
        use rayon::prelude::*;
        let preds: Vec<_> = batch
            .par_iter()
            .map(|it| {
                let s = Statement {
                    text: it.obj["text"].as_str().unwrap_or_default(),
                    context: it.obj.get("context").and_then(Value::as_str),
                    topics: it.topics.clone(),
                    target: it.target,
                    lead: it.obj.get("lead").and_then(Value::as_str),
                };
                match a.explain {
                    Some(n) => model.predict_explained(&s, n),
                    None => model.predict(&s),
                }
            })
            .collect();
        for (mut it, p) in batch.drain(..).zip(preds) {
            it.obj
                .insert("prediction".into(), serde_json::to_value(&p)?);
            serde_json::to_writer(&mut *out, &Value::Object(it.obj))?;
            out.write_all(b"\n")?;
        }
        Ok(())
    };
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| anyhow::anyhow!("reading {}: {e}", a.input.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(&line) {
            Ok(it) => batch.push(it),
            Err(msg) => {
                eprintln!("stance: skipped {}:{}: {msg}", a.input.display(), n + 1);
                outcome.failed_inputs += 1;
            }
        }
        if batch.len() >= 4096 {
            flush(&mut batch, &mut out)?;
        }
    }
    flush(&mut batch, &mut out)?;
    out.finish()?;
    Ok(outcome)
}
