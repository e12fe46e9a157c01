//! Datasets: versioned, frozen sets of items (input, reference texts, metadata) with SHA-256
//! content hashes verified on load.
//!
//! A dataset lives in `datasets/<id>/dataset.json`; item texts are inline or in files beside it.
//! `evalgate dataset hash <dir>` writes the hashes when a new dataset version is made.
//!
//! References are optional, per dataset: either every item has at least one reference, or no
//! item has any (a *reference-free* dataset, for gates, latency, cost and judge metrics). A
//! dataset where some items have references and others do not is refused, naming the first item
//! without them. Reference-based metrics on a reference-free dataset are refused when the suite
//! is set up (see `harness`), before anything runs.

pub mod import;

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{DatasetError, Error, ItemRef, Result};
use crate::fsutil::{sha256_hex, write_atomic};

/// The file name of a dataset manifest inside its folder.
pub const DATASET_FILE: &str = "dataset.json";

/// The longest item id, in characters: ids are quoted in messages, baselines and reports.
pub const MAX_ITEM_ID_CHARS: usize = 200;

/// A dataset manifest as stored on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetManifest {
    /// Dataset id (must equal the folder name).
    pub id: String,
    /// Version number; bump it (and the id suffix) when items change.
    pub version: u32,
    /// Task, e.g. `summarization` or `transcript_cleaning`.
    pub task: String,
    /// What the dataset is for.
    #[serde(default)]
    pub description: String,
    /// The items.
    pub items: Vec<ItemManifest>,
}

/// One item as stored on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemManifest {
    /// Item id, unique within the dataset.
    pub id: String,
    /// Inline input text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// Input text file, relative to the dataset folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_path: Option<String>,
    /// Inline reference texts (absent, or empty, in a reference-free dataset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Vec<String>>,
    /// Reference text files, relative to the dataset folder (absent, or empty, in a
    /// reference-free dataset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_paths: Option<Vec<String>>,
    /// Free-form metadata (speakers, title, expectations such as `allow_sponsor_content`).
    #[serde(default = "empty_object")]
    pub metadata: serde_json::Value,
    /// Content hashes, written by `evalgate dataset hash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<ItemHashes>,
}

impl ItemManifest {
    /// Whether the item names at least one reference (a non-empty `references` or
    /// `reference_paths`).
    pub fn has_references(&self) -> bool {
        let some = |list: &Option<Vec<String>>| list.as_ref().is_some_and(|l| !l.is_empty());
        some(&self.references) || some(&self.reference_paths)
    }
}

impl DatasetManifest {
    /// Whether the dataset is reference-free: it has items and none of them names a
    /// reference. (A dataset where only some items have references is refused on load.)
    pub fn is_reference_free(&self) -> bool {
        !self.items.is_empty() && !self.items.iter().any(ItemManifest::has_references)
    }
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

/// SHA-256 hashes of an item's texts (`sha256:<hex>` of the exact bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemHashes {
    /// Hash of the input text.
    pub input: String,
    /// Hashes of the reference texts, in order (empty, and may be left out, for an item
    /// without references).
    #[serde(default)]
    pub references: Vec<String>,
}

/// A loaded, verified dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Dataset id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// Task.
    pub task: String,
    /// Description.
    pub description: String,
    /// The folder it was loaded from.
    pub dir: PathBuf,
    /// Items in file order.
    pub items: Vec<Item>,
    /// `sha256:` over the whole content (ids, hashes, metadata), for baseline fingerprints.
    pub content_hash: String,
}

/// A loaded item.
#[derive(Debug, Clone)]
pub struct Item {
    /// Item id.
    pub id: String,
    /// Input text.
    pub input: String,
    /// Reference texts: at least one, or none in a reference-free dataset.
    pub references: Vec<String>,
    /// Metadata.
    pub metadata: serde_json::Value,
    /// Verified hashes.
    pub hashes: ItemHashes,
}

/// How strictly to treat hashes while loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashMode {
    Verify,
    Ignore,
}

impl Dataset {
    /// Loads `dir/dataset.json`, reads item texts and verifies every hash.
    pub fn load(dir: &Path) -> Result<Dataset> {
        let (manifest, file) = read_manifest(dir)?;
        build(dir, &file, manifest, HashMode::Verify)
    }

    /// Reads only the manifest header and item count, without reading texts or verifying
    /// hashes (used for listing trials).
    pub fn peek(dir: &Path) -> Result<DatasetManifest> {
        Ok(read_manifest(dir)?.0)
    }

    /// Whether no item has references (a reference-free dataset: gates, latency, cost and
    /// metrics that need no reference only).
    pub fn is_reference_free(&self) -> bool {
        self.items.iter().all(|i| i.references.is_empty())
    }
}

fn read_manifest(dir: &Path) -> Result<(DatasetManifest, PathBuf)> {
    let file = dir.join(DATASET_FILE);
    let text = crate::fsutil::read_text(&file).map_err(|e| {
        Error::Dataset(DatasetError::new(format!(
            "{e}; a dataset is a folder with a {DATASET_FILE}",
        )))
    })?;
    let manifest: DatasetManifest = serde_json::from_str(&text).map_err(|e| {
        // serde_json ends its message with " at line L column C"; the line goes in front.
        let line = u32::try_from(e.line()).unwrap_or(u32::MAX);
        let message = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = message.strip_suffix(&suffix).unwrap_or(&message);
        Error::Dataset(
            DatasetError::new(format!(
                "malformed dataset manifest (column {}): {message}",
                e.column()
            ))
            .in_file(file.display())
            .at_line(line),
        )
    })?;
    Ok((manifest, file))
}

fn build(dir: &Path, file: &Path, manifest: DatasetManifest, mode: HashMode) -> Result<Dataset> {
    let where_ = file.display();
    let folder_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !folder_name.is_empty() && folder_name != manifest.id {
        return Err(Error::Dataset(
            DatasetError::new(format!(
                "dataset id `{}` differs from its folder name `{folder_name}`; rename one \
                 so they match",
                crate::outside::escaped(&manifest.id, 100),
            ))
            .in_file(&where_),
        ));
    }
    if manifest.items.is_empty() {
        return Err(Error::Dataset(
            DatasetError::new(format!("dataset `{}` has no items", manifest.id)).in_file(&where_),
        ));
    }
    // Every item has references, or none has: the first item with them, if any, is named when
    // another has none.
    let first_with_references = manifest
        .items
        .iter()
        .position(ItemManifest::has_references)
        .map(|n| ItemRef {
            number: n + 1,
            id: Some(manifest.items[n].id.clone()),
        });
    let mut seen = BTreeSet::new();
    let mut items = Vec::with_capacity(manifest.items.len());
    let mut recorded = Vec::with_capacity(manifest.items.len());
    for (index, raw) in manifest.items.into_iter().enumerate() {
        // Ids are quoted in messages the console, CI logs and reports show: they must be one
        // line of printable text (see `outside::id_problem`).
        let unnamed = DatasetError::new("").in_file(&where_).for_item(ItemRef {
            number: index + 1,
            id: None,
        });
        if let Some(problem) = crate::outside::id_problem(&raw.id, MAX_ITEM_ID_CHARS) {
            return Err(unnamed.with(format!(
                "has the id `{}`, which {problem}; item ids must be one line of printable text \
                 of at most {MAX_ITEM_ID_CHARS} characters",
                crate::outside::escaped(&raw.id, 100)
            )));
        }
        if raw.id.trim().is_empty() {
            return Err(unnamed.with("has an empty id"));
        }
        let at = DatasetError::new("").in_file(&where_).for_item(ItemRef {
            number: index + 1,
            id: Some(raw.id.clone()),
        });
        if !seen.insert(raw.id.clone()) {
            return Err(at.with(format!(
                "duplicate item id `{}`; item ids must be unique within a dataset",
                raw.id,
            )));
        }
        let input = match (&raw.input, &raw.input_path) {
            (Some(text), None) => text.clone(),
            (None, Some(path)) => read_text(dir, path, &at, "input_path")?,
            (Some(_), Some(_)) => {
                return Err(at.with("has both `input` and `input_path`; keep one".to_string()));
            }
            (None, None) => {
                return Err(
                    at.with("missing input; add `input` (text) or `input_path` (file)".to_string())
                );
            }
        };
        let references = match (&raw.references, &raw.reference_paths) {
            (Some(texts), None) => texts.clone(),
            (None, Some(paths)) => paths
                .iter()
                .map(|p| read_text(dir, p, &at, "reference_paths"))
                .collect::<Result<Vec<_>>>()?,
            (Some(_), Some(_)) => {
                return Err(
                    at.with("has both `references` and `reference_paths`; keep one".to_string())
                );
            }
            (None, None) => Vec::new(),
        };
        if let (true, Some(with)) = (references.is_empty(), &first_with_references) {
            return Err(at.with(format!(
                "has no references, but {with} has; every item of a dataset needs references, \
                 or none may have them (a reference-free dataset): add `references` (texts) or \
                 `reference_paths` (files) to this item, or remove them from every item",
            )));
        }
        // Degenerate texts are data bugs that metrics would score silently (WER against an
        // empty reference counts every output word as an error; ROUGE and BLEU give 0).
        if !crate::text::has_visible_text(&input) {
            return Err(at.with(
                "the input is empty (nothing but white space or invisible characters); give \
                 the item the text its systems should process, or remove the item"
                    .to_string(),
            ));
        }
        if let Some(n) = references
            .iter()
            .position(|r| !crate::text::has_visible_text(r))
        {
            return Err(at.with(format!(
                "reference {} is empty (nothing but white space or invisible characters); \
                 every reference needs text (drop it, or fix the data)",
                n + 1,
            )));
        }
        if !raw.metadata.is_object() {
            return Err(at.with("`metadata` must be a JSON object".to_string()));
        }
        let actual = ItemHashes {
            input: sha256_hex(input.as_bytes()),
            references: references
                .iter()
                .map(|r| sha256_hex(r.as_bytes()))
                .collect(),
        };
        recorded.push((at, raw.hashes));
        items.push(Item {
            id: raw.id,
            input,
            references,
            metadata: raw.metadata,
            hashes: actual,
        });
    }
    // Structure first (ids, fields, paths), then content: a structural error is the clearer one.
    if mode == HashMode::Verify {
        for ((at, hashes), item) in recorded.iter().zip(&items) {
            verify_hashes(at, hashes.as_ref(), &item.hashes)?;
        }
    }
    let content_hash = content_hash(&manifest.id, manifest.version, &manifest.task, &items);
    Ok(Dataset {
        id: manifest.id,
        version: manifest.version,
        task: manifest.task,
        description: manifest.description,
        dir: dir.to_path_buf(),
        items,
        content_hash,
    })
}

/// How to write a dataset's hashes: the `evalgate` command line of this crate, wherever it is
/// installed (README, "CLI").
const HASH_COMMAND: &str = "`evalgate dataset hash <dataset folder>`";

const REHASH_HINT: &str = "if the change is intended, make a new dataset version and run \
                           `evalgate dataset hash <dataset folder>`";

fn verify_hashes(
    at: &DatasetError,
    recorded: Option<&ItemHashes>,
    actual: &ItemHashes,
) -> Result<()> {
    let Some(recorded) = recorded else {
        return Err(at.with(format!("no content hashes recorded; run {HASH_COMMAND}")));
    };
    if recorded.input != actual.input {
        return Err(at.with(format!(
            "input hash mismatch: recorded {}, content is {}; the input changed after the \
             dataset was frozen; {REHASH_HINT}",
            recorded.input, actual.input,
        )));
    }
    if recorded.references.len() != actual.references.len() {
        return Err(at.with(format!(
            "{} reference hashes recorded for {} references; {REHASH_HINT}",
            recorded.references.len(),
            actual.references.len(),
        )));
    }
    for (n, (r, a)) in recorded
        .references
        .iter()
        .zip(&actual.references)
        .enumerate()
    {
        if r != a {
            return Err(at.with(format!(
                "reference {} hash mismatch: recorded {r}, content is {a}; the reference \
                 changed after the dataset was frozen; {REHASH_HINT}",
                n + 1,
            )));
        }
    }
    Ok(())
}

/// Reads a text file named in the manifest, refusing paths that leave the dataset folder.
fn read_text(dir: &Path, rel: &str, at: &DatasetError, field: &str) -> Result<String> {
    let path = Path::new(rel);
    let escapes = path.is_absolute()
        || path
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)));
    if escapes {
        return Err(at.with(format!(
            "`{field}` path `{rel}` escapes the dataset folder; use a path inside {}",
            dir.display(),
        )));
    }
    let full = dir.join(path);
    // Symlinks could still lead outside: compare canonical paths.
    if let (Ok(root), Ok(target)) = (dir.canonicalize(), full.canonicalize())
        && !target.starts_with(&root)
    {
        return Err(at.with(format!(
            "`{field}` path `{rel}` resolves outside the dataset folder {}",
            dir.display(),
        )));
    }
    let bytes = std::fs::read(&full)
        .map_err(|e| at.with(format!("cannot read `{field}` {}: {e}", full.display())))?;
    crate::fsutil::utf8_sig(bytes).map_err(|why| at.with(format!("{} {why}", full.display())))
}

fn content_hash(id: &str, version: u32, task: &str, items: &[Item]) -> String {
    let canonical = serde_json::json!({
        "id": id,
        "version": version,
        "task": task,
        "items": items.iter().map(|i| serde_json::json!({
            "id": i.id,
            "input": i.hashes.input,
            "references": i.hashes.references,
            "metadata": i.metadata,
        })).collect::<Vec<_>>(),
    });
    sha256_hex(canonical.to_string().as_bytes())
}

/// Writes fresh content hashes for every item of the dataset in `dir` into its manifest
/// (atomically). Returns the number of items whose hashes changed.
pub fn write_hashes(dir: &Path) -> Result<usize> {
    let (mut manifest, file) = read_manifest(dir)?;
    let loaded = build(dir, &file, manifest.clone(), HashMode::Ignore)?;
    let mut changed = 0;
    for (raw, item) in manifest.items.iter_mut().zip(&loaded.items) {
        if raw.hashes.as_ref() != Some(&item.hashes) {
            changed += 1;
            raw.hashes = Some(item.hashes.clone());
        }
    }
    let mut text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    text.push('\n');
    write_atomic(&file, text.as_bytes())?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn sample(dir: &Path) -> PathBuf {
        let ds = dir.join("demo_v1");
        write(&ds, "inputs/a.txt", "Hello there. General Kenobi.");
        write(
            &ds,
            DATASET_FILE,
            r#"{"id": "demo_v1", "version": 1, "task": "summarization",
                "items": [
                  {"id": "a", "input_path": "inputs/a.txt", "references": ["Hello."]},
                  {"id": "b", "input": "Inline input.", "references": ["Inline."],
                   "metadata": {"speakers": ["Ann"]}}
                ]}"#,
        );
        ds
    }

    #[test]
    fn hash_then_load_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let ds = sample(tmp.path());
        assert_eq!(write_hashes(&ds).unwrap(), 2);
        assert_eq!(write_hashes(&ds).unwrap(), 0);
        let d = Dataset::load(&ds).unwrap();
        assert_eq!(d.items.len(), 2);
        assert_eq!(d.items[0].input, "Hello there. General Kenobi.");
        assert!(d.content_hash.starts_with("sha256:"));
    }

    #[test]
    fn a_dataset_without_references_loads() {
        let tmp = tempfile::tempdir().unwrap();
        let ds = tmp.path().join("free_v1");
        write(
            &ds,
            DATASET_FILE,
            r#"{"id": "free_v1", "version": 1, "task": "t",
                "items": [{"id": "a", "input": "One."}, {"id": "b", "input": "Two.", "references": []}]}"#,
        );
        assert!(Dataset::peek(&ds).unwrap().is_reference_free());
        write_hashes(&ds).unwrap();
        let manifest = std::fs::read_to_string(ds.join(DATASET_FILE)).unwrap();
        assert!(manifest.contains(r#""references": []"#), "{manifest}");
        let d = Dataset::load(&ds).unwrap();
        assert!(d.is_reference_free());
        assert!(d.items.iter().all(|i| i.references.is_empty()));
        // The sample dataset has references.
        let with = sample(tmp.path());
        assert!(!Dataset::peek(&with).unwrap().is_reference_free());
    }

    #[test]
    fn missing_hashes_are_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let ds = sample(tmp.path());
        let err = Dataset::load(&ds).unwrap_err().to_string();
        assert!(
            err.contains("item 1 (`a`)") && err.contains("no content hashes"),
            "{err}"
        );
    }

    #[test]
    fn changed_input_names_the_item() {
        let tmp = tempfile::tempdir().unwrap();
        let ds = sample(tmp.path());
        write_hashes(&ds).unwrap();
        write(&ds, "inputs/a.txt", "Hello there! General Kenobi.");
        let err = Dataset::load(&ds).unwrap_err().to_string();
        assert!(
            err.contains("(`a`)") && err.contains("input hash mismatch"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_ids_mixed_references_escape_and_bad_json() {
        let tmp = tempfile::tempdir().unwrap();
        let ds = tmp.path().join("x_v1");
        let cases = [
            (
                r#"{"id":"x_v1","version":1,"task":"t","items":[{"id":"a","input":"i","references":["r"]},{"id":"a","input":"i","references":["r"]}]}"#,
                "duplicate item id `a`",
            ),
            (
                r#"{"id":"x_v1","version":1,"task":"t","items":[{"id":"a","input":"i","references":["r"]},{"id":"b","input":"i","references":[]}]}"#,
                "item 2 (`b`): has no references, but item 1 (`a`) has",
            ),
            (
                r#"{"id":"x_v1","version":1,"task":"t","items":[{"id":"a","input_path":"../secret.txt","references":["r"]}]}"#,
                "escapes the dataset folder",
            ),
            (
                "{\"id\": \"x_v1\",\n \"version\": 1,\n \"items\": [,]}",
                "dataset.json:3:",
            ),
            (
                r#"{"id":"x_v1","version":1,"task":"t","colour":"red","items":[]}"#,
                "unknown field `colour`",
            ),
        ];
        for (json, expected) in cases {
            write(&ds, DATASET_FILE, json);
            let err = Dataset::load(&ds).unwrap_err().to_string();
            assert!(err.contains(expected), "expected `{expected}` in: {err}");
        }
    }
}
