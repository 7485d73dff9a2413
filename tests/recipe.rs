//! Training recipes end to end: parsing (`Recipe::load`), gold sets (`GoldSet::load`,
//! groups), the copy guard of `RecipeData::training_records`, topic choice
//! (`model::choose_topics`), grouped cross-validation (`eval::cv`) and the command line
//! (`stance train --recipe`, `stance eval cv --recipe`).
//!
//! The end-to-end tests use `tests/fixtures/recipe/tiny.recipe.toml`: the five seed articles of
//! `data/` (66 gold quotes), three small statement files written for these tests, no
//! embeddings, one C, 2-fold inner CV — under a second per training in a debug build.

use serde_json::Value;
use stance::corpora::gold::{read_gold, read_groups, GoldSet};
use stance::eval::cv::{assign_groups, cross_validate, CvOptions, CvReport};
use stance::model::TopicRule;
use stance::quotes::QuoteExtractor;
use stance::recipe::{word_ngrams, CopyGuard, DroppedCopies, Recipe, RecipeData};
use stance::topics::TopicConfig;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;
use common::{assert_success, example, root, run, stance};

/// The seed articles and their gold quotes.
const SEED_ARTICLES: [&str; 5] = [
    "000_43da77a679854bc7",
    "001_4d6ec3b30284fe3f",
    "002_dfa974dc6e2f71e1",
    "003_b8a2ebccda844a67",
    "004_fafa6a3430f658bd",
];
const SEED_QUOTES: usize = 66;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/recipe").join(name)
}

fn seeds_articles() -> PathBuf {
    root().join("data/articles")
}

fn seeds_gold() -> PathBuf {
    root().join("data/gold/seeds.jsonl")
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// TOML string literal of a path (literal strings: no escapes on any platform).
fn lit(path: &Path) -> String {
    format!("'{}'", path.display())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn load_err(recipe: &Path) -> String {
    Recipe::load(recipe)
        .expect_err("the recipe must be refused")
        .to_string()
}

fn data_err(recipe: &Path) -> String {
    let r = Recipe::load(recipe).expect("the recipe itself parses");
    r.load_data(&QuoteExtractor::with_defaults())
        .expect_err("loading its data must fail")
        .to_string()
}

fn gold_err(dir: &Path, gold: &str) -> String {
    write(&dir.join("gold.jsonl"), gold);
    GoldSet::load("t", dir, &dir.join("gold.jsonl"), None)
        .expect_err("the gold set must be refused")
        .to_string()
}

fn tiny() -> (Recipe, RecipeData, QuoteExtractor) {
    let recipe = Recipe::load(fixture("tiny.recipe.toml")).unwrap();
    let ex = QuoteExtractor::with_defaults();
    let data = recipe.load_data(&ex).unwrap();
    (recipe, data, ex)
}

fn by_id<'a>(recs: &'a [stance::dataset::Record], id: &str) -> Option<&'a stance::dataset::Record> {
    recs.iter()
        .find(|r| r.extra.get("id").and_then(Value::as_str) == Some(id))
}

// ---- 1. parsing ----------------------------------------------------------------------------

#[test]
fn unknown_keys_are_refused_with_their_name_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let ok_gold = format!(
        "[[gold]]\nname = \"s\"\narticles = {}\nquotes = {}\n",
        lit(&seeds_articles()),
        lit(&seeds_gold())
    );
    let cases = [
        // a misspelt key of a source
        (
            "artciles",
            format!(
                "[[gold]]\nname = \"s\"\nartciles = {}\nquotes = {}\n",
                lit(&seeds_articles()),
                lit(&seeds_gold())
            ),
        ),
        // a misspelt table
        ("trian", format!("{ok_gold}[trian]\nc = [1.0]\n")),
        // a misspelt training parameter (TrainParams denies unknown fields)
        ("cv_fold", format!("{ok_gold}[train]\ncv_fold = 2\n")),
        // a key of the wrong table
        ("max_quotes", format!("{ok_gold}max_quotes = 10\n")),
        (
            "polnaer",
            format!("{ok_gold}[attribution]\npolnaer = \"x\"\n"),
        ),
    ];
    for (key, toml) in cases {
        let path = dir.path().join(format!("{key}.toml"));
        write(&path, &toml);
        let e = load_err(&path);
        assert!(e.contains(key), "error must name `{key}`: {e}");
        assert!(e.contains(p(&path)), "error must name the recipe file: {e}");
    }
    // The same recipe without the typo is accepted.
    let good = dir.path().join("good.toml");
    write(&good, &ok_gold);
    assert!(Recipe::load(&good).is_ok());

    // The command line says the same and does not panic.
    let bad = dir.path().join("cv_fold.toml");
    let out = dir.path().join("model");
    let (code, _, err) = run(&["train", "--quiet", "--recipe", p(&bad), "-o", p(&out)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cv_fold") && !err.contains("panicked"),
        "{err}"
    );
    assert!(!out.exists(), "no model is written for a refused recipe");
}

#[test]
fn a_recipe_without_gold_or_statements_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, toml) in [
        ("empty", String::new()),
        ("train_only", "[train]\nc = [1.0]\n".to_string()),
        ("empty_lists", "gold = []\nstatements = []\n".to_string()),
        (
            "off_domain_only",
            "[[off_domain]]\npolnear = \"../shared/corpora/polnear\"\n".to_string(),
        ),
    ] {
        let path = dir.path().join(format!("{name}.toml"));
        write(&path, &toml);
        let e = load_err(&path);
        assert!(
            e.contains("at least one [[gold]] or [[statements]]"),
            "{name}: {e}"
        );
        assert!(e.contains(p(&path)), "{name}: {e}");
    }
    // One statements file is enough.
    let path = dir.path().join("one.toml");
    write(
        &path,
        &format!(
            "[[statements]]\npath = {}\n",
            lit(&fixture("statements.jsonl"))
        ),
    );
    assert!(Recipe::load(&path).is_ok());
}

#[test]
fn relative_paths_resolve_against_the_recipe_directory() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    copy_dir(&seeds_articles(), &corpus.join("articles"));
    std::fs::copy(seeds_gold(), corpus.join("gold.jsonl")).unwrap();
    write(
        &corpus.join("groups.tsv"),
        "article\tgroup\n000_43da77a679854bc7\triyadh\n",
    );
    let recipes = dir.path().join("recipes");
    std::fs::create_dir_all(&recipes).unwrap();
    std::fs::copy(fixture("statements.jsonl"), recipes.join("st.jsonl")).unwrap();
    let abs_tsv = fixture("statements.tsv");
    let path = recipes.join("r.toml");
    write(
        &path,
        &format!(
            "[[gold]]\nname = \"seeds\"\narticles = \"../corpus/articles\"\n\
             quotes = \"../corpus/gold.jsonl\"\ngroups = \"../corpus/groups.tsv\"\n\
             [[statements]]\npath = \"st.jsonl\"\n\
             [[statements]]\npath = {}\n\
             [attribution]\npolnear = \"pn\"\n\
             [train]\nembeddings = \"../emb/vectors.emb\"\n",
            lit(&abs_tsv)
        ),
    );
    // The test runs in the project root, where none of these relative paths exist.
    assert!(!Path::new("../corpus/articles").exists() && !Path::new("st.jsonl").exists());
    let r = Recipe::load(&path).unwrap();
    assert_eq!(r.base, recipes);
    assert_eq!(
        r.train.embeddings.as_deref(),
        Some(recipes.join("../emb/vectors.emb").as_path())
    );
    assert_eq!(r.attribution.as_ref().unwrap().polnear, recipes.join("pn"));
    let files = r.files().unwrap();
    let mut want = vec![
        recipes.join("../corpus/gold.jsonl"),
        recipes.join("../corpus/groups.tsv"),
    ];
    want.extend(
        SEED_ARTICLES
            .iter()
            .map(|a| recipes.join("../corpus/articles").join(format!("{a}.txt"))),
    );
    want.push(recipes.join("st.jsonl"));
    want.push(abs_tsv.clone()); // absolute paths are kept as they are
    assert_eq!(files, want);

    let data = r.load_data(&QuoteExtractor::with_defaults()).unwrap();
    assert_eq!(data.sets.len(), 1);
    assert_eq!(data.sets[0].0.quotes.len(), SEED_QUOTES);
    assert_eq!(data.sets[0].0.articles.len(), 5);
    assert_eq!(
        data.sets[0].0.groups["000_43da77a679854bc7"],
        "seeds/riyadh"
    );
    // 9 JSONL statements + 5 TSV rows.
    assert_eq!(data.statements.len(), 9 + 5);
}

#[test]
fn missing_sources_give_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gold = |articles: &str, quotes: &str, groups: Option<&str>| {
        let mut s = format!("[[gold]]\nname = \"s\"\narticles = {articles}\nquotes = {quotes}\n");
        if let Some(g) = groups {
            s.push_str(&format!("groups = {g}\n"));
        }
        s
    };
    let arts = lit(&seeds_articles());
    let quotes = lit(&seeds_gold());
    let cases: Vec<(&str, String, PathBuf)> = vec![
        (
            "no_articles",
            gold("\"nowhere/articles\"", &quotes, None),
            d.join("nowhere/articles"),
        ),
        (
            "no_quotes",
            gold(&arts, "\"nowhere/gold.jsonl\"", None),
            d.join("nowhere/gold.jsonl"),
        ),
        (
            "no_groups",
            gold(&arts, &quotes, Some("\"nowhere/groups.tsv\"")),
            d.join("nowhere/groups.tsv"),
        ),
        (
            "no_statements",
            "[[statements]]\npath = \"nowhere/st.jsonl\"\n".to_string(),
            d.join("nowhere/st.jsonl"),
        ),
    ];
    for (name, toml, missing) in &cases {
        let path = d.join(format!("{name}.toml"));
        write(&path, toml);
        let e = data_err(&path);
        assert!(
            e.contains(p(missing)),
            "{name}: error must name {}: {e}",
            missing.display()
        );
    }
    // A missing articles folder is also reported by `files()` (the training-data hash).
    let r = Recipe::load(d.join("no_articles.toml")).unwrap();
    let e = r.files().unwrap_err().to_string();
    assert!(e.contains(p(&d.join("nowhere/articles"))), "{e}");
    // A missing recipe file names itself.
    let e = load_err(&d.join("absent.toml"));
    assert!(e.contains(p(&d.join("absent.toml"))), "{e}");

    // The command line: exit 2, the path, no panic, no model.
    for (name, _, missing) in &cases {
        let out = d.join(format!("model-{name}"));
        let recipe = d.join(format!("{name}.toml"));
        let (code, _, err) = run(&["train", "--quiet", "--recipe", p(&recipe), "-o", p(&out)]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(p(missing)), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(!out.exists(), "{name}");
    }
}

// ---- 2. gold sets --------------------------------------------------------------------------

/// An article with multi-byte characters before the quote, so char and byte offsets differ.
const ARTICLE: &str = "Kyiv — “Überraschung” was the word.\nZelensky said: “We will not trade land for a pause.” Later, more.\n";

fn quote_span(article: &str, quote: &str) -> (usize, usize) {
    let b = article.find(quote).unwrap();
    let start = article[..b].chars().count();
    (start, start + quote.chars().count())
}

#[test]
fn gold_quotes_must_point_into_an_existing_article() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a1.txt"), ARTICLE);
    let q = "We will not trade land for a pause.";
    let (s, e) = quote_span(ARTICLE, q);
    let good = format!("{{\"article\":\"a1\",\"start\":{s},\"end\":{e},\"text\":\"{q}\"}}\n");
    write(&dir.path().join("gold.jsonl"), &good);
    let set = GoldSet::load("t", dir.path(), &dir.path().join("gold.jsonl"), None).unwrap();
    assert_eq!(set.quotes.len(), 1);

    // An article that is not in the folder: named, with the folder and the file.
    let err = gold_err(
        dir.path(),
        &format!("{good}{{\"article\":\"a2\",\"start\":0,\"end\":4}}\n"),
    );
    assert!(
        err.contains("\"a2\"") && err.contains(p(dir.path())),
        "{err}"
    );
    assert!(err.contains("gold.jsonl:2:"), "{err}");
    // An article id given with its extension is not the file stem.
    let err = gold_err(
        dir.path(),
        &format!("{{\"article\":\"a1.txt\",\"start\":{s},\"end\":{e}}}\n"),
    );
    assert!(err.contains("\"a1.txt\""), "{err}");
}

#[test]
fn gold_spans_outside_the_article_or_empty_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a1.txt"), ARTICLE);
    let n = ARTICLE.chars().count();
    // Up to the last char is fine (end exclusive)…
    write(
        &dir.path().join("gold.jsonl"),
        &format!("{{\"article\":\"a1\",\"start\":{},\"end\":{n}}}\n", n - 5),
    );
    assert!(GoldSet::load("t", dir.path(), &dir.path().join("gold.jsonl"), None).is_ok());
    // …one past it is not: the byte length (what a byte-offset tool would write) is beyond.
    assert!(ARTICLE.len() > n);
    for end in [n + 1, ARTICLE.len()] {
        let err = gold_err(
            dir.path(),
            &format!("{{\"article\":\"a1\",\"start\":{},\"end\":{end}}}\n", n - 5),
        );
        assert!(err.contains("beyond the article's end"), "{err}");
        assert!(err.contains(&format!("{}..{end}", n - 5)), "{err}");
        assert!(err.contains("gold.jsonl:1:"), "{err}");
    }
    // Empty and reversed spans.
    for (s, e) in [(5, 5), (9, 3)] {
        let err = gold_err(
            dir.path(),
            &format!("{{\"article\":\"a1\",\"start\":{s},\"end\":{e}}}\n"),
        );
        assert!(err.contains(&format!("empty span {s}..{e}")), "{err}");
    }
    // Negative or non-numeric offsets are a data error on their line, not a panic.
    for bad in ["-1", "\"12\"", "1.5"] {
        let err = gold_err(
            dir.path(),
            &format!("{{\"article\":\"a1\",\"start\":{bad},\"end\":20}}\n"),
        );
        assert!(err.contains("gold.jsonl:1:"), "{bad}: {err}");
    }
    // A bad label is refused too.
    let err = gold_err(
        dir.path(),
        "{\"article\":\"a1\",\"start\":0,\"end\":4,\"topics\":{\"nato\":\"support\"}}\n",
    );
    assert!(
        err.contains("gold.jsonl:1:") && err.contains("support"),
        "{err}"
    );
}

#[test]
fn gold_text_is_checked_against_char_offsets() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a1.txt"), ARTICLE);
    let q = "We will not trade land for a pause.";
    let (s, e) = quote_span(ARTICLE, q);
    // Char offsets (the guide's): accepted, and the record's text is the article's.
    write(
        &dir.path().join("gold.jsonl"),
        &format!("{{\"article\":\"a1\",\"start\":{s},\"end\":{e},\"text\":\"{q}\"}}\n"),
    );
    let set = GoldSet::load("t", dir.path(), &dir.path().join("gold.jsonl"), None).unwrap();
    let recs = set.training_records(&QuoteExtractor::with_defaults(), |_| true);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].text, q);
    // Byte offsets of the same quote: the text no longer matches, and the loader says so.
    let b = ARTICLE.find(q).unwrap();
    assert_ne!(b, s, "the article must make byte and char offsets differ");
    let err = gold_err(
        dir.path(),
        &format!(
            "{{\"article\":\"a1\",\"start\":{b},\"end\":{},\"text\":\"{q}\"}}\n",
            b + q.len()
        ),
    );
    assert!(err.contains("`text` differs from the article"), "{err}");
    // A one-char shift is caught as well.
    let err = gold_err(
        dir.path(),
        &format!(
            "{{\"article\":\"a1\",\"start\":{},\"end\":{},\"text\":\"{q}\"}}\n",
            s + 1,
            e + 1
        ),
    );
    assert!(err.contains("differs"), "{err}");
    // Every seed quote of the project matches its article.
    let set = GoldSet::load("seeds", &seeds_articles(), &seeds_gold(), None).unwrap();
    assert_eq!(set.quotes.len(), SEED_QUOTES);
    assert!(set.quotes.iter().all(|q| q.text.is_some()));
}

#[test]
fn gold_errors_name_the_file_line_of_the_bad_quote() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a1.txt"), ARTICLE);
    // Line 1: a training record without offsets (skipped by read_gold); line 2: blank;
    // line 3: a quote of an article that does not exist.
    let err = gold_err(
        dir.path(),
        "{\"article\":\"a1\",\"text\":\"no offsets\",\"topics\":{}}\n\n\
         {\"article\":\"zz\",\"start\":0,\"end\":4}\n",
    );
    assert!(
        err.contains("gold.jsonl:3:"),
        "the bad quote is on line 3: {err}"
    );
}

#[test]
fn read_gold_skips_records_without_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.jsonl");
    // A training-style record (text, no offsets) and a blank line are skipped.
    write(
        &path,
        "{\"article\":\"a\",\"text\":\"x\"}\n\n{\"article\":\"a\",\"start\":1,\"end\":3}\n",
    );
    let g = read_gold(&path).unwrap();
    assert_eq!(g.len(), 1);
    assert_eq!((g[0].start, g[0].end), (1, 3));
    write(
        &path,
        "{\"article\":\"a\",\"start\":1,\"end\":3}\n{not json\n",
    );
    let e = read_gold(&path).unwrap_err().to_string();
    assert!(e.contains("g.jsonl:2:"), "{e}");
}

#[test]
fn gold_record_with_only_one_offset_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.jsonl");
    for half in [
        "{\"article\":\"a\",\"start\":2,\"text\":\"xy\"}",
        "{\"article\":\"a\",\"end\":4,\"text\":\"xy\"}",
        "{\"article\":\"a\",\"start\":2,\"ned\":4}",
    ] {
        write(
            &path,
            &format!("{{\"article\":\"a\",\"start\":1,\"end\":3}}\n{half}\n"),
        );
        match read_gold(&path) {
            Ok(g) => panic!("{half}: accepted, {} quote(s) kept of 2", g.len()),
            Err(e) => assert!(e.to_string().contains("g.jsonl:2:"), "{e}"),
        }
    }
}

#[test]
fn word_ngrams_of_length_zero_do_not_panic() {
    let r = std::panic::catch_unwind(|| word_ngrams("we will not accept it", 0));
    assert!(r.is_ok(), "word_ngrams(_, 0) panicked");
}

#[test]
fn groups_tsv_assigns_groups_and_unlisted_articles_are_their_own_group() {
    let dir = tempfile::tempdir().unwrap();
    let groups = dir.path().join("groups.tsv");
    // Header, CRLF line ends, spaces around fields.
    write(
        &groups,
        "article\tgroup\r\n000_43da77a679854bc7\triyadh\r\n 001_4d6ec3b30284fe3f \t riyadh \r\n\
         002_dfa974dc6e2f71e1\tpress\r\n",
    );
    let g = read_groups(&groups).unwrap();
    assert_eq!(g["001_4d6ec3b30284fe3f"], "riyadh");
    assert_eq!(g.len(), 3);
    let set = GoldSet::load("seeds", &seeds_articles(), &seeds_gold(), Some(&groups)).unwrap();
    let want: BTreeMap<String, String> = [
        ("000_43da77a679854bc7", "seeds/riyadh"),
        ("001_4d6ec3b30284fe3f", "seeds/riyadh"),
        ("002_dfa974dc6e2f71e1", "seeds/press"),
        // Not in groups.tsv: its own group, named after the article.
        ("003_b8a2ebccda844a67", "seeds/003_b8a2ebccda844a67"),
        ("004_fafa6a3430f658bd", "seeds/004_fafa6a3430f658bd"),
    ]
    .into_iter()
    .map(|(a, g)| (a.to_string(), g.to_string()))
    .collect();
    assert_eq!(set.groups, want);
    assert_eq!(
        set.group_names(),
        [
            "seeds/003_b8a2ebccda844a67",
            "seeds/004_fafa6a3430f658bd",
            "seeds/press",
            "seeds/riyadh"
        ]
    );
    // Without a groups file every article is its own group.
    let alone = GoldSet::load("seeds", &seeds_articles(), &seeds_gold(), None).unwrap();
    assert_eq!(alone.group_names().len(), 5);
    assert!(alone.groups.iter().all(|(a, g)| *g == format!("seeds/{a}")));

    // Through a recipe: quotes per group, and a statement tied to an article joins its group.
    let recipe = dir.path().join("r.toml");
    write(
        &recipe,
        &format!(
            "[[gold]]\nname = \"seeds\"\narticles = {}\nquotes = {}\ngroups = \"groups.tsv\"\n\
             [[statements]]\npath = {}\n",
            lit(&seeds_articles()),
            lit(&seeds_gold()),
            lit(&fixture("statements.jsonl"))
        ),
    );
    let r = Recipe::load(&recipe).unwrap();
    let ex = QuoteExtractor::with_defaults();
    let data = r.load_data(&ex).unwrap();
    let per_group = data.quotes_per_group();
    assert_eq!(per_group["seeds/riyadh"], 11 + 4);
    assert_eq!(per_group["seeds/press"], 25);
    assert_eq!(per_group["seeds/003_b8a2ebccda844a67"], 16);
    assert_eq!(per_group["seeds/004_fafa6a3430f658bd"], 10);
    assert_eq!(per_group.values().sum::<usize>(), SEED_QUOTES);
    assert_eq!(data.groups(), set.group_names());
    let tied = by_id(&data.statements, "t-09").unwrap();
    assert_eq!(tied.group.as_deref(), Some("seeds/004_fafa6a3430f658bd"));
    assert!(data
        .statements
        .iter()
        .filter(|r| r.extra.get("id").and_then(Value::as_str) != Some("t-09"))
        .all(|r| r.group.is_none()));
    // Gold training records carry their article's group.
    let (recs, dropped) = data.training_records(&ex, |_| true, None);
    assert_eq!(dropped, DroppedCopies::default());
    for rec in recs.iter().filter(|r| r.extra.contains_key("start")) {
        let a = rec.extra["article"].as_str().unwrap();
        assert_eq!(rec.group.as_deref(), Some(want[a].as_str()));
    }
    // The folds keep groups whole: riyadh's two articles are held out together.
    let sizes: Vec<(String, usize)> = per_group.into_iter().collect();
    let folds = assign_groups(&sizes, 2);
    assert_eq!(folds.len(), 2);
    let all: BTreeSet<&String> = folds.iter().flatten().collect();
    assert_eq!(all.len(), 4);

    // A line without a tab is refused with the file and line.
    write(&groups, "article\tgroup\n000_43da77a679854bc7 riyadh\n");
    let e = read_groups(&groups).unwrap_err().to_string();
    assert!(e.contains(&format!("{}:2:", groups.display())), "{e}");
}

/// A gold set's articles are read as `stance label` reads them: the seeds as one JSON Lines
/// file of `{"id","text"}` records, or in subfolders, give the same articles and the same
/// training records as the seeds' folder (ids `day1/…` below a subfolder); an article that
/// cannot be read is refused, naming it, instead of silently losing its gold quotes.
#[test]
fn gold_articles_may_be_a_jsonl_file_or_nested_folders() {
    let ex = QuoteExtractor::with_defaults();
    let folder = GoldSet::load("s", &seeds_articles(), &seeds_gold(), None).unwrap();
    assert_eq!(
        folder
            .articles
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>(),
        SEED_ARTICLES
    );
    let dir = tempfile::tempdir().unwrap();

    let jsonl = dir.path().join("articles.jsonl");
    let lines: String = folder
        .articles
        .iter()
        .map(|a| {
            format!(
                "{}\n",
                serde_json::json!({"id": a.id, "text": a.text, "date": "2025-02-18"})
            )
        })
        .collect();
    write(&jsonl, &lines);
    let from_jsonl = GoldSet::load("s", &jsonl, &seeds_gold(), None).unwrap();
    assert_eq!(from_jsonl.articles, folder.articles);
    assert_eq!(from_jsonl.groups, folder.groups);
    let records = |set: &GoldSet| {
        let recs = set.training_records(&ex, |_| true);
        serde_json::to_string(&recs).unwrap()
    };
    assert_eq!(records(&from_jsonl), records(&folder));
    assert_eq!(folder.training_records(&ex, |_| true).len(), SEED_QUOTES);
    // The training-data hash reads the JSON Lines file as the set's articles.
    let recipe = dir.path().join("r.toml");
    write(
        &recipe,
        &format!(
            "[[gold]]\nname = \"s\"\narticles = \"articles.jsonl\"\nquotes = {}\n",
            lit(&seeds_gold())
        ),
    );
    let files = Recipe::load(&recipe).unwrap().files().unwrap();
    assert_eq!(files, [seeds_gold(), jsonl.clone()]);

    // Nested folders: ids are paths below the folder, as `stance label` names them.
    let nested = dir.path().join("nested");
    for (i, a) in folder.articles.iter().enumerate() {
        write(&nested.join(format!("day{}/{}.txt", i % 2, a.id)), &a.text);
    }
    write(&nested.join("README.md"), "not an article\n");
    let gold = dir.path().join("nested.jsonl");
    let moved: String = std::fs::read_to_string(seeds_gold())
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            let id = v["article"].as_str().unwrap().to_string();
            let i = SEED_ARTICLES.iter().position(|a| *a == id).unwrap();
            v["article"] = format!("day{}/{id}", i % 2).into();
            format!("{v}\n")
        })
        .collect();
    write(&gold, &moved);
    let from_nested = GoldSet::load("s", &nested, &gold, None).unwrap();
    assert_eq!(from_nested.articles.len(), 5);
    assert!(from_nested
        .articles
        .iter()
        .any(|a| a.id == "day1/001_4d6ec3b30284fe3f"));
    assert_eq!(from_nested.quotes.len(), SEED_QUOTES);
    assert_eq!(
        from_nested.training_records(&ex, |_| true).len(),
        SEED_QUOTES
    );

    // A binary file among the articles is an error that names it.
    write(&nested.join("day0/broken.txt"), "text\0more");
    let e = GoldSet::load("s", &nested, &gold, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("broken.txt") && e.contains("binary"), "{e}");
}

#[test]
fn news_dev_groups_cover_every_article() {
    let test = "news_dev_groups_cover_every_article";
    let dev = root().join("../shared/news-dev");
    if !dev.join("groups.tsv").exists() {
        common::skip(
            test,
            &format!("{} not found (../shared absent)", dev.display()),
        );
        return;
    }
    let tsv = read_groups(&dev.join("groups.tsv")).unwrap();
    let set = GoldSet::load(
        "news-dev",
        &dev.join("articles"),
        &dev.join("gold.jsonl"),
        Some(&dev.join("groups.tsv")),
    )
    .unwrap();
    assert_eq!(set.quotes.len(), 302);
    assert_eq!(set.articles.len(), 58);
    for a in &set.articles {
        let g = tsv
            .get(&a.id)
            .unwrap_or_else(|| panic!("{} not in groups.tsv", a.id));
        assert_eq!(set.groups[&a.id], format!("news-dev/{g}"));
    }
    // Grouped folds never split a story.
    let mut per_group: BTreeMap<String, usize> = BTreeMap::new();
    for q in &set.quotes {
        *per_group.entry(set.groups[&q.article].clone()).or_default() += 1;
    }
    let sizes: Vec<(String, usize)> = per_group.into_iter().collect();
    let folds = assign_groups(&sizes, 5);
    assert_eq!(folds.len(), 5);
    let flat: Vec<&String> = folds.iter().flatten().collect();
    let distinct: BTreeSet<&String> = flat.iter().copied().collect();
    assert_eq!(flat.len(), distinct.len(), "a group in two folds");
    assert_eq!(distinct.len(), set.group_names().len());
}

// ---- 3. the copy guard -----------------------------------------------------------------------

#[test]
fn leak_guard_drops_copies_of_a_held_out_quote_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let held_q = "We don’t accept any deal that gives away our land";
    let kept_q = "The sanctions will stay in place for as long as needed";
    write(
        &d.join("articles/held.txt"),
        &format!("Talks ended.\n“{held_q},” the president said.\n"),
    );
    write(
        &d.join("articles/kept.txt"),
        &format!("Brussels.\n“{kept_q},” the commissioner said.\n"),
    );
    let (hs, he) = quote_span(
        &std::fs::read_to_string(d.join("articles/held.txt")).unwrap(),
        held_q,
    );
    let (ks, ke) = quote_span(
        &std::fs::read_to_string(d.join("articles/kept.txt")).unwrap(),
        kept_q,
    );
    write(
        &d.join("gold.jsonl"),
        &format!(
            "{{\"article\":\"held\",\"start\":{hs},\"end\":{he},\"topics\":{{\"territory\":\"against\"}}}}\n\
             {{\"article\":\"kept\",\"start\":{ks},\"end\":{ke},\"topics\":{{\"sanctions\":\"favor\"}}}}\n"
        ),
    );
    let st = |id: &str, text: &str, context: Option<&str>, article: Option<&str>| {
        let mut v = serde_json::json!({"id": id, "text": text, "topics": {"territory": "against"}});
        if let Some(c) = context {
            v["context"] = c.into();
        }
        if let Some(a) = article {
            v["article"] = a.into();
        }
        v.to_string()
    };
    let lines = [
        // the held-out quote copied (other case, straight apostrophe): a copy
        st("copy", "WE DON'T ACCEPT ANY DEAL that gives away our land!", None, None),
        // the quote only inside the context: a copy
        st(
            "in-context",
            "That is our answer,",
            Some("“We don’t accept any deal that gives away our land,” he said. “That is our answer,” he added."),
            None,
        ),
        // five consecutive words in common, not six: kept
        st("five-words", "They don't accept any deal that is unfair", None, None),
        st("unrelated", "The summit will take place in the spring", None, None),
        // tied to the held-out article: left out by its group, not counted as a copy
        st("tied", "Nothing about land was agreed", None, Some("held")),
    ];
    write(&d.join("st.jsonl"), &(lines.join("\n") + "\n"));
    write(
        &d.join("r.toml"),
        "[[gold]]\nname = \"g\"\narticles = \"articles\"\nquotes = \"gold.jsonl\"\n\
         [[statements]]\npath = \"st.jsonl\"\n",
    );
    let r = Recipe::load(d.join("r.toml")).unwrap();
    let ex = QuoteExtractor::with_defaults();
    let data = r.load_data(&ex).unwrap();
    let keep = |g: &str| g != "g/held";
    let ids = |recs: &[stance::dataset::Record]| -> Vec<String> {
        recs.iter()
            .map(|r| match r.extra.get("id").and_then(Value::as_str) {
                Some(id) => id.to_string(),
                None => format!("gold:{}", r.extra["article"].as_str().unwrap()),
            })
            .collect()
    };
    // Without a guard: the other article's gold quote and every untied statement.
    let (all, dropped) = data.training_records(&ex, keep, None);
    assert_eq!(dropped.total(), 0);
    assert_eq!(
        ids(&all),
        ["gold:kept", "copy", "in-context", "five-words", "unrelated"]
    );
    // With the held-out quote's 6-grams forbidden: the two copies go, and are counted.
    let exact = CopyGuard::new([held_q], 6, false);
    let (guarded, dropped) = data.training_records(&ex, keep, Some(&exact));
    assert_eq!(ids(&guarded), ["gold:kept", "five-words", "unrelated"]);
    assert_eq!(dropped, DroppedCopies { exact: 2, near: 0 });
    // With 5-grams the five-word overlap is a copy too.
    let exact5 = CopyGuard::new([held_q], 5, false);
    let (_, dropped5) = data.training_records(&ex, keep, Some(&exact5));
    assert_eq!(dropped5, DroppedCopies { exact: 3, near: 0 });
    // With the near check (CV's default) the five-word overlap goes as a retelling: it shares
    // two word 4-grams ("don't accept any deal", "accept any deal that").
    let near = CopyGuard::new([held_q], 6, true);
    let (guarded, dropped) = data.training_records(&ex, keep, Some(&near));
    assert_eq!(ids(&guarded), ["gold:kept", "unrelated"]);
    assert_eq!(dropped, DroppedCopies { exact: 2, near: 1 });
    // Keeping every group: the held-out article's own gold quote is dropped as a copy of itself,
    // and the tied statement is back.
    let (every, dropped) = data.training_records(&ex, |_| true, Some(&exact));
    assert_eq!(dropped.total(), 3);
    assert_eq!(
        ids(&every),
        ["gold:kept", "five-words", "unrelated", "tied"]
    );
}

#[test]
fn leak_guard_on_the_seeds_drops_the_statement_copied_from_a_held_out_article() {
    let (_, data, ex) = tiny();
    let held = "seeds/004_fafa6a3430f658bd";
    let set = &data.sets[0].0;
    let art = set
        .articles
        .iter()
        .find(|a| a.id == SEED_ARTICLES[4])
        .unwrap();
    let idx = stance::article::CharIndex::new(&art.text);
    let held_quotes: Vec<&str> = set
        .quotes
        .iter()
        .filter(|q| q.article == art.id)
        .map(|q| idx.slice(&art.text, q.start, q.end))
        .collect();
    let exact = CopyGuard::new(held_quotes.iter().copied(), 6, false);
    let keep = |g: &str| g != held;
    let (plain, d0) = data.training_records(&ex, keep, None);
    let (guarded, dropped) = data.training_records(&ex, keep, Some(&exact));
    assert_eq!(d0.total(), 0);
    assert_eq!(dropped.near, 0, "near check off");
    let dropped = dropped.total();
    assert_eq!(plain.len() - dropped, guarded.len());
    assert!(by_id(&plain, "copy-01").is_some());
    assert!(
        by_id(&guarded, "copy-01").is_none(),
        "the copy of a 004 quote is dropped"
    );
    for id in ["copy-02", "t-01", "t-08"] {
        assert!(by_id(&guarded, id).is_some(), "{id} is no copy");
    }
    assert!(
        by_id(&plain, "t-09").is_none(),
        "tied to 004: held out with it"
    );
    assert!(guarded.iter().all(|r| r.group.as_deref() != Some(held)));
    // The seeds repeat some quotes across articles ("the first step of a long and difficult
    // journey" is in 000, 002 and 004): those gold records of other articles go too.
    let gold_dropped = plain
        .iter()
        .filter(|r| r.extra.contains_key("start"))
        .count()
        - guarded
            .iter()
            .filter(|r| r.extra.contains_key("start"))
            .count();
    assert!(gold_dropped >= 2, "{gold_dropped}");
    assert_eq!(dropped, gold_dropped + 1);
    // With the near check the same exact copies go, and a gold quote of 002 that retells one
    // of 004 in other words ("take into account each other's interests", against "We have
    // agreed to take account of each other's interests …": 5 shared content words, Jaccard
    // 0.33) goes too; no statement of the fixture retells a 004 quote.
    let both = CopyGuard::new(held_quotes.iter().copied(), 6, true);
    let (near, d) = data.training_records(&ex, keep, Some(&both));
    assert_eq!(d.exact, dropped);
    assert!(d.near >= 1, "{d:?}");
    assert_eq!(plain.len() - d.total(), near.len());
    let text_of = |recs: &[stance::dataset::Record], t: &str| recs.iter().any(|r| r.text == t);
    let retold = "take into account each other’s interests.";
    assert!(text_of(&guarded, retold), "kept without the near check");
    assert!(!text_of(&near, retold), "dropped by the near check");
    for id in ["copy-02", "t-01", "t-08"] {
        assert!(by_id(&near, id).is_some(), "{id} retells no 004 quote");
    }
}

// ---- 4. topic choice ------------------------------------------------------------------------

/// One quote alone under per-topic thresholds and a cap.
fn choose_topics(p: &[f32], thresholds: &[f32], max_topics: usize) -> Vec<usize> {
    TopicRule::new(thresholds.to_vec(), max_topics).choose(p)
}

#[test]
fn choose_topics_respects_per_topic_thresholds() {
    // Inclusive thresholds, one per topic.
    assert_eq!(choose_topics(&[0.6, 0.6, 0.6], &[0.5, 0.7, 0.6], 3), [0, 2]);
    // A topic without a threshold uses 0.5.
    assert_eq!(choose_topics(&[0.2, 0.55, 0.49], &[0.1], 3), [0, 1]);
    // A low threshold lets a low probability in; a high one keeps a high probability out.
    assert_eq!(choose_topics(&[0.15, 0.85], &[0.1, 0.9], 2), [0]);
    // NaN never passes.
    assert_eq!(choose_topics(&[f32::NAN, 0.7], &[0.0, 0.5], 2), [1]);
}

#[test]
fn choose_topics_keeps_the_most_probable_and_returns_them_in_topic_order() {
    let p = [0.55, 0.9, 0.7, 0.8, 0.3];
    let th = [0.5; 5];
    // The two most probable (1: 0.9, 3: 0.8), listed by topic index, not by probability.
    assert_eq!(choose_topics(&p, &th, 2), [1, 3]);
    assert_eq!(choose_topics(&p, &th, 1), [1]);
    assert_eq!(choose_topics(&p, &th, 3), [1, 2, 3]);
    assert_eq!(choose_topics(&p, &th, 10), [0, 1, 2, 3]);
    // The cut is by probability among those that pass their own threshold.
    assert_eq!(choose_topics(&p, &[0.5, 0.95, 0.5, 0.5, 0.5], 2), [2, 3]);
    // Ties go to the lower index.
    assert_eq!(choose_topics(&[0.7, 0.8, 0.8, 0.8], &[0.5; 4], 2), [1, 2]);
}

#[test]
fn choose_topics_is_empty_when_nothing_passes() {
    assert!(choose_topics(&[0.1, 0.49, 0.3], &[0.5, 0.5, 0.5], 2).is_empty());
    assert!(choose_topics(&[0.8, 0.8], &[0.9, 0.81], 3).is_empty());
    assert!(choose_topics(&[], &[], 2).is_empty());
}

#[test]
fn second_topics_must_clear_their_own_bar() {
    let rule = TopicRule {
        second_threshold: Some(0.9),
        ..TopicRule::new(vec![0.5; 3], 3)
    };
    // The first topic needs only its threshold; the others 0.9 as well.
    assert_eq!(rule.choose(&[0.6, 0.95, 0.8]), [1]);
    assert_eq!(rule.choose(&[0.92, 0.95, 0.8]), [0, 1]);
    assert_eq!(rule.choose(&[0.6, 0.1, 0.1]), [0]);
}

#[test]
fn topics_of_other_quotes_of_the_article_need_less_evidence() {
    let rule = TopicRule {
        article_threshold: Some(0.2),
        ..TopicRule::new(vec![0.5, 0.5], 1)
    };
    // Quote 0 takes up topic 0; quote 1 (0.3) is lifted by it; quote 2 has topic 1 at 0.3,
    // which no other quote took up, so it stays without.
    let ps = [vec![0.9, 0.0], vec![0.3, 0.1], vec![0.1, 0.3]];
    assert_eq!(rule.choose_in_article(&ps), [vec![0], vec![0], vec![]]);
    // A quote's own topic does not lift itself: alone, 0.3 stays below 0.5.
    assert_eq!(rule.choose_in_article(&ps[1..2]), [Vec::<usize>::new()]);
    // Below the article threshold nothing is lifted.
    let ps = [vec![0.9, 0.0], vec![0.1, 0.0]];
    assert_eq!(rule.choose_in_article(&ps), [vec![0], vec![]]);
    // Without an article threshold an article is its quotes alone.
    let alone = TopicRule::new(vec![0.5, 0.5], 1);
    let ps = [vec![0.9, 0.0], vec![0.3, 0.1]];
    assert_eq!(alone.choose_in_article(&ps), [vec![0], vec![]]);
}

// ---- 5. end to end ---------------------------------------------------------------------------

fn cv(recipe: &Recipe, data: &RecipeData, ex: &QuoteExtractor) -> CvReport {
    let opts = CvOptions {
        folds: 2,
        ..CvOptions::default()
    };
    let mut calls = Vec::new();
    let report = cross_validate(
        recipe,
        data,
        ex,
        &TopicConfig::builtin(),
        &opts,
        |d, t, _| calls.push((d, t)),
    )
    .unwrap();
    assert_eq!(
        calls,
        [(0, 2), (1, 2), (2, 2)],
        "progress before each fold and at the end"
    );
    report
}

/// Everything of a report, predictions included (they are not serialised with it).
fn snapshot(r: &CvReport) -> String {
    let preds: Vec<_> = r.folds.iter().map(|f| &f.predictions).collect();
    format!(
        "{}\n{}",
        serde_json::to_string(r).unwrap(),
        serde_json::to_string(&preds).unwrap()
    )
}

#[test]
fn cross_validation_scores_every_gold_quote_once_in_disjoint_folds_and_repeats_exactly() {
    let (recipe, data, ex) = tiny();
    let report = cv(&recipe, &data, &ex);
    let per_group = data.quotes_per_group();
    let g = |a: &str| format!("seeds/{a}");

    // The folds: whole groups, largest first to the lightest fold (25 | 16+11 | +10 | +4).
    assert_eq!(report.folds.len(), 2);
    let held: Vec<Vec<String>> = report.folds.iter().map(|f| f.groups.clone()).collect();
    assert_eq!(
        held,
        [
            vec![g(SEED_ARTICLES[2]), g(SEED_ARTICLES[4])],
            vec![
                g(SEED_ARTICLES[0]),
                g(SEED_ARTICLES[1]),
                g(SEED_ARTICLES[3])
            ],
        ]
    );
    let all: BTreeSet<&String> = held.iter().flatten().collect();
    assert_eq!(all.len(), 5, "every group held out exactly once");
    assert_eq!(all.into_iter().cloned().collect::<Vec<_>>(), data.groups());

    // Every gold quote scored exactly once.
    assert_eq!(report.pooled.gold_quotes, SEED_QUOTES);
    assert_eq!(
        report
            .folds
            .iter()
            .map(|f| f.eval.gold_quotes)
            .sum::<usize>(),
        SEED_QUOTES
    );
    for f in &report.folds {
        let want: usize = f.groups.iter().map(|g| per_group[g]).sum();
        assert_eq!(f.eval.gold_quotes, want, "fold {:?}", f.groups);
        assert_eq!(f.eval.articles, f.groups.len());
    }
    assert_eq!(report.pooled.articles, 5);
    // Pooled = sum of the folds.
    let sum = |pick: fn(&stance::eval::labels::LabelEval) -> usize| {
        report.folds.iter().map(|f| pick(&f.eval)).sum::<usize>()
    };
    let c = &report.pooled.counts;
    assert_eq!(c.quotes.tp, sum(|e| e.counts.quotes.tp));
    assert_eq!(c.quotes.predicted, sum(|e| e.predicted_quotes));
    assert_eq!(c.topics.gold, sum(|e| e.counts.topics.gold));
    assert_eq!(c.topics.tp, sum(|e| e.counts.topics.tp));
    assert!(
        c.quotes.predicted > 0 && c.quotes.tp > 0,
        "the folds' models found quotes"
    );

    // Train and test are disjoint: no training record of a fold belongs to a held-out group,
    // every prediction is of a held-out article, and the fold's training set is exactly the
    // guarded records (the copy of a 004 quote is dropped where 004 is held out).
    let article_group = &data.sets[0].0.groups;
    for f in &report.folds {
        let held: BTreeSet<&str> = f.groups.iter().map(String::as_str).collect();
        let mut held_quotes = Vec::new();
        for (s, _) in &data.sets {
            for q in s
                .quotes
                .iter()
                .filter(|q| held.contains(s.groups[&q.article].as_str()))
            {
                let a = s.articles.iter().find(|a| a.id == q.article).unwrap();
                let idx = stance::article::CharIndex::new(&a.text);
                held_quotes.push(idx.slice(&a.text, q.start, q.end).to_string());
            }
        }
        // CV's default guard: 6 shared words, and the near check.
        let guard = CopyGuard::new(held_quotes.iter().map(String::as_str), 6, true);
        let (recs, dropped) = data.training_records(&ex, |g| !held.contains(g), Some(&guard));
        assert_eq!(
            (f.train_records, f.dropped_copies, f.dropped_near_copies),
            (recs.len(), dropped.total(), dropped.near)
        );
        assert!(recs
            .iter()
            .all(|r| r.group.as_deref().is_none_or(|g| !held.contains(g))));
        assert!(!f.predictions.is_empty());
        for q in &f.predictions {
            assert!(
                held.contains(article_group[&q.article].as_str()),
                "{}",
                q.article
            );
        }
        let holds_004 = held.contains(g(SEED_ARTICLES[4]).as_str());
        assert_eq!(by_id(&recs, "copy-01").is_none(), holds_004);
        assert_eq!(by_id(&recs, "t-09").is_none(), holds_004);
        if holds_004 {
            assert!(f.dropped_copies >= 1);
        }
    }

    // Determinism: a second run gives the same report, predictions included.
    let again = cv(&recipe, &data, &ex);
    assert_eq!(snapshot(&report), snapshot(&again));
}

#[test]
fn cross_validation_needs_two_groups() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        &d.join("groups.tsv"),
        &SEED_ARTICLES
            .iter()
            .map(|a| format!("{a}\tall\n"))
            .collect::<String>(),
    );
    write(
        &d.join("r.toml"),
        &format!(
            "[[gold]]\nname = \"seeds\"\narticles = {}\nquotes = {}\ngroups = \"groups.tsv\"\n",
            lit(&seeds_articles()),
            lit(&seeds_gold())
        ),
    );
    let r = Recipe::load(d.join("r.toml")).unwrap();
    let ex = QuoteExtractor::with_defaults();
    let data = r.load_data(&ex).unwrap();
    assert_eq!(data.groups(), ["seeds/all"]);
    let e = cross_validate(
        &r,
        &data,
        &ex,
        &TopicConfig::builtin(),
        &CvOptions::default(),
        |_, _, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("at least two groups"), "{e}");
}

fn dir_files(d: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(d)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            assert!(e.path().is_file(), "unexpected {}", e.path().display());
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Runs `stance train --quiet ARGS… --recipe RECIPE -o OUT` in `cwd` with a fixed build time
/// (so that two runs can be compared byte for byte), asserts it exited 0 and returns stdout.
fn train_recipe_from(cwd: &Path, recipe: &Path, out: &Path, args: &[&str]) -> Vec<u8> {
    let o = stance()
        .current_dir(cwd)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["train", "--quiet"])
        .args(args)
        .arg("--recipe")
        .arg(recipe)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    o.stdout
}

#[test]
fn cli_train_recipe_is_byte_identical_and_its_model_labels_an_article() {
    let tmp = tempfile::tempdir().unwrap();
    let recipe = fixture("tiny.recipe.toml");
    let mut dirs = Vec::new();
    // Once from the project root with the full path, once from the recipe's folder with its
    // bare name: the same model either way.
    for (n, (cwd, arg)) in [
        (root(), recipe.clone()),
        (fixture(""), PathBuf::from("tiny.recipe.toml")),
    ]
    .into_iter()
    .enumerate()
    {
        let out = tmp.path().join(format!("m{n}"));
        let report = train_recipe_from(&cwd, &arg, &out, &["--format", "json"]);
        let v: Value = serde_json::from_slice(&report).unwrap();
        assert_eq!(v["folds"], 2, "the recipe's inner CV ran: {v}");
        dirs.push(out);
    }
    let (a, b) = (dir_files(&dirs[0]), dir_files(&dirs[1]));
    assert!(
        a.contains_key("manifest.json") && a.contains_key("weights.bin"),
        "{:?}",
        a.keys()
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(
            *bytes == b[name],
            "{name} differs between two identical runs"
        );
    }
    let manifest: Value = serde_json::from_slice(&a["manifest.json"]).unwrap();
    assert_eq!(manifest["created"], "2023-11-14T22:13:20Z");
    let text = manifest.to_string();
    for f in [
        "tiny.recipe.toml",
        "seeds.jsonl",
        "statements.tsv",
        "copies.jsonl",
    ] {
        assert!(text.contains(f), "manifest lists {f}: {text}");
    }

    // The model loads and labels a seed article.
    let model = stance::model::Model::load(&dirs[0]).unwrap();
    assert!(
        model.topics().iter().any(|t| t == "peace_talks"),
        "{:?}",
        model.topics()
    );
    let article = root().join("data/articles/004_fafa6a3430f658bd.txt");
    let (code, out, err) = run(&["label", "--model", p(&dirs[0]), p(&article)]);
    assert_eq!(code, 0, "{err}");
    let quotes: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!quotes.is_empty(), "quotes found in 004: {err}");
    for q in &quotes {
        assert_eq!(q["article"], "004_fafa6a3430f658bd", "{q}");
        for t in q["topics"].as_object().into_iter().flat_map(|m| m.keys()) {
            assert!(model.topics().contains(t), "{t}");
        }
    }
}

#[test]
fn cli_eval_cv_prints_a_json_report() {
    let recipe = fixture("tiny.recipe.toml");
    // The JSON report of a 2-fold run, with `extra` flags.
    let cv_json = |extra: &[&str]| -> Value {
        let mut args = vec![
            "eval",
            "cv",
            "--quiet",
            "--recipe",
            p(&recipe),
            "--folds",
            "2",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    };
    let v = cv_json(&[]);
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["pooled", "off_domain", "folds"]));
    assert_eq!(v["pooled"]["gold_quotes"], SEED_QUOTES);
    assert_eq!(v["pooled"]["articles"], 5);
    for k in [
        "quotes",
        "topics",
        "stance_f_avg",
        "sentiment_macro_f1",
        "speaker_accuracy",
        "summary",
        "counts",
    ] {
        assert!(
            v["pooled"].get(k).is_some(),
            "pooled.{k} missing: {}",
            v["pooled"]
        );
    }
    let folds = v["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 2);
    let fold_gold: u64 = folds
        .iter()
        .map(|f| f["eval"]["gold_quotes"].as_u64().unwrap())
        .sum();
    assert_eq!(fold_gold, SEED_QUOTES as u64);
    for f in folds {
        for k in [
            "groups",
            "train_records",
            "dropped_copies",
            "dropped_near_copies",
            "eval",
            "off_domain",
            "chosen",
        ] {
            assert!(f.get(k).is_some(), "fold.{k} missing");
        }
        assert!(
            f.get("predictions").is_none(),
            "predictions are not in the report"
        );
    }
    // Without off-domain articles, no off-domain figure.
    assert_eq!(v["off_domain"], serde_json::json!([0, 0]));
    assert!(v["pooled"].get("off_domain").is_none());

    // `--exact-copies-only` keeps the records that only the near check drops, and only them:
    // the seeds' gold quotes retell each other across the two folds.
    let exact = cv_json(&["--exact-copies-only"]);
    let n = |f: &Value, k: &str| f[k].as_u64().unwrap();
    let mut near = 0;
    for (f, e) in folds.iter().zip(exact["folds"].as_array().unwrap()) {
        assert_eq!(f["groups"], e["groups"]);
        assert_eq!(n(e, "dropped_near_copies"), 0);
        assert_eq!(
            n(e, "dropped_copies"),
            n(f, "dropped_copies") - n(f, "dropped_near_copies")
        );
        assert_eq!(
            n(e, "train_records"),
            n(f, "train_records") + n(f, "dropped_near_copies")
        );
        near += n(f, "dropped_near_copies");
    }
    assert!(near >= 1, "the near check dropped a record by default");
}

#[test]
fn cli_train_recipe_with_embeddings_does_not_depend_on_how_the_recipe_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("r");
    std::fs::create_dir_all(&d).unwrap();
    // A tiny word-vector table over words of the seeds and statements.
    let words = [
        "talks",
        "peace",
        "sanctions",
        "nato",
        "ukraine",
        "deal",
        "war",
        "troops",
        "step",
        "meeting",
    ];
    let dim = 4;
    let matrix: Vec<f32> = (0..words.len() * dim)
        .map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0)
        .collect();
    stance::features::Embeddings::from_parts(
        &words,
        dim,
        matrix,
        None,
        "{}",
        stance::features::StoredDtype::F16,
    )
    .unwrap()
    .save(d.join("vectors.emb"))
    .unwrap();
    let mut toml = std::fs::read_to_string(fixture("tiny.recipe.toml")).unwrap();
    let fx = fixture("");
    for (from, to) in [
        ("\"../../../data/articles\"", lit(&seeds_articles())),
        ("\"../../../data/gold/seeds.jsonl\"", lit(&seeds_gold())),
        ("\"statements.jsonl\"", lit(&fx.join("statements.jsonl"))),
        ("\"statements.tsv\"", lit(&fx.join("statements.tsv"))),
        ("\"copies.jsonl\"", lit(&fx.join("copies.jsonl"))),
    ] {
        assert!(toml.contains(from), "{from}");
        toml = toml.replace(from, &to);
    }
    toml.push_str(
        "embeddings = \"vectors.emb\"\n\
         heads = { stance = [\"text\", \"context\", \"embed_text\"], \
         relevance = [\"text\", \"context\", \"lexicon\"], \
         sentiment = [\"sentiment_text\", \"left\", \"right\"] }\n",
    );
    write(&d.join("e.recipe.toml"), &toml);
    let mut models = Vec::new();
    for (n, (cwd, arg)) in [
        (root(), d.join("e.recipe.toml")),
        (d.clone(), PathBuf::from("e.recipe.toml")),
    ]
    .into_iter()
    .enumerate()
    {
        let out = tmp.path().join(format!("m{n}"));
        train_recipe_from(&cwd, &arg, &out, &[]);
        assert!(out.join("embeddings.emb").exists());
        models.push(dir_files(&out));
    }
    let differ: Vec<&String> = models[0]
        .iter()
        .filter(|(name, bytes)| models[1].get(*name) != Some(*bytes))
        .map(|(name, _)| name)
        .collect();
    let emb = |m: &BTreeMap<String, Vec<u8>>| {
        serde_json::from_slice::<Value>(&m["manifest.json"]).unwrap()["train_params"]["embeddings"]
            .clone()
    };
    assert!(
        differ.is_empty(),
        "{differ:?} differ with the recipe's name; train_params.embeddings: {} vs {}",
        emb(&models[0]),
        emb(&models[1])
    );
}

/// `examples/stance_cv_screen.rs` (the one-minute stance-head screen) reports, for every grid
/// point, the F_avg that training's own selection computes from the same out-of-fold scores:
/// on a recipe of gold quotes only, where selection scores exactly the quotes the screen does.
#[test]
fn stance_screen_example_agrees_with_selection() {
    let bin = example("stance_cv_screen");
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("seeds.recipe.toml");
    write(
        &recipe,
        &format!(
            "[[gold]]\nname = \"seeds\"\narticles = {}\nquotes = {}\n\n[train]\ncv_folds = 2\n\
             c = [1.0, 10.0]\nneutral_bias = [0.0, 1.0]\n\
             vectorizers = [{{ word_ngrams = [1, 2], min_df = 1 }}]\n",
            lit(&seeds_articles()),
            lit(&seeds_gold())
        ),
    );
    let out = std::process::Command::new(&bin)
        .args([p(&recipe), "2"])
        .output()
        .unwrap();
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();

    // The same cross-validation through the library, and selection's grid.
    let r = Recipe::load(&recipe).unwrap();
    let ex = QuoteExtractor::with_defaults();
    let (records, _) = r
        .load_data(&ex)
        .unwrap()
        .training_records(&ex, |_| true, None);
    let mut params = r.train.clone();
    params.relevance = false;
    params.sentiment = false;
    params.cv_repeats = 2;
    let cv =
        stance::model::cross_validate(&records, &params, &TopicConfig::builtin(), |_| {}).unwrap();
    let sel = stance::model::select(&records, &params, &cv).unwrap();
    assert_eq!(
        sel.report.stance_grid.len(),
        8,
        "2 strategies x 2 C x 2 biases"
    );
    for g in &sel.report.stance_grid {
        let head = format!("{} C={}", g.strategy.name(), g.c);
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{head:<22} neutral bias {:<4} ", g.neutral_bias)))
            .unwrap_or_else(|| panic!("no line for {head}, bias {}:\n{stdout}", g.neutral_bias));
        let f: f64 = line.split("F_avg ").nth(1).unwrap()[..6].parse().unwrap();
        assert!(
            (f - g.f_avg).abs() < 6e-5,
            "{line} vs selection's {}",
            g.f_avg
        );
    }
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("mean of the grid"))
            .count(),
        2,
        "{stdout}"
    );
    // Usage errors exit with 2, a recipe that cannot be read with 1 and a message.
    let code = |args: &[&str]| {
        let o = std::process::Command::new(&bin)
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    assert_eq!(code(&[]).0, Some(2));
    assert_eq!(code(&[p(&recipe), "0"]).0, Some(2));
    let (c, err) = code(&["/nonexistent/r.toml"]);
    assert_eq!(c, Some(1));
    assert!(err.contains("/nonexistent/r.toml"), "{err}");
}

#[test]
fn a_statement_source_may_weigh_its_records_apart_in_the_relevance_head() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("st.jsonl");
    // One record with its own weight, one without.
    write(
        &data,
        "{\"id\": \"a\", \"text\": \"The talks must go on.\", \"topics\": {\"peace_talks\": \"favor\"}, \"weight\": 2}\n\
         {\"id\": \"b\", \"text\": \"Sanctions stay.\", \"topics\": {\"sanctions\": \"favor\"}}\n",
    );
    let recipe = dir.path().join("r.toml");
    write(
        &recipe,
        "[[statements]]\npath = \"st.jsonl\"\nweight = 0.5\nrelevance_weight = 1.5\n\
         [[statements]]\npath = \"st.jsonl\"\nweight = 0.25\n",
    );
    let data = Recipe::load(&recipe)
        .unwrap()
        .load_data(&QuoteExtractor::with_defaults())
        .unwrap();
    let got: Vec<(f32, Option<f32>)> = data
        .statements
        .iter()
        .map(|r| (r.weight, r.relevance_weight))
        .collect();
    // Both multiply the record's own weight; without `relevance_weight` the head uses `weight`.
    assert_eq!(
        got,
        [
            (1.0, Some(3.0)),
            (0.5, Some(1.5)),
            (0.5, None),
            (0.25, None)
        ]
    );
    write(
        &recipe,
        "[[statements]]\npath = \"st.jsonl\"\nrelevance_weight = -1\n",
    );
    let e = load_err(&recipe);
    assert!(e.contains("weight -1"), "{e}");
}
