//! The crate's errors: each kind carries its fields (file, line, key, dataset, item, system,
//! metric) and renders them in one format, so every message says where first, then what is
//! wrong and what to do next.
//!
//! The shape of a message, fields absent when unknown:
//!
//! ```text
//! evalgate.toml:14: `datasets.demo_v1.systems` names unknown system `leed`; defined systems: lead
//! datasets/demo_v1/dataset.json: item 3 (`ep-07`): the input is empty (...)
//! system `chat` on `demo_v1`: item `ep-07`: POST http://127.0.0.1:8000/v1/chat/completions ...
//! metric `rouge1_f1`: item `ep-07`: has no reference text (...)
//! ```
//!
//! Producers fill in what they know; callers that know more (the suite file's line of a table,
//! the dataset a system ran on) add it with [`ConfigError::within`] or
//! [`SystemError::on_dataset`] instead of wrapping one message in another.

use std::fmt;
use std::path::{Path, PathBuf};

/// Errors raised while loading a suite, running systems or scoring outputs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The suite configuration (`evalgate.toml`), a pricing table or an environment setting is
    /// invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A dataset could not be loaded or failed verification.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// A metric could not be computed.
    #[error(transparent)]
    Metric(#[from] MetricError),
    /// A system under test failed to produce an output.
    #[error(transparent)]
    System(#[from] SystemError),
    /// A baseline snapshot could not be read.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// A report, merge, history or GitHub operation failed.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was attempted ("cannot read", "cannot write", ...).
        action: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Shorthand for results carrying [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error while reading `path`.
    pub fn read(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        }
    }

    /// An I/O error while writing `path`.
    pub fn write(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action: "cannot write",
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes `<file>[:<line>]: ` when a file is known.
fn write_location(
    f: &mut fmt::Formatter<'_>,
    file: Option<&str>,
    line: Option<u32>,
) -> fmt::Result {
    match (file, line) {
        (Some(file), Some(line)) => write!(f, "{file}:{line}: "),
        (Some(file), None) => write!(f, "{file}: "),
        (None, _) => Ok(()),
    }
}

/// An invalid setting: in the suite file (with its line and dotted key), in a pricing table, or
/// in an environment variable (no file).
///
/// Renders as `` <file>:<line>: `<key>` <problem> ``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file as shown in messages (relative to where evalgate runs when it was given so).
    pub file: Option<String>,
    /// 1-based line in `file`.
    pub line: Option<u32>,
    /// The dotted key at fault, e.g. `datasets.demo_v1.systems`, when one key is.
    pub key: Option<String>,
    /// What is wrong, then (after `; `) what to do.
    pub problem: String,
}

impl ConfigError {
    /// An error that does not yet say where.
    pub fn new(problem: impl Into<String>) -> Self {
        ConfigError {
            file: None,
            line: None,
            key: None,
            problem: problem.into(),
        }
    }

    /// The error at `line` of `file`.
    pub fn at(file: impl fmt::Display, line: u32, problem: impl Into<String>) -> Self {
        ConfigError::new(problem).in_file(file).at_line(line)
    }

    /// Sets the file.
    pub fn in_file(mut self, file: impl fmt::Display) -> Self {
        self.file = Some(file.to_string());
        self
    }

    /// Sets the line.
    pub fn at_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }

    /// Sets the dotted key.
    pub fn for_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Fills in the file, line and key the error does not say yet (what it says is kept: it is
    /// the more precise).
    pub fn within(mut self, file: Option<&str>, line: Option<u32>, key: Option<&str>) -> Self {
        if self.file.is_none() {
            self.file = file.map(str::to_string);
            if self.line.is_none() {
                self.line = line;
            }
        }
        if self.key.is_none() {
            self.key = key.map(str::to_string);
        }
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, self.file.as_deref(), self.line)?;
        if let Some(key) = &self.key {
            write!(f, "`{key}` ")?;
        }
        f.write_str(&self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// One item of a dataset, as messages name it: its 1-based position and, once known, its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRef {
    /// 1-based position in the manifest's `items`.
    pub number: usize,
    /// The item's id (absent when the id itself is what is wrong).
    pub id: Option<String>,
}

impl fmt::Display for ItemRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "item {} (`{id}`)", self.number),
            None => write!(f, "item {}", self.number),
        }
    }
}

/// A dataset that cannot be loaded or verified.
///
/// Renders as `` <file>[:<line>]: item <n> (`<id>`): <problem> ``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetError {
    /// The manifest (`<dataset>/dataset.json`) or the dataset folder, as shown in messages.
    pub file: Option<String>,
    /// 1-based line in `file`, for syntax errors.
    pub line: Option<u32>,
    /// The item at fault, when one is.
    pub item: Option<ItemRef>,
    /// What is wrong, then what to do.
    pub problem: String,
}

impl DatasetError {
    /// An error that does not yet say where.
    pub fn new(problem: impl Into<String>) -> Self {
        DatasetError {
            file: None,
            line: None,
            item: None,
            problem: problem.into(),
        }
    }

    /// Sets the manifest or folder.
    pub fn in_file(mut self, file: impl fmt::Display) -> Self {
        self.file = Some(file.to_string());
        self
    }

    /// Sets the item at fault.
    pub fn for_item(mut self, item: ItemRef) -> Self {
        self.item = Some(item);
        self
    }

    /// Sets the line.
    pub fn at_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }

    /// This error's place (file, line, item) with `problem`: one place, several possible
    /// problems.
    pub fn with(&self, problem: impl Into<String>) -> Error {
        Error::Dataset(DatasetError {
            problem: problem.into(),
            ..self.clone()
        })
    }
}

impl fmt::Display for DatasetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, self.file.as_deref(), self.line)?;
        if let Some(item) = &self.item {
            write!(f, "{item}: ")?;
        }
        f.write_str(&self.problem)
    }
}

impl std::error::Error for DatasetError {}

/// A system under test that failed: to start, on one item, or on a whole dataset.
///
/// Renders as `` system `<system>` on `<dataset>`: item `<item>`: <problem> ``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemError {
    /// The system's name in the suite.
    pub system: Option<String>,
    /// The dataset it ran on.
    pub dataset: Option<String>,
    /// The item it failed on.
    pub item: Option<String>,
    /// What went wrong (external text already redacted and bounded), then what to do.
    pub problem: String,
}

impl SystemError {
    /// An error that does not yet say which system.
    pub fn new(problem: impl Into<String>) -> Self {
        SystemError {
            system: None,
            dataset: None,
            item: None,
            problem: problem.into(),
        }
    }

    /// An error of `system`.
    pub fn of(system: impl Into<String>, problem: impl Into<String>) -> Self {
        SystemError::new(problem).system(system)
    }

    /// Sets the system.
    pub fn system(mut self, system: impl Into<String>) -> Self {
        self.system = Some(system.into());
        self
    }

    /// Sets the item.
    pub fn item(mut self, item: impl Into<String>) -> Self {
        self.item = Some(item.into());
        self
    }

    /// Names the system and dataset when the error does not yet.
    pub fn on_dataset(mut self, system: &str, dataset: &str) -> Self {
        self.system.get_or_insert_with(|| system.to_string());
        self.dataset.get_or_insert_with(|| dataset.to_string());
        self
    }
}

impl fmt::Display for SystemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.system, &self.dataset) {
            (Some(system), Some(dataset)) => write!(f, "system `{system}` on `{dataset}`: ")?,
            (Some(system), None) => write!(f, "system `{system}`: ")?,
            (None, Some(dataset)) => write!(f, "on `{dataset}`: ")?,
            (None, None) => {}
        }
        if let Some(item) = &self.item {
            write!(f, "item `{item}`: ")?;
        }
        f.write_str(&self.problem)
    }
}

impl std::error::Error for SystemError {}

/// A metric that could not be computed, or gave a value no check may judge.
///
/// Renders as `` metric `<metric>`: item `<item>`: <problem> ``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricError {
    /// The metric id (or the family's ids, joined), when known.
    pub metric: Option<String>,
    /// The item at fault, when one is.
    pub item: Option<String>,
    /// What is wrong, then what to do.
    pub problem: String,
}

impl MetricError {
    /// An error that does not yet say which metric.
    pub fn new(problem: impl Into<String>) -> Self {
        MetricError {
            metric: None,
            item: None,
            problem: problem.into(),
        }
    }

    /// An error of metric `metric`.
    pub fn of(metric: impl Into<String>, problem: impl Into<String>) -> Self {
        MetricError::new(problem).metric(metric)
    }

    /// Sets the metric.
    pub fn metric(mut self, metric: impl Into<String>) -> Self {
        self.metric = Some(metric.into());
        self
    }

    /// Sets the item.
    pub fn item(mut self, item: impl Into<String>) -> Self {
        self.item = Some(item.into());
        self
    }
}

impl fmt::Display for MetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(metric) = &self.metric {
            write!(f, "metric `{metric}`: ")?;
        }
        if let Some(item) = &self.item {
            write!(f, "item `{item}`: ")?;
        }
        f.write_str(&self.problem)
    }
}

impl std::error::Error for MetricError {}

/// A baseline snapshot that cannot be read as one.
///
/// Renders as `<file>: <problem>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineError {
    /// The snapshot file.
    pub file: String,
    /// What is wrong, then what to do.
    pub problem: String,
}

impl BaselineError {
    /// An error about the snapshot `file`.
    pub fn new(file: impl fmt::Display, problem: impl Into<String>) -> Self {
        BaselineError {
            file: file.to_string(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.problem)
    }
}

impl std::error::Error for BaselineError {}

/// A report that cannot be written, results that cannot be read or merged, a history file
/// that cannot be appended to, or a GitHub request that failed.
///
/// Renders as `<file>: <problem>` (just `<problem>` without a file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError {
    /// The file concerned, when one is.
    pub file: Option<String>,
    /// What is wrong, then what to do.
    pub problem: String,
}

impl ReportError {
    /// An error about no file in particular.
    pub fn new(problem: impl Into<String>) -> Self {
        ReportError {
            file: None,
            problem: problem.into(),
        }
    }

    /// An error about `file`.
    pub fn in_file(file: impl fmt::Display, problem: impl Into<String>) -> Self {
        ReportError {
            file: Some(file.to_string()),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, self.file.as_deref(), None)?;
        f.write_str(&self.problem)
    }
}

impl std::error::Error for ReportError {}
