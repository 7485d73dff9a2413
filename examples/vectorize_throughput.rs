//! Throughput of the TF-IDF vectorizer on a corpus of `.txt` files, for
//! `benches/sklearn_compare.py` (which runs scikit-learn on the same files in the same run).
//!
//! Usage: `cargo run --release --example vectorize_throughput -- [--threads N] [--reps R]
//! [--char] PATH...` where each PATH is a `.txt` file or a directory searched recursively for
//! `.txt` files (sorted; one document per file). Fits on the corpus, then times `transform`
//! (best of R) and prints one `RESULT key=value ...` line. `--threads 0` means all cores.

use std::path::{Path, PathBuf};
use std::time::Instant;

use stance::features::{Vectorizer, VectorizerConfig};

// The benches' corpus helpers (`txt_files`).
#[path = "../benches/common/mod.rs"]
#[allow(dead_code)]
mod common;

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        out.extend(common::txt_files(path));
    } else {
        out.push(path.to_path_buf());
    }
}

/// CPU seconds (user + system, all threads) of this process so far, from `/proc/self/stat`
/// (Linux; assumes 100 clock ticks per second). On a shared machine, CPU time is a steadier
/// measure than wall time.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut threads = 1usize;
    let mut reps = 5usize;
    let mut chars = false;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().ok_or("--threads N")?.parse()?,
            "--reps" => reps = args.next().ok_or("--reps R")?.parse()?,
            "--char" => chars = true,
            _ => collect(&PathBuf::from(a), &mut paths),
        }
    }
    if paths.is_empty() {
        return Err("usage: vectorize_throughput [--threads N] [--reps R] [--char] PATH...".into());
    }
    let texts: Vec<String> = paths
        .iter()
        .map(std::fs::read_to_string)
        .collect::<Result<_, _>>()?;
    let docs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    let cfg = VectorizerConfig {
        word_ngrams: (1, 2),
        char_ngrams: chars.then_some((2, 5)),
        min_df: 2,
        ..Default::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let (fit_s, v) = pool.install(|| {
        let t = Instant::now();
        let v = Vectorizer::fit(&cfg, &docs);
        (t.elapsed().as_secs_f64(), v)
    });
    let v = v?;
    let mut best = f64::MAX;
    let mut nnz = 0;
    let cpu0 = cpu_seconds();
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        let x = pool.install(|| v.transform(&docs));
        best = best.min(t.elapsed().as_secs_f64());
        nnz = x.nnz();
    }
    let cpu_s = match (cpu0, cpu_seconds()) {
        (Some(a), Some(b)) => (b - a) / reps.max(1) as f64,
        _ => f64::NAN,
    };
    println!(
        "RESULT impl=stance config={} threads={} docs={} mb={:.3} fit_s={:.3} transform_s={:.4} mbps={:.2} cpu_s={:.4} cpu_mbps={:.2} features={} nnz={}",
        if chars { "word1-2+char2-5" } else { "word1-2" },
        pool.current_num_threads(),
        docs.len(),
        bytes as f64 / 1e6,
        fit_s,
        best,
        bytes as f64 / 1e6 / best,
        cpu_s,
        bytes as f64 / 1e6 / cpu_s,
        v.n_features(),
        nnz
    );
    Ok(())
}
