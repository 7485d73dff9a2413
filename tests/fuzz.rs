//! Property-based fuzzing of extraction and labeling: for any text — random Unicode, stray and
//! unbalanced quotation marks, apostrophes, empty paragraphs — nothing panics, every offset
//! is valid, every quote's `text` equals the article's chars at `start..end`, and labeling
//! (default model) returns the same quotes with valid probabilities.
//!
//! `PROPTEST_CASES=50000 cargo test --release --test fuzz` runs it for longer. Crashes found by
//! this fuzzer are kept as named regression tests at the bottom.

use proptest::prelude::*;
use stance::article::Article;
use stance::pipeline::Pipeline;
use stance::quotes::{Quote, QuoteExtractor};
use std::sync::OnceLock;

/// The default extractor with the default model's source ranker (as the pipeline uses it).
fn extractor() -> &'static QuoteExtractor {
    static E: OnceLock<QuoteExtractor> = OnceLock::new();
    E.get_or_init(|| {
        QuoteExtractor::with_defaults()
            .with_ranker(pipeline().model().attribution_ranker().cloned())
    })
}

fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| {
        Pipeline::load(concat!(env!("CARGO_MANIFEST_DIR"), "/models/default"))
            .expect("the default model loads")
    })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

/// Checks every invariant of the extractor's output on `text`.
fn check(text: &str) -> Vec<Quote> {
    let article = Article::new("fuzz", text);
    let quotes = extractor().extract(&article);
    let chars: Vec<char> = text.chars().collect();
    let mut prev_start = 0;
    for q in &quotes {
        assert!(q.start <= q.end && q.end <= chars.len(), "bad span {q:?}");
        let slice: String = chars[q.start..q.end].iter().collect();
        assert_eq!(slice, q.text, "text differs from article chars");
        assert!(q.start >= prev_start, "quotes out of order");
        prev_start = q.start;
        assert!((0.0..=1.0).contains(&q.confidence));
        assert!(q.context.0 <= q.context.1 && q.context.1 <= chars.len());
        for m in [&q.speaker_mention, &q.cue].into_iter().flatten() {
            assert!(
                m.start <= m.end && m.end <= chars.len(),
                "bad mention {m:?}"
            );
            let s: String = chars[m.start..m.end].iter().collect();
            assert_eq!(s, m.text, "mention text differs from article chars");
        }
    }
    let labeled = pipeline().label(&article);
    assert_eq!(labeled.len(), quotes.len(), "labeling lost or added quotes");
    for (l, q) in labeled.iter().zip(&quotes) {
        assert_eq!(&l.quote, q);
        for t in l.topics.values() {
            let sum = t.probs.favor + t.probs.against + t.probs.neutral;
            assert!((sum - 1.0).abs() < 1e-3 && (0.0..=1.0).contains(&t.relevance.unwrap_or(-1.0)));
        }
        if let Some(s) = &l.sentiment {
            let sum = s.probs.positive + s.probs.negative + s.probs.neutral;
            assert!((sum - 1.0).abs() < 1e-3);
        }
    }
    quotes
}

/// Text built from news-like pieces and quotation-mark noise.
fn newsy_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_string()),
        Just("“".to_string()),
        Just("”".to_string()),
        Just("«".to_string()),
        Just("»".to_string()),
        Just("„".to_string()),
        Just("‘".to_string()),
        Just("’".to_string()),
        Just("'".to_string()),
        Just("\n\n".to_string()),
        Just(", he said. ".to_string()),
        Just(" said Lavrov".to_string()),
        Just("Zelenskyy told reporters: ".to_string()),
        Just("according to the Kremlin".to_string()),
        Just("Russia’s ".to_string()),
        Just("We will not accept a deal".to_string()),
        Just(" U.S. ".to_string()),
        "[a-zA-Z ,.]{0,12}",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), .. ProptestConfig::default() })]

    #[test]
    fn extraction_invariants_hold_on_newsy_noise(text in newsy_text()) {
        check(&text);
    }

    #[test]
    fn extraction_invariants_hold_on_arbitrary_unicode(text in "\\PC{0,300}") {
        check(&text);
    }
}

/// Inputs the fuzzer found: each once panicked (in a debug build, where integer overflow is
/// checked).
#[test]
fn inputs_the_fuzzer_found_do_not_crash() {
    // A text opening with "of": the name scanner looked at the word before the first.
    check("of,\n\n\"Zelenskyy told reporters: ");
}

#[test]
fn marks_only_and_no_marks_do_not_crash() {
    check("");
    check("\"");
    check("“”«»„“‘’\"\"'''");
    check(&"“".repeat(10_000));
    assert!(check("No quotation marks here at all, Lavrov said.").is_empty());
}

#[test]
fn unbalanced_mark_does_not_swallow_the_rest_of_the_article() {
    let text = "He said “this never closes.\n\nThe next paragraph is reporting.\n\n“A real quote,” Rubio said.";
    let quotes = check(text);
    assert!(
        quotes
            .iter()
            .all(|q| !q.text.contains("next paragraph is reporting")),
        "an unclosed mark swallowed later paragraphs: {quotes:?}"
    );
    assert!(
        quotes.iter().any(|q| q.text == "A real quote,"),
        "{quotes:?}"
    );
}
