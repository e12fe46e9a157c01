//! The `/v1/embeddings` endpoint client against a loopback server inside the test: request
//! shape and batching, vectors placed by `index`, 429 then success, answers in the wrong shape,
//! HTTP errors with the key redacted, and configuration errors naming the key. Then the
//! embedding metrics through the harness with `[metric_params.semantic_similarity] endpoint =
//! {...}`: values equal to hand-computed cosines, a second run served from the embedding cache,
//! the key in no output, failures (HTTP 401, wrong vector count, connection refused, key
//! variable unset) failing only those metrics, and configuration mistakes refused at load time
//! at their line.

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

// ---------------------------------------------------------------------------------------------
// Through the harness: `[metric_params.semantic_similarity] endpoint = { ... }` in a suite.
//
// Each run happens in a child process (this test binary re-run on `harness_child`), so its
// standard error can be searched for the key and the key variable is set in the child only.

use evalgate::results::{CheckStatus, RunResults};
use support::{Project, assert_contains};

/// Env of the child: the project folder to run.
const CHILD_PROJECT: &str = "EVALGATE_TEST_EMB_CHILD_PROJECT";

const SUITE: &str = r#"[suite]
name = "emb"
cache_dir = "cache"

[tiers.smoke]
datasets = ["demo_v1"]

[datasets.demo_v1]
systems = ["lead"]
metrics = ["semantic_similarity", "semantic_similarity_min", "coherence"]

[systems.lead]
kind = "builtin"
builtin = "lead_n"
params = { sentences = 2 }

[metric_params.semantic_similarity]
endpoint = { base_url = "URL/v1", model = "emb-model", api_key_env = "EVALGATE_TEST_EMB_KEY", retries = 0, timeout_secs = 5 }
"#;

/// Predictions (lead_n, two sentences): "Alpha one. Beta two.", "Gamma three. Delta four.",
/// "Delta only.".
const ITEMS: &str = r#"[
  {"id": "a", "input": "Alpha one. Beta two. Gamma three.", "references": ["Beta ref."]},
  {"id": "b", "input": "Gamma three. Delta four.", "references": ["Alpha ref.", "Beta again."]},
  {"id": "c", "input": "Delta only.", "references": ["Alpha x."]}
]"#;

/// The fake server's vector for a text, by its first word; deliberately not unit length
/// (`Beta` is 5 × [0.6, 0.8], `Gamma` 2 × [0, 1]).
fn vector_by_first_word(text: &str) -> Option<Vec<f64>> {
    Some(match text.split_whitespace().next()? {
        "Alpha" => vec![1.0, 0.0],
        "Beta" => vec![3.0, 4.0],
        "Gamma" => vec![0.0, 2.0],
        "Delta" => vec![-1.0, 0.0],
        _ => return None,
    })
}

/// An `/v1/embeddings` server that answers only a well-formed request: POST to
/// `/v1/embeddings`, `Authorization: Bearer <KEY>`, `model` = `emb-model`, `input` a list of
/// strings it knows; anything else is a 400 saying what was wrong.
fn strict_server() -> Server {
    Server::start(|request: &Request| {
        let body = request.json();
        let auth = request.header("authorization").unwrap_or_default();
        let problem = if request.method != "POST" || request.target != "/v1/embeddings" {
            Some(format!("unexpected {} {}", request.method, request.target))
        } else if auth != format!("Bearer {KEY}") {
            Some("bad authorization header".to_string())
        } else if body["model"] != "emb-model" {
            Some(format!("bad model {}", body["model"]))
        } else if !body["input"].is_array() {
            Some("input is not a list".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            return Reply::json(400, json!({"error": problem}).to_string());
        }
        let mut data = Vec::new();
        for (i, text) in body["input"].as_array().unwrap().iter().enumerate() {
            match text.as_str().and_then(vector_by_first_word) {
                Some(v) => data.push(json!({"object": "embedding", "index": i, "embedding": v})),
                None => {
                    return Reply::json(
                        400,
                        json!({"error": format!("unknown input {text}")}).to_string(),
                    );
                }
            }
        }
        Reply::json(
            200,
            json!({"object": "list", "data": data, "model": "emb-model"}).to_string(),
        )
    })
}

/// A project with [`SUITE`] pointed at `url`, with `edit` applied to the suite.
fn endpoint_project(url: &str, edit: impl Fn(String) -> String) -> Project {
    let p = Project::new(&edit(SUITE.replace("URL", url)));
    p.dataset("demo_v1", ITEMS);
    p
}

/// The harness run in a child process, with the key variable set when `key` and the embedding
/// cache in `cache`: its results and its standard output and error.
fn run_child(p: &Project, key: bool, cache: &std::path::Path) -> (RunResults, String) {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "harness_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_PROJECT, &p.root)
        .env("EVALGATE_EMBEDDING_CACHE", cache)
        .env_remove(KEY_VAR);
    if key {
        command.env(KEY_VAR, KEY);
    }
    // A stale results file must not pass for this run's.
    let _ = std::fs::remove_file(p.out_dir().join("results.json"));
    let out = command.output().unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the child run failed: {output}");
    assert!(
        output.contains("1 passed"),
        "the child did not run harness_child: {output}"
    );
    let results = RunResults::read(&p.out_dir().join("results.json")).unwrap();
    (results, output)
}

/// Runs the suite of the project named by [`CHILD_PROJECT`]: the child side of [`run_child`]
/// (ignored, so a plain `cargo test` does not run it on its own).
#[test]
#[ignore = "the child process of the harness tests; run by them"]
fn harness_child() {
    // Run on its own (`--include-ignored`), there is nothing to do; the parent tests set it and
    // read the results file this run writes, so a child that did nothing fails them.
    let Some(root) = std::env::var_os(CHILD_PROJECT).map(std::path::PathBuf::from) else {
        return;
    };
    let out = root.join("out");
    evalgate::Harness::new()
        .config(root.join("evalgate.toml"))
        .output_dir(&out)
        .run(&support::quiet_args(&out, &[]))
        .expect("the run starts");
}

fn close(got: Option<f64>, want: f64) {
    let got = got.expect("a value");
    assert!((got - want).abs() < 1e-6, "got {got}, want {want}");
}

#[test]
fn the_metrics_run_through_the_harness_on_the_endpoint_and_cache_its_vectors() {
    let server = strict_server();
    let p = endpoint_project(server.url(), |s| s);
    let cache = p.scratch("embedding-cache");
    let (results, output) = run_child(&p, true, &cache);
    let evaluation = &results.evaluations[0];
    assert_eq!(evaluation.error, None);
    for check in &evaluation.checks {
        assert_ne!(check.status, CheckStatus::Failed, "{check:?}");
    }
    // a: [1,0]·[0.6,0.8] = 0.6; b: max([0,1]·[1,0], [0,1]·[0.6,0.8]) = 0.8; c: [-1,0]·[1,0] = -1.
    let similarity = &evaluation.metrics["semantic_similarity"];
    for (got, want) in similarity.per_item.iter().zip([0.6, 0.8, -1.0]) {
        close(*got, want);
    }
    close(Some(similarity.value), (0.6 + 0.8 - 1.0) / 3.0);
    close(
        Some(evaluation.metrics["semantic_similarity_min"].value),
        -1.0,
    );
    // a: "Alpha one." with "Beta two." = 0.6; b: "Gamma three." with "Delta four." = 0;
    // c: one sentence, none.
    let coherence = &evaluation.metrics["coherence"];
    close(coherence.per_item[0], 0.6);
    close(coherence.per_item[1], 0.0);
    assert_eq!(coherence.per_item[2], None);
    close(Some(coherence.value), 0.3);

    // The fingerprint names the endpoint and the model, never the key or its variable.
    let settings = serde_json::to_string(&evaluation.fingerprint.metric_settings).unwrap();
    assert_contains(
        &settings,
        &[
            "embedding_endpoint",
            &format!("{}/v1", server.url()),
            "emb-model",
        ],
    );
    assert!(!settings.contains(KEY_VAR), "{settings}");

    let first = server.requests().len();
    assert!(first >= 1);
    // Every text the metrics need, in requests that passed the server's checks (a 400 would
    // have failed the run above).
    let sent: std::collections::BTreeSet<String> = server
        .requests()
        .iter()
        .flat_map(|r| r.json()["input"].as_array().unwrap().clone())
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert!(
        sent.contains("Alpha one. Beta two.") && sent.contains("Beta two."),
        "{sent:?}"
    );

    // A second run embeds nothing: every vector comes from the cache.
    let (again, output2) = run_child(&p, true, &cache);
    assert_eq!(
        server.requests().len(),
        first,
        "the second run asked the server"
    );
    assert_eq!(
        again.evaluations[0].metrics["semantic_similarity"].per_item,
        similarity.per_item
    );
    // The key shows nowhere.
    for (name, text) in [
        ("results.json", p.results_json()),
        ("junit.xml", p.junit_xml()),
        ("libtest.log", p.read("out/libtest.log")),
        ("output", output),
        ("output of the second run", output2),
    ] {
        assert!(!text.contains(KEY), "the key is in {name}");
    }
    let cached = support::files_under(&cache);
    assert!(!cached.is_empty());
    for file in cached {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(KEY),
            "{}",
            file.display()
        );
    }
}

/// The failed checks of a run's only evaluation: each must be an embedding metric's; their
/// messages.
fn failed_messages(results: &RunResults) -> Vec<String> {
    let failed: Vec<_> = results.evaluations[0]
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Failed)
        .collect();
    assert!(!failed.is_empty(), "no failed check");
    failed
        .iter()
        .map(|c| {
            assert!(
                c.metric.starts_with("semantic") || c.metric == "coherence",
                "{c:?}"
            );
            c.message.clone()
        })
        .collect()
}

#[test]
fn endpoint_failures_fail_the_metrics_with_the_url_and_without_the_key() {
    // A 401 whose body echoes the Authorization header.
    let server = Server::start(|request: &Request| {
        let auth = request
            .header("authorization")
            .unwrap_or_default()
            .to_string();
        Reply::json(
            401,
            json!({"error": format!("invalid key {auth}")}).to_string(),
        )
    });
    let p = endpoint_project(server.url(), |s| s);
    let cache = p.scratch("embedding-cache");
    let (results, output) = run_child(&p, true, &cache);
    for message in failed_messages(&results) {
        assert_contains(
            &message,
            &["HTTP 401", &format!("{}/v1/embeddings", server.url())],
        );
        assert!(!message.contains(KEY), "{message}");
    }
    for text in [p.results_json(), p.junit_xml(), output] {
        assert!(!text.contains(KEY));
    }

    // Wrong number of vectors.
    let server = Server::start(|_: &Request| {
        Reply::json(
            200,
            json!({"data": [{"index": 0, "embedding": [1.0, 0.0]}]}).to_string(),
        )
    });
    let p = endpoint_project(server.url(), |s| s);
    let (results, _) = run_child(&p, true, &cache);
    for message in failed_messages(&results) {
        assert_contains(
            &message,
            &["embeddings for", &format!("{}/v1/embeddings", server.url())],
        );
    }

    // Nobody listening (retries = 0): connection refused, naming the URL.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let p = endpoint_project(&closed, |s| s);
    let (results, _) = run_child(&p, true, &cache);
    for message in failed_messages(&results) {
        assert_contains(&message, &[&format!("{closed}/v1/embeddings"), "failed"]);
    }

    // The key's variable unset: named, and no request made.
    let server = strict_server();
    let p = endpoint_project(server.url(), |s| s);
    let (results, _) = run_child(&p, false, &cache);
    for message in failed_messages(&results) {
        assert_contains(
            &message,
            &[
                KEY_VAR,
                "metric_params.semantic_similarity.endpoint.api_key_env",
                "not set",
            ],
        );
    }
    assert!(server.requests().is_empty());
}

#[test]
fn endpoint_configuration_errors_are_load_errors_at_their_line() {
    // The `endpoint` line of SUITE, 1-based.
    let line = SUITE
        .lines()
        .position(|l| l.starts_with("endpoint = "))
        .unwrap()
        + 1;
    let p = endpoint_project("http://127.0.0.1:9", |s| {
        s.replace(
            "[metric_params.semantic_similarity]\n",
            "[metric_params.semantic_similarity]\nmodel = \"models/minilm\"\n",
        )
    });
    let err = p.run_err(&[]);
    assert_contains(
        &err,
        &[
            &format!("evalgate.toml:{}", line + 1),
            "metric_params.semantic_similarity.endpoint",
            "remove `model`",
        ],
    );

    let p = endpoint_project("http://127.0.0.1:9", |s| {
        s.replace("base_url = \"http://127.0.0.1:9/v1\", ", "")
    });
    let err = p.run_err(&[]);
    assert_contains(
        &err,
        &[
            &format!("evalgate.toml:{line}"),
            "metric_params.semantic_similarity.endpoint.base_url",
            "missing",
        ],
    );

    // An id's own table: `coherence` with a bad endpoint key.
    let p = endpoint_project("http://127.0.0.1:9", |s| {
        format!(
            "{s}\n[metric_params.coherence]\nendpoint = {{ base_url = \"http://127.0.0.1:9/v1\", model = \"m\", dims = 3 }}\n"
        )
    });
    let err = p.run_err(&[]);
    assert_contains(
        &err,
        &["metric_params.coherence.endpoint.dims", "not a known key"],
    );
}

/// `evalgate score --metrics semantic --embedding-endpoint ...`: the same values from the same
/// server, the key only in the request.
#[test]
fn the_score_command_embeds_with_an_endpoint() {
    let server = strict_server();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.jsonl");
    std::fs::write(
        &input,
        "{\"id\": 1, \"prediction\": \"Alpha one. Beta two.\", \"reference\": \"Beta ref.\"}\n\
         {\"id\": 2, \"prediction\": \"Delta only.\", \"reference\": \"Gamma x.\"}\n",
    )
    .unwrap();
    let run = |key: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_evalgate"));
        command
            .args(["score", "--metrics", "semantic", "--input"])
            .arg(&input)
            .args(["--embedding-endpoint", &format!("{}/v1", server.url())])
            .args(["--embedding-endpoint-model", "emb-model"])
            .args(["--embedding-api-key-env", KEY_VAR])
            .env("EVALGATE_EMBEDDING_CACHE", dir.path().join("cache"))
            .env_remove(KEY_VAR);
        if key {
            command.env(KEY_VAR, KEY);
        }
        command.output().unwrap()
    };
    let out = run(true);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    close(lines[0]["semantic_similarity"].as_f64(), 0.6);
    close(lines[0]["coherence"].as_f64(), 0.6);
    close(lines[1]["semantic_similarity"].as_f64(), 0.0);
    assert_eq!(lines[1]["coherence"], Value::Null);
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
    let asked = server.requests().len();
    assert!(asked >= 1);
    // Cached: the second run asks nothing, so it needs no key either.
    let again = run(false);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&again.stdout), stdout);
    assert_eq!(server.requests().len(), asked);

    // Without the model name, the argument parser refuses.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["score", "--metrics", "semantic", "--input"])
        .arg(&input)
        .args(["--embedding-endpoint", "http://127.0.0.1:9/v1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_contains(
        &String::from_utf8_lossy(&out.stderr),
        &["--embedding-endpoint-model"],
    );
}
