//! Progress on stderr for long runs: articles/s, MB/s and, when the input size is known
//! up front (files and folders), a bar with an ETA once there is a rate to estimate it from.
//! The run ends with one line that stays: how many articles, how fast, how many skipped.
//! Silent when stderr is not a terminal or with `--quiet`, so pipelines and logs stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stance::input::input_files;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// No ETA before this: the first seconds (model load, warm-up) give a silly estimate.
const ETA_AFTER_SECS: f64 = 2.0;

pub struct Progress {
    bar: Option<ProgressBar>,
    articles: AtomicUsize,
    skipped: AtomicUsize,
    bytes: AtomicUsize,
    eta_shown: AtomicBool,
    sized: bool,
    /// What is counted: "articles", "statements".
    noun: &'static str,
}

impl Progress {
    /// A bar sized by the total bytes of `paths` when they are all files or folders, counting
    /// `noun` ("articles").
    pub fn new(paths: &[PathBuf], quiet: bool, noun: &'static str) -> Self {
        let mut p = Progress {
            bar: None,
            articles: AtomicUsize::new(0),
            skipped: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
            eta_shown: AtomicBool::new(false),
            sized: false,
            noun,
        };
        if quiet || !std::io::stderr().is_terminal() {
            return p;
        }
        let bar = match total_bytes(paths) {
            Some(t) => {
                p.sized = true;
                let b = ProgressBar::new(t);
                b.set_style(style("{bar:30} {percent:>3}% {binary_bytes_per_sec} {msg}"));
                b
            }
            None => {
                let b = ProgressBar::new_spinner();
                b.set_style(style(
                    "{spinner} {binary_bytes} {binary_bytes_per_sec} {msg}",
                ));
                b
            }
        };
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        p.bar = Some(bar);
        p
    }

    /// One article of `bytes` done.
    pub fn article(&self, bytes: usize) {
        let count = self.articles.fetch_add(1, Ordering::Relaxed) + 1;
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        let Some(b) = &self.bar else { return };
        b.inc(bytes as u64);
        if count % 64 == 0 {
            let secs = b.elapsed().as_secs_f64().max(1e-3);
            let noun = self.noun;
            b.set_message(format!(
                "{count} {noun}, {:.0} {noun}/s",
                count as f64 / secs
            ));
            if self.sized && secs >= ETA_AFTER_SECS && !self.eta_shown.swap(true, Ordering::Relaxed)
            {
                b.set_style(style(
                    "{bar:30} {percent:>3}% {binary_bytes_per_sec} {msg}, ETA {eta}",
                ));
            }
        }
    }

    /// One input skipped.
    pub fn skipped(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `f` (e.g. printing a warning) without garbling the bar.
    pub fn suspend<F: FnOnce()>(&self, f: F) {
        match &self.bar {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }

    /// Clears the bar and leaves the final count in its place.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            let secs = b.elapsed().as_secs_f64();
            b.finish_and_clear();
            let n = self.articles.load(Ordering::Relaxed);
            let bytes = indicatif::HumanBytes(self.bytes.load(Ordering::Relaxed) as u64);
            let skipped = match self.skipped.load(Ordering::Relaxed) {
                0 => String::new(),
                k => format!("; {k} input(s) skipped"),
            };
            let noun = self.noun;
            eprintln!(
                "stance: {n} {noun}, {bytes} in {secs:.2} s ({:.0} {noun}/s){skipped}",
                n as f64 / secs.max(1e-3)
            );
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// Sum of the sizes of the files that will be read below `paths`, or None with stdin.
fn total_bytes(paths: &[PathBuf]) -> Option<u64> {
    let mut total = 0;
    for p in paths {
        if p.as_os_str() == "-" {
            return None;
        }
        for f in input_files(p).ok()? {
            total += std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        }
    }
    Some(total)
}
