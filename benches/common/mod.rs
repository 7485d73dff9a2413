//! The benchmark corpus the benches share: the seed articles in `data/articles` and, when
//! present, every `.txt` of `../shared/corpora/polnear`.

use std::path::{Path, PathBuf};

/// Every `.txt` file below `dir`, sorted.
pub fn txt_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .map(|e| e.into_path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "txt"))
        .collect();
    v.sort();
    v
}

/// The texts of the corpus, one a file, in path order (a note on stderr when PolNeAR is
/// absent).
pub fn corpus_texts() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = txt_files(&root.join("data/articles"));
    let polnear = root.join("../shared/corpora/polnear");
    if polnear.exists() {
        files.extend(txt_files(&polnear));
    } else {
        eprintln!(
            "note: {} not present; benchmarking data/articles only",
            polnear.display()
        );
    }
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}
