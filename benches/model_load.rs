//! Model load time (the labeler loads the model once per run; budget ≤ 50 ms) and the cost of
//! one prediction. The model is trained once in setup with `stance train`'s default features
//! (cv off) on SemEval-2016 when `../shared/corpora` is present, else on a synthetic corpus.

use criterion::{criterion_group, criterion_main, Criterion};
use stance::corpora::{read_records, ReadOptions};
use stance::dataset::Record;
use stance::model::{Model, Statement, TrainParams};
use std::hint::black_box;
use std::path::Path;

fn corpus() -> Vec<Record> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/semeval2016-task6");
    let mut recs = Vec::new();
    for f in [
        "trainingdata-all-annotations.txt",
        "trialdata-all-annotations.txt",
    ] {
        if let Ok(r) = read_records(&dir.join(f), &ReadOptions::default()) {
            recs.extend(r);
        }
    }
    if recs.is_empty() {
        eprintln!("../shared/corpora absent: benchmarking a model trained on synthetic data");
        let words = [
            "peace",
            "talks",
            "sanctions",
            "troops",
            "deal",
            "reject",
            "support",
            "kremlin",
            "kyiv",
            "summit",
        ];
        for i in 0..3000usize {
            let text: Vec<&str> = (0..20)
                .map(|j| words[(i * 7 + j * 13 + j * j) % words.len()])
                .collect();
            let mut r = Record::new(format!("{} {i}", text.join(" ")));
            let stance = ["favor", "against", "neutral"][i % 3].parse().unwrap();
            r.topics = Some([(format!("topic{}", i % 5), stance)].into_iter().collect());
            recs.push(r);
        }
    }
    recs
}

fn bench(c: &mut Criterion) {
    let recs = corpus();
    let params = TrainParams {
        cv_folds: 0,
        ..TrainParams::default()
    };
    let (model, _) = stance::model::train(&recs, &params, |_| {}).expect("training");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("model");
    model.save(&dir).expect("save");
    let bytes: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    eprintln!(
        "model: {} features, {} topics, {} bytes on disk",
        model.vectorizer().n_features(),
        model.topics().len(),
        bytes
    );
    c.bench_function("model_load", |b| {
        b.iter(|| Model::load(black_box(&dir)).unwrap())
    });
    let m = Model::load(&dir).unwrap();
    let text =
        "Hillary is our best choice if we truly want to continue being a progressive nation.";
    c.bench_function("predict_one_given_topic", |b| {
        b.iter(|| {
            m.predict(black_box(&Statement {
                text,
                context: Some("She said in Ohio:"),
                topics: Some(vec![m.topics()[0].clone()]),
                ..Default::default()
            }))
        })
    });
    c.bench_function("predict_one_detect_topics", |b| {
        b.iter(|| {
            m.predict(black_box(&Statement {
                text,
                ..Default::default()
            }))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
