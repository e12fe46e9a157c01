//! External command metrics: a user's program, configured in the suite under
//! `[external_metrics.<id>]`, scores a whole dataset (perplexity, an LLM judge, ...).
//!
//! Protocol (one process per dataset scoring call, started in the project root):
//! - stdin: one JSON line per item, `{"id", "prediction", "reference", "references", "input",
//!   "metadata"}` (`reference` is the first reference or `null`, `references` all of them),
//!   then end of file.
//! - stdout: exactly one JSON line per item, `{"id": "<item id>", "value": <number or null>}`,
//!   in any order; `null` means the metric does not apply to that item. Blank lines are skipped,
//!   other fields are ignored.
//! - The process must exit with status 0 within `timeout_secs` (the whole call).
//!
//! The dataset value is the mean of the non-null item values. A program that cannot start,
//! exits non-zero, times out, prints a line that is not such an object, a value that is not a
//! finite number (or lies outside the declared `range`), an unknown, duplicate or missing item id,
//! or `null` for every item is an [`Error::Metric`] naming the metric, the output line and the
//! item, with the last lines of stderr. Nothing is ever filled in with a default.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::config::keys::Keys;
use crate::error::{Error, MetricError, Result};
use crate::metrics::{
    Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions, mean_of,
};
use crate::outside::{Bound, Secrets, admit};
use crate::process::{
    MAX_STDOUT_BYTES, StderrTail, exit_description, in_own_process_group, kill_tree, read_capped,
    resolve_program, snippet, wait_until,
};

/// The keys an `[external_metrics.<id>]` table may have.
pub const CONFIG_KEYS: &[&str] = &[
    "command",
    "direction",
    "reference_based",
    "range",
    "description",
    "timeout_secs",
    "env",
];

/// Default for `timeout_secs`: the whole scoring call, in seconds.
pub const DEFAULT_TIMEOUT_SECS: f64 = 300.0;

/// How the dataset value of an external metric is computed.
pub const AGGREGATION: &str = "mean of the non-null item values";

/// How many missing item ids an error message lists.
const LISTED_IDS: usize = 5;

/// A metric computed by a user's program over JSON lines (see the module documentation).
#[derive(Debug, Clone)]
pub struct ExternalMetric {
    definition: MetricDef,
    /// Program and arguments as written in the config.
    command: Vec<String>,
    /// The program actually started (a relative path with a folder part resolved against the
    /// project root; a bare name is looked up on `PATH`).
    program: PathBuf,
    /// The project root: working folder of the process.
    workdir: PathBuf,
    env: BTreeMap<String, String>,
    timeout: Duration,
}

impl ExternalMetric {
    /// Builds an external metric from its `[external_metrics.<id>]` table.
    ///
    /// Keys: `command = ["python3", "scripts/judge.py"]` (required; a relative program path with
    /// a folder part resolves against `project_root`, which is also the working folder),
    /// `direction = "higher_is_better" | "lower_is_better"` (required), `reference_based` (bool,
    /// default false), `range = [low, high]` (optional; values outside it are errors),
    /// `description` (optional), `timeout_secs` (whole call, default 300), `env = {NAME =
    /// "value"}` (added to the inherited environment). Unknown keys and bad values are
    /// [`Error::Config`] naming `external_metrics.<id>.<key>`.
    pub fn from_config(id: &str, table: &toml::Table, project_root: &Path) -> Result<Self> {
        Self::from_keys(Keys::new("external_metrics", id, table), project_root)
    }

    /// Builds an external metric from its table's keys (as [`ExternalMetric::from_config`]);
    /// errors name the file and line when the keys carry them.
    pub fn from_keys(keys: Keys<'_>, project_root: &Path) -> Result<Self> {
        let id = keys.name();
        check_id(id).map_err(|problem| keys.table_error(problem))?;
        keys.allow_only(CONFIG_KEYS)?;
        let command = keys.required(
            "command",
            keys.string_array("command")?,
            "e.g. command = [\"python3\", \"scripts/judge.py\"]",
        )?;
        if command.is_empty() || command[0].trim().is_empty() {
            return Err(keys.error("command", "is empty; give the program and its arguments"));
        }
        let direction = match keys.string("direction")?.as_deref() {
            None => {
                return Err(keys.error(
                    "direction",
                    "is missing; use \"higher_is_better\" or \"lower_is_better\"",
                ));
            }
            Some("higher_is_better") => Direction::HigherIsBetter,
            Some("lower_is_better") => Direction::LowerIsBetter,
            Some(other) => {
                return Err(keys.error(
                    "direction",
                    &format!("is \"{other}\"; use \"higher_is_better\" or \"lower_is_better\""),
                ));
            }
        };
        let reference_based = keys.bool("reference_based")?.unwrap_or(false);
        let range = match keys.value("range") {
            None => (None, None),
            Some(value) => {
                let bounds = value
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .and_then(|a| Some((number(&a[0])?, number(&a[1])?)))
                    .ok_or_else(|| {
                        keys.error(
                            "range",
                            &format!("must be two numbers [low, high], found {value}"),
                        )
                    })?;
                if !(bounds.0.is_finite() && bounds.1.is_finite() && bounds.0 < bounds.1) {
                    return Err(keys.error(
                        "range",
                        &format!("is {value}; low must be smaller than high, both finite"),
                    ));
                }
                (Some(bounds.0), Some(bounds.1))
            }
        };
        let description = keys
            .string("description")?
            .unwrap_or_else(|| format!("external command metric `{}`", command.join(" ")));
        let timeout_secs = keys
            .positive_secs("timeout_secs")?
            .unwrap_or(DEFAULT_TIMEOUT_SECS);
        let env = keys.string_map("env")?.unwrap_or_default();
        Ok(ExternalMetric {
            definition: MetricDef {
                id: id.to_string(),
                direction,
                reference_based,
                varies_by_machine: false,
                range,
                aggregation: AGGREGATION,
                description: intern(description),
            },
            program: resolve_program(&command[0], project_root),
            command,
            workdir: project_root.to_path_buf(),
            env,
            timeout: Duration::from_secs_f64(timeout_secs),
        })
    }

    /// The metric id.
    pub fn id(&self) -> &str {
        &self.definition.id
    }

    /// What identifies how this metric computes its values: the command, the content hashes of
    /// arguments that name files in the project (the script), and `env` (values of names that
    /// look secret replaced by `<secret>`). It enters the baseline's metric version
    /// (`1+plugins:<hash>`), so a baseline scored by another version of the script is recognised
    /// as measuring something else.
    pub fn fingerprint(&self) -> Result<Value> {
        let mut files = BTreeMap::new();
        for arg in &self.command {
            let path = self.workdir.join(arg);
            if path.is_file() {
                let bytes = std::fs::read(&path).map_err(|e| Error::read(&path, e))?;
                files.insert(arg.clone(), crate::fsutil::sha256_hex(&bytes));
            }
        }
        let env: serde_json::Map<String, Value> = self
            .env
            .iter()
            .map(|(name, value)| {
                let secret = crate::outside::is_secret_name(name);
                let shown = if secret { "<secret>" } else { value.as_str() };
                (name.clone(), Value::String(shown.to_string()))
            })
            .collect();
        Ok(json!({
            "kind": "external_command",
            "command": self.command,
            "files": files,
            "env": env,
            "direction": self.definition.direction,
            "range": [self.definition.range.0, self.definition.range.1],
        }))
    }

    fn label(&self) -> String {
        format!(
            "external metric `{}` (command `{}`)",
            self.definition.id,
            crate::outside::escaped(&self.command.join(" "), 300)
        )
    }

    /// An error naming the metric, with the stderr tail appended.
    fn error(&self, what: &str, stderr_tail: &[String]) -> Error {
        let mut msg = format!("{}: {what}", self.label());
        if stderr_tail.is_empty() {
            msg.push_str("; it wrote nothing on stderr");
        } else {
            msg.push_str("; last lines of stderr:");
            for line in stderr_tail {
                msg.push_str("\n    ");
                msg.push_str(line);
            }
        }
        Error::Metric(MetricError::new(msg))
    }

    /// Runs the program once over all items and returns one value per item, in item order.
    fn run(&self, items: &[ScoringItem<'_>]) -> Result<Vec<Option<f64>>> {
        let mut position: HashMap<&str, usize> = HashMap::with_capacity(items.len());
        let mut payload = String::new();
        for (index, item) in items.iter().enumerate() {
            if position.insert(item.id, index).is_some() {
                return Err(Error::Metric(MetricError::new(format!(
                    "{}: item id `{}` occurs twice in the dataset; answers are matched by id, so \
                     item ids must be unique",
                    self.label(),
                    item.id
                ))));
            }
            let line = json!({
                "id": item.id,
                "prediction": item.prediction,
                "reference": item.references.first(),
                "references": item.references,
                "input": item.input,
                "metadata": item.metadata,
            });
            payload.push_str(&line.to_string());
            payload.push('\n');
        }

        let mut child = self.spawn().map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                "not found"
            } else {
                "could not be executed"
            };
            Error::Metric(MetricError::new(format!(
                "{}: cannot start program `{}` ({hint}: {e}); check `command` in \
                 [external_metrics.{}], that the program exists and is executable, and PATH \
                 (relative paths with a folder resolve against {})",
                self.label(),
                self.program.display(),
                self.definition.id,
                self.workdir.display()
            )))
        })?;
        let secrets = Secrets::from_env().with_env(&self.env);
        let stderr = StderrTail::start(child.stderr.take(), secrets.clone());
        let stdout = read_all(child.stdout.take());
        if let Some(mut stdin) = child.stdin.take() {
            // Written from its own thread so a program that answers before reading everything
            // cannot deadlock us; a program that exits without reading is judged by its exit
            // status and its output.
            std::thread::spawn(move || {
                let _ = stdin.write_all(payload.as_bytes());
            });
        }
        let deadline = Instant::now() + self.timeout;
        let Some(status) = wait_until(&mut child, deadline) else {
            kill_tree(&mut child);
            return Err(self.error(
                &format!(
                    "timed out after {:.1} s scoring {} items (timeout_secs covers the whole \
                     call); the process was killed; raise `timeout_secs` in \
                     [external_metrics.{}] or make the program faster",
                    self.timeout.as_secs_f64(),
                    items.len(),
                    self.definition.id
                ),
                &stderr.finish_tail(Duration::from_millis(200)),
            ));
        };
        if !status.success() {
            kill_tree(&mut child);
            return Err(self.error(
                &format!(
                    "{} (scoring {} items)",
                    exit_description(status),
                    items.len()
                ),
                &stderr.finish_tail(Duration::from_millis(500)),
            ));
        }
        let remaining = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(1);
        let bytes = match stdout.recv_timeout(remaining) {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(e)) => {
                kill_tree(&mut child);
                return Err(self.error(
                    &format!("its stdout could not be read: {e}"),
                    &stderr.finish_tail(Duration::from_millis(500)),
                ));
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                // What kept stdout open is in the program's process group.
                kill_tree(&mut child);
                return Err(self.error(
                    "exited but its stdout stayed open (a child process kept it); stopped waiting",
                    &stderr.finish_tail(Duration::from_millis(200)),
                ));
            }
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            self.error(
                &format!(
                    "printed output that is not UTF-8 (at byte {})",
                    e.utf8_error().valid_up_to()
                ),
                &stderr.finish_tail(Duration::from_millis(500)),
            )
        })?;
        self.parse_output(&text, items, &position, &secrets)
            .map_err(|what| self.error(&what, &stderr.finish_tail(Duration::from_millis(500))))
    }

    /// Reads the answer lines into one value per item (item order). Quotes of the output in
    /// errors are admitted with `secrets` redacted.
    fn parse_output(
        &self,
        text: &str,
        items: &[ScoringItem<'_>],
        position: &HashMap<&str, usize>,
        secrets: &Secrets,
    ) -> std::result::Result<Vec<Option<f64>>, String> {
        const SHAPE: &str =
            "each line must be {\"id\": \"<item id>\", \"value\": <number or null>}";
        let mut values: Vec<Option<Option<f64>>> = vec![None; items.len()];
        let mut answered_on: Vec<usize> = vec![0; items.len()];
        for (index, line) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let parsed: Value = serde_json::from_str(line).map_err(|e| {
                format!(
                    "stdout line {line_no} is not JSON ({e}): {}; {SHAPE}",
                    snippet(line, secrets)
                )
            })?;
            let object = parsed.as_object().ok_or_else(|| {
                format!(
                    "stdout line {line_no} is not a JSON object: {}; {SHAPE}",
                    snippet(line, secrets)
                )
            })?;
            let id = match object.get("id") {
                Some(Value::String(id)) => id.as_str(),
                Some(other) => {
                    return Err(format!(
                        "stdout line {line_no} has an `id` that is not a string: {}; {SHAPE}",
                        snippet(&other.to_string(), secrets)
                    ));
                }
                None => {
                    return Err(format!(
                        "stdout line {line_no} has no `id`: {}; {SHAPE}",
                        snippet(line, secrets)
                    ));
                }
            };
            let Some(&slot) = position.get(id) else {
                return Err(format!(
                    "stdout line {line_no} answers item `{}`, which was not sent (the dataset \
                     has {} items); answer with the ids read from stdin",
                    admit(id, secrets, Bound::SNIPPET),
                    items.len()
                ));
            };
            if answered_on[slot] != 0 {
                return Err(format!(
                    "stdout line {line_no} answers item `{id}` a second time (first on line {}); \
                     give exactly one line per item",
                    answered_on[slot]
                ));
            }
            let value = match object.get("value") {
                None => {
                    return Err(format!(
                        "stdout line {line_no} (item `{id}`) has no `value`: {}; {SHAPE}",
                        snippet(line, secrets)
                    ));
                }
                Some(Value::Null) => None,
                Some(Value::Number(n)) => match n.as_f64() {
                    Some(x) if x.is_finite() => Some(x),
                    _ => {
                        return Err(format!(
                            "stdout line {line_no} (item `{id}`) has value {n}, which is not a \
                             finite number"
                        ));
                    }
                },
                Some(other) => {
                    return Err(format!(
                        "stdout line {line_no} (item `{id}`) has a `value` that is not a number: \
                         {}; use a JSON number, or null when the metric does not apply to the item",
                        snippet(&other.to_string(), secrets)
                    ));
                }
            };
            if let (Some(x), (Some(low), Some(high))) = (value, self.definition.range)
                && (x < low || x > high)
            {
                return Err(format!(
                    "stdout line {line_no} (item `{id}`) has value {x}, outside the declared \
                         range [{low}, {high}] (by {}); fix the program or `range` in \
                         [external_metrics.{}]",
                    if x < low { low - x } else { x - high },
                    self.definition.id
                ));
            }
            values[slot] = Some(value);
            answered_on[slot] = line_no;
        }
        let missing: Vec<&str> = items
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(item, _)| item.id)
            .collect();
        if !missing.is_empty() {
            let mut listed: Vec<String> = missing
                .iter()
                .take(LISTED_IDS)
                .map(|id| format!("`{id}`"))
                .collect();
            if missing.len() > LISTED_IDS {
                listed.push(format!("and {} more", missing.len() - LISTED_IDS));
            }
            return Err(format!(
                "exited successfully but gave no value for {} of {} items: {}; print one line \
                 per item, with \"value\": null where the metric does not apply",
                missing.len(),
                items.len(),
                listed.join(", ")
            ));
        }
        Ok(values.into_iter().map(Option::flatten).collect())
    }

    fn spawn(&self) -> std::io::Result<Child> {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.command[1..])
            .current_dir(&self.workdir)
            .envs(&self.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        in_own_process_group(&mut cmd).spawn()
    }
}

impl Metric for ExternalMetric {
    fn definitions(&self) -> Vec<MetricDef> {
        vec![self.definition.clone()]
    }

    fn fingerprint(&self) -> Option<Value> {
        Some(
            ExternalMetric::fingerprint(self)
                .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() })),
        )
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>> {
        let id = &self.definition.id;
        if let Some(other) = wanted.iter().find(|w| **w != id) {
            return Err(Error::Metric(MetricError::new(format!(
                "{}: asked for metric `{other}`, but it only computes `{id}`",
                self.label()
            ))));
        }
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(value) = options.params.get(id) {
            let empty = value.is_null() || value.as_object().is_some_and(|o| o.is_empty());
            if !empty {
                return Err(Error::Metric(MetricError::new(format!(
                    "{}: the suite sets [metric_params.{id}] = {value}, but external metrics \
                     take no parameters there; pass settings through `command` arguments or \
                     `env` in [external_metrics.{id}] and remove [metric_params.{id}]",
                    self.label()
                ))));
            }
        }
        if items.is_empty() {
            return Err(Error::Metric(MetricError::new(format!(
                "{}: there are no items to score",
                self.label()
            ))));
        }
        let per_item = self.run(items)?;
        if per_item.iter().all(Option::is_none) {
            return Err(Error::Metric(MetricError::new(format!(
                "{}: answered null for all {} items, so there is no value to aggregate; return a \
                 number for the items the metric applies to, or remove the metric from this \
                 dataset",
                self.label(),
                items.len()
            ))));
        }
        Ok(vec![MetricValues {
            id: id.clone(),
            aggregate: mean_of(&per_item),
            per_item,
        }])
    }
}

/// Metric ids appear in trial names (`tier::dataset::system::metric::check`), file names and
/// config keys, so they are restricted to ASCII letters, digits, `_` and `-`.
fn check_id(id: &str) -> std::result::Result<(), &'static str> {
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err("has an id with characters other than ASCII letters, digits, `_` and `-`; rename it")
    }
}

fn number(value: &toml::Value) -> Option<f64> {
    match value {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// `MetricDef::description` is `&'static str`; user descriptions are interned once each, so
/// registering the same suite repeatedly does not grow memory.
fn intern(text: String) -> &'static str {
    static SEEN: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(existing) = seen.get(text.as_str()) {
        return existing;
    }
    let leaked: &'static str = Box::leak(text.into_boxed_str());
    seen.insert(leaked);
    leaked
}

/// Reads a pipe to its end (at most [`MAX_STDOUT_BYTES`]) on its own thread.
fn read_all<R: Read + Send + 'static>(pipe: Option<R>) -> Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(pipe) = pipe {
        std::thread::spawn(move || {
            let _ = tx.send(read_capped(pipe, MAX_STDOUT_BYTES));
        });
    }
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn config_defaults_and_range() {
        let m = ExternalMetric::from_config(
            "judge",
            &table(
                "command = [\"python3\", \"judge.py\"]\ndirection = \"lower_is_better\"\n\
                 range = [0, 10]",
            ),
            Path::new("/project"),
        )
        .unwrap();
        let def = &m.definitions()[0];
        assert_eq!(def.direction, Direction::LowerIsBetter);
        assert!(!def.reference_based);
        assert_eq!(def.range, (Some(0.0), Some(10.0)));
        assert_eq!(
            def.description,
            "external command metric `python3 judge.py`"
        );
        assert_eq!(m.timeout, Duration::from_secs(300));
        assert_eq!(m.program, PathBuf::from("python3"));
        let m = ExternalMetric::from_config(
            "judge",
            &table("command = [\"bin/judge\"]\ndirection = \"higher_is_better\""),
            Path::new("/project"),
        )
        .unwrap();
        assert_eq!(m.program, PathBuf::from("/project/bin/judge"));
    }

    #[test]
    fn bad_values_name_the_key() {
        let cases = [
            (
                "direction = \"higher_is_better\"",
                "judge.command` is missing",
            ),
            (
                "command = []\ndirection = \"higher_is_better\"",
                "command` is empty",
            ),
            ("command = [\"x\"]", "judge.direction` is missing"),
            (
                "command = [\"x\"]\ndirection = \"up\"",
                "direction` is \"up\"",
            ),
            (
                "command = [\"x\"]\ndirection = \"lower_is_better\"\nrange = [1, 0]",
                "range` is [1, 0]",
            ),
            (
                "command = [\"x\"]\ndirection = \"lower_is_better\"\ntimeout_secs = 0",
                "timeout_secs` is 0; give seconds between 0 (exclusive) and 86400",
            ),
            (
                "command = [\"x\"]\ndirection = \"lower_is_better\"\nenv = { A = 1 }",
                "`external_metrics.judge.env.A` must be a string, found integer",
            ),
        ];
        for (text, expected) in cases {
            let err = ExternalMetric::from_config("judge", &table(text), Path::new("."))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "`{expected}` missing in: {err}");
        }
        let err = ExternalMetric::from_config(
            "a::b",
            &table("command = [\"x\"]\ndirection = \"lower_is_better\""),
            Path::new("."),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`external_metrics.a::b` has an id"), "{err}");
    }
}
