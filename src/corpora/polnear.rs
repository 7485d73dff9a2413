//! PolNeAR (Political News Attribution Relations) reader: articles and their direct quotes.
//!
//! PolNeAR annotates attributions as brat standoff (`attributions/<name>_<annotator>.ann`,
//! char offsets into `text/<name>.txt`): Source, Cue and Content spans joined by `E` lines.
//! A **direct quote** is a quotation-mark-delimited segment inside a Content span; its speaker
//! mention is the attribution's Source span. Marks inside a Content span are paired here with a
//! plain left-to-right rule independent of the extractor's, so the two are not scored against
//! themselves. The corpus is read from `../shared/corpora/polnear` and never copied.

use super::{file_id, files_with_extension, SpanQuote};
use crate::article::{Article, CharIndex};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

/// One PolNeAR article with its gold direct quotes.
#[derive(Debug, Clone)]
pub struct PolnearArticle {
    pub article: Article,
    /// Direct quotes, char offsets, with `mention` = the Source span (speaker is `None`).
    pub quotes: Vec<SpanQuote>,
}

/// Reads every article of `split` (`train`, `dev`, …) under `root` (the `polnear` directory),
/// sorted by file name. When an article has several annotators' files, the first is used.
pub fn read_split(root: &Path, split: &str) -> Result<Vec<PolnearArticle>> {
    let dir = root.join(split);
    let ann_dir = dir.join("attributions");
    let text_dir = dir.join("text");
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for ann in files_with_extension(&ann_dir, "ann")? {
        let stem = file_id(&ann);
        let name = stem
            .rsplit_once('_')
            .map_or(stem.as_str(), |(n, _)| n)
            .to_string();
        if !seen.insert(name.clone()) {
            continue;
        }
        let tp = text_dir.join(format!("{name}.txt"));
        let text = std::fs::read_to_string(&tp).map_err(|e| Error::io(&tp, e))?;
        let ann_s = std::fs::read_to_string(&ann).map_err(|e| Error::io(&ann, e))?;
        let quotes = parse_ann(&name, &text, &ann_s, &ann)?;
        out.push(PolnearArticle {
            article: Article::new(name, text),
            quotes,
        });
    }
    Ok(out)
}

/// Gold direct quotes of one article from its `.ann` text.
pub fn parse_ann(id: &str, text: &str, ann: &str, origin: &Path) -> Result<Vec<SpanQuote>> {
    let idx = CharIndex::new(text);
    let nchars = idx.len_chars();
    // id → (type, fragments)
    type Spans<'a> = HashMap<&'a str, (&'a str, Vec<(usize, usize)>)>;
    let mut spans: Spans = HashMap::new();
    let mut rels: Vec<(Vec<&str>, Option<&str>)> = Vec::new();
    for (ln, line) in ann.lines().enumerate() {
        let bad = |msg: &str| Error::data(origin, ln + 1, msg);
        let mut cols = line.split('\t');
        let (Some(id), Some(mid)) = (cols.next(), cols.next()) else {
            continue;
        };
        if id.starts_with('T') {
            let (ty, offs) = mid
                .split_once(' ')
                .ok_or_else(|| bad("span without offsets"))?;
            let mut frags = Vec::new();
            for f in offs.split(';') {
                let (s, e) = f.split_once(' ').ok_or_else(|| bad("bad offsets"))?;
                let s: usize = s.trim().parse().map_err(|_| bad("bad start offset"))?;
                let e: usize = e.trim().parse().map_err(|_| bad("bad end offset"))?;
                if s > e || e > nchars {
                    return Err(bad("offset outside the text"));
                }
                frags.push((s, e));
            }
            spans.insert(id, (ty, frags));
        } else if id.starts_with('E') {
            let mut contents = Vec::new();
            let mut source = None;
            for arg in mid.split(' ') {
                if let Some((role, t)) = arg.split_once(':') {
                    if role.starts_with("Content") {
                        contents.push(t);
                    } else if role.starts_with("Source") {
                        source = Some(t);
                    }
                }
            }
            rels.push((contents, source));
        }
    }
    let mut out = Vec::new();
    for (contents, source) in rels {
        let mention = source
            .and_then(|s| spans.get(s))
            .and_then(|(_, f)| Some((f.first()?.0, f.last()?.1)));
        for c in contents {
            let Some((_, frags)) = spans.get(c) else {
                continue;
            };
            for &(s, e) in frags {
                let bs = idx.byte(s);
                let be = idx.byte(e);
                for (qs, qe) in marked_segments(&text[bs..be]) {
                    let (cs, ce) = (idx.char_of(bs + qs), idx.char_of(bs + qe));
                    if ce > cs {
                        out.push(SpanQuote {
                            article: id.to_string(),
                            start: cs,
                            end: ce,
                            speaker: None,
                            mention,
                            sieve: None,
                        });
                    }
                }
            }
        }
    }
    out.sort_by_key(|q| (q.start, q.end));
    out.dedup_by_key(|q| (q.start, q.end));
    Ok(out)
}

/// Byte ranges of the text between paired double marks in `s` (open at the start or close at
/// the end may be missing: the content span then cuts the quotation).
fn marked_segments(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    let mut first_close_seen = false;
    for (i, c) in s.char_indices() {
        let after = i + c.len_utf8();
        match c {
            '“' | '«' | '„' => open = Some(after),
            '”' | '»' => {
                match open.take() {
                    Some(o) => out.push((o, i)),
                    None if !first_close_seen && out.is_empty() => out.push((0, i)),
                    None => {}
                }
                first_close_seen = true;
            }
            '"' => match open.take() {
                Some(o) => out.push((o, i)),
                None => open = Some(after),
            },
            _ => {}
        }
    }
    if let Some(o) = open {
        if o < s.len() {
            out.push((o, s.trim_end().len().max(o)));
        }
    }
    out.retain(|&(a, b)| s[a..b].chars().any(char::is_alphanumeric));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quotes_and_sources() {
        let text = "Trump said that “ethanol people” “do a fantastic job.” Aides agreed.";
        let ann = "T1\tSource 0 5\tTrump\nT2\tCue 6 10\tsaid\nT3\tContent 11 54\tthat …\nE1\tAttribution:T9 Source:T1 Cue:T2 Content:T3\n";
        let q = parse_ann("a", text, ann, Path::new("a.ann")).unwrap();
        let chars: Vec<char> = text.chars().collect();
        let t: Vec<String> = q
            .iter()
            .map(|q| chars[q.start..q.end].iter().collect())
            .collect();
        assert_eq!(t, ["ethanol people", "do a fantastic job."]);
        assert_eq!(q[0].mention, Some((0, 5)));
        assert!(parse_ann("a", text, "T1\tSource 0 999\tx\n", Path::new("a.ann")).is_err());
    }
}
