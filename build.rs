//! Embeds the default model (every file of `models/default`) in the `stance` binary, so an
//! installed `stance` finds its model wherever it runs. The file list is read here, at build
//! time, so a retrained model with more or other files needs no code change.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read when the script runs, not when it is compiled: a build script compiled for one
    // checkout is reused by another sharing its target directory.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("models/default");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    let mut code = String::from(
        "/// `(file name, bytes)` of every file of models/default at build time.\n\
         pub const FILES: &[(&str, &[u8])] = &[\n",
    );
    for p in &files {
        let name = p.file_name().unwrap().to_string_lossy();
        println!("cargo:rerun-if-changed={}", p.display());
        let _ = writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            p.display().to_string()
        );
    }
    code.push_str("];\n");
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("default_model.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
