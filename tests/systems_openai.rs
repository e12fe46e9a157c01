//! The `openai` system kind against a loopback HTTP server inside the test: request shape,
//! usage, 429 with Retry-After, 5xx until retries run out, malformed JSON, timeouts, and answers
//! that are not answers (empty, truncated, filtered, tool calls, refusals), which fail their item
//! and are never cached.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use evalgate::Error;
use evalgate::unstable::cache::{CacheLookup, OutputCache};
use evalgate::unstable::generate::{GenerateOptions, generate_all};
use evalgate::unstable::systems::openai::OpenAiSystem;
use evalgate::unstable::systems::{Generation, System, SystemRequest, Usage};
use serde_json::{Value, json};
use support::{Reply, Request, Server};

/// A loopback chat-completions server answering with the scripted replies in order, one
/// connection each (the last reply repeats when the script runs out).
struct ChatServer {
    server: Server,
    /// The `base_url` of systems using it.
    url: String,
}

impl ChatServer {
    fn start(replies: Vec<Reply>) -> ChatServer {
        let server = Server::script(replies);
        let url = format!("{}/v1", server.url());
        ChatServer { server, url }
    }

    /// The requests received so far.
    fn seen(&self) -> Vec<Request> {
        self.server.requests()
    }
}

/// A server that never answers (for timeouts).
fn silent() -> Reply {
    Reply::hang(Duration::from_secs(4))
}

fn completion(text: &str) -> String {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 57, "completion_tokens": 12, "total_tokens": 69}
    })
    .to_string()
}

fn ok(text: &str) -> Reply {
    Reply::json(200, completion(text))
}

fn system(url: &str, extra: &str) -> OpenAiSystem {
    let timeout = if extra.contains("timeout_secs") {
        ""
    } else {
        "timeout_secs = 3"
    };
    let text = format!(
        "kind = \"openai\"\nbase_url = \"{url}\"\nmodel = \"gpt-4o-mini\"\nretry_backoff_ms = 10\n{timeout}\n{extra}"
    );
    let table: toml::Table = toml::from_str(&text).unwrap();
    OpenAiSystem::from_config("chat", &table, Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn generate(system: &OpenAiSystem) -> evalgate::Result<Generation> {
    let meta = json!({"title": "Remote work", "speakers": ["Maya Chen", "Tom Okafor"]});
    system.generate(&SystemRequest {
        item_id: "ep01",
        input: "MAYA: hello. TOM: hi.",
        metadata: &meta,
        sample: 0,
        samples: 1,
        seed: 0,
    })
}

fn error_text(result: evalgate::Result<Generation>) -> String {
    match result {
        Err(Error::System(message)) => message.to_string(),
        other => panic!("expected a system error, got {other:?}"),
    }
}

#[test]
fn request_shape_auth_and_usage() {
    // SAFETY: the only test in this binary that reads this variable sets it first; no other
    // code in the process reads or writes it.
    unsafe { std::env::set_var("EVALGATE_TEST_OPENAI_KEY", "sk-test-secret-123") };
    let server = ChatServer::start(vec![ok("A short summary.")]);
    let sys = system(
        &server.url,
        "api_key_env = \"EVALGATE_TEST_OPENAI_KEY\"\n\
         system_prompt = \"You summarize podcasts.\"\n\
         user_prompt = \"Episode: {title}\\nSpeakers: {speakers}\\n\\n{input}\"\n\
         temperature = 0.0\nmax_tokens = 200\nseed = 7\n\
         extra_body = { top_p = 0.9 }",
    );
    let g = generate(&sys).unwrap();
    assert_eq!(g.output, "A short summary.");
    assert_eq!(
        g.usage,
        Some(Usage {
            input_tokens: 57,
            output_tokens: 12
        })
    );
    assert!(g.latency_ms.is_some());
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v1/chat/completions");
    assert_eq!(
        request.header("authorization"),
        Some("Bearer sk-test-secret-123")
    );
    assert_eq!(
        request.json(),
        json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You summarize podcasts."},
                {"role": "user", "content": "Episode: Remote work\nSpeakers: Maya Chen, Tom Okafor\n\nMAYA: hello. TOM: hi."}
            ],
            "temperature": 0.0,
            "max_tokens": 200,
            "seed": 7,
            "top_p": 0.9
        })
    );
    // The key never enters the fingerprint; the prompts and parameters do.
    let fp = sys.fingerprint().to_string();
    assert!(!fp.contains("sk-test-secret-123"));
    assert!(fp.contains("You summarize podcasts."));
    assert_eq!(sys.model(), Some("gpt-4o-mini"));
    assert!(!format!("{sys:?}").contains("sk-test-secret-123"));
}

#[test]
fn rate_limit_with_retry_after_then_success() {
    let server = ChatServer::start(vec![
        Reply::json(429, "{\"error\": \"slow down\"}").header("Retry-After", "1"),
        ok("after the wait"),
    ]);
    let sys = system(&server.url, "retries = 2");
    let started = Instant::now();
    let g = generate(&sys).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(g.output, "after the wait");
    assert_eq!(server.seen().len(), 2);
    assert!(
        elapsed >= Duration::from_millis(950),
        "Retry-After: 1 honoured, waited only {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
    // The retry is reported (console, summary, comment), not only survived.
    assert_eq!(g.warnings.len(), 1, "{:?}", g.warnings);
    assert!(
        g.warnings[0].contains("attempt 1 of 3") && g.warnings[0].contains("HTTP 429"),
        "{:?}",
        g.warnings
    );
    assert!(
        g.warnings[0].contains("retried after 1.0 s"),
        "{:?}",
        g.warnings
    );
}

#[test]
fn server_errors_until_retries_run_out() {
    let server = ChatServer::start(vec![Reply::json(500, "{\"error\": \"boom\"}")]);
    let sys = system(&server.url, "retries = 2");
    let message = error_text(generate(&sys));
    assert_eq!(server.seen().len(), 3, "one try and two retries");
    assert!(message.contains("item `ep01`"), "{message}");
    assert!(message.contains("HTTP 500"), "{message}");
    assert!(message.contains("retries exhausted"), "{message}");
    assert!(message.contains("attempt 3 of 3"), "{message}");
}

#[test]
fn malformed_json_is_an_error_without_retry() {
    let server = ChatServer::start(vec![Reply::json(200, "{\"choices\": [")]);
    let sys = system(&server.url, "retries = 3");
    let message = error_text(generate(&sys));
    assert!(message.contains("malformed JSON"), "{message}");
    assert_eq!(server.seen().len(), 1);

    let server = ChatServer::start(vec![Reply::json(200, "{\"choices\": []}")]);
    let message = error_text(generate(&system(&server.url, "")));
    assert!(message.contains("choices[0].message.content"), "{message}");
}

#[test]
fn client_errors_are_not_retried() {
    let server = ChatServer::start(vec![Reply::json(401, "{\"error\": \"bad key\"}")]);
    let message = error_text(generate(&system(&server.url, "retries = 3")));
    assert_eq!(server.seen().len(), 1);
    assert!(message.contains("HTTP 401"), "{message}");
    assert!(message.contains("api_key_env"), "{message}");
}

#[test]
fn timeout_is_retried_then_reported() {
    let server = ChatServer::start(vec![silent()]);
    let sys = system(&server.url, "timeout_secs = 1\nretries = 1");
    let started = Instant::now();
    let message = error_text(generate(&sys));
    let elapsed = started.elapsed();
    assert!(message.contains("timed out after 1.0 s"), "{message}");
    assert!(message.contains("attempt 2 of 2"), "{message}");
    assert_eq!(server.seen().len(), 2, "the timeout was retried once");
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
}

#[test]
fn missing_key_variable_is_named() {
    let server = ChatServer::start(vec![ok("unused")]);
    let sys = system(
        &server.url,
        "api_key_env = \"EVALGATE_TEST_KEY_THAT_IS_NEVER_SET\"",
    );
    let message = error_text(generate(&sys));
    assert!(
        message.contains("EVALGATE_TEST_KEY_THAT_IS_NEVER_SET"),
        "{message}"
    );
    assert!(server.seen().is_empty(), "no request without the key");
}

#[test]
fn prompt_from_file_and_unknown_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prompt.txt"), "Summarize {title}:\n{input}").unwrap();
    let server = ChatServer::start(vec![ok("done")]);
    let table: toml::Table = toml::from_str(&format!(
        "base_url = \"{}\"\nmodel = \"m\"\nuser_prompt_file = \"prompt.txt\"",
        server.url
    ))
    .unwrap();
    let sys = OpenAiSystem::from_config("chat", &table, dir.path()).unwrap();
    assert_eq!(generate(&sys).unwrap().output, "done");
    assert_eq!(
        server.seen()[0].json()["messages"],
        json!([{"role": "user", "content": "Summarize Remote work:\nMAYA: hello. TOM: hi."}])
    );

    let sys = system(&server.url, "user_prompt = \"{guest} {input}\"");
    let message = error_text(generate(&sys));
    assert!(message.contains("`{guest}`"), "{message}");
    assert!(
        message.contains("title"),
        "lists the available fields: {message}"
    );
}

#[test]
fn config_errors_name_the_key() {
    let bad = |text: &str| {
        let table: toml::Table = toml::from_str(text).unwrap();
        match OpenAiSystem::from_config("chat", &table, Path::new(".")) {
            Err(Error::Config(message)) => message.to_string(),
            other => panic!("expected a config error, got {other:?}"),
        }
    };
    let base = "base_url = \"http://127.0.0.1:1/v1\"\nmodel = \"m\"\n";
    assert!(
        bad(&format!("{base}api_key = \"sk-1\""))
            .contains("`systems.chat.api_key` is not a known key")
    );
    assert!(bad(&format!("{base}api_key_env = \"sk-abc\"")).contains("NAME of an environment"));
    assert!(bad(&format!("{base}user_prompt = \"{{input\"")).contains("systems.chat.user_prompt"));
    assert!(
        bad(&format!(
            "{base}user_prompt = \"a\"\nuser_prompt_file = \"b\""
        ))
        .contains("both set")
    );
    assert!(bad(&format!("{base}temperature = 5")).contains("systems.chat.temperature"));
    assert!(bad("model = \"m\"").contains("`systems.chat.base_url` is missing"));
    assert!(
        bad(&format!("{base}extra_body = {{ model = \"x\" }}"))
            .contains("`systems.chat.extra_body` sets `model`")
    );
}

/// A completion whose first choice has this `message` and `finish_reason`.
fn answer(message: Value, finish_reason: Value) -> Reply {
    let body = json!({
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 57, "completion_tokens": 12, "total_tokens": 69}
    });
    Reply::json(200, body.to_string())
}

/// The error of one item answered with `reply` by a system with `retries = 3` (and `extra`
/// keys), after checking that it was not retried: the same request gets the same answer.
fn refused(reply: Reply, extra: &str) -> String {
    let server = ChatServer::start(vec![reply, ok("a second try must not happen")]);
    let message = error_text(generate(&system(
        &server.url,
        &format!("retries = 3\n{extra}"),
    )));
    assert_eq!(server.seen().len(), 1, "not retried: {message}");
    assert!(message.contains("item `ep01`"), "{message}");
    message
}

#[test]
fn empty_and_whitespace_answers_are_errors() {
    for content in ["", " \n\t "] {
        let reply = answer(
            json!({"role": "assistant", "content": content}),
            json!("stop"),
        );
        let message = refused(reply, "");
        assert!(
            message.contains("empty `choices[0].message.content`"),
            "{message}"
        );
        assert!(message.contains("finish_reason `stop`"), "{message}");
    }
}

#[test]
fn an_answer_cut_at_max_tokens_is_an_error_that_says_to_raise_it() {
    let cut = || {
        answer(
            json!({"role": "assistant", "content": "The episode covers three"}),
            json!("length"),
        )
    };
    let message = refused(cut(), "max_tokens = 200");
    assert!(message.contains("cut at max_tokens"), "{message}");
    assert!(message.contains("after 12 completion tokens"), "{message}");
    assert!(
        message.contains("raise `max_tokens` (now 200)"),
        "{message}"
    );
    assert!(!message.contains("The episode covers"), "{message}");

    let message = refused(cut(), "");
    assert!(
        message.contains("raise `max_tokens` (not set, so the server's own limit applied)"),
        "{message}"
    );

    // A reasoning model that spent the whole budget before answering: the cut is the news.
    let message = refused(
        answer(json!({"role": "assistant", "content": ""}), json!("length")),
        "max_tokens = 50",
    );
    assert!(message.contains("raise `max_tokens` (now 50)"), "{message}");
}

#[test]
fn null_content_tool_calls_refusals_and_filtered_answers_are_errors() {
    let tool_call = json!({
        "role": "assistant",
        "content": null,
        "tool_calls": [{"id": "call_1", "type": "function",
                        "function": {"name": "search", "arguments": "{}"}}]
    });
    let message = refused(answer(tool_call, json!("tool_calls")), "");
    assert!(message.contains("tool call instead of text"), "{message}");
    assert!(message.contains("finish_reason `tool_calls`"), "{message}");

    // Some servers report the tool call with finish_reason `stop`.
    let tool_call = json!({"role": "assistant", "content": null,
                           "tool_calls": [{"id": "call_1", "type": "function"}]});
    let message = refused(answer(tool_call, json!("stop")), "");
    assert!(message.contains("`tool_calls` present"), "{message}");

    let refusal = json!({"role": "assistant", "content": null,
                         "refusal": "I can't help with that."});
    let message = refused(answer(refusal, json!("stop")), "");
    assert!(message.contains("refused to answer"), "{message}");
    assert!(message.contains("I can't help with that."), "{message}");

    let message = refused(
        answer(json!({"role": "assistant", "content": null}), Value::Null),
        "",
    );
    assert!(
        message.contains("`choices[0].message.content: null`"),
        "{message}"
    );

    let message = refused(
        answer(
            json!({"role": "assistant", "content": "Partial"}),
            json!("content_filter"),
        ),
        "",
    );
    assert!(message.contains("content filter"), "{message}");

    // A normal answer without finish_reason (some servers omit it) still passes.
    let server = ChatServer::start(vec![answer(
        json!({"role": "assistant", "content": "Fine."}),
        Value::Null,
    )]);
    assert_eq!(generate(&system(&server.url, "")).unwrap().output, "Fine.");
}

#[test]
fn failed_answers_are_never_cached() {
    let server = ChatServer::start(vec![
        answer(
            json!({"role": "assistant", "content": "Cut sh"}),
            json!("length"),
        ),
        ok("   "),
        ok("The real summary."),
    ]);
    let sys = system(&server.url, "retries = 0\nmax_tokens = 5");
    let dir = tempfile::tempdir().unwrap();
    let cache = OutputCache::new(dir.path().join("cache"));
    let fingerprint = sys.fingerprint();
    let meta = json!({"title": "Remote work", "speakers": ["Maya Chen"]});
    let requests = [SystemRequest {
        item_id: "ep01",
        input: "MAYA: hello.",
        metadata: &meta,
        sample: 0,
        samples: 1,
        seed: 0,
    }];
    let hashes = ["sha256:0123".to_string()];
    let options = GenerateOptions {
        cache: Some(&cache),
        refresh_cache: false,
        concurrency: 1,
        progress_label: "demo::chat",
        limiter: None,
    };
    let key = OutputCache::key(&fingerprint, &requests[0], &hashes[0]);
    for expected in ["cut at max_tokens", "empty `choices[0].message.content`"] {
        let (results, stats) = generate_all(&sys, &fingerprint, &requests, &hashes, &options);
        let message = match &results[0] {
            Err(Error::System(message)) => message.to_string(),
            other => panic!("expected an item error, got {other:?}"),
        };
        assert!(message.contains(expected), "{message}");
        assert_eq!((stats.hits, stats.misses), (0, 1));
        assert_eq!(
            cache.get(&key),
            CacheLookup::Miss,
            "a failed answer was cached"
        );
    }
    // The next good answer is generated (not served from the cache), then cached.
    let (results, _) = generate_all(&sys, &fingerprint, &requests, &hashes, &options);
    let item = results[0].as_ref().unwrap();
    assert_eq!(
        (item.generation.output.as_str(), item.cached),
        ("The real summary.", false)
    );
    let (results, stats) = generate_all(&sys, &fingerprint, &requests, &hashes, &options);
    assert!(results[0].as_ref().unwrap().cached);
    assert_eq!((stats.hits, stats.misses), (1, 0));
    assert_eq!(server.seen().len(), 3);
}
