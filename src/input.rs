//! Where articles come from: text files, directories of them, JSON Lines files of
//! `{"id": …, "text": …}` records, or standard input.
//!
//! Inputs are read **lazily**, one article at a time, so a directory of a million files or a
//! 10 GB JSONL stream runs in bounded memory. A bad input never stops the stream: it comes out
//! as an `Err(BadInput)` naming the path (and line) and the reason, and the caller reports it
//! and carries on with the rest.
//!
//! **Article ids are unique and stable**: a file's id is its path relative to the input it was
//! found under, without the `.txt` extension (`day1/story` for `a/day1/story.txt` read as
//! `a`; the stem for a file named directly); a JSON Lines record's id is its `id` field
//! (`STEM:LINE` without one). A second article with an id already seen is reported and
//! skipped, since offsets and the summary are keyed by id.

use crate::article::Article;
use serde::Deserialize;
use std::collections::hash_map::{Entry, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::Xxh3Builder;

/// Articles larger than this are refused by default (see [`InputOptions::max_bytes`]).
pub const DEFAULT_MAX_BYTES: u64 = 512 * 1024 * 1024;

/// Why one input could not be read. The stream goes on after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadInput {
    /// Path, `path:line` for a JSONL record, or `<stdin>:line`.
    pub origin: String,
    /// Human-readable reason ("not valid UTF-8", "binary file", "empty", …).
    pub reason: String,
    /// `false` for a file a folder holds that is not an article (`notes.md`): it is named so
    /// nothing is passed over silently, but it is not a failed input.
    pub failed: bool,
}

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.origin, self.reason)
    }
}

impl std::error::Error for BadInput {}

/// Limits applied while reading.
#[derive(Debug, Clone)]
pub struct InputOptions {
    /// Articles (files or JSONL `text` fields) over this many bytes are reported and skipped.
    pub max_bytes: u64,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// One item of the input stream.
pub type InputItem = Result<Article, BadInput>;

/// Streams the articles named by `paths`, in order: each path is a `.txt` (or any non-JSONL)
/// file, a directory (every `.txt` below it, sorted by path; other files are named as
/// ignored), a `.jsonl` file, or `-` for stdin (JSON Lines when its first non-blank byte is
/// `{`, otherwise one plain-text article with id `stdin`). Duplicate ids are reported.
pub fn read_inputs(paths: &[PathBuf], opts: &InputOptions) -> Inputs {
    Inputs {
        paths: paths.to_vec(),
        next_path: 0,
        current: None,
        opts: opts.clone(),
        seen: HashMap::default(),
    }
}

/// Iterator returned by [`read_inputs`].
pub struct Inputs {
    paths: Vec<PathBuf>,
    /// Index of the next path to open.
    next_path: usize,
    current: Option<Box<dyn Iterator<Item = InputItem> + Send>>,
    opts: InputOptions,
    /// xxh3 of every id handed out → the index of the input it came from. A hash keeps
    /// memory at ~16 bytes an article however long the ids are (two different ids share a
    /// 64-bit hash with odds of about 1 in 10^5 even at 10^7 articles).
    seen: HashMap<u64, u32, Xxh3Builder>,
}

impl Inputs {
    /// Hands out `article` unless its id was seen before.
    fn unique(&mut self, item: InputItem) -> InputItem {
        let Ok(article) = item else { return item };
        let input = self.next_path - 1;
        let key = xxhash_rust::xxh3::xxh3_64(article.id.as_bytes());
        match self.seen.entry(key) {
            Entry::Vacant(v) => {
                v.insert(input as u32);
                Ok(article)
            }
            Entry::Occupied(o) => {
                let first = self.paths[*o.get() as usize].display();
                Err(bad(
                    self.paths[input].display().to_string(),
                    format!(
                        "duplicate article id {:?} (first read from {first}); ids must be \
                         unique: give the folder that holds both files, or distinct JSONL ids",
                        article.id
                    ),
                ))
            }
        }
    }
}

impl Iterator for Inputs {
    type Item = InputItem;

    fn next(&mut self) -> Option<InputItem> {
        loop {
            if let Some(cur) = self.current.as_mut() {
                if let Some(item) = cur.next() {
                    return Some(self.unique(item));
                }
                self.current = None;
            }
            let path = self.paths.get(self.next_path)?.clone();
            self.next_path += 1;
            match open_source(&path, &self.opts) {
                Ok(iter) => self.current = Some(iter),
                Err(bad) => return Some(Err(bad)),
            }
        }
    }
}

fn bad(origin: impl Into<String>, reason: impl Into<String>) -> BadInput {
    BadInput {
        origin: origin.into(),
        reason: reason.into(),
        failed: true,
    }
}

fn open_source(
    path: &Path,
    opts: &InputOptions,
) -> Result<Box<dyn Iterator<Item = InputItem> + Send>, BadInput> {
    if path.as_os_str() == "-" {
        return Ok(stdin_source(opts.clone()));
    }
    let meta =
        std::fs::metadata(path).map_err(|e| bad(path.display().to_string(), io_reason(&e)))?;
    if meta.is_dir() {
        return Ok(Box::new(dir_source(path, opts.clone())));
    }
    if is_jsonl(path) {
        let file = File::open(path).map_err(|e| bad(path.display().to_string(), io_reason(&e)))?;
        return Ok(Box::new(JsonlSource::new(
            BufReader::with_capacity(1 << 16, file),
            path.display().to_string(),
            file_stem(path),
            opts.clone(),
        )));
    }
    Ok(Box::new(std::iter::once(read_text_file(path, opts))))
}

fn is_jsonl(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "ndjson" | "jl")
    )
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// True for a `.txt` file name, in any letter case (`STORY.TXT`).
pub fn is_txt(path: &Path) -> bool {
    path.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| x.eq_ignore_ascii_case("txt"))
}

/// All `.txt` files below `dir`, sorted by path, following symlinks but reporting loops.
/// Each article's id is its path below `dir` without the extension, `/`-separated. Other
/// files are named as ignored (not failures).
fn dir_source(dir: &Path, opts: InputOptions) -> impl Iterator<Item = InputItem> + Send {
    let dir = dir.to_path_buf();
    walk(&dir).into_iter().filter_map(move |entry| match entry {
        Ok(e) if !e.file_type().is_file() => None,
        Ok(e) if is_txt(e.path()) => {
            let id = relative_id(e.path().strip_prefix(&dir).unwrap_or(e.path()));
            Some(read_text_file(e.path(), &opts).map(|a| Article::new(id, a.text)))
        }
        Ok(e) => Some(Err(BadInput {
            origin: e.path().display().to_string(),
            reason: if is_jsonl(e.path()) {
                "not read: a folder is read for its .txt files; name a JSON Lines file on \
                     the command line"
                    .into()
            } else {
                "not read: not a .txt file".into()
            },
            failed: false,
        })),
        Err(err) => {
            let origin = err
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| dir.display().to_string());
            let reason = if err.loop_ancestor().is_some() {
                "directory loop (symlink to an ancestor); skipped".to_string()
            } else if let Some(io) = err.io_error() {
                io_reason(io)
            } else {
                err.to_string()
            };
            Some(Err(bad(origin, reason)))
        }
    })
}

/// How a folder is walked: symlinks followed, each directory's entries by file name.
fn walk(dir: &Path) -> walkdir::WalkDir {
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
}

/// The files [`read_inputs`] reads for `path`, in its order: every `.txt` below a folder, else
/// `path` itself (for sizes and hashes of what is read). Entries a folder walk cannot open are
/// left out; reading reports them.
pub fn input_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !std::fs::metadata(path)?.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    Ok(walk(path)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && is_txt(e.path()))
        .map(walkdir::DirEntry::into_path)
        .collect())
}

/// `day1/story` for `day1/story.txt`: the path's components joined by `/`, extension dropped.
fn relative_id(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.last_mut() {
        *last = file_stem(Path::new(last.as_str()));
    }
    parts.join("/")
}

/// Reads one plain-text article; the id is the file stem.
pub fn read_text_file(path: &Path, opts: &InputOptions) -> InputItem {
    let origin = path.display().to_string();
    let file = File::open(path).map_err(|e| bad(&origin, io_reason(&e)))?;
    let mut bytes = Vec::new();
    // Read at most max_bytes + 1 so a huge file is refused without loading it whole.
    file.take(opts.max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(&origin, io_reason(&e)))?;
    let text = decode_article(bytes, opts).map_err(|reason| bad(&origin, reason))?;
    Ok(Article::new(file_stem(path), text))
}

/// The UTF-8 byte-order mark: an encoding signature, not text. It is dropped, so offsets count
/// from the first character after it (as editors and Python's `utf-8-sig` show the text).
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Checks and decodes an article's bytes: refuses empty, oversized, binary and non-UTF-8
/// input with a reason. A UTF-8 byte-order mark is dropped.
pub fn decode_article(mut bytes: Vec<u8>, opts: &InputOptions) -> Result<String, String> {
    if bytes.len() as u64 > opts.max_bytes {
        return Err(format!(
            "larger than the {} byte limit (raise it with --max-bytes)",
            opts.max_bytes
        ));
    }
    if bytes.starts_with(BOM) {
        bytes.drain(..3);
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("empty article".into());
    }
    // A NUL byte never occurs in text; it is the cheapest reliable binary signal.
    if memchr_nul(&bytes) {
        return Err("binary file (contains NUL bytes)".into());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not valid UTF-8 (first bad byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

fn memchr_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0)
}

/// One JSONL record of input. Extra fields are ignored.
#[derive(Deserialize)]
struct JsonArticle {
    #[serde(default)]
    id: Option<serde_json::Value>,
    text: Option<String>,
}

/// Streams `{"id","text"}` records from a reader, one line at a time.
pub struct JsonlSource<R> {
    reader: R,
    origin: String,
    stem: String,
    line_no: usize,
    buf: Vec<u8>,
    opts: InputOptions,
    done: bool,
}

impl<R: BufRead> JsonlSource<R> {
    /// `origin` names the source in messages; `stem` prefixes ids of records without one.
    pub fn new(reader: R, origin: String, stem: String, opts: InputOptions) -> Self {
        JsonlSource {
            reader,
            origin,
            stem,
            line_no: 0,
            buf: Vec::new(),
            opts,
            done: false,
        }
    }

    fn parse_line(&self, line: &[u8]) -> InputItem {
        let origin = format!("{}:{}", self.origin, self.line_no);
        if line.len() as u64 > self.opts.max_bytes {
            return Err(bad(origin, "record larger than the byte limit"));
        }
        let rec: JsonArticle = serde_json::from_slice(line)
            .map_err(|e| bad(&origin, format!("malformed JSON: {e}")))?;
        let text = rec
            .text
            .ok_or_else(|| bad(&origin, "record has no \"text\" field"))?;
        if text.trim().is_empty() {
            return Err(bad(&origin, "empty article"));
        }
        let id = match rec.id {
            Some(serde_json::Value::String(s)) => s,
            Some(serde_json::Value::Null) | None => format!("{}:{}", self.stem, self.line_no),
            Some(other) => other.to_string(),
        };
        Ok(Article::new(id, text))
    }
}

impl<R: BufRead> Iterator for JsonlSource<R> {
    type Item = InputItem;

    fn next(&mut self) -> Option<InputItem> {
        while !self.done {
            self.buf.clear();
            self.line_no += 1;
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    let mut line = trim_ascii(&self.buf);
                    if self.line_no == 1 {
                        line = line.strip_prefix(BOM).unwrap_or(line);
                    }
                    if line.is_empty() {
                        continue;
                    }
                    let line = line.to_vec();
                    return Some(self.parse_line(&line));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(bad(
                        format!("{}:{}", self.origin, self.line_no),
                        io_reason(&e),
                    )));
                }
            }
        }
        None
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

fn stdin_source(opts: InputOptions) -> Box<dyn Iterator<Item = InputItem> + Send> {
    let mut reader = BufReader::with_capacity(1 << 16, std::io::stdin());
    // Peek without consuming: JSON Lines when the first non-blank byte is '{'.
    let first = loop {
        match reader.fill_buf() {
            Ok([]) => break None,
            Ok(buf) if buf.starts_with(BOM) => reader.consume(BOM.len()),
            Ok(buf) => {
                if let Some(pos) = buf.iter().position(|c| !c.is_ascii_whitespace()) {
                    break Some(buf[pos]);
                }
                let n = buf.len();
                reader.consume(n);
            }
            Err(e) => return Box::new(std::iter::once(Err(bad("<stdin>", io_reason(&e))))),
        }
    };
    match first {
        None => Box::new(std::iter::once(Err(bad("<stdin>", "empty input")))),
        Some(b'{') => Box::new(JsonlSource::new(
            reader,
            "<stdin>".into(),
            "stdin".into(),
            opts,
        )),
        Some(_) => {
            let mut bytes = Vec::new();
            let item = match reader.take(opts.max_bytes + 1).read_to_end(&mut bytes) {
                Ok(_) => decode_article(bytes, &opts)
                    .map(|t| Article::new("stdin", t))
                    .map_err(|r| bad("<stdin>", r)),
                Err(e) => Err(bad("<stdin>", io_reason(&e))),
            };
            Box::new(std::iter::once(item))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn jsonl_reports_bad_line_and_keeps_the_rest() {
        let data = "{\"id\":\"a\",\"text\":\"one\"}\nnot json\n\n{\"text\":\"two\"}\n{\"id\":7,\"text\":\"three\"}\n";
        let items: Vec<_> = JsonlSource::new(
            Cursor::new(data),
            "f.jsonl".into(),
            "f".into(),
            InputOptions::default(),
        )
        .collect();
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].as_ref().unwrap().id, "a");
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(err.origin, "f.jsonl:2");
        assert!(err.reason.contains("malformed JSON"));
        assert_eq!(items[2].as_ref().unwrap().id, "f:4");
        assert_eq!(items[3].as_ref().unwrap().id, "7");
    }

    #[test]
    fn decode_refuses_binary_empty_and_invalid_utf8() {
        let o = InputOptions::default();
        assert!(decode_article(b"  \n".to_vec(), &o)
            .unwrap_err()
            .contains("empty"));
        assert!(decode_article(b"ab\0cd".to_vec(), &o)
            .unwrap_err()
            .contains("binary"));
        assert!(decode_article(vec![b'a', 0xFF, b'b'], &o)
            .unwrap_err()
            .contains("UTF-8"));
        let small = InputOptions { max_bytes: 3 };
        assert!(decode_article(b"abcd".to_vec(), &small)
            .unwrap_err()
            .contains("limit"));
        assert_eq!(
            decode_article(b"\xEF\xBB\xBFhi".to_vec(), &o).unwrap(),
            "hi"
        );
    }
}
