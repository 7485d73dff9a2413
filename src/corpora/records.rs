//! Annotated statements from files: the annotation guide's JSON Lines records, CSV/TSV with
//! columns found by header name or flag, SemEval-2016 Task 6 TSV and NewsMTSC JSON Lines, all
//! read into one [`Record`] type ([`read_records`]; the format from the extension and the first
//! line unless given). Every reader reports malformed input as [`Error::Data`] with the file
//! and line; non-UTF-8 bytes (SemEval has some) are decoded as Windows-1252 instead of failing.

use crate::dataset::{Record, Target};
use crate::labels::{Sentiment, Stance};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Input file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Decide from the extension and the first line.
    #[default]
    Auto,
    /// The annotation guide's JSON Lines.
    Jsonl,
    /// Comma-separated with a header row (columns found by name, see [`ReadOptions`]).
    Csv,
    /// Tab-separated with a header row (columns found by name, see [`ReadOptions`]).
    Tsv,
    /// SemEval-2016 Task 6 TSV (`ID Target Tweet Stance …`).
    Semeval,
    /// NewsMTSC JSON Lines (`sentence_normalized`, `targets`).
    Newsmtsc,
}

/// How to read a data file. CSV/TSV columns are found by their header names `text`, `topic`,
/// `stance`, `sentiment`, `context` and `target` (any letter case); a `*_col` option names a
/// column otherwise called, and must then exist.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// File format (default: autodetect).
    pub format: Format,
    /// CSV/TSV: text column (default `text`).
    pub text_col: Option<String>,
    /// CSV/TSV: topic column, one topic per row (default `topic`).
    pub topic_col: Option<String>,
    /// CSV/TSV: stance column, needs a topic column (default `stance`).
    pub stance_col: Option<String>,
    /// CSV/TSV: sentiment column (default `sentiment`).
    pub sentiment_col: Option<String>,
    /// CSV/TSV: context column (default `context`).
    pub context_col: Option<String>,
    /// CSV/TSV: target column, the person the sentiment is about as `START-END` char offsets
    /// into the text or as the mention's text (its first occurrence; default `target`).
    pub target_col: Option<String>,
}

/// Reads one data file into records.
pub fn read_records(path: &Path, opts: &ReadOptions) -> Result<Vec<Record>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = decode(&bytes);
    let format = match opts.format {
        Format::Auto => detect(path, &text),
        f => f,
    };
    match format {
        Format::Jsonl | Format::Auto => read_jsonl(path, &text),
        Format::Newsmtsc => super::newsmtsc::parse(path, &text),
        Format::Semeval => super::semeval::parse(path, &text),
        Format::Csv => read_delimited(path, &text, b',', true, opts),
        Format::Tsv => read_delimited(path, &text, b'\t', false, opts),
    }
}

/// UTF-8 when valid, otherwise Windows-1252 (every byte maps to a char), and no BOM.
pub fn decode(bytes: &[u8]) -> String {
    let s = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        // Decode line by line so valid UTF-8 lines stay intact in a mixed file.
        Err(_) => bytes
            .split_inclusive(|&b| b == b'\n')
            .map(|line| match std::str::from_utf8(line) {
                Ok(s) => s.to_string(),
                Err(_) => line.iter().map(|&b| cp1252(b)).collect(),
            })
            .collect(),
    };
    s.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(s)
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

fn detect(path: &Path, text: &str) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.trim_start().starts_with('{') {
        return match serde_json::from_str::<Value>(first) {
            Ok(v) if v.get("sentence_normalized").is_some() && v.get("targets").is_some() => {
                Format::Newsmtsc
            }
            _ => Format::Jsonl,
        };
    }
    let cols: Vec<&str> = first.trim_end_matches('\r').split('\t').collect();
    if ["Target", "Tweet", "Stance"]
        .iter()
        .all(|c| cols.contains(c))
    {
        return Format::Semeval;
    }
    match ext.as_str() {
        "csv" => Format::Csv,
        "tsv" | "txt" => Format::Tsv,
        _ => Format::Jsonl,
    }
}

/// Parses one guide-format JSON object (used by `read_records` and `stance predict`).
pub fn record_from_json(v: Value) -> std::result::Result<Record, String> {
    let Value::Object(mut m) = v else {
        return Err("expected a JSON object".into());
    };
    let text = match m.remove("text") {
        Some(Value::String(s)) => s,
        Some(_) => return Err("`text` must be a string".into()),
        None => return Err("missing `text`".into()),
    };
    let opt_str =
        |m: &mut Map<String, Value>, k: &str| -> std::result::Result<Option<String>, String> {
            match m.remove(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(format!("`{k}` must be a string")),
            }
        };
    let context = opt_str(&mut m, "context")?;
    let wide_context = opt_str(&mut m, "wide_context")?;
    let lead = opt_str(&mut m, "lead")?;
    let speaker = opt_str(&mut m, "speaker")?;
    let sentiment = opt_str(&mut m, "sentiment")?
        .map(|s| {
            s.parse::<Sentiment>()
                .map_err(|e| format!("sentiment: {e}"))
        })
        .transpose()?;
    let topics = match m.remove("topics") {
        None | Some(Value::Null) => None,
        Some(Value::Object(t)) => {
            let mut out = BTreeMap::new();
            for (k, v) in t {
                let s = v
                    .as_str()
                    .ok_or_else(|| format!("topics.{k}: expected favor|against|neutral"))?;
                let st = s
                    .parse::<Stance>()
                    .map_err(|e| format!("topics.{k}: {e}"))?;
                out.insert(k, st);
            }
            Some(out)
        }
        Some(_) => return Err("`topics` must be an object {topic: stance}".into()),
    };
    let target = match m.remove("target") {
        None | Some(Value::Null) => None,
        Some(t) => {
            let t: Target = serde_json::from_value(t)
                .map_err(|e| format!("target: {e} (expected {{\"start\",\"end\"}})"))?;
            let n = text.chars().count();
            if t.start >= t.end || t.end > n {
                return Err(format!(
                    "target {}..{} outside the text's {n} chars",
                    t.start, t.end
                ));
            }
            Some(t)
        }
    };
    let weight = match m.remove("weight") {
        None | Some(Value::Null) => 1.0,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(w) if w.is_finite() && w >= 0.0 => w as f32,
            _ => return Err(format!("`weight` must be a finite number ≥ 0, got {n}")),
        },
        Some(_) => return Err("`weight` must be a number".into()),
    };
    Ok(Record {
        text,
        context,
        wide_context,
        speaker,
        topics,
        sentiment,
        target,
        lead,
        weight,
        relevance_weight: None,
        group: None,
        extra: m,
    })
}

fn read_jsonl(path: &Path, text: &str) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    for (n, line) in super::numbered_records(text) {
        let v: Value =
            serde_json::from_str(line).map_err(|e| Error::data(path, n, e.to_string()))?;
        out.push(record_from_json(v).map_err(|m| Error::data(path, n, m))?);
    }
    Ok(out)
}

fn read_delimited(
    path: &Path,
    text: &str,
    delim: u8,
    quoting: bool,
    o: &ReadOptions,
) -> Result<Vec<Record>> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .quoting(quoting)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::data(path, 1, e.to_string()))?
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let col = |name: &Option<String>, default: &str| -> Result<Option<usize>> {
        let n = name.as_deref().unwrap_or(default);
        let found = header
            .iter()
            .position(|h| h == n)
            .or_else(|| header.iter().position(|h| h.eq_ignore_ascii_case(n)));
        match found {
            Some(i) => Ok(Some(i)),
            None if name.is_none() => Ok(None),
            None => Err(Error::data(
                path,
                1,
                format!("no column {n:?} in header {header:?}"),
            )),
        }
    };
    let text_i = col(&o.text_col, "text")?.ok_or_else(|| {
        Error::data(
            path,
            1,
            format!("no text column in header {header:?} (name it `text` or use --text-col)"),
        )
    })?;
    let mut topic_i = col(&o.topic_col, "topic")?;
    let mut stance_i = col(&o.stance_col, "stance")?;
    let mut sent_i = col(&o.sentiment_col, "sentiment")?;
    let mut ctx_i = col(&o.context_col, "context")?;
    let mut target_i = col(&o.target_col, "target")?;
    // A column a flag names is not also taken by its header name for another field
    // (SemEval-style files call the topic column `target`).
    let mut named = vec![text_i];
    for (flag, i) in [
        (&o.topic_col, topic_i),
        (&o.stance_col, stance_i),
        (&o.sentiment_col, sent_i),
        (&o.context_col, ctx_i),
        (&o.target_col, target_i),
    ] {
        if flag.is_some() {
            named.extend(i);
        }
    }
    for (flag, i) in [
        (&o.topic_col, &mut topic_i),
        (&o.stance_col, &mut stance_i),
        (&o.sentiment_col, &mut sent_i),
        (&o.context_col, &mut ctx_i),
        (&o.target_col, &mut target_i),
    ] {
        if flag.is_none() && i.is_some_and(|i| named.contains(&i)) {
            *i = None;
        }
    }
    if stance_i.is_some() && topic_i.is_none() {
        return Err(Error::data(
            path,
            1,
            "a stance column needs a topic column (name it `topic` or use --topic-col)",
        ));
    }
    let mut out = Vec::new();
    for (n, row) in rdr.records().enumerate() {
        let line = n + 2;
        let row = row.map_err(|e| Error::data(path, line, e.to_string()))?;
        let get = |i: usize| row.get(i).map(str::trim).unwrap_or("");
        let mut r = Record::new(get(text_i));
        if r.text.is_empty() {
            return Err(Error::data(path, line, "empty text"));
        }
        r.context = ctx_i.map(|i| get(i).to_string()).filter(|s| !s.is_empty());
        if let Some(ti) = topic_i {
            let mut t = BTreeMap::new();
            if let Some(si) = stance_i {
                let s = get(si)
                    .parse::<Stance>()
                    .map_err(|e| Error::data(path, line, e.to_string()))?;
                t.insert(get(ti).to_string(), s);
            }
            r.topics = Some(t);
        }
        if let Some(si) = sent_i.filter(|&i| !get(i).is_empty()) {
            r.sentiment = Some(
                get(si)
                    .parse::<Sentiment>()
                    .map_err(|e| Error::data(path, line, e.to_string()))?,
            );
        }
        if let Some(ti) = target_i.filter(|&i| !get(i).is_empty()) {
            r.target = Some(target_cell(&r.text, get(ti)).map_err(|m| Error::data(path, line, m))?);
        }
        for (i, h) in header.iter().enumerate() {
            if ![Some(text_i), topic_i, stance_i, sent_i, ctx_i, target_i].contains(&Some(i)) {
                r.extra.insert(h.clone(), Value::String(get(i).to_string()));
            }
        }
        out.push(r);
    }
    Ok(out)
}

/// A target cell: `START-END` char offsets into `text`, or the mention's text (first match).
fn target_cell(text: &str, cell: &str) -> std::result::Result<Target, String> {
    let n = text.chars().count();
    if let Some((a, b)) = cell.split_once('-') {
        if let (Ok(start), Ok(end)) = (a.trim().parse::<usize>(), b.trim().parse::<usize>()) {
            if start >= end || end > n {
                return Err(format!("target {start}-{end} outside the text's {n} chars"));
            }
            return Ok(Target { start, end });
        }
    }
    let byte = text
        .find(cell)
        .ok_or_else(|| format!("target {cell:?} does not occur in the text"))?;
    let start = text[..byte].chars().count();
    Ok(Target {
        start,
        end: start + cell.chars().count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_record_keeps_unknown_fields_and_checks_labels() {
        let v: Value = serde_json::from_str(
            r#"{"id":"q1","text":"ab","topics":{"nato":"favor"},"sentiment":"negative","x":3}"#,
        )
        .unwrap();
        let r = record_from_json(v).unwrap();
        assert_eq!(r.topics.unwrap()["nato"], Stance::Favor);
        assert_eq!(r.extra["id"], "q1");
        assert_eq!(r.extra["x"], 3);
        let bad: Value = serde_json::from_str(r#"{"text":"a","topics":{"nato":"maybe"}}"#).unwrap();
        assert!(record_from_json(bad).unwrap_err().contains("maybe"));
        let tgt: Value =
            serde_json::from_str(r#"{"text":"ab","target":{"start":1,"end":5}}"#).unwrap();
        assert!(record_from_json(tgt).is_err());
    }

    #[test]
    fn csv_with_column_flags() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(
            &p,
            "id,tweet,target,label,tone\n7,\"yes, \"\"do it\"\"\",nato,FAVOR,positive\n",
        )
        .unwrap();
        let o = ReadOptions {
            text_col: Some("tweet".into()),
            topic_col: Some("target".into()),
            stance_col: Some("label".into()),
            sentiment_col: Some("tone".into()),
            ..Default::default()
        };
        let r = read_records(&p, &o).unwrap();
        assert_eq!(r[0].text, "yes, \"do it\"");
        assert_eq!(r[0].topics.as_ref().unwrap()["nato"], Stance::Favor);
        assert_eq!(r[0].sentiment, Some(Sentiment::Positive));
        assert_eq!(r[0].extra["id"], "7");
        let bad = ReadOptions {
            text_col: Some("body".into()),
            ..Default::default()
        };
        assert!(read_records(&p, &bad)
            .unwrap_err()
            .to_string()
            .contains("no column \"body\""));
    }

    #[test]
    fn csv_columns_found_by_header_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.tsv");
        std::fs::write(
            &p,
            "Text\ttopic\tstance\tsentiment\tcontext\ttarget\tid\n\
             Rubio praised it\tnato\tagainst\tpositive\tHe said.\tRubio\t1\n\
             No way\tsanctions\tfavor\t\t\t0-2\t2\n",
        )
        .unwrap();
        let r = read_records(&p, &ReadOptions::default()).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].text, "Rubio praised it");
        assert_eq!(r[0].topics.as_ref().unwrap()["nato"], Stance::Against);
        assert_eq!(r[0].sentiment, Some(Sentiment::Positive));
        assert_eq!(r[0].context.as_deref(), Some("He said."));
        assert_eq!(r[0].target, Some(Target { start: 0, end: 5 }));
        assert_eq!(r[0].extra["id"], "1");
        assert_eq!(r[1].sentiment, None);
        assert_eq!(r[1].target, Some(Target { start: 0, end: 2 }));
    }

    #[test]
    fn cp1252_fallback() {
        assert_eq!(decode(b"caf\xe9 \x93hi\x94\n"), "café “hi”\n");
        assert_eq!(decode("ok ü".as_bytes()), "ok ü");
    }
}
