//! The `perplexity` metric against a loopback `/v1/completions` server inside the test: the
//! request's shape, the exact value from known log-probabilities (generated tokens and the
//! first token's `null` left out), items without a value, a server without logprobs, 429 then
//! success, HTTP errors with the key redacted, the answer cache (a re-run with the server gone),
//! parameter errors naming their line, and a whole harness run with a vs-baseline check.

mod support;

use std::sync::Once;

use evalgate::Error;
use evalgate::unstable::metrics::perplexity::{Perplexity, PerplexityCache, PerplexityParams};
use evalgate::unstable::metrics::{Metric, MetricValues, ScoringItem, ScoringOptions};
use serde_json::{Value, json};
use support::{Project, Reply, Request, Server};

/// The key used in these tests; it must never show up anywhere.
const KEY: &str = "sk-ppl-test-secret-4242";
const KEY_VAR: &str = "EVALGATE_TEST_PPL_KEY";

fn set_key() {
    static SET: Once = Once::new();
    // SAFETY: set once, to the same value, before any test of this binary reads it; no other
    // code in the process writes it.
    SET.call_once(|| unsafe { std::env::set_var(KEY_VAR, KEY) });
}

/// A vLLM-style answer for `prompt`: one token per word (a word and the spaces before it,
/// offsets in characters), the first token's logprob `null`, then `logprobs` in turn (cycled),
/// and one generated token `" X"` with logprob -9 after the prompt.
fn answer(prompt: &str, logprobs: &[f64]) -> String {
    let mut tokens = Vec::new();
    let mut offsets = Vec::new();
    let chars: Vec<char> = prompt.chars().collect();
    let mut start = 0;
    for i in 1..=chars.len() {
        let boundary = i == chars.len() || (chars[i] == ' ' && chars[i - 1] != ' ');
        if boundary {
            tokens.push(chars[start..i].iter().collect::<String>());
            offsets.push(start);
            start = i;
        }
    }
    let mut token_logprobs: Vec<Value> = (0..tokens.len())
        .map(|i| {
            if i == 0 {
                Value::Null
            } else {
                json!(logprobs[(i - 1) % logprobs.len()])
            }
        })
        .collect();
    tokens.push(" X".into());
    offsets.push(chars.len());
    token_logprobs.push(json!(-9.0));
    json!({
        "id": "cmpl-1",
        "object": "text_completion",
        "model": "tiny-lm",
        "choices": [{
            "index": 0,
            "text": format!("{prompt} X"),
            "logprobs": {"tokens": tokens, "token_logprobs": token_logprobs, "text_offset": offsets, "top_logprobs": null},
            "finish_reason": "length"
        }],
        "usage": {"prompt_tokens": tokens.len() - 1, "completion_tokens": 1, "total_tokens": tokens.len()}
    })
    .to_string()
}

/// A server answering every request with [`answer`] for its prompt (logprobs -1, -2, -0.5).
fn lm_server() -> Server {
    Server::start(|request: &Request| {
        let prompt = request.json()["prompt"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Reply::json(200, answer(&prompt, &[-1.0, -2.0, -0.5]))
    })
}

fn options(url: &str, extra: &str) -> ScoringOptions {
    let text = format!(
        "base_url = \"{url}/v1\"\nmodel = \"tiny-lm\"\nretry_backoff_ms = 10\ntimeout_secs = 3\n{extra}"
    );
    let table: toml::Table = toml::from_str(&text).unwrap();
    let mut options = ScoringOptions::default();
    options
        .params
        .insert("perplexity".into(), serde_json::to_value(table).unwrap());
    options
}

fn item<'a>(id: &'a str, prediction: &'a str) -> ScoringItem<'a> {
    static META: Value = Value::Null;
    ScoringItem {
        id,
        input: "",
        prediction,
        references: &[],
        metadata: &META,
        generation: None,
    }
}

fn score(items: &[ScoringItem<'_>], options: &ScoringOptions) -> evalgate::Result<MetricValues> {
    Perplexity
        .score(items, &["perplexity"], options)
        .map(|mut v| v.remove(0))
}

fn metric_error(result: evalgate::Result<MetricValues>) -> String {
    match result {
        Err(Error::Metric(e)) => e.to_string(),
        other => panic!("expected a metric error, got {other:?}"),
    }
}

#[test]
fn request_shape_and_the_exact_value() {
    set_key();
    let server = lm_server();
    let options = options(server.url(), &format!("api_key_env = \"{KEY_VAR}\""));
    let items = [
        item("a", "The cat sat."),
        item("empty", "  "),
        item("one", "Hello"),
    ];
    let values = score(&items, &options).unwrap();
    // Tokens "The", " cat", " sat." (+ generated " X"): null, -1, -2 (and -9 left out).
    let a = (3.0f64 / 2.0).exp();
    assert_eq!(values.per_item[0], Some(a));
    // An empty prediction is not sent; a one-token one has no scored token: no value.
    assert_eq!(values.per_item[1], None);
    assert_eq!(values.per_item[2], None);
    assert_eq!(values.aggregate, a);
    let seen = server.requests();
    assert_eq!(seen.len(), 2, "the empty prediction is not sent");
    let request = seen
        .iter()
        .find(|r| r.json()["prompt"] == "The cat sat.")
        .unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v1/completions");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(
        request.json(),
        json!({"model": "tiny-lm", "prompt": "The cat sat.", "max_tokens": 1, "echo": true, "logprobs": 1, "temperature": 0})
    );
    // The settings (baseline fingerprint) name the endpoint and model, never the key.
    let settings = serde_json::to_string(&Perplexity.settings(&["perplexity"], &options)).unwrap();
    assert!(
        settings.contains("tiny-lm") && settings.contains(server.url()),
        "{settings}"
    );
    assert!(!settings.contains(KEY));
}

#[test]
fn three_scored_tokens_give_exp_of_their_mean() {
    // The brief's example: [null, -1.0, -2.0, -0.5] → exp(3.5 / 3); the generated token (-9) and
    // its offset past the prompt are left out.
    let server = lm_server();
    let values = score(
        &[item("a", "One two three four")],
        &options(server.url(), ""),
    )
    .unwrap();
    assert_eq!(values.per_item[0], Some((3.5f64 / 3.0).exp()));
    // Unicode: offsets are characters, the generated token still left out.
    let values = score(&[item("u", "Ça va très bien")], &options(server.url(), "")).unwrap();
    assert_eq!(values.per_item[0], Some((3.5f64 / 3.0).exp()));
    // Without `usage`, `text_offset` tells the prompt's tokens from the generated one.
    let server = Server::start(|request: &Request| {
        let prompt = request.json()["prompt"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut body: Value = serde_json::from_str(&answer(&prompt, &[-1.0, -2.0, -0.5])).unwrap();
        body.as_object_mut().unwrap().remove("usage");
        Reply::json(200, body.to_string())
    });
    for prediction in ["One two three four", "Ça va très bien"] {
        let values = score(&[item("a", prediction)], &options(server.url(), "")).unwrap();
        assert_eq!(
            values.per_item[0],
            Some((3.5f64 / 3.0).exp()),
            "{prediction}"
        );
    }
}

#[test]
fn max_tokens_zero_without_offsets_scores_every_entry() {
    let server = Server::start(|_| {
        Reply::json(
            200,
            json!({"choices": [{"text": "a b c", "logprobs": {"tokens": ["a", " b", " c"], "token_logprobs": [null, -0.25, -0.75]}}]})
                .to_string(),
        )
    });
    let values = score(
        &[item("a", "a b c")],
        &options(server.url(), "max_tokens = 0"),
    )
    .unwrap();
    assert_eq!(values.per_item[0], Some(0.5f64.exp()));
    assert_eq!(server.requests()[0].json()["max_tokens"], 0);
}

#[test]
fn a_server_without_logprobs_is_a_clear_error() {
    let server = Server::start(|_| {
        Reply::json(
            200,
            json!({"choices": [{"text": "The cat sat. X", "logprobs": null, "finish_reason": "length"}]}).to_string(),
        )
    });
    let message = metric_error(score(
        &[item("ep7", "The cat sat.")],
        &options(server.url(), ""),
    ));
    for part in [
        "metric `perplexity`",
        "item `ep7`",
        &format!("POST {}/v1/completions", server.url()),
        "`choices[0].logprobs` is null",
        "`echo` with `logprobs` on /v1/completions",
        "vLLM",
    ] {
        assert!(message.contains(part), "`{part}` missing in: {message}");
    }
    assert_eq!(server.requests().len(), 1, "not retried");

    // A server that ignores `echo`: only the generated token has a logprob.
    let server = Server::start(|_| {
        Reply::json(
            200,
            json!({"choices": [{"text": " X", "logprobs": {"tokens": [" X"], "token_logprobs": [-1.0], "text_offset": [0]}}]}).to_string(),
        )
    });
    let message = metric_error(score(
        &[item("ep7", "The cat sat.")],
        &options(server.url(), ""),
    ));
    assert!(message.contains("did not echo"), "{message}");
}

#[test]
fn rate_limits_are_retried_then_the_value_computed() {
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let server = Server::start(move |request| {
        if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::json(429, "{\"error\": \"slow down\"}").header("Retry-After", "0")
        } else {
            let prompt = request.json()["prompt"].as_str().unwrap().to_string();
            Reply::json(200, answer(&prompt, &[-1.0, -2.0, -0.5]))
        }
    });
    let values = score(
        &[item("a", "The cat sat.")],
        &options(server.url(), "retries = 2"),
    )
    .unwrap();
    assert_eq!(values.per_item[0], Some(1.5f64.exp()));
    assert_eq!(server.requests().len(), 2);

    // 5xx until the retries run out.
    let server = Server::start(|_| Reply::json(503, "{\"error\": \"overloaded\"}"));
    let message = metric_error(score(
        &[item("a", "x y")],
        &options(server.url(), "retries = 1"),
    ));
    assert_eq!(server.requests().len(), 2);
    for part in [
        "HTTP 503",
        "overloaded",
        "retries exhausted",
        "attempt 2 of 2",
    ] {
        assert!(message.contains(part), "`{part}` missing in: {message}");
    }
}

#[test]
fn http_errors_show_status_and_body_without_the_key() {
    set_key();
    // A server that echoes the Authorization header back in its error body.
    let server =
        Server::echoing_authorization(401, |auth| json!({"error": format!("invalid key: {auth}")}));
    let message = metric_error(score(
        &[item("a", "x y")],
        &options(server.url(), &format!("api_key_env = \"{KEY_VAR}\"")),
    ));
    assert!(message.contains("HTTP 401"), "{message}");
    assert!(message.contains("invalid key"), "{message}");
    assert!(!message.contains(KEY), "{message}");
    assert!(!message.contains("ppl-test-secret"), "{message}");
}

#[test]
fn a_missing_key_variable_is_named() {
    let server = lm_server();
    let message = metric_error(score(
        &[item("a", "x y")],
        &options(
            server.url(),
            "api_key_env = \"EVALGATE_TEST_PPL_UNSET_KEY\"",
        ),
    ));
    assert!(
        message.contains("EVALGATE_TEST_PPL_UNSET_KEY")
            && message.contains("metric_params.perplexity.api_key_env"),
        "{message}"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn answers_are_cached_and_reused_without_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = lm_server();
    let url = server.url().to_string();
    let mut opts = options(&url, "");
    opts.cache_dir = Some(dir.path().to_path_buf());
    let items = [
        item("a", "The cat sat."),
        item("b", "One two three four"),
        item("c", "The cat sat."),
    ];
    let first = score(&items, &opts).unwrap();
    assert_eq!(
        server.requests().len(),
        2,
        "equal predictions are asked once"
    );
    // Refresh (EVALGATE_CACHE=refresh) asks again and overwrites.
    let mut refresh = opts.clone();
    refresh.refresh_cache = true;
    assert_eq!(score(&items, &refresh).unwrap(), first);
    assert_eq!(server.requests().len(), 4);
    // No cache folder (EVALGATE_CACHE=off): asked every time.
    let mut off = opts.clone();
    off.cache_dir = None;
    assert_eq!(score(&items, &off).unwrap(), first);
    assert_eq!(server.requests().len(), 6);
    let params = PerplexityParams::read(&opts).unwrap();
    let entry =
        PerplexityCache::new(dir.path()).path(&PerplexityCache::key(&params, "The cat sat."));
    assert!(
        entry.starts_with(dir.path().join("perplexity")),
        "{}",
        entry.display()
    );
    assert!(entry.exists());
    drop(server);
    // The server is gone: the cache answers.
    let second = score(&items, &opts).unwrap();
    assert_eq!(first, second);
    // A damaged entry is a miss: with the server gone, that item fails.
    std::fs::write(&entry, "{\"format\": \"x\"}").unwrap();
    let message = metric_error(score(&items, &opts));
    assert!(message.contains("item `a`"), "{message}");
    // Another model is another key.
    let other = PerplexityParams::read(&options(&url, "")).unwrap();
    let mut other_model = other.clone();
    other_model.endpoint.model = "other-lm".into();
    assert_ne!(
        PerplexityCache::key(&other, "x"),
        PerplexityCache::key(&other_model, "x")
    );
}

#[test]
fn bad_parameters_are_errors_naming_key_and_line() {
    let cases: &[(&str, &str)] = &[
        (
            "model = \"m\"",
            "metric_params.perplexity.base_url` is missing",
        ),
        (
            "base_url = \"localhost:8000/v1\"\nmodel = \"m\"",
            "must start with http://",
        ),
        (
            "base_url = \"http://127.0.0.1:9/v1\"",
            "metric_params.perplexity.model` is missing",
        ),
        (
            "base_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\nmax_tokens = 2",
            "max_tokens",
        ),
        (
            "base_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\nconcurrency = 0",
            "concurrency",
        ),
        (
            "base_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\ntemperature = 1",
            "not a known key",
        ),
        (
            "base_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\napi_key_env = \"sk-abcdefghijklmnopqrstuvwxyz123456\"",
            "NAME of an environment variable",
        ),
    ];
    for (table, want) in cases {
        let p = project(&format!("[metric_params.perplexity]\n{table}\n"), "");
        let message = p.run_err(&[]);
        assert!(message.contains(want), "`{want}` missing in: {message}");
        assert!(message.contains("evalgate.toml:"), "no line in: {message}");
        assert!(
            !message.contains("abcdefghijklmnopqrstuvwxyz123456"),
            "{message}"
        );
    }
    // Without the table at all: an error when the suite loads, at the line asking for the
    // metric, saying what to add.
    let p = project("", "");
    let message = p.run_err(&[]);
    assert!(message.contains("needs a server"), "{message}");
    assert!(message.contains("evalgate.toml:"), "no line in: {message}");
}

/// A project: dataset `demo_v1` (3 items), the built-in `lead` system (first sentence), the
/// `perplexity` metric, `params` (the `[metric_params.perplexity]` table, or none) and `checks`.
fn project(params: &str, checks: &str) -> Project {
    let suite = format!(
        r#"[suite]
name = "ppl"
cache_dir = "cache"

[tiers.smoke]
datasets = ["demo_v1"]

[datasets.demo_v1]
systems = ["lead"]
metrics = ["perplexity"]

[systems.lead]
kind = "builtin"
builtin = "lead_n"
params = {{ sentences = 1 }}

{params}
{checks}
"#
    );
    let p = Project::new(&suite);
    p.dataset(
        "demo_v1",
        r#"[
  {"id": "a", "input": "Alpha talks about bees. They make honey."},
  {"id": "b", "input": "Beta talks about bikes and lanes. Lanes are wider."},
  {"id": "c", "input": "Gamma. Short."}
]"#,
    );
    p
}

#[test]
fn through_the_harness_cached_checked_against_the_baseline_and_the_key_kept_out() {
    set_key();
    let server = lm_server();
    let params = format!(
        "[metric_params.perplexity]\nbase_url = \"{}/v1\"\nmodel = \"tiny-lm\"\napi_key_env = \"{KEY_VAR}\"\nretry_backoff_ms = 10\n",
        server.url()
    );
    let p = project(
        &params,
        "[checks.perplexity]\nmax = 100\nvs_baseline = { max_drop = 0.01 }\n",
    );
    let first = p.run(&[]);
    assert_eq!(first.conclusion.num_failed, 0);
    let results = first.results.unwrap();
    let values = &results.evaluations[0].metrics["perplexity"];
    // "Alpha talks about bees." → null, -1, -2, -0.5; "Beta talks about bikes and lanes." →
    // null, -1, -2, -0.5, -1, -2; "Gamma." → one token, no value.
    let a = (3.5f64 / 3.0).exp();
    let b = (6.5f64 / 5.0).exp();
    assert_eq!(values.per_item, vec![Some(a), Some(b), None]);
    assert!((values.value - (a + b) / 2.0).abs() < 1e-12);
    assert_eq!(server.requests().len(), 3);
    assert_eq!(p.accept(), 1, "the baseline snapshot");

    // The server is gone: the cache answers, and the vs-baseline check passes.
    drop(server);
    let second = p.run(&[]);
    assert_eq!(
        second.conclusion.num_failed,
        0,
        "{}",
        p.read("out/libtest.log")
    );
    let results = second.results.unwrap();
    assert_eq!(
        results.evaluations[0].metrics["perplexity"].per_item,
        values.per_item
    );
    assert!(
        results.evaluations[0]
            .checks
            .iter()
            .any(|c| c.kind == evalgate::results::CheckKind::VsBaseline
                && c.status == evalgate::results::CheckStatus::Passed),
        "{:?}",
        results.evaluations[0].checks
    );
    for text in [p.results_json(), p.junit_xml(), p.read("out/libtest.log")] {
        assert!(!text.contains(KEY));
    }
}

#[test]
fn a_server_without_logprobs_fails_the_trial_through_the_harness() {
    set_key();
    let server = Server::echoing_authorization(
        200,
        |auth| json!({"choices": [{"text": "x", "logprobs": null}], "note": auth}),
    );
    let params = format!(
        "[metric_params.perplexity]\nbase_url = \"{}/v1\"\nmodel = \"tiny-lm\"\napi_key_env = \"{KEY_VAR}\"\n",
        server.url()
    );
    let p = project(&params, "[checks.perplexity]\nmax = 100\n");
    let outcome = p.run(&[]);
    assert!(outcome.conclusion.num_failed >= 1);
    let results = outcome.results.unwrap();
    let check = results.evaluations[0]
        .checks
        .iter()
        .find(|c| c.metric == "perplexity")
        .unwrap();
    assert_eq!(check.status, evalgate::results::CheckStatus::Failed);
    assert!(
        check.message.contains("echo") && check.message.contains("logprobs"),
        "{}",
        check.message
    );
    for text in [p.results_json(), p.junit_xml(), p.read("out/libtest.log")] {
        assert!(!text.contains(KEY));
        assert!(text.contains("/v1/completions"));
    }
}
