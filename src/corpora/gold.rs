//! Real labelled news in the annotation guide's format: a folder of article texts
//! (`<id>.txt`), their gold quotes (JSON Lines with `article`, `start`, `end`, `speaker`,
//! `topics`, `sentiment`) and, optionally, a `groups.tsv` (`article<TAB>group`) that keeps
//! articles of one story together in cross-validation. The project's seeds
//! (`data/articles` + `data/gold/seeds.jsonl`) and `../shared/news-dev` are such sets.
//!
//! [`GoldSet::training_records`] turns gold quotes into training records the way the labeler
//! will see them: the quote's introducing context is the one the extractor finds for the
//! matching extracted quote, so training and labeling read the same words.
//!
//! A set's articles are read as `stance label` reads them (a folder of `.txt` files, a JSON
//! Lines file of `{"id","text"}` records, or one `.txt` file), and a labeled quote converts to
//! a gold record ([`GoldQuote::from`]): `stance label --format gold` pre-fills the guide's
//! records from the model, to be corrected by hand and trained on as a `[[gold]]` set.

use super::SpanQuote;
use crate::article::{Article, CharIndex};
use crate::dataset::Record;
use crate::error::{Error, Result};
use crate::input::{read_inputs, InputOptions};
use crate::labels::{Sentiment, Stance};
use crate::pipeline::LabeledQuote;
use crate::quotes::{match_spans, Quote, QuoteExtractor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One gold quote with its labels: a record of the annotation guide's JSON Lines (§6), whose
/// fields it writes in the guide's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldQuote {
    pub article: String,
    pub start: usize,
    pub end: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `None` (`null`): a careful reader could not tell who speaks.
    #[serde(default)]
    pub speaker: Option<String>,
    /// Under three words (guide §1); `None` when the record does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fragment: Option<bool>,
    /// Only the topics the quote is about (guide §3), with the speaker's stance on each.
    #[serde(default)]
    pub topics: BTreeMap<String, Stance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    /// 1-based line in the gold file (for messages).
    #[serde(skip)]
    pub line: usize,
}

impl From<&LabeledQuote> for GoldQuote {
    /// The model's labels as a gold record: the detected topics with their stance, the
    /// sentiment label, the speaker; probabilities are left out, as the guide's records have
    /// none.
    fn from(q: &LabeledQuote) -> Self {
        GoldQuote {
            article: q.article.clone(),
            start: q.quote.start,
            end: q.quote.end,
            text: Some(q.quote.text.clone()),
            speaker: q.quote.speaker.clone(),
            fragment: Some(q.quote.fragment),
            topics: q
                .topics
                .iter()
                .map(|(t, p)| (t.clone(), p.stance))
                .collect(),
            sentiment: q.sentiment.as_ref().map(|s| s.label),
            line: 0,
        }
    }
}

/// Reads gold quotes (records with `start`/`end`; others are skipped).
pub fn read_gold(path: &Path) -> Result<Vec<GoldQuote>> {
    let s = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (n, line) in super::numbered_records(&s) {
        let err = |msg: String| Error::data(path, n, msg);
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| err(e.to_string()))?;
        match (v.get("start").is_some(), v.get("end").is_some()) {
            (false, false) => continue,
            (true, true) => {}
            // A typo must not drop a quote from the yardstick unnoticed.
            _ => return Err(err("a gold quote needs both `start` and `end`".into())),
        }
        let mut g: GoldQuote = serde_json::from_value(v).map_err(|e| err(e.to_string()))?;
        g.line = n;
        if g.start >= g.end {
            return Err(err(format!("empty span {}..{}", g.start, g.end)));
        }
        out.push(g);
    }
    Ok(out)
}

#[derive(Deserialize)]
struct GoldLine {
    article: String,
    start: Option<usize>,
    end: Option<usize>,
    #[serde(default)]
    speaker: Option<String>,
}

/// Reads gold quotes in the annotation guide's JSON Lines format (§6). Records without
/// `start`/`end` (training-only records) are skipped; malformed lines are errors with the line.
pub fn read_gold_jsonl(path: &Path) -> Result<Vec<SpanQuote>> {
    let s = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (n, line) in super::numbered_records(&s) {
        let g: GoldLine =
            serde_json::from_str(line).map_err(|e| Error::data(path, n, e.to_string()))?;
        if let (Some(start), Some(end)) = (g.start, g.end) {
            if end < start {
                return Err(Error::data(
                    path,
                    n,
                    format!("end {end} before start {start}"),
                ));
            }
            out.push(SpanQuote {
                article: g.article,
                start,
                end,
                speaker: g.speaker.filter(|s| !s.trim().is_empty()),
                mention: None,
                sieve: None,
            });
        }
    }
    Ok(out)
}

/// A gold set's articles in the order read, as `stance label` reads its inputs: every `.txt`
/// below a folder (id = the path below it without `.txt`, `day1/story`), the `{"id","text"}`
/// records of a `.jsonl` file, or one text file (id = its stem). An article that cannot be read
/// is an error, not a skip: its gold quotes would otherwise vanish from training unnoticed.
pub fn read_articles(path: &Path) -> Result<Vec<Article>> {
    let mut arts = Vec::new();
    for item in read_inputs(&[path.to_path_buf()], &InputOptions::default()) {
        match item {
            Ok(a) => arts.push(a),
            // A folder's other files (a README, groups.tsv) are not articles.
            Err(bad) if !bad.failed => {}
            Err(bad) => {
                return Err(Error::BadInput {
                    origin: bad.origin,
                    reason: bad.reason,
                })
            }
        }
    }
    Ok(arts)
}

/// Reads `article<TAB>group` lines (a header line `article<TAB>group` is skipped).
pub fn read_groups(path: &Path) -> Result<BTreeMap<String, String>> {
    let s = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = BTreeMap::new();
    for (i, line) in s.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || (i == 0 && line.starts_with("article\t")) {
            continue;
        }
        let Some((a, g)) = line.split_once('\t') else {
            return Err(Error::data(path, i + 1, "expected `article<TAB>group`"));
        };
        out.insert(a.trim().to_string(), g.trim().to_string());
    }
    Ok(out)
}

/// A labelled set: articles, gold quotes, and the cross-validation group of every article.
#[derive(Debug, Clone)]
pub struct GoldSet {
    /// Short name, used to prefix group names (`news-dev/g01`, `seeds/000_…`).
    pub name: String,
    /// The set's articles ([`read_articles`]; a folder's sorted by file name).
    pub articles: Vec<Article>,
    pub quotes: Vec<GoldQuote>,
    /// Article id → group (prefixed with the set's name); an article missing from the groups
    /// file, or every article when there is none, is its own group.
    pub groups: BTreeMap<String, String>,
}

impl GoldSet {
    /// Loads a set. Every gold quote must point into an existing article with an in-range span
    /// (and, when it carries `text`, the span must hold that text).
    pub fn load(name: &str, articles: &Path, quotes: &Path, groups: Option<&Path>) -> Result<Self> {
        let arts = read_articles(articles)?;
        let gold = read_gold(quotes)?;
        let by_id: BTreeMap<&str, &Article> = arts.iter().map(|a| (a.id.as_str(), a)).collect();
        for g in &gold {
            let bad = |msg: String| Error::data(quotes, g.line, msg);
            let a = by_id.get(g.article.as_str()).ok_or_else(|| {
                bad(format!(
                    "article {:?} not in {}",
                    g.article,
                    articles.display()
                ))
            })?;
            let idx = CharIndex::new(&a.text);
            if g.end > idx.len_chars() {
                return Err(bad(format!(
                    "span {}..{} beyond the article's end",
                    g.start, g.end
                )));
            }
            if let Some(t) = &g.text {
                if idx.slice(&a.text, g.start, g.end) != t {
                    return Err(bad("`text` differs from the article at start..end".into()));
                }
            }
        }
        let given = match groups {
            Some(p) => read_groups(p)?,
            None => BTreeMap::new(),
        };
        if let (Some(p), Some(unknown)) = (
            groups,
            given.keys().find(|a| !by_id.contains_key(a.as_str())),
        ) {
            // A misspelt id would silently split a story across folds.
            return Err(Error::Config {
                path: p.to_path_buf(),
                msg: format!("article {unknown:?} is not in {}", articles.display()),
            });
        }
        let groups = arts
            .iter()
            .map(|a| {
                let g = given.get(&a.id).unwrap_or(&a.id);
                (a.id.clone(), format!("{name}/{g}"))
            })
            .collect();
        Ok(GoldSet {
            name: name.to_string(),
            articles: arts,
            quotes: gold,
            groups,
        })
    }

    /// The distinct groups, sorted.
    pub fn group_names(&self) -> Vec<String> {
        let mut g: Vec<String> = self.groups.values().cloned().collect();
        g.sort();
        g.dedup();
        g
    }

    /// Training records of the gold quotes of articles for which `keep(group)` holds: `text`
    /// from the article, `context` and `wide_context` from the extractor's matching quote (else
    /// the quote's paragraph), `topics` (an empty map = a negative for every topic), `sentiment`,
    /// `speaker`, and `group` set to the article's group.
    pub fn training_records(
        &self,
        extractor: &QuoteExtractor,
        keep: impl Fn(&str) -> bool,
    ) -> Vec<Record> {
        let mut out = Vec::new();
        for a in &self.articles {
            let group = &self.groups[&a.id];
            if !keep(group) {
                continue;
            }
            let golds: Vec<&GoldQuote> = self.quotes.iter().filter(|g| g.article == a.id).collect();
            if golds.is_empty() {
                continue;
            }
            let idx = CharIndex::new(&a.text);
            let found = extractor.extract(a);
            let gs: Vec<(usize, usize)> = golds.iter().map(|g| (g.start, g.end)).collect();
            let ps: Vec<(usize, usize)> = found.iter().map(|q| (q.start, q.end)).collect();
            // Gold quote → the extracted quote it matches (for its contexts).
            let contexts_of: BTreeMap<usize, &Quote> = match_spans(&gs, &ps)
                .into_iter()
                .map(|(i, j)| (i, &found[j]))
                .collect();
            for (i, g) in golds.iter().enumerate() {
                let ((cs, ce), (ws, we)) = contexts_of.get(&i).map_or_else(
                    || {
                        let p = paragraph_around(&a.text, &idx, g.start, g.end);
                        (p, p)
                    },
                    |q| (q.context, q.wide_context),
                );
                let mut r = Record::new(idx.slice(&a.text, g.start, g.end));
                r.context = Some(idx.slice(&a.text, cs, ce).to_string());
                r.wide_context = Some(idx.slice(&a.text, ws, we).to_string());
                r.lead = Some(a.lead().to_string());
                r.speaker = g.speaker.clone();
                r.topics = Some(g.topics.clone());
                r.sentiment = g.sentiment;
                r.group = Some(group.clone());
                r.extra.insert("article".into(), a.id.clone().into());
                r.extra.insert("start".into(), g.start.into());
                out.push(r);
            }
        }
        out
    }
}

/// Char span of the paragraph (text between blank-line or newline breaks) around a span.
fn paragraph_around(text: &str, idx: &CharIndex, start: usize, end: usize) -> (usize, usize) {
    let (bs, be) = (idx.byte(start), idx.byte(end));
    let ps = text[..bs].rfind('\n').map_or(0, |i| i + 1);
    let pe = text[be..].find('\n').map_or(text.len(), |i| be + i);
    (idx.char_of(ps), idx.char_of(pe))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_file_with_header() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.tsv");
        std::fs::write(&p, "article\tgroup\na1\tg1\na2\tg1\r\na3\tg2\n").unwrap();
        let g = read_groups(&p).unwrap();
        assert_eq!(g["a2"], "g1");
        assert_eq!(g.len(), 3);
        std::fs::write(&p, "a1 g1\n").unwrap();
        assert!(read_groups(&p).is_err());
    }

    #[test]
    fn training_records_take_the_extractors_context() {
        let dir = tempfile::tempdir().unwrap();
        let text =
            "Talks went on.\nLavrov said the plan was “unacceptable” for Moscow. Other news.\n";
        std::fs::write(dir.path().join("a1.txt"), text).unwrap();
        let s = text.find('u').unwrap();
        let start = text[..s].chars().count();
        let end = start + "unacceptable".len();
        std::fs::write(
            dir.path().join("gold.jsonl"),
            format!(
                "{{\"article\":\"a1\",\"start\":{start},\"end\":{end},\"text\":\"unacceptable\",\"speaker\":\"Sergey Lavrov\",\"topics\":{{\"peacekeepers\":\"against\"}},\"sentiment\":\"negative\"}}\n"
            ),
        )
        .unwrap();
        let set = GoldSet::load("t", dir.path(), &dir.path().join("gold.jsonl"), None).unwrap();
        assert_eq!(set.groups["a1"], "t/a1");
        let recs = set.training_records(&QuoteExtractor::with_defaults(), |_| true);
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].text, "unacceptable");
        let ctx = recs[0].context.as_deref().unwrap();
        assert!(ctx.contains("Lavrov said"), "{ctx}");
        assert!(!ctx.contains("Talks went on"), "{ctx}");
        assert_eq!(recs[0].group.as_deref(), Some("t/a1"));
        assert!(set
            .training_records(&QuoteExtractor::with_defaults(), |_| false)
            .is_empty());
    }

    #[test]
    fn gold_text_must_match_the_article() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a1.txt"), "He said “yes” today.").unwrap();
        std::fs::write(
            dir.path().join("gold.jsonl"),
            "{\"article\":\"a1\",\"start\":9,\"end\":12,\"text\":\"no!\"}\n",
        )
        .unwrap();
        let e = GoldSet::load("t", dir.path(), &dir.path().join("gold.jsonl"), None).unwrap_err();
        assert!(e.to_string().contains("differs"), "{e}");
    }
}
