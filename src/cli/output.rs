//! Where results go: stdout, or a file written atomically (temp file + rename), so an
//! interrupted or failed run never leaves a half-written output behind.

use anyhow::{Context, Result};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A buffered output that is either stdout or a temp file renamed into place on `finish`.
pub struct Output {
    inner: BufWriter<Box<dyn Write + Send>>,
    /// `(temp, final)` paths when writing to a file.
    file: Option<(PathBuf, PathBuf)>,
}

impl Output {
    /// Opens `path` (atomically, via a sibling temp file) or stdout when `None` or `-`.
    pub fn open(path: Option<&Path>) -> Result<Self> {
        match path {
            None => Ok(Self::stdout()),
            Some(p) if p.as_os_str() == "-" => Ok(Self::stdout()),
            Some(p) => {
                let tmp = temp_sibling(p);
                let f = std::fs::File::create(&tmp)
                    .with_context(|| format!("cannot write output {}", p.display()))?;
                Ok(Output {
                    inner: BufWriter::with_capacity(1 << 16, Box::new(f)),
                    file: Some((tmp, p.to_path_buf())),
                })
            }
        }
    }

    fn stdout() -> Self {
        Output {
            inner: BufWriter::with_capacity(1 << 16, Box::new(std::io::stdout())),
            file: None,
        }
    }

    /// Flushes, syncs and renames the temp file into place.
    pub fn finish(mut self) -> Result<()> {
        let flushed = self.inner.flush();
        if let Some((tmp, dst)) = self.file.take() {
            let res = flushed
                .context("flushing output")
                .and_then(|_| {
                    let f = std::fs::File::open(&tmp)?;
                    f.sync_all()?;
                    Ok(())
                })
                .and_then(|_| std::fs::rename(&tmp, &dst).map_err(anyhow::Error::from));
            if let Err(e) = res {
                let _ = std::fs::remove_file(&tmp);
                return Err(e).with_context(|| format!("cannot write output {}", dst.display()));
            }
            Ok(())
        } else {
            flushed.map_err(anyhow::Error::from)
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Not finished (error or panic): never leave the temp file or a partial output.
        if let Some((tmp, _)) = self.file.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// `dir/.name.tmp-<pid>` beside `path`, so the final rename stays on one filesystem.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = format!(".{name}.tmp-{}", std::process::id());
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(tmp),
        _ => PathBuf::from(tmp),
    }
}

/// True when the error chain holds a broken pipe (e.g. `stance label … | head`): not an error.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints one skipped input on stderr in the format scripts can grep.
pub fn report_bad_input(bad: &stance::input::BadInput) {
    eprintln!("stance: skipped {}: {}", bad.origin, bad.reason);
}
