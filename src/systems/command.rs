//! The `command` system kind: runs a user's program for each item (or once, in batch mode) and
//! reads its output.
//!
//! Protocol. Per item the program gets one JSON object on stdin:
//! `{"id": ..., "input": ..., "metadata": {...}, "params": {...}, "sample": k, "seed": s}`.
//! `sample` is the 0-based sample index and `seed` its seed (k; see
//! [`SystemRequest`]): with the system's `samples = N` every item is requested N times, once per
//! sample, and a program with random output should draw it from `seed`. With one sample both
//! are 0.
//! - Single mode (default): one process per item; stdin is closed after the object. The program
//!   answers on stdout with plain text (one trailing newline is dropped) or with a JSON object
//!   `{"output": "...", "usage": {"input_tokens": N, "output_tokens": N}, "cost_usd": X}`
//!   (`usage` and `cost_usd` optional).
//! - Batch mode (`batch = true`): one process for all items; each request is one JSON line on
//!   stdin and the program answers each with one JSON line (the object above with the item's
//!   `"id"`, which must match), before the next request is written. An answer without `id` or
//!   for another item is an error, so a stray line (`{"output": "model loaded"}`) can never shift
//!   the outputs onto the wrong items.
//!
//!
//! Environment (single mode): besides the inherited environment and `env`, each process gets
//! `EVALGATE_SAMPLE` (the 0-based sample index), `EVALGATE_SAMPLES` (N, the samples per item)
//! and `EVALGATE_SEED` (the sample's seed). A batch process serves every sample of every item,
//! so its environment cannot say which one a request is: batch programs read the `sample` and
//! `seed` fields of each request line instead (`EVALGATE_SAMPLES` is set for them too).
//!
//! The request fields `sample` and `seed` were added without a new [`PROTOCOL_VERSION`]: a
//! program that ignores them answers as before, so outputs cached and baselined under version 2
//! (all sample 0) stay valid, and a suite with one sample keeps its cache and baselines.
//!
//! A crash, a non-zero exit, a timeout, empty or unparseable output is an error naming the item,
//! the exit status and the last lines of stderr; it is never turned into an empty prediction.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::config::keys::Keys;
use crate::error::{Error, Result, SystemError};
use crate::fsutil::sha256_hex;
use crate::outside::Secrets;
use crate::process::{
    MAX_STDOUT_BYTES, StderrTail, exit_description, in_own_process_group, kill_tree, read_capped,
    read_lines, resolve_program, snippet, too_much_output, wait_until,
};
use crate::systems::inputs::{InputScope, input_files};
use crate::systems::{Generation, System, SystemRequest, Usage};

/// Version of what evalgate sends and how it reads answers; part of the fingerprint, bumped
/// when that changes, so outputs cached or baselined under the old protocol are not reused.
/// Version 2: batch answers must carry the item's `id`.
pub const PROTOCOL_VERSION: u32 = 2;

/// Items generated at once in single mode when `concurrency` is not set.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// A `command` system: a user's program producing one output per item.
#[derive(Debug, Clone)]
pub struct CommandSystem {
    name: String,
    /// Program and arguments as written in the config.
    command: Vec<String>,
    /// The program path actually started (relative paths resolved against `workdir`).
    program: PathBuf,
    batch: bool,
    timeout: Duration,
    retries: u32,
    workdir: PathBuf,
    /// `workdir` as written (relative to the project root), for the fingerprint.
    workdir_label: String,
    env: BTreeMap<String, String>,
    params: Value,
    /// The `inputs` patterns, when set (otherwise the default file set).
    inputs: Option<Vec<String>>,
    /// The files the program may read, by path relative to the project root, with their hashes
    /// (see [`crate::systems::inputs`]), plus files named on the command line.
    files: BTreeMap<String, String>,
    /// Items generated at once (single mode).
    concurrency: usize,
    /// The batch process, kept between items and restarted after a failure.
    batch_process: Arc<Mutex<Option<BatchProcess>>>,
}

impl CommandSystem {
    /// Builds a command system from its `[systems.<name>]` table.
    ///
    /// Keys: `kind = "command"`, `command = ["python3", "script.py", ...]` (required),
    /// `batch` (bool, default false), `timeout_secs` (default 60), `retries` (default 0),
    /// `concurrency` (items generated at once in single mode, 1–256, default 4),
    /// `workdir` (relative to `project_root`, default the project root), `env = {NAME = "value"}`
    /// (added to the inherited environment), `params = {...}` (passed to the program on stdin),
    /// `inputs = ["glob", ...]` (the files the program reads; default: the project's files, see
    /// [`crate::systems::inputs`]; `not_inputs` are left out of that default).
    /// Unknown keys are an error naming `systems.<name>.<key>`.
    pub fn from_config(
        name: &str,
        table: &toml::Table,
        project_root: &Path,
        not_inputs: &[PathBuf],
    ) -> Result<Self> {
        Self::from_keys(Keys::new("systems", name, table), project_root, not_inputs)
    }

    /// Builds it from its table's keys (as [`CommandSystem::from_config`]); errors name the file
    /// and line when the keys carry them.
    pub fn from_keys(keys: Keys<'_>, project_root: &Path, not_inputs: &[PathBuf]) -> Result<Self> {
        let mut system = Self::parse(keys, project_root)?;
        system.files = system
            .read_input_files(project_root, not_inputs)
            .map_err(|e| input_error(&keys, e))?;
        Ok(system)
    }

    /// Checks a `[systems.<name>]` table as [`CommandSystem::from_keys`] does, without
    /// reading the files the program may read (for validating a suite when it loads).
    pub fn check_config(keys: Keys<'_>, project_root: &Path) -> Result<()> {
        let system = Self::parse(keys, project_root)?;
        if let Some(patterns) = &system.inputs {
            crate::systems::inputs::check_patterns(project_root, patterns)
                .map_err(|e| input_error(&keys, e))?;
        }
        Ok(())
    }

    /// Reads the settings; `files` is left empty.
    fn parse(keys: Keys<'_>, project_root: &Path) -> Result<Self> {
        let name = keys.name();
        keys.allow_only(&[
            "kind",
            "command",
            "batch",
            "timeout_secs",
            "retries",
            "concurrency",
            "workdir",
            "env",
            "params",
            "inputs",
            "samples",
        ])?;
        let command = keys.string_array("command")?.ok_or_else(|| {
            keys.error(
                "command",
                "is missing; e.g. command = [\"python3\", \"summarize.py\"]",
            )
        })?;
        if command.is_empty() || command[0].trim().is_empty() {
            return Err(keys.error("command", "is empty; give the program and its arguments"));
        }
        let batch = keys.bool("batch")?.unwrap_or(false);
        let concurrency = match keys.integer("concurrency")? {
            None => DEFAULT_CONCURRENCY,
            Some(_) if batch => {
                return Err(keys.error(
                    "concurrency",
                    "is set, but batch mode runs one process for all items; remove one of the two",
                ));
            }
            Some(n) if (1..=256).contains(&n) => n as usize,
            Some(n) => {
                return Err(keys.error(
                    "concurrency",
                    &format!("is {n}; give a number from 1 to 256"),
                ));
            }
        };
        let timeout = keys.positive_secs("timeout_secs")?.unwrap_or(60.0);
        let retries = keys.count("retries")?.unwrap_or(0);
        let workdir_label = keys.string("workdir")?.unwrap_or_default();
        let workdir = if workdir_label.is_empty() {
            project_root.to_path_buf()
        } else {
            project_root.join(&workdir_label)
        };
        if !workdir.is_dir() {
            return Err(keys.error(
                "workdir",
                &format!("`{}` is not a folder", workdir.display()),
            ));
        }
        let env = keys.string_map("env")?.unwrap_or_default();
        let params = keys.json("params")?.unwrap_or_else(|| json!({}));
        let program = resolve_program(&command[0], &workdir);
        let inputs = keys.string_array("inputs")?;
        if inputs.as_ref().is_some_and(Vec::is_empty) {
            return Err(keys.error(
                "inputs",
                "is empty; name the files the program reads, or remove the key for the default \
                 (every project file)",
            ));
        }
        Ok(CommandSystem {
            name: name.to_string(),
            command,
            program,
            batch,
            timeout: Duration::from_secs_f64(timeout),
            retries,
            workdir,
            workdir_label,
            env,
            params,
            inputs,
            files: BTreeMap::new(),
            concurrency,
            batch_process: Arc::new(Mutex::new(None)),
        })
    }

    /// The files the program may read, with their hashes (see [`crate::systems::inputs`]),
    /// plus the files named on its command line.
    fn read_input_files(
        &self,
        project_root: &Path,
        not_inputs: &[PathBuf],
    ) -> Result<BTreeMap<String, String>> {
        let scope = InputScope {
            root: project_root,
            workdir: &self.workdir,
            patterns: self.inputs.as_deref(),
            exclude: not_inputs,
        };
        let mut files = input_files(&scope)?;
        // Files named on the command line are inputs even when `inputs` leaves them out.
        for arg in &self.command {
            let path = self.workdir.join(arg);
            if path.is_file() {
                let shown = path
                    .strip_prefix(project_root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                if let std::collections::btree_map::Entry::Vacant(slot) = files.entry(shown) {
                    let bytes = std::fs::read(&path).map_err(|e| Error::read(&path, e))?;
                    slot.insert(sha256_hex(&bytes));
                }
            }
        }
        Ok(files)
    }

    /// The system's name in the suite.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn stdin_object(&self, request: &SystemRequest<'_>) -> Value {
        json!({
            "id": request.item_id,
            "input": request.input,
            "metadata": request.metadata,
            "params": self.params,
            "sample": request.sample,
            "seed": request.seed,
        })
    }

    /// Starts the program: for one request in single mode (its sample and seed in the
    /// environment), or as the batch process (`request` is `None`, `samples` the samples per item).
    fn spawn(&self, request: Option<&SystemRequest<'_>>, samples: u32) -> std::io::Result<Child> {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.command[1..])
            .current_dir(&self.workdir)
            .envs(&self.env)
            .env("EVALGATE_SAMPLES", samples.max(1).to_string());
        if let Some(request) = request {
            cmd.env("EVALGATE_SAMPLE", request.sample.to_string())
                .env("EVALGATE_SEED", request.seed.to_string());
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        in_own_process_group(&mut cmd).spawn()
    }

    /// What the program may echo that must not be stored: values of secret-looking variables
    /// of its environment (evalgate's own, and `env`).
    fn secrets(&self) -> Secrets {
        Secrets::from_env().with_env(&self.env)
    }

    /// The command for messages: one line, bounded, inert (a script given inline may hold
    /// anything).
    fn display_command(&self) -> String {
        crate::outside::escaped(&self.command.join(" "), 300)
    }

    fn attempts(&self) -> u32 {
        self.retries + 1
    }

    fn item_error(&self, item_id: &str, attempt: u32, failure: &Failure) -> Error {
        let mut msg = format!(
            "command `{}` {} (attempt {} of {})",
            self.display_command(),
            failure.what,
            attempt,
            self.attempts()
        );
        if failure.stderr_tail.is_empty() {
            msg.push_str("; it wrote nothing on stderr");
        } else {
            msg.push_str("; last lines of stderr:");
            for line in &failure.stderr_tail {
                msg.push_str("\n    ");
                msg.push_str(line);
            }
        }
        Error::System(SystemError::of(&self.name, msg).item(item_id))
    }

    /// Runs one item in its own process (single mode).
    fn run_single(&self, request: &SystemRequest<'_>) -> std::result::Result<Generation, Failure> {
        let mut child = self
            .spawn(Some(request), request.samples)
            .map_err(|e| Failure::new(spawn_failure(&self.program, &e)))?;
        let secrets = self.secrets();
        let stderr = StderrTail::start(child.stderr.take(), secrets.clone());
        let stdout_rx = {
            let stdout = child.stdout.take().expect("stdout is piped");
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(read_capped(stdout, MAX_STDOUT_BYTES));
            });
            rx
        };
        let payload = format!("{}\n", self.stdin_object(request));
        if let Some(mut stdin) = child.stdin.take() {
            // A program may exit without reading stdin; a broken pipe is judged by its exit.
            std::thread::spawn(move || {
                let _ = stdin.write_all(payload.as_bytes());
            });
        }
        let deadline = Instant::now() + self.timeout;
        let status = match wait_until(&mut child, deadline) {
            Some(status) => status,
            None => {
                kill_tree(&mut child);
                return Err(Failure {
                    what: format!(
                        "timed out after {:.1} s (timeout_secs)",
                        self.timeout.as_secs_f64()
                    ),
                    stderr_tail: stderr.tail(),
                });
            }
        };
        let remaining = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(1);
        let stdout = match stdout_rx.recv_timeout(remaining) {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(e)) => {
                kill_tree(&mut child);
                return Err(Failure::with_stderr(
                    format!("stdout could not be read: {e}"),
                    &stderr,
                ));
            }
            Err(_) => {
                // What kept stdout open is in the program's process group.
                kill_tree(&mut child);
                return Err(Failure::with_stderr(
                    "exited but its stdout stayed open (a child process kept it); stopped waiting"
                        .into(),
                    &stderr,
                ));
            }
        };
        stderr.finish(Duration::from_millis(500));
        if !status.success() {
            kill_tree(&mut child);
            return Err(Failure::with_stderr(exit_description(status), &stderr));
        }
        let text = String::from_utf8(stdout).map_err(|_| {
            Failure::with_stderr("printed output that is not UTF-8".into(), &stderr)
        })?;
        parse_single_output(&text, &secrets).map_err(|what| Failure::with_stderr(what, &stderr))
    }

    /// Runs one item through the long-lived batch process, starting it when needed.
    fn run_in_batch(
        &self,
        request: &SystemRequest<'_>,
    ) -> std::result::Result<Generation, Failure> {
        let mut slot = self.batch_process.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let process = BatchProcess::start(self, request.samples)?;
            *slot = Some(process);
        }
        let process = slot.as_mut().expect("batch process was just started");
        let line = format!("{}\n", self.stdin_object(request));
        let started = Instant::now();
        let result = process.exchange(&line, self.timeout, request.item_id);
        match result {
            Ok(mut generation) => {
                generation.latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
                Ok(generation)
            }
            Err(failure) => {
                // The process state is unknown after a failure: stop it, start afresh next time.
                if let Some(mut process) = slot.take() {
                    process.stop();
                }
                Err(failure)
            }
        }
    }

    fn with_retries(
        &self,
        request: &SystemRequest<'_>,
        run: impl Fn(&SystemRequest<'_>) -> std::result::Result<Generation, Failure>,
    ) -> Result<Generation> {
        let mut attempt = 1;
        loop {
            match run(request) {
                Ok(generation) => return Ok(generation),
                Err(failure) if attempt >= self.attempts() => {
                    return Err(self.item_error(request.item_id, attempt, &failure));
                }
                Err(_) => attempt += 1,
            }
        }
    }
}

impl System for CommandSystem {
    fn fingerprint(&self) -> Value {
        let mut fingerprint = json!({
            "kind": "command",
            "protocol": PROTOCOL_VERSION,
            "command": self.command,
            "batch": self.batch,
            "workdir": self.workdir_label,
            "env": fingerprint_env(&self.env),
            "params": self.params,
            "inputs": self.inputs,
        });
        super::changes::insert_files(&mut fingerprint, &self.files);
        fingerprint
    }

    fn generate(&self, request: &SystemRequest<'_>) -> Result<Generation> {
        if self.batch {
            self.with_retries(request, |r| self.run_in_batch(r))
        } else {
            self.with_retries(request, |r| self.run_single(r))
        }
    }

    fn generate_batch(&self, requests: &[SystemRequest<'_>]) -> Vec<Result<Generation>> {
        let results = requests
            .iter()
            .map(|request| {
                let started = Instant::now();
                let mut generation = self.generate(request)?;
                if generation.latency_ms.is_none() {
                    generation.latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
                }
                Ok(generation)
            })
            .collect();
        if self.batch {
            let mut slot = self.batch_process.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(mut process) = slot.take() {
                process.finish(self.timeout);
            }
        }
        results
    }

    fn prefers_batch(&self) -> bool {
        self.batch
    }

    fn max_concurrency(&self) -> Option<usize> {
        Some(self.concurrency)
    }
}

impl Drop for CommandSystem {
    fn drop(&mut self) {
        if Arc::strong_count(&self.batch_process) == 1 {
            let mut slot = self.batch_process.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(mut process) = slot.take() {
                process.stop();
            }
        }
    }
}

/// A problem with the input files, as an error about the `inputs` key (with its file and line).
fn input_error(keys: &Keys<'_>, e: Error) -> Error {
    keys.nest("inputs", e)
}

/// Environment values whose names look secret enter the fingerprint by name only.
fn fingerprint_env(env: &BTreeMap<String, String>) -> Value {
    let mut out = serde_json::Map::new();
    for (name, value) in env {
        let shown = if crate::outside::is_secret_name(name) {
            Value::String("<secret>".into())
        } else {
            Value::String(value.clone())
        };
        out.insert(name.clone(), shown);
    }
    Value::Object(out)
}

fn spawn_failure(program: &Path, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        format!(
            "could not start: program `{}` not found (check `command`, `workdir` and PATH)",
            program.display()
        )
    } else {
        format!("could not start `{}`: {e}", program.display())
    }
}

/// Parses single-mode stdout: a JSON object with `output`, or plain text. Quotes of the output in
/// errors are admitted with `secrets` redacted.
fn parse_single_output(text: &str, secrets: &Secrets) -> std::result::Result<Generation, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("exited successfully but printed nothing on stdout".into());
    }
    if trimmed.starts_with('{') {
        let value: Value = serde_json::from_str(trimmed).map_err(|e| {
            format!(
                "printed output that starts like JSON but does not parse ({e}): {}",
                snippet(trimmed, secrets)
            )
        })?;
        return generation_from_json(&value, None, secrets);
    }
    let plain = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    Ok(Generation::text(plain))
}

/// Reads `{"output": ..., "usage": {...}, "cost_usd": ...}`; checks `id` when given.
fn generation_from_json(
    value: &Value,
    expected_id: Option<&str>,
    secrets: &Secrets,
) -> std::result::Result<Generation, String> {
    let object = value.as_object().ok_or_else(|| {
        format!(
            "answered with JSON that is not an object: {}",
            snippet(&value.to_string(), secrets)
        )
    })?;
    if let Some(expected) = expected_id {
        match object.get("id") {
            None => {
                return Err(format!(
                    "answered without `id`: {}; in batch mode every answer must name the item it \
                     answers, {{\"id\": \"{expected}\", \"output\": ...}}, so a line the \
                     program prints for another reason (\"model loaded\") is never taken for an \
                     answer",
                    snippet(&value.to_string(), secrets)
                ));
            }
            Some(id) if id.as_str() != Some(expected) => {
                return Err(format!(
                    "answered for item {} while item `{expected}` was asked (answers must come in \
                     request order, one per request)",
                    snippet(&id.to_string(), secrets)
                ));
            }
            Some(_) => {}
        }
    }
    let output = match object.get("output") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(format!(
                "answered with `output` that is not a string: {}",
                snippet(&other.to_string(), secrets)
            ));
        }
        None => {
            return Err(format!(
                "answered with a JSON object without `output`: {}",
                snippet(&value.to_string(), secrets)
            ));
        }
    };
    let usage = match object.get("usage") {
        None | Some(Value::Null) => None,
        Some(u) => Some(serde_json::from_value::<Usage>(u.clone()).map_err(|e| {
            format!("answered with an invalid `usage` ({e}); expected {{\"input_tokens\": N, \"output_tokens\": N}}")
        })?),
    };
    let cost_usd = match object.get("cost_usd") {
        None | Some(Value::Null) => None,
        Some(c) => match c.as_f64() {
            Some(x) if x >= 0.0 && x.is_finite() => Some(x),
            _ => {
                return Err(format!(
                    "answered with an invalid `cost_usd` {c}; expected a non-negative number"
                ));
            }
        },
    };
    Ok(Generation {
        output,
        latency_ms: None,
        usage,
        cost_usd,
        warnings: Vec::new(),
    })
}

/// Why one attempt failed.
#[derive(Debug)]
struct Failure {
    what: String,
    stderr_tail: Vec<String>,
}

impl Failure {
    fn new(what: String) -> Self {
        Failure {
            what,
            stderr_tail: Vec::new(),
        }
    }

    fn with_stderr(what: String, stderr: &StderrTail) -> Self {
        stderr.finish(Duration::from_millis(500));
        Failure {
            what,
            stderr_tail: stderr.tail(),
        }
    }
}

/// The long-lived process of a batch-mode command.
struct BatchProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<std::io::Result<String>>,
    stderr: StderrTail,
    secrets: Secrets,
}

impl std::fmt::Debug for BatchProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchProcess")
            .field("pid", &self.child.id())
            .finish()
    }
}

impl BatchProcess {
    fn start(system: &CommandSystem, samples: u32) -> std::result::Result<Self, Failure> {
        let mut child = system
            .spawn(None, samples)
            .map_err(|e| Failure::new(spawn_failure(&system.program, &e)))?;
        let secrets = system.secrets();
        let stderr = StderrTail::start(child.stderr.take(), secrets.clone());
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let result = read_lines(stdout, MAX_STDOUT_BYTES, false, |line| {
                let answer = if line.skipped > 0 {
                    Err(too_much_output(MAX_STDOUT_BYTES))
                } else {
                    String::from_utf8(line.bytes.to_vec()).map_err(|_| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            "stream did not contain valid UTF-8",
                        )
                    })
                };
                let go_on = answer.is_ok();
                tx.send(answer).is_ok() && go_on
            });
            if let Err(e) = result {
                let _ = tx.send(Err(e));
            }
        });
        let stdin = child.stdin.take();
        Ok(BatchProcess {
            child,
            stdin,
            lines: rx,
            stderr,
            secrets,
        })
    }

    /// Writes one request line and reads one answer line.
    fn exchange(
        &mut self,
        line: &str,
        timeout: Duration,
        item_id: &str,
    ) -> std::result::Result<Generation, Failure> {
        let deadline = Instant::now() + timeout;
        let written = self
            .stdin
            .as_mut()
            .map(|stdin| stdin.write_all(line.as_bytes()).and_then(|_| stdin.flush()));
        if !matches!(written, Some(Ok(()))) {
            return Err(self.ended_failure("stopped reading its stdin", deadline));
        }
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(remaining) {
                Ok(Ok(answer)) => {
                    let answer = answer.trim();
                    if answer.is_empty() {
                        continue;
                    }
                    let parsed = serde_json::from_str::<Value>(answer)
                        .map_err(|e| {
                            format!(
                                "(batch mode) answered with a line that is not JSON ({e}): {}; \
                                 each answer must be one JSON line {{\"output\": ...}}",
                                snippet(answer, &self.secrets)
                            )
                        })
                        .and_then(|value| {
                            generation_from_json(&value, Some(item_id), &self.secrets)
                                .map_err(|what| format!("(batch mode) {what}"))
                        });
                    return parsed.map_err(|what| self.stop_with(what));
                }
                Ok(Err(e)) => {
                    return Err(
                        self.stop_with(format!("(batch mode) stdout could not be read: {e}"))
                    );
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(self.stop_with(format!(
                        "(batch mode) timed out after {:.1} s (timeout_secs)",
                        timeout.as_secs_f64()
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.ended_failure("closed its stdout before answering", deadline));
                }
            }
        }
    }

    /// Stops the process (its state is unknown after a bad answer) and describes the failure
    /// with the complete stderr tail.
    fn stop_with(&mut self, what: String) -> Failure {
        self.stop();
        Failure::with_stderr(what, &self.stderr)
    }

    /// Describes a process that stopped talking: its exit status when it has exited.
    fn ended_failure(&mut self, what: &str, deadline: Instant) -> Failure {
        let wait_for = deadline.min(Instant::now() + Duration::from_secs(1));
        let status = wait_until(&mut self.child, wait_for);
        let what = match status {
            Some(status) => format!("(batch mode) {what}: {}", exit_description(status)),
            None => format!("(batch mode) {what}"),
        };
        Failure::with_stderr(what, &self.stderr)
    }

    /// Closes stdin so the program can end by itself; kills it if it does not within `timeout`.
    fn finish(&mut self, timeout: Duration) {
        drop(self.stdin.take());
        if wait_until(&mut self.child, Instant::now() + timeout).is_none() {
            self.stop();
        }
    }

    /// Kills the program and everything it started (its process group).
    fn stop(&mut self) {
        drop(self.stdin.take());
        kill_tree(&mut self.child);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_output_drops_one_trailing_newline() {
        assert_eq!(
            parse_single_output("a summary\n\n", &Secrets::none())
                .unwrap()
                .output,
            "a summary\n"
        );
        assert_eq!(
            parse_single_output("x\r\n", &Secrets::none())
                .unwrap()
                .output,
            "x"
        );
    }

    #[test]
    fn json_output_reads_usage_and_cost() {
        let g = parse_single_output(
            r#"{"output":"hi","usage":{"input_tokens":3,"output_tokens":1},"cost_usd":0.5}"#,
            &Secrets::none(),
        )
        .unwrap();
        assert_eq!(g.output, "hi");
        assert_eq!(
            g.usage,
            Some(Usage {
                input_tokens: 3,
                output_tokens: 1
            })
        );
        assert_eq!(g.cost_usd, Some(0.5));
    }

    #[test]
    fn empty_and_broken_output_are_errors() {
        assert!(
            parse_single_output("  \n", &Secrets::none())
                .unwrap_err()
                .contains("printed nothing")
        );
        assert!(
            parse_single_output("{\"outp", &Secrets::none())
                .unwrap_err()
                .contains("does not parse")
        );
        assert!(
            parse_single_output("{\"text\": 1}", &Secrets::none())
                .unwrap_err()
                .contains("without `output`")
        );
    }

    #[test]
    fn secret_env_values_stay_out_of_the_fingerprint() {
        let env = BTreeMap::from([
            ("HF_TOKEN".to_string(), "hunter2".to_string()),
            ("MODEL".to_string(), "small".to_string()),
        ]);
        let fp = fingerprint_env(&env).to_string();
        assert!(!fp.contains("hunter2"));
        assert!(fp.contains("small"));
    }
}
