//! The library's modules form layers with no cycle between them (issue 11): each top-level
//! module of `src/` may use only the modules *below* it in the list `ARCHITECTURE.md` shows
//! (section "Layers", one module a line, highest first). This test reads that list, scans
//! every library source file for `crate::…` paths (comments and string literals left out;
//! the crate root's re-exports such as `crate::Error` count as their module), and fails on
//! any path that points to the same level or up, naming the file and line. A new module must
//! be added to the list, so it gets a place in the layering too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The layer order from `ARCHITECTURE.md`, lowest first.
fn declared_layers(doc: &str) -> Vec<String> {
    let start = doc
        .find("<!-- layers -->")
        .expect("ARCHITECTURE.md has no `<!-- layers -->` block");
    let rest = &doc[start..];
    let end = rest
        .find("<!-- /layers -->")
        .expect("ARCHITECTURE.md: `<!-- layers -->` block is not closed by `<!-- /layers -->`");
    let mut layers: Vec<String> = rest[..end]
        .lines()
        .skip(1)
        .filter(|l| !l.trim_start().starts_with("```") && !l.trim().is_empty())
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    layers.reverse();
    layers
}

/// Top-level modules declared in `src/lib.rs`, and the crate root's re-exports
/// (`pub use article::Article;` → `Article` belongs to `article`).
fn lib_modules_and_reexports(lib: &str) -> (BTreeSet<String>, BTreeMap<String, String>) {
    let mut mods = BTreeSet::new();
    let mut reexports = BTreeMap::new();
    for line in lib.lines().map(str::trim) {
        if let Some(m) = line.strip_prefix("pub mod ") {
            mods.insert(m.trim_end_matches(';').trim().to_string());
        } else if let Some(u) = line.strip_prefix("pub use ") {
            let u = u.trim_end_matches(';');
            let module = u.split("::").next().unwrap().trim().to_string();
            let names = match (u.find('{'), u.rfind('}')) {
                (Some(a), Some(b)) => u[a + 1..b].to_string(),
                _ => u.rsplit("::").next().unwrap().to_string(),
            };
            for n in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let n = n
                    .rsplit(" as ")
                    .next()
                    .unwrap()
                    .rsplit("::")
                    .next()
                    .unwrap();
                reexports.insert(n.to_string(), module.clone());
            }
        }
    }
    (mods, reexports)
}

/// `src` with comments and the contents of string and char literals blanked out (newlines
/// kept, so line numbers stay right).
fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_'))
        {
            // Raw string r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let body_start = j + 1;
            let mut k = body_start;
            while k < b.len() && !b[k..].iter().take(close.len()).copied().eq(close.chars()) {
                k += 1;
            }
            out.extend(std::iter::repeat_n(' ', body_start - i));
            out.extend(b[body_start..k.min(b.len())].iter().map(|&c| blank(c)));
            out.extend(std::iter::repeat_n(' ', close.len().min(b.len() - k)));
            i = (k + close.len()).min(b.len());
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{2019}') or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 2..b.len().min(i + 12)).find(|&k| b[k] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    out.extend(std::iter::repeat_n(' ', e + 1 - i));
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every `crate::NAME` and `crate::{NAME, …}` head name in `code`, with its 1-based line.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(off) = code[from..].find("crate::") {
        let at = from + off;
        from = at + "crate::".len();
        if at > 0 && (is_ident(bytes[at - 1] as char) || bytes[at - 1] == b'$') {
            continue; // `my_crate::`, `$crate::`
        }
        let line = code[..at].matches('\n').count() + 1;
        let rest = code[from..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            // Head names of a use group: the first identifier of each top-level item.
            let mut depth = 0;
            let mut item_start = true;
            let mut name = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && is_ident(c) => name.push(c),
                    _ if item_start && !name.is_empty() => {
                        out.push((line, std::mem::take(&mut name)));
                        item_start = false;
                    }
                    _ => {}
                }
            }
            if !name.is_empty() {
                out.push((line, name));
            }
        } else {
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            if !name.is_empty() {
                out.push((line, name));
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The layering violations of the library sources under `src` against `layers` (lowest
/// first): `file:line: message` lines.
fn violations(src: &Path, layers: &[String], reexports: &BTreeMap<String, String>) -> Vec<String> {
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut bad = Vec::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        // lib.rs is the root; main.rs and cli/ are the binary, which uses `stance::`.
        if ["lib", "main", "cli"].contains(&module.as_str()) {
            continue;
        }
        let Some(&mine) = rank.get(module.as_str()) else {
            bad.push(format!(
                "{}: module `{module}` is not in ARCHITECTURE.md's layer list",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&f).unwrap();
        for (line, name) in crate_paths(&code_only(&text)) {
            let target = if rank.contains_key(name.as_str()) {
                name.clone()
            } else if let Some(m) = reexports.get(&name) {
                m.clone()
            } else {
                continue; // a macro or item of the root itself
            };
            if target == module {
                continue;
            }
            let theirs = rank[target.as_str()];
            if theirs > mine {
                bad.push(format!(
                    "src/{}:{line}: `crate::{name}`: `{module}` (layer {mine}) uses `{target}` \
                     (layer {theirs}), a layer above it",
                    rel.display()
                ));
            }
        }
    }
    bad
}

fn read(p: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let layers = declared_layers(&read("ARCHITECTURE.md"));
    let (mods, reexports) = lib_modules_and_reexports(&read("src/lib.rs"));
    let listed: BTreeSet<String> = layers.iter().cloned().collect();
    assert_eq!(
        listed.len(),
        layers.len(),
        "ARCHITECTURE.md lists a module twice: {layers:?}"
    );
    assert_eq!(
        listed, mods,
        "ARCHITECTURE.md's layer list and src/lib.rs's `pub mod`s differ"
    );
    let bad = violations(&Path::new(ROOT).join("src"), &layers, &reexports);
    assert!(
        bad.is_empty(),
        "module layering broken (a module may use only the modules listed below it in \
         ARCHITECTURE.md's \"Layers\"):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_scanner_finds_paths_and_skips_comments_and_strings() {
    let code = code_only(
        "use crate::{article::Article, error::{Error, Result}};\n\
         // crate::eval in a comment\n\
         /* crate::eval /* nested */ crate::eval */\n\
         let s = \"crate::eval\"; let r = r#\"crate::eval\"#; let c = '\"';\n\
         let x: crate::model::Model; fn f<'a>(_: &'a str) -> crate::Result<()> {}\n\
         let y = my_crate::eval; $crate::eval;\n",
    );
    let found: Vec<(usize, String)> = crate_paths(&code);
    let names: Vec<(usize, &str)> = found.iter().map(|(l, n)| (*l, n.as_str())).collect();
    assert_eq!(
        names,
        [(1, "article"), (1, "error"), (5, "model"), (5, "Result")]
    );
}

#[test]
fn a_cycle_is_caught() {
    // Two modules that use each other: whichever order is declared, one use points up.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("quotes.rs"),
        "use crate::speakers::Sieve;\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("speakers.rs"),
        "pub fn f() -> crate::quotes::Quote { todo!() }\n",
    )
    .unwrap();
    let layers = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for order in [["speakers", "quotes"], ["quotes", "speakers"]] {
        let bad = violations(dir.path(), &layers(&order), &BTreeMap::new());
        assert_eq!(bad.len(), 1, "{order:?}: {bad:?}");
    }
    // The root's re-exports count as their module.
    std::fs::write(
        dir.path().join("speakers.rs"),
        "fn g() -> crate::Error {}\n",
    )
    .unwrap();
    let re = BTreeMap::from([("Error".to_string(), "error".to_string())]);
    let bad = violations(dir.path(), &layers(&["quotes", "speakers", "error"]), &re);
    assert_eq!(bad.len(), 2, "{bad:?}"); // quotes → speakers and speakers → error
}
