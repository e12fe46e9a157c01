//! JSON over HTTP to OpenAI-compatible servers, shared by the `openai` system
//! (`/chat/completions`), the `perplexity` metric (`/completions`) and the embeddings endpoint
//! client (`/embeddings`): one POST per attempt, retries with backoff, and the classification of
//! answers into retryable failures, fatal failures and bodies to parse. Its retry schedule
//! ([`RetryPolicy`]), `Retry-After` reading and client setup also serve the webhook and GitHub
//! clients of [`crate::report`].
//!
//! Retries: HTTP 429, 5xx, timeouts and connection errors are retried up to `retries` times with
//! exponential backoff (`retry_backoff`, doubled each attempt, at most [`MAX_BACKOFF`]) or the
//! server's `Retry-After` (seconds, at most [`MAX_RETRY_AFTER`]) when given. Other non-2xx
//! statuses are fatal at once.
//!
//! Everything this module returns as text (response bodies, transport errors) is outside text:
//! the caller passes it through [`crate::outside::admit`] with the secrets of its request (the
//! key it sent, credentials in the URL) before it goes into a message. The API key is only ever
//! put into the `Authorization` header.

use std::time::{Duration, Instant};

/// Longest wait honoured from a `Retry-After` header.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Longest backoff between attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// One endpoint (a full URL such as `http://127.0.0.1:8000/v1/completions`) with its timeout and
/// retry policy, and one HTTP client shared by every request so connections are reused.
#[derive(Debug, Clone)]
pub struct JsonEndpoint {
    url: String,
    timeout: Duration,
    retries: u32,
    retry_backoff: Duration,
    agent: ureq::Agent,
}

/// One attempt's failure: retry (with the server's requested wait, if any) or give up.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptError {
    /// 429, 5xx, a timeout or a connection error: worth another attempt.
    Retryable {
        /// What happened (outside text: admit it before showing it).
        what: String,
        /// The wait the server asked for (`Retry-After`), capped at [`MAX_RETRY_AFTER`].
        retry_after: Option<Duration>,
    },
    /// Anything else (4xx other than 429, an answer that cannot be used): no retry.
    Fatal(String),
}

/// An attempt that failed and was retried.
#[derive(Debug, Clone, PartialEq)]
pub struct Retried {
    /// Which attempt failed (1 is the first).
    pub attempt: u32,
    /// What happened (outside text: admit it before showing it).
    pub what: String,
    /// How long evalgate waited before the next attempt.
    pub pause: Duration,
}

/// A successful call: the parsed answer, how long its (last) attempt took, and the attempts
/// retried before it.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    /// What the parser made of the 2xx body.
    pub value: T,
    /// Duration of the attempt that succeeded (earlier attempts and pauses excluded).
    pub elapsed: Duration,
    /// The failed attempts before it, in order.
    pub retried: Vec<Retried>,
}

/// A call that failed for good.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The attempt that failed last (1 is the first).
    pub attempt: u32,
    /// What happened on it (outside text: admit it before showing it).
    pub what: String,
    /// True when it failed because the retries ran out (the last failure was retryable).
    pub exhausted: bool,
    /// The failed attempts retried before it, in order.
    pub retried: Vec<Retried>,
}

impl JsonEndpoint {
    /// An endpoint at `url`: each attempt may take `timeout` in all (connect, send, read);
    /// retryable failures are retried `retries` times, the first after `retry_backoff`.
    pub fn new(url: String, timeout: Duration, retries: u32, retry_backoff: Duration) -> Self {
        JsonEndpoint {
            url,
            timeout,
            retries,
            retry_backoff,
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(timeout))
                .build()
                .into(),
        }
    }

    /// The full URL posted to (it may hold credentials: redact it with
    /// [`crate::outside::redact_url_credentials`] before showing it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many times a retryable failure is retried.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The wait after failed attempt `attempt` (1-based) when the server asks for none:
    /// `retry_backoff × 2^(attempt − 1)`, at most [`MAX_BACKOFF`].
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.policy().backoff(attempt)
    }

    /// One POST of the JSON `body` (with `Authorization: Bearer <key>` when `key` is given):
    /// the body of a 2xx answer, or how the attempt failed. 429 and 5xx are retryable, with the
    /// server's `Retry-After`; 401/403 and 404 come with a hint on what to check.
    pub fn attempt(&self, body: &str, key: Option<&str>) -> Result<String, AttemptError> {
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        if let Some(key) = key {
            req = req.header("Authorization", format!("Bearer {key}"));
        }
        let mut response = match req.send(body) {
            Ok(r) => r,
            Err(e) => {
                let what = match e {
                    ureq::Error::Timeout(_) => format!(
                        "timed out after {:.1} s (timeout_secs)",
                        self.timeout.as_secs_f64()
                    ),
                    other => format!("failed: {other}"),
                };
                return Err(AttemptError::Retryable {
                    what,
                    retry_after: None,
                });
            }
        };
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers(), MAX_RETRY_AFTER);
        let text = match response.body_mut().read_to_string() {
            Ok(t) => t,
            Err(ureq::Error::Timeout(_)) => {
                return Err(AttemptError::Retryable {
                    what: format!(
                        "timed out after {:.1} s reading the response (timeout_secs)",
                        self.timeout.as_secs_f64()
                    ),
                    retry_after: None,
                });
            }
            Err(e) => {
                return Err(AttemptError::Retryable {
                    what: format!("response could not be read: {e}"),
                    retry_after: None,
                });
            }
        };
        if status == 429 || (500..600).contains(&status) {
            return Err(AttemptError::Retryable {
                what: format!("answered HTTP {status}: {}", snippet(&text)),
                retry_after,
            });
        }
        if !(200..300).contains(&status) {
            let hint = match status {
                401 | 403 => "; check the key in the environment variable named by api_key_env",
                404 => "; check base_url (it usually ends in /v1) and model",
                _ => "",
            };
            return Err(AttemptError::Fatal(format!(
                "answered HTTP {status}: {}{hint}",
                snippet(&text)
            )));
        }
        Ok(text)
    }

    /// POSTs `body` until an attempt succeeds and `parse` accepts its 2xx body, retrying
    /// retryable failures ([`JsonEndpoint::attempt`]) after the backoff or the server's
    /// `Retry-After`. A parse error (`Err(what)`) is fatal: an answer in the wrong shape is not
    /// retried.
    pub fn post<T>(
        &self,
        body: &str,
        key: Option<&str>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Answer<T>, Failure> {
        self.policy().run(|| {
            self.attempt(body, key)
                .and_then(|text| parse(&text).map_err(AttemptError::Fatal))
        })
    }

    /// The retry policy of [`JsonEndpoint::post`]: `retries` + 1 attempts, the backoff at most
    /// [`MAX_BACKOFF`], `Retry-After` at most [`MAX_RETRY_AFTER`], no limit on waiting in all.
    fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.retries.saturating_add(1),
            backoff: self.retry_backoff,
            max_backoff: MAX_BACKOFF,
            max_retry_after: MAX_RETRY_AFTER,
            max_total_wait: None,
        }
    }
}

/// When a failed attempt is tried again, and how often: the schedule that [`RetryPolicy::run`]
/// follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (0 counts as 1).
    pub max_attempts: u32,
    /// The wait after the first failed attempt when the server asks for none; doubled after
    /// each further one.
    pub backoff: Duration,
    /// The longest such backoff (`Duration::MAX`: none).
    pub max_backoff: Duration,
    /// The longest wait honoured from a `Retry-After`.
    pub max_retry_after: Duration,
    /// The most waiting in all (`None`: no limit): the last wait is cut to what is left, and a
    /// retryable failure once nothing is left ends the call.
    pub max_total_wait: Option<Duration>,
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based) when the server asks for none:
    /// `backoff × 2^(attempt − 1)`, at most `max_backoff`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }

    /// Calls `attempt` until it succeeds, fails fatally ([`AttemptError::Fatal`]) or the
    /// attempts or the waiting run out, sleeping between attempts: the server's `Retry-After`
    /// (at most `max_retry_after`) when given, else [`RetryPolicy::backoff`].
    ///
    /// Errors with the last attempt's failure ([`Failure::exhausted`] when it was retryable).
    pub fn run<T>(
        &self,
        mut attempt: impl FnMut() -> Result<T, AttemptError>,
    ) -> Result<Answer<T>, Failure> {
        let mut number = 1;
        let mut retried = Vec::new();
        let mut waited = Duration::ZERO;
        loop {
            let started = Instant::now();
            let (what, retry_after) = match attempt() {
                Ok(value) => {
                    return Ok(Answer {
                        value,
                        elapsed: started.elapsed(),
                        retried,
                    });
                }
                Err(AttemptError::Fatal(what)) => {
                    return Err(Failure {
                        attempt: number,
                        what,
                        exhausted: false,
                        retried,
                    });
                }
                Err(AttemptError::Retryable { what, retry_after }) => (what, retry_after),
            };
            let wait = retry_after.map_or_else(
                || self.backoff(number),
                |after| after.min(self.max_retry_after),
            );
            let left = self
                .max_total_wait
                .map_or(Duration::MAX, |max| max.saturating_sub(waited));
            if number >= self.max_attempts.max(1) || (left.is_zero() && !wait.is_zero()) {
                return Err(Failure {
                    attempt: number,
                    what,
                    exhausted: true,
                    retried,
                });
            }
            let pause = wait.min(left);
            retried.push(Retried {
                attempt: number,
                what,
                pause,
            });
            std::thread::sleep(pause);
            waited = waited.saturating_add(pause);
            number += 1;
        }
    }
}

/// The wait a response's `Retry-After` header asks for (seconds, possibly fractional), at most
/// `cap`; `None` when there is no such header or it is not a number of seconds (an HTTP date
/// included).
pub(crate) fn retry_after(headers: &ureq::http::HeaderMap, cap: Duration) -> Option<Duration> {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(cap.as_secs_f64())))
}

/// An HTTP client for a third-party service (a webhook, the GitHub API): statuses come back as
/// answers, not errors; redirects are not followed; each request may take `timeout` in all; the
/// user agent is `evalgate`. On a `loopback` URL (tests) no proxy is used.
pub(crate) fn service_agent(timeout: Duration, loopback: bool) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .user_agent("evalgate");
    if loopback {
        config = config.proxy(None);
    }
    config.build().into()
}

/// The start of a response body for a message: at most 300 characters, in backticks, `…` when
/// cut. Still outside text: admit it.
pub fn snippet(text: &str) -> String {
    const MAX: usize = 300;
    let mut cut: String = text.chars().take(MAX).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("`{cut}`")
}

/// The API key from the environment variable `var` (`Ok(None)` when no variable is configured);
/// `Err` says which variable is unset or empty, and `key_path` (e.g.
/// `systems.chat.api_key_env`) which setting named it. The key itself never enters a message.
pub fn api_key(var: Option<&str>, key_path: &str) -> Result<Option<String>, String> {
    let Some(var) = var else {
        return Ok(None);
    };
    match std::env::var(var) {
        Ok(key) if !key.is_empty() => Ok(Some(key)),
        _ => Err(format!(
            "environment variable `{var}` ({key_path}) is not set; export it with the API key"
        )),
    }
}

/// Checks a configured `base_url`: `Err` says what is wrong (the URL shown redacted) when it
/// does not start with `http://` or `https://`.
pub fn base_url_problem(base_url: &str) -> Option<String> {
    (!(base_url.starts_with("http://") || base_url.starts_with("https://"))).then(|| {
        format!(
            "is `{}`; it must start with http:// or https://",
            crate::outside::admit(
                base_url,
                &crate::outside::Secrets::none(),
                crate::outside::Bound::SNIPPET
            )
        )
    })
}

/// Checks a configured `api_key_env` (the NAME of a variable, never the key) and declares the
/// variable's value secret wherever it shows up; `Err` says what is wrong.
pub fn check_api_key_env(name: &str) -> Result<(), String> {
    if let Some(problem) = crate::outside::env_name_problem(name) {
        return Err(format!(
            "{problem}; it must be the NAME of an environment variable (e.g. \"OPENAI_API_KEY\"), \
             never the key itself"
        ));
    }
    crate::outside::declare_secret_env(name);
    Ok(())
}

/// A JSON parameter table of a metric that calls an OpenAI-compatible server (as
/// `[metric_params.perplexity]` or `endpoint = { ... }` under `[metric_params.<id>]` arrive,
/// TOML turned into JSON). Every error is a configuration error whose key is
/// `<path>.<key>`, so the suite loader can name the line.
#[derive(Debug, Clone)]
pub struct ParamTable<'a> {
    path: &'a str,
    map: serde_json::Map<String, serde_json::Value>,
}

impl<'a> ParamTable<'a> {
    /// The table `value` (absent or `null`: empty) found at `path` (e.g.
    /// `metric_params.perplexity`), with only the keys in `allowed`.
    pub fn read(
        value: Option<&serde_json::Value>,
        path: &'a str,
        allowed: &[&str],
    ) -> crate::error::Result<Self> {
        let map = match value {
            None | Some(serde_json::Value::Null) => serde_json::Map::new(),
            Some(serde_json::Value::Object(m)) => m.clone(),
            Some(other) => {
                return Err(config_error(
                    path,
                    None,
                    &format!(
                        "must be a table, found `{}`; valid keys: {}",
                        crate::outside::admit(
                            &other.to_string(),
                            &crate::outside::Secrets::from_env(),
                            crate::outside::Bound::SNIPPET
                        ),
                        allowed.join(", ")
                    ),
                ));
            }
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(config_error(
                path,
                Some(unknown),
                &format!("is not a known key; valid keys: {}", allowed.join(", ")),
            ));
        }
        Ok(ParamTable { path, map })
    }

    /// A configuration error about `key`.
    pub fn error(&self, key: &str, problem: &str) -> crate::error::Error {
        config_error(self.path, Some(key), problem)
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.map.get(key)
    }

    /// A string, if set.
    pub fn string(&self, key: &str) -> crate::error::Result<Option<String>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.error(key, &format!("must be a string, found `{other}`"))),
        }
    }

    /// An integer from `min` to `max`, or `default`.
    pub fn integer(
        &self,
        key: &str,
        default: u64,
        min: u64,
        max: u64,
    ) -> crate::error::Result<u64> {
        match self.map.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_u64()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    self.error(
                        key,
                        &format!("is `{v}`; give a whole number from {min} to {max}"),
                    )
                }),
        }
    }

    /// A positive finite number of seconds, or `default`.
    pub fn seconds(&self, key: &str, default: f64) -> crate::error::Result<f64> {
        match self.map.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite() && *x > 0.0 && *x <= 86_400.0)
                .ok_or_else(|| {
                    self.error(
                        key,
                        &format!("is `{v}`; give seconds, more than 0 and at most 86400"),
                    )
                }),
        }
    }
}

fn config_error(path: &str, key: Option<&str>, problem: &str) -> crate::error::Error {
    let key = match key {
        Some(key) => format!("{path}.{key}"),
        None => path.to_string(),
    };
    crate::error::Error::Config(crate::error::ConfigError::new(problem).for_key(key))
}

/// What every client of an OpenAI-compatible endpoint reads from its table: `base_url`
/// (required, `http://` or `https://`, usually ending in `/v1`), `model` (required),
/// `api_key_env` (optional: the NAME of the variable holding the key), `timeout_secs` (default
/// 120), `retries` (default 3), `retry_backoff_ms` (default 1000) — the keys and defaults of the
/// `openai` system.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointSettings {
    /// `base_url` without a trailing `/`.
    pub base_url: String,
    /// The model name sent in every request.
    pub model: String,
    /// The environment variable holding the API key, if any.
    pub api_key_env: Option<String>,
    /// Time allowed for each attempt.
    pub timeout: Duration,
    /// Retries after a retryable failure.
    pub retries: u32,
    /// The first backoff between attempts.
    pub retry_backoff: Duration,
}

/// The keys [`EndpointSettings::read`] reads.
pub const ENDPOINT_KEYS: &[&str] = &[
    "base_url",
    "model",
    "api_key_env",
    "timeout_secs",
    "retries",
    "retry_backoff_ms",
];

impl EndpointSettings {
    /// Reads and checks the endpoint keys of `table` (see the type's docs).
    pub fn read(table: &ParamTable<'_>) -> crate::error::Result<Self> {
        let base_url = table.string("base_url")?.ok_or_else(|| {
            table.error(
                "base_url",
                "is missing; e.g. base_url = \"http://127.0.0.1:8000/v1\"",
            )
        })?;
        if let Some(problem) = base_url_problem(&base_url) {
            return Err(table.error("base_url", &problem));
        }
        let model = table
            .string("model")?
            .filter(|m| !m.trim().is_empty())
            .ok_or_else(|| {
                table.error(
                    "model",
                    "is missing; give the model name the server expects",
                )
            })?;
        let api_key_env = table.string("api_key_env")?;
        if let Some(name) = &api_key_env {
            check_api_key_env(name).map_err(|problem| table.error("api_key_env", &problem))?;
        }
        let timeout = table.seconds("timeout_secs", 120.0)?;
        let retries = table.integer("retries", 3, 0, 100)? as u32;
        let retry_backoff_ms = table.integer("retry_backoff_ms", 1000, 0, 60_000)?;
        Ok(EndpointSettings {
            base_url: base_url.trim_end_matches('/').to_string(),
            model,
            api_key_env,
            timeout: Duration::from_secs_f64(timeout),
            retries,
            retry_backoff: Duration::from_millis(retry_backoff_ms),
        })
    }

    /// `base_url` with any `user:password@` credentials redacted: what may be shown, cached
    /// and fingerprinted.
    pub fn public_base_url(&self) -> String {
        crate::outside::redact_url_credentials(&self.base_url).into_owned()
    }

    /// The endpoint `<base_url>/<path>` with these timeouts and retries.
    pub fn endpoint(&self, path: &str) -> JsonEndpoint {
        JsonEndpoint::new(
            format!("{}/{path}", self.base_url),
            self.timeout,
            self.retries,
            self.retry_backoff,
        )
    }

    /// The secrets a message about a request may not show: the key sent, credentials in
    /// `base_url`, values of secret-looking environment variables.
    pub fn secrets(&self, key: Option<&str>) -> crate::outside::Secrets {
        let secrets = crate::outside::Secrets::from_env().with_url_credentials(&self.base_url);
        match key {
            Some(key) => secrets.with(key),
            None => secrets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let e = JsonEndpoint::new(
            "http://127.0.0.1:1/v1/x".into(),
            Duration::from_secs(1),
            3,
            Duration::from_millis(1000),
        );
        assert_eq!(e.backoff(1), Duration::from_secs(1));
        assert_eq!(e.backoff(2), Duration::from_secs(2));
        assert_eq!(e.backoff(3), Duration::from_secs(4));
        assert_eq!(e.backoff(40), MAX_BACKOFF);
    }

    fn retryable(what: &str, retry_after: Option<Duration>) -> AttemptError {
        AttemptError::Retryable {
            what: what.to_string(),
            retry_after,
        }
    }

    #[test]
    fn a_policy_retries_until_the_attempts_or_the_waiting_run_out() {
        let policy = RetryPolicy {
            max_attempts: 3,
            backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            max_retry_after: Duration::from_millis(5),
            max_total_wait: None,
        };
        // Retry-After capped, backoff doubled and capped; the third attempt succeeds.
        let mut calls = 0;
        let answer = policy
            .run(|| {
                calls += 1;
                match calls {
                    1 => Err(retryable("429", Some(Duration::from_secs(60)))),
                    2 => Err(retryable("503", None)),
                    _ => Ok("done"),
                }
            })
            .unwrap();
        assert_eq!(answer.value, "done");
        let pauses: Vec<Duration> = answer.retried.iter().map(|r| r.pause).collect();
        assert_eq!(pauses, [Duration::from_millis(5), Duration::from_millis(2)]);

        // Out of attempts: the last failure, exhausted.
        let failure = policy
            .run(|| Err::<(), _>(retryable("503", None)))
            .unwrap_err();
        assert_eq!((failure.attempt, failure.exhausted), (3, true));
        assert_eq!(failure.retried.len(), 2);

        // A fatal failure ends the call at once.
        let failure = policy
            .run(|| Err::<(), _>(AttemptError::Fatal("404".into())))
            .unwrap_err();
        assert_eq!((failure.attempt, failure.exhausted), (1, false));

        // A budget of waiting: the last wait is cut to what is left, then the call gives up.
        let budget = RetryPolicy {
            max_attempts: 10,
            max_total_wait: Some(Duration::from_millis(7)),
            ..policy
        };
        let failure = budget
            .run(|| Err::<(), _>(retryable("429", Some(Duration::from_millis(5)))))
            .unwrap_err();
        let pauses: Vec<Duration> = failure.retried.iter().map(|r| r.pause).collect();
        assert_eq!(pauses, [Duration::from_millis(5), Duration::from_millis(2)]);
        assert_eq!((failure.attempt, failure.exhausted), (3, true));
    }

    #[test]
    fn snippets_are_cut() {
        assert_eq!(snippet("abc"), "`abc`");
        let long = "x".repeat(400);
        assert_eq!(snippet(&long).chars().count(), 303);
    }
}
