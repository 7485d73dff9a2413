//! Streaming, parallel, order-preserving batch processing of an input stream.
//!
//! A reader thread pulls articles lazily from the input iterator into a queue bounded by
//! article count and bytes (two chunks' worth), so memory stays flat however large the input.
//! The consumer takes a chunk from the queue, processes it in parallel on a rayon pool and
//! hands the results to the sink **in input order**, which makes the output deterministic.
//! While it hands one chunk's results to the sink (serialising and writing them), the next
//! chunk is already on the pool, so the workers do not wait for the writer.
//!
//! A chunk is whatever the queue holds when the pool is ready, up to the chunk limits; when the
//! queue holds less than a full chunk the consumer waits at most [`BatchOptions::max_wait`] for
//! more. A fast input therefore always fills whole chunks (throughput), while a slow one — a
//! pipe that delivers a record now and then — is processed within a bounded delay, and the
//! sink is told ([`BatchItem::Idle`]) to flush its output before the consumer waits for input.
//! That is what lets `stance label -` work as a streaming filter.

use crate::article::Article;
use crate::input::{BadInput, InputItem};
use rayon::prelude::*;
use std::collections::VecDeque;
use std::sync::{mpsc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Chunking and threading of a batch run.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Most articles per chunk.
    pub chunk_articles: usize,
    /// Most bytes of text per chunk (a single larger article forms its own chunk).
    pub chunk_bytes: usize,
    /// Longest wait for a partial chunk to fill before it is processed as it is: the extra
    /// delay a slowly fed input sees.
    pub max_wait: Duration,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            threads: 0,
            chunk_articles: 128,
            chunk_bytes: 16 << 20,
            max_wait: Duration::from_millis(10),
        }
    }
}

/// One processed input, delivered in input order.
pub enum BatchItem<T> {
    /// An article and what the work function made of it.
    Done(Article, T),
    /// An input that could not be read; the run goes on.
    Failed(BadInput),
    /// Every input read so far has been delivered and the input has nothing more ready:
    /// flush what has been written, the next item may be a while.
    Idle,
}

/// Totals of a finished run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchStats {
    pub articles: usize,
    pub failed: usize,
    pub bytes: u64,
}

/// The reader → consumer queue.
struct Queue {
    state: Mutex<QueueState>,
    changed: Condvar,
}

#[derive(Default)]
struct QueueState {
    items: VecDeque<InputItem>,
    bytes: usize,
    /// The reader has read every input.
    done: bool,
    /// The consumer has stopped (sink error or panic): the reader stops too.
    stopped: bool,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // A panic elsewhere poisons the lock; the state itself stays consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, g: MutexGuard<'a, QueueState>) -> MutexGuard<'a, QueueState> {
        self.changed.wait(g).unwrap_or_else(|e| e.into_inner())
    }
}

/// Sets `stopped` when the consumer leaves, however it leaves.
struct StopOnDrop<'a>(&'a Queue);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.lock().stopped = true;
        self.0.changed.notify_all();
    }
}

fn item_bytes(item: &InputItem) -> usize {
    item.as_ref().map_or(0, |a| a.text.len())
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
    let chunk_articles = opts.chunk_articles.max(1);
    let chunk_bytes = opts.chunk_bytes.max(1);
    let queue = Queue {
        state: Mutex::new(QueueState::default()),
        changed: Condvar::new(),
    };
    std::thread::scope(|scope| {
        let q = &queue;
        scope.spawn(move || {
            for item in inputs {
                let n = item_bytes(&item);
                let mut st = q.lock();
                // Two chunks ahead at most (a single larger article still gets in).
                while !st.stopped
                    && !st.items.is_empty()
                    && (st.items.len() >= 2 * chunk_articles || st.bytes + n > 2 * chunk_bytes)
                {
                    st = q.wait(st);
                }
                if st.stopped {
                    return;
                }
                st.bytes += n;
                st.items.push_back(item);
                drop(st);
                q.changed.notify_all();
            }
            q.lock().done = true;
            q.changed.notify_all();
        });
        let _stop = StopOnDrop(q);
        let mut stats = BatchStats::default();
        // Up to `IN_FLIGHT` chunks are on the pool while this thread hands the oldest one's
        // results to the sink, so writing output overlaps labeling instead of idling the
        // workers. Each chunk answers on its own channel, read in chunk order.
        pool.in_place_scope(|scope| {
            let mut pending: VecDeque<mpsc::Receiver<Vec<BatchItem<T>>>> = VecDeque::new();
            let work = &work;
            let mut input_done = false;
            loop {
                while !input_done && pending.len() < IN_FLIGHT {
                    // With nothing in flight, wait for input (telling the sink `Idle` first);
                    // otherwise take only a chunk that is ready now and deliver meanwhile.
                    let chunk = if pending.is_empty() {
                        next_chunk(q, chunk_articles, chunk_bytes, opts.max_wait, &mut sink)?
                    } else if let Some(chunk) = ready_chunk(q, chunk_articles, chunk_bytes) {
                        Some(chunk)
                    } else {
                        break;
                    };
                    let Some(chunk) = chunk else {
                        input_done = true;
                        break;
                    };
                    let (tx, rx) = mpsc::channel();
                    pending.push_back(rx);
                    // The receiver is gone only when the run stopped early.
                    scope.spawn(move |_| drop(tx.send(process_chunk(chunk, work))));
                }
                let Some(rx) = pending.pop_front() else {
                    return Ok(stats);
                };
                // A closed channel means the chunk's work panicked: the scope re-raises it.
                let Ok(results) = rx.recv() else {
                    return Ok(stats);
                };
                for r in results {
                    stats.count(&r);
                    sink(r)?;
                }
            }
        })
    })
}

/// Runs `work` over a chunk's articles on the current pool, in input order.
fn process_chunk<T: Send>(
    chunk: Vec<InputItem>,
    work: &(impl Fn(&Article) -> T + Sync),
) -> Vec<BatchItem<T>> {
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
}

impl BatchStats {
    fn count<T>(&mut self, item: &BatchItem<T>) {
        match item {
            BatchItem::Done(a, _) => {
                self.articles += 1;
                self.bytes += a.text.len() as u64;
            }
            BatchItem::Failed(b) if b.failed => self.failed += 1,
            BatchItem::Failed(_) | BatchItem::Idle => {}
        }
    }
}

/// Chunks handed to the pool and not yet delivered: while the oldest one's results are
/// written, the next one keeps the workers busy.
const IN_FLIGHT: usize = 2;

/// A chunk the queue can give without waiting: a full one, or the last one of the input.
fn ready_chunk(q: &Queue, chunk_articles: usize, chunk_bytes: usize) -> Option<Vec<InputItem>> {
    let mut st = q.lock();
    if st.items.is_empty()
        || !(st.done || st.items.len() >= chunk_articles || st.bytes >= chunk_bytes)
    {
        return None;
    }
    let chunk = take_chunk(&mut st, chunk_articles, chunk_bytes);
    drop(st);
    q.changed.notify_all();
    Some(chunk)
}

/// The next chunk, or `None` at the end of the input. Tells the sink `Idle` before it waits
/// on an empty queue.
fn next_chunk<T, S, E>(
    q: &Queue,
    chunk_articles: usize,
    chunk_bytes: usize,
    max_wait: Duration,
    sink: &mut S,
) -> Result<Option<Vec<InputItem>>, E>
where
    S: FnMut(BatchItem<T>) -> Result<(), E>,
{
    let mut st = q.lock();
    if st.items.is_empty() && !st.done {
        drop(st);
        sink(BatchItem::Idle)?;
        st = q.lock();
    }
    while st.items.is_empty() && !st.done {
        st = q.wait(st);
    }
    if st.items.is_empty() {
        return Ok(None);
    }
    // A partial chunk waits a little for the rest, so a fast input always fills chunks.
    let deadline = Instant::now() + max_wait;
    while !st.done && st.items.len() < chunk_articles && st.bytes < chunk_bytes {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        st = q
            .changed
            .wait_timeout(st, left)
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0);
    }
    let chunk = take_chunk(&mut st, chunk_articles, chunk_bytes);
    drop(st);
    q.changed.notify_all();
    Ok(Some(chunk))
}

/// Takes the front of the queue up to the chunk limits (at least one item).
fn take_chunk(st: &mut QueueState, chunk_articles: usize, chunk_bytes: usize) -> Vec<InputItem> {
    let mut chunk = Vec::with_capacity(chunk_articles.min(st.items.len()));
    let mut bytes = 0;
    while let Some(item) = st.items.front() {
        let n = item_bytes(item);
        if !chunk.is_empty() && (chunk.len() >= chunk_articles || bytes + n > chunk_bytes) {
            break;
        }
        bytes += n;
        chunk.extend(st.items.pop_front());
    }
    st.bytes -= bytes;
    chunk
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
                        failed: true,
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
            ..BatchOptions::default()
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
                    BatchItem::Idle => {}
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
            |item| {
                if matches!(item, BatchItem::Idle) {
                    return Ok(());
                }
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

    /// A panic in the work function reaches the caller; the run does not end early with
    /// the results it had (silently short output).
    #[test]
    fn a_panic_in_the_work_reaches_the_caller() {
        let items = (0..500).map(|i| Ok(Article::new(i.to_string(), "x")));
        let opts = BatchOptions {
            threads: 2,
            chunk_articles: 8,
            ..BatchOptions::default()
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run::<_, _, _, rayon::ThreadPoolBuildError>(
                items,
                &opts,
                |a| assert_ne!(a.id, "77", "work failed"),
                |_| Ok(()),
            )
        }));
        assert!(outcome.is_err(), "the panic was swallowed: {outcome:?}");
    }

    #[test]
    fn a_slow_input_is_processed_as_it_arrives() {
        // Each article is fed only after the previous one came out: a batcher that waited for
        // a full chunk or the end of the input would never deliver and the test would fail.
        let (feed, inputs) = std::sync::mpsc::channel::<InputItem>();
        let (ack, acks) = std::sync::mpsc::channel::<String>();
        let runner = std::thread::spawn(move || {
            run::<_, _, _, rayon::ThreadPoolBuildError>(
                inputs.into_iter(),
                &BatchOptions::default(),
                |a| a.id.clone(),
                |item| {
                    let msg = match item {
                        BatchItem::Done(_, id) => id,
                        BatchItem::Failed(b) => b.origin,
                        BatchItem::Idle => "idle".into(),
                    };
                    let _ = ack.send(msg);
                    Ok(())
                },
            )
        });
        let wait = std::time::Duration::from_secs(20);
        assert_eq!(
            acks.recv_timeout(wait).unwrap(),
            "idle",
            "idle before the first input"
        );
        for i in 0..5 {
            feed.send(Ok(Article::new(format!("a{i}"), "text")))
                .unwrap();
            assert_eq!(acks.recv_timeout(wait).unwrap(), format!("a{i}"));
            assert_eq!(acks.recv_timeout(wait).unwrap(), "idle", "idle after a{i}");
        }
        drop(feed);
        let stats = runner.join().unwrap().unwrap();
        assert_eq!(stats.articles, 5);
    }
}
