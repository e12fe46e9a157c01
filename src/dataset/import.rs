//! Making dataset versions: `evalgate dataset import` turns the records of a JSON-lines, JSON or
//! CSV file into a dataset folder, and `evalgate dataset new` copies a version to the next one.
//!
//! Both write the folder the loader reads (`dataset.json` with the texts in files beside it, see
//! `docs/datasets.md`): everything is written into a hidden folder beside the destination,
//! hashed with [`write_hashes`](super::write_hashes), loaded and verified with
//! [`Dataset::load`], and only then renamed to the destination, so a failed or interrupted run
//! leaves nothing half-written. An existing non-empty destination is never overwritten: a
//! dataset version is frozen.
//!
//! # Reading records
//!
//! - The file is read as Python's `utf-8-sig` codec reads it (one leading byte-order mark is
//!   dropped; bytes that are not UTF-8 are an error naming the line).
//! - JSON (lines or arrays) is read as Python's `json` module reads it, with one difference made
//!   visible: an escape of a lone UTF-16 surrogate (`"\ud83d"`, text cut inside an emoji) becomes
//!   U+FFFD REPLACEMENT CHARACTER, and each one is reported as a warning naming the line and
//!   field (see the `surrogates` pre-pass). `NaN` and `Infinity`, which Python also reads, are
//!   errors.
//! - JSON lines: one object a line; blank lines are skipped. JSON: an array of objects. CSV: a
//!   header row naming the fields, then one record a row (RFC 4180 quoting, fields may hold line
//!   breaks); every value is text.
//!
//! # Items
//!
//! - The id field holds a string or a whole number (written as its digits); it must follow the
//!   loader's id rules (not empty, one line of printable text, at most
//!   [`MAX_ITEM_ID_CHARS`] characters) and be unique.
//! - The input field holds text with something visible in it.
//! - Each reference field holds a string or an array of strings, none empty; references are
//!   kept in the order of the fields, then of the arrays. Without reference fields the dataset is
//!   reference-free (no item has references): gates, latency, cost and metrics that need no
//!   reference run on it.
//! - Metadata fields are copied into the item's `metadata` as JSON values (text, from CSV).
//!
//! A record that breaks a rule is an error naming the file, the line (for a JSON array, the line
//! its element starts on and the element's index), the field, and what to do.
//!
//! # File names
//!
//! See [`item_file_names`]: the input of an item is `inputs/<name>.txt`, its reference
//! `references/<name>.txt` (`references/<name>.1.txt`, `.2.txt`, … when it has several).

#[path = "import/surrogates.rs"]
mod surrogates;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{DATASET_FILE, Dataset, DatasetManifest, ItemManifest, MAX_ITEM_ID_CHARS};
use crate::error::{DatasetError, Error, Result};
use crate::fsutil::write_atomic;

/// The formats `evalgate dataset import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON lines (`.jsonl`): one JSON object a line.
    Jsonl,
    /// JSON (`.json`): an array of objects.
    Json,
    /// CSV (`.csv`): a header row, then one record a row.
    Csv,
}

impl Format {
    /// The format a file's extension names (`.jsonl`, `.json`, `.csv`, any case).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Format::from_name(&ext)
    }

    /// The format called `name` (`jsonl`, `json`, `csv`).
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "jsonl" => Some(Format::Jsonl),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The format's name, as `--format` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}

/// What to import, and where to.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The file of records.
    pub file: PathBuf,
    /// Its format; `None` decides by the extension.
    pub format: Option<Format>,
    /// The field holding each item's id.
    pub id_field: String,
    /// The field holding each item's input text.
    pub input_field: String,
    /// The fields holding reference texts; none for a reference-free dataset.
    pub reference_fields: Vec<String>,
    /// Fields copied into each item's metadata.
    pub metadata_fields: Vec<String>,
    /// The dataset folder to create; its name is the dataset id.
    pub out: PathBuf,
    /// The dataset id, when given: must equal the folder name.
    pub id: Option<String>,
    /// The version; by default the `N` of an id ending in `_vN`, else 1.
    pub version: Option<u32>,
    /// The dataset's task.
    pub task: String,
    /// The dataset's description; by default one naming the file and fields.
    pub description: Option<String>,
}

/// A dataset version written by [`import`] or [`new_version`].
#[derive(Debug, Clone)]
pub struct Written {
    /// The loaded, verified dataset (its `dir` is the destination).
    pub dataset: Dataset,
    /// Warnings about the data (replaced lone surrogates), each naming file, line and field.
    pub warnings: Vec<String>,
}

/// Reads the records of `options.file` and writes them as a new dataset version in
/// `options.out` (see the module documentation for the rules).
pub fn import(options: &ImportOptions) -> Result<Written> {
    let file = &options.file;
    let shown = file.display().to_string();
    let format = match options.format {
        Some(format) => format,
        None => Format::from_path(file).ok_or_else(|| {
            fail(format!(
                "{shown}: cannot tell the format from the file name; name it .jsonl, .json or \
                 .csv, or pass --format jsonl|json|csv"
            ))
        })?,
    };
    let (id, version) = destination(options)?;
    let text = crate::fsutil::read_text(file)?;
    let mut warnings = Vec::new();
    let records = match format {
        Format::Jsonl => read_jsonl(&shown, &text, &mut warnings)?,
        Format::Json => read_json(&shown, &text, &mut warnings)?,
        Format::Csv => read_csv(&shown, &text)?,
    };
    if records.is_empty() {
        return Err(fail(format!(
            "{shown}: holds no records; a dataset needs at least one item"
        )));
    }
    let drafts = items(&shown, options, records)?;
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.clone());
    let description = options.description.clone().unwrap_or_else(|| {
        let references = if options.reference_fields.is_empty() {
            "no references".to_string()
        } else {
            format!(
                "reference field(s) {}",
                options
                    .reference_fields
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        format!(
            "Imported from {file_name} with `evalgate dataset import`: input field `{}`, \
             {references}.",
            options.input_field,
        )
    });
    let header = DatasetManifest {
        id,
        version,
        task: options.task.clone(),
        description,
        items: Vec::new(),
    };
    let what_to_do = "choose another folder (the next version of `<name>_v<N>` is \
                      `<name>_v<N+1>`), or remove this one yourself if nothing uses it";
    let dataset = create(&options.out, &header, &drafts, what_to_do)?;
    Ok(Written { dataset, warnings })
}

/// Writes a new dataset version in the folder `out` (named `header.id`) from whole texts: each
/// item's input as `inputs/<name>.txt` and its references as `references/<name>.txt` (see
/// [`item_file_names`]), `dataset.json` with `header`'s id, version, task and description (its
/// `items` are ignored), hashed, loaded and verified, then renamed into place. Refuses an `out`
/// that exists and is not an empty folder, saying `what_to_do`. `evalgate dataset import` and
/// `evalgate init` (the example dataset) both write datasets through this.
pub fn create(
    out: &Path,
    header: &DatasetManifest,
    items: &[NewItem],
    what_to_do: &str,
) -> Result<Dataset> {
    let ids: Vec<String> = items.iter().map(|d| d.id.clone()).collect();
    let names = item_file_names(&ids);
    create_folder(out, &header.id, what_to_do, |dir| {
        let mut manifest_items = Vec::with_capacity(items.len());
        for (draft, name) in items.iter().zip(&names) {
            let input_path = format!("inputs/{name}.txt");
            write_atomic(&dir.join(&input_path), draft.input.as_bytes())?;
            let mut reference_paths = Vec::with_capacity(draft.references.len());
            for (n, reference) in draft.references.iter().enumerate() {
                let path = if draft.references.len() == 1 {
                    format!("references/{name}.txt")
                } else {
                    format!("references/{name}.{}.txt", n + 1)
                };
                write_atomic(&dir.join(&path), reference.as_bytes())?;
                reference_paths.push(path);
            }
            manifest_items.push(ItemManifest {
                id: draft.id.clone(),
                input: None,
                input_path: Some(input_path),
                references: None,
                // A reference-free item names no references at all.
                reference_paths: (!reference_paths.is_empty()).then_some(reference_paths),
                metadata: Value::Object(draft.metadata.clone()),
                hashes: None,
            });
        }
        write_manifest(
            dir,
            &DatasetManifest {
                items: manifest_items,
                ..header.clone()
            },
        )
    })
}

/// The dataset id and version of an import: the id is the folder name.
fn destination(options: &ImportOptions) -> Result<(String, u32)> {
    let folder = folder_name(&options.out)?;
    if let Some(id) = &options.id
        && *id != folder
    {
        return Err(fail(format!(
            "the dataset id `{id}` differs from the folder name `{folder}` of {}; the \
                 loader requires them to match: pass --out <parent folder>/{id}, or leave out --id",
            options.out.display()
        )));
    }
    let from_name = split_version(&folder).1;
    let version = match (options.version, from_name) {
        (Some(v), Some(n)) if v != n => {
            return Err(fail(format!(
                "--version {v} differs from the version in the dataset id `{folder}` ({n}); \
                 datasets are named `<name>_v<version>`: make them agree"
            )));
        }
        (Some(v), _) => v,
        (None, Some(n)) => n,
        (None, None) => 1,
    };
    Ok((folder, version))
}

/// The name of a dataset folder, which is its id.
fn folder_name(dir: &Path) -> Result<String> {
    let name = dir.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        fail(format!(
            "{}: not a usable dataset folder name; give a path ending in the dataset id, \
                 e.g. datasets/my_dataset_v1",
            dir.display()
        ))
    })?;
    if let Some(problem) = crate::outside::id_problem(name, MAX_ITEM_ID_CHARS) {
        return Err(fail(format!(
            "{}: the folder name, which becomes the dataset id, {problem}",
            dir.display()
        )));
    }
    Ok(name.to_string())
}

/// `podcast_summaries_v3` → (`podcast_summaries`, `Some(3)`); an id without a `_v<N>` suffix →
/// (the id, `None`). Datasets are named `<name>_v<version>`, the folder as the id.
pub fn split_version(id: &str) -> (&str, Option<u32>) {
    if let Some((stem, digits)) = id.rsplit_once("_v")
        && !stem.is_empty()
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = digits.parse()
    {
        return (stem, Some(n));
    }
    (id, None)
}

/// Copies the dataset in `dir` to the next version beside it: `<name>_v<N>` becomes
/// `<name>_v<N+1>` (an id without the suffix gets `_v<N+1>` appended), with `version` N+1 in
/// its manifest and fresh hashes. Everything in the folder is copied. Refuses to overwrite an
/// existing non-empty folder.
///
/// Returns the new version; its warnings say when the source itself does not verify (its texts
/// changed after it was hashed): the copy is hashed as the texts are now.
pub fn new_version(dir: &Path) -> Result<Written> {
    let manifest = Dataset::peek(dir)?;
    let version = manifest.version.checked_add(1).ok_or_else(|| {
        fail(format!(
            "{}: version {} has no successor",
            dir.display(),
            manifest.version
        ))
    })?;
    let new_id = format!("{}_v{version}", split_version(&manifest.id).0);
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => dir
            .canonicalize()
            .ok()
            .and_then(|d| d.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    let out = parent.join(&new_id);
    let mut warnings = Vec::new();
    if let Err(e) = Dataset::load(dir) {
        warnings.push(format!(
            "{} does not verify as it is ({e}); the new version is hashed as its texts are now",
            dir.display()
        ));
    }
    let what_to_do = format!(
        "make the next version from the newest one (`evalgate dataset new {}`)",
        out.display()
    );
    let dataset = create_folder(&out, &new_id, &what_to_do, |copy| {
        copy_tree(dir, copy)?;
        write_manifest(
            copy,
            &DatasetManifest {
                id: new_id.clone(),
                version,
                ..manifest.clone()
            },
        )
    })?;
    Ok(Written { dataset, warnings })
}

/// Creates the dataset folder `out` (named `id`): `fill` writes it inside a hidden folder beside
/// `out`, then the hashes are written, the dataset loaded and verified, and the folder renamed
/// to `out`. Refuses an `out` that exists and is not an empty folder.
fn create_folder(
    out: &Path,
    id: &str,
    what_to_do: &str,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<Dataset> {
    refuse_existing(out, what_to_do)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::write(&parent, e))?;
    // The loader requires the folder name to be the id: the work folder is `<hidden>/<id>`.
    let work = tempfile::Builder::new()
        .prefix(&format!(".{id}."))
        .suffix(".partial")
        .tempdir_in(&parent)
        .map_err(|e| Error::write(&parent, e))?;
    let dir = work.path().join(id);
    std::fs::create_dir(&dir).map_err(|e| Error::write(&dir, e))?;
    fill(&dir)?;
    super::write_hashes(&dir)?;
    let mut dataset = Dataset::load(&dir)?;
    refuse_existing(out, what_to_do)?;
    if out.is_dir() {
        // Empty (checked above): replaced by the new folder.
        std::fs::remove_dir(out).map_err(|e| Error::write(out, e))?;
    }
    std::fs::rename(&dir, out).map_err(|e| Error::write(out, e))?;
    dataset.dir = out.to_path_buf();
    Ok(dataset)
}

/// An error unless `out` is free: missing, or an empty folder.
fn refuse_existing(out: &Path, what_to_do: &str) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(out) else {
        return Ok(());
    };
    let empty_dir = meta.is_dir()
        && std::fs::read_dir(out)
            .map(|mut entries| entries.next().is_none())
            .unwrap_or(false);
    if empty_dir {
        return Ok(());
    }
    Err(fail(format!(
        "{} already exists; a dataset version is frozen and never overwritten: {what_to_do}",
        out.display()
    )))
}

/// Writes `dataset.json` as `evalgate dataset hash` does (pretty, with a final line break).
fn write_manifest(dir: &Path, manifest: &DatasetManifest) -> Result<()> {
    let mut text = serde_json::to_string_pretty(manifest).expect("manifest serializes");
    text.push('\n');
    write_atomic(&dir.join(DATASET_FILE), text.as_bytes())
}

/// Copies the folder `from` into `to` (which exists): folders, files, and symbolic links as
/// links (the loader checks that they stay inside the folder).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name().min_depth(1) {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(from).to_path_buf();
            Error::read(&path, e.into())
        })?;
        let rel = entry
            .path()
            .strip_prefix(from)
            .expect("walkdir stays inside");
        let target = to.join(rel);
        let kind = entry.file_type();
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| Error::write(&target, e))?;
        } else if kind.is_symlink() {
            let link =
                std::fs::read_link(entry.path()).map_err(|e| Error::read(entry.path(), e))?;
            #[cfg(unix)]
            std::os::unix::fs::symlink(&link, &target).map_err(|e| Error::write(&target, e))?;
            #[cfg(not(unix))]
            {
                let _ = link;
                std::fs::copy(entry.path(), &target).map_err(|e| Error::write(&target, e))?;
            }
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| Error::write(&target, e))?;
        }
    }
    Ok(())
}

/// File names (without extension) for the items with these ids, one for each, never two alike
/// (also on file systems that ignore case), usable on Linux, macOS and Windows:
///
/// - ASCII letters, digits, `_` and `-` are kept, every other character is written as `%` and
///   the hex of its UTF-8 bytes (`ep 1/2` → `ep%201%2F2`; `.` too, so a name never holds one);
///   a name that is a Windows device name (`CON`, `nul`, `COM1`, …) gets its first letter
///   encoded the same way;
/// - a name longer than 120 bytes is cut to 100 and ends in `~` and the SHA-256 of the id;
/// - names that differ only in case (ids `Ep1` and `ep1`) end in `~` and the item's position
///   (1-based), e.g. `Ep1~3`.
pub fn item_file_names(ids: &[String]) -> Vec<String> {
    let mut names: Vec<String> = ids.iter().map(|id| file_stem(id)).collect();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for name in &names {
        *counts.entry(name.to_ascii_lowercase()).or_default() += 1;
    }
    for (n, name) in names.iter_mut().enumerate() {
        if counts[&name.to_ascii_lowercase()] > 1 {
            name.push_str(&format!("~{}", n + 1));
        }
    }
    names
}

fn file_stem(id: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(id.len());
    for (n, c) in id.char_indices() {
        let device = n == 0 && is_device_name(id);
        if !device && (c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    if out.len() > 120 {
        let hash = crate::fsutil::sha256_hex(id.as_bytes());
        out.truncate(100);
        out.push('~');
        out.push_str(&hash["sha256:".len()..]);
    }
    out
}

/// Windows device names, which cannot be file names (with any extension) there.
fn is_device_name(id: &str) -> bool {
    let lower = id.to_ascii_lowercase();
    matches!(lower.as_str(), "con" | "prn" | "aux" | "nul")
        || ((lower.starts_with("com") || lower.starts_with("lpt"))
            && lower.len() == 4
            && lower.as_bytes()[3].is_ascii_digit())
}

/// Where a record is in the file.
#[derive(Debug, Clone, Copy)]
struct Location {
    /// 1-based line (where the record starts).
    line: usize,
    /// 0-based index in a JSON array.
    element: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.element {
            Some(n) => write!(f, "line {} (element [{n}])", self.line),
            None => write!(f, "line {}", self.line),
        }
    }
}

/// One record of the file: its fields by name.
struct Record {
    at: Location,
    fields: Map<String, Value>,
}

/// An item ready to write.
/// One item of a new dataset version, as [`create`] writes it.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// The item id (the loader's id rules apply).
    pub id: String,
    /// The input text.
    pub input: String,
    /// The reference texts (at least one).
    pub references: Vec<String>,
    /// The item's metadata.
    pub metadata: Map<String, Value>,
}

fn fail(problem: String) -> Error {
    Error::Dataset(DatasetError::new(problem))
}

/// An error at `at` of `file`: `file:line: [element [n]: ]problem`.
fn fail_at(file: &str, at: Location, problem: String) -> Error {
    let problem = match at.element {
        Some(n) => format!("element [{n}]: {problem}"),
        None => problem,
    };
    Error::Dataset(
        DatasetError::new(problem)
            .in_file(file)
            .at_line(u32::try_from(at.line).unwrap_or(u32::MAX)),
    )
}

/// serde_json's message without its ` at line L column C` (the caller says where).
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => message.to_string(),
        None => text,
    }
}

fn warn_replaced(file: &str, replaced: &[surrogates::Replaced], warnings: &mut Vec<String>) {
    for r in replaced {
        let element = r
            .element
            .map(|n| format!("element [{n}]: "))
            .unwrap_or_default();
        let field = if r.field.is_empty() {
            "a field name".to_string()
        } else {
            format!("field `{}`", r.field)
        };
        warnings.push(format!(
            "{file}:{}: {element}{field}: the escape `{}` is half of a UTF-16 surrogate pair \
             (text cut inside an emoji or another character beyond U+FFFF); Python reads it as \
             a lone surrogate, which UTF-8 cannot hold: imported as U+FFFD (\u{FFFD})",
            r.line, r.escape
        ));
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The record of the object at `at` (a line, or an element of an array); any other value is an
/// error saying what the line or element holds instead.
fn object_record(file: &str, at: Location, value: Value) -> Result<Record> {
    let Value::Object(fields) = value else {
        let (holds, every) = match at.element {
            Some(_) => ("holds", "element"),
            None => ("the line holds", "line of a JSON-lines file"),
        };
        return Err(fail_at(
            file,
            at,
            format!(
                "{holds} {}, not an object; every {every} is one record, an object of fields",
                kind(&value)
            ),
        ));
    };
    Ok(Record { at, fields })
}

fn read_jsonl(file: &str, text: &str, warnings: &mut Vec<String>) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        let at = Location {
            line: n + 1,
            element: None,
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let scanned = surrogates::scan(line, at.line);
        let value: Value = serde_json::from_str(&scanned.text).map_err(|e| {
            fail_at(
                file,
                at,
                format!(
                    "malformed JSON at column {}: {}; every line of a JSON-lines file is one \
                     JSON object",
                    e.column(),
                    json_message(&e)
                ),
            )
        })?;
        warn_replaced(file, &scanned.replaced, warnings);
        records.push(object_record(file, at, value)?);
    }
    Ok(records)
}

fn read_json(file: &str, text: &str, warnings: &mut Vec<String>) -> Result<Vec<Record>> {
    let scanned = surrogates::scan(text, 1);
    let value: Value = serde_json::from_str(&scanned.text).map_err(|e| {
        let hint = if json_message(&e).contains("trailing characters") {
            "; if the file holds one JSON object per line, name it .jsonl or pass --format jsonl"
        } else {
            ""
        };
        fail_at(
            file,
            Location {
                line: e.line(),
                element: None,
            },
            format!(
                "malformed JSON at column {}: {}{hint}",
                e.column(),
                json_message(&e)
            ),
        )
    })?;
    warn_replaced(file, &scanned.replaced, warnings);
    let Value::Array(elements) = value else {
        return Err(fail(format!(
            "{file}: holds {}, not an array of records; a .json file to import is an array of \
             objects (for one object per line, name it .jsonl or pass --format jsonl)",
            kind(&value)
        )));
    };
    let mut records = Vec::with_capacity(elements.len());
    for (n, element) in elements.into_iter().enumerate() {
        let at = Location {
            line: scanned.element_lines.get(n).copied().unwrap_or(1),
            element: Some(n),
        };
        records.push(object_record(file, at, element)?);
    }
    Ok(records)
}

fn read_csv(file: &str, text: &str) -> Result<Vec<Record>> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let csv_error = |e: csv::Error| {
        let line = e.position().map_or(1, |p| p.line() as usize);
        let problem = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!(
                "the row has {len} fields, the header {expected_len}; quote fields that hold \
                 commas or line breaks (\"a, b\")"
            ),
            _ => format!("malformed CSV: {e}"),
        };
        fail_at(
            file,
            Location {
                line,
                element: None,
            },
            problem,
        )
    };
    let headers = reader.headers().map_err(csv_error)?.clone();
    let mut records = Vec::new();
    for row in reader.records() {
        let row = row.map_err(csv_error)?;
        let line = row.position().map_or(1, |p| p.line() as usize);
        let mut fields = Map::new();
        for (name, value) in headers.iter().zip(row.iter()) {
            // The first of two columns with one name wins.
            fields
                .entry(name.to_string())
                .or_insert_with(|| Value::String(value.to_string()));
        }
        records.push(Record {
            at: Location {
                line,
                element: None,
            },
            fields,
        });
    }
    Ok(records)
}

/// The fields a record has, for messages.
fn field_list(fields: &Map<String, Value>) -> String {
    let mut names: Vec<String> = fields.keys().take(12).map(|k| format!("`{k}`")).collect();
    if fields.len() > 12 {
        names.push("…".into());
    }
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn items(file: &str, options: &ImportOptions, records: Vec<Record>) -> Result<Vec<NewItem>> {
    let mut seen: HashMap<String, Location> = HashMap::new();
    let mut drafts = Vec::with_capacity(records.len());
    for record in records {
        let at = record.at;
        let err = |problem: String| fail_at(file, at, problem);
        let missing = |field: &str, what: &str| {
            err(format!(
                "field `{field}` is missing; it should hold {what} (the record's fields: {})",
                field_list(&record.fields)
            ))
        };
        let f = &options.id_field;
        let id = match record.fields.get(f) {
            None => return Err(missing(f, "the item id")),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
            Some(Value::Number(n)) => {
                return Err(err(format!(
                    "field `{f}` holds the number {n}; an id that is a number must be a whole \
                     number: write it as a string"
                )));
            }
            Some(other) => {
                return Err(err(format!(
                    "field `{f}` holds {}; an item id is a string or a whole number",
                    kind(other)
                )));
            }
        };
        if id.trim().is_empty() {
            return Err(err(format!(
                "field `{f}` is empty; every item needs an id: fill it in or drop the record"
            )));
        }
        if let Some(problem) = crate::outside::id_problem(&id, MAX_ITEM_ID_CHARS) {
            return Err(err(format!(
                "field `{f}`: the id `{}` {problem}; item ids must be one line of printable \
                 text of at most {MAX_ITEM_ID_CHARS} characters",
                crate::outside::escaped(&id, 100)
            )));
        }
        if let Some(first) = seen.get(&id) {
            return Err(err(format!(
                "field `{f}`: duplicate id `{id}` (first at {first}); item ids must be unique \
                 within a dataset: fix or drop one of the records"
            )));
        }
        seen.insert(id.clone(), at);

        let f = &options.input_field;
        let input = match record.fields.get(f) {
            None => return Err(missing(f, "the input text")),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(err(format!(
                    "field `{f}` holds {}, not the input text (a string)",
                    kind(other)
                )));
            }
        };
        if !crate::text::has_visible_text(&input) {
            return Err(err(format!(
                "field `{f}` is empty (nothing but white space or invisible characters); \
                 datasets refuse empty inputs: fix the record or drop it"
            )));
        }

        let mut references = Vec::new();
        for f in &options.reference_fields {
            let texts: Vec<(String, &Value)> = match record.fields.get(f) {
                None => return Err(missing(f, "a reference text")),
                Some(Value::Array(values)) if values.is_empty() => {
                    return Err(err(format!(
                        "field `{f}` is an empty array; every item needs a reference text: fix \
                         the record or drop it"
                    )));
                }
                Some(Value::Array(values)) => values
                    .iter()
                    .enumerate()
                    .map(|(n, v)| (format!("{f}[{n}]"), v))
                    .collect(),
                Some(value) => vec![(f.clone(), value)],
            };
            for (name, value) in texts {
                let Value::String(text) = value else {
                    return Err(err(format!(
                        "field `{name}` holds {}; a reference is a string (or an array of \
                         strings)",
                        kind(value)
                    )));
                };
                if !crate::text::has_visible_text(text) {
                    return Err(err(format!(
                        "field `{name}` is empty (nothing but white space or invisible \
                         characters); every reference needs text: fix the record or drop it"
                    )));
                }
                references.push(text.clone());
            }
        }

        let mut metadata = Map::new();
        for f in &options.metadata_fields {
            match record.fields.get(f) {
                None => return Err(missing(f, "metadata")),
                Some(value) => {
                    metadata.insert(f.clone(), value.clone());
                }
            }
        }
        drafts.push(NewItem {
            id,
            input,
            references,
            metadata,
        });
    }
    Ok(drafts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_readable_distinct_and_portable() {
        let ids: Vec<String> = [
            "Bed008",
            "ep 1/2",
            "a.b",
            "a%2Eb",
            "CON",
            "Ep1",
            "ep1",
            "émoji😀",
            "x~1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let names = item_file_names(&ids);
        assert_eq!(
            names,
            [
                "Bed008",
                "ep%201%2F2",
                "a%2Eb",
                "a%252Eb",
                "%43ON",
                "Ep1~6",
                "ep1~7",
                "%C3%A9moji%F0%9F%98%80",
                "x%7E1",
            ]
        );
        let lower: std::collections::BTreeSet<String> =
            names.iter().map(|n| n.to_ascii_lowercase()).collect();
        assert_eq!(lower.len(), names.len());
        let long: Vec<String> = vec!["é".repeat(200), format!("{}x", "é".repeat(199))];
        let names = item_file_names(&long);
        assert!(names.iter().all(|n| n.len() <= 165), "{names:?}");
        assert_ne!(names[0], names[1]);
    }

    #[test]
    fn versions_come_from_the_name() {
        assert_eq!(split_version("podcast_v12"), ("podcast", Some(12)));
        assert_eq!(split_version("podcast"), ("podcast", None));
        assert_eq!(split_version("_v2"), ("_v2", None));
        assert_eq!(split_version("a_vx"), ("a_vx", None));
        assert_eq!(split_version("a_v1_v2"), ("a_v1", Some(2)));
    }
}
