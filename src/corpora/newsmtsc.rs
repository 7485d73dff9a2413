//! NewsMTSC (target-dependent sentiment in news) JSON Lines: each line is a sentence
//! (`sentence_normalized`) with `targets[{from, to, mention, polarity}]`; polarity 2/4/6 =
//! negative/neutral/positive. Each target becomes one [`Record`] with `target` set to the
//! mention's char offsets (NewsMTSC offsets are Python string indices, i.e. chars).

use crate::dataset::{Record, Target};
use crate::labels::Sentiment;
use crate::{Error, Result};
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    primary_gid: Option<String>,
    sentence_normalized: String,
    targets: Vec<Tgt>,
}

#[derive(Deserialize)]
struct Tgt {
    #[serde(rename = "Input.gid", default)]
    gid: Option<String>,
    from: usize,
    to: usize,
    #[serde(default)]
    mention: Option<String>,
    polarity: f64,
}

/// Parses NewsMTSC JSON Lines text: one record per (sentence, target).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    for (n, l) in super::numbered_records(text) {
        let err = |msg: String| Error::data(path, n, msg);
        let line: Line = serde_json::from_str(l).map_err(|e| err(e.to_string()))?;
        let n = line.sentence_normalized.chars().count();
        for t in line.targets {
            if t.from >= t.to || t.to > n {
                return Err(err(format!(
                    "target {}..{} outside the sentence's {n} chars",
                    t.from, t.to
                )));
            }
            let sentiment = match t.polarity.round() as i64 {
                2 => Sentiment::Negative,
                4 => Sentiment::Neutral,
                6 => Sentiment::Positive,
                p => return Err(err(format!("polarity {p} is not 2, 4 or 6"))),
            };
            let mut r = Record::new(line.sentence_normalized.clone());
            r.sentiment = Some(sentiment);
            r.target = Some(Target {
                start: t.from,
                end: t.to,
            });
            if let Some(id) = t.gid.or_else(|| line.primary_gid.clone()) {
                r.extra.insert("id".into(), Value::String(id));
            }
            if let Some(m) = t.mention {
                r.extra.insert("mention".into(), Value::String(m));
            }
            r.extra
                .insert("source".into(), Value::String("newsmtsc".into()));
            out.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_record_per_target() {
        let l = r#"{"primary_gid":"g","sentence_normalized":"Trump hit Biden.","targets":[{"from":0,"to":5,"mention":"Trump","polarity":2.0},{"from":10,"to":15,"mention":"Biden","polarity":4.0}]}"#;
        let r = parse(Path::new("n.jsonl"), l).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].target, Some(Target { start: 10, end: 15 }));
        assert_eq!(r[0].sentiment, Some(Sentiment::Negative));
        let bad = l.replace("\"to\":15", "\"to\":99");
        assert!(parse(Path::new("n.jsonl"), &bad).is_err());
    }
}
