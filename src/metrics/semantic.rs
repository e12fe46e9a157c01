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
//! # The model or the endpoint
//!
//! The embeddings come from the metric's own `[metric_params.<id>]` table when it sets `model`
//! or `endpoint`, else from `[metric_params.semantic_similarity]` (so one table serves all three
//! ids), else from the `EVALGATE_EMBEDDING_MODEL` environment variable, else from
//! [`default_model_folder`] (where `scripts/install-model` puts all-MiniLM-L6-v2) when it exists
//! ([`embedding_source`]). One table sets `model` or `endpoint`, not both.
//!
//! - `model = "folder"`: a local sentence-transformers folder, run in-process. A relative
//!   `model` in the suite is taken relative to the suite file's folder ([`resolve_paths`]); the
//!   environment variable relative to the working directory. The model is never downloaded.
//!   The model's identity (hash of its weights, tokenizer and config, pooling,
//!   `max_seq_length`) is the metrics' setting in baseline fingerprints ([`Metric::settings`],
//!   key `embedding_model`); the folder's path is not, so the same model in another place
//!   matches the baseline.
//! - `endpoint = { base_url = "...", model = "...", api_key_env = "..." }` (and optionally
//!   `timeout_secs`, `retries`, `retry_backoff_ms`, `batch_size`): an OpenAI-compatible
//!   `/v1/embeddings` server ([`EmbeddingEndpoint`]), with the `openai` system's retries and
//!   timeouts. Its vectors are L2-normalised and cached like the local model's, keyed by the
//!   base URL and model name (never the key) and the text, so a re-run sends no request. The
//!   fingerprint setting (key `embedding_endpoint`) is `{"base_url": ..., "model": ...}`.
//!   A server that fails (after retries), answers another number of vectors or vectors of
//!   different dimensions fails the metrics' trials with a message naming the URL (credentials
//!   redacted) and never the key.
//!
//! # Truncation
//!
//! Texts longer than the local model's `max_seq_length` tokens (256 for all-MiniLM-L6-v2,
//! `[CLS]` and `[SEP]` included) are truncated, as sentence-transformers does by default: only
//! their first tokens count. Each scoring run prints a warning on standard error with the number
//! of items that had a truncated text (prediction, reference or sentence). An endpoint does not
//! report truncation (the count is 0): the server's own policy applies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::embedding::cache::{EmbeddingCache, embed_cached};
use super::embedding::{Embedder, EmbeddingModel, MODEL_ENV, cosine, default_model_folder};
use super::embedding_endpoint::EmbeddingEndpoint;
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
/// The parameter naming an `/v1/embeddings` endpoint (an inline table).
const ENDPOINT_KEY: &str = "endpoint";
/// The parameters of this family, for messages.
const VALID_PARAMS: &str = "model (a local model folder) or endpoint (an /v1/embeddings server)";

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

/// Where `id`'s embeddings come from.
#[derive(Debug, Clone)]
pub enum EmbeddingSource {
    /// A local sentence-transformers model folder.
    Model(PathBuf),
    /// An OpenAI-compatible `/v1/embeddings` endpoint (boxed: it is large).
    Endpoint(Box<EmbeddingEndpoint>),
}

impl EmbeddingSource {
    /// Computes `ids` (of [`IDS`]) over `items` with this source ([`score_with`]), embeddings
    /// read from and written to `cache` when given. A local model is loaded (once per process)
    /// and the number of items with a truncated text is printed as a warning on standard error;
    /// an endpoint reports no truncation (the server's policy applies), and its errors name
    /// `ids`.
    pub fn score(
        &self,
        cache: Option<&EmbeddingCache>,
        items: &[ScoringItem<'_>],
        ids: &[&str],
    ) -> Result<SemanticScores> {
        match self {
            EmbeddingSource::Model(folder) => {
                let model = EmbeddingModel::load(folder)?;
                let scored = score_with(&model, cache, items, ids)?;
                if scored.truncated_items > 0 {
                    eprintln!(
                        "evalgate: warning: {}: {} of {} item(s) had a text longer than the \
                         model's max_seq_length ({} tokens); only its first {} tokens were \
                         embedded, as sentence-transformers does",
                        ids.join(", "),
                        scored.truncated_items,
                        items.len(),
                        model.identity().max_seq_length,
                        model.identity().max_seq_length,
                    );
                }
                Ok(scored)
            }
            EmbeddingSource::Endpoint(endpoint) => score_with(&**endpoint, cache, items, ids)
                .map_err(|e| match e {
                    Error::Metric(e) if e.metric.is_none() => {
                        Error::Metric(e.metric(ids.join(", ")))
                    }
                    other => other,
                }),
        }
    }

    /// What ids sharing this source share: one model load or endpoint, one embedding pass.
    fn group_key(&self) -> String {
        match self {
            EmbeddingSource::Model(folder) => format!("model {}", folder.display()),
            EmbeddingSource::Endpoint(endpoint) => format!("endpoint {}", endpoint.identity()),
        }
    }
}

/// The `endpoint` table of `[metric_params.<table>]`, read (no request is made): `None` when the
/// table sets none. Errors are configuration errors naming
/// `metric_params.<table>.endpoint.<key>`.
fn endpoint_of(table: &str, options: &ScoringOptions) -> Option<Result<EmbeddingEndpoint>> {
    let value = options.params.get(table)?.get(ENDPOINT_KEY)?;
    Some(EmbeddingEndpoint::from_params(
        value,
        &format!("metric_params.{table}.{ENDPOINT_KEY}"),
    ))
}

/// The `model` folder of `[metric_params.<table>]`: `None` when the table sets none (or an empty
/// one, which [`Metric::check_params`] refuses).
fn table_model(table: &str, options: &ScoringOptions) -> Option<PathBuf> {
    options
        .params
        .get(table)?
        .get(MODEL_KEY)?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
}

/// The embedding source for `id`: its own table's `model` or `endpoint`, else
/// `semantic_similarity`'s, else [`model_folder`]'s fallbacks ([`MODEL_ENV`], the default
/// folder). Nothing is loaded or requested. Errors: a configuration error for a bad `endpoint`
/// table (naming its key), a metric error when no model is found ([`model_folder`]).
pub fn embedding_source(id: &str, options: &ScoringOptions) -> Result<EmbeddingSource> {
    for table in [id, SEMANTIC_SIMILARITY] {
        if let Some(endpoint) = endpoint_of(table, options) {
            return endpoint.map(|e| EmbeddingSource::Endpoint(Box::new(e)));
        }
        if let Some(folder) = table_model(table, options) {
            return Ok(EmbeddingSource::Model(folder));
        }
    }
    model_folder(id, options).map(EmbeddingSource::Model)
}

/// The model folder for `id`: its own table's `model`, else `semantic_similarity`'s, else
/// [`MODEL_ENV`], else the default folder when it exists ([`embedding_source`] is the lookup
/// that also knows endpoints). Errors say how to set one and how to get the model.
pub fn model_folder(id: &str, options: &ScoringOptions) -> Result<PathBuf> {
    if let Some(path) =
        table_model(id, options).or_else(|| table_model(SEMANTIC_SIMILARITY, options))
    {
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
                 embeddings (local sentence-transformers model or /v1/embeddings endpoint)",
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
                    if name == ENDPOINT_KEY {
                        continue;
                    }
                    if name != MODEL_KEY {
                        return Err(Error::Config(
                            ConfigError::new(format!(
                                "is not a parameter of `{id}`; valid parameters: {VALID_PARAMS}"
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
                if map.contains_key(ENDPOINT_KEY) && map.contains_key(MODEL_KEY) {
                    return Err(Error::Config(
                        ConfigError::new(format!(
                            "is set together with `model` in [metric_params.{id}]; set one: \
                             remove `model` to embed with the endpoint, or remove `endpoint` to \
                             use the local model folder"
                        ))
                        .for_key(key(".endpoint")),
                    ));
                }
                // Read the endpoint table now (no request), so a mistake is an error when
                // the suite loads, at its line.
                endpoint_of(id, options).transpose().map(|_| ())
            }
            Some(other) => Err(Error::Config(
                ConfigError::new(format!(
                    "must be a table, found `{other}`; valid parameters: {VALID_PARAMS}"
                ))
                .for_key(key("")),
            )),
        }
    }

    fn settings(&self, wanted: &[&str], options: &ScoringOptions) -> BTreeMap<String, Value> {
        // The model's identity, not its path: the same model elsewhere matches the baseline.
        // An endpoint's base URL and model name, never its key or the key's variable.
        let mut out = BTreeMap::new();
        let unavailable = || Value::String("unavailable".to_string());
        for id in wanted {
            let (key, identity) = match embedding_source(id, options) {
                Ok(EmbeddingSource::Endpoint(endpoint)) => {
                    ("embedding_endpoint", endpoint.identity())
                }
                Ok(EmbeddingSource::Model(folder)) => (
                    "embedding_model",
                    EmbeddingModel::load(&folder)
                        .map(|model| serde_json::to_value(model.identity()).unwrap_or(Value::Null))
                        .unwrap_or_else(|_| unavailable()),
                ),
                Err(_) => ("embedding_model", unavailable()),
            };
            out.insert(key.to_string(), identity);
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
        // Ids naming the same folder (or endpoint) share one model and one embedding pass.
        let mut groups: BTreeMap<String, (EmbeddingSource, Vec<&str>)> = BTreeMap::new();
        for id in wanted {
            let source = embedding_source(id, options)?;
            groups
                .entry(source.group_key())
                .or_insert_with(|| (source, Vec::new()))
                .1
                .push(id);
        }
        let cache = EmbeddingCache::default_location();
        let mut out = Vec::new();
        for (source, ids) in groups.values() {
            out.extend(source.score(cache.as_ref(), items, ids)?.values);
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

/// Computes `ids` (of [`IDS`]) over `items` with `model` (a local [`EmbeddingModel`] or an
/// [`EmbeddingEndpoint`]), embeddings read from and written to `cache` when given.
///
/// Errors: an id not of this family; the model's or endpoint's errors; vectors of different
/// lengths (e.g. cached vectors from a model the server has since replaced under the same
/// name), a metric error saying to clear the cache.
pub fn score_with<E: Embedder + ?Sized>(
    model: &E,
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
    if let Some(first) = embeddings.first() {
        let dimension = first.vector.len();
        if let Some(other) = embeddings.iter().find(|e| e.vector.len() != dimension) {
            return Err(Error::Metric(MetricError::new(format!(
                "embeddings of different dimensions ({dimension} and {}); if the server now \
                 serves another model under the same name, clear the embedding cache ({}) or \
                 set {} = off",
                other.vector.len(),
                cache.map_or_else(
                    || "none in use".to_string(),
                    |c| c.dir().display().to_string()
                ),
                super::embedding::cache::CACHE_ENV,
            ))));
        }
    }
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

    fn endpoint_table() -> Value {
        serde_json::json!({"base_url": "http://127.0.0.1:9/v1", "model": "emb", "api_key_env": "EVALGATE_UNIT_EMB_KEY"})
    }

    #[test]
    fn the_endpoint_comes_from_the_metric_then_the_shared_table() {
        let mut options = ScoringOptions::default();
        options.params.insert(
            SEMANTIC_SIMILARITY.into(),
            serde_json::json!({"endpoint": endpoint_table()}),
        );
        for id in IDS {
            match embedding_source(id, &options).unwrap() {
                EmbeddingSource::Endpoint(e) => assert_eq!(e.model(), "emb"),
                other => panic!("{id}: {other:?}"),
            }
        }
        // An id's own table wins, whichever it sets.
        options
            .params
            .insert(COHERENCE.into(), serde_json::json!({"model": "/own"}));
        assert!(matches!(
            embedding_source(COHERENCE, &options).unwrap(),
            EmbeddingSource::Model(folder) if folder == Path::new("/own")
        ));
        // The fingerprint names the endpoint and the model, not the key's variable.
        let settings = SemanticMetric.settings(&[SEMANTIC_SIMILARITY], &options);
        assert_eq!(
            settings["embedding_endpoint"],
            serde_json::json!({"base_url": "http://127.0.0.1:9/v1", "model": "emb"})
        );
        assert!(
            !serde_json::to_string(&settings)
                .unwrap()
                .contains("EVALGATE_UNIT_EMB_KEY")
        );
    }

    #[test]
    fn endpoint_params_are_checked_when_the_suite_loads() {
        let check = |table: Value| {
            let mut options = ScoringOptions::default();
            options.params.insert(COHERENCE.into(), table);
            match SemanticMetric.check_params(COHERENCE, &options) {
                Err(Error::Config(e)) => (e.key.clone().unwrap_or_default(), e.problem.clone()),
                other => panic!("expected a configuration error, got {other:?}"),
            }
        };
        let (key, problem) =
            check(serde_json::json!({"model": "/m", "endpoint": endpoint_table()}));
        assert_eq!(key, "metric_params.coherence.endpoint");
        assert!(problem.contains("remove `model`"), "{problem}");
        let (key, problem) = check(serde_json::json!({"endpoint": {"model": "emb"}}));
        assert_eq!(key, "metric_params.coherence.endpoint.base_url");
        assert!(problem.contains("missing"), "{problem}");
        let (key, _) = check(serde_json::json!({"endpoint": "http://x/v1"}));
        assert_eq!(key, "metric_params.coherence.endpoint");
        let mut options = ScoringOptions::default();
        options.params.insert(
            COHERENCE.into(),
            serde_json::json!({"endpoint": endpoint_table()}),
        );
        SemanticMetric.check_params(COHERENCE, &options).unwrap();
    }

    /// An embedder computing each text's vector with a function.
    struct Fake(fn(&str) -> Vec<f32>);

    impl Embedder for Fake {
        fn cache_identity(&self) -> String {
            "0".repeat(64)
        }

        fn embeddings(&self, texts: &[&str]) -> Result<Vec<super::super::embedding::Embedding>> {
            Ok(texts
                .iter()
                .map(|t| super::super::embedding::Embedding {
                    vector: (self.0)(t),
                    truncated: false,
                })
                .collect())
        }
    }

    fn item<'a>(prediction: &'a str, references: &'a [String]) -> ScoringItem<'a> {
        ScoringItem {
            id: "",
            input: "",
            prediction,
            references,
            metadata: &Value::Null,
            generation: None,
        }
    }

    #[test]
    fn unnormalised_vectors_give_the_cosine_and_other_dimensions_are_an_error() {
        let references = vec!["b".to_string()];
        let scaled = Fake(|t| {
            if t == "a" {
                vec![2.0, 0.0]
            } else {
                vec![3.0, 4.0]
            }
        });
        let scored = score_with(
            &scaled,
            None,
            &[item("a", &references)],
            &[SEMANTIC_SIMILARITY],
        )
        .unwrap();
        assert!((scored.values[0].aggregate - 0.6).abs() < 1e-7);
        assert_eq!(scored.truncated_items, 0);

        let ragged = Fake(|t| vec![1.0; t.len()]);
        let long = vec!["bb".to_string()];
        match score_with(&ragged, None, &[item("a", &long)], &[SEMANTIC_SIMILARITY]) {
            Err(Error::Metric(e)) => {
                assert!(e.problem.contains("different dimensions (1 and 2)"), "{e}")
            }
            other => panic!("expected a metric error, got {other:?}"),
        }
    }
}
