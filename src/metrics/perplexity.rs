//! `perplexity`: how likely a language model finds each prediction, from an OpenAI-compatible
//! `/v1/completions` endpoint that returns the log-probabilities of the prompt's tokens (`echo`
//! with `logprobs`).
//!
//! Per item, one request to `<base_url>/completions`:
//!
//! ```json
//! {"model": M, "prompt": <prediction>, "max_tokens": 1, "echo": true, "logprobs": 1, "temperature": 0}
//! ```
//!
//! (`max_tokens` is the `max_tokens` parameter, 1 by default because vLLM's server asks for at
//! least one generated token; 0 where the server accepts it.) From the answer it reads
//! `choices[0].logprobs.token_logprobs` (one entry per token of the echoed prompt and then of the
//! generated text), with `choices[0].logprobs.text_offset` (each token's start, in characters
//! of `choices[0].text`, which begins with the prompt):
//!
//! - the generated token(s) are left out: the prediction's tokens are the first
//!   `usage.prompt_tokens` entries when the answer gives that count (vLLM and OpenAI do); else
//!   the tokens whose `text_offset` is less than the prediction's length in characters (Unicode
//!   scalar values, as Python's `len`); else all but the last `usage.completion_tokens` entries
//!   (all of them when `max_tokens` is 0); without any of these, the answer is an error;
//! - `null` entries are skipped: the first token of a text has no log-probability (nothing
//!   precedes it), which OpenAI's format and vLLM give as `null`.
//!
//! The item's value is `exp(−mean(log p))` over the remaining tokens (natural logarithms, as
//! the servers give them): at least 1, lower is better. An empty (or whitespace-only)
//! prediction, or one with no scored token (a single token), has no value (`null`), never 0 or
//! 1; the dataset value is the mean of the items that have one. That is the mean of per-item
//! perplexities — each item weighs the same whatever its length — not corpus perplexity
//! (`exp` of the token-weighted mean log-probability over all items), which long items would
//! dominate.
//!
//! A server that answers without log-probabilities (`logprobs: null`, no `token_logprobs`) or
//! without echoing the prompt is an error naming the endpoint and the item: the metric needs a
//! server that supports `echo` with `logprobs` on `/v1/completions`.
//!
//! Answers are cached in the run's cache folder (`<cache_dir>/perplexity/`, see
//! [`PerplexityCache`]), so re-runs do not ask the server again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use super::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions, mean_of};
use crate::error::{Error, MetricError, Result};
use crate::http::{ENDPOINT_KEYS, EndpointSettings, ParamTable};
use crate::outside::{Bound, admit, redact_url_credentials};

/// The metric id.
pub const ID: &str = "perplexity";

/// Version of the request sent and of how answers are read; part of every cache key and of the
/// metric's settings, bumped when either changes.
pub const REQUEST_VERSION: u32 = 1;

/// Format tag of cache entries.
pub const CACHE_FORMAT: &str = "evalgate.perplexity-cache/v1";

/// Log-probabilities above 0 by at most this much are taken as 0 (float noise of the server);
/// larger ones are not log-probabilities and make the answer an error.
const POSITIVE_NOISE: f64 = 1e-6;

/// The `perplexity` metric family (one id, [`ID`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Perplexity;

/// The `[metric_params.perplexity]` table, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PerplexityParams {
    /// The endpoint: `base_url`, `model`, `api_key_env`, `timeout_secs`, `retries`,
    /// `retry_backoff_ms` (see [`EndpointSettings`]).
    pub endpoint: EndpointSettings,
    /// `max_tokens` sent: 0 or 1 (default 1).
    pub max_tokens: u32,
    /// Requests at once (`concurrency`, 1 to 256, default 4).
    pub concurrency: usize,
}

impl PerplexityParams {
    /// Reads `[metric_params.perplexity]` from `options`; errors name the key
    /// (`metric_params.perplexity.<key>`). `base_url` and `model` are required.
    pub fn read(options: &ScoringOptions) -> Result<Self> {
        let mut allowed = ENDPOINT_KEYS.to_vec();
        allowed.extend(["max_tokens", "concurrency"]);
        let path = format!("metric_params.{ID}");
        let table = ParamTable::read(options.params.get(ID), &path, &allowed)?;
        if !options.params.contains_key(ID) {
            return Err(table.error(
                "base_url",
                "is missing: `perplexity` needs a server; add [metric_params.perplexity] with \
                 base_url = \"http://127.0.0.1:8000/v1\" and model = \"...\"",
            ));
        }
        let endpoint = EndpointSettings::read(&table)?;
        let max_tokens = table.integer("max_tokens", 1, 0, 1)? as u32;
        let concurrency = table.integer("concurrency", 4, 1, 256)? as usize;
        Ok(PerplexityParams {
            endpoint,
            max_tokens,
            concurrency,
        })
    }

    /// The JSON body sent for one prediction.
    pub fn request_body(&self, prediction: &str) -> Value {
        json!({
            "model": self.endpoint.model,
            "prompt": prediction,
            "max_tokens": self.max_tokens,
            "echo": true,
            "logprobs": 1,
            "temperature": 0,
        })
    }

    /// What determines the numbers besides the predictions: `base_url` (credentials redacted),
    /// `model`, `max_tokens` and [`REQUEST_VERSION`]. Never the key.
    pub fn identity(&self) -> Value {
        json!({
            "base_url": self.endpoint.public_base_url(),
            "model": self.endpoint.model,
            "max_tokens": self.max_tokens,
            "request": REQUEST_VERSION,
        })
    }
}

/// The perplexity of scored log-probabilities: `exp(−mean)`; `None` when there are none.
pub fn perplexity_of(logprobs: &[f64]) -> Option<f64> {
    if logprobs.is_empty() {
        return None;
    }
    let mean = logprobs.iter().sum::<f64>() / logprobs.len() as f64;
    Some((-mean).exp())
}

/// Why an answer could not be used.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerProblem {
    /// No prompt log-probabilities: the server does not support `echo` with `logprobs`.
    NoLogprobs(String),
    /// Anything else wrong with the answer (outside text included: admit it).
    Malformed(String),
}

impl AnswerProblem {
    fn message(&self) -> String {
        match self {
            AnswerProblem::NoLogprobs(what) => format!(
                "answered without the prompt's log-probabilities ({what}); `perplexity` needs a \
                 server that supports `echo` with `logprobs` on /v1/completions, as vLLM's \
                 OpenAI-compatible server does (OpenAI's current models do not; check your \
                 server's documentation for `echo`)"
            ),
            AnswerProblem::Malformed(what) => what.clone(),
        }
    }
}

/// The log-probabilities of the prediction's tokens in a `/v1/completions` answer to
/// [`PerplexityParams::request_body`]: generated tokens and `null` entries left out (see the
/// module docs). Entries at most 1e-6 above 0 (float noise) become 0; larger ones are errors.
pub fn prompt_logprobs(
    text: &str,
    prediction: &str,
    max_tokens: u32,
) -> std::result::Result<Vec<f64>, AnswerProblem> {
    use crate::http::snippet;
    let malformed = |what: String| AnswerProblem::Malformed(what);
    let value: Value = serde_json::from_str(text).map_err(|e| {
        malformed(format!(
            "answered with malformed JSON ({e}): {}",
            snippet(text)
        ))
    })?;
    let choice = value
        .pointer("/choices/0")
        .ok_or_else(|| malformed(format!("answered without `choices[0]`: {}", snippet(text))))?;
    let logprobs = match choice.get("logprobs") {
        None => return Err(AnswerProblem::NoLogprobs("no `choices[0].logprobs`".into())),
        Some(Value::Null) => {
            return Err(AnswerProblem::NoLogprobs(
                "`choices[0].logprobs` is null".into(),
            ));
        }
        Some(l) => l,
    };
    let entries = match logprobs.get("token_logprobs") {
        Some(Value::Array(a)) => a,
        _ => {
            return Err(AnswerProblem::NoLogprobs(
                "no `choices[0].logprobs.token_logprobs` list".into(),
            ));
        }
    };
    if let Some(Value::String(echoed)) = choice.get("text")
        && !echoed.starts_with(prediction)
    {
        return Err(AnswerProblem::NoLogprobs(
            "`choices[0].text` does not begin with the prompt: the server did not echo it".into(),
        ));
    }
    let length = prediction.chars().count() as u64;
    // How many leading entries belong to the prediction: `usage.prompt_tokens` when given (the
    // echoed prompt's token count, exact even where `text_offset` is shifted by a BOS token's
    // text), else by `text_offset`, else by `usage.completion_tokens`.
    let prompt_tokens = value
        .pointer("/usage/prompt_tokens")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0);
    let kept = match logprobs.get("text_offset") {
        _ if prompt_tokens.is_some() => {
            let n = prompt_tokens.unwrap_or_default() as usize;
            if n > entries.len() {
                return Err(AnswerProblem::NoLogprobs(format!(
                    "{} `token_logprobs` entries for {n} prompt tokens (`usage.prompt_tokens`): \
                     the server did not echo the prompt",
                    entries.len()
                )));
            }
            n
        }
        Some(Value::Array(offsets)) => {
            if offsets.len() != entries.len() {
                return Err(malformed(format!(
                    "answered with {} `text_offset` entries for {} `token_logprobs`",
                    offsets.len(),
                    entries.len()
                )));
            }
            let mut kept = 0;
            for offset in offsets {
                let offset = offset.as_u64().ok_or_else(|| {
                    malformed(format!(
                        "answered with a `text_offset` entry that is not a whole number: `{offset}`"
                    ))
                })?;
                if offset >= length {
                    break;
                }
                kept += 1;
            }
            kept
        }
        Some(other) if !other.is_null() => {
            return Err(malformed(format!(
                "answered with a `text_offset` that is not a list: `{other}`"
            )));
        }
        _ if max_tokens == 0 => entries.len(),
        _ => {
            let generated = value
                .pointer("/usage/completion_tokens")
                .and_then(Value::as_u64)
                .ok_or_else(|| {
                    malformed(
                        "answered without `text_offset` or `usage.completion_tokens`, so the \
                         prediction's tokens cannot be told from the generated one; set \
                         max_tokens = 0 if the server accepts it"
                            .to_string(),
                    )
                })?;
            entries.len().saturating_sub(generated as usize)
        }
    };
    if kept == 0 && length > 0 {
        return Err(AnswerProblem::NoLogprobs(
            "no entry of `token_logprobs` belongs to the prompt: the server did not echo it".into(),
        ));
    }
    let mut scored = Vec::with_capacity(kept);
    for (index, entry) in entries[..kept].iter().enumerate() {
        match entry {
            Value::Null => {}
            other => {
                let lp = other.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                    malformed(format!(
                        "answered with `token_logprobs[{index}]` = `{other}`, not a finite number"
                    ))
                })?;
                if lp > POSITIVE_NOISE {
                    return Err(malformed(format!(
                        "answered with `token_logprobs[{index}]` = {lp}, above 0: not a \
                         log-probability"
                    )));
                }
                scored.push(lp.min(0.0));
            }
        }
    }
    Ok(scored)
}

/// Cached answers: per (endpoint, model, `max_tokens`, request version, prediction), the
/// prediction's scored log-probabilities. Entry `<dir>/perplexity/<2 hex>/<key>.json`, a JSON
/// object `{format, key, logprobs, checksum}` (checksum: SHA-256 over the key and the
/// log-probabilities' JSON), written atomically (temporary file + rename). An entry that does not
/// check out is treated as missing and rewritten. The key never covers the API key.
#[derive(Debug, Clone)]
pub struct PerplexityCache {
    dir: PathBuf,
}

impl PerplexityCache {
    /// The cache inside the run's cache folder `cache_dir` (in `perplexity/`).
    pub fn new(cache_dir: &Path) -> Self {
        PerplexityCache {
            dir: cache_dir.join("perplexity"),
        }
    }

    /// The key (64 hex digits) of one prediction's answer under `params`.
    pub fn key(params: &PerplexityParams, prediction: &str) -> String {
        let material = format!(
            "{CACHE_FORMAT}\nbase_url={}\nmodel={}\nmax_tokens={}\nrequest={REQUEST_VERSION}\nprediction={prediction}",
            params.endpoint.public_base_url(),
            params.endpoint.model,
            params.max_tokens,
        );
        crate::fsutil::sha256_hex(material.as_bytes())
            .trim_start_matches("sha256:")
            .to_string()
    }

    /// The entry file of `key`.
    pub fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.json"))
    }

    fn checksum(key: &str, logprobs: &str) -> String {
        crate::fsutil::sha256_hex(format!("{key}\n{logprobs}").as_bytes())
    }

    /// The cached log-probabilities of `key`; `None` when absent or damaged.
    pub fn get(&self, key: &str) -> Option<Vec<f64>> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        let entry: Value = serde_json::from_str(&text).ok()?;
        if entry.get("format")?.as_str()? != CACHE_FORMAT || entry.get("key")?.as_str()? != key {
            return None;
        }
        let logprobs = entry.get("logprobs")?;
        if entry.get("checksum")?.as_str()? != Self::checksum(key, &logprobs.to_string()) {
            return None;
        }
        logprobs
            .as_array()?
            .iter()
            .map(|v| v.as_f64().filter(|x| x.is_finite() && *x <= 0.0))
            .collect()
    }

    /// Stores the log-probabilities of `key`.
    pub fn put(&self, key: &str, logprobs: &[f64]) -> Result<()> {
        let list = json!(logprobs);
        let entry = json!({
            "format": CACHE_FORMAT,
            "key": key,
            "logprobs": list,
            "checksum": Self::checksum(key, &list.to_string()),
        });
        crate::fsutil::write_atomic(&self.path(key), entry.to_string().as_bytes())
    }
}

/// What asking for one prediction gave: its scored log-probabilities, or the item's message.
type Asked = std::result::Result<Vec<f64>, String>;

/// Asks the server for one prediction's log-probabilities; `Err` is the item's message.
fn ask(
    params: &PerplexityParams,
    endpoint: &crate::http::JsonEndpoint,
    key: Option<&str>,
    prediction: &str,
) -> Asked {
    let body = params.request_body(prediction).to_string();
    let max_tokens = params.max_tokens;
    let secrets = params.endpoint.secrets(key);
    endpoint
        .post(&body, key, |text| {
            prompt_logprobs(text, prediction, max_tokens).map_err(|p| p.message())
        })
        .map(|answer| answer.value)
        .map_err(|failure| {
            let what = if failure.exhausted {
                format!(
                    "{}; retries exhausted (raise `retries` in [metric_params.perplexity] or \
                     check the server)",
                    failure.what
                )
            } else {
                failure.what
            };
            format!(
                "POST {} {} (attempt {} of {})",
                redact_url_credentials(endpoint.url()),
                admit(&what, &secrets, Bound::MESSAGE),
                failure.attempt,
                endpoint.retries() + 1
            )
        })
}

impl Metric for Perplexity {
    fn definitions(&self) -> Vec<MetricDef> {
        vec![MetricDef {
            id: ID.into(),
            direction: Direction::LowerIsBetter,
            reference_based: false,
            varies_by_machine: false,
            range: (Some(1.0), None),
            aggregation: "mean of items",
            description: "exp of minus the mean log-probability of the prediction's tokens \
                          under a language model served on /v1/completions (echo + logprobs)",
        }]
    }

    fn check_params(&self, _id: &str, options: &ScoringOptions) -> Result<()> {
        PerplexityParams::read(options).map(|_| ())
    }

    fn settings(
        &self,
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> BTreeMap<String, serde_json::Value> {
        if !wanted.contains(&ID) {
            return BTreeMap::new();
        }
        match PerplexityParams::read(options) {
            Ok(params) => BTreeMap::from([(format!("metric_params.{ID}"), params.identity())]),
            Err(_) => super::params_settings(wanted, options),
        }
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>> {
        if let Some(other) = wanted.iter().find(|w| **w != ID) {
            return Err(Error::Metric(MetricError::new(format!(
                "metric family `{ID}` cannot compute `{other}`"
            ))));
        }
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let params = PerplexityParams::read(options)?;
        let cache = options.cache_dir.as_deref().map(PerplexityCache::new);
        // Distinct non-empty predictions, each asked once.
        let mut texts: Vec<&str> = items
            .iter()
            .map(|i| i.prediction)
            .filter(|p| !p.trim().is_empty())
            .collect();
        texts.sort_unstable();
        texts.dedup();
        let mut found: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        let mut missing = Vec::new();
        for text in texts {
            let cached = match (&cache, options.refresh_cache) {
                (Some(cache), false) => cache.get(&PerplexityCache::key(&params, text)),
                _ => None,
            };
            match cached {
                Some(logprobs) => {
                    found.insert(text, logprobs);
                }
                None => missing.push(text),
            }
        }
        if !missing.is_empty() {
            let key = crate::http::api_key(
                params.endpoint.api_key_env.as_deref(),
                &format!("metric_params.{ID}.api_key_env"),
            )
            .map_err(|problem| Error::Metric(MetricError::of(ID, problem)))?;
            let endpoint = params.endpoint.endpoint("completions");
            let next = AtomicUsize::new(0);
            let answers: Mutex<Vec<(usize, Asked)>> = Mutex::new(Vec::new());
            std::thread::scope(|scope| {
                for _ in 0..params.concurrency.min(missing.len()) {
                    scope.spawn(|| {
                        loop {
                            let n = next.fetch_add(1, Ordering::SeqCst);
                            let Some(text) = missing.get(n) else { break };
                            let answer = ask(&params, &endpoint, key.as_deref(), text);
                            if let (Ok(logprobs), Some(cache)) = (&answer, &cache) {
                                // A cache that cannot be written costs a request next run.
                                let _ = cache.put(&PerplexityCache::key(&params, text), logprobs);
                            }
                            answers.lock().expect("answers lock").push((n, answer));
                        }
                    });
                }
            });
            let mut errors: BTreeMap<&str, String> = BTreeMap::new();
            for (n, answer) in answers.into_inner().expect("answers lock") {
                match answer {
                    Ok(logprobs) => {
                        found.insert(missing[n], logprobs);
                    }
                    Err(message) => {
                        errors.insert(missing[n], message);
                    }
                }
            }
            // The first failing item in dataset order, and how many failed.
            if let Some(item) = items.iter().find(|i| errors.contains_key(i.prediction)) {
                let failed = items
                    .iter()
                    .filter(|i| errors.contains_key(i.prediction))
                    .count();
                let more = if failed > 1 {
                    format!(" ({} of {} items failed)", failed, items.len())
                } else {
                    String::new()
                };
                return Err(Error::Metric(
                    MetricError::of(ID, format!("{}{more}", errors[item.prediction])).item(item.id),
                ));
            }
        }
        let per_item: Vec<Option<f64>> = items
            .iter()
            .map(|i| found.get(i.prediction).and_then(|lp| perplexity_of(lp)))
            .collect();
        Ok(vec![MetricValues {
            id: ID.into(),
            aggregate: mean_of(&per_item),
            per_item,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(logprobs: Value, offsets: Option<Value>, text: &str) -> String {
        let mut lp = json!({"tokens": [], "token_logprobs": logprobs});
        if let Some(o) = offsets {
            lp["text_offset"] = o;
        }
        json!({"choices": [{"text": text, "logprobs": lp}], "usage": {"completion_tokens": 1}})
            .to_string()
    }

    #[test]
    fn generated_tokens_and_nulls_are_left_out() {
        let a = answer(
            json!([null, -1.0, -2.0, -0.5, -9.0]),
            Some(json!([0, 3, 6, 9, 12])),
            "abc def ghi!X",
        );
        let lp = prompt_logprobs(&a, "abc def ghi!", 1).unwrap();
        assert_eq!(lp, vec![-1.0, -2.0, -0.5]);
        let ppl = perplexity_of(&lp).unwrap();
        assert!((ppl - (3.5f64 / 3.0).exp()).abs() < 1e-12);
        // Without offsets: usage.completion_tokens.
        let a = answer(json!([null, -1.0, -2.0, -0.5, -9.0]), None, "abc def ghi!X");
        assert_eq!(
            prompt_logprobs(&a, "abc def ghi!", 1).unwrap(),
            vec![-1.0, -2.0, -0.5]
        );
        // `usage.prompt_tokens` wins over offsets shifted by a BOS token's text ("<s>").
        let a = json!({"choices": [{"text": "Hi there.!", "logprobs": {
            "tokens": ["<s>", "Hi", " there", ".", "!"],
            "token_logprobs": [null, -1.0, -2.0, -0.5, -9.0],
            "text_offset": [0, 3, 5, 11, 12]}}],
            "usage": {"prompt_tokens": 4, "completion_tokens": 1}})
        .to_string();
        assert_eq!(
            prompt_logprobs(&a, "Hi there.", 1).unwrap(),
            vec![-1.0, -2.0, -0.5]
        );
        // A server that does not echo: fewer entries than prompt tokens.
        let a = json!({"choices": [{"text": "!", "logprobs": {"tokens": ["!"], "token_logprobs": [-1.0]}}],
            "usage": {"prompt_tokens": 4, "completion_tokens": 1}})
        .to_string();
        assert!(matches!(
            prompt_logprobs(&a, "Hi there.", 1),
            Err(AnswerProblem::NoLogprobs(_))
        ));
        // Offsets count characters, not bytes.
        let a = answer(json!([null, -1.0, -3.0]), Some(json!([0, 1, 2])), "ééX");
        assert_eq!(prompt_logprobs(&a, "éé", 0).unwrap(), vec![-1.0]);
    }

    #[test]
    fn answers_without_logprobs_or_echo_are_errors() {
        let none = json!({"choices": [{"text": "x", "logprobs": null}]}).to_string();
        assert!(matches!(
            prompt_logprobs(&none, "x", 1),
            Err(AnswerProblem::NoLogprobs(_))
        ));
        let no_echo = answer(json!([-1.0]), Some(json!([0])), " next");
        assert!(matches!(
            prompt_logprobs(&no_echo, "abc", 1),
            Err(AnswerProblem::NoLogprobs(_))
        ));
        let positive = answer(json!([null, 0.5]), Some(json!([0, 1])), "ab");
        assert!(matches!(
            prompt_logprobs(&positive, "ab", 0),
            Err(AnswerProblem::Malformed(_))
        ));
        assert_eq!(perplexity_of(&[]), None);
    }
}
