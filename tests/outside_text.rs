//! Text from outside evalgate — child processes' stdout and stderr, HTTP bodies and transport
//! errors, URLs, dataset ids — on its way into results.json, junit.xml, the console and the PR
//! comment (issue 9): secrets are redacted, the text is bounded, it cannot start GitHub Actions
//! workflow commands or carry terminal controls, junit.xml stays XML, and a timeout kills the
//! whole process tree of a child.
//!
//! Each fault is tried with several inputs of its kind; the end-to-end cases run the harness
//! in-process against loopback servers and `sh` scripts.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use evalgate::results::RunResults;
use evalgate::unstable::metrics::external::ExternalMetric;
use evalgate::unstable::metrics::{Metric, ScoringItem};
use evalgate::unstable::outside::{self, Bound, Secrets};
use evalgate::unstable::report::pr_comment::{self, CommentOptions};
use evalgate::unstable::systems::command::CommandSystem;
use evalgate::unstable::systems::openai::OpenAiSystem;
use evalgate::unstable::systems::{System, SystemRequest};
use serde_json::{Value, json};
use support::{ONE_THREAD, Project, Reply, Server};

/// The API key the openai system sends (read from a variable whose name does not look secret, so
/// only "the key it sent" can hide it) and a secret in evalgate's own environment.
const LLM_KEY_VAR: &str = "EVALGATE_OUTSIDE_TEXT_LLM";
const LLM_KEY: &str = "evk-7Hq2-LmX9-pW4z-Rt8v-Jn3c-Yb6d-Ka5s";
const INHERITED_VAR: &str = "EVALGATE_OUTSIDE_TEXT_TOKEN";
const INHERITED_SECRET: &str = "inherited-Qz81-vMx4-secret";
/// A key in a variable whose name does not look secret; the suite names it as `api_key_env`.
const PLAIN_NAMED_VAR: &str = "EVALGATE_OUTSIDE_TEXT_LLM_ACCESS";
const PLAIN_NAMED_KEY: &str = "Zx81LlmAcc3ssValue77";

fn set_test_environment() {
    static ONCE: Once = Once::new();
    // SAFETY: these variables are only read by code in this test binary after this point; std's
    // environment lock orders the write with evalgate's reads (`std::env::vars_os`, spawning).
    ONCE.call_once(|| unsafe {
        std::env::set_var(LLM_KEY_VAR, LLM_KEY);
        std::env::set_var(INHERITED_VAR, INHERITED_SECRET);
        std::env::set_var(PLAIN_NAMED_VAR, PLAIN_NAMED_KEY);
    });
}

// ---------------------------------------------------------------------------------------------
// What every piece of stored or printed text must satisfy.

/// Characters a runner skips before looking for `::` (whitespace and zero-width ones).
fn blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{FEFF}')
}

/// No workflow command can start in `text`, and it holds no terminal controls, noncharacters or
/// bidirectional overrides.
fn assert_inert(what: &str, text: &str) {
    // A runner reads lines split at \n, \r and \r\n.
    for line in text.split(['\n', '\r']) {
        assert!(
            !line.trim_start_matches(blank).starts_with("::"),
            "{what}: a line starts a workflow command: {line:?}\nin: {text:?}"
        );
    }
    assert!(
        !text.contains("##["),
        "{what}: legacy workflow command in {text:?}"
    );
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{FFFE}' | '\u{FFFF}' | '\u{2028}' | '\u{2029}')
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c);
        assert!(!bad, "{what}: character {c:?} in {text:?}");
    }
}

/// Every message of a run: pair errors and check messages.
fn messages(results: &RunResults) -> Vec<String> {
    let mut out = Vec::new();
    for pair in &results.evaluations {
        out.extend(pair.error.clone());
        out.extend(pair.checks.iter().map(|c| c.message.clone()));
    }
    out
}

/// Parses junit.xml (it must be XML) and returns every attribute value and text in it.
fn junit_strings(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml)
        .unwrap_or_else(|e| panic!("junit.xml is not XML: {e}\n{xml}"));
    let mut out = Vec::new();
    for node in doc.descendants() {
        if let Some(text) = node.text() {
            out.push(text.to_string());
        }
        out.extend(node.attributes().map(|a| a.value().to_string()));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// A project run through the harness.

/// A temp project: one dataset with `items` (id, input, reference), the given systems,
/// external metrics and checks.
fn project(items: &[(&str, &str, &str)], systems: &str, metrics: &str) -> Project {
    let names: Vec<String> = systems
        .lines()
        .filter_map(|l| l.strip_prefix("[systems.")?.strip_suffix(']'))
        .map(|n| format!("\"{n}\""))
        .collect();
    let p = Project::new(&format!(
        "[suite]\ncache_dir = \"cache\"\n\n[tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
         [datasets.demo_v1]\nsystems = [{}]\nmetrics = [{metrics}]\n\n{systems}\n",
        names.join(", ")
    ));
    let items: Vec<Value> = items
        .iter()
        .map(|(id, input, reference)| json!({"id": id, "input": input, "references": [reference]}))
        .collect();
    let ds = p.manifest("demo_v1", &Value::Array(items).to_string());
    // Hashing refuses unusable ids; those datasets are then loaded without hashes and fail on
    // the id, which is checked before the hashes.
    let _ = evalgate::unstable::dataset::write_hashes(&ds);
    p
}

/// What a run stored and would print.
struct Run {
    results: RunResults,
    results_json: String,
    junit_xml: String,
    comment: String,
    /// What libtest printed (the console of `cargo test`), from the run's log file.
    console: String,
}

fn run(p: &Project) -> Run {
    let out = p.run(&ONE_THREAD);
    let console = p.read("out/libtest.log");
    let results = out.results.unwrap();
    let comment = pr_comment::render(&results, &CommentOptions::default());
    Run {
        results_json: std::fs::read_to_string(out.results_path.unwrap()).unwrap(),
        junit_xml: std::fs::read_to_string(out.junit_path.unwrap()).unwrap(),
        results,
        comment,
        console,
    }
}

impl Run {
    /// Everything stored or shown, for "never appears" checks.
    fn all_text(&self) -> [(&'static str, &str); 4] {
        [
            ("results.json", &self.results_json),
            ("junit.xml", &self.junit_xml),
            ("PR comment", &self.comment),
            ("console", &self.console),
        ]
    }

    /// Messages and junit strings are inert; junit.xml parses.
    fn assert_inert(&self) {
        for message in messages(&self.results) {
            assert_inert("results message", &message);
        }
        for text in junit_strings(&self.junit_xml) {
            assert_inert("junit.xml", &text);
        }
        assert_inert("console", &self.console);
    }

    fn first_error(&self) -> &str {
        self.results
            .evaluations
            .iter()
            .find_map(|p| p.error.as_deref())
            .expect("a pair failed")
    }
}

/// TOML for `[systems.<name>] kind = "command"` running `sh -c <script>`.
fn sh_system(name: &str, script: &str, extra: &str) -> String {
    format!(
        "[systems.{name}]\nkind = \"command\"\ncommand = [\"sh\", \"-c\", '''{script}''']\n{extra}\n"
    )
}

/// The three ways a child program runs — a command system once per item, a command system in
/// batch mode, an external metric — running the scripts `single`, `batch` and `metric`, each
/// table with the `extra` keys: (name, systems and metrics TOML, dataset metrics).
fn child_cases(
    single: &str,
    batch: &str,
    metric: &str,
    extra: &str,
) -> [(&'static str, String, &'static str); 3] {
    let judge = format!(
        "{}\n[external_metrics.judge]\ncommand = [\"sh\", \"-c\", '''{metric}''']\n\
         direction = \"higher_is_better\"\n{extra}\n\n[checks.judge]\nmin = 0.0\n",
        sh_system("cmd", "cat > /dev/null; echo fine", "")
    );
    [
        (
            "command, single mode",
            sh_system("cmd", single, extra),
            "\"rouge1_f1\"",
        ),
        (
            "command, batch mode",
            sh_system("cmd", batch, &format!("{extra}\nbatch = true")),
            "\"rouge1_f1\"",
        ),
        ("external metric", judge, "\"judge\""),
    ]
}

// ---------------------------------------------------------------------------------------------
// Children and systems called directly.

/// A command system named `name`, from its table's TOML.
fn command_system(name: &str, table: &str) -> CommandSystem {
    let table: toml::Table = toml::from_str(table).unwrap();
    CommandSystem::from_config(name, &table, Path::new("."), &[]).unwrap()
}

/// The request of the direct calls: item `a`, input `x`.
fn request(metadata: &Value) -> SystemRequest<'_> {
    SystemRequest {
        item_id: "a",
        input: "x",
        metadata,
        sample: 0,
        samples: 1,
        seed: 0,
    }
}

/// The error `system` fails [`request`] with.
fn generate_error(system: &dyn System) -> String {
    system
        .generate(&request(&json!({})))
        .unwrap_err()
        .to_string()
}

/// The error the external metric `judge` (its table's TOML) fails with, scoring one item with
/// `references`.
fn external_metric_error(table: &str, references: &[String]) -> String {
    let table: toml::Table = toml::from_str(table).unwrap();
    let metric = ExternalMetric::from_config("judge", &table, Path::new(".")).unwrap();
    let items = [ScoringItem {
        id: "a",
        input: "in",
        prediction: "out",
        references,
        metadata: &json!({}),
        generation: None,
    }];
    metric
        .score(&items, &["judge"], &Default::default())
        .unwrap_err()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// The step itself.

#[test]
fn admit_redacts_bounds_and_neutralizes_every_kind_of_input() {
    let key = "zx-81Jd-Qw93-kLm0-Pq77";
    let known = Secrets::none().with(key).with("s3cr/et+v@lue");
    struct Case<'a> {
        name: &'a str,
        raw: String,
        secrets: &'a Secrets,
        bound: Bound,
        /// Must not appear in the admitted text.
        absent: Vec<String>,
        /// Must appear (what is kept of the text).
        present: Vec<&'a str>,
    }
    let none = Secrets::none();
    let long_line = "x".repeat(10_000_000);
    let cases = vec![
        Case {
            name: "known key echoed",
            raw: format!("401: invalid header Authorization: Bearer {key}; key={key}"),
            secrets: &known,
            bound: Bound::MESSAGE,
            absent: vec![key.into()],
            present: vec!["401: invalid header", outside::REDACTED],
        },
        Case {
            name: "known key JSON-escaped and percent-encoded",
            raw: "{\"k\": \"s3cr\\/et+v@lue\"} url=?k=s3cr%2Fet%2Bv%40lue".into(),
            secrets: &known,
            bound: Bound::MESSAGE,
            absent: vec!["s3cr".into()],
            present: vec!["{\"k\": \"", "url=?k="],
        },
        Case {
            name: "known key cut in half by the bound",
            raw: format!("{}{key}", "a".repeat(190)),
            secrets: &known,
            bound: Bound::SNIPPET,
            absent: vec![key[..4].into()],
            present: vec!["aaaa"],
        },
        Case {
            name: "known key split by a control character",
            raw: format!("{}\u{1b}[0m{}", &key[..5], &key[5..]),
            secrets: &known,
            bound: Bound::MESSAGE,
            absent: vec![key[..5].into(), key[5..].into()],
            present: vec![outside::REDACTED],
        },
        Case {
            name: "credentials in URLs",
            raw: "fetch https://bob:hunter2-long@example.com/x failed; git https://ghp_tok@github.com"
                .into(),
            secrets: &none,
            bound: Bound::MESSAGE,
            absent: vec!["hunter2-long".into(), "bob:".into(), "ghp_tok".into()],
            present: vec!["@example.com/x", "@github.com"],
        },
        Case {
            name: "well-known key shapes",
            raw: [
                "sk-abc123def456ghi789jkl012mno345",
                "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34",
                "sk-ant-api03-Ab12Cd34Ef56Gh78Ij90",
                "ghp_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr",
                "github_pat_11ABCDEFG0abcdefghijklmnopqrstu",
                "xoxb-1234567890-abcdefghij",
                "AIzaSyAb12Cd34Ef56Gh78Ij90Kl12Mn34Op5",
                "hf_Ab12Cd34Ef56Gh78Ij90Kl12Mn",
                "Authorization: Bearer abc.def.123456789",
            ]
            .join(" | "),
            secrets: &none,
            bound: Bound::MESSAGE,
            absent: vec![
                "abc123def".into(),
                "Ab12Cd34".into(),
                "11ABCDEFG".into(),
                "1234567890".into(),
                "abc.def".into(),
            ],
            present: vec!["Bearer [redacted]", " | "],
        },
        Case {
            name: "workflow commands after every kind of line break and blank",
            raw: "ok\n::error title=x::boom\r::warning::w\r\n  \t::notice::n\u{2028}::group::g\
                  \u{85}::add-mask::m\u{a0}\n\u{200b}::stop-commands::t\nmid ##[error]legacy"
                .into(),
            secrets: &none,
            bound: Bound::MESSAGE,
            absent: vec![],
            present: vec!["boom", "legacy", "error title=x"],
        },
        Case {
            name: "terminal controls, noncharacters, bidi overrides",
            raw: "\u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{7} bell\u{7} nul\u{0} del\u{7f} \
                  c1\u{9b}2J ffff\u{FFFF} fffe\u{FFFE} fdd0\u{FDD0} rlo\u{202E}evil\u{202C}"
                .into(),
            secrets: &none,
            bound: Bound::MESSAGE,
            absent: vec!["title".into(), "[31m".into()],
            present: vec!["red", "bell", "nul", "ffff\u{FFFD}", "evil"],
        },
        Case {
            name: "a 10 MB line",
            raw: long_line.clone(),
            secrets: &none,
            bound: Bound::STDERR_LINE,
            absent: vec![],
            present: vec!["xxx…"],
        },
        Case {
            name: "many lines",
            raw: "line\n".repeat(100_000),
            secrets: &none,
            bound: Bound::MESSAGE,
            absent: vec![],
            present: vec!["line\nline"],
        },
    ];
    for case in cases {
        let out = outside::admit(&case.raw, case.secrets, case.bound);
        assert_inert(case.name, &out);
        let chars = out.chars().count();
        assert!(
            chars <= case.bound.total_chars + 20,
            "{}: {chars} characters kept",
            case.name
        );
        if !case.bound.one_line {
            for line in out.lines() {
                assert!(
                    line.chars().count() <= case.bound.line_chars + 20,
                    "{}",
                    case.name
                );
            }
        }
        for absent in &case.absent {
            assert!(
                !out.contains(absent.as_str()),
                "{}: `{absent}` in {out:?}",
                case.name
            );
        }
        for present in &case.present {
            assert!(
                out.contains(present),
                "{}: `{present}` missing in {out:?}",
                case.name
            );
        }
        assert_eq!(
            outside::inert(&out),
            out,
            "{}: admitted text is inert",
            case.name
        );
        for c in outside::xml_text(&out).chars() {
            assert!(outside::is_xml_char(c), "{}: {c:?}", case.name);
        }
    }
}

#[test]
fn api_key_env_refuses_every_common_key_shape_and_accepts_names() {
    let from_config = |value: &str| {
        let table: toml::Table = toml::from_str(&format!(
            "base_url = \"http://127.0.0.1:1/v1\"\nmodel = \"m\"\napi_key_env = {}",
            toml::Value::String(value.into())
        ))
        .unwrap();
        OpenAiSystem::from_config("chat", &table, Path::new("."))
    };
    let keys = [
        "sk-abc123",
        "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34",
        "sk-ant-api03-Ab12Cd34Ef56Gh78",
        "sk_live_Ab12Cd34Ef56Gh78",
        "ghp_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr",
        "github_pat_11ABCDEFG0abcdefghijklmnop",
        "xoxb-1234567890-abcdefghij",
        "AIzaSyAb12Cd34Ef56Gh78Ij90Kl12Mn34Op5",
        "hf_Ab12Cd34Ef56Gh78Ij90Kl12Mn",
        "AKIAIOSFODNN7EXAMPLE",
        "Bearer abcdef",
        "Zx81Jd0Qw93kLm0Pq77Rt5v",
        "0123456789abcdef0123456789abcdef",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature_x",
        "OPENAI_API_KEY=sk-abc",
        "my key",
        "",
    ];
    for key in keys {
        let message = match from_config(key) {
            Err(evalgate::Error::Config(m)) => m.to_string(),
            other => panic!("`{key}` accepted as a variable name: {other:?}"),
        };
        assert!(
            message.contains("NAME of an environment variable"),
            "{message}"
        );
        assert!(message.contains("systems.chat.api_key_env"), "{message}");
        if !key.is_empty() {
            assert!(!message.contains(key), "the key is quoted: {message}");
        }
    }
    for name in [
        "OPENAI_API_KEY",
        "HF_TOKEN",
        "AZURE_OPENAI_API_KEY_2",
        "_X",
        "openai_key",
        "hf_token",
        "SK_PROD_KEY",
        "MY_SERVICE_KEY_20240101",
    ] {
        assert!(from_config(name).is_ok(), "`{name}` refused");
    }
}

// ---------------------------------------------------------------------------------------------
// Secrets, end to end.

#[test]
fn a_key_echoed_by_a_401_server_is_in_no_report() {
    set_test_environment();
    // The reply quotes the Authorization header, then the key again so that it straddles the
    // point where the error message cuts the body.
    let server = Server::start(|request| {
        let auth = request.header("authorization").unwrap_or_default();
        let head = format!("{{\"error\": \"invalid header Authorization: {auth}\", \"pad\": \"");
        let pad = "p".repeat(292 - head.chars().count());
        let body = format!("{head}{pad}{LLM_KEY}\", \"key\": \"{LLM_KEY}\"}}");
        Reply::json(401, body)
    });
    let url = server.url();
    let systems = format!(
        "[systems.llm]\nkind = \"openai\"\nbase_url = \"{url}/v1\"\nmodel = \"m\"\n\
         api_key_env = \"{LLM_KEY_VAR}\"\nretries = 0\ntimeout_secs = 5\n"
    );
    let p = project(
        &[("a", "Alpha input.", "alpha"), ("b", "Beta input.", "beta")],
        &systems,
        "\"rouge1_f1\"",
    );
    let run = run(&p);
    let error = run.first_error();
    assert!(error.contains("HTTP 401"), "{error}");
    assert!(
        error.contains("invalid header Authorization: Bearer [redacted]"),
        "{error}"
    );
    let windows: Vec<&str> = (0..LLM_KEY.len() - 6).map(|i| &LLM_KEY[i..i + 7]).collect();
    for (name, text) in run.all_text() {
        assert!(!text.contains(LLM_KEY), "the key is in {name}");
        for window in &windows {
            assert!(!text.contains(window), "`{window}` of the key is in {name}");
        }
    }
    run.assert_inert();
}

#[test]
fn secrets_given_to_children_and_echoed_on_stderr_are_redacted() {
    set_test_environment();
    let echo = "echo \"loading with token=$HF_TOKEN key=$JUDGE_API_KEY inherited=$EVALGATE_OUTSIDE_TEXT_TOKEN\" >&2; exit 1";
    let env = "env = { HF_TOKEN = \"hf-value-Xc83-mmq1\", JUDGE_API_KEY = \"judge-v4lue-0pz\" }";
    for (name, systems, metrics) in child_cases(echo, echo, echo, env) {
        let p = project(&[("a", "Alpha input.", "alpha")], &systems, metrics);
        let run = run(&p);
        let error = run.first_error();
        assert!(
            error.contains("loading with token=[redacted] key=[redacted] inherited=[redacted]"),
            "{name}: {error}"
        );
        for (file, text) in run.all_text() {
            for secret in ["hf-value-Xc83-mmq1", "judge-v4lue-0pz", INHERITED_SECRET] {
                assert!(!text.contains(secret), "{name}: `{secret}` in {file}");
            }
        }
        run.assert_inert();
    }
}

#[test]
fn secrets_in_system_configurations_reach_no_report_and_no_baseline() {
    set_test_environment();
    // A server that answers the first item and fails the second, echoing the Authorization
    // header (HTTP Basic, made from the URL's credentials) and the request target.
    let server = Server::start(|request| {
        let auth = request
            .header("authorization")
            .unwrap_or_default()
            .to_string();
        let raw = auth.trim_start_matches("Basic ").to_string();
        if request.text().contains("Beta") {
            let body = json!({"error": format!("raw={raw} auth={auth} target={}", request.target)});
            Reply::json(500, body.to_string())
        } else {
            Reply::json(
                200,
                r#"{"choices": [{"message": {"content": "alpha summary"}, "finish_reason": "stop"}]}"#,
            )
        }
    });
    let host = server.url().trim_start_matches("http://").to_string();
    let systems = format!(
        r#"[systems.llm]
kind = "openai"
base_url = "http://alice:Sup3rS3cretPw@{host}/v1?token=qs5ecretvalue99"
model = "m"
retries = 0
timeout_secs = 5
api_key_env = "{PLAIN_NAMED_VAR}"

[systems.basic]
kind = "openai"
base_url = "http://alice:Sup3rS3cretPw@{host}/v1?token=qs5ecretvalue99"
model = "m"
retries = 0
timeout_secs = 5

[systems.cmd]
kind = "command"
command = ["sh", "-c", 'echo "access=${PLAIN_NAMED_VAR}" >&2; echo summary', "--db", "postgres://dbuser:CmdLineP4ss99@db:5432/x"]
env = {{ DB_URL = "mysql://root:EnvUrlP4ss88@db/x" }}
"#
    );
    let p = project(
        &[("a", "Alpha input.", "alpha"), ("b", "Beta input.", "beta")],
        &systems,
        "\"rouge1_f1\"",
    );
    let run = run(&p);
    let pending: String = p
        .pending()
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert!(
        !pending.is_empty(),
        "the command system leaves a pending baseline"
    );
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode("alice:Sup3rS3cretPw")
    };
    let secrets = [
        "Sup3rS3cretPw",
        basic.as_str(),
        "qs5ecretvalue99",
        "CmdLineP4ss99",
        "EnvUrlP4ss88",
        PLAIN_NAMED_KEY,
    ];
    let all = run
        .all_text()
        .into_iter()
        .chain([("pending baseline", pending.as_str())]);
    for (name, text) in all {
        for secret in secrets {
            assert!(!text.contains(secret), "`{secret}` is in {name}");
        }
    }
    // The openai failures reached the report (so the test saw the echoes), redacted: the
    // API key sent as a Bearer token, and the URL's credentials sent as HTTP Basic.
    let error_of = |system: &str| {
        let evaluation = run
            .results
            .evaluations
            .iter()
            .find(|e| e.system == system)
            .unwrap();
        evaluation.error.clone().unwrap_or_default()
    };
    let error = error_of("llm");
    assert!(
        error.contains("HTTP 500") && error.contains("auth=Bearer [redacted]"),
        "{error}"
    );
    let error = error_of("basic");
    assert!(
        error.contains("HTTP 500") && error.contains("raw=[redacted]"),
        "{error}"
    );
    // What the configurations keep is still readable.
    let cmd = run
        .results
        .evaluations
        .iter()
        .find(|e| e.system == "cmd")
        .unwrap();
    let config = cmd.system_config.to_string();
    assert!(
        config.contains("postgres://[redacted]@db:5432/x"),
        "{config}"
    );
    assert!(config.contains("mysql://[redacted]@db/x"), "{config}");
    run.assert_inert();
}

#[test]
fn credentials_in_a_base_url_stay_out_of_messages() {
    for base_url in [
        "http://evaluser:pa55-w0rd-xyz@127.0.0.1:1/v1",
        "http://pa55-w0rd-xyz@127.0.0.1:1/v1",
    ] {
        let table: toml::Table = toml::from_str(&format!(
            "base_url = \"{base_url}\"\nmodel = \"m\"\nretries = 0\ntimeout_secs = 2"
        ))
        .unwrap();
        let sys = OpenAiSystem::from_config("chat", &table, Path::new(".")).unwrap();
        let message = generate_error(&sys);
        assert!(
            message.contains("POST http://[redacted]@127.0.0.1:1/v1"),
            "{message}"
        );
        assert!(!message.contains("pa55-w0rd-xyz"), "{message}");
    }
}

#[test]
fn github_errors_hide_the_token_and_stay_bounded_and_inert() {
    const TOKEN: &str = "ghs_Zx81Jd0Qw93kLm0Pq77Rt5vAb12Cd34";
    let big = format!("{{\"message\": \"{}\"}}", "m".repeat(10_000_000));
    let replies = [
        format!(
            "{{\"message\": \"Bad credentials: Bearer {TOKEN}\\n::error::x ##[error]y \\u001b[31m\"}}"
        ),
        format!("<html>token {TOKEN} \u{FFFF}\r::warning::w</html>"),
        big,
    ];
    for reply in replies {
        let server = Server::start(move |_| Reply::json(401, reply.clone()));
        let client =
            evalgate::unstable::report::github::GitHubClient::new(server.url(), "acme/pods", TOKEN)
                .unwrap();
        let message = client.list_comments(7).unwrap_err().to_string();
        assert!(message.contains("HTTP 401"), "{message}");
        assert!(message.contains("The token was rejected"), "{message}");
        assert!(
            !message.contains(TOKEN) && !message.contains("Zx81Jd0Q"),
            "{message}"
        );
        assert!(
            message.chars().count() < 1000,
            "{} characters",
            message.len()
        );
        assert_inert("GitHub error", &message);
    }
}

// ---------------------------------------------------------------------------------------------
// Bounds, end to end.

#[test]
fn one_10_mb_stderr_line_gives_bounded_messages_and_results() {
    let items: Vec<(String, String)> = (1..=5)
        .map(|n| (format!("ep{n}"), format!("Input number {n}.")))
        .collect();
    let items: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|(id, input)| (id.as_str(), input.as_str(), "a reference"))
        .collect();
    let big = "head -c 10000000 /dev/zero | tr '\\0' x >&2; exit 3";
    let metrics = "\"rouge1_f1\", \"rouge2_f1\", \"rougeL_f1\", \"latency_mean_ms\"";
    for (name, script, extra) in [
        ("single mode", format!("cat > /dev/null; {big}"), ""),
        ("batch mode", format!("read line; {big}"), "batch = true"),
    ] {
        let systems = format!(
            "{}\n[checks.latency_mean_ms]\nmax = 100000\n",
            sh_system("big", &script, extra)
        );
        let p = project(&items, &systems, metrics);
        let started = Instant::now();
        let run = run(&p);
        let error = run.first_error();
        assert!(error.contains("failed on 5 of 5 items"), "{name}: {error}");
        assert!(
            error.contains("xxxx…"),
            "{name}: the line is quoted, cut: {error}"
        );
        for message in messages(&run.results) {
            assert!(
                message.len() < 10_000,
                "{name}: a message of {} bytes",
                message.len()
            );
        }
        assert!(run.results.evaluations[0].checks.len() >= 4, "{name}");
        assert!(
            run.results_json.len() < 100_000,
            "{name}: results.json is {} bytes",
            run.results_json.len()
        );
        assert!(
            run.junit_xml.len() < 100_000,
            "{name}: junit.xml is {} bytes",
            run.junit_xml.len()
        );
        assert!(started.elapsed() < Duration::from_secs(60), "{name}");
        run.assert_inert();
    }
}

#[test]
fn output_beyond_the_stdout_limit_is_an_error_not_a_truncated_prediction() {
    let sys = command_system(
        "big",
        "command = [\"sh\", \"-c\", \"cat > /dev/null; head -c 70000000 /dev/zero | tr '\\\\0' y\"]\n\
         timeout_secs = 30",
    );
    let message = generate_error(&sys);
    assert!(message.contains("more than 64 MiB"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// Workflow commands, control characters and XML, end to end.

/// A stderr that tries every trick: commands after \n, \r, \r\n and U+2028, the legacy syntax,
/// escape sequences, C0/C1 controls, U+FFFF and U+FFFE, a bidi override.
const HOSTILE_STDERR: &str = "printf 'before\\n::error title=x::boom\\n   ::warning::w\\r::notice::n\\r\\n##[error]legacy \\033[31mred\\033[0m \\033]0;title\\007 bell\\007 ctl\\001\\002\\177 c1\\302\\233[2J ffff\\357\\277\\277 fffe\\357\\277\\276 rlo\\342\\200\\256evil ls\\342\\200\\250::error::after-ls\\n' >&2";

#[test]
fn hostile_stderr_leaves_messages_inert_and_junit_xml_parseable() {
    let single = format!("cat > /dev/null; {HOSTILE_STDERR}; exit 2");
    let batch = format!("read line; {HOSTILE_STDERR}; echo not-json");
    for (name, systems, metrics) in child_cases(&single, &batch, &single, "") {
        let p = project(&[("a", "Alpha input.", "alpha")], &systems, metrics);
        let run = run(&p);
        let error = run.first_error();
        // The text is kept, only made harmless.
        for kept in [
            "boom",
            "legacy",
            "red",
            "bell",
            "ffff\u{FFFD}",
            "evil",
            "after-ls",
        ] {
            assert!(
                error.contains(kept),
                "{name}: `{kept}` missing in {error:?}"
            );
        }
        assert!(!error.contains("title\u{7}"), "{name}");
        run.assert_inert();
        for message in messages(&run.results) {
            assert!(message.contains("boom"), "{name}: {message:?}");
        }
        // The failure text made it into junit.xml, which parses.
        assert!(
            junit_strings(&run.junit_xml)
                .iter()
                .any(|s| s.contains("legacy")),
            "{name}"
        );
    }
}

#[test]
fn item_ids_that_are_not_one_printable_line_are_refused_and_quoted_escaped() {
    let long = "i".repeat(5000);
    let ids = [
        "a\n::error title=x::boom",
        "b\r::warning::w",
        "##[error]legacy",
        "::notice::n",
        "c\u{1b}[31m",
        "d\u{FFFF}",
        "e\u{202E}fdp.exe",
        "f\u{2028}::error::x",
        long.as_str(),
    ];
    for id in ids {
        let p = project(
            &[(id, "Alpha input.", "alpha")],
            &sh_system("cmd", "cat > /dev/null; echo fine", ""),
            "\"rouge1_f1\"",
        );
        let run = run(&p);
        let error = run.first_error();
        assert!(error.contains("item 1: has the id"), "{id:?}: {error}");
        assert!(error.len() < 2000, "{id:?}: {} bytes", error.len());
        run.assert_inert();
    }
}

#[test]
fn ids_an_external_metric_or_a_batch_program_answers_are_quoted_inert() {
    // External metric: an answer for an id that was not sent.
    let hostile_id = "zz\\n::error::x ##[error]y \\u001b[2J";
    let message = external_metric_error(
        &format!(
            "command = [\"sh\", \"-c\", '''cat > /dev/null; printf '%s\\n' '{{\"id\": \"{hostile_id}\", \"value\": 1}}' ''']\n\
             direction = \"higher_is_better\""
        ),
        &["ref".to_string()],
    );
    assert!(message.contains("answers item `zz"), "{message}");
    assert_inert("external metric", &message);

    // Batch mode: an answer for another id.
    let sys = command_system(
        "b",
        &format!(
            "command = [\"sh\", \"-c\", '''read line; printf '%s\\n' '{{\"id\": \"{hostile_id}\", \"output\": \"o\"}}'; sleep 1''']\nbatch = true"
        ),
    );
    let message = generate_error(&sys);
    assert!(message.contains("answered for item"), "{message}");
    assert_inert("batch answer", &message);
}

#[test]
fn junit_xml_stays_xml_whatever_a_message_holds() {
    let nasty = "a\u{FFFF}b\u{FFFE}c\u{0}d\u{1b}[31me\u{7f}f\u{9b}g\u{b}h\u{10FFFF}".to_string();
    let check = evalgate::results::CheckResult {
        trial: format!("smoke::ds::sys::m::{nasty}"),
        tier: "smoke".into(),
        metric: nasty.clone(),
        kind: evalgate::results::CheckKind::Min,
        severity: evalgate::results::Severity::Error,
        status: evalgate::results::CheckStatus::Failed,
        direction: Some(evalgate::unstable::metrics::Direction::HigherIsBetter),
        value: None,
        baseline: None,
        delta: None,
        threshold: None,
        threshold_pct: None,
        test: None,
        message: format!("line\n::error::x {nasty}"),
        worst_items: Vec::new(),
        failing_items: Vec::new(),
        item: Some(nasty.clone()),
        file: nasty.clone(),
        line: None,
    };
    let skipped = evalgate::unstable::junit::SkippedTrial {
        name: nasty.clone(),
        reason: nasty.clone(),
    };
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("junit.xml");
    let results = evalgate::results::RunResults {
        schema: evalgate::results::RESULTS_SCHEMA.to_string(),
        run: Default::default(),
        evaluations: Vec::new(),
        other_checks: vec![check],
        summary: Default::default(),
    };
    evalgate::unstable::junit::write(&path, &nasty, &results, &[skipped]).unwrap();
    let xml = std::fs::read_to_string(&path).unwrap();
    let strings = junit_strings(&xml);
    assert!(strings.iter().any(|s| s.contains("a\u{FFFD}b")), "{xml}");
    for s in strings {
        assert_inert("junit.xml", &s);
    }
}

// ---------------------------------------------------------------------------------------------
// Process trees.

/// True once `pid` has exited (gone, or a zombie nobody reaped yet).
#[cfg(target_os = "linux")]
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            state.starts_with('Z') || state.starts_with('X')
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_timeout_kills_the_grandchildren_too() {
    let dir = tempfile::tempdir().unwrap();
    // The grandchild writes its pid, then sleeps; the child waits for it (`; true` keeps the
    // shell from replacing itself with it).
    let script = |pidfile: &Path| {
        format!(
            "sh -c 'echo $$ > {}; exec sleep 300'; true",
            pidfile.display()
        )
    };
    type Run<'a> = Box<dyn Fn(&Path) -> String + 'a>;
    let cases: Vec<(&str, Run<'_>)> = vec![
        (
            "command, single mode",
            Box::new(|pidfile| {
                generate_error(&command_system(
                    "s",
                    &format!(
                        "command = [\"sh\", \"-c\", \"{}\"]\ntimeout_secs = 1",
                        script(pidfile)
                    ),
                ))
            }),
        ),
        (
            "command, batch mode",
            Box::new(|pidfile| {
                let sys = command_system(
                    "s",
                    &format!(
                        "command = [\"sh\", \"-c\", \"{}\"]\ntimeout_secs = 1\nbatch = true",
                        script(pidfile)
                    ),
                );
                let meta = json!({});
                sys.generate_batch(&[request(&meta)])[0]
                    .as_ref()
                    .unwrap_err()
                    .to_string()
            }),
        ),
        (
            "external metric",
            Box::new(|pidfile| {
                external_metric_error(
                    &format!(
                        "command = [\"sh\", \"-c\", \"{}\"]\ntimeout_secs = 1\n\
                         direction = \"higher_is_better\"",
                        script(pidfile)
                    ),
                    &[],
                )
            }),
        ),
    ];
    for (n, (name, run)) in cases.iter().enumerate() {
        let pidfile = dir.path().join(format!("grandchild-{n}.pid"));
        let started = Instant::now();
        let message = run(&pidfile);
        assert!(message.contains("timed out"), "{name}: {message}");
        assert!(started.elapsed() < Duration::from_secs(10), "{name}");
        let pid: u32 = std::fs::read_to_string(&pidfile)
            .unwrap_or_else(|e| panic!("{name}: the grandchild did not start: {e}"))
            .trim()
            .parse()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !exited(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(exited(pid), "{name}: grandchild {pid} survived the timeout");
    }
}
