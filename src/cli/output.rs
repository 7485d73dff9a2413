//! Where results go: stdout, or a file written atomically (temp file + rename), so an
//! interrupted or failed run never leaves a half-written output behind — also on Ctrl-C or
//! SIGTERM, whose handler removes every temp file and directory still registered here.

use anyhow::{Context, Result};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temp files and directories a signal must not leave behind.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers a temp path to remove if the process is interrupted.
pub fn remove_on_signal(path: &Path) {
    pending().push(path.to_path_buf());
}

/// The temp path is gone (renamed or removed): nothing to clean up any more.
pub fn forget_on_signal(path: &Path) {
    pending().retain(|p| p != path);
}

/// On SIGINT, SIGTERM or SIGHUP: removes the registered temp paths, then dies of the same
/// signal (so a shell sees an interrupted command, exit status 128 + signal).
pub fn clean_up_on_signals() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return; // no handler: the default action (die) still applies
        };
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                for p in pending().drain(..) {
                    let _ = std::fs::remove_file(&p).or_else(|_| std::fs::remove_dir_all(&p));
                }
                let _ = signal_hook::low_level::emulate_default_handler(sig);
                std::process::exit(128 + sig);
            }
        });
    }
}

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
                remove_on_signal(&tmp);
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
            forget_on_signal(&tmp);
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
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Not finished (error or panic): never leave the temp file or a partial output.
        if let Some((tmp, _)) = self.file.take() {
            let _ = std::fs::remove_file(&tmp);
            forget_on_signal(&tmp);
        }
    }
}

/// `dir/.name.tmp-<pid>` beside `path`, so the final rename stays on one filesystem. The
/// model writer (`stance::model::store`) names its temp directory the same way.
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
/// serde_json and csv wrap the I/O error without exposing it as a source, so ask them too.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
            )
    })
}

/// Prints one input that was not processed, in the format scripts can grep:
/// `stance: skipped PATH[:LINE]: reason` for a failure, `stance: ignored PATH: reason` for a
/// file a folder holds that is not an article.
pub fn report_bad_input(bad: &stance::input::BadInput) {
    let what = if bad.failed { "skipped" } else { "ignored" };
    eprintln!("stance: {what} {}: {}", bad.origin, bad.reason);
}

/// Prints a warning: something the user should know that does not stop the run.
pub fn warn(msg: impl std::fmt::Display) {
    eprintln!("stance: warning: {msg}");
}
