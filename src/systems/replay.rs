//! The `replay` system kind: predictions made elsewhere, read from a JSON-lines file.
//!
//! Each line: `{"id": "...", "output": "...", "latency_ms": 812.5, "usage": {"input_tokens": N,
//! "output_tokens": N}, "cost_usd": 0.0012}`; everything but `id` and `output` is optional.
//! Blank lines are skipped. Duplicate ids are an error; so are dataset items without a line and
//! lines for ids the dataset does not have ([`ReplaySystem::check_ids`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::keys::Keys;
use crate::error::{Error, Result, SystemError};
use crate::fsutil::sha256_hex;
use crate::systems::{Generation, System, SystemRequest, Usage};

/// One line of a replay file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayLine {
    id: String,
    output: String,
    #[serde(default)]
    latency_ms: Option<f64>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    cost_usd: Option<f64>,
}

/// A `replay` system: recorded predictions keyed by item id.
#[derive(Debug, Clone)]
pub struct ReplaySystem {
    name: String,
    path: PathBuf,
    /// The `path` as written in the config, for the fingerprint.
    path_label: String,
    content_hash: String,
    predictions: BTreeMap<String, Generation>,
}

impl ReplaySystem {
    /// Builds a replay system from its `[systems.<name>]` table. Keys: `kind = "replay"`,
    /// `path` (JSON-lines file, relative to `project_root`). The file is read and validated now.
    pub fn from_config(name: &str, table: &toml::Table, project_root: &Path) -> Result<Self> {
        Self::from_keys(Keys::new("systems", name, table), project_root)
    }

    /// Builds it from its table's keys (as [`ReplaySystem::from_config`]); errors name the file
    /// and line when the keys carry them.
    pub fn from_keys(keys: Keys<'_>, project_root: &Path) -> Result<Self> {
        let name = keys.name();
        keys.allow_only(&["kind", "path"])?;
        let path_label = keys.string("path")?.ok_or_else(|| {
            keys.error(
                "path",
                "is missing; give the JSON-lines file of predictions",
            )
        })?;
        let path = project_root.join(&path_label);
        let bytes = std::fs::read(&path).map_err(|e| {
            keys.error(
                "path",
                &format!("names {}, which cannot be read: {e}", path.display()),
            )
        })?;
        let predictions = parse_lines(&path, &bytes)?;
        Ok(ReplaySystem {
            name: name.to_string(),
            content_hash: sha256_hex(&bytes),
            path,
            path_label,
            predictions,
        })
    }

    /// The file the predictions come from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that the file has exactly one prediction per dataset item: an error names the
    /// dataset ids without a prediction and the file's ids the dataset does not have.
    pub fn check_ids(&self, dataset_item_ids: &[&str]) -> Result<()> {
        let wanted: BTreeSet<&str> = dataset_item_ids.iter().copied().collect();
        let missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|id| !self.predictions.contains_key(*id))
            .collect();
        let extra: Vec<&str> = self
            .predictions
            .keys()
            .map(String::as_str)
            .filter(|id| !wanted.contains(id))
            .collect();
        if missing.is_empty() && extra.is_empty() {
            return Ok(());
        }
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!(
                "{} dataset item(s) have no prediction: {}",
                missing.len(),
                listed(&missing)
            ));
        }
        if !extra.is_empty() {
            problems.push(format!(
                "{} prediction(s) are for ids the dataset does not have: {}",
                extra.len(),
                listed(&extra)
            ));
        }
        Err(Error::System(SystemError::of(
            &self.name,
            format!(
                "replay file {} does not match the dataset: {}; regenerate the file for this \
                 dataset version",
                self.path.display(),
                problems.join("; ")
            ),
        )))
    }
}

/// The first ids of a list, for a message: the file's ids are outside text, so each is escaped
/// and bounded, and a long list is cut.
fn listed(ids: &[&str]) -> String {
    const SHOWN: usize = 10;
    let mut shown: Vec<String> = ids
        .iter()
        .take(SHOWN)
        .map(|id| crate::outside::escaped(id, 100))
        .collect();
    if ids.len() > SHOWN {
        shown.push(format!("and {} more", ids.len() - SHOWN));
    }
    shown.join(", ")
}

fn parse_lines(path: &Path, bytes: &[u8]) -> Result<BTreeMap<String, Generation>> {
    let text = crate::fsutil::utf8_sig(bytes.to_vec())
        .map_err(|why| Error::System(SystemError::new(format!("{} {why}", path.display()))))?;
    let mut out = BTreeMap::new();
    let mut first_line = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: ReplayLine = serde_json::from_str(line).map_err(|e| {
            Error::System(SystemError::new(format!(
                "{}:{number}: not a valid prediction line ({e}); expected {{\"id\": ..., \
                 \"output\": ..., \"latency_ms\"?: ..., \"usage\"?: {{...}}, \"cost_usd\"?: ...}}",
                path.display()
            )))
        })?;
        for (field, value) in [
            ("latency_ms", parsed.latency_ms),
            ("cost_usd", parsed.cost_usd),
        ] {
            if let Some(v) = value {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(Error::System(SystemError::new(format!(
                        "{}:{number}: `{field}` is {v}; it must be a non-negative number",
                        path.display()
                    ))));
                }
            }
        }
        if let Some(previous) = first_line.insert(parsed.id.clone(), number) {
            return Err(Error::System(SystemError::new(format!(
                "{}:{number}: id `{}` appears again (first on line {previous}); keep one \
                 prediction per item",
                path.display(),
                crate::outside::escaped(&parsed.id, 100)
            ))));
        }
        out.insert(
            parsed.id,
            Generation {
                output: parsed.output,
                latency_ms: parsed.latency_ms,
                usage: parsed.usage,
                cost_usd: parsed.cost_usd,
                warnings: Vec::new(),
            },
        );
    }
    Ok(out)
}

impl System for ReplaySystem {
    fn check_items(&self, dataset_item_ids: &[&str]) -> Result<()> {
        self.check_ids(dataset_item_ids)
    }

    fn fingerprint(&self) -> Value {
        let mut fingerprint = json!({
            "kind": "replay",
            "path": self.path_label,
        });
        let files = BTreeMap::from([(self.path_label.clone(), self.content_hash.clone())]);
        super::changes::insert_files(&mut fingerprint, &files);
        fingerprint
    }

    fn generate(&self, request: &SystemRequest<'_>) -> Result<Generation> {
        self.predictions
            .get(request.item_id)
            .cloned()
            .ok_or_else(|| {
                Error::System(
                    SystemError::of(
                        &self.name,
                        format!("no prediction in {}", self.path.display()),
                    )
                    .item(request.item_id),
                )
            })
    }

    fn cacheable(&self) -> bool {
        false
    }
}
