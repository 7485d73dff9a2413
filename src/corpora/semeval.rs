//! SemEval-2016 Task 6 (stance in tweets) TSV: `ID Target Tweet Stance Opinion-towards
//! Sentiment`. Targets become topic ids (`Hillary Clinton` → `hillary_clinton`), `FAVOR /
//! AGAINST / NONE` become favor / against / neutral, sentiment `POSITIVE / NEGATIVE / NEITHER`
//! becomes positive / negative / neutral. Tweets may contain `"` so lines are split on tabs
//! without CSV quoting.

use crate::dataset::Record;
use crate::labels::{Sentiment, Stance};
use crate::{Error, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The topic id of a SemEval target: lowercase, runs of non-alphanumerics → `_`.
pub fn topic_id(target: &str) -> String {
    let mut out = String::new();
    for c in target.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// Parses a SemEval TSV file's decoded text.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Record>> {
    let err = |line: usize, msg: String| Error::data(path, line, msg);
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h
            .trim_end_matches('\r')
            .split('\t')
            .map(str::trim)
            .collect(),
        None => return Ok(Vec::new()),
    };
    let find = |n: &str| header.iter().position(|h| h.eq_ignore_ascii_case(n));
    let (ti, xi, si) = match (find("Target"), find("Tweet"), find("Stance")) {
        (Some(a), Some(b), Some(c)) => (a, b, c),
        _ => {
            return Err(err(
                1,
                format!("not a SemEval header (need Target, Tweet, Stance): {header:?}"),
            ))
        }
    };
    let (idi, senti) = (find("ID"), find("Sentiment"));
    let mut out = Vec::new();
    for (n, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| f.get(i).copied().map(str::trim);
        let tweet = get(xi)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| err(n + 1, "missing tweet".into()))?;
        let target = get(ti).ok_or_else(|| err(n + 1, "missing target".into()))?;
        let stance = get(si)
            .unwrap_or("")
            .parse::<Stance>()
            .map_err(|e| err(n + 1, e.to_string()))?;
        let mut r = Record::new(tweet);
        r.topics = Some(BTreeMap::from([(topic_id(target), stance)]));
        if let Some(s) = senti.and_then(get).filter(|s| !s.is_empty()) {
            r.sentiment = Some(
                s.parse::<Sentiment>()
                    .map_err(|e| err(n + 1, e.to_string()))?,
            );
        }
        if let Some(id) = idi.and_then(get) {
            r.extra.insert("id".into(), Value::String(id.to_string()));
        }
        out.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_maps_labels() {
        let t = "ID\tTarget\tTweet\tStance\tOpinion towards\tSentiment\r\n\
                 1\tHillary Clinton\tshe said \"no\" #SemST\tNONE\tOTHER\tNEITHER\r\n";
        let r = parse(Path::new("x.txt"), t).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].topics.as_ref().unwrap()["hillary_clinton"],
            Stance::Neutral
        );
        assert_eq!(r[0].sentiment, Some(Sentiment::Neutral));
        assert!(parse(
            Path::new("x"),
            "ID\tTarget\tTweet\tStance\n1\tA\tt\tMAYBE\n"
        )
        .is_err());
        assert_eq!(
            topic_id("Legalization of Abortion"),
            "legalization_of_abortion"
        );
    }
}
