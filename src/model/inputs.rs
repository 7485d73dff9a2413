//! What each head reads: a statement (quote + introducing context) becomes a few feature
//! **parts**, and every head reads a fixed concatenation of parts — its [`HeadInputs`].
//!
//! | part | width | what |
//! |---|---|---|
//! | `text` | `nf` | n-gram TF-IDF of the quoted words |
//! | `context` | `nf` | n-gram TF-IDF of the introducing sentence |
//! | `text_unigrams`, `context_unigrams` | `nf` | `text`, `context` without the word n-grams longer than one word (the same columns; L2-normalised over what is left): single words generalise better to unseen news for topics and stance, while sentiment keeps its bigrams ("not bad") |
//! | `wide_context` | `nf` | n-gram TF-IDF of the introducing sentence and the one before the quote's (= `context` when the statement has no wider context) |
//! | `lexicon` | `3·T` | per topic: keyword hit in the quote (0/1), hit only in the context (0/1), `ln(1 + hits)/2` |
//! | `lead_lexicon` | `T` | per topic: keyword hit in the article's lead (0/1) |
//! | `wide_lexicon` | `T` | per topic: keyword hit in the sentence before the quote's (the wide context without the context; 0/1): a fragment's topic is often named only there |
//! | `lead` | `nf` | n-gram TF-IDF of the article's lead (`Article::lead`: headline and the first ~300 chars) |
//! | `embed_text`, `embed_context`, `embed_wide_context`, `embed_lead` | `d` | mean of pretrained word vectors (the model's embeddings table), L2-normalised |
//! | `valence` | 16 | VADER and Pattern valence of the quote with negation, boosters, "but" ([`crate::features::valence`]) |
//! | `sentiment_text` | `nf` | the quote with a sentiment target wrapped in marker tokens (= `text` without a target) |
//! | `left`, `right` | `nf` | the quote's words left / right of the sentiment target (empty without one) |
//!
//! The lexicon part turns the topic configuration's keywords into *evidence* the relevance
//! head weighs against everything else (so a quote that names NATO while arguing about troops
//! can still be `peacekeepers` only), instead of a rule that decides. The topic configuration
//! used at training time is saved with the model, so the part means the same at labeling time.

use crate::features::{
    joins_cleanly, CasedTokens, Embeddings, FeatureCounts, LowerTokens, Pooling, SparseRow,
    TokenizerKind, Valence, Vectorizer, VALENCE_FEATURES, VALENCE_FEATURE_NAMES,
};
use crate::topics::{LexiconHits, TopicConfig, TopicLexicon};
use serde::{Deserialize, Serialize};
use sprs::CsMat;
use std::sync::Arc;

/// One part of a statement's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Text,
    Context,
    Lexicon,
    SentimentText,
    Left,
    Right,
    Lead,
    EmbedText,
    EmbedContext,
    EmbedLead,
    Valence,
    LeadLexicon,
    WideContext,
    EmbedWideContext,
    TextUnigrams,
    ContextUnigrams,
    EmbedTextSif,
    WideLexicon,
}

/// Number of parts.
const N_PARTS: usize = 18;

/// Lexicon columns per topic.
const LEXICON_SLOTS: usize = 3;

impl Part {
    /// The part's name as recipes and manifests spell it (`embed_text`).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Every part, in storage order.
    pub const ALL: [Part; N_PARTS] = [
        Part::Text,
        Part::Context,
        Part::Lexicon,
        Part::SentimentText,
        Part::Left,
        Part::Right,
        Part::Lead,
        Part::EmbedText,
        Part::EmbedContext,
        Part::EmbedLead,
        Part::Valence,
        Part::LeadLexicon,
        Part::WideContext,
        Part::EmbedWideContext,
        Part::TextUnigrams,
        Part::ContextUnigrams,
        Part::EmbedTextSif,
        Part::WideLexicon,
    ];

    /// Index into per-part arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Prefix of its feature names in explanations.
    pub fn prefix(self) -> &'static str {
        match self {
            Part::Text | Part::SentimentText | Part::TextUnigrams => "",
            Part::Context | Part::ContextUnigrams => "ctx ",
            Part::WideContext => "wide ",
            Part::Lexicon => "",
            Part::Left => "left ",
            Part::Right => "right ",
            Part::Lead => "lead ",
            Part::EmbedText => "emb ",
            Part::EmbedTextSif => "sif emb ",
            Part::EmbedContext => "ctx emb ",
            Part::EmbedWideContext => "wide emb ",
            Part::EmbedLead => "lead emb ",
            Part::Valence => "valence:",
            Part::LeadLexicon | Part::WideLexicon => "",
        }
    }

    /// Whether the part is a dense vector (every column set).
    pub fn is_dense(self) -> bool {
        self.is_embedding() || self == Part::Valence
    }

    /// Whether the part counts the topic lexicon's keywords (it needs the model's lexicon).
    pub fn is_lexicon(self) -> bool {
        matches!(self, Part::Lexicon | Part::LeadLexicon | Part::WideLexicon)
    }

    /// Whether the part is pooled word vectors (it needs the model's embeddings table).
    pub fn is_embedding(self) -> bool {
        matches!(
            self,
            Part::EmbedText
                | Part::EmbedTextSif
                | Part::EmbedContext
                | Part::EmbedWideContext
                | Part::EmbedLead
        )
    }
}

/// The parts a head reads, in order, with the offset of each in the head's input space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadInputs {
    pub parts: Vec<Part>,
    /// Offset of each part (same order as `parts`).
    pub offsets: Vec<usize>,
    /// Total width.
    pub width: usize,
}

impl HeadInputs {
    /// Lays out `parts` with the widths `featurizer` gives them.
    pub fn new(parts: &[Part], featurizer: &Featurizer) -> HeadInputs {
        let mut offsets = Vec::with_capacity(parts.len());
        let mut at = 0;
        for &p in parts {
            offsets.push(at);
            at += featurizer.width(p);
        }
        HeadInputs {
            parts: parts.to_vec(),
            offsets,
            width: at,
        }
    }

    /// The part and the column inside it of input column `col`.
    pub fn locate(&self, col: usize) -> Option<(Part, usize)> {
        let i = self.offsets.iter().rposition(|&o| o <= col)?;
        Some((self.parts[i], col - self.offsets[i]))
    }
}

/// Every part of one statement (rows of unused parts stay empty).
#[derive(Debug, Clone, Default)]
pub struct PartRows {
    pub rows: [SparseRow; N_PARTS],
}

impl PartRows {
    /// The row of part `p`.
    pub fn get(&self, p: Part) -> &SparseRow {
        &self.rows[p.index()]
    }

    pub(crate) fn clear(&mut self, p: Part) {
        let r = &mut self.rows[p.index()];
        r.indices.clear();
        r.values.clear();
    }
}

/// Turns statements into [`PartRows`]: the fitted vectorizer plus the topic lexicon.
#[derive(Debug, Clone)]
pub struct Featurizer {
    pub vectorizer: Vectorizer,
    /// Topic lexicon (absent when no head reads `lexicon`) and, for each of its topics, the
    /// model's topic index.
    lexicon: Option<(TopicLexicon, Vec<usize>)>,
    n_topics: usize,
    /// Names this featurizer's lexicon in the per-thread caches of sentence counts (a clone
    /// shares it: its lexicon is the same).
    lexicon_id: u64,
    /// Pretrained word vectors (absent when no head reads an `embed_*` part).
    embeddings: Option<Arc<Embeddings>>,
    /// Valence scorer (absent when no head reads `valence`).
    valence: Option<Arc<Valence>>,
}

/// The statement featurized just before the next one ([`Featurizer::featurize_after`]),
/// with the same parts, and its rows.
#[derive(Debug, Clone, Copy)]
pub struct Previous<'a> {
    pub context: &'a str,
    pub wide_context: &'a str,
    pub rows: &'a PartRows,
}

/// One statement to featurize: quote, context and an optional sentiment target (byte span
/// into `text`, already validated).
#[derive(Debug, Clone, Copy)]
pub struct StatementText<'a> {
    pub text: &'a str,
    pub context: &'a str,
    /// The context widened to the sentence before the quote's (`context` when unknown).
    pub wide_context: &'a str,
    /// The article's lead ("" when unknown).
    pub lead: &'a str,
    /// (marked text, byte start, byte end) of the sentiment target.
    pub target: Option<(&'a str, usize, usize)>,
}

impl Featurizer {
    /// A featurizer over `topics` (in the model's order) with the lexicon of `config` (its
    /// topics are reordered to `topics`; topics it lacks get no cues).
    pub fn new(vectorizer: Vectorizer, topics: &[String], config: Option<&TopicConfig>) -> Self {
        let lexicon = config.map(|c| {
            let known = TopicConfig {
                topics: c
                    .topics
                    .iter()
                    .filter(|x| topics.contains(&x.id))
                    .cloned()
                    .collect(),
            };
            let lex = TopicLexicon::new(&known);
            let to_model = lex
                .ids()
                .iter()
                .map(|id| {
                    topics
                        .iter()
                        .position(|t| t == id)
                        .expect("filtered to the model's topics")
                })
                .collect();
            (lex, to_model)
        });
        Featurizer {
            vectorizer,
            lexicon,
            n_topics: topics.len(),
            lexicon_id: next_lexicon_id(),
            embeddings: None,
            valence: None,
        }
    }

    /// Adds pretrained word vectors (for the `embed_*` parts).
    pub fn with_embeddings(mut self, e: Option<Arc<Embeddings>>) -> Self {
        self.embeddings = e;
        self
    }

    /// Adds the valence scorer (for the `valence` part).
    pub fn with_valence(mut self, v: Option<Arc<Valence>>) -> Self {
        self.valence = v;
        self
    }

    /// The embeddings table, if any.
    pub fn embeddings(&self) -> Option<&Embeddings> {
        self.embeddings.as_deref()
    }

    /// Width of a part.
    pub fn width(&self, p: Part) -> usize {
        match p {
            Part::Lexicon => LEXICON_SLOTS * self.n_topics,
            Part::LeadLexicon | Part::WideLexicon => self.n_topics,
            p if p.is_embedding() => self.embeddings.as_ref().map_or(0, |e| e.dim()),
            Part::Valence => VALENCE_FEATURES,
            _ => self.vectorizer.n_features(),
        }
    }

    /// Whether the featurizer can produce `p`.
    pub fn supports(&self, p: Part) -> bool {
        self.missing_for(p).is_none()
    }

    /// Why the featurizer cannot produce `p` (a phrase for error messages), or `None`.
    pub fn missing_for(&self, p: Part) -> Option<&'static str> {
        let lacks = |absent: bool, what| absent.then_some(what);
        match p {
            p if p.is_lexicon() => lacks(self.lexicon.is_none(), "the model has no topic lexicon"),
            // SIF pooling needs the table's per-word weights.
            Part::EmbedTextSif if self.embeddings.as_ref().is_some_and(|e| !e.has_weights()) => {
                Some("its embeddings table has no per-word weights")
            }
            p if p.is_embedding() => lacks(
                self.embeddings.is_none(),
                "the model has no embeddings table",
            ),
            Part::Valence => lacks(
                self.valence.is_none(),
                "the model has no valence lexicon checksum",
            ),
            _ => None,
        }
    }

    /// Name of column `j` of part `p`.
    pub fn feature_name(&self, p: Part, j: usize, topics: &[String]) -> String {
        match p {
            Part::Lexicon => {
                let kind = ["in quote", "only in context", "hits"][j % LEXICON_SLOTS];
                format!(
                    "lexicon:{} {kind}",
                    topics
                        .get(j / LEXICON_SLOTS)
                        .map(String::as_str)
                        .unwrap_or("?")
                )
            }
            Part::WideLexicon => format!(
                "lexicon:{} in the sentence before",
                topics.get(j).map(String::as_str).unwrap_or("?")
            ),
            Part::LeadLexicon => format!(
                "lexicon:{} in lead",
                topics.get(j).map(String::as_str).unwrap_or("?")
            ),
            p if p.is_embedding() => format!("{}{j}", p.prefix()),
            Part::Valence => format!(
                "{}{}",
                p.prefix(),
                VALENCE_FEATURE_NAMES.get(j).copied().unwrap_or("?")
            ),
            _ => format!("{}{}", p.prefix(), self.vectorizer.feature_name(j)),
        }
    }

    /// Computes the parts in `needed` for one statement into `out`.
    ///
    /// Each of the quote, the context and the lead is tokenized once (the lowercasing fast
    /// tokenizer, plus the case-preserving one for the quote's valence, which usually
    /// serves for both), and every part of that text reads those tokens: pass all the parts
    /// in one call. The rows are exactly those of each part's own string-based path
    /// (`Vectorizer::transform_one`, `TopicLexicon::count`, `Embeddings::pool_into`,
    /// `Valence::features_into`), which the unit tests check.
    pub fn featurize(&self, s: StatementText<'_>, needed: &[Part], out: &mut PartRows) {
        self.featurize_after(s, needed, out, None)
    }

    /// [`Self::featurize`] for the statement after `prev`, a statement this featurizer
    /// featurized with the same `needed` parts. When the contexts are equal (quotes of one
    /// sentence: about a quarter of news quotes), the parts that read only the context are
    /// copied from `prev` instead of computed again; likewise for the wide context.
    pub fn featurize_after(
        &self,
        s: StatementText<'_>,
        needed: &[Part],
        out: &mut PartRows,
        prev: Option<Previous<'_>>,
    ) {
        SCRATCH.with(|sc| match sc.try_borrow_mut() {
            Ok(mut sc) => self.featurize_with(s, needed, out, &mut sc, prev),
            // Only reachable on re-entrant use; fresh buffers are correct, just slower.
            Err(_) => self.featurize_with(s, needed, out, &mut Scratch::default(), prev),
        })
    }

    fn featurize_with(
        &self,
        s: StatementText<'_>,
        needed: &[Part],
        out: &mut PartRows,
        sc: &mut Scratch,
        prev: Option<Previous<'_>>,
    ) {
        let same_context = prev.filter(|p| p.context == s.context).map(|p| p.rows);
        let same_wide = prev
            .filter(|p| p.wide_context == s.wide_context)
            .map(|p| p.rows);
        let has = |p: Part| needed.contains(&p) && self.supports(p);
        // The vectorizer can read the shared tokens only when it tokenizes the same way.
        let vec_shares = self.vectorizer.config().tokenizer == SHARED_TOKENIZER;
        // Without a target the sentiment text is the text: vectorize it once.
        let sentiment_is_text = s.target.is_none() && has(Part::Text);
        let valence = has(Part::Valence);
        let text_read = valence
            || has(Part::Lexicon)
            || has(Part::EmbedText)
            || has(Part::EmbedTextSif)
            || (vec_shares
                && (has(Part::Text)
                    || has(Part::TextUnigrams)
                    || (has(Part::SentimentText) && s.target.is_none())));
        // With `same_context`, only the lexicon part still reads the context's tokens.
        let context_read = has(Part::Lexicon)
            || (same_context.is_none()
                && (has(Part::EmbedContext)
                    || (vec_shares && (has(Part::Context) || has(Part::ContextUnigrams)))));
        let wide_read = same_wide.is_none()
            && (has(Part::EmbedWideContext) || (vec_shares && has(Part::WideContext)));
        // The wide context ends with the context, after a space as a rule: its tokens are then
        // the earlier sentence's followed by the context's, and its n-gram counts the earlier
        // sentence's (with the n-grams across the join) plus the context's. Only the earlier
        // sentence is read again.
        let wide_prefix = s
            .wide_context
            .strip_suffix(s.context)
            .filter(|p| wide_read && !s.context.is_empty() && joins_cleanly(p));
        let context_read = context_read || wide_prefix.is_some();
        let lead_read =
            has(Part::LeadLexicon) || has(Part::EmbedLead) || (vec_shares && has(Part::Lead));
        if text_read {
            sc.text.tokenize(s.text, valence);
        }
        // The tokens are a function of the text alone: a context equal to the last one
        // tokenized (the next quote of the same sentence) keeps its tokens.
        if context_read && !(sc.context_valid && sc.context_src == s.context) {
            sc.context.tokenize(s.context, false);
            sc.context_counts.clear();
            sc.context_src.clear();
            sc.context_src.push_str(s.context);
            sc.context_valid = true;
        }
        // Quotes of one paragraph often share the wide context: keep its tokens too.
        if wide_read && !(sc.wide_valid && sc.wide_src == s.wide_context) {
            match wide_prefix {
                Some(prefix) => sc.wide.tokenize_before(prefix, sc.context.lower()),
                None => sc.wide.tokenize(s.wide_context, false),
            }
            sc.wide_src.clear();
            sc.wide_src.push_str(s.wide_context);
            sc.wide_valid = true;
        }
        if lead_read {
            sc.lead.tokenize(s.lead, false);
        }
        // The context's n-gram counts, kept for its row and the wide context's.
        let kept_counts = vec_shares && wide_prefix.is_some() && has(Part::WideContext);
        if kept_counts && !sc.context_counts.is_of(&self.vectorizer) {
            self.vectorizer
                .count_tokens(sc.context.lower().tokens(), &mut sc.context_counts);
        }
        let vectorize = |text: &str, tokens: &TextTokens, row: &mut SparseRow| {
            if vec_shares {
                self.vectorizer
                    .transform_tokens(tokens.lower().tokens(), row)
            } else {
                self.vectorizer.transform_one(text, row)
            }
        };
        let unigrams = |text: &str, tokens: &TextTokens, row: &mut SparseRow| {
            if vec_shares {
                self.vectorizer
                    .transform_tokens_upto(tokens.lower().tokens(), 1, row)
            } else {
                self.vectorizer.transform_one_upto(text, 1, row)
            }
        };
        // The quote read with and without its bigrams (`text` for sentiment and stance,
        // `text_unigrams` for relevance) is counted once for both rows. (A context's two rows
        // are asked for in different calls: `context` only for quotes with a topic.)
        let text_pair = vec_shares && has(Part::Text) && has(Part::TextUnigrams);
        if text_pair {
            let (a, b) = out.rows.split_at_mut(Part::TextUnigrams.index());
            self.vectorizer.transform_tokens_and_upto(
                sc.text.lower().tokens(),
                1,
                &mut a[Part::Text.index()],
                &mut b[0],
            );
        }
        for &p in needed {
            if text_pair && matches!(p, Part::Text | Part::TextUnigrams) {
                continue;
            }
            out.clear(p);
            let row = &mut out.rows[p.index()];
            match p {
                Part::Text => vectorize(s.text, &sc.text, row),
                Part::TextUnigrams => unigrams(s.text, &sc.text, row),
                Part::ContextUnigrams => {
                    if let Some(prev) = same_context {
                        copy_row(prev.get(p), row);
                    } else if !s.context.is_empty() {
                        unigrams(s.context, &sc.context, row)
                    }
                }
                Part::Context => {
                    if let Some(prev) = same_context {
                        copy_row(prev.get(p), row);
                    } else if s.context.is_empty() {
                        // No text, an empty row.
                    } else if kept_counts {
                        self.vectorizer.transform_counts(&sc.context_counts, row)
                    } else {
                        vectorize(s.context, &sc.context, row)
                    }
                }
                Part::WideContext => {
                    if let Some(prev) = same_wide {
                        copy_row(prev.get(p), row);
                    } else if s.wide_context.is_empty() {
                        // No text, an empty row.
                    } else if kept_counts {
                        let context = sc.context.lower().tokens();
                        let wide = sc.wide.lower().tokens();
                        self.vectorizer.transform_tokens_before(
                            wide,
                            wide.len().saturating_sub(context.len()),
                            &sc.context_counts,
                            row,
                        )
                    } else {
                        vectorize(s.wide_context, &sc.wide, row)
                    }
                }
                Part::SentimentText => match s.target {
                    Some((marked, _, _)) => self.vectorizer.transform_one(marked, row),
                    // Copied from the text's row below.
                    None if sentiment_is_text => {}
                    None => vectorize(s.text, &sc.text, row),
                },
                Part::Left => {
                    if let Some((_, b, _)) = s.target {
                        self.vectorizer.transform_one(&s.text[..b], row)
                    }
                }
                Part::Right => {
                    if let Some((_, _, e)) = s.target {
                        self.vectorizer.transform_one(&s.text[e..], row)
                    }
                }
                Part::Lexicon => {
                    if let Some((lex, to_model)) = &self.lexicon {
                        let owner = self.lexicon_id;
                        // Quotes of one sentence share its counts; the outgoing sentence's
                        // are kept, as the next quote's sentence before is often it.
                        if !sc.context_hits.holds(owner, s.context) {
                            if sc.context_hits.owner == owner {
                                std::mem::swap(&mut sc.context_hits, &mut sc.prev_context_hits);
                            }
                            sc.context_hits
                                .fill(owner, s.context, lex, sc.context.lower());
                        }
                        let quote = sc.text.lower();
                        let context = &sc.context_hits.counts;
                        lexicon_row(lex, to_model, quote, context, &mut sc.lexicon, row)
                    }
                }
                Part::Lead => {
                    if !s.lead.is_empty() {
                        vectorize(s.lead, &sc.lead, row)
                    }
                }
                Part::WideLexicon => {
                    // The earlier sentence: the wide context ends with the context (else none).
                    let earlier = s.wide_context.strip_suffix(s.context).unwrap_or("").trim();
                    if let (Some((lex, to_model)), false) = (&self.lexicon, earlier.is_empty()) {
                        // It is often the previous quote's sentence, or the previous quote's
                        // sentence before (quotes of one sentence): count it only when not.
                        let owner = self.lexicon_id;
                        let counts = if sc.prev_context_hits.holds(owner, earlier) {
                            &sc.prev_context_hits.counts
                        } else {
                            if !sc.earlier_hits.holds(owner, earlier) {
                                sc.earlier.tokenize(earlier, false);
                                sc.earlier_hits
                                    .fill(owner, earlier, lex, sc.earlier.lower());
                            }
                            &sc.earlier_hits.counts
                        };
                        topic_hit_row(to_model, counts, row);
                    }
                }
                Part::LeadLexicon => {
                    if let (Some((lex, to_model)), false) = (&self.lexicon, s.lead.is_empty()) {
                        let LexiconBufs { quote: hits, .. } = &mut sc.lexicon;
                        count_hits(lex, sc.lead.lower(), hits);
                        topic_hit_row(to_model, hits, row);
                    }
                }
                Part::EmbedContext if same_context.is_some() => {
                    if let Some(prev) = same_context {
                        copy_row(prev.get(p), row);
                    }
                }
                Part::EmbedWideContext if same_wide.is_some() => {
                    if let Some(prev) = same_wide {
                        copy_row(prev.get(p), row);
                    }
                }
                Part::EmbedText | Part::EmbedContext | Part::EmbedWideContext | Part::EmbedLead => {
                    if let Some(e) = &self.embeddings {
                        let tokens = match p {
                            Part::EmbedText => &sc.text,
                            Part::EmbedContext => &sc.context,
                            Part::EmbedWideContext => &sc.wide,
                            _ => &sc.lead,
                        };
                        dense_row(row, e.dim(), |out| {
                            // A pooling error means the buffer has the wrong size, which
                            // `dense_row` rules out; an unknown text pools to zeros.
                            let _ = e.pool_lower_into(tokens.lower(), out);
                        });
                    }
                }
                Part::EmbedTextSif => {
                    if let Some(e) = &self.embeddings {
                        dense_row(row, e.dim(), |out| {
                            // `supports` checked the table's weights; an unknown text pools
                            // to zeros.
                            let _ = e.pool_lower_with_into(Pooling::Sif, sc.text.lower(), out);
                        });
                    }
                }
                Part::Valence => {
                    if let Some(v) = &self.valence {
                        dense_row(row, VALENCE_FEATURES, |out| {
                            let _ = v.features_tokens_into(s.text, &sc.text.cased, out);
                        });
                    }
                }
            }
        }
        if sentiment_is_text && needed.contains(&Part::SentimentText) {
            let (a, b) = out.rows.split_at_mut(Part::SentimentText.index());
            let (text, sent) = (&a[Part::Text.index()], &mut b[0]);
            sent.indices.clone_from(&text.indices);
            sent.values.clone_from(&text.values);
        }
    }

    /// Every statement's rows of part `p`, as a CSR matrix (rows in input order).
    pub fn matrix(&self, statements: &[StatementText<'_>], p: Part) -> CsMat<f32> {
        use rayon::prelude::*;
        let rows: Vec<SparseRow> = statements
            .par_iter()
            .map_init(PartRows::default, |buf, s| {
                self.featurize(*s, &[p], buf);
                buf.rows[p.index()].clone()
            })
            .collect();
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        let mut indices = Vec::new();
        let mut data = Vec::new();
        indptr.push(0);
        for r in rows {
            indices.extend(r.indices.iter().map(|&j| j as usize));
            data.extend(r.values);
            indptr.push(indices.len());
        }
        CsMat::new((indptr.len() - 1, self.width(p)), indptr, indices, data)
    }
}

/// `row` := `from` (buffers reused).
fn copy_row(from: &SparseRow, row: &mut SparseRow) {
    row.indices.clone_from(&from.indices);
    row.values.clone_from(&from.values);
}

/// Fills `row` with a dense vector of `d` values computed by `fill` (zeros are skipped, so
/// the row stays a valid sparse row).
fn dense_row(row: &mut SparseRow, d: usize, fill: impl FnOnce(&mut [f32])) {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        b.resize(d, 0.0);
        fill(&mut b);
        push_dense(row, &b);
    });
}

/// Appends the nonzero finite values of `v` to `row` (an empty row: columns from 0).
fn push_dense(row: &mut SparseRow, v: &[f32]) {
    // Pooled vectors rarely hold a zero: then the row is the whole vector, copied in bulk.
    // (`fold` rather than `all`: no early exit, so the check runs 8 lanes at a time.)
    if v.iter()
        .fold(true, |ok, x| ok & (*x != 0.0) & x.is_finite())
    {
        row.indices.extend(0..v.len() as u32);
        row.values.extend_from_slice(v);
        return;
    }
    for (j, &x) in v.iter().enumerate() {
        if x != 0.0 && x.is_finite() {
            row.indices.push(j as u32);
            row.values.push(x);
        }
    }
}

/// The lexicon's counts per topic (in its order) in `tokens`, into `out`.
fn count_hits(lex: &TopicLexicon, tokens: &LowerTokens, out: &mut Vec<u32>) {
    out.clear();
    out.resize(lex.ids().len(), 0);
    lex.count_tokens(tokens, out);
}

/// One column per topic, 1 where the topic's keywords occur (`hits`: the lexicon's counts
/// per topic; the `lead_lexicon` and `wide_lexicon` parts).
fn topic_hit_row(to_model: &[usize], hits: &[u32], row: &mut SparseRow) {
    // Lexicon topics are in configuration order, columns in the model's: sorted after
    // mapping, as sparse rows need.
    let from = row.indices.len();
    row.indices.extend(
        hits.iter()
            .zip(to_model)
            .filter(|(h, _)| **h > 0)
            .map(|(_, &t)| t as u32),
    );
    row.indices[from..].sort_unstable();
    row.values.resize(row.indices.len(), 1.0);
}

/// The lexicon part: per topic, a hit in the quote, a hit only in the context, and
/// `ln(1 + all hits) / 2` (as [`TopicLexicon::hits`] counts them). `context`: the lexicon's
/// counts per topic in the context.
fn lexicon_row(
    lex: &TopicLexicon,
    to_model: &[usize],
    quote: &LowerTokens,
    context: &[u32],
    bufs: &mut LexiconBufs,
    row: &mut SparseRow,
) {
    let LexiconBufs { quote: q, cells } = bufs;
    count_hits(lex, quote, q);
    cells.clear();
    for ((&quote, &context), &t) in q.iter().zip(context).zip(to_model) {
        let LexiconHits {
            in_quote,
            in_context,
        } = LexiconHits::from_counts(quote, context);
        let base = (LEXICON_SLOTS * t) as u32;
        if in_quote > 0 {
            cells.push((base, 1.0));
        }
        if in_quote == 0 && in_context > 0 {
            cells.push((base + 1, 1.0));
        }
        let all = in_quote + in_context;
        if all > 0 {
            cells.push((base + 2, (1.0 + all as f32).ln() / 2.0));
        }
    }
    // Sparse rows keep their columns sorted.
    cells.sort_by_key(|c| c.0);
    for &(j, v) in cells.iter() {
        row.indices.push(j);
        row.values.push(v);
    }
}

/// The tokenizer whose tokens every part can share: the lexicon's and the embeddings'
/// (always), and the vectorizer's when it is this one (the default).
const SHARED_TOKENIZER: TokenizerKind = TokenizerKind::Fast { lowercase: true };

/// One text's tokens for all its parts.
#[derive(Default)]
struct TextTokens {
    /// Case-preserving tokens (only when the valence part reads the text).
    cased: CasedTokens,
    /// The lowercase tokens, unless `cased` holds them.
    lower: LowerTokens,
    lower_in_cased: bool,
}

impl TextTokens {
    /// Tokenizes `text`; with `cased`, also keeps the case-preserving tokens, and one pass
    /// gives both unless lowercasing changes a token boundary.
    fn tokenize(&mut self, text: &str, cased: bool) {
        self.lower_in_cased = false;
        if cased {
            self.cased.tokenize(text);
            self.lower_in_cased = self.cased.as_lowercase().is_some();
        }
        if !self.lower_in_cased {
            self.lower.tokenize(text);
        }
    }

    /// The lowercase tokens of `prefix` followed by `rest` ([`LowerTokens::tokenize_before`]).
    fn tokenize_before(&mut self, prefix: &str, rest: &LowerTokens) {
        self.lower_in_cased = false;
        self.lower.tokenize_before(prefix, rest);
    }

    /// The lowercase tokens ([`LowerTokens::tokenize`] of the text).
    fn lower(&self) -> &LowerTokens {
        if self.lower_in_cased {
            self.cased.lower()
        } else {
            &self.lower
        }
    }
}

/// The lexicon part's counts per topic in the quote, and its cells.
#[derive(Default)]
struct LexiconBufs {
    quote: Vec<u32>,
    cells: Vec<(u32, f32)>,
}

static NEXT_LEXICON_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_lexicon_id() -> u64 {
    NEXT_LEXICON_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A sentence's lexicon counts per topic: for the text `src` (trimmed: whitespace is never a
/// token) under the lexicon of the featurizer `owner` (0: none yet).
#[derive(Default)]
struct SentenceHits {
    owner: u64,
    src: String,
    counts: Vec<u32>,
}

impl SentenceHits {
    fn holds(&self, owner: u64, text: &str) -> bool {
        self.owner == owner && self.src == text.trim()
    }

    /// Counts `text`, whose tokens are `tokens`.
    fn fill(&mut self, owner: u64, text: &str, lex: &TopicLexicon, tokens: &LowerTokens) {
        self.owner = owner;
        self.src.clear();
        self.src.push_str(text.trim());
        count_hits(lex, tokens, &mut self.counts);
    }
}

/// Per-thread buffers of [`Featurizer::featurize`] (no allocation per statement once grown).
#[derive(Default)]
struct Scratch {
    text: TextTokens,
    context: TextTokens,
    /// The text `context` holds the tokens of (when `context_valid`).
    context_src: String,
    context_valid: bool,
    /// The context's n-gram counts (for the tokens in `context`), when the wide context
    /// reuses them.
    context_counts: FeatureCounts,
    /// The wide context's tokens, for the text `wide_src` (when `wide_valid`).
    wide: TextTokens,
    wide_src: String,
    wide_valid: bool,
    lead: TextTokens,
    /// The tokens of the sentence before the context (the `wide_lexicon` part).
    earlier: TextTokens,
    /// The lexicon's counts in the context, in the context before it, and in the last sentence
    /// before a context that was neither.
    context_hits: SentenceHits,
    prev_context_hits: SentenceHits,
    earlier_hits: SentenceHits,
    lexicon: LexiconBufs,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::VectorizerConfig;

    fn featurizer() -> (Featurizer, Vec<String>) {
        let v = Vectorizer::fit(
            &VectorizerConfig {
                min_df: 1,
                ..Default::default()
            },
            &["nato troops said", "peace talks"],
        )
        .unwrap();
        let topics = vec!["nato".to_string(), "peacekeepers".to_string()];
        (
            Featurizer::new(v, &topics, Some(&TopicConfig::builtin())),
            topics,
        )
    }

    #[test]
    fn missing_data_is_named_per_part() {
        use crate::features::StoredDtype;
        let (f, _) = featurizer();
        let table = |weights: Option<Vec<f32>>| {
            let e = Embeddings::from_parts(
                &["nato", "troops"],
                2,
                vec![1.0, 0.0, 0.0, 1.0],
                weights,
                "{}",
                StoredDtype::F16,
            )
            .unwrap();
            Some(Arc::new(e))
        };
        assert_eq!(f.missing_for(Part::Text), None);
        assert_eq!(f.missing_for(Part::Lexicon), None);
        for p in [Part::EmbedText, Part::EmbedTextSif, Part::EmbedWideContext] {
            assert_eq!(
                f.missing_for(p),
                Some("the model has no embeddings table"),
                "{p:?}"
            );
            assert!(!f.supports(p));
        }
        assert_eq!(
            f.missing_for(Part::Valence),
            Some("the model has no valence lexicon checksum")
        );
        let plain = f.clone().with_embeddings(table(None));
        assert!(plain.supports(Part::EmbedText));
        assert_eq!(
            plain.missing_for(Part::EmbedTextSif),
            Some("its embeddings table has no per-word weights")
        );
        let weighted = f.with_embeddings(table(Some(vec![0.5, 1.0])));
        assert!(weighted.supports(Part::EmbedTextSif) && weighted.supports(Part::EmbedText));
    }

    #[test]
    fn lexicon_part_separates_quote_and_context_hits() {
        let (f, topics) = featurizer();
        let mut rows = PartRows::default();
        f.featurize(
            StatementText {
                text: "This is unacceptable to us",
                context: "Lavrov said NATO troops in Ukraine were “This is unacceptable to us”",
                wide_context: "",
                lead: "Russia rejects peacekeepers",
                target: None,
            },
            &[Part::Lexicon],
            &mut rows,
        );
        let row = rows.get(Part::Lexicon);
        let names: Vec<String> = row
            .indices
            .iter()
            .map(|&j| f.feature_name(Part::Lexicon, j as usize, &topics))
            .collect();
        assert!(
            names.contains(&"lexicon:nato only in context".to_string()),
            "{names:?}"
        );
        assert!(
            !names.contains(&"lexicon:nato in quote".to_string()),
            "{names:?}"
        );
        assert_eq!(f.width(Part::Lexicon), 6);
        f.featurize(
            StatementText {
                text: "",
                context: "",
                wide_context: "",
                lead: "Russia rejects peacekeepers",
                target: None,
            },
            &[Part::LeadLexicon],
            &mut rows,
        );
        let lead: Vec<String> = rows
            .get(Part::LeadLexicon)
            .indices
            .iter()
            .map(|&j| f.feature_name(Part::LeadLexicon, j as usize, &topics))
            .collect();
        assert_eq!(lead, vec!["lexicon:peacekeepers in lead".to_string()]);
    }

    /// The sentence before the quote's is read for each statement: a new one is not answered
    /// with the counts kept from the last (quotes of one paragraph share them).
    #[test]
    fn wide_lexicon_reads_each_earlier_sentence() {
        let (f, topics) = featurizer();
        let mut rows = PartRows::default();
        let mut hits = |wide_context: &str| {
            f.featurize(
                StatementText {
                    text: "absurd",
                    context: "He called it absurd.",
                    wide_context,
                    lead: "",
                    target: None,
                },
                &[Part::WideLexicon],
                &mut rows,
            );
            let row = rows.get(Part::WideLexicon);
            row.indices
                .iter()
                .map(|&j| f.feature_name(Part::WideLexicon, j as usize, &topics))
                .collect::<Vec<_>>()
        };
        let nato = vec!["lexicon:nato in the sentence before".to_string()];
        let troops = vec!["lexicon:peacekeepers in the sentence before".to_string()];
        let wide = |earlier: &str| format!("{earlier} He called it absurd.");
        assert_eq!(hits(&wide("Kyiv wants to join NATO.")), nato);
        assert_eq!(hits(&wide("Kyiv wants to join NATO.")), nato);
        assert_eq!(hits(&wide("Europe offered peacekeepers.")), troops);
        assert!(hits("He called it absurd.").is_empty());
        assert!(hits(&wide("The weather was fine.")).is_empty());
    }

    /// The per-thread counts of a sentence are the lexicon's that counted them: a featurizer
    /// over other topics, in the same thread, counts again.
    #[test]
    fn lexicon_counts_are_not_shared_between_featurizers() {
        let (both, topics) = featurizer();
        let one = |topic: &str| {
            let topics = vec![topic.to_string()];
            let f = Featurizer::new(
                both.vectorizer.clone(),
                &topics,
                Some(&TopicConfig::builtin()),
            );
            (f, topics)
        };
        let featurizers = [(both.clone(), topics), one("nato"), one("peacekeepers")];
        let hits = |(f, topics): &(Featurizer, Vec<String>), earlier: &str| {
            let mut rows = PartRows::default();
            let wide = format!("{earlier} He called it absurd.");
            f.featurize(
                StatementText {
                    text: "absurd",
                    context: "He called it absurd.",
                    wide_context: &wide,
                    lead: "",
                    target: None,
                },
                &[Part::Lexicon, Part::WideLexicon],
                &mut rows,
            );
            let row = rows.get(Part::WideLexicon);
            row.indices
                .iter()
                .map(|&j| f.feature_name(Part::WideLexicon, j as usize, topics))
                .collect::<Vec<_>>()
        };
        // Each sentence names one topic; each featurizer, in turn, sees it only if it has it.
        for (earlier, topic) in [
            ("Kyiv wants to join NATO.", "nato"),
            ("Europe offered peacekeepers.", "peacekeepers"),
        ] {
            for _ in 0..2 {
                for f in &featurizers {
                    let want: Vec<String> =
                        f.1.iter()
                            .filter(|t| *t == topic)
                            .map(|t| format!("lexicon:{t} in the sentence before"))
                            .collect();
                    assert_eq!(hits(f, earlier), want, "{:?} on {earlier:?}", f.1);
                }
            }
        }
    }

    /// Each part as the featurizer computed it before texts were tokenized once for all
    /// parts: every part from its own string with the string-based APIs.
    fn per_part_reference(f: &Featurizer, s: StatementText<'_>, p: Part) -> SparseRow {
        let mut row = SparseRow::new();
        let v = &f.vectorizer;
        let dense = |row: &mut SparseRow, vals: &[f32]| {
            for (j, &x) in vals.iter().enumerate() {
                if x != 0.0 && x.is_finite() {
                    row.indices.push(j as u32);
                    row.values.push(x);
                }
            }
        };
        let (lex, to_model) = f.lexicon.as_ref().unwrap();
        let e = f.embeddings.as_ref().unwrap();
        let pooled = |text: &str| {
            let mut out = vec![0f32; e.dim()];
            e.pool_into(text, &mut out).unwrap();
            out
        };
        // One column per topic whose keywords occur in `text`.
        let topic_hits = |text: &str, row: &mut SparseRow| {
            let mut hits = vec![0u32; to_model.len()];
            lex.count(text, &mut hits);
            let mut cells: Vec<u32> = hits
                .iter()
                .zip(to_model)
                .filter(|(h, _)| **h > 0)
                .map(|(_, &t)| t as u32)
                .collect();
            cells.sort_unstable();
            row.values = vec![1.0; cells.len()];
            row.indices = cells;
        };
        match p {
            Part::Text => v.transform_one(s.text, &mut row),
            Part::Context if !s.context.is_empty() => v.transform_one(s.context, &mut row),
            Part::TextUnigrams => v.transform_one_upto(s.text, 1, &mut row),
            Part::ContextUnigrams if !s.context.is_empty() => {
                v.transform_one_upto(s.context, 1, &mut row)
            }
            Part::WideContext if !s.wide_context.is_empty() => {
                v.transform_one(s.wide_context, &mut row)
            }
            Part::Lead if !s.lead.is_empty() => v.transform_one(s.lead, &mut row),
            Part::SentimentText => v.transform_one(s.target.map_or(s.text, |t| t.0), &mut row),
            Part::Left => {
                if let Some((_, b, _)) = s.target {
                    v.transform_one(&s.text[..b], &mut row)
                }
            }
            Part::Right => {
                if let Some((_, _, e)) = s.target {
                    v.transform_one(&s.text[e..], &mut row)
                }
            }
            Part::Lexicon => {
                let mut cells = Vec::new();
                for (h, &t) in lex.hits(s.text, s.context).iter().zip(to_model) {
                    let base = (LEXICON_SLOTS * t) as u32;
                    if h.in_quote > 0 {
                        cells.push((base, 1.0));
                    }
                    if h.in_quote == 0 && h.in_context > 0 {
                        cells.push((base + 1, 1.0));
                    }
                    let all = h.in_quote + h.in_context;
                    if all > 0 {
                        cells.push((base + 2, (1.0 + all as f32).ln() / 2.0));
                    }
                }
                cells.sort_by_key(|c: &(u32, f32)| c.0);
                for (j, x) in cells {
                    row.indices.push(j);
                    row.values.push(x);
                }
            }
            Part::LeadLexicon if !s.lead.is_empty() => topic_hits(s.lead, &mut row),
            Part::WideLexicon => {
                let earlier = s.wide_context.strip_suffix(s.context).unwrap_or("");
                if !earlier.trim().is_empty() {
                    topic_hits(earlier, &mut row)
                }
            }
            Part::EmbedText => dense(&mut row, &pooled(s.text)),
            Part::EmbedTextSif => {
                let mut out = vec![0f32; e.dim()];
                e.pool_with_into(Pooling::Sif, s.text, &mut out).unwrap();
                dense(&mut row, &out)
            }
            Part::EmbedContext => dense(&mut row, &pooled(s.context)),
            Part::EmbedWideContext => dense(&mut row, &pooled(s.wide_context)),
            Part::EmbedLead => dense(&mut row, &pooled(s.lead)),
            Part::Valence => dense(&mut row, &f.valence.as_ref().unwrap().features(s.text)),
            Part::Context
            | Part::ContextUnigrams
            | Part::WideContext
            | Part::Lead
            | Part::LeadLexicon => {}
        }
        row
    }

    #[test]
    fn shared_tokens_give_exactly_the_per_part_features() {
        use crate::features::StoredDtype;
        let docs = [
            "NATO troops said peace talks",
            "İstanbul talks on NATO’s door, don’t ÇUT \u{212A}elvin",
            "Russia rejects peacekeepers; sanctions and an oil price cap",
            "We’ll NOT accept this: it is GOOD but bad!",
            // Bigrams across the join of the earlier sentence and the context.
            "said so nato troops; so in istanbul",
        ];
        let v = Vectorizer::fit(
            &VectorizerConfig {
                min_df: 1,
                ..Default::default()
            },
            &docs,
        )
        .unwrap();
        let topics: Vec<String> = TopicConfig::builtin().ids().into_iter().rev().collect();
        let words = [
            "nato", "troops", "peace", "talks", "istanbul", "russia", "don", "good",
        ];
        let dim = 8;
        let matrix: Vec<f32> = (0..words.len() * dim)
            .map(|i| ((i * 7) % 11) as f32 * 0.125 - 0.5)
            .collect();
        let cases = [
            (
                "NATO troops said peace talks",
                "NATO troops said peace talks, he said.",
                "Peace talks",
            ),
            (
                "İstanbul’s MAYOR: NATO’s door stays open, don’t ÇUT \u{212A} #NATO @Russia",
                "In İstanbul, he said “NATO’s door stays open” to Russia’s envoy",
                "İstanbul summit on sanctions",
            ),
            ("We’ll NOT accept this: it is GOOD but bad!", "", ""),
            ("", "", ""),
            (
                "Sanctions, sanctions and a price cap",
                "unrelated context",
                "nato",
            ),
        ];
        for dtype in [StoredDtype::I8, StoredDtype::F16] {
            // Per-word weights, so the SIF part differs from the mean.
            let weights = (0..words.len()).map(|i| 0.125 + i as f32 * 0.1).collect();
            let e = Embeddings::from_parts(&words, dim, matrix.clone(), Some(weights), "{}", dtype)
                .unwrap();
            let f = Featurizer::new(v.clone(), &topics, Some(&TopicConfig::builtin()))
                .with_embeddings(Some(Arc::new(e)))
                .with_valence(Some(Arc::new(Valence::new().unwrap())));
            let mut marked = String::new();
            let mut seen = [false; N_PARTS];
            // The wide context: the context after a sentence about troops (after a space, so
            // its tokens and counts are joined to the context's, or not), or nothing.
            let wide_cases = cases.iter().flat_map(|&(text, context, lead)| {
                let spaced = format!("Troops in İstanbul? NATO said so. {context}");
                let glued = format!("Troops in İstanbul? NATO said so.{context}");
                [spaced, glued].map(|w| (text, context, lead, w))
            });
            for (text, context, lead, widened) in wide_cases {
                let wide_context = if context.is_empty() { "" } else { &widened };
                let span = (text.chars().count().min(8), text.chars().count().min(16));
                let target = crate::model::target_views(text, span, &mut marked);
                for target in [None, Some((marked.as_str(), target.0, target.1))] {
                    let s = StatementText {
                        text,
                        context,
                        wide_context,
                        lead,
                        target,
                    };
                    let mut all = PartRows::default();
                    f.featurize(s, &Part::ALL, &mut all);
                    for p in Part::ALL {
                        let want = per_part_reference(&f, s, p);
                        seen[p.index()] |= want.nnz() > 0;
                        assert_eq!(all.get(p), &want, "{p:?} of {text:?} ({target:?})");
                        let mut one = PartRows::default();
                        f.featurize(s, &[p], &mut one);
                        assert_eq!(one.get(p), &want, "{p:?} alone of {text:?}");
                    }
                    // After a statement of the same context (its context parts and tokens
                    // reused) or of another one: the same rows.
                    // The last: the previous quote's sentence is this one's sentence before.
                    let before_sentence = "Troops in İstanbul? NATO said so.";
                    let others = [
                        (context, wide_context),
                        (context, context),
                        ("other words, NATO", wide_context),
                        ("other words, NATO", "other words, NATO"),
                        (before_sentence, before_sentence),
                    ];
                    for prev_text in ["Peace talks", text] {
                        for (prev_context, prev_wide) in others {
                            let before = StatementText {
                                text: prev_text,
                                context: prev_context,
                                wide_context: prev_wide,
                                lead,
                                target: None,
                            };
                            let mut prev = PartRows::default();
                            f.featurize(before, &Part::ALL, &mut prev);
                            let mut after = PartRows::default();
                            f.featurize_after(
                                s,
                                &Part::ALL,
                                &mut after,
                                Some(Previous {
                                    context: prev_context,
                                    wide_context: prev_wide,
                                    rows: &prev,
                                }),
                            );
                            for p in Part::ALL {
                                let want = per_part_reference(&f, s, p);
                                assert_eq!(
                                    after.get(p),
                                    &want,
                                    "{p:?} of {text:?} after {prev_context:?} / {prev_wide:?}"
                                );
                            }
                        }
                    }
                }
            }
            // Every part had something to compare somewhere.
            assert_eq!(seen, [true; N_PARTS]);
        }
    }

    #[test]
    fn head_inputs_locate_columns() {
        let (f, _) = featurizer();
        let h = HeadInputs::new(&[Part::Text, Part::Context, Part::Lexicon], &f);
        let nf = f.vectorizer.n_features();
        assert_eq!(h.width, 2 * nf + 6);
        assert_eq!(h.locate(0), Some((Part::Text, 0)));
        assert_eq!(h.locate(nf + 1), Some((Part::Context, 1)));
        assert_eq!(h.locate(2 * nf + 5), Some((Part::Lexicon, 5)));
    }
}
