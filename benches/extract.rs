//! Quote extraction + attribution throughput (MB/s, single thread) on the seed articles and,
//! when `../shared` is present, on PolNeAR texts (news articles of the target size).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stance::quotes::QuoteExtractor;
use stance::Article;
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn load_dir(dir: &Path, limit: usize) -> Vec<Article> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .take(limit)
        .filter_map(|p| {
            let t = std::fs::read_to_string(&p).ok()?;
            Some(Article::new(p.file_stem()?.to_string_lossy(), t))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let x = QuoteExtractor::with_defaults();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut sets = vec![("seeds", load_dir(&root.join("data/articles"), usize::MAX))];
    let polnear = load_dir(&root.join("../shared/corpora/polnear/train/text"), 300);
    if polnear.is_empty() {
        eprintln!("PolNeAR not found beside the repository; benching the seeds only");
    } else {
        sets.push(("polnear-train-300", polnear));
    }
    let mut g = c.benchmark_group("extract");
    for (name, arts) in &sets {
        let bytes: usize = arts.iter().map(|a| a.text.len()).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                let mut n = 0;
                for a in arts {
                    n += x.extract(black_box(a)).len();
                }
                black_box(n)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
