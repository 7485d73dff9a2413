//! Sanity check of derived embedding tables: size, provenance, that every vocabulary word is
//! one fast-tokenizer token, nearest neighbours of a few words, and the cosine of a few pooled
//! phrase pairs.
//!
//! Run: `cargo run --release --example embeddings_nn -- /work/derived/*.emb`

use stance::features::{Embeddings, Pooling, Tokenizer, TokenizerKind};

const WORDS: [&str; 8] = [
    "nato",
    "election",
    "ceasefire",
    "sanctions",
    "troops",
    "peacekeepers",
    "good",
    "bad",
];
const PAIRS: [(&str, &str); 5] = [
    ("a reassurance force", "peacekeepers"),
    ("European boots on the ground", "foreign troops in Ukraine"),
    ("lift the restrictions on Russian banks", "sanctions relief"),
    ("the vote was rigged", "election fraud"),
    ("my tax plan", "peace talks"),
];

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        return Err("usage: embeddings_nn TABLE.emb...".into());
    }
    let tk = Tokenizer::new(&TokenizerKind::Fast { lowercase: true })?;
    for path in &paths {
        let e = Embeddings::load(path)?;
        let size = std::fs::metadata(path)?.len();
        println!(
            "== {path}: {} words × {} ({:?}), {:.2} MB, weights: {}",
            e.len(),
            e.dim(),
            e.dtype(),
            size as f64 / 1e6,
            e.has_weights()
        );
        println!("meta: {}", e.meta());
        let bad: Vec<&str> = (0..e.len())
            .map(|i| e.word(i))
            .filter(|w| tk.tokenize(w) != [*w])
            .collect();
        println!(
            "vocabulary words that are not exactly one fast token: {} {:?}",
            bad.len(),
            &bad[..bad.len().min(10)]
        );
        for w in WORDS {
            match e.nearest(w, 8) {
                Some(nn) => {
                    let list: Vec<String> = nn.iter().map(|(w, s)| format!("{w} {s:.2}")).collect();
                    println!("{w:>13}: {}", list.join(", "));
                }
                None => println!("{w:>13}: (not in the vocabulary)"),
            }
        }
        for pooling in [Pooling::Mean, Pooling::Sif] {
            let Ok(e) = e.clone().with_pooling(pooling) else {
                continue;
            };
            let (mut a, mut b) = (vec![0f32; e.dim()], vec![0f32; e.dim()]);
            let sims: Vec<String> = PAIRS
                .iter()
                .map(|(x, y)| {
                    e.pool_into(x, &mut a).unwrap();
                    e.pool_into(y, &mut b).unwrap();
                    format!("{x:?}~{y:?} {:.2}", cosine(&a, &b))
                })
                .collect();
            println!("pooled cosine ({pooling:?}): {}", sims.join("; "));
        }
    }
    Ok(())
}
