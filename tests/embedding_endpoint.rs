//! The `/v1/embeddings` endpoint client against a loopback server inside the test: request
//! shape and batching, vectors placed by `index`, 429 then success, answers in the wrong shape,
//! HTTP errors with the key redacted, and configuration errors naming the key.

mod support;

use std::sync::Once;

use evalgate::Error;
use evalgate::unstable::metrics::embedding_endpoint::EmbeddingEndpoint;
use serde_json::{Value, json};
use support::{Reply, Request, Server};

const KEY: &str = "sk-emb-test-secret-9898";
const KEY_VAR: &str = "EVALGATE_TEST_EMB_KEY";

fn set_key() {
    static SET: Once = Once::new();
    // SAFETY: set once, to the same value, before any test of this binary reads it; no other
    // code in the process writes it.
    SET.call_once(|| unsafe { std::env::set_var(KEY_VAR, KEY) });
}

/// The vector the fake server gives `text`: `[len, first char code, 1]`.
fn vector_of(text: &str) -> Vec<f64> {
    vec![
        text.chars().count() as f64,
        text.chars().next().map_or(0.0, |c| c as u32 as f64),
        1.0,
    ]
}

/// A server embedding every input with [`vector_of`], listing `data` in reverse order (so the
/// client must place vectors by `index`).
fn embedding_server() -> Server {
    Server::start(|request: &Request| {
        let body = request.json();
        let inputs: Vec<String> = body["input"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        let data: Vec<Value> = inputs
            .iter()
            .enumerate()
            .rev()
            .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector_of(t)}))
            .collect();
        Reply::json(
            200,
            json!({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}})
                .to_string(),
        )
    })
}

fn endpoint(url: &str, extra: Value) -> EmbeddingEndpoint {
    let mut table = json!({"base_url": format!("{url}/v1"), "model": "mini-embed", "retry_backoff_ms": 10, "timeout_secs": 3});
    for (k, v) in extra.as_object().unwrap() {
        table[k] = v.clone();
    }
    EmbeddingEndpoint::from_params(&table, "metric_params.semantic_similarity.endpoint").unwrap()
}

fn metric_error(result: evalgate::Result<Vec<Vec<f32>>>) -> String {
    match result {
        Err(Error::Metric(e)) => e.to_string(),
        other => panic!("expected a metric error, got {other:?}"),
    }
}

#[test]
fn request_shape_batching_and_index_order() {
    set_key();
    let server = embedding_server();
    let e = endpoint(
        server.url(),
        json!({"api_key_env": KEY_VAR, "batch_size": 2}),
    );
    let texts = ["alpha", "beta", "gamma", "δέλτα", "e"];
    let vectors = e.embed(&texts).unwrap();
    let want: Vec<Vec<f32>> = texts
        .iter()
        .map(|t| vector_of(t).into_iter().map(|x| x as f32).collect())
        .collect();
    assert_eq!(vectors, want);
    let seen = server.requests();
    assert_eq!(seen.len(), 3, "5 texts in batches of 2");
    let mut bodies: Vec<Value> = seen.iter().map(Request::json).collect();
    bodies.sort_by_key(|b| b["input"][0].as_str().unwrap().to_string());
    assert_eq!(
        bodies,
        vec![
            json!({"model": "mini-embed", "input": ["alpha", "beta"]}),
            json!({"model": "mini-embed", "input": ["e"]}),
            json!({"model": "mini-embed", "input": ["gamma", "δέλτα"]}),
        ]
    );
    for request in &seen {
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/v1/embeddings");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
    }
    // No texts, no request.
    assert!(e.embed(&[]).unwrap().is_empty());
    assert_eq!(server.requests().len(), 3);
    // The identity names the endpoint and the model, never the key.
    assert_eq!(
        e.identity(),
        json!({"base_url": format!("{}/v1", server.url()), "model": "mini-embed"})
    );
    assert!(!format!("{e:?}").contains(KEY));
    assert_eq!(e.batch_size(), 2);
}

#[test]
fn rate_limits_are_retried() {
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let server = Server::start(move |_| {
        if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Reply::json(429, "{\"error\": \"slow down\"}").header("Retry-After", "0")
        } else {
            Reply::json(
                200,
                json!({"data": [{"index": 0, "embedding": [0.5, 0.25]}]}).to_string(),
            )
        }
    });
    let e = endpoint(server.url(), json!({"retries": 1}));
    assert_eq!(e.embed(&["x"]).unwrap(), vec![vec![0.5f32, 0.25]]);
    assert_eq!(server.requests().len(), 2);

    let server = Server::start(|_| Reply::json(500, "{\"error\": \"down\"}"));
    let message = metric_error(endpoint(server.url(), json!({"retries": 1})).embed(&["x"]));
    assert_eq!(server.requests().len(), 2);
    for part in [
        "HTTP 500",
        "retries exhausted",
        "attempt 2 of 2",
        "/v1/embeddings",
    ] {
        assert!(message.contains(part), "`{part}` missing in: {message}");
    }
}

#[test]
fn answers_in_the_wrong_shape_are_errors() {
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"data": [{"index": 0, "embedding": [1.0]}]}),
            "1 embeddings for 2 texts",
        ),
        (
            json!({"data": [{"index": 0, "embedding": [1.0]}, {"index": 1}]}),
            "data[1].embedding",
        ),
        (
            json!({"data": [{"index": 0, "embedding": [1.0, 2.0]}, {"index": 1, "embedding": [1.0]}]}),
            "different dimensions",
        ),
        (
            json!({"data": [{"index": 0, "embedding": [1.0, null]}, {"index": 1, "embedding": [1.0, 2.0]}]}),
            "not a finite number",
        ),
        (
            json!({"data": [{"index": 1, "embedding": [1.0]}, {"index": 1, "embedding": [1.0]}]}),
            "index 1 twice",
        ),
        (json!({"object": "list"}), "without a `data` list"),
    ];
    for (answer, want) in cases {
        let body = answer.to_string();
        let server = Server::start(move |_| Reply::json(200, body.clone()));
        let message = metric_error(endpoint(server.url(), json!({})).embed(&["a", "b"]));
        assert!(message.contains(want), "`{want}` missing in: {message}");
        assert_eq!(server.requests().len(), 1, "not retried: {message}");
    }
    // Dimensions must agree across batches too.
    let server = Server::start(|request: &Request| {
        let n = if request.index == 0 { 2 } else { 3 };
        Reply::json(
            200,
            json!({"data": [{"index": 0, "embedding": vec![0.1; n]}]}).to_string(),
        )
    });
    let message = metric_error(endpoint(server.url(), json!({"batch_size": 1})).embed(&["a", "b"]));
    assert!(message.contains("different dimensions"), "{message}");
    assert!(message.contains("texts 2–2 of 2"), "{message}");
}

#[test]
fn http_errors_keep_the_key_out() {
    set_key();
    let server = Server::start(|request| {
        let auth = request
            .header("authorization")
            .unwrap_or_default()
            .to_string();
        Reply::json(401, json!({"error": format!("bad key {auth}")}).to_string())
    });
    let message =
        metric_error(endpoint(server.url(), json!({"api_key_env": KEY_VAR})).embed(&["a"]));
    assert!(
        message.contains("HTTP 401") && message.contains("bad key"),
        "{message}"
    );
    assert!(
        !message.contains(KEY) && !message.contains("emb-test-secret"),
        "{message}"
    );
    assert_eq!(server.requests().len(), 1, "401 is not retried");

    let e = endpoint(
        server.url(),
        json!({"api_key_env": "EVALGATE_TEST_EMB_UNSET"}),
    );
    let message = metric_error(e.embed(&["a"]));
    assert!(
        message.contains("EVALGATE_TEST_EMB_UNSET")
            && message.contains("metric_params.semantic_similarity.endpoint.api_key_env"),
        "{message}"
    );
}

#[test]
fn configuration_errors_name_the_key() {
    let path = "metric_params.semantic_similarity.endpoint";
    let cases: Vec<(Value, &str)> = vec![
        (json!({"model": "m"}), "endpoint.base_url` is missing"),
        (
            json!({"base_url": "ftp://x/v1", "model": "m"}),
            "endpoint.base_url` is `ftp://x/v1`",
        ),
        (
            json!({"base_url": "http://x/v1"}),
            "endpoint.model` is missing",
        ),
        (
            json!({"base_url": "http://x/v1", "model": "m", "batch_size": 0}),
            "endpoint.batch_size`",
        ),
        (
            json!({"base_url": "http://x/v1", "model": "m", "dims": 3}),
            "endpoint.dims` is not a known key",
        ),
        (
            json!({"base_url": "http://x/v1", "model": "m", "api_key_env": "sk-abcdefghijklmnopqrstuvwx12345"}),
            "endpoint.api_key_env`",
        ),
        (json!("http://x/v1"), "endpoint` must be a table"),
    ];
    for (table, want) in cases {
        match EmbeddingEndpoint::from_params(&table, path) {
            Err(Error::Config(e)) => {
                let message = e.to_string();
                assert!(message.contains(want), "`{want}` missing in: {message}");
                assert!(
                    !message.contains("abcdefghijklmnopqrstuvwx12345"),
                    "{message}"
                );
            }
            other => panic!("expected a configuration error for {table}, got {other:?}"),
        }
    }
    // Credentials in base_url stay out of the identity.
    let e = EmbeddingEndpoint::from_params(
        &json!({"base_url": "https://user:hunter2secret@example.com/v1/", "model": "m"}),
        path,
    )
    .unwrap();
    assert!(
        !e.identity().to_string().contains("hunter2secret"),
        "{}",
        e.identity()
    );
    assert_eq!(e.model(), "m");
}
