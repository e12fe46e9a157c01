//! `evalgate alert` against a fake webhook on loopback, run as the real binary: the Slack,
//! Discord and JSON payloads; dedupe over simulated nightly runs with `evalgate history append`
//! in between; retries on 429 and 5xx; failures as warnings (exit 0); the webhook URL never
//! printed; bad input files exit 2.

mod report_support;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use evalgate::results::{CheckStatus, RunResults, Severity};
use report_support::{podcast_pair, regress, run};
use serde_json::Value;
use support::{Reply, Server};

/// The secret part of the webhook URL, as Slack puts it in the path.
const SECRET: &str = "XXXXsecretXXXX";
const HOOK_PATH: &str = "/services/T000/B000/XXXXsecretXXXX";
const ENV: &str = "SLACK_WEBHOOK_URL";
const RUN_URL: &str = "https://github.com/acme/podcasts/actions/runs/42";
const DASHBOARD_URL: &str = "https://acme.github.io/podcasts/";

/// Nightly run `n` (its own start time and commit); ROUGE-L failed when `regressed`.
fn nightly(n: u32, regressed: bool) -> RunResults {
    let mut pair = podcast_pair(if regressed { 0.40 } else { 0.46 }, 0.20, 118.0);
    if regressed {
        regress(
            &mut pair,
            "rougeL_f1",
            CheckStatus::Failed,
            Severity::Error,
            "rougeL_f1 dropped by 0.05 (allowed 0.02) versus the baseline",
        );
    }
    let mut results = run(vec![pair]);
    results.run.started_at = format!("2026-11-{:02}T03:17:00Z", 10 + n);
    results.run.finished_at = format!("2026-11-{:02}T03:40:00Z", 10 + n);
    results.run.git_commit = Some(format!("{n:0>40}"));
    results
}

fn write(dir: &Path, name: &str, results: &RunResults) -> PathBuf {
    let path = dir.join(name);
    results.write(&path).unwrap();
    path
}

fn empty_history(dir: &Path) -> PathBuf {
    let path = dir.join("history.jsonl");
    std::fs::write(&path, "").unwrap();
    path
}

/// A folder holding `results.json` (nightly run 1, regressed) and an empty `history.jsonl`, with
/// the paths of both.
fn one_regression() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let results = write(dir.path(), "results.json", &nightly(1, true));
    let history = empty_history(dir.path());
    (dir, results, history)
}

/// Runs `evalgate alert --results R --history H <extra>` with `SLACK_WEBHOOK_URL` set to
/// `webhook` (unset when `None`) and a 1 ms retry backoff.
fn alert(results: &Path, history: &Path, webhook: Option<&str>, extra: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_evalgate"));
    command
        .arg("alert")
        .arg("--results")
        .arg(results)
        .arg("--history")
        .arg(history)
        .args(["--retry-backoff-ms", "1"])
        .args(extra)
        .env_remove(ENV);
    if let Some(url) = webhook {
        command.env(ENV, url);
    }
    command.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The command exited with `code` and said `part` on stderr.
fn assert_exit_with(out: &Output, code: i32, part: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", stderr(out));
    assert!(stderr(out).contains(part), "{}", stderr(out));
}

/// The webhook URL, or its secret part, appears nowhere in what the command printed.
fn assert_no_secret(out: &Output) {
    for text in [stdout(out), stderr(out)] {
        assert!(!text.contains(SECRET), "the secret leaked: {text}");
        assert!(!text.contains(HOOK_PATH), "the URL path leaked: {text}");
    }
}

fn hook_url(server: &Server) -> String {
    format!("{}{HOOK_PATH}", server.url())
}

const SLACK: &[&str] = &[
    "--webhook-url-env",
    ENV,
    "--format",
    "slack",
    "--run-url",
    RUN_URL,
    "--dashboard-url",
    DASHBOARD_URL,
];

#[test]
fn slack_payload_names_the_regression_with_its_numbers_and_links() {
    let (_dir, results, history) = one_regression();
    let server = Server::script(vec![Reply::json(200, "ok")]);
    let out = alert(&results, &history, Some(&hook_url(&server)), SLACK);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_secret(&out);
    assert!(
        stderr(&out).contains(
            "evalgate alert: sent 1 new regression to the slack webhook in SLACK_WEBHOOK_URL"
        ),
        "{}",
        stderr(&out)
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, HOOK_PATH);
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.json();
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("1 new regression"), "{text}");
    assert!(text.contains("000000000000"), "short commit: {text}");
    let blocks = body["blocks"].as_array().unwrap();
    assert!(blocks.len() >= 3, "{body:#}");
    for block in blocks {
        assert_eq!(block["type"], "section");
        assert_eq!(block["text"]["type"], "mrkdwn");
    }
    let all: Vec<&str> = blocks
        .iter()
        .map(|b| b["text"]["text"].as_str().unwrap())
        .collect();
    let regression = all
        .iter()
        .find(|t| t.contains("`rougeL_f1`"))
        .unwrap_or_else(|| panic!("no regression block: {all:?}"));
    assert!(
        regression.contains("`podcast_summaries_v1` × `extractive_lead3`"),
        "{regression}"
    );
    assert!(regression.contains("`vs_baseline`"), "{regression}");
    assert!(
        regression.contains("current 0.4, baseline 0.45, Δ -0.05 (higher is better)"),
        "{regression}"
    );
    let footer = all.last().unwrap();
    assert!(footer.contains(&format!("<{RUN_URL}|CI run>")), "{footer}");
    assert!(
        footer.contains(&format!("<{DASHBOARD_URL}|dashboard>")),
        "{footer}"
    );
}

/// A run whose names try to break out of the message: mentions, Markdown, Slack control
/// characters.
fn hostile_run() -> RunResults {
    let mut results = nightly(1, true);
    let pair = &mut results.evaluations[0];
    pair.system = "@everyone <!channel> *bold* [x](https://evil.example)".into();
    pair.dataset = "a&b<c>_d".into();
    results
}

#[test]
fn discord_payload_respects_limits_and_neutralises_mentions() {
    let dir = tempfile::tempdir().unwrap();
    let results = write(dir.path(), "results.json", &hostile_run());
    let history = empty_history(dir.path());
    let server = Server::script(vec![Reply::json(204, "")]);
    let out = alert(
        &results,
        &history,
        Some(&hook_url(&server)),
        &[
            "--webhook-url-env",
            ENV,
            "--format",
            "discord",
            "--run-url",
            RUN_URL,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_secret(&out);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body = requests[0].json();
    let content = body["content"].as_str().unwrap();
    assert!(content.contains("1 new regression"), "{content}");
    assert!(content.chars().count() <= 2000);
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
    let embed = &body["embeds"][0];
    assert_eq!(embed["url"], RUN_URL);
    assert!(embed["color"].is_u64());
    assert!(
        embed["title"]
            .as_str()
            .unwrap()
            .contains("1 new regression")
    );
    assert!(embed["description"].as_str().unwrap().contains(RUN_URL));
    let fields = embed["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1);
    let name = fields[0]["name"].as_str().unwrap();
    assert!(!name.contains("@everyone"), "{name}");
    assert!(name.contains("\\*bold\\*"), "{name}");
    assert!(name.contains("\\[x\\]\\(https"), "{name}");
    assert!(name.contains("rougeL\\_f1"), "{name}");
    assert!(name.contains("a&b\\<c\\>\\_d"), "{name}");
    assert_eq!(fields[0]["inline"], false);
    let value = fields[0]["value"].as_str().unwrap();
    assert!(
        value.contains("current 0.4, baseline 0.45, Δ -0.05"),
        "{value}"
    );

    // Slack gets the same names with its control characters as entities.
    let out = alert(
        &results,
        &history,
        None,
        &["--dry-run", "--format", "slack"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let body: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let text = body["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(text.contains("`a&amp;b&lt;c&gt;_d`"), "{text}");
    assert!(text.contains("&lt;!channel&gt;"), "{text}");
    assert!(!text.contains("<!channel>"), "{text}");
}

/// A run with `n` failed regressions (one per system).
fn many_regressions(n: usize) -> RunResults {
    let pairs = (0..n)
        .map(|i| {
            let mut pair = podcast_pair(0.40, 0.20, 118.0);
            pair.system = format!("system_{i:02}_{}", "x".repeat(150));
            for check in &mut pair.checks {
                check.trial = check.trial.replace("extractive_lead3", &pair.system);
            }
            regress(
                &mut pair,
                "rougeL_f1",
                CheckStatus::Failed,
                Severity::Error,
                "dropped",
            );
            pair
        })
        .collect();
    run(pairs)
}

#[test]
fn long_lists_are_cut_with_a_count_of_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let results = write(dir.path(), "results.json", &many_regressions(40));
    let history = empty_history(dir.path());

    let out = alert(
        &results,
        &history,
        None,
        &["--dry-run", "--format", "discord"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let body: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let embed = &body["embeds"][0];
    let fields = embed["fields"].as_array().unwrap();
    assert!(fields.len() <= 25, "{}", fields.len());
    let mut total = embed["title"].as_str().unwrap().chars().count()
        + embed["description"].as_str().unwrap_or("").chars().count();
    assert!(
        embed.get("description").is_none(),
        "no links, nothing still failing: no (empty) description"
    );
    for field in fields {
        let name = field["name"].as_str().unwrap();
        let value = field["value"].as_str().unwrap();
        assert!(name.chars().count() <= 256 && value.chars().count() <= 1024);
        total += name.chars().count() + value.chars().count();
    }
    assert!(total <= 6000, "{total}");
    let listed = fields.len() - 1;
    assert_eq!(
        fields.last().unwrap()["value"],
        format!("…and {} more", 40 - listed)
    );
    assert!(
        body["content"]
            .as_str()
            .unwrap()
            .contains("40 new regressions")
    );

    let out = alert(
        &results,
        &history,
        None,
        &["--dry-run", "--format", "slack"],
    );
    let body: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let blocks = body["blocks"].as_array().unwrap();
    assert!(
        blocks.iter().any(|b| b["text"]["text"] == "…and 20 more"),
        "{body:#}"
    );
    assert!(blocks.len() <= 50);
}

#[test]
fn json_format_is_the_documented_document() {
    let (_dir, results, history) = one_regression();
    let server = Server::script(vec![Reply::json(200, "{}")]);
    let out = alert(
        &results,
        &history,
        Some(&hook_url(&server)),
        &[
            "--webhook-url-env",
            ENV,
            "--format",
            "json",
            "--dashboard-url",
            DASHBOARD_URL,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body = requests[0].json();
    assert_eq!(body["schema"], "evalgate.alert/v1");
    assert_eq!(body["git_commit"], format!("{:0>40}", 1));
    assert_eq!(body["started_at"], "2026-11-11T03:17:00Z");
    assert_eq!(body["run_url"], Value::Null);
    assert_eq!(body["dashboard_url"], DASHBOARD_URL);
    assert_eq!(body["still_failing"], 0);
    let regressions = body["regressions"].as_array().unwrap();
    assert_eq!(regressions.len(), 1);
    let r = &regressions[0];
    assert_eq!(
        r["trial"],
        "smoke::podcast_summaries_v1::extractive_lead3::rougeL_f1::vs_baseline"
    );
    assert_eq!(r["tier"], "smoke");
    assert_eq!(r["dataset"], "podcast_summaries_v1");
    assert_eq!(r["system"], "extractive_lead3");
    assert_eq!(r["metric"], "rougeL_f1");
    assert_eq!(r["check"], "vs_baseline");
    assert_eq!(r["direction"], "higher_is_better");
    assert_eq!(r["current"], 0.40);
    assert_eq!(r["baseline"], 0.45);
    assert!((r["delta"].as_f64().unwrap() + 0.05).abs() < 1e-9);
    assert_eq!(r["threshold"], 0.02);
    assert_eq!(r["item"], Value::Null);
    assert!(r["message"].as_str().unwrap().contains("dropped"));
}

fn history_append(results: &Path, history: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["history", "append", "--results"])
        .arg(results)
        .arg("--history")
        .arg(history)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Four nightly runs — regressed, still regressed, fixed, regressed again — alerting before or
/// after appending each run to the history: exactly runs 1 and 4 post.
fn dedupe_over_nightly_runs(append_first: bool) {
    let dir = tempfile::tempdir().unwrap();
    let history = empty_history(dir.path());
    let server = Server::script(vec![Reply::json(200, "ok")]);
    let url = hook_url(&server);
    let mut posted = Vec::new();
    for (n, regressed) in [(1, true), (2, true), (3, false), (4, true)] {
        let results = write(dir.path(), &format!("run-{n}.json"), &nightly(n, regressed));
        if append_first {
            history_append(&results, &history);
        }
        let before = server.requests().len();
        let out = alert(&results, &history, Some(&url), SLACK);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_no_secret(&out);
        let sent = server.requests().len() - before;
        assert!(sent <= 1, "run {n} posted {sent} messages");
        if sent == 1 {
            posted.push(n);
        }
        let err = stderr(&out);
        match n {
            1 | 4 => assert!(err.contains("sent 1 new regression"), "run {n}: {err}"),
            2 => assert!(
                err.contains("no new regressions (1 still failing, alerted before)"),
                "run {n}: {err}"
            ),
            _ => assert!(
                err.contains("no new regressions; nothing to send"),
                "run {n}: {err}"
            ),
        }
        if !append_first {
            history_append(&results, &history);
        }
    }
    assert_eq!(posted, [1, 4]);
    for request in server.requests() {
        let text = request.json()["text"].as_str().unwrap().to_string();
        assert!(text.contains("1 new regression"), "{text}");
    }
}

#[test]
fn a_regression_alerts_once_then_again_only_after_a_fix() {
    dedupe_over_nightly_runs(false);
}

#[test]
fn dedupe_is_the_same_when_the_run_is_already_in_the_history() {
    dedupe_over_nightly_runs(true);
}

#[test]
fn rate_limit_is_retried_after_retry_after() {
    let (_dir, results, history) = one_regression();
    let server = Server::script(vec![
        Reply::json(429, r#"{"message":"slow down"}"#).header("Retry-After", "0"),
        Reply::json(200, "ok"),
    ]);
    let out = alert(&results, &history, Some(&hook_url(&server)), SLACK);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("(HTTP 200, 2 attempts)"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body, "the same message again");
    assert_no_secret(&out);
}

#[test]
fn a_failing_webhook_is_a_bounded_warning_that_never_shows_the_url() {
    let (_dir, results, history) = one_regression();
    // The server echoes the URL it was called at, secret included.
    let server = Server::start(|request| {
        Reply::json(
            500,
            format!(
                "internal error posting to {}{} ({SECRET})",
                request.server_url, request.target
            ),
        )
    });
    let started = Instant::now();
    let out = alert(&results, &history, Some(&hook_url(&server)), SLACK);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(server.requests().len(), 4, "bounded attempts");
    let err = stderr(&out);
    assert!(
        err.starts_with("evalgate alert: warning: no alert sent: posting to the webhook in SLACK_WEBHOOK_URL failed with HTTP 500"),
        "{err}"
    );
    assert!(err.contains("(after 4 attempts)"), "{err}");
    assert!(err.contains("[redacted]"), "{err}");
    assert_no_secret(&out);
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_refused_webhook_is_not_retried() {
    let (_dir, results, history) = one_regression();
    let server = Server::script(vec![Reply::json(404, "no_service")]);
    let out = alert(&results, &history, Some(&hook_url(&server)), SLACK);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(server.requests().len(), 1);
    let err = stderr(&out);
    assert!(
        err.contains("warning") && err.contains("HTTP 404: no_service"),
        "{err}"
    );
    assert!(err.contains("(after 1 attempt)"), "{err}");
    assert_no_secret(&out);
}

#[test]
fn an_unreachable_webhook_is_a_warning_without_the_url() {
    let (_dir, results, history) = one_regression();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}{HOOK_PATH}");
    let out = alert(&results, &history, Some(&url), SLACK);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("evalgate alert: warning: no alert sent"),
        "{err}"
    );
    assert!(err.contains("SLACK_WEBHOOK_URL"), "{err}");
    assert!(err.contains("(after 4 attempts)"), "{err}");
    assert_no_secret(&out);

    // Not https: refused before sending, still a warning, still without the URL.
    let out = alert(
        &results,
        &history,
        Some(&format!("http://hooks.example.com{HOOK_PATH}")),
        SLACK,
    );
    assert_exit_with(
        &out,
        0,
        "SLACK_WEBHOOK_URL does not hold an https:// webhook URL",
    );
    assert_no_secret(&out);
}

#[test]
fn no_webhook_url_skips_cleanly() {
    let (_dir, results, history) = one_regression();
    for webhook in [None, Some(""), Some("  ")] {
        let out = alert(&results, &history, webhook, SLACK);
        assert_exit_with(
            &out,
            0,
            "evalgate alert: SLACK_WEBHOOK_URL is not set; no alert sent",
        );
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn a_url_given_as_the_variable_name_is_refused_without_echoing_it() {
    let (_dir, results, history) = one_regression();
    let url = format!("https://hooks.slack.com{HOOK_PATH}");
    let out = alert(&results, &history, None, &["--webhook-url-env", &url]);
    assert_exit_with(
        &out,
        2,
        "--webhook-url-env must be the NAME of an environment variable",
    );
    assert_no_secret(&out);
}

#[test]
fn bad_input_files_exit_2_naming_the_file() {
    let (dir, good, history) = one_regression();
    let server = Server::script(vec![Reply::json(200, "ok")]);
    let url = hook_url(&server);

    let broken = dir.path().join("broken-results.json");
    std::fs::write(&broken, "{\"schema\": \"evalgate.results/v3\", ").unwrap();
    let out = alert(&broken, &history, Some(&url), SLACK);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("evalgate alert: error: "), "{err}");
    assert!(err.contains("broken-results.json"), "{err}");

    let missing = dir.path().join("missing-results.json");
    let out = alert(&missing, &history, Some(&url), SLACK);
    assert_exit_with(&out, 2, "missing-results.json");

    let missing_history = dir.path().join("no-history.jsonl");
    let out = alert(&good, &missing_history, Some(&url), SLACK);
    assert_exit_with(&out, 2, "no-history.jsonl");

    let bad_history = dir.path().join("bad-history.jsonl");
    std::fs::write(
        &bad_history,
        "{\"schema\":\"evalgate.history/v2\"}\nnot json\n",
    )
    .unwrap();
    let out = alert(&good, &bad_history, Some(&url), SLACK);
    assert_exit_with(&out, 2, "bad-history.jsonl:2:");

    let other = dir.path().join("other.jsonl");
    std::fs::write(&other, "{\"schema\":\"something/v1\"}\n").unwrap();
    let out = alert(&good, &other, Some(&url), SLACK);
    assert_exit_with(&out, 2, "other.jsonl:1:");

    let out = alert(
        &good,
        &history,
        Some(&url),
        &["--webhook-url-env", ENV, "--run-url", "javascript:alert(1)"],
    );
    assert_exit_with(&out, 2, "--run-url");

    assert!(server.requests().is_empty(), "nothing sent on bad input");
}

#[test]
fn dry_run_prints_the_payload_without_a_url() {
    let (dir, results, history) = one_regression();
    let out = alert(&results, &history, None, &["--dry-run", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let body: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(body["schema"], "evalgate.alert/v1");
    assert!(stderr(&out).contains("dry run"), "{}", stderr(&out));

    // Nothing new: nothing printed.
    let passing = write(dir.path(), "passing.json", &nightly(2, false));
    let out = alert(&passing, &history, None, &["--dry-run"]);
    assert!(out.status.success());
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("no new regressions"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn stale_baseline_and_other_checks_never_alert() {
    let dir = tempfile::tempdir().unwrap();
    let mut results = nightly(1, false);
    let mut stale = results.evaluations[0].checks[0].clone();
    stale.trial = "full::podcast_summaries_v1::extractive_lead3::stale_baseline".into();
    stale.status = CheckStatus::Failed;
    results.other_checks.push(stale);
    results.recount();
    let results = write(dir.path(), "results.json", &results);
    let history = empty_history(dir.path());
    let out = alert(&results, &history, None, &["--dry-run"]);
    assert!(out.status.success());
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}

#[test]
fn a_version_1_history_record_counts_as_the_earlier_run() {
    let dir = tempfile::tempdir().unwrap();
    let results = write(dir.path(), "results.json", &nightly(2, true));
    let history = dir.path().join("history.jsonl");
    // v1 called `evaluations` `pairs`; unknown fields are ignored.
    let line = serde_json::json!({
        "schema": "evalgate.history/v1",
        "git_commit": "1111",
        "started_at": "2026-11-11T03:17:00Z",
        "config_hash": "sha256:cafe",
        "future_field": {"x": 1},
        "pairs": [{
            "dataset": "podcast_summaries_v1",
            "system": "extractive_lead3",
            "failed": ["smoke::podcast_summaries_v1::extractive_lead3::rougeL_f1::vs_baseline"],
        }],
    });
    std::fs::write(&history, format!("{line}\n")).unwrap();
    let out = alert(&results, &history, None, &["--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(stderr(&out).contains("1 still failing"), "{}", stderr(&out));
}
