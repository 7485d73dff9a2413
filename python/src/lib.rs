//! `stance._native`: the thin PyO3 layer under the `stance` Python package.
//!
//! It wraps the library's API and nothing more: [`stance::pipeline::Pipeline`] (load, label),
//! [`stance::batch`] (parallel, order-preserving labeling), [`stance::summary::Summary`],
//! [`stance::model::Model`] (load, predict, save) and [`stance::model::train`] on
//! [`stance::dataset`] records. Results cross the boundary through serde: [`topy`] builds the
//! Python objects `json.loads` would make of the CLI's `serde_json` text (so `label` gives the
//! records of `stance label --format jsonl`, equal to the last float), and `label_jsonl` returns
//! that text itself; no field is declared twice. The Python layer (`stance/__init__.py`) adds
//! the Pythonic API.
//!
//! Every long call releases the GIL; the wrapped objects are `Send + Sync` and shared by `Arc`,
//! so any number of Python threads may use one pipeline at once.

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use stance::batch::{self, BatchItem, BatchOptions};
use stance::input::BadInput;
use stance::pipeline::LabeledQuote;
use stance::Article;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod topy;

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled_model.rs"));
}

pyo3::create_exception!(
    _native,
    StanceError,
    PyException,
    "An error reported by the stance library (the message is the library's)."
);
pyo3::create_exception!(
    _native,
    ModelError,
    StanceError,
    "A model directory cannot be used: missing, truncated or corrupt files, a newer format, or topics the configuration does not define."
);

/// The library's error as a Python exception, keeping its message.
fn lib_err(e: stance::Error) -> PyErr {
    match e {
        stance::Error::Model { .. } => ModelError::new_err(e.to_string()),
        other => StanceError::new_err(other.to_string()),
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The (input position, reason) of every article that could not be labeled.
type Failures = Vec<(usize, String)>;

/// The ("<lines>:LINE", reason) of every JSONL record that could not be read.
type LineFailures = Vec<(String, String)>;

/// Articles per hand-over from the labeling threads to the converting (GIL) thread.
const CHUNK: usize = 128;

/// The batch runner's defaults on `threads` threads (0 = all cores), as `stance label` runs.
fn batch_options(threads: usize) -> BatchOptions {
    BatchOptions {
        threads,
        ..BatchOptions::default()
    }
}

fn batch_err(e: BoxError) -> PyErr {
    StanceError::new_err(e.to_string())
}

/// Writes the bundled model into `dir` (created if needed).
fn write_bundled(dir: &Path) -> std::io::Result<()> {
    for (name, bytes) in bundled::FILES {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)?;
    }
    Ok(())
}

/// Runs `load` on the bundled model, written to a temporary directory that is removed after.
fn load_bundled<T>(load: impl FnOnce(&Path) -> stance::Result<T>) -> PyResult<T> {
    if bundled::FILES.is_empty() {
        return Err(ModelError::new_err(
            "this build of the package has no bundled model: pass a model directory or set STANCE_MODEL",
        ));
    }
    let tmp = tempfile::tempdir()
        .map_err(|e| StanceError::new_err(format!("temporary directory: {e}")))?;
    write_bundled(tmp.path())
        .map_err(|e| StanceError::new_err(format!("writing the bundled model: {e}")))?;
    load(tmp.path()).map_err(lib_err)
}

/// Runs `load` on the model directory `path`, or on the bundled model when `path` is `None`,
/// with the GIL released.
fn load_shared<T: Send + Sync>(
    py: Python<'_>,
    path: Option<PathBuf>,
    load: impl FnOnce(&Path) -> stance::Result<T> + Send,
) -> PyResult<Arc<T>> {
    py.detach(|| match path {
        Some(p) => load(&p).map_err(lib_err),
        None => load_bundled(load),
    })
    .map(Arc::new)
}

fn load_pipeline(
    dir: &Path,
    min_confidence: Option<f32>,
    relevance: bool,
) -> stance::Result<stance::pipeline::Pipeline> {
    Ok(stance::pipeline::Pipeline::load(dir)?
        .with_min_confidence(min_confidence)?
        .with_relevance_scores(relevance))
}

/// Turns Python's articles into the library's input stream: an empty text is a bad input,
/// reported for its position, exactly as `stance label` reports an empty JSONL record.
fn articles(
    texts: Vec<String>,
    ids: Vec<String>,
) -> impl Iterator<Item = stance::input::InputItem> + Send {
    texts
        .into_iter()
        .zip(ids)
        .enumerate()
        .map(|(i, (text, id))| {
            if text.trim().is_empty() {
                Err(BadInput {
                    origin: i.to_string(),
                    reason: "empty article".into(),
                    failed: true,
                })
            } else {
                Ok(Article::new(id, text))
            }
        })
}

fn check_lengths(texts: &[String], ids: &[String]) -> PyResult<()> {
    if texts.len() != ids.len() {
        return Err(PyValueError::new_err(format!(
            "{} texts but {} ids",
            texts.len(),
            ids.len()
        )));
    }
    Ok(())
}

/// A labeling pipeline: quote extractor, speaker attribution, topic lexicon and model.
#[pyclass(frozen, module = "stance._native")]
struct Pipeline {
    inner: Arc<stance::pipeline::Pipeline>,
}

#[pymethods]
impl Pipeline {
    /// Loads the model directory `path` with the built-in extractor and topics, keeping only
    /// detected topics with `confidence` >= `min_confidence` when given; with `relevance`,
    /// every record also has every topic's P(topic) (`stance label --relevance`).
    #[staticmethod]
    #[pyo3(signature = (path, min_confidence=None, relevance=false))]
    fn load(
        py: Python<'_>,
        path: PathBuf,
        min_confidence: Option<f32>,
        relevance: bool,
    ) -> PyResult<Self> {
        let inner = load_shared(py, Some(path), |p| {
            load_pipeline(p, min_confidence, relevance)
        })?;
        Ok(Pipeline { inner })
    }

    /// Loads the model bundled into this build (`min_confidence`, `relevance` as in `load`).
    #[staticmethod]
    #[pyo3(signature = (min_confidence=None, relevance=false))]
    fn load_bundled(
        py: Python<'_>,
        min_confidence: Option<f32>,
        relevance: bool,
    ) -> PyResult<Self> {
        let inner = load_shared(py, None, |p| load_pipeline(p, min_confidence, relevance))?;
        Ok(Pipeline { inner })
    }

    /// Labels one article; returns its records (the `stance label --format jsonl` records as
    /// Python objects). Raises ValueError when the text is empty.
    fn label<'py>(&self, py: Python<'py>, text: String, id: String) -> PyResult<Bound<'py, PyAny>> {
        if text.trim().is_empty() {
            return Err(PyValueError::new_err(format!("{id}: empty article")));
        }
        let p = Arc::clone(&self.inner);
        let quotes = py.detach(move || p.label(&Article::new(id, text)));
        topy::to_py(py, &mut topy::Names::default(), &quotes)
    }

    /// Labels many articles on `threads` threads (0 = all cores), in input order, through the
    /// same batch runner as `stance label`. Returns (one list of records per text, empty for a
    /// text that was not labeled; the (index, reason) of every such text).
    ///
    /// The labeling runs on its own threads without the GIL while this thread turns finished
    /// chunks into Python objects, so the conversion overlaps the work; Ctrl-C is honoured
    /// between chunks.
    fn label_many<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<String>,
        ids: Vec<String>,
        threads: usize,
    ) -> PyResult<(Bound<'py, PyList>, Failures)> {
        check_lengths(&texts, &ids)?;
        let p = Arc::clone(&self.inner);
        type Chunk = Vec<Result<Vec<LabeledQuote>, String>>;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(4);
        // Behind a mutex only so that a reference to it may cross `detach`.
        let rx = std::sync::Mutex::new(rx);
        let worker = std::thread::spawn(move || -> Result<(), BoxError> {
            let opts = batch_options(threads);
            let mut chunk = Vec::with_capacity(CHUNK);
            batch::run(
                articles(texts, ids),
                &opts,
                |a| p.label(a),
                |item| -> Result<(), BoxError> {
                    match item {
                        BatchItem::Done(_, quotes) => chunk.push(Ok(quotes)),
                        BatchItem::Failed(bad) => chunk.push(Err(bad.reason)),
                        // Flushing is the sink's business: the chunks go out when full.
                        BatchItem::Idle => return Ok(()),
                    }
                    if chunk.len() >= CHUNK {
                        // A closed channel means the caller gave up (an error or Ctrl-C).
                        tx.send(std::mem::take(&mut chunk))?;
                    }
                    Ok(())
                },
            )?;
            if !chunk.is_empty() {
                tx.send(chunk)?;
            }
            Ok(())
        });
        let out = PyList::empty(py);
        let mut failed = Vec::new();
        let mut names = topy::Names::default();
        let mut convert = || -> PyResult<()> {
            while let Ok(chunk) = py.detach(|| rx.lock().expect("one user").recv()) {
                py.check_signals()?;
                for item in chunk {
                    match item {
                        Ok(quotes) => out.append(topy::to_py(py, &mut names, &quotes)?)?,
                        Err(reason) => {
                            failed.push((out.len(), reason));
                            out.append(PyList::empty(py))?;
                        }
                    }
                }
            }
            Ok(())
        };
        // The records hold no reference cycles, so the cyclic garbage collector has nothing
        // to find in them; left on, it re-scans them again and again as they pile up (about
        // a fifth of label_many's CPU time in benches/python_throughput.py).
        let gc = py.import("gc")?;
        let gc_was_on: bool = gc.call_method0("isenabled")?.extract()?;
        if gc_was_on {
            gc.call_method0("disable")?;
        }
        let converted = convert();
        if gc_was_on {
            gc.call_method0("enable")?;
        }
        // Dropping the receiver stops the worker at its next chunk if we stopped early.
        drop(rx);
        let worked = py.detach(|| worker.join());
        converted?;
        match worked {
            Ok(r) => r.map_err(batch_err)?,
            Err(_) => return Err(StanceError::new_err("the labeling thread panicked")),
        }
        Ok((out, failed))
    }

    /// Labels JSON Lines `{"id", "text"}` records exactly as `stance label -` does and returns
    /// its output lines (one JSON record per quote, no newline), in order, plus the
    /// ("<lines>:LINE", reason) of every record that could not be read. For writing JSONL
    /// (Spark, files) without building Python dicts.
    fn label_jsonl(
        &self,
        py: Python<'_>,
        lines: Vec<String>,
        threads: usize,
    ) -> PyResult<(Vec<String>, LineFailures)> {
        let p = Arc::clone(&self.inner);
        py.detach(move || {
            let source = stance::input::JsonlSource::new(
                std::io::Cursor::new(lines.join("\n").into_bytes()),
                "<lines>".into(),
                "lines".into(),
                stance::input::InputOptions::default(),
            );
            let mut out = Vec::new();
            let mut failed = Vec::new();
            batch::run(
                source,
                &batch_options(threads),
                |a| {
                    p.label(a)
                        .iter()
                        .map(serde_json::to_string)
                        .collect::<Result<Vec<_>, _>>()
                },
                |item| -> Result<(), BoxError> {
                    match item {
                        BatchItem::Done(_, records) => out.extend(records?),
                        BatchItem::Failed(bad) => failed.push((bad.origin, bad.reason)),
                        BatchItem::Idle => {}
                    }
                    Ok(())
                },
            )?;
            Ok((out, failed))
        })
        .map_err(batch_err)
    }

    /// Labels the articles and returns the speaker × topic summary (the dict of `stance label
    /// --summary --format json`, or with `markdown` its table), plus the (index, reason) of
    /// every text that was not labeled.
    fn summary<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<String>,
        ids: Vec<String>,
        threads: usize,
        markdown: bool,
    ) -> PyResult<(Bound<'py, PyAny>, Failures)> {
        check_lengths(&texts, &ids)?;
        let p = Arc::clone(&self.inner);
        let (summary, failed) = py
            .detach(move || {
                let mut summary = stance::summary::Summary::new();
                let mut failed = Vec::new();
                let mut index = 0usize;
                let opts = batch_options(threads);
                batch::run(
                    articles(texts, ids),
                    &opts,
                    |a| p.label(a),
                    |item| -> Result<(), BoxError> {
                        match item {
                            BatchItem::Done(_, quotes) => {
                                quotes.iter().for_each(|q| summary.add(q))
                            }
                            BatchItem::Failed(bad) => failed.push((index, bad.reason)),
                            BatchItem::Idle => return Ok(()),
                        }
                        index += 1;
                        Ok(())
                    },
                )?;
                Ok((summary, failed))
            })
            .map_err(batch_err)?;
        let table = if markdown {
            PyString::new(py, &summary.to_markdown()).into_any()
        } else {
            topy::to_py(py, &mut topy::Names::default(), &summary.to_json())?
        };
        Ok((table, failed))
    }

    /// The pipeline's model.
    fn model(&self) -> Model {
        Model {
            inner: Arc::new(self.inner.model().clone()),
        }
    }
}

/// A trained statement model (stance per topic, topic relevance, sentiment).
#[pyclass(frozen, module = "stance._native")]
struct Model {
    inner: Arc<stance::model::Model>,
}

#[pymethods]
impl Model {
    /// Loads a model directory, checking format version, sizes and checksums.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = load_shared(py, Some(path), |p| stance::model::Model::load(p))?;
        Ok(Model { inner })
    }

    /// Loads the model bundled into this build.
    #[staticmethod]
    fn load_bundled(py: Python<'_>) -> PyResult<Self> {
        let inner = load_shared(py, None, |p| stance::model::Model::load(p))?;
        Ok(Model { inner })
    }

    /// Predicts one statement; returns the `prediction` of `stance predict`.
    #[pyo3(signature = (text, context, topics, target, explain, wide_context=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        text: String,
        context: Option<String>,
        topics: Option<Vec<String>>,
        target: Option<(usize, usize)>,
        explain: usize,
        wide_context: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = Arc::clone(&self.inner);
        let prediction = py.detach(move || {
            let s = stance::model::Statement {
                text: &text,
                context: context.as_deref(),
                wide_context: wide_context.as_deref(),
                topics,
                target,
                lead: None,
            };
            if explain > 0 {
                m.predict_explained(&s, explain)
            } else {
                m.predict(&s)
            }
        });
        topy::to_py(py, &mut topy::Names::default(), &prediction)
    }

    /// Topic ids, sorted.
    fn topics(&self) -> Vec<String> {
        self.inner.topics().to_vec()
    }

    /// The manifest.
    fn manifest<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        topy::to_py(py, &mut topy::Names::default(), self.inner.manifest())
    }

    /// Saves the model directory (atomically).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let m = Arc::clone(&self.inner);
        py.detach(move || m.save(&path)).map_err(lib_err)
    }

    /// A pipeline labeling with this model (built-in extractor and topics).
    fn pipeline(&self) -> PyResult<Pipeline> {
        let inner = stance::pipeline::Pipeline::new(
            stance::quotes::QuoteExtractor::with_defaults(),
            (*self.inner).clone(),
            &stance::topics::TopicConfig::builtin(),
        )
        .map_err(lib_err)?;
        Ok(Pipeline {
            inner: Arc::new(inner),
        })
    }
}

/// Merges the caller's training parameters over the library's defaults (so any parameter the
/// library adds later keeps its default), each vectorizer over the default vectorizer.
fn train_params(overrides: &str) -> PyResult<stance::model::TrainParams> {
    use serde_json::Value;
    let bad = |m: String| PyValueError::new_err(m);
    let mut params = serde_json::to_value(stance::model::TrainParams::default())
        .map_err(|e| bad(e.to_string()))?;
    let given: serde_json::Map<String, Value> =
        serde_json::from_str(overrides).map_err(|e| bad(format!("training parameters: {e}")))?;
    let defaults = params.as_object_mut().expect("TrainParams is a struct");
    // Serialisation leaves out one CV run (so manifests stay byte-stable); it is still known.
    defaults.entry("cv_repeats").or_insert(Value::from(1));
    for (k, mut v) in given {
        if !defaults.contains_key(&k) {
            let mut known: Vec<&String> = defaults.keys().collect();
            known.sort();
            return Err(bad(format!(
                "unknown training parameter {k:?}; known: {}",
                known
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if k == "vectorizers" {
            let base = serde_json::to_value(stance::model::train::default_vectorizer())
                .map_err(|e| bad(e.to_string()))?;
            let Value::Array(items) = v else {
                return Err(bad("vectorizers must be a list of dicts".into()));
            };
            let mut merged = Vec::with_capacity(items.len());
            for item in items {
                let Value::Object(fields) = item else {
                    return Err(bad("vectorizers must be a list of dicts".into()));
                };
                let mut b = base.clone();
                b.as_object_mut()
                    .expect("VectorizerConfig is a struct")
                    .extend(fields);
                merged.push(b);
            }
            v = Value::Array(merged);
        }
        defaults.insert(k, v);
    }
    let params: stance::model::TrainParams =
        serde_json::from_value(params).map_err(|e| bad(format!("training parameters: {e}")))?;
    params.validate().map_err(lib_err)?;
    Ok(params)
}

/// Trains a model on records (JSON objects in the annotation guide's format) and data files
/// (any format `stance train` reads, autodetected). Returns the model and the training report.
#[pyfunction]
fn train<'py>(
    py: Python<'py>,
    records: Vec<String>,
    files: Vec<PathBuf>,
    params: String,
) -> PyResult<(Model, Bound<'py, PyAny>)> {
    let params = train_params(&params)?;
    let mut recs = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(r)
            .map_err(|e| PyValueError::new_err(format!("records[{i}]: {e}")))?;
        recs.push(
            stance::corpora::record_from_json(v)
                .map_err(|e| PyValueError::new_err(format!("records[{i}]: {e}")))?,
        );
    }
    let (model, report) = py
        .detach(move || -> stance::Result<(Model, serde_json::Value)> {
            for f in &files {
                recs.extend(stance::corpora::read_records(
                    f,
                    &stance::corpora::ReadOptions::default(),
                )?);
            }
            let (mut model, report) = stance::model::train(&recs, &params, |_| {})?;
            if records.is_empty() && !files.is_empty() {
                let (sha256, names) = stance::dataset::data_identity(&files)?;
                model.set_training_data(sha256, names);
            }
            let mut report_json = serde_json::to_value(&report)?;
            report_json["cv_seconds"] = report.cv_seconds.into();
            report_json["final_fit_seconds"] = report.final_fit_seconds.into();
            Ok((
                Model {
                    inner: Arc::new(model),
                },
                report_json,
            ))
        })
        .map_err(lib_err)?;
    Ok((
        model,
        topy::to_py(py, &mut topy::Names::default(), &report)?,
    ))
}

/// The relative paths of the bundled model's files (empty when none was bundled).
#[pyfunction]
fn bundled_model_files() -> Vec<&'static str> {
    bundled::FILES.iter().map(|(n, _)| *n).collect()
}

/// Writes the bundled model into `dir` (created if needed), e.g. for `stance label --model`.
#[pyfunction]
fn write_bundled_model(py: Python<'_>, dir: PathBuf) -> PyResult<()> {
    if bundled::FILES.is_empty() {
        return Err(ModelError::new_err(
            "this build of the package has no bundled model",
        ));
    }
    py.detach(|| write_bundled(&dir))
        .map_err(|e| StanceError::new_err(format!("{}: {e}", dir.display())))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Pipeline>()?;
    m.add_class::<Model>()?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(bundled_model_files, m)?)?;
    m.add_function(wrap_pyfunction!(write_bundled_model, m)?)?;
    m.add("StanceError", m.py().get_type::<StanceError>())?;
    m.add("ModelError", m.py().get_type::<ModelError>())?;
    Ok(())
}
