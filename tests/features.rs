//! Differential tests of the feature pipeline on real text: the fast tokenizer against the
//! equivalent Hugging Face `tokenizers` pipeline, and the vectorizer against a naive,
//! obviously-correct TF-IDF written here with `String` keys and `HashMap`s. Corpora under
//! `../shared/corpora` are used when present and skipped with a message otherwise.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use stance::features::{
    hf, joins_cleanly, FeatureCounts, LowerTokens, SparseRow, Tokenizer, TokenizerKind, Vectorizer,
    VectorizerConfig,
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

mod common;
use common::shared;

/// The bundled articles, one document per file.
fn articles() -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(repo().join("data/articles"))
        .expect("data/articles")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no articles in data/articles");
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Paragraphs of the bundled articles: many short documents.
fn paragraphs() -> Vec<String> {
    articles()
        .iter()
        .flat_map(|a| {
            a.split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Tweets of the SemEval-2016 task 6 training file (third tab-separated column).
fn semeval_tweets(test: &str) -> Option<Vec<String>> {
    let p = shared(test, "semeval2016-task6/trainingdata-all-annotations.txt")?;
    let bytes = std::fs::read(&p).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    Some(
        text.lines()
            .skip(1)
            .filter_map(|l| l.split('\t').nth(2).map(String::from))
            .collect(),
    )
}

/// Sentences of the NewsMTSC training file.
fn newsmtsc_sentences(test: &str) -> Option<Vec<String>> {
    let p = shared(test, "newsmtsc/train.jsonl")?;
    let text = std::fs::read_to_string(&p).unwrap();
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["sentence_normalized"].as_str().unwrap_or("").to_string()
            })
            .collect(),
    )
}

fn check_tokenizer_equivalence(name: &str, docs: &[String]) {
    for lowercase in [true, false] {
        let fast = Tokenizer::new(&TokenizerKind::Fast { lowercase }).unwrap();
        let reference = hf::fast_equivalent(lowercase).unwrap();
        let mut n_tokens = 0;
        for (i, d) in docs.iter().enumerate() {
            let ours = fast.tokenize(d);
            let theirs = hf::pre_tokenize(&reference, d).unwrap();
            assert_eq!(
                ours, theirs,
                "{name} doc {i} (lowercase {lowercase}): {d:?}"
            );
            n_tokens += ours.len();
        }
        assert!(n_tokens > 0, "{name}: no tokens at all");
        eprintln!(
            "{name}: {} docs, {n_tokens} tokens identical (lowercase {lowercase})",
            docs.len()
        );
    }
}

#[test]
fn fast_tokenizer_equals_hf_pipeline_on_articles() {
    check_tokenizer_equivalence("data/articles", &articles());
}

#[test]
fn fast_tokenizer_equals_hf_pipeline_on_tweets() {
    if let Some(t) = semeval_tweets("fast_tokenizer_equals_hf_pipeline_on_tweets") {
        check_tokenizer_equivalence("semeval tweets", &t);
    }
}

#[test]
fn fast_tokenizer_equals_hf_pipeline_on_newsmtsc() {
    if let Some(s) = newsmtsc_sentences("fast_tokenizer_equals_hf_pipeline_on_newsmtsc") {
        check_tokenizer_equivalence("newsmtsc sentences", &s);
    }
}

#[test]
fn fast_tokenizer_equals_hf_pipeline_on_tricky_text() {
    let tricky = [
        "He said: “We won’t back down,” per Reuters’ 3.5% report; #MAGA @realDonaldTrump",
        "İstanbul ΣΟΦΟΣ Straße ǅemal — naïve café 1,000,000.00 vs. 1.5bn & 2.x ,3 a'b' 'c",
        "emoji 👍🏽 x²+y² ½ ٣٤ 日本語テキスト mixed_under_score __init__ @ # #1 ##2 @@3",
        "e\u{301}toile cafe\u{301} क्षत्रिय \u{200d} tab\there\r\nline",
    ];
    let docs: Vec<String> = tricky.iter().map(|s| s.to_string()).collect();
    check_tokenizer_equivalence("tricky", &docs);
}

/// Naive TF-IDF: string features, BTreeMap vocabulary, f64 arithmetic.
struct Reference {
    names: Vec<String>,
    rows: Vec<BTreeMap<usize, f64>>,
}

fn naive_features(cfg: &VectorizerConfig, tokens: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let (lo, hi) = cfg.word_ngrams;
    if lo > 0 {
        for n in lo..=hi {
            if tokens.len() >= n {
                for i in 0..=tokens.len() - n {
                    out.push(format!("w:{}", tokens[i..i + n].join(" ")));
                }
            }
        }
    }
    if let Some((lo, hi)) = cfg.char_ngrams {
        for t in tokens {
            let chars: Vec<char> = format!(" {t} ").chars().collect();
            for n in lo..=hi {
                if chars.len() >= n {
                    for s in 0..=chars.len() - n {
                        out.push(format!("c:{}", chars[s..s + n].iter().collect::<String>()));
                    }
                }
            }
        }
    }
    out
}

fn reference(cfg: &VectorizerConfig, fit_docs: &[String], docs: &[String]) -> Reference {
    let tk = Tokenizer::new(&cfg.tokenizer).unwrap();
    let feats = |d: &String| naive_features(cfg, &tk.tokenize(d));
    let mut df: HashMap<String, usize> = HashMap::new();
    for d in fit_docs {
        for f in feats(d).into_iter().collect::<BTreeSet<_>>() {
            *df.entry(f).or_default() += 1;
        }
    }
    let n = fit_docs.len() as f64;
    let mut kept: Vec<(String, usize)> = df
        .into_iter()
        .filter(|(_, d)| *d >= cfg.min_df && (*d as f64) <= cfg.max_df as f64 * n)
        .collect();
    if let Some(k) = cfg.max_features {
        kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        kept.truncate(k);
    }
    kept.sort();
    let col: HashMap<&str, usize> = kept
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (s.as_str(), i))
        .collect();
    let idf: Vec<f64> = kept
        .iter()
        .map(|(_, d)| ((1.0 + n) / (1.0 + *d as f64)).ln() + 1.0)
        .collect();
    let rows = docs
        .iter()
        .map(|d| {
            let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
            for f in feats(d) {
                if let Some(&c) = col.get(f.as_str()) {
                    *counts.entry(c).or_default() += 1;
                }
            }
            let mut row: BTreeMap<usize, f64> = counts
                .into_iter()
                .map(|(c, k)| {
                    let tf = if cfg.sublinear_tf {
                        1.0 + (k as f64).ln()
                    } else {
                        k as f64
                    };
                    (c, tf * idf[c])
                })
                .collect();
            let norm = row.values().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                row.values_mut().for_each(|v| *v /= norm);
            }
            row
        })
        .collect();
    Reference {
        names: kept.into_iter().map(|(s, _)| s).collect(),
        rows,
    }
}

fn assert_matches_reference(
    cfg: &VectorizerConfig,
    fit_docs: &[String],
    docs: &[String],
) -> Vectorizer {
    let fit_refs: Vec<&str> = fit_docs.iter().map(String::as_str).collect();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let v = Vectorizer::fit(cfg, &fit_refs).unwrap();
    let r = reference(cfg, fit_docs, docs);
    assert!(v.feature_names().eq(r.names.iter()), "vocabulary differs");
    let x = v.transform(&refs);
    assert_eq!(x.shape(), (docs.len(), r.names.len()));
    let mut one = SparseRow::default();
    for (i, (row, want)) in x.outer_iterator().zip(&r.rows).enumerate() {
        let got: Vec<(usize, f32)> = row.iter().map(|(c, v)| (c, *v)).collect();
        assert_eq!(got.len(), want.len(), "doc {i}: nnz differs");
        for ((gc, gv), (wc, wv)) in got.iter().zip(want) {
            assert_eq!(gc, wc, "doc {i}: columns differ");
            assert!(
                (*gv as f64 - wv).abs() < 1e-5,
                "doc {i} col {gc}: {gv} vs {wv}"
            );
        }
        v.transform_one(&docs[i], &mut one);
        let got_one: Vec<(usize, f32)> = one
            .indices
            .iter()
            .map(|&c| c as usize)
            .zip(one.values.iter().copied())
            .collect();
        assert_eq!(
            got_one, got,
            "doc {i}: transform_one differs from transform"
        );
    }
    v
}

#[test]
fn vectorizer_equals_naive_reference_words_and_chars() {
    let docs = paragraphs();
    let cfg = VectorizerConfig {
        word_ngrams: (1, 3),
        char_ngrams: Some((2, 5)),
        min_df: 2,
        max_df: 0.5,
        ..Default::default()
    };
    let v = assert_matches_reference(&cfg, &docs, &docs);
    assert!(
        v.n_features() > 100,
        "suspiciously small vocabulary: {}",
        v.n_features()
    );
}

#[test]
fn vectorizer_equals_naive_reference_max_features_raw_tf() {
    let docs = paragraphs();
    let (train, test) = docs.split_at(docs.len() / 2);
    let cfg = VectorizerConfig {
        word_ngrams: (2, 2),
        char_ngrams: Some((3, 3)),
        min_df: 1,
        max_features: Some(300),
        sublinear_tf: false,
        tokenizer: TokenizerKind::Fast { lowercase: false },
        ..Default::default()
    };
    let v = assert_matches_reference(&cfg, train, test);
    assert_eq!(v.n_features(), 300);
}

#[test]
fn vectorizer_equals_naive_reference_on_tweets() {
    let Some(tweets) = semeval_tweets("vectorizer_equals_naive_reference_on_tweets") else {
        return;
    };
    let cfg = VectorizerConfig {
        char_ngrams: Some((2, 4)),
        ..Default::default()
    };
    assert_matches_reference(&cfg, &tweets, &tweets[..500]);
}

#[test]
fn transform_is_deterministic_across_thread_counts() {
    let docs = paragraphs();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let cfg = VectorizerConfig {
        char_ngrams: Some((2, 5)),
        ..Default::default()
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let (v1, x1) = one.install(|| {
        let v = Vectorizer::fit(&cfg, &refs).unwrap();
        let x = v.transform(&refs);
        (v, x)
    });
    let v2 = Vectorizer::fit(&cfg, &refs).unwrap();
    let x2 = v2.transform(&refs);
    assert!(v1.feature_names().eq(v2.feature_names()));
    assert_eq!(v1.idf(), v2.idf());
    assert_eq!(x1, x2);
    assert_eq!(
        serde_json::to_string(&v1).unwrap(),
        serde_json::to_string(&v2).unwrap()
    );
}

#[test]
fn save_load_round_trip() {
    let docs = paragraphs();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let v = Vectorizer::fit(&VectorizerConfig::default(), &refs).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vectorizer.json");
    v.save(&path).unwrap();
    let w = Vectorizer::load(&path).unwrap();
    assert!(v.feature_names().eq(w.feature_names()));
    assert_eq!(v.config(), w.config());
    assert_eq!(v.transform(&refs), w.transform(&refs));
    for (c, name) in w.feature_names().enumerate().take(50) {
        assert_eq!(w.column(name), Some(c));
    }
}

#[test]
fn corrupt_saved_vectorizer_is_an_error() {
    let docs = paragraphs();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let v = Vectorizer::fit(&VectorizerConfig::default(), &refs).unwrap();
    let mut json: serde_json::Value = serde_json::to_value(&v).unwrap();
    // Unsorted names, then a length mismatch, then an unknown format.
    json["names"].as_array_mut().unwrap().swap(0, 1);
    assert!(serde_json::from_value::<Vectorizer>(json.clone()).is_err());
    json["names"].as_array_mut().unwrap().swap(0, 1);
    assert!(serde_json::from_value::<Vectorizer>(json.clone()).is_ok());
    json["idf"].as_array_mut().unwrap().pop();
    assert!(serde_json::from_value::<Vectorizer>(json.clone()).is_err());
    let mut ok: serde_json::Value = serde_json::to_value(&v).unwrap();
    ok["format"] = "stance-vectorizer/999".into();
    assert!(serde_json::from_value::<Vectorizer>(ok).is_err());
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, b"{\"format\": 1").unwrap();
    assert!(Vectorizer::load(&bad).is_err());
    assert!(Vectorizer::load(Path::new("/nonexistent/vectorizer.json")).is_err());
}

#[test]
fn invalid_configs_are_rejected() {
    let ok = VectorizerConfig::default();
    ok.validate().unwrap();
    let bad = [
        VectorizerConfig {
            word_ngrams: (2, 1),
            ..ok.clone()
        },
        VectorizerConfig {
            word_ngrams: (0, 2),
            ..ok.clone()
        },
        VectorizerConfig {
            word_ngrams: (0, 0),
            char_ngrams: None,
            ..ok.clone()
        },
        VectorizerConfig {
            char_ngrams: Some((0, 3)),
            ..ok.clone()
        },
        VectorizerConfig {
            min_df: 0,
            ..ok.clone()
        },
        VectorizerConfig {
            max_df: 0.0,
            ..ok.clone()
        },
        VectorizerConfig {
            max_df: f32::NAN,
            ..ok.clone()
        },
        VectorizerConfig {
            max_features: Some(0),
            ..ok.clone()
        },
        VectorizerConfig {
            tokenizer: TokenizerKind::HuggingFace("{}".into()),
            ..ok.clone()
        },
    ];
    for cfg in bad {
        assert!(cfg.validate().is_err(), "accepted {cfg:?}");
        assert!(Vectorizer::fit(&cfg, &["a b", "a b"]).is_err());
    }
    // Nothing survives min_df, and no documents at all.
    assert!(Vectorizer::fit(
        &VectorizerConfig {
            min_df: 5,
            ..ok.clone()
        },
        &["a", "b"]
    )
    .is_err());
    assert!(Vectorizer::fit(&ok, &[]).is_err());
}

#[test]
fn empty_and_unknown_documents_give_empty_rows() {
    let v = Vectorizer::fit(
        &VectorizerConfig::default(),
        &["tax cuts now", "tax cuts later"],
    )
    .unwrap();
    assert_eq!(v.transform(&[]).shape(), (0, v.n_features()));
    let x = v.transform(&["", "zzz qqq", "tax"]);
    assert_eq!(x.indptr().raw_storage(), &[0, 0, 0, 1]);
    let mut row = SparseRow::default();
    v.transform_one("", &mut row);
    assert_eq!(row.nnz(), 0);
    v.transform_one("tax cuts tax", &mut row);
    let norm: f32 = row.values.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-6);
    assert_eq!(v.feature_name(row.indices[0] as usize), "w:cuts");
}

#[test]
fn hugging_face_tokenizer_json_can_drive_the_vectorizer() {
    use tokenizers::models::wordlevel::WordLevel;
    let docs = paragraphs();
    // A WordLevel model whose vocabulary is the 200 most frequent fast tokens.
    let fast = Tokenizer::new(&TokenizerKind::default()).unwrap();
    let mut freq: HashMap<String, usize> = HashMap::new();
    for d in &docs {
        for t in fast.tokenize(d) {
            *freq.entry(t).or_default() += 1;
        }
    }
    let mut top: Vec<(String, usize)> = freq.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut vocab: HashMap<String, u32> = top
        .iter()
        .take(200)
        .enumerate()
        .map(|(i, (t, _))| (t.clone(), i as u32))
        .collect();
    vocab.insert("[UNK]".into(), vocab.len() as u32);
    let model = WordLevel::builder()
        .vocab(vocab.clone().into_iter().collect())
        .unk_token("[UNK]".into())
        .build()
        .unwrap();
    let mut tk = hf::fast_equivalent(true).unwrap();
    tk.with_model(model);
    let json = tk.to_string(false).unwrap();

    let kind = TokenizerKind::HuggingFace(json);
    let hf_tok = Tokenizer::new(&kind).unwrap();
    for d in docs.iter().take(20) {
        let want: Vec<String> = fast
            .tokenize(d)
            .into_iter()
            .map(|t| {
                if vocab.contains_key(&t) {
                    t
                } else {
                    "[UNK]".into()
                }
            })
            .collect();
        assert_eq!(hf_tok.tokenize(d), want);
    }
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let cfg = VectorizerConfig {
        tokenizer: kind,
        ..Default::default()
    };
    let v = Vectorizer::fit(&cfg, &refs).unwrap();
    assert!(v.column("w:[UNK]").is_some());
    let w: Vectorizer = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
    assert_eq!(v.transform(&refs), w.transform(&refs));
}

#[test]
fn per_thread_caches_do_not_leak_between_vectorizers() {
    // Two vectorizers with different vocabularies used alternately on one thread, plus
    // tokens too long for the token cache and non-ASCII ones: every row must equal the naive
    // reference, whatever the cache holds.
    let mut docs = paragraphs();
    docs.push("Supercalifragilisticexpialidocious antidisestablishmentarianism x".into());
    docs.push("supercalifragilisticexpialidocious Übermäßig ÜBERMÄSSIG naïveté".into());
    docs.push("antidisestablishmentarianism naïveté übermäßig".into());
    let a_cfg = VectorizerConfig {
        char_ngrams: Some((2, 5)),
        ..Default::default()
    };
    let b_cfg = VectorizerConfig {
        word_ngrams: (1, 1),
        char_ngrams: Some((3, 4)),
        min_df: 1,
        ..Default::default()
    };
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let a = Vectorizer::fit(&a_cfg, &refs).unwrap();
    let b = Vectorizer::fit(&b_cfg, &refs).unwrap();
    let (ra, rb) = (
        reference(&a_cfg, &docs, &docs),
        reference(&b_cfg, &docs, &docs),
    );
    let mut row = SparseRow::default();
    for _pass in 0..2 {
        for (i, d) in docs.iter().enumerate() {
            for (v, r) in [(&a, &ra), (&b, &rb)] {
                v.transform_one(d, &mut row);
                let want: Vec<usize> = r.rows[i].keys().copied().collect();
                let got: Vec<usize> = row.indices.iter().map(|&c| c as usize).collect();
                assert_eq!(got, want, "doc {i}");
                for (g, w) in row.values.iter().zip(r.rows[i].values()) {
                    assert!((*g as f64 - w).abs() < 1e-5);
                }
            }
        }
    }
}

/// Every way of cutting `doc` after a whitespace char: (prefix, rest).
fn cuts_after_spaces(doc: &str) -> impl Iterator<Item = (&str, &str)> {
    doc.char_indices()
        .filter(|(_, c)| c.is_whitespace())
        .map(move |(i, c)| doc.split_at(i + c.len_utf8()))
}

#[test]
fn joined_tokens_are_the_tokens_of_the_joined_text() {
    // The wide context's tokens are the earlier sentence's followed by the context's: exact
    // whenever the earlier part ends with whitespace, on real and on tricky text.
    let mut docs = paragraphs();
    docs.push(
        "don’t #NATO @Russia 1,000.5 İstanbul\u{a0}’s x' 'y ÇUT \u{212A}elvin # @ 3 .5".into(),
    );
    let (mut whole, mut rest, mut joined) = (
        LowerTokens::default(),
        LowerTokens::default(),
        LowerTokens::default(),
    );
    let mut cuts = 0;
    for d in &docs {
        whole.tokenize(d);
        for (prefix, tail) in cuts_after_spaces(d) {
            assert!(joins_cleanly(prefix));
            rest.tokenize(tail);
            joined.tokenize_before(prefix, &rest);
            assert_eq!(
                joined.tokens().to_vec(),
                whole.tokens().to_vec(),
                "{prefix:?} | {tail:?}"
            );
            assert_eq!(joined.keys(), whole.keys());
            cuts += 1;
        }
    }
    assert!(cuts > 1000, "only {cuts} cuts");
    // Where the check says no, joining can be wrong: "don" + "’t" is one token, not two.
    assert!(!joins_cleanly("don"));
    rest.tokenize("’t go");
    joined.tokenize_before("don", &rest);
    whole.tokenize("don’t go");
    assert_ne!(joined.tokens().to_vec(), whole.tokens().to_vec());
}

/// Word 1–3-grams and char 2–5-grams, every feature kept: the token cache's path.
fn words_1_3_and_chars() -> VectorizerConfig {
    VectorizerConfig {
        word_ngrams: (1, 3),
        char_ngrams: Some((2, 5)),
        min_df: 1,
        ..Default::default()
    }
}

#[test]
fn a_text_ending_with_a_counted_one_gives_the_joined_row() {
    // `transform_tokens_before` counts only the earlier part (with the n-grams across the
    // join) and adds the kept counts of the rest: the row must be bit for bit the one of the
    // whole text, for word n-grams up to 3 and for char n-grams (the token cache path).
    let docs = paragraphs();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let configs = [
        VectorizerConfig::default(),
        words_1_3_and_chars(),
        VectorizerConfig {
            word_ngrams: (2, 3),
            min_df: 1,
            sublinear_tf: false,
            ..Default::default()
        },
    ];
    let other = Vectorizer::fit(&VectorizerConfig::default(), &refs[..10]).unwrap();
    let (mut whole, mut rest, mut joined) = (
        LowerTokens::default(),
        LowerTokens::default(),
        LowerTokens::default(),
    );
    let (mut want, mut got, mut part) = (
        SparseRow::default(),
        SparseRow::default(),
        SparseRow::default(),
    );
    let (mut counts, mut foreign) = (FeatureCounts::default(), FeatureCounts::default());
    for cfg in &configs {
        let v = Vectorizer::fit(cfg, &refs).unwrap();
        let mut checked = 0;
        for d in docs.iter().take(40) {
            v.transform_one(d, &mut want);
            whole.tokenize(d);
            v.transform_tokens(whole.tokens(), &mut got);
            assert_eq!(got, want);
            for (prefix, tail) in cuts_after_spaces(d) {
                rest.tokenize(tail);
                // The rest's own row, directly and from its kept counts.
                v.count_tokens(rest.tokens(), &mut counts);
                v.transform_tokens(rest.tokens(), &mut part);
                v.transform_one(tail, &mut got);
                assert_eq!(part, got, "rest {tail:?}");
                v.transform_counts(&counts, &mut got);
                assert_eq!(part, got, "rest from counts {tail:?}");
                // The whole text's row from the earlier part and the kept counts.
                joined.tokenize_before(prefix, &rest);
                let starts = joined.tokens().len() - rest.tokens().len();
                v.transform_tokens_before(joined.tokens(), starts, &counts, &mut got);
                assert_eq!(got, want, "{prefix:?} | {tail:?}");
                checked += 1;
            }
            // Counts another vectorizer kept are not added: the whole text is counted.
            other.count_tokens(whole.tokens(), &mut foreign);
            assert!(foreign.is_of(&other) && !foreign.is_of(&v));
            v.transform_tokens_before(whole.tokens(), 0, &foreign, &mut got);
            assert_eq!(got, want);
            v.transform_counts(&foreign, &mut got);
            assert!(got.indices.is_empty());
        }
        assert!(checked > 500, "only {checked} cuts");
    }
}

#[test]
fn single_word_rows_are_the_full_rows_without_longer_n_grams() {
    // `transform_*_upto(.., 1, ..)` (the `text_unigrams` / `context_unigrams` parts) must be
    // the full row restricted to the columns of single words (and of char n-grams), then
    // L2-normalised again: the same columns and IDF, only the longer word n-grams gone.
    let docs = paragraphs();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let configs = [VectorizerConfig::default(), words_1_3_and_chars()];
    let (mut full, mut got, mut tokens) = (
        SparseRow::default(),
        SparseRow::default(),
        LowerTokens::default(),
    );
    for cfg in &configs {
        let v = Vectorizer::fit(cfg, &refs).unwrap();
        let (mut dropped, mut kept) = (0, 0);
        for d in docs.iter().take(60) {
            v.transform_one(d, &mut full);
            let single = |c: &u32| {
                let name = v.feature_name(*c as usize);
                !(name.starts_with("w:") && name.contains(' '))
            };
            let cells: Vec<(u32, f32)> = full
                .indices
                .iter()
                .zip(&full.values)
                .filter(|(c, _)| single(c))
                .map(|(&c, &x)| (c, x))
                .collect();
            dropped += full.indices.len() - cells.len();
            let norm = cells.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
            v.transform_one_upto(d, 1, &mut got);
            let cols: Vec<u32> = cells.iter().map(|c| c.0).collect();
            assert_eq!(got.indices, cols, "{d:?}");
            for ((_, want), &x) in cells.iter().zip(&got.values) {
                assert!(
                    (want / norm - x).abs() < 1e-6,
                    "{d:?}: {x} vs {}",
                    want / norm
                );
            }
            kept += cols.len();
            // The tokenized path gives the same row bit for bit.
            tokens.tokenize(d);
            let mut again = SparseRow::default();
            v.transform_tokens_upto(tokens.tokens(), 1, &mut again);
            assert_eq!(again, got);
            // One counting pass for both rows gives each bit for bit.
            let (mut both_full, mut both_upto) = (SparseRow::default(), SparseRow::default());
            v.transform_tokens_and_upto(tokens.tokens(), 1, &mut both_full, &mut both_upto);
            assert_eq!(both_upto, got, "{d:?}");
            v.transform_tokens(tokens.tokens(), &mut again);
            assert_eq!(both_full, again, "{d:?}");
            v.transform_tokens_and_upto(tokens.tokens(), 2, &mut both_full, &mut both_upto);
            v.transform_tokens_upto(tokens.tokens(), 2, &mut again);
            assert_eq!(both_upto, again, "{d:?}");
            // With room for every n-gram, the full row.
            v.transform_one_upto(d, usize::MAX, &mut again);
            assert_eq!(again, full);
        }
        assert!(
            dropped > 100 && kept > 100,
            "dropped {dropped}, kept {kept}"
        );
    }
}
