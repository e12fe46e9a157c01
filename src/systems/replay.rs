//! The `replay` system kind: predictions made elsewhere, read from a JSON-lines file.
//!
//! Each line: `{"id": "...", "output": "...", "latency_ms": 812.5, "usage": {"input_tokens": N,
//! "output_tokens": N}, "cost_usd": 0.0012}`; everything but `id` and `output` is optional.
//! Blank lines are skipped. With `samples = N` (default 1) the file holds exactly N lines per id,
//! the k-th line of an id (in file order) being its sample k; an id with another number of lines
//! is an error naming it, its count and the setting (with one sample, a repeated id). So are
//! dataset items without a line and lines for ids the dataset does not have
//! ([`ReplaySystem::check_ids`]).

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
    /// Per id, its predictions in file order (sample k is the k-th).
    predictions: BTreeMap<String, Vec<Generation>>,
    samples: u32,
}

impl ReplaySystem {
    /// Builds a replay system from its `[systems.<name>]` table. Keys: `kind = "replay"`,
    /// `path` (JSON-lines file, relative to `project_root`), `samples` (lines per id, default
    /// 1). The file is read and validated now.
    pub fn from_config(name: &str, table: &toml::Table, project_root: &Path) -> Result<Self> {
        Self::from_keys(Keys::new("systems", name, table), project_root)
    }

    /// Builds it from its table's keys (as [`ReplaySystem::from_config`]); errors name the file
    /// and line when the keys carry them.
    pub fn from_keys(keys: Keys<'_>, project_root: &Path) -> Result<Self> {
        let name = keys.name();
        keys.allow_only(&["kind", "path", "samples"])?;
        let samples = keys
            .integer_in("samples", 1..=i64::from(crate::config::MAX_SAMPLES))?
            .map_or(1, |n| n as u32);
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
        let predictions = parse_lines(&path, &bytes, samples)?;
        Ok(ReplaySystem {
            name: name.to_string(),
            content_hash: sha256_hex(&bytes),
            path,
            path_label,
            predictions,
            samples,
        })
    }

    /// The file the predictions come from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that the file has predictions for exactly the dataset's items (as many per item as
    /// `samples`, which loading checked): an error names the
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

fn parse_lines(
    path: &Path,
    bytes: &[u8],
    samples: u32,
) -> Result<BTreeMap<String, Vec<Generation>>> {
    let text = crate::fsutil::utf8_sig(bytes.to_vec())
        .map_err(|why| Error::System(SystemError::new(format!("{} {why}", path.display()))))?;
    let mut out: BTreeMap<String, Vec<Generation>> = BTreeMap::new();
    let mut lines_of: BTreeMap<String, Vec<usize>> = BTreeMap::new();
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
            if let Some(v) = value
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(Error::System(SystemError::new(format!(
                    "{}:{number}: `{field}` is {v}; it must be a non-negative number",
                    path.display()
                ))));
            }
        }
        lines_of.entry(parsed.id.clone()).or_default().push(number);
        out.entry(parsed.id).or_default().push(Generation {
            output: parsed.output,
            latency_ms: parsed.latency_ms,
            usage: parsed.usage,
            cost_usd: parsed.cost_usd,
            warnings: Vec::new(),
        });
    }
    // First in file order: the id whose count is wrong on the earliest line.
    let wrong = lines_of
        .iter()
        .filter(|(_, lines)| lines.len() != samples as usize)
        .min_by_key(|(_, lines)| lines.get(samples as usize).or(lines.last()).copied());
    if let Some((id, lines)) = wrong {
        let shown = crate::outside::escaped(id, 100);
        let count = lines.len();
        return Err(Error::System(SystemError::new(if samples == 1 {
            format!(
                "{}:{}: id `{shown}` appears again (first on line {}); keep one prediction per \
                 item, or, if the file holds {count} samples per item, set samples = {count} in \
                 the system's table",
                path.display(),
                lines[1],
                lines[0]
            )
        } else {
            let numbers: Vec<String> = lines.iter().map(usize::to_string).collect();
            format!(
                "{}:{}: id `{shown}` has {count} prediction(s) (line(s) {}), but the system's \
                 samples = {samples} needs exactly {samples} per id (sample k is the id's k-th \
                 line)",
                path.display(),
                lines
                    .get(samples as usize)
                    .or(lines.last())
                    .copied()
                    .unwrap_or(0),
                numbers.join(", ")
            )
        })));
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
            .and_then(|samples| samples.get(request.sample as usize))
            .cloned()
            .ok_or_else(|| {
                let what = if request.sample == 0 {
                    format!("no prediction in {}", self.path.display())
                } else {
                    format!(
                        "no prediction for sample {} in {} (the system has samples = {})",
                        request.sample,
                        self.path.display(),
                        self.samples
                    )
                };
                Error::System(SystemError::of(&self.name, what).item(request.item_id))
            })
    }

    fn cacheable(&self) -> bool {
        false
    }
}
