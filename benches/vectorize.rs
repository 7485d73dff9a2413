//! Criterion benchmark of the feature pipeline on real text: `transform` throughput (MB/s) on
//! one thread and on all threads, for word 1–2 grams and word 1–2 + char 2–5 grams, plus the
//! fast tokenizer alone and `transform_one` per paragraph, the wide context's row (a
//! sentence joined to the next one, whose counts are kept) against vectorizing the two
//! sentences again, and a text's rows with and without bigrams from one counting pass
//! against two, and the topic lexicon's keyword counting per sentence (`topic_lexicon`). Corpus: `data/articles` and, when present, `../shared/corpora/polnear`
//! (one document per `.txt` file).
//!
//! Run: `cargo bench --bench vectorize -- --warm-up-time 1 --measurement-time 3`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use stance::features::{
    FeatureCounts, LowerTokens, SparseRow, Tokenizer, TokenizerKind, Tokens, Vectorizer,
    VectorizerConfig,
};
use stance::topics::{TopicConfig, TopicLexicon};

mod common;

fn bench(c: &mut Criterion) {
    let texts = common::corpus_texts();
    let docs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let bytes: u64 = docs.iter().map(|d| d.len() as u64).sum();
    eprintln!("corpus: {} docs, {:.2} MB", docs.len(), bytes as f64 / 1e6);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let all = rayon::ThreadPoolBuilder::new().build().unwrap();

    let mut fitted = Vec::new();
    let mut g = c.benchmark_group("vectorize");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    for (label, chars) in [("word1-2", None), ("word1-2+char2-5", Some((2, 5)))] {
        let cfg = VectorizerConfig {
            word_ngrams: (1, 2),
            char_ngrams: chars,
            min_df: 2,
            ..Default::default()
        };
        let v = Vectorizer::fit(&cfg, &docs).unwrap();
        eprintln!("{label}: {} features", v.n_features());
        for (threads, pool) in [("1thread", &one), ("all", &all)] {
            g.bench_function(BenchmarkId::new(label, threads), |b| {
                b.iter(|| pool.install(|| v.transform(&docs)).nnz())
            });
        }
        if chars.is_none() {
            wide_context(&mut g, &v, &docs);
            // The labeler's path: one paragraph at a time into a reused row.
            let paras: Vec<&str> = docs.iter().flat_map(|d| d.split("\n\n")).collect();
            let mut row = SparseRow::default();
            g.bench_function(BenchmarkId::new(label, "transform_one"), |b| {
                b.iter(|| {
                    let mut n = 0;
                    for p in &paras {
                        v.transform_one(p, &mut row);
                        n += row.nnz();
                    }
                    n
                })
            });
            // The default's topic relevance parts (`text_unigrams`, `context_unigrams`): the
            // same vocabulary, single words only.
            g.bench_function(BenchmarkId::new(label, "transform_one_upto_1"), |b| {
                b.iter(|| {
                    let mut n = 0;
                    for p in &paras {
                        v.transform_one_upto(p, 1, &mut row);
                        n += row.nnz();
                    }
                    n
                })
            });
            text_and_unigrams(&mut g, &v, &paras);
        }
        fitted.push((label, v));
    }
    topic_lexicon(&mut g, &docs);
    let tk = Tokenizer::new(&TokenizerKind::default()).unwrap();
    let mut toks = Tokens::default();
    g.bench_function("tokenize/fast", |b| {
        b.iter(|| {
            let mut n = 0;
            for d in &docs {
                tk.tokenize_into(d, &mut toks);
                n += toks.len();
            }
            n
        })
    });
    g.finish();

    // Model load: read the saved vectorizer and rebuild its column table.
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    let dir = tempfile::tempdir().unwrap();
    for (label, v) in &fitted {
        let path = dir.path().join(format!("{label}.json"));
        v.save(&path).unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        eprintln!(
            "{label}: {} features, saved vectorizer {:.1} MB",
            v.n_features(),
            size as f64 / 1e6
        );
        g.bench_function(BenchmarkId::new(*label, v.n_features()), |b| {
            b.iter(|| Vectorizer::load(&path).unwrap().n_features())
        });
    }
    g.finish();
}

/// The built-in topic lexicon's counts per sentence (the `lexicon` and `wide_lexicon` parts
/// count every quote, its sentence and the sentence before): already tokenized, so only the
/// matching is timed. Its reference, trying every pattern at every position, is the test
/// `indexed_matching_equals_trying_every_pattern`.
fn topic_lexicon(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    docs: &[&str],
) {
    let lex = TopicLexicon::new(&TopicConfig::builtin());
    let sentences: Vec<&str> = docs.iter().flat_map(|d| d.split(". ")).collect();
    let sentences = lower_tokens(&sentences);
    let mut counts = vec![0u32; lex.ids().len()];
    g.bench_function("topic_lexicon/count_tokens", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &sentences {
                counts.iter_mut().for_each(|c| *c = 0);
                lex.count_tokens(t, &mut counts);
                n += counts.iter().sum::<u32>();
            }
            n
        })
    });
}

/// A quote's `text` and `text_unigrams` rows (the labeler reads both): counted once for both
/// (`transform_tokens_and_upto`, the labeler's path) against two counting passes.
fn text_and_unigrams(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    v: &Vectorizer,
    paras: &[&str],
) {
    let tokenized = lower_tokens(paras);
    let (mut full, mut uni) = (SparseRow::default(), SparseRow::default());
    g.bench_function("text_and_unigrams/two_passes", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &tokenized {
                v.transform_tokens(t.tokens(), &mut full);
                v.transform_tokens_upto(t.tokens(), 1, &mut uni);
                n += full.nnz() + uni.nnz();
            }
            n
        })
    });
    g.bench_function("text_and_unigrams/one_pass", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &tokenized {
                v.transform_tokens_and_upto(t.tokens(), 1, &mut full, &mut uni);
                n += full.nnz() + uni.nnz();
            }
            n
        })
    });
}

/// A quote's wide context is the sentence before its own plus its own (the context), whose
/// row the labeler computes anyway: `transform_tokens_before` counts only the sentence before
/// and adds the context's kept counts; the reference vectorizes the joined text again. Both
/// from tokens, so only the vectorizing is compared.
fn wide_context(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    v: &Vectorizer,
    docs: &[&str],
) {
    struct Pair {
        whole: LowerTokens,
        joined: LowerTokens,
        starts: usize,
        counts: FeatureCounts,
    }
    let pairs: Vec<Pair> = docs
        .iter()
        .flat_map(|d| d.split("\n\n"))
        .filter_map(|p| {
            let cut = p.find(". ")? + 2;
            let (before, context) = p.split_at(cut);
            let mut rest = LowerTokens::default();
            rest.tokenize(context);
            let mut counts = FeatureCounts::default();
            v.count_tokens(rest.tokens(), &mut counts);
            let mut joined = LowerTokens::default();
            joined.tokenize_before(before, &rest);
            let mut whole = LowerTokens::default();
            whole.tokenize(p);
            let starts = joined.tokens().len() - rest.tokens().len();
            Some(Pair {
                whole,
                joined,
                starts,
                counts,
            })
        })
        .collect();
    eprintln!("wide context: {} sentence pairs", pairs.len());
    let mut row = SparseRow::default();
    g.bench_function("wide_context/vectorize_again", |b| {
        b.iter(|| {
            let mut n = 0;
            for p in &pairs {
                v.transform_tokens(p.whole.tokens(), &mut row);
                n += row.nnz();
            }
            n
        })
    });
    g.bench_function("wide_context/kept_counts", |b| {
        b.iter(|| {
            let mut n = 0;
            for p in &pairs {
                v.transform_tokens_before(p.joined.tokens(), p.starts, &p.counts, &mut row);
                n += row.nnz();
            }
            n
        })
    });
}

/// Each text's lowercase tokens and keys, tokenized ahead so that only what follows is timed.
fn lower_tokens(texts: &[&str]) -> Vec<LowerTokens> {
    texts
        .iter()
        .map(|text| {
            let mut t = LowerTokens::default();
            t.tokenize(text);
            t
        })
        .collect()
}

criterion_group!(benches, bench);
criterion_main!(benches);
