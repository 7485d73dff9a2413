//! Progress on stderr for long runs: articles/s, MB/s and, when the input size is known
//! up front (files and directories), a bar with an ETA. Silent when stderr is not a terminal
//! or with `--quiet`, so pipelines and logs stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Progress {
    bar: Option<ProgressBar>,
    articles: AtomicUsize,
}

impl Progress {
    /// A bar sized by the total bytes of `paths` when they are all files or directories.
    pub fn new(paths: &[PathBuf], quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                articles: AtomicUsize::new(0),
            };
        }
        let total = total_bytes(paths);
        let bar = match total {
            Some(t) => {
                let b = ProgressBar::new(t);
                b.set_style(
                    ProgressStyle::with_template(
                        "{bar:30} {percent:>3}% {binary_bytes_per_sec} {msg} ETA {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b
            }
            None => {
                let b = ProgressBar::new_spinner();
                b.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {binary_bytes} {binary_bytes_per_sec} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                b
            }
        };
        b_draw(&bar);
        Progress {
            bar: Some(bar),
            articles: AtomicUsize::new(0),
        }
    }

    /// One article of `bytes` done.
    pub fn article(&self, bytes: usize) {
        if let Some(b) = &self.bar {
            b.inc(bytes as u64);
            let secs = b.elapsed().as_secs_f64().max(1e-3);
            let count = self.articles.fetch_add(1, Ordering::Relaxed) + 1;
            if count % 64 == 0 {
                b.set_message(format!(
                    "{count} articles, {:.0} articles/s",
                    count as f64 / secs
                ));
            }
        }
    }

    /// Runs `f` (e.g. printing a warning) without garbling the bar.
    pub fn suspend<F: FnOnce()>(&self, f: F) {
        match &self.bar {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

fn b_draw(b: &ProgressBar) {
    b.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
}

/// Sum of file sizes below `paths`, or None when any is stdin.
fn total_bytes(paths: &[PathBuf]) -> Option<u64> {
    let mut total = 0;
    for p in paths {
        if p.as_os_str() == "-" {
            return None;
        }
        let meta = std::fs::metadata(p).ok()?;
        if meta.is_dir() {
            for e in walkdir::WalkDir::new(p)
                .follow_links(true)
                .into_iter()
                .flatten()
            {
                if e.file_type().is_file()
                    && e.path().extension().and_then(|x| x.to_str()) == Some("txt")
                {
                    total += e.metadata().map(|m| m.len()).unwrap_or(0);
                }
            }
        } else {
            total += meta.len();
        }
    }
    Some(total)
}
