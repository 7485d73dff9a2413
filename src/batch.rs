//! Streaming, parallel, order-preserving batch processing of an input stream.
//!
//! A reader thread pulls articles lazily from the input iterator and groups them into chunks
//! bounded by article count and bytes; a bounded channel holds at most two chunks ahead, so
//! memory stays flat however large the input. Each chunk is processed in parallel on a rayon
//! pool and handed to the sink **in input order**, which makes the output deterministic and
//! lets `stance label -` work as a pure streaming filter.

use crate::article::Article;
use crate::input::{BadInput, InputItem};
use rayon::prelude::*;

/// Chunking and threading of a batch run.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Most articles per chunk.
    pub chunk_articles: usize,
    /// Most bytes of text per chunk (a single larger article forms its own chunk).
    pub chunk_bytes: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            threads: 0,
            chunk_articles: 128,
            chunk_bytes: 16 << 20,
        }
    }
}

/// One processed input, delivered in input order.
pub enum BatchItem<T> {
    /// An article and what the work function made of it.
    Done(Article, T),
    /// An input that could not be read; the run goes on.
    Failed(BadInput),
}

/// Totals of a finished run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchStats {
    pub articles: usize,
    pub failed: usize,
    pub bytes: u64,
}

/// Runs `work` over every article of `inputs` on `opts.threads` threads and feeds the results,
/// in input order, to `sink`. Stops early with the sink's error (e.g. a closed pipe).
pub fn run<T, W, S, E>(
    inputs: impl Iterator<Item = InputItem> + Send,
    opts: &BatchOptions,
    work: W,
    mut sink: S,
) -> Result<BatchStats, E>
where
    T: Send,
    W: Fn(&Article) -> T + Sync,
    S: FnMut(BatchItem<T>) -> Result<(), E>,
    E: From<rayon::ThreadPoolBuildError>,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<InputItem>>(2);
    let chunk_articles = opts.chunk_articles.max(1);
    let chunk_bytes = opts.chunk_bytes.max(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut chunk = Vec::with_capacity(chunk_articles);
            let mut bytes = 0usize;
            for item in inputs {
                if let Ok(a) = &item {
                    bytes += a.text.len();
                }
                chunk.push(item);
                if chunk.len() >= chunk_articles || bytes >= chunk_bytes {
                    if tx.send(std::mem::take(&mut chunk)).is_err() {
                        return; // the consumer stopped (sink error)
                    }
                    bytes = 0;
                }
            }
            if !chunk.is_empty() {
                let _ = tx.send(chunk);
            }
        });
        let mut stats = BatchStats::default();
        for chunk in rx {
            let results: Vec<BatchItem<T>> = pool.install(|| {
                chunk
                    .into_par_iter()
                    .with_max_len(1)
                    .map(|item| match item {
                        Ok(article) => {
                            let out = work(&article);
                            BatchItem::Done(article, out)
                        }
                        Err(bad) => BatchItem::Failed(bad),
                    })
                    .collect()
            });
            for r in results {
                match &r {
                    BatchItem::Done(a, _) => {
                        stats.articles += 1;
                        stats.bytes += a.text.len() as u64;
                    }
                    BatchItem::Failed(_) => stats.failed += 1,
                }
                // Dropping `rx` on error unblocks and ends the reader thread.
                sink(r)?;
            }
        }
        Ok(stats)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_input_order_and_reports_failures() {
        let items: Vec<InputItem> = (0..1000)
            .map(|i| {
                if i % 97 == 0 {
                    Err(BadInput {
                        origin: format!("in:{i}"),
                        reason: "bad".into(),
                    })
                } else {
                    Ok(Article::new(i.to_string(), "x".repeat(i % 13 + 1)))
                }
            })
            .collect();
        let opts = BatchOptions {
            threads: 2,
            chunk_articles: 7,
            chunk_bytes: 50,
        };
        let mut seen = Vec::new();
        let stats = run::<_, _, _, rayon::ThreadPoolBuildError>(
            items.into_iter(),
            &opts,
            |a| a.text.len(),
            |item| {
                match item {
                    BatchItem::Done(a, n) => {
                        assert_eq!(a.text.len(), n);
                        seen.push(a.id.parse::<usize>().unwrap());
                    }
                    BatchItem::Failed(b) => seen.push(b.origin[3..].parse().unwrap()),
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, (0..1000).collect::<Vec<_>>());
        assert_eq!(stats.failed, 11);
        assert_eq!(stats.articles, 989);
    }

    #[test]
    fn sink_error_stops_the_run() {
        #[derive(Debug)]
        struct Stop;
        impl From<rayon::ThreadPoolBuildError> for Stop {
            fn from(_: rayon::ThreadPoolBuildError) -> Self {
                Stop
            }
        }
        let items = (0..100_000).map(|i| Ok(Article::new(i.to_string(), "x")));
        let mut n = 0;
        let r = run(
            items,
            &BatchOptions::default(),
            |_| (),
            |_| {
                n += 1;
                if n == 10 {
                    Err(Stop)
                } else {
                    Ok(())
                }
            },
        );
        assert!(r.is_err());
        assert_eq!(n, 10);
    }
}
