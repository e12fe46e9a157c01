//! A client for an OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, vLLM, llama.cpp's
//! `llama-server --embeddings`, Ollama, text-embeddings-inference), for embedding metrics that
//! use a server instead of a local model (`[metric_params.semantic_similarity] endpoint = {
//! base_url = "...", model = "...", api_key_env = "..." }`).
//!
//! [`EmbeddingEndpoint::embed`] posts `{"model": M, "input": [text, ...]}` to
//! `<base_url>/embeddings`, at most `batch_size` texts per request, and reads
//! `data[i].embedding` (a list of numbers) placed by `data[i].index` (by position when the
//! server gives no index). Retries, timeouts and the handling of HTTP errors are the `openai`
//! system's ([`crate::http`]); the API key is read from the environment at request time and
//! only ever sent in the `Authorization` header — never in errors, [`EmbeddingEndpoint::identity`]
//! or anything stored.
//!
//! This client does not cache: the metric caches vectors (keyed by
//! [`EmbeddingEndpoint::identity`] and the text).

use serde_json::{Value, json};

use crate::error::{Error, MetricError, Result};
use crate::http::{ENDPOINT_KEYS, EndpointSettings, JsonEndpoint, ParamTable, snippet};
use crate::outside::{Bound, admit, redact_url_credentials};

/// Default texts per request.
pub const DEFAULT_BATCH_SIZE: usize = 32;

/// An `/v1/embeddings` endpoint, configured and checked.
#[derive(Debug, Clone)]
pub struct EmbeddingEndpoint {
    /// `base_url`, `model`, `api_key_env`, `timeout_secs`, `retries`, `retry_backoff_ms`.
    settings: EndpointSettings,
    /// Texts per request (`batch_size`, 1 to 2048, default [`DEFAULT_BATCH_SIZE`]).
    batch_size: usize,
    /// Where the table sits (`metric_params.semantic_similarity.endpoint`), for messages.
    path: String,
    http: JsonEndpoint,
}

impl EmbeddingEndpoint {
    /// Reads an endpoint table (`value`, the JSON form of the TOML inline table) found at
    /// `path` (e.g. `metric_params.semantic_similarity.endpoint`, used to name keys in errors).
    ///
    /// Keys: `base_url` (required, `http://` or `https://`, usually ending in `/v1`), `model`
    /// (required), `api_key_env` (optional: the NAME of the environment variable holding the
    /// key), `timeout_secs` (default 120), `retries` (default 3), `retry_backoff_ms` (default
    /// 1000), `batch_size` (default 32, at most 2048). Errors are configuration errors naming
    /// `<path>.<key>`.
    pub fn from_params(value: &Value, path: &str) -> Result<Self> {
        let mut allowed = ENDPOINT_KEYS.to_vec();
        allowed.push("batch_size");
        let table = ParamTable::read(Some(value), path, &allowed)?;
        let settings = EndpointSettings::read(&table)?;
        let batch_size = table.integer("batch_size", DEFAULT_BATCH_SIZE as u64, 1, 2048)? as usize;
        let http = settings.endpoint("embeddings");
        Ok(EmbeddingEndpoint {
            settings,
            batch_size,
            path: path.to_string(),
            http,
        })
    }

    /// The model name sent.
    pub fn model(&self) -> &str {
        &self.settings.model
    }

    /// Texts per request.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// What determines the vectors: `{"base_url": <base_url, credentials redacted>, "model":
    /// M}`, for fingerprints and cache keys. Never the key.
    pub fn identity(&self) -> Value {
        json!({
            "base_url": self.settings.public_base_url(),
            "model": self.settings.model,
        })
    }

    /// The JSON body for one batch.
    pub fn request_body(&self, texts: &[&str]) -> Value {
        json!({"model": self.settings.model, "input": texts})
    }

    /// One vector per text, in the order of `texts` (empty input: no request). Vectors are as
    /// the server gives them (not normalised).
    ///
    /// Errors (metric errors without a metric id; the caller sets it): the API key's variable
    /// unset; HTTP errors after retries (status and a redacted excerpt of the body); an answer
    /// without `data`, with a count other than the batch's, with an index out of range or twice,
    /// an entry without an `embedding` list, vectors of different dimensions (within or across
    /// batches), empty vectors, or values that are not finite numbers.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let key = crate::http::api_key(
            self.settings.api_key_env.as_deref(),
            &format!("{}.api_key_env", self.path),
        )
        .map_err(|problem| Error::Metric(MetricError::new(problem)))?;
        let secrets = self.settings.secrets(key.as_deref());
        let mut out: Vec<Vec<f32>> = Vec::with_capacity(texts.len());
        let mut dimension: Option<usize> = None;
        for (batch_index, batch) in texts.chunks(self.batch_size).enumerate() {
            let body = self.request_body(batch).to_string();
            let first = batch_index * self.batch_size;
            let answer = self
                .http
                .post(&body, key.as_deref(), |text| {
                    parse_embeddings(text, batch.len(), dimension)
                })
                .map_err(|failure| {
                    let what = if failure.exhausted {
                        format!(
                            "{}; retries exhausted (raise `retries` or check the server)",
                            failure.what
                        )
                    } else {
                        failure.what
                    };
                    Error::Metric(MetricError::new(format!(
                        "POST {} {} (attempt {} of {}; texts {}–{} of {})",
                        redact_url_credentials(self.http.url()),
                        admit(&what, &secrets, Bound::MESSAGE),
                        failure.attempt,
                        self.http.retries() + 1,
                        first + 1,
                        first + batch.len(),
                        texts.len()
                    )))
                })?;
            dimension = answer.value.first().map(Vec::len);
            out.extend(answer.value);
        }
        Ok(out)
    }
}

/// Version of how endpoint vectors are stored in the embedding cache (L2-normalised), part of
/// the endpoint's [`Embedder::cache_identity`](crate::metrics::embedding::Embedder::cache_identity):
/// bump it when that changes.
pub const ENDPOINT_CACHE_VERSION: u32 = 1;

impl crate::metrics::embedding::Embedder for EmbeddingEndpoint {
    /// SHA-256 (hex) of [`EmbeddingEndpoint::identity`] (base URL with credentials redacted,
    /// model name) and [`ENDPOINT_CACHE_VERSION`]: never the key, nor the timeouts, retries or
    /// batch size, which do not change the vectors.
    fn cache_identity(&self) -> String {
        let text = json!({
            "endpoint": self.identity(),
            "code": ENDPOINT_CACHE_VERSION,
            "normalised": true,
        })
        .to_string();
        crate::metrics::embedding::sha256_plain(text.as_bytes())
    }

    /// [`EmbeddingEndpoint::embed`], each vector L2-normalised (cosine similarity does not
    /// change; an all-zero vector stays zero, and its cosine with anything is 0). Never marked
    /// truncated: servers do not report truncation; their own policy applies (some truncate
    /// silently, some answer an error for a too-long input).
    fn embeddings(&self, texts: &[&str]) -> Result<Vec<crate::metrics::embedding::Embedding>> {
        Ok(self
            .embed(texts)?
            .into_iter()
            .map(|mut vector| {
                crate::metrics::embedding::normalize(&mut vector);
                crate::metrics::embedding::Embedding {
                    vector,
                    truncated: false,
                }
            })
            .collect())
    }
}

/// Reads `data[i].embedding` of an `/embeddings` answer for a batch of `count` texts, ordered by
/// `data[i].index`; every vector must have `dimension` entries when given (else the first's).
pub fn parse_embeddings(
    text: &str,
    count: usize,
    dimension: Option<usize>,
) -> std::result::Result<Vec<Vec<f32>>, String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("answered with malformed JSON ({e}): {}", snippet(text)))?;
    let data = value
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("answered without a `data` list: {}", snippet(text)))?;
    if data.len() != count {
        return Err(format!(
            "answered with {} embeddings for {count} texts",
            data.len()
        ));
    }
    let mut vectors: Vec<Option<Vec<f32>>> = vec![None; count];
    let mut dimension = dimension;
    for (position, entry) in data.iter().enumerate() {
        let index = match entry.get("index") {
            None | Some(Value::Null) => position,
            Some(i) => i
                .as_u64()
                .map(|i| i as usize)
                .filter(|i| *i < count)
                .ok_or_else(|| {
                    format!(
                        "answered with `data[{position}].index` = `{i}`, not from 0 to {}",
                        count - 1
                    )
                })?,
        };
        if vectors[index].is_some() {
            return Err(format!("answered with index {index} twice in `data`"));
        }
        let list = entry
            .get("embedding")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                format!(
                    "answered without a list `data[{position}].embedding` (base64 encoding is not \
                     supported; do not set encoding_format)"
                )
            })?;
        let mut vector = Vec::with_capacity(list.len());
        for (k, x) in list.iter().enumerate() {
            let x = x
                .as_f64()
                .map(|x| x as f32)
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    format!(
                        "answered with `data[{position}].embedding[{k}]` = `{x}`, not a finite \
                         number"
                    )
                })?;
            vector.push(x);
        }
        if vector.is_empty() {
            return Err(format!(
                "answered with an empty `data[{position}].embedding`"
            ));
        }
        match dimension {
            Some(d) if d != vector.len() => {
                return Err(format!(
                    "answered with vectors of different dimensions ({d} and {} at `data[{position}]`)",
                    vector.len()
                ));
            }
            _ => dimension = Some(vector.len()),
        }
        vectors[index] = Some(vector);
    }
    vectors
        .into_iter()
        .enumerate()
        .map(|(i, v)| v.ok_or_else(|| format!("answered without an embedding for index {i}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_ordered_by_index() {
        let text = json!({"data": [
            {"index": 1, "embedding": [0.0, 1.0]},
            {"index": 0, "embedding": [1.0, 0.0]},
        ]})
        .to_string();
        assert_eq!(
            parse_embeddings(&text, 2, None).unwrap(),
            vec![vec![1.0, 0.0], vec![0.0, 1.0]]
        );
    }

    #[test]
    fn bad_answers_are_errors() {
        let e = |data: Value, count| {
            parse_embeddings(&json!({"data": data}).to_string(), count, None).unwrap_err()
        };
        assert!(e(json!([{"embedding": [1.0]}]), 2).contains("1 embeddings for 2 texts"));
        assert!(
            e(
                json!([{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]),
                2
            )
            .contains("twice")
        );
        assert!(
            e(json!([{"embedding": [1.0]}, {"embedding": [1.0, 2.0]}]), 2)
                .contains("different dimensions")
        );
        assert!(e(json!([{"embedding": [1.0, "x"]}]), 1).contains("not a finite"));
        assert!(e(json!([{"embedding": "AAAA"}]), 1).contains("base64"));
        assert!(e(json!([{"index": 5, "embedding": [1.0]}]), 1).contains("index"));
        assert!(
            parse_embeddings("{\"data\": [{\"embedding\": [1.0]}]}", 1, Some(3))
                .unwrap_err()
                .contains("different dimensions")
        );
    }
}
