//! Dense features against the sparse hot path, per quote, in the same run:
//! `Embeddings::pool_into` (mean and SIF), `Valence::scores`, the `vader_sentiment` crate's
//! `polarity_scores` (the reference the hand-written rules replace) and
//! `Vectorizer::transform_one` (word 1–2 grams, the default features), over the quotes the
//! extractor finds in `data/articles` and, when present, `../shared/corpora/polnear`. Plus the
//! load time of embedding tables (a synthetic 50k × 128 f16 table always; the derived tables
//! in `$STANCE_DERIVED` (default `/work/derived`) when present) and of the valence lexicons,
//! with `Vectorizer::load` of the vectorizer fitted on the quotes as the same-run reference.
//!
//! Run: `cargo bench --bench dense -- --warm-up-time 1 --measurement-time 3`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use stance::features::{
    Embeddings, Pooling, SparseRow, StoredDtype, Valence, Vectorizer, VectorizerConfig,
};
use stance::quotes::QuoteExtractor;
use stance::Article;
use std::hint::black_box;

mod common;

/// The quotes of the seed articles and (when present) the PolNeAR texts.
fn quotes() -> Vec<String> {
    let ex = QuoteExtractor::with_defaults();
    common::corpus_texts()
        .into_iter()
        .enumerate()
        .flat_map(|(i, text)| {
            ex.extract(&Article::new(format!("a{i}"), text))
                .into_iter()
                .map(|q| q.text)
        })
        .collect()
}

/// A deterministic 50,000-word table of dimension `dim` whose vocabulary contains the
/// corpus' words (so lookups hit as often as with a real table), padded with filler words.
fn synthetic(quotes: &[String], dim: usize) -> Embeddings {
    let tk = stance::features::Tokenizer::new(&Default::default()).unwrap();
    let mut words: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for q in quotes {
        for t in tk.tokenize(q) {
            if words.len() < 50_000 && seen.insert(t.clone()) {
                words.push(t);
            }
        }
    }
    let mut i = 0;
    while words.len() < 50_000 {
        let w = format!("filler{i}");
        if seen.insert(w.clone()) {
            words.push(w);
        }
        i += 1;
    }
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let matrix: Vec<f32> = (0..words.len() * dim)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 2001) as f32 / 1000.0 - 1.0
        })
        .collect();
    let weights = Some((0..words.len()).map(|i| 1.0 / (1.0 + i as f32)).collect());
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    Embeddings::from_parts(&refs, dim, matrix, weights, "{}", StoredDtype::F16).unwrap()
}

fn derived_tables() -> Vec<PathBuf> {
    let dir = std::env::var_os("STANCE_DERIVED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/derived"));
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "emb"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    if v.is_empty() {
        eprintln!(
            "note: no derived tables in {}; synthetic table only",
            dir.display()
        );
    }
    v
}

fn bench(c: &mut Criterion) {
    let quotes = quotes();
    let docs: Vec<&str> = quotes.iter().map(String::as_str).collect();
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    eprintln!("{} quotes, {:.1} KB", docs.len(), bytes as f64 / 1e3);
    let vectorizer = Vectorizer::fit(&VectorizerConfig::default(), &docs).unwrap();
    let valence = Valence::new().unwrap();
    let vader = vader_sentiment::SentimentIntensityAnalyzer::new();
    let synth = synthetic(&quotes, 128);
    let tables: Vec<(String, Embeddings)> = derived_tables()
        .into_iter()
        .filter_map(|p| {
            let name = p.file_stem()?.to_string_lossy().into_owned();
            Embeddings::load(&p).ok().map(|e| (name, e))
        })
        .collect();

    // Per quote: all quotes per iteration, reported as quotes/s (elements).
    let mut g = c.benchmark_group("per_quote");
    g.sample_size(20);
    g.throughput(Throughput::Elements(docs.len() as u64));
    let mut row = SparseRow::default();
    g.bench_function("transform_one", |b| {
        b.iter(|| {
            let mut n = 0;
            for d in &docs {
                vectorizer.transform_one(d, &mut row);
                n += row.nnz();
            }
            n
        })
    });
    g.bench_function("valence", |b| {
        b.iter(|| docs.iter().map(|d| valence.scores(d).compound).sum::<f64>())
    });
    g.bench_function("vader_sentiment_crate", |b| {
        b.iter(|| {
            docs.iter()
                .map(|d| vader.polarity_scores(d)["compound"])
                .sum::<f64>()
        })
    });
    let mut pool_bench = |name: &str, e: &Embeddings| {
        let mut out = vec![0f32; e.dim()];
        for pooling in [Pooling::Mean, Pooling::Sif] {
            let Ok(e) = e.clone().with_pooling(pooling) else {
                continue;
            };
            g.bench_function(BenchmarkId::new(format!("pool_{pooling:?}"), name), |b| {
                b.iter(|| {
                    let mut n = 0;
                    for d in &docs {
                        n += e.pool_into(d, &mut out).unwrap();
                    }
                    n
                })
            });
        }
        let mut out = vec![0f32; e.dim()];
        let known: usize = docs.iter().map(|d| e.pool_into(d, &mut out).unwrap()).sum();
        let tk = stance::features::Tokenizer::new(&Default::default()).unwrap();
        let total: usize = docs.iter().map(|d| tk.tokenize(d).len()).sum();
        eprintln!(
            "{name}: {known} of {total} quote tokens known ({:.1}%)",
            100.0 * known as f64 / total.max(1) as f64
        );
    };
    pool_bench("synthetic50k_128d", &synth);
    for (name, e) in &tables {
        pool_bench(name, e);
    }
    g.finish();

    // Load: bytes already in memory (parse, checksum, f16 → f32, key table) and from a file.
    let mut g = c.benchmark_group("load");
    g.sample_size(20);
    let tmp = tempfile::tempdir().unwrap();
    let mut files = vec![("synthetic50k_128d".to_string(), tmp.path().join("s.emb"))];
    synth.save(&files[0].1).unwrap();
    files.extend(
        derived_tables()
            .into_iter()
            .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p)),
    );
    for (name, path) in &files {
        let bytes = std::fs::read(path).unwrap();
        eprintln!("{name}: {:.2} MB", bytes.len() as f64 / 1e6);
        g.bench_function(BenchmarkId::new("from_bytes", name), |b| {
            b.iter(|| Embeddings::from_bytes(black_box(&bytes)).unwrap().len())
        });
        g.bench_function(BenchmarkId::new("file", name), |b| {
            b.iter(|| Embeddings::load(black_box(path)).unwrap().len())
        });
    }
    g.bench_function("valence_lexicons", |b| b.iter(|| Valence::new().unwrap()));
    // Reference in the same run: the sparse vectorizer's load (part of every model load).
    let vpath = tmp.path().join("vectorizer.json");
    vectorizer.save(&vpath).unwrap();
    eprintln!(
        "reference vectorizer: {} features, {:.2} MB",
        vectorizer.n_features(),
        std::fs::metadata(&vpath).unwrap().len() as f64 / 1e6
    );
    g.bench_function("vectorizer_reference", |b| {
        b.iter(|| Vectorizer::load(black_box(&vpath)).unwrap().n_features())
    });

    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
