//! Bundles the repository's default model (`../models/default`) into the extension, so a
//! wheel built from the repository labels with no further setup. Every file of the directory
//! is embedded under its relative path; nothing here knows the model's file names, so a
//! retrained model (or a new format version) is picked up as it is. The loader checks it.
//!
//! `STANCE_BUNDLE_MODEL=DIR` bundles another model directory; `STANCE_BUNDLE_MODEL=` (empty)
//! bundles none. Without a directory the package still builds and `stance.load()` asks for a
//! path.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, rel: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let name = rel.join(p.file_name().expect("file name"));
        if p.is_dir() {
            collect(&p, &name, out);
        } else {
            out.push((name.to_string_lossy().replace('\\', "/"), p));
        }
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=STANCE_BUNDLE_MODEL");
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dir = match std::env::var("STANCE_BUNDLE_MODEL") {
        Ok(s) if s.is_empty() => None,
        Ok(s) => Some(PathBuf::from(s)),
        Err(_) => Some(manifest_dir.join("..").join("models").join("default")),
    };
    let mut files = Vec::new();
    if let Some(dir) = dir.filter(|d| d.is_dir()) {
        println!("cargo:rerun-if-changed={}", dir.display());
        collect(&dir, Path::new(""), &mut files);
    }
    let mut code = String::from("/// The bundled model's files: (relative path, bytes).\npub static FILES: &[(&str, &[u8])] = &[\n");
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let abs = path.canonicalize().expect("bundled file path");
        writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            abs.to_string_lossy()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("bundled_model.rs");
    std::fs::write(out, code).expect("writing bundled_model.rs");
}
