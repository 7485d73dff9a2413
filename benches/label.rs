//! The whole label path per article (extract → attribute → topics → stance → sentiment) and
//! model loading, on the default model. Throughput over many articles on 1 and all threads,
//! compared with a peer in the same run, is `benches/throughput.py`.
//!
//! ```text
//! cargo bench --bench label
//! ```

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stance::article::Article;
use stance::model::Model;
use stance::pipeline::Pipeline;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The seed articles, and the PolNeAR dev texts when `../shared` is present.
fn articles() -> Vec<Article> {
    let mut dirs = vec![root().join("data/articles")];
    let polnear = root().join("../shared/corpora/polnear/dev/text");
    if polnear.exists() {
        dirs.push(polnear);
    } else {
        eprintln!("note: ../shared absent; benchmarking on the seed articles only");
    }
    let mut out = Vec::new();
    for d in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        for f in files {
            if let Ok(text) = std::fs::read_to_string(&f) {
                out.push(Article::new(f.file_stem().unwrap().to_string_lossy(), text));
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let model_dir = root().join("models/default");
    if !model_dir.join("manifest.json").exists() && !Path::new(&model_dir).exists() {
        eprintln!("skipped: no models/default");
        return;
    }
    let mut g = c.benchmark_group("model");
    g.bench_function("load models/default", |b| {
        b.iter(|| Model::load(&model_dir).expect("default model loads"))
    });
    g.finish();

    let pipeline = Pipeline::load(&model_dir).expect("default model loads");
    let articles = articles();
    let bytes: usize = articles.iter().map(|a| a.text.len()).sum();
    let mut g = c.benchmark_group("label");
    g.throughput(Throughput::Elements(articles.len() as u64));
    g.bench_function(
        format!(
            "{} articles, 1 thread (elements = articles)",
            articles.len()
        ),
        |b| {
            b.iter(|| {
                articles
                    .iter()
                    .map(|a| pipeline.label(a).len())
                    .sum::<usize>()
            })
        },
    );
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("extract quotes only, 1 thread (bytes)", |b| {
        b.iter(|| {
            articles
                .iter()
                .map(|a| pipeline.extractor().extract(a).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
