//! Embedding metrics: `semantic_similarity`, `semantic_similarity_min` (reference-based) and
//! `coherence` (reference-free), from a local sentence-transformers model run in-process
//! ([`super::embedding`]).
//!
//! - `semantic_similarity`: per item, the cosine similarity of the prediction's sentence
//!   embedding with each reference's, the maximum over the references (`None` for an item
//!   without references); the dataset value is the mean over items. This is what the replaced
//!   Python framework computed with sentence-transformers (`util.cos_sim` of `encode` outputs).
//! - `semantic_similarity_min`: the same per-item values; the dataset value is the worst
//!   (smallest) item. Not resamplable by the paired tests (like a percentile).
//! - `coherence`: per item, the prediction split into sentences by [`crate::text::sentences`]
//!   (ends at `.`, `!`, `?`, `…` before an uppercase word, a digit or a quote, not after a known
//!   abbreviation; line breaks end sentences), each sentence embedded, and the mean cosine
//!   similarity of consecutive sentences (s₁·s₂, s₂·s₃, ...). A prediction of fewer than two
//!   sentences is `None` (does not apply), not 1. The dataset value is the mean over the items
//!   it applies to.
//!
//! All three are higher-is-better in [-1, 1] (all-MiniLM-L6-v2 gives about 0 for unrelated
//! texts and 1 for equal ones).
//!
//! # The model
//!
//! The folder is `model` in the metric's own `[metric_params.<id>]` table, else in
//! `[metric_params.semantic_similarity]` (so one table serves all three ids), else the
//! `EVALGATE_EMBEDDING_MODEL` environment variable, else
//! [`default_model_folder`] (where `.ci/install-tools` puts all-MiniLM-L6-v2) when it exists. A relative `model` in the suite is taken
//! relative to the suite file's folder ([`resolve_paths`]); the environment variable relative to
//! the working directory. The model is never downloaded. The model's identity (hash of its
//! weights, tokenizer and config, pooling, `max_seq_length`) is the metrics' setting in baseline
//! fingerprints ([`Metric::settings`]); the folder's path is not, so the same model in another
//! place matches the baseline.
//!
//! # Truncation
//!
//! Texts longer than the model's `max_seq_length` tokens (256 for all-MiniLM-L6-v2, `[CLS]` and
//! `[SEP]` included) are truncated, as sentence-transformers does by default: only their first
//! tokens count. Each scoring run prints a warning on standard error with the number of items
//! that had a truncated text (prediction, reference or sentence).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::embedding::cache::{EmbeddingCache, embed_cached};
use super::embedding::{EmbeddingModel, MODEL_ENV, cosine, default_model_folder};
use crate::error::{ConfigError, Error, MetricError, Result};
use crate::metrics::{
    Direction, Metric, MetricDef, MetricValues, Resampling, ScoringItem, ScoringOptions,
};

/// Mean cosine similarity to the closest reference.
pub const SEMANTIC_SIMILARITY: &str = "semantic_similarity";
/// Worst item's cosine similarity to its closest reference.
pub const SEMANTIC_SIMILARITY_MIN: &str = "semantic_similarity_min";
/// Mean cosine similarity of consecutive sentences.
pub const COHERENCE: &str = "coherence";

/// The metric ids of this family.
pub const IDS: [&str; 3] = [SEMANTIC_SIMILARITY, SEMANTIC_SIMILARITY_MIN, COHERENCE];

/// The parameter naming the model folder.
const MODEL_KEY: &str = "model";

/// The embedding metric family.
#[derive(Debug, Clone, Copy, Default)]
pub struct SemanticMetric;

/// Makes a relative `model` path in `[metric_params.<id>]` (for this family's ids) absolute
/// against `root`, the suite file's folder. Called when the suite loads; other ids and
/// non-string values are left alone (the latter fail [`Metric::check_params`]).
pub fn resolve_paths(id: &str, params: &mut Value, root: &Path) {
    if !IDS.contains(&id) {
        return;
    }
    if let Some(Value::String(model)) = params.get_mut(MODEL_KEY) {
        let path = Path::new(model.as_str());
        if path.is_relative() && !model.is_empty() {
            *model = root.join(path).to_string_lossy().into_owned();
        }
    }
}

/// The model folder for `id`: its own table's `model`, else `semantic_similarity`'s, else
/// [`MODEL_ENV`]. Errors say how to set one and how to get the model.
pub fn model_folder(id: &str, options: &ScoringOptions) -> Result<PathBuf> {
    let from_table = |table: &str| {
        options
            .params
            .get(table)
            .and_then(|t| t.get(MODEL_KEY))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    if let Some(path) = from_table(id).or_else(|| from_table(SEMANTIC_SIMILARITY)) {
        return Ok(path);
    }
    if let Some(path) = std::env::var_os(MODEL_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    match default_model_folder() {
        Some(path) if path.is_dir() => Ok(path),
        _ => Err(Error::Metric(MetricError::of(
            id,
            format!(
                "needs a sentence-embedding model folder: set `model = \"path/to/folder\"` in \
                 `[metric_params.semantic_similarity]` (relative to the suite file) or the \
                 {MODEL_ENV} environment variable, or unpack one into {}; to {}",
                default_model_folder().map_or_else(
                    || "$HOME/.cache/evalgate/models/all-MiniLM-L6-v2".to_string(),
                    |p| format!("`{}`", p.display())
                ),
                super::embedding::HOW_TO_GET_A_MODEL
            ),
        ))),
    }
}

impl Metric for SemanticMetric {
    fn definitions(&self) -> Vec<MetricDef> {
        let def = |id: &str, reference_based, aggregation, description| MetricDef {
            id: id.to_string(),
            direction: Direction::HigherIsBetter,
            reference_based,
            varies_by_machine: false,
            range: (Some(-1.0), Some(1.0)),
            aggregation,
            description,
        };
        vec![
            def(
                SEMANTIC_SIMILARITY,
                true,
                "mean of items",
                "cosine similarity of the prediction's and the closest reference's sentence \
                 embeddings (local sentence-transformers model)",
            ),
            def(
                SEMANTIC_SIMILARITY_MIN,
                true,
                "minimum over items",
                "the worst item's cosine similarity of prediction and closest reference \
                 embeddings",
            ),
            def(
                COHERENCE,
                false,
                "mean of items with two or more sentences",
                "mean cosine similarity of consecutive sentences' embeddings in the prediction",
            ),
        ]
    }

    fn check_params(&self, id: &str, options: &ScoringOptions) -> Result<()> {
        let key = |k: &str| format!("metric_params.{id}{k}");
        match options.params.get(id) {
            None | Some(Value::Null) => Ok(()),
            Some(Value::Object(map)) => {
                for (name, value) in map {
                    if name != MODEL_KEY {
                        return Err(Error::Config(
                            ConfigError::new(format!(
                                "is not a parameter of `{id}`; valid parameters: model"
                            ))
                            .for_key(key(&format!(".{name}"))),
                        ));
                    }
                    if value.as_str().is_none_or(str::is_empty) {
                        return Err(Error::Config(
                            ConfigError::new(format!(
                                "must be the path of a sentence-transformers model folder \
                                 (a non-empty string), found `{value}`"
                            ))
                            .for_key(key(".model")),
                        ));
                    }
                }
                Ok(())
            }
            Some(other) => Err(Error::Config(
                ConfigError::new(format!(
                    "must be a table, found `{other}`; valid parameters: model"
                ))
                .for_key(key("")),
            )),
        }
    }

    fn settings(&self, wanted: &[&str], options: &ScoringOptions) -> BTreeMap<String, Value> {
        // The model's identity, not its path: the same model elsewhere matches the baseline.
        let mut out = BTreeMap::new();
        for id in wanted {
            let identity = model_folder(id, options)
                .and_then(|folder| EmbeddingModel::load(&folder))
                .map(|model| serde_json::to_value(model.identity()).unwrap_or(Value::Null))
                .unwrap_or_else(|_| Value::String("unavailable".to_string()));
            out.insert("embedding_model".to_string(), identity);
        }
        out
    }

    fn resampling(&self, id: &str) -> Resampling {
        if id == SEMANTIC_SIMILARITY_MIN {
            Resampling::NotResamplable
        } else {
            Resampling::MeanOfItems
        }
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>> {
        for id in wanted {
            self.check_params(id, options)?;
        }
        // Ids naming the same folder share one model and one embedding pass.
        let mut by_folder: BTreeMap<PathBuf, Vec<&str>> = BTreeMap::new();
        for id in wanted {
            by_folder
                .entry(model_folder(id, options)?)
                .or_default()
                .push(id);
        }
        let cache = EmbeddingCache::default_location();
        let mut out = Vec::new();
        for (folder, ids) in by_folder {
            let model = EmbeddingModel::load(&folder)?;
            let scored = score_with(&model, cache.as_ref(), items, &ids)?;
            if scored.truncated_items > 0 {
                eprintln!(
                    "evalgate: warning: {}: {} of {} item(s) had a text longer than the model's \
                     max_seq_length ({} tokens); only its first {} tokens were embedded, as \
                     sentence-transformers does",
                    ids.join(", "),
                    scored.truncated_items,
                    items.len(),
                    model.identity().max_seq_length,
                    model.identity().max_seq_length,
                );
            }
            out.extend(scored.values);
        }
        Ok(out)
    }
}

/// The values of some of this family's ids under one model, with the truncation count.
#[derive(Debug, Clone, PartialEq)]
pub struct SemanticScores {
    /// One entry per id asked for, in the order asked.
    pub values: Vec<MetricValues>,
    /// Items with at least one truncated text among those embedded for them.
    pub truncated_items: usize,
}

/// Computes `ids` (of [`IDS`]) over `items` with `model`, embeddings read from and written to
/// `cache` when given.
pub fn score_with(
    model: &EmbeddingModel,
    cache: Option<&EmbeddingCache>,
    items: &[ScoringItem<'_>],
    ids: &[&str],
) -> Result<SemanticScores> {
    let similarity = ids
        .iter()
        .any(|id| [SEMANTIC_SIMILARITY, SEMANTIC_SIMILARITY_MIN].contains(id));
    let coherence = ids.contains(&COHERENCE);
    if let Some(other) = ids.iter().find(|id| !IDS.contains(id)) {
        return Err(Error::Metric(MetricError::new(format!(
            "embedding family asked for unknown id `{other}`"
        ))));
    }
    // Every text to embed, with the item it belongs to.
    let sentences: Vec<Vec<String>> = if coherence {
        items
            .iter()
            .map(|i| crate::text::sentences(i.prediction))
            .collect()
    } else {
        vec![Vec::new(); items.len()]
    };
    let mut texts: Vec<&str> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    for (n, item) in items.iter().enumerate() {
        if similarity {
            texts.push(item.prediction);
            owner.push(n);
            for reference in item.references {
                texts.push(reference);
                owner.push(n);
            }
        }
        for sentence in &sentences[n] {
            texts.push(sentence);
            owner.push(n);
        }
    }
    let embeddings = embed_cached(model, cache, &texts)?;
    let mut truncated = vec![false; items.len()];
    for (n, e) in owner.iter().zip(&embeddings) {
        truncated[*n] |= e.truncated;
    }

    // Walk the embeddings in the order they were pushed.
    let mut next = embeddings.iter();
    let mut similarity_values = Vec::with_capacity(items.len());
    let mut coherence_values = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        if similarity {
            let prediction = next.next().expect("prediction embedded");
            let best = item
                .references
                .iter()
                .map(|_| {
                    let reference = next.next().expect("reference embedded");
                    cosine(&prediction.vector, &reference.vector)
                })
                .fold(None, |best: Option<f64>, c| {
                    Some(best.map_or(c, |b| b.max(c)))
                });
            similarity_values.push(best);
        }
        let vectors: Vec<&[f32]> = sentences[n]
            .iter()
            .map(|_| next.next().expect("sentence embedded").vector.as_slice())
            .collect();
        coherence_values.push(consecutive_mean(&vectors));
    }

    let values = ids
        .iter()
        .map(|id| {
            let per_item = if *id == COHERENCE {
                coherence_values.clone()
            } else {
                similarity_values.clone()
            };
            let aggregate = if *id == SEMANTIC_SIMILARITY_MIN {
                per_item
                    .iter()
                    .flatten()
                    .copied()
                    .reduce(f64::min)
                    .unwrap_or(0.0)
            } else {
                super::mean_of(&per_item)
            };
            MetricValues {
                id: id.to_string(),
                aggregate,
                per_item,
            }
        })
        .collect();
    Ok(SemanticScores {
        values,
        truncated_items: truncated.iter().filter(|t| **t).count(),
    })
}

/// The mean cosine similarity of consecutive vectors (`vectors[i]` with `vectors[i + 1]`);
/// `None` for fewer than two vectors (coherence does not apply to one sentence).
pub fn consecutive_mean(vectors: &[&[f32]]) -> Option<f64> {
    if vectors.len() < 2 {
        return None;
    }
    let pairs: Vec<f64> = vectors.windows(2).map(|w| cosine(w[0], w[1])).collect();
    Some(super::mean(&pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coherence_needs_two_sentences() {
        assert_eq!(consecutive_mean(&[]), None);
        assert_eq!(consecutive_mean(&[&[1.0, 0.0]]), None);
        let value = consecutive_mean(&[&[1.0, 0.0], &[1.0, 0.0], &[0.0, 1.0]]).unwrap();
        assert!((value - 0.5).abs() < 1e-12);
    }

    #[test]
    fn relative_model_paths_are_taken_from_the_suite_folder() {
        let mut params = serde_json::json!({"model": "models/mini"});
        resolve_paths(SEMANTIC_SIMILARITY, &mut params, Path::new("/suite"));
        assert_eq!(params["model"], "/suite/models/mini");
        let mut absolute = serde_json::json!({"model": "/m"});
        resolve_paths(COHERENCE, &mut absolute, Path::new("/suite"));
        assert_eq!(absolute["model"], "/m");
        let mut other = serde_json::json!({"model": "x"});
        resolve_paths("rouge1_f1", &mut other, Path::new("/suite"));
        assert_eq!(other["model"], "x");
    }

    #[test]
    fn the_model_comes_from_the_metric_then_the_shared_table() {
        let mut options = ScoringOptions::default();
        options.params.insert(
            SEMANTIC_SIMILARITY.into(),
            serde_json::json!({"model": "/shared"}),
        );
        assert_eq!(
            model_folder(COHERENCE, &options).unwrap(),
            PathBuf::from("/shared")
        );
        options
            .params
            .insert(COHERENCE.into(), serde_json::json!({"model": "/own"}));
        assert_eq!(
            model_folder(COHERENCE, &options).unwrap(),
            PathBuf::from("/own")
        );
    }

    #[test]
    fn params_are_checked() {
        let mut options = ScoringOptions::default();
        options.params.insert(
            SEMANTIC_SIMILARITY.into(),
            serde_json::json!({"modle": "/x"}),
        );
        let err = SemanticMetric
            .check_params(SEMANTIC_SIMILARITY, &options)
            .unwrap_err()
            .to_string();
        assert!(err.contains("modle"), "{err}");
        options
            .params
            .insert(SEMANTIC_SIMILARITY.into(), serde_json::json!({"model": 3}));
        assert!(
            SemanticMetric
                .check_params(SEMANTIC_SIMILARITY, &options)
                .is_err()
        );
    }
}
