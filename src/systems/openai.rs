//! The `openai` system kind: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM,
//! llama.cpp server, Ollama).
//!
//! Per item it posts `{"model", "messages": [system?, user], "temperature"?, "max_tokens"?,
//! "seed"?, ...extra_body}` (with `samples` > 1, `seed` is the configured seed, or 0, plus the
//! sample index, and the configured temperature is kept) to `<base_url>/chat/completions` and reads
//! `choices[0].message.content` and `usage.{prompt_tokens, completion_tokens}`. An empty,
//! truncated (`finish_reason` `length`), filtered, tool-call or refused answer fails the item
//! (see [`PROTOCOL_VERSION`]).
//!
//! Prompt templates replace `{input}`, `{id}` and `{<metadata field>}` (`{a.b}` reaches into
//! nested objects; arrays of strings are joined with ", "); `{{` and `}}` are literal braces. The API key is read from the environment
//! variable named by `api_key_env` at request time; it is never stored in the system, logged,
//! fingerprinted or written anywhere.
//!
//! Retries: 429, 5xx, timeouts and connection errors are retried up to `retries` times with
//! exponential backoff (`retry_backoff_ms`, doubled each attempt, at most 30 s) or the server's
//! `Retry-After` (seconds, at most 120 s) when given (see [`crate::http`], shared with the
//! metrics that call servers).

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::config::keys::Keys;
use crate::error::{Error, Result, SystemError};
use crate::http::{JsonEndpoint, snippet};
use crate::outside::{Bound, Secrets, admit, redact_url_credentials};
use crate::systems::{Generation, System, SystemRequest, Usage};

/// Version of what evalgate sends and how it reads answers; part of the fingerprint, bumped
/// when that changes, so outputs cached or baselined under the old protocol are not reused.
///
/// 2: empty, truncated (`finish_reason` `length`), filtered, tool-call and refused answers are
/// errors; under 1 they were outputs, so entries cached under 1 may hold such answers.
pub const PROTOCOL_VERSION: u32 = 2;

/// An `openai` system: chat completions over HTTP.
#[derive(Debug, Clone)]
pub struct OpenAiSystem {
    name: String,
    base_url: String,
    model: String,
    api_key_env: Option<String>,
    system_prompt: Option<Template>,
    user_prompt: Template,
    temperature: Option<f64>,
    max_tokens: Option<i64>,
    seed: Option<i64>,
    extra_body: serde_json::Map<String, Value>,
    concurrency: usize,
    /// `<base_url>/chat/completions` with the timeout and retries; its HTTP client is shared by
    /// all items so connections are reused.
    http: JsonEndpoint,
}

impl OpenAiSystem {
    /// Builds an OpenAI-compatible system from its `[systems.<name>]` table.
    ///
    /// Keys: `kind = "openai"`, `base_url` (e.g. `https://api.openai.com/v1`,
    /// `http://127.0.0.1:8080/v1`), `model` (required), `api_key_env` (name of the environment
    /// variable holding the key; omit for local servers without auth), `system_prompt` or
    /// `system_prompt_file`, `user_prompt` or `user_prompt_file` (default `"{input}"`; files
    /// relative to `project_root`), `temperature`, `max_tokens`, `seed`, `extra_body = {...}`
    /// (merged into the request body), `timeout_secs` (default 120), `retries` (default 3),
    /// `retry_backoff_ms` (first backoff, default 1000), `concurrency` (default 4).
    pub fn from_config(name: &str, table: &toml::Table, project_root: &Path) -> Result<Self> {
        Self::from_keys(Keys::new("systems", name, table), project_root)
    }

    /// Builds it from its table's keys (as [`OpenAiSystem::from_config`]); errors name the file
    /// and line when the keys carry them.
    pub fn from_keys(keys: Keys<'_>, project_root: &Path) -> Result<Self> {
        let name = keys.name();
        keys.allow_only(&[
            "kind",
            "base_url",
            "model",
            "api_key_env",
            "system_prompt",
            "system_prompt_file",
            "user_prompt",
            "user_prompt_file",
            "temperature",
            "max_tokens",
            "seed",
            "extra_body",
            "timeout_secs",
            "retries",
            "retry_backoff_ms",
            "concurrency",
            "samples",
        ])?;
        let base_url = keys.string("base_url")?.ok_or_else(|| {
            keys.error(
                "base_url",
                "is missing; e.g. base_url = \"http://127.0.0.1:8080/v1\"",
            )
        })?;
        if let Some(problem) = crate::http::base_url_problem(&base_url) {
            return Err(keys.error("base_url", &problem));
        }
        let model = keys.string("model")?.ok_or_else(|| {
            keys.error(
                "model",
                "is missing; give the model name the server expects",
            )
        })?;
        let api_key_env = keys.string("api_key_env")?;
        if let Some(name) = &api_key_env {
            // Its value becomes a secret wherever it shows up, whatever the variable is called.
            crate::http::check_api_key_env(name)
                .map_err(|problem| keys.error("api_key_env", &problem))?;
        }
        let system_prompt = prompt(&keys, project_root, "system_prompt")?;
        let user_prompt = prompt(&keys, project_root, "user_prompt")?
            .unwrap_or_else(|| Template::parse("{input}").expect("valid template"));
        let temperature = keys.number("temperature")?;
        if let Some(t) = temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Err(keys.error("temperature", &format!("is {t}; give a value from 0 to 2")));
        }
        let max_tokens = keys.integer("max_tokens")?;
        if let Some(m) = max_tokens
            && m <= 0
        {
            return Err(keys.error("max_tokens", &format!("is {m}; give a positive number")));
        }
        let seed = keys.integer("seed")?;
        let extra_body = match keys.json("extra_body")? {
            Some(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        for reserved in ["model", "messages"] {
            if extra_body.contains_key(reserved) {
                return Err(keys.error(
                    "extra_body",
                    &format!(
                        "sets `{reserved}`, which would replace the request's `{reserved}`; set \
                         it with the dedicated key instead"
                    ),
                ));
            }
        }
        let timeout = keys.positive_secs("timeout_secs")?.unwrap_or(120.0);
        let retries = keys.count("retries")?.unwrap_or(3);
        let retry_backoff_ms = keys.integer("retry_backoff_ms")?.unwrap_or(1000);
        if !(0..=60_000).contains(&retry_backoff_ms) {
            return Err(keys.error(
                "retry_backoff_ms",
                &format!("is {retry_backoff_ms}; give milliseconds from 0 to 60000"),
            ));
        }
        let concurrency = keys.integer("concurrency")?.unwrap_or(4);
        if !(1..=256).contains(&concurrency) {
            return Err(keys.error(
                "concurrency",
                &format!("is {concurrency}; give a number from 1 to 256"),
            ));
        }
        let base_url = base_url.trim_end_matches('/').to_string();
        Ok(OpenAiSystem {
            name: name.to_string(),
            http: JsonEndpoint::new(
                format!("{base_url}/chat/completions"),
                Duration::from_secs_f64(timeout),
                retries,
                Duration::from_millis(retry_backoff_ms as u64),
            ),
            base_url,
            model,
            api_key_env,
            system_prompt,
            user_prompt,
            temperature,
            max_tokens,
            seed,
            extra_body,
            concurrency: concurrency as usize,
        })
    }

    /// The JSON body sent for one item.
    pub fn request_body(&self, request: &SystemRequest<'_>) -> Result<Value> {
        let mut messages = Vec::new();
        if let Some(system) = &self.system_prompt {
            messages.push(json!({"role": "system", "content": self.render(system, "system_prompt", request)?}));
        }
        messages.push(json!({"role": "user", "content": self.render(&self.user_prompt, "user_prompt", request)?}));
        let mut body = serde_json::Map::new();
        body.insert("model".into(), json!(self.model));
        body.insert("messages".into(), Value::Array(messages));
        if let Some(t) = self.temperature {
            body.insert("temperature".into(), json!(t));
        }
        if let Some(m) = self.max_tokens {
            body.insert("max_tokens".into(), json!(m));
        }
        if let Some(s) = self.sample_seed(request) {
            body.insert("seed".into(), json!(s));
        }
        for (k, v) in &self.extra_body {
            body.insert(k.clone(), v.clone());
        }
        Ok(Value::Object(body))
    }

    /// The `seed` sent for a request: the configured `seed` with one sample; with several
    /// (`samples` > 1), the configured seed (or 0) plus the request's seed (its sample index k),
    /// so each sample asks the server for a different, reproducible draw.
    pub fn sample_seed(&self, request: &SystemRequest<'_>) -> Option<i64> {
        if request.samples <= 1 {
            return self.seed;
        }
        let k = i64::try_from(request.seed).unwrap_or(i64::MAX);
        Some(self.seed.unwrap_or(0).saturating_add(k))
    }

    fn render(
        &self,
        template: &Template,
        key: &str,
        request: &SystemRequest<'_>,
    ) -> Result<String> {
        template.render(request).map_err(|field| {
            let available = request
                .metadata
                .as_object()
                .map(|m| m.keys().map(|k| format!(", {k}")).collect::<String>())
                .unwrap_or_default();
            Error::System(
                SystemError::of(
                    &self.name,
                    format!(
                        "{key} uses `{{{field}}}`, but the item has no metadata field `{field}` \
                         (available: input, id{})",
                        admit(&available, &Secrets::none(), Bound::one_line(500))
                    ),
                )
                .item(request.item_id),
            )
        })
    }

    fn api_key(&self) -> Result<Option<String>> {
        crate::http::api_key(
            self.api_key_env.as_deref(),
            &format!("systems.{}.api_key_env", self.name),
        )
        .map_err(|problem| Error::System(SystemError::of(&self.name, problem)))
    }

    /// What the server or the transport may echo that must not be stored: the key sent, the
    /// credentials in `base_url`, values of secret-looking environment variables.
    fn secrets(&self, key: Option<&str>) -> Secrets {
        let secrets = Secrets::from_env().with_url_credentials(&self.base_url);
        match key {
            Some(key) => secrets.with(key),
            None => secrets,
        }
    }

    /// The error for an item. `what` holds outside text (response bodies, transport errors): it
    /// is admitted here, the one way attempt failures leave this system.
    fn item_error(&self, item_id: &str, attempt: u32, what: &str, secrets: &Secrets) -> Error {
        Error::System(
            SystemError::of(
                &self.name,
                format!(
                    "POST {} {} (attempt {attempt} of {})",
                    redact_url_credentials(self.http.url()),
                    admit(what, secrets, Bound::MESSAGE),
                    self.http.retries() + 1
                ),
            )
            .item(item_id),
        )
    }
}

/// Reads `choices[0].message.content` and the token usage from a chat-completions response.
///
/// An answer that is not a usable answer is an error, never an output to score and cache: one
/// cut short (`finish_reason` `length`: at `max_tokens`; `content_filter`), one that calls a tool
/// instead of answering (`tool_calls`, `function_call`), a refusal, `content: null`, and empty or
/// whitespace-only content. `max_tokens` is the system's setting, named in the message.
fn parse_completion(
    text: &str,
    max_tokens: Option<i64>,
) -> std::result::Result<Generation, String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("answered with malformed JSON ({e}): {}", snippet(text)))?;
    let choice = value.pointer("/choices/0");
    let message = choice.and_then(|c| c.get("message"));
    let finish_reason = choice
        .and_then(|c| c.get("finish_reason"))
        .and_then(Value::as_str);
    let usage = value.get("usage").and_then(|u| {
        Some(Usage {
            input_tokens: u.get("prompt_tokens")?.as_u64()?,
            output_tokens: u.get("completion_tokens")?.as_u64()?,
        })
    });
    match finish_reason {
        Some("length") => {
            let used = usage.map_or(String::new(), |u| {
                format!(" after {} completion tokens", u.output_tokens)
            });
            let limit = match max_tokens {
                Some(n) => format!("`max_tokens` (now {n})"),
                None => "`max_tokens` (not set, so the server's own limit applied)".to_string(),
            };
            return Err(format!(
                "answered with a truncated answer: it was cut at max_tokens{used} \
                 (finish_reason `length`); raise {limit} so that answers end on their own"
            ));
        }
        Some("content_filter") => {
            return Err(
                "answered with an answer withheld or cut by the server's content filter \
                 (finish_reason `content_filter`)"
                    .to_string(),
            );
        }
        Some(reason @ ("tool_calls" | "function_call")) => {
            return Err(format!(
                "answered with a tool call instead of text (finish_reason `{reason}`); evalgate \
                 does not run tools: remove `tools`/`functions` from extra_body or prompt for a \
                 text answer"
            ));
        }
        _ => {}
    }
    let content = message.and_then(|m| m.get("content"));
    let reason = finish_reason.map_or(String::new(), |r| format!(", finish_reason `{r}`"));
    match content {
        Some(Value::String(content)) if content.trim().is_empty() => Err(format!(
            "answered with an empty `choices[0].message.content` ({} characters of \
             whitespace{reason}); an empty answer is an error, not a prediction",
            content.chars().count()
        )),
        Some(Value::String(content)) => Ok(Generation {
            output: content.clone(),
            latency_ms: None,
            usage,
            cost_usd: None,
            warnings: Vec::new(),
        }),
        Some(Value::Null) => {
            let refusal = message
                .and_then(|m| m.get("refusal"))
                .and_then(Value::as_str)
                .filter(|r| !r.trim().is_empty());
            let tool_calls = message
                .and_then(|m| m.get("tool_calls").or_else(|| m.get("function_call")))
                .is_some_and(|t| !t.is_null());
            Err(if let Some(refusal) = refusal {
                format!(
                    "refused to answer (`choices[0].message.refusal`: {}; content is null)",
                    snippet(refusal)
                )
            } else if tool_calls {
                format!(
                    "answered with a tool call instead of text (`content` is null, `tool_calls` \
                     present{reason}); evalgate does not run tools: remove `tools`/`functions` \
                     from extra_body or prompt for a text answer"
                )
            } else {
                format!(
                    "answered with `choices[0].message.content: null`{reason}: {}",
                    snippet(text)
                )
            })
        }
        _ => Err(format!(
            "answered without a text `choices[0].message.content`: {}",
            snippet(text)
        )),
    }
}

impl System for OpenAiSystem {
    fn fingerprint(&self) -> Value {
        // Prompts read from files enter as the file (named when it changes); inline ones as text.
        let inline = |t: &Template| t.file.is_none().then(|| t.source.clone());
        let file = |t: &Template| t.file.clone();
        let mut fingerprint = json!({
            "kind": "openai",
            "protocol": PROTOCOL_VERSION,
            "base_url": self.base_url,
            "model": self.model,
            "system_prompt": self.system_prompt.as_ref().and_then(inline),
            "system_prompt_file": self.system_prompt.as_ref().and_then(file),
            "user_prompt": inline(&self.user_prompt),
            "user_prompt_file": file(&self.user_prompt),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "extra_body": self.extra_body,
        });
        let files: std::collections::BTreeMap<String, String> = self
            .system_prompt
            .iter()
            .chain(std::iter::once(&self.user_prompt))
            .filter_map(|t| {
                t.file
                    .as_ref()
                    .map(|f| (f.clone(), crate::fsutil::sha256_hex(t.source.as_bytes())))
            })
            .collect();
        if !files.is_empty() {
            super::changes::insert_files(&mut fingerprint, &files);
        }
        fingerprint
    }

    fn generate(&self, request: &SystemRequest<'_>) -> Result<Generation> {
        let body = self.request_body(request)?.to_string();
        let key = self.api_key()?;
        let secrets = self.secrets(key.as_deref());
        let max_tokens = self.max_tokens;
        let outcome = self.http.post(&body, key.as_deref(), |text| {
            parse_completion(text, max_tokens)
        });
        let retried = match &outcome {
            Ok(answer) => &answer.retried,
            Err(failure) => &failure.retried,
        };
        let warnings: Vec<String> = retried
            .iter()
            .map(|r| {
                format!(
                    "system `{}`: item `{}`: attempt {} of {} {}; retried after {:.1} s",
                    self.name,
                    request.item_id,
                    r.attempt,
                    self.http.retries() + 1,
                    admit(&r.what, &secrets, Bound::MESSAGE),
                    r.pause.as_secs_f64()
                )
            })
            .collect();
        match outcome {
            Ok(answer) => {
                let mut generation = answer.value;
                generation.latency_ms = Some(answer.elapsed.as_secs_f64() * 1000.0);
                generation.warnings = warnings;
                Ok(generation)
            }
            Err(failure) if failure.exhausted => Err(self.item_error(
                request.item_id,
                failure.attempt,
                &format!(
                    "{}; retries exhausted (raise `retries` or check the server)",
                    failure.what
                ),
                &secrets,
            )),
            Err(failure) => {
                Err(self.item_error(request.item_id, failure.attempt, &failure.what, &secrets))
            }
        }
    }

    fn max_concurrency(&self) -> Option<usize> {
        Some(self.concurrency)
    }

    fn model(&self) -> Option<&str> {
        Some(&self.model)
    }
}

/// Reads `<key>` or `<key>_file` (not both).
fn prompt(keys: &Keys<'_>, project_root: &Path, key: &str) -> Result<Option<Template>> {
    let file_key = format!("{key}_file");
    let inline = keys.string(key)?;
    let file = keys.string(&file_key)?;
    let (source, label) = match (inline, file) {
        (Some(_), Some(_)) => {
            return Err(keys.error(key, &format!("and {file_key} are both set; keep one")));
        }
        (Some(text), None) => (text, None),
        (None, Some(file)) => {
            let path = project_root.join(&file);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                keys.error(
                    &file_key,
                    &format!("names {}, which cannot be read: {e}", path.display()),
                )
            })?;
            (text, Some(file))
        }
        (None, None) => return Ok(None),
    };
    let mut template = Template::parse(&source)
        .map_err(|problem| keys.error(key, &format!("is not a valid template: {problem}")))?;
    template.file = label;
    Ok(Some(template))
}

/// A prompt template: literal text and `{field}` placeholders.
#[derive(Debug, Clone)]
struct Template {
    source: String,
    /// The `*_file` it was read from, as written in the config.
    file: Option<String>,
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Field(String),
}

impl Template {
    fn parse(source: &str) -> std::result::Result<Self, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = source.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|(_, n)| *n) == Some('{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek().map(|(_, n)| *n) == Some('}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut field = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            Some((_, ch))
                                if ch.is_alphanumeric() || ch == '_' || ch == '-' || ch == '.' =>
                            {
                                field.push(ch)
                            }
                            _ => {
                                return Err(format!(
                                    "placeholder opened at byte {at} is not closed or holds other \
                                     than a field name; write {{{{ for a literal brace"
                                ));
                            }
                        }
                    }
                    if field.is_empty() {
                        return Err(format!("empty placeholder `{{}}` at byte {at}"));
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Field(field));
                }
                '}' => {
                    return Err(format!(
                        "unmatched `}}` at byte {at}; write }}}} for a literal brace"
                    ));
                }
                other => text.push(other),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template {
            source: source.to_string(),
            file: None,
            parts,
        })
    }

    /// Fills the placeholders; `Err(field)` names a field the item does not have.
    fn render(&self, request: &SystemRequest<'_>) -> std::result::Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field(f) if f == "input" => out.push_str(request.input),
                Part::Field(f) if f == "id" => out.push_str(request.item_id),
                Part::Field(f) => match f
                    .split('.')
                    .try_fold(request.metadata, |value, step| value.get(step))
                {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(Value::Array(items)) => {
                        let shown: Vec<String> = items
                            .iter()
                            .map(|v| {
                                v.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| v.to_string())
                            })
                            .collect();
                        out.push_str(&shown.join(", "));
                    }
                    Some(Value::Null) | None => return Err(f.clone()),
                    Some(other) => out.push_str(&other.to_string()),
                },
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_fills_input_metadata_and_escapes() {
        let t =
            Template::parse("Title: {title}; speakers: {speakers}; {{literal}}\n{input}").unwrap();
        let meta =
            json!({"title": "Remote work", "speakers": ["Maya", "Tom"], "show": {"host": "Ann"}});
        let req = SystemRequest {
            item_id: "ep1",
            input: "hello",
            metadata: &meta,
            sample: 0,
            samples: 1,
            seed: 0,
        };
        assert_eq!(
            t.render(&req).unwrap(),
            "Title: Remote work; speakers: Maya, Tom; {literal}\nhello"
        );
        let t = Template::parse("{show.host}").unwrap();
        assert_eq!(t.render(&req).unwrap(), "Ann");
        let t = Template::parse("{missing}").unwrap();
        assert_eq!(t.render(&req).unwrap_err(), "missing");
    }

    #[test]
    fn broken_templates_are_rejected() {
        assert!(Template::parse("{input").is_err());
        assert!(Template::parse("a } b").is_err());
        assert!(Template::parse("{}").is_err());
        assert!(Template::parse("{ input }").is_err());
    }

    #[test]
    fn several_samples_send_a_seed_per_sample_and_keep_the_temperature() {
        let system = |extra: &str| {
            let table: toml::Table = toml::from_str(&format!(
                "kind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodel = \"m\"\n\
                 temperature = 0.7\n{extra}"
            ))
            .unwrap();
            OpenAiSystem::from_config("s", &table, Path::new(".")).unwrap()
        };
        let meta = json!({});
        let one = SystemRequest::new("ep1", "hello", &meta);
        let body = |s: &OpenAiSystem, r: &SystemRequest<'_>| s.request_body(r).unwrap();
        // One sample: the seed only when configured.
        let unseeded = system("");
        assert_eq!(body(&unseeded, &one).get("seed"), None);
        let seeded = system("seed = 42");
        assert_eq!(body(&seeded, &one)["seed"], 42);
        // Several: the configured seed (or 0) plus k, and the temperature kept.
        for k in 0..3 {
            let r = one.sampled(k, 3);
            assert_eq!(body(&seeded, &r)["seed"], 42 + i64::from(k));
            assert_eq!(body(&unseeded, &r)["seed"], i64::from(k));
            assert_eq!(body(&unseeded, &r)["temperature"], 0.7);
        }
    }
}
