//! A training recipe: *which* data a model learns from, with which weights, and with which
//! training parameters — one TOML file, so that the shipped model, its cross-validation and a
//! user's own model are all made the same way (`stance train --recipe FILE`,
//! `stance eval cv --recipe FILE`).
//!
//! ```toml
//! [[gold]]                      # real labelled news: articles + gold quotes (+ story groups)
//! name = "news-dev"
//! articles = "../../shared/news-dev/articles"
//! quotes = "../../shared/news-dev/gold.jsonl"
//! groups = "../../shared/news-dev/groups.tsv"
//!
//! [[statements]]                # annotated statements (guide JSONL, CSV/TSV, SemEval, …)
//! path = "../data/train/authored.jsonl"
//! weight = 0.3                  # sample weight of every record
//!
//! [[off_domain]]                # news about none of the topics: negatives for every topic
//! polnear = "../../shared/corpora/polnear"
//! split = "train"
//! max_quotes = 3000
//!
//! [train]                       # model::TrainParams (defaults for what is left out)
//! c = [1.0, 10.0]
//! ```
//!
//! Paths are relative to the recipe file. Gold sets become training records through
//! [`GoldSet::training_records`] (the extractor's context for each quote); every gold article
//! belongs to a cross-validation group (its story), and a statement with an `article` field
//! naming a gold article joins that article's group, so it is held out with it; a
//! [`CopyGuard`] built from a fold's held-out quotes keeps their copies and retellings out of
//! its training records ([`copy_guard`]). The source ranker of the attribution stage is
//! trained from a recipe's attribution data by [`ranker_train`].

pub mod copy_guard;
pub mod ranker_train;

pub use copy_guard::{word_ngrams, CopyGuard, CopyKind, DroppedCopies};

use crate::corpora::gold::GoldSet;
use crate::corpora::{self, file_id, files_with_extension, Format, ReadOptions};
use crate::dataset::Record;
use crate::error::{Error, Result};
use crate::input::input_files;
use crate::model::TrainParams;
use crate::quotes::QuoteExtractor;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::xxh3_64;

/// A real labelled news set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldSource {
    /// Prefix of the set's group names.
    pub name: String,
    /// The articles, as `stance label` reads them: a folder of `<article>.txt` (below it:
    /// `day1/story`), a `.jsonl` file of `{"id","text"}` records, or one `.txt` file.
    pub articles: PathBuf,
    /// Gold quotes (annotation-guide JSON Lines).
    pub quotes: PathBuf,
    /// `article<TAB>group` file; without it every article is its own group.
    #[serde(default)]
    pub groups: Option<PathBuf>,
    /// Sample weight of its records.
    #[serde(default = "one")]
    pub weight: f32,
}

/// A file of annotated statements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementSource {
    pub path: PathBuf,
    /// Sample weight of its records (multiplies a record's own `weight`).
    #[serde(default = "one")]
    pub weight: f32,
    /// Sample weight of its records in the topic relevance head only, in place of `weight`
    /// (also multiplies the record's own `weight`); `None` = `weight`. A source may be worth
    /// more or less to topic detection than to stance and sentiment (`docs/training.md`
    /// measures it for the authored statements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevance_weight: Option<f32>,
}

/// Quotes of off-domain news (PolNeAR layout), used as negatives for every topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffDomainSource {
    /// The PolNeAR root (with `<split>/text/*.txt`).
    pub polnear: PathBuf,
    /// Split to read (`train`; keep `dev` for measuring).
    #[serde(default = "train_split")]
    pub split: String,
    /// At most this many quotes, of whole articles (a hash of the article id picks them).
    #[serde(default = "max_quotes")]
    pub max_quotes: usize,
    /// Sample weight of its records.
    #[serde(default = "one")]
    pub weight: f32,
}

fn one() -> f32 {
    1.0
}
fn train_split() -> String {
    "train".into()
}
fn max_quotes() -> usize {
    3000
}

/// Attribution data (PolNeAR's brat layout) for the learned source ranker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributionSource {
    /// Root with `train/` (fitted) and `dev/` (tunes C).
    pub polnear: PathBuf,
    /// Solver.
    #[serde(default = "linfa")]
    pub trainer: ranker_train::Trainer,
}

fn linfa() -> ranker_train::Trainer {
    ranker_train::Trainer::LinfaLogistic
}

/// The recipe file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    #[serde(default)]
    pub gold: Vec<GoldSource>,
    #[serde(default)]
    pub statements: Vec<StatementSource>,
    #[serde(default)]
    pub off_domain: Vec<OffDomainSource>,
    #[serde(default)]
    pub train: TrainParams,
    /// Learn the attribution source ranker too.
    #[serde(default)]
    pub attribution: Option<AttributionSource>,
    /// Directory the relative paths start from (the recipe file's).
    #[serde(skip)]
    pub base: PathBuf,
}

impl Recipe {
    /// Reads and checks a recipe file.
    pub fn load(path: impl AsRef<Path>) -> Result<Recipe> {
        let path = path.as_ref();
        let s = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut r = Self::from_toml_str(&s, path)?;
        r.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if let Some(e) = &r.train.embeddings {
            r.train.embeddings = Some(r.path(e));
        }
        if let Some(a) = &mut r.attribution {
            a.polnear = if a.polnear.is_absolute() {
                a.polnear.clone()
            } else {
                r.base.join(&a.polnear)
            };
        }
        Ok(r)
    }

    /// Parses a recipe; `origin` names it in errors. Relative paths start from the current
    /// directory until `base` is set.
    pub fn from_toml_str(s: &str, origin: &Path) -> Result<Recipe> {
        let r: Recipe = toml::from_str(s).map_err(|e| Error::Config {
            path: origin.to_path_buf(),
            msg: e.to_string(),
        })?;
        r.train.validate()?;
        let bad_weight = r
            .gold
            .iter()
            .map(|g| g.weight)
            .chain(r.statements.iter().map(|s| s.weight))
            .chain(r.statements.iter().filter_map(|s| s.relevance_weight))
            .chain(r.off_domain.iter().map(|o| o.weight))
            .find(|w| !(w.is_finite() && *w >= 0.0));
        if let Some(w) = bad_weight {
            return Err(Error::Config {
                path: origin.to_path_buf(),
                msg: format!("weight {w}: weights must be finite and ≥ 0"),
            });
        }
        if r.gold.is_empty() && r.statements.is_empty() {
            return Err(Error::Config {
                path: origin.to_path_buf(),
                msg: "a recipe needs at least one [[gold]] or [[statements]] source".into(),
            });
        }
        Ok(r)
    }

    /// Trains the attribution source ranker the recipe asks for (`None` without one).
    pub fn train_ranker(
        &self,
        extractor: &QuoteExtractor,
    ) -> Result<Option<crate::speakers::Ranker>> {
        let Some(a) = &self.attribution else {
            return Ok(None);
        };
        let cfg = ranker_train::RankerTrainConfig {
            trainer: a.trainer,
            ..Default::default()
        };
        ranker_train::train_from_polnear(extractor, &a.polnear, &cfg).map(Some)
    }

    fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    /// Every file the recipe reads, in a fixed order (for the training-data hash).
    pub fn files(&self) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for g in &self.gold {
            let dir = self.path(&g.articles);
            let arts = input_files(&dir).map_err(|e| Error::io(&dir, e))?;
            out.push(self.path(&g.quotes));
            out.extend(g.groups.as_ref().map(|p| self.path(p)));
            out.extend(arts);
        }
        out.extend(self.statements.iter().map(|s| self.path(&s.path)));
        Ok(out)
    }

    /// Reads the `[[gold]]` sets only, with their sample weights.
    pub fn load_gold(&self) -> Result<Vec<(GoldSet, f32)>> {
        self.gold
            .iter()
            .map(|g| {
                let groups = g.groups.as_ref().map(|p| self.path(p));
                let set = GoldSet::load(
                    &g.name,
                    &self.path(&g.articles),
                    &self.path(&g.quotes),
                    groups.as_deref(),
                )?;
                Ok((set, g.weight))
            })
            .collect()
    }

    /// Reads every source. Fails with the path when a source is missing or malformed.
    pub fn load_data(&self, extractor: &QuoteExtractor) -> Result<RecipeData> {
        let sets = self.load_gold()?;
        let article_group: BTreeMap<String, String> = sets
            .iter()
            .flat_map(|(s, _)| s.groups.iter().map(|(a, g)| (a.clone(), g.clone())))
            .collect();
        let mut statements = Vec::new();
        for s in &self.statements {
            let p = self.path(&s.path);
            let recs = corpora::read_records(
                &p,
                &ReadOptions {
                    format: Format::Auto,
                    ..Default::default()
                },
            )?;
            for mut r in recs {
                r.relevance_weight = s.relevance_weight.map(|w| r.weight * w);
                r.weight *= s.weight;
                let article = r.extra.get("article").and_then(|v| v.as_str());
                r.group = article.and_then(|a| article_group.get(a)).cloned();
                statements.push(r);
            }
        }
        let mut off_domain = Vec::new();
        for o in &self.off_domain {
            off_domain.extend(off_domain_records(
                &self.path(&o.polnear),
                &o.split,
                o.max_quotes,
                o.weight,
                extractor,
            )?);
        }
        Ok(RecipeData {
            sets,
            statements,
            off_domain,
        })
    }
}

/// Quotes the extractor finds in a PolNeAR split, as negatives for every topic (`topics: {}`,
/// no sentiment), at most `max` of them. Whole articles, picked in the order of a hash of
/// their id (an article that would overflow `max` is passed over): topic detection looks at
/// an article's quotes together, so its off-domain rate must be measured on whole articles.
pub fn off_domain_records(
    root: &Path,
    split: &str,
    max: usize,
    weight: f32,
    extractor: &QuoteExtractor,
) -> Result<Vec<Record>> {
    let text_dir = root.join(split).join("text");
    let mut articles: Vec<(u64, Vec<Record>)> = Vec::new();
    for p in files_with_extension(&text_dir, "txt")? {
        let id = file_id(&p);
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
        let article = crate::Article::new(id.clone(), text);
        let idx = crate::article::CharIndex::new(&article.text);
        let mut recs = Vec::new();
        for q in extractor.extract(&article) {
            let mut r = Record::new(q.text.clone());
            r.context = Some(
                idx.slice(&article.text, q.context.0, q.context.1)
                    .to_string(),
            );
            r.wide_context = Some(
                idx.slice(&article.text, q.wide_context.0, q.wide_context.1)
                    .to_string(),
            );
            r.lead = Some(article.lead().to_string());
            r.topics = Some(BTreeMap::new());
            r.weight = weight;
            r.group = Some(format!("off-domain/{id}"));
            r.extra.insert("source".into(), "off-domain".into());
            r.extra.insert("article".into(), id.clone().into());
            r.extra.insert("start".into(), q.start.into());
            recs.push(r);
        }
        articles.push((xxh3_64(id.as_bytes()), recs));
    }
    articles.sort_by_key(|(k, _)| *k);
    let mut out = Vec::new();
    for (_, recs) in articles {
        if out.len() + recs.len() <= max {
            out.extend(recs);
        }
    }
    Ok(out)
}

/// Everything a recipe reads, loaded.
#[derive(Debug, Clone)]
pub struct RecipeData {
    /// Gold sets with their sample weights.
    pub sets: Vec<(GoldSet, f32)>,
    /// Statements, weighted, with their group when they belong to a gold article.
    pub statements: Vec<Record>,
    /// Off-domain negatives.
    pub off_domain: Vec<Record>,
}

impl RecipeData {
    /// Cross-validation groups of the gold sets, sorted.
    pub fn groups(&self) -> Vec<String> {
        let mut g: Vec<String> = self
            .sets
            .iter()
            .flat_map(|(s, _)| s.group_names())
            .collect();
        g.sort();
        g.dedup();
        g
    }

    /// Number of gold quotes per group.
    pub fn quotes_per_group(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (s, _) in &self.sets {
            for q in &s.quotes {
                *out.entry(s.groups[&q.article].clone()).or_insert(0) += 1;
            }
        }
        out
    }

    /// The training records: gold quotes of groups `keep` accepts, statements (those tied to
    /// a gold article only when its group is kept) and off-domain negatives. With a `guard`
    /// (built from the held-out quotes, in cross-validation), the records it finds to be copies
    /// of a held-out quote are left out ([`CopyGuard::check`]): the same quote reported by
    /// several outlets, or a statement written from it, must not be in training and test at
    /// once. Returns the records and how many were left out as exact and as near copies.
    pub fn training_records(
        &self,
        extractor: &QuoteExtractor,
        keep: impl Fn(&str) -> bool + Copy,
        guard: Option<&CopyGuard>,
    ) -> (Vec<Record>, DroppedCopies) {
        let mut out = Vec::new();
        for (s, w) in &self.sets {
            for mut r in s.training_records(extractor, keep) {
                r.weight *= w;
                out.push(r);
            }
        }
        out.extend(
            self.statements
                .iter()
                .filter(|r| r.group.as_deref().is_none_or(keep))
                .cloned(),
        );
        out.extend(self.off_domain.iter().cloned());
        let mut dropped = DroppedCopies::default();
        let Some(guard) = guard else {
            return (out, dropped);
        };
        let copies: Vec<Option<CopyKind>> = out.par_iter().map(|r| guard.check(r)).collect();
        let mut copies = copies.into_iter();
        out.retain(|_| match copies.next().flatten() {
            None => true,
            Some(CopyKind::Exact) => {
                dropped.exact += 1;
                false
            }
            Some(CopyKind::Near) => {
                dropped.near += 1;
                false
            }
        });
        (out, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_bad_weights_are_refused() {
        let e = Recipe::from_toml_str("[[statements]]\npath = \"x\"\nwieght = 1\n", Path::new("r"))
            .unwrap_err();
        assert!(e.to_string().contains("wieght"), "{e}");
        let e = Recipe::from_toml_str(
            "[[statements]]\npath = \"x\"\nweight = -1\n",
            Path::new("r"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("weight"), "{e}");
        let e = Recipe::from_toml_str("", Path::new("r")).unwrap_err();
        assert!(e.to_string().contains("at least one"), "{e}");
        let r = Recipe::from_toml_str(
            "[[statements]]\npath = \"x\"\n[train]\nc = [3.0]\n",
            Path::new("r"),
        )
        .unwrap();
        assert_eq!(r.train.c, vec![3.0]);
        assert_eq!(r.train.max_iter, TrainParams::default().max_iter);
    }
}
