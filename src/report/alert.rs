//! Alerts on the default branch: one chat message (Slack, Discord) or JSON document per nightly
//! run that has *new* regressions, posted to a webhook. `evalgate alert` calls these.
//!
//! # Regressions and dedupe
//!
//! A regression is a check of a dataset × system with status `failed` in results.json (an
//! error-level regression, or an evaluation that could not be computed). Checks about no
//! dataset × system (`other_checks`: stale baselines) are never alerted.
//!
//! The history (history.jsonl, see [`crate::unstable::history`]) says what was alerted before,
//! without any state of its own: a failed trial is **new**, and alerted, unless the same trial
//! name was failed in the most recent *earlier* run of the history. So a regression alerts once,
//! when it appears; stays quiet while it keeps failing night after night; and alerts again only
//! after a run where it passed (fixed) and a later run where it failed again. With no earlier run
//! (an empty history) every failed trial is new.
//!
//! The alert step may run before or after the run is appended to the history: when the last
//! record is the run of the results (same start time, configuration hash and commit, as
//! [`HistoryRecord::same_run`] compares), it is skipped and the record before it is the earlier
//! run.
//!
//! # Payloads
//!
//! [`payload`] builds the body for each [`Format`]; see its documentation for the shapes. Every
//! name taken from results.json (dataset, system, metric, trial) is escaped for the target:
//! `&`, `<`, `>` for Slack's mrkdwn; Markdown punctuation and `@` mentions for Discord (which is
//! also told to parse no mentions).
//!
//! # Posting
//!
//! [`Poster`] sends the payload with bounded retries: on HTTP 429 (waiting `Retry-After`
//! seconds when given, capped) and on 5xx or transport errors (exponential backoff), at most
//! [`Poster::retry`]'s attempts and waiting in all ([`RetryPolicy`]). The
//! webhook URL is a secret (Slack and Discord carry the credential in its path): it never
//! appears in an error, which names the environment variable it came from instead, and response
//! bodies and transport errors are admitted through [`crate::outside::admit`] with the URL, its
//! path segments and every secret-looking environment value redacted.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::error::{Error, ReportError, Result};
use crate::http::{AttemptError, RetryPolicy, retry_after, service_agent};
use crate::metrics::Direction;
use crate::outside::{Bound, Secrets, admit, escaped};
use crate::report::markdown::{number, signed};
use crate::results::{CheckStatus, RunResults};
use crate::unstable::history::{HISTORY_SCHEMA, HistoryRecord, parse_lines};

/// Schema identifier of the `json` format's document.
pub const ALERT_SCHEMA: &str = "evalgate.alert/v1";

/// Longest name (dataset, system, metric, trial, item) quoted in a message, in characters.
const NAME_CHARS: usize = 200;

/// Discord: most characters of a message's `content`.
pub const DISCORD_CONTENT_CHARS: usize = 2000;
/// Discord: most characters of an embed's description.
pub const DISCORD_DESCRIPTION_CHARS: usize = 4096;
/// Discord: most fields of an embed.
pub const DISCORD_FIELDS: usize = 25;
/// Discord: most characters of a field's value.
pub const DISCORD_FIELD_VALUE_CHARS: usize = 1024;
/// Discord: most characters of a field's name and of an embed's title.
pub const DISCORD_TITLE_CHARS: usize = 256;
/// Discord: most characters of all of an embed's texts together.
const DISCORD_EMBED_TOTAL_CHARS: usize = 6000;

/// Slack: regressions listed one section block each; the rest are counted.
pub const SLACK_LISTED: usize = 20;
/// Slack: most characters of a section block's text.
const SLACK_SECTION_CHARS: usize = 3000;

/// Where the alert goes, which decides the payload's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Slack incoming webhook: `{"text", "blocks"}`.
    Slack,
    /// A Discord webhook: `{"content", "embeds", "allowed_mentions"}`.
    Discord,
    /// Any endpoint: the [`ALERT_SCHEMA`] document.
    Json,
}

impl Format {
    /// The format named `slack`, `discord` or `json`.
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "slack" => Some(Format::Slack),
            "discord" => Some(Format::Discord),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// `slack`, `discord` or `json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Slack => "slack",
            Format::Discord => "discord",
            Format::Json => "json",
        }
    }
}

/// One new regression: a failed check of a dataset × system, with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regression {
    /// Full trial name (`tier::dataset::system::metric::check[::item]`).
    pub trial: String,
    /// Tier of the trial.
    pub tier: String,
    /// Dataset id.
    pub dataset: String,
    /// System name.
    pub system: String,
    /// Metric id.
    pub metric: String,
    /// Check kind as in trial names (`vs_baseline`, `min`, `max`, `item_min`, ...).
    pub check: String,
    /// The item judged, for per-item trials.
    pub item: Option<String>,
    /// Which way is better for the metric, when the check is about a metric.
    pub direction: Option<Direction>,
    /// Current value (in the metric's units).
    pub current: Option<f64>,
    /// Baseline value (vs-baseline checks).
    pub baseline: Option<f64>,
    /// `current - baseline` (vs-baseline checks).
    pub delta: Option<f64>,
    /// The check's bound: the min/max value, or the allowed worsening for vs-baseline.
    pub threshold: Option<f64>,
    /// The check's explanation, as in results.json.
    pub message: String,
}

/// Everything one alert says.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Commit the run measured.
    pub git_commit: Option<String>,
    /// RFC 3339 start of the run.
    pub started_at: String,
    /// Link to the CI run (a plain http(s) URL), when given.
    pub run_url: Option<String>,
    /// Link to the dashboard (a plain http(s) URL), when given.
    pub dashboard_url: Option<String>,
    /// The new regressions, in results order.
    pub regressions: Vec<Regression>,
    /// Failed trials that were already failed in the earlier run (alerted then).
    pub still_failing: usize,
}

impl Alert {
    /// The alert for `results`, given the failed trials of the earlier run
    /// ([`previous_failures`]); links as given (check them with [`is_link`]).
    pub fn new(
        results: &RunResults,
        previous: &std::collections::BTreeSet<String>,
        run_url: Option<String>,
        dashboard_url: Option<String>,
    ) -> Alert {
        let failed = failed_regressions(results);
        let total = failed.len();
        let regressions: Vec<Regression> = failed
            .into_iter()
            .filter(|r| !previous.contains(&r.trial))
            .collect();
        Alert {
            git_commit: results.run.git_commit.clone(),
            started_at: results.run.started_at.clone(),
            run_url,
            dashboard_url,
            still_failing: total - regressions.len(),
            regressions,
        }
    }
}

/// True for a link the alert may carry: an `http(s)://` URL of visible ASCII without characters
/// that could end a link in Slack or Markdown (`<>()|"`` ` ``\`, whitespace).
pub fn is_link(url: &str) -> bool {
    crate::report::pr_comment::is_plain_url(url) && !url.contains('|')
}

/// Every failed check of a dataset × system in `results`, in results order.
pub fn failed_regressions(results: &RunResults) -> Vec<Regression> {
    results
        .evaluations
        .iter()
        .flat_map(|evaluation| {
            evaluation
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Failed)
                .map(move |c| Regression {
                    trial: c.trial.clone(),
                    tier: c.tier.clone(),
                    dataset: evaluation.dataset.clone(),
                    system: evaluation.system.clone(),
                    metric: c.metric.clone(),
                    check: c.kind.as_str().to_string(),
                    item: c.item.clone(),
                    direction: c.direction,
                    current: c.value,
                    baseline: c.baseline,
                    delta: c.delta,
                    threshold: c.threshold,
                    message: c.message.clone(),
                })
        })
        .collect()
}

/// The failed regressions of `results` that are new: not failed in `previous` (the failed trial
/// names of the earlier run, see [`previous_failures`]).
pub fn new_regressions(
    results: &RunResults,
    previous: &std::collections::BTreeSet<String>,
) -> Vec<Regression> {
    Alert::new(results, previous, None, None).regressions
}

/// The failed trial names of the most recent run in the history file at `history` that is not
/// the run of `results` (empty when there is none).
///
/// Errors (naming the file, and the line when one is at fault): the file cannot be read (a
/// missing file included: create an empty one for a first run), is not UTF-8, or has a line that
/// is not a JSON history record (`schema` `evalgate.history/...`).
pub fn previous_failures(
    results: &RunResults,
    history: &Path,
) -> Result<std::collections::BTreeSet<String>> {
    let bytes = std::fs::read(history).map_err(|e| Error::read(history, e))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        Error::Report(ReportError::in_file(
            history.display(),
            format!("not UTF-8 ({e}); the history file must be JSON lines"),
        ))
    })?;
    let records = parse_lines(history, text, |line| {
        let value: Value = serde_json::from_str(line)
            .map_err(|e| format!("not a JSON history record ({e}); is this the history file?"))?;
        let schema = value["schema"].as_str().unwrap_or("");
        if !schema.starts_with("evalgate.history/") {
            return Err(format!(
                "field `schema` is `{}`, expected `{HISTORY_SCHEMA}`; is this the history file?",
                escaped(schema, 60),
            ));
        }
        Ok(value)
    })?;
    let this_run = HistoryRecord::from_results(results);
    let earlier = records
        .iter()
        .rev()
        .find(|(_, record)| !this_run.same_run(record));
    let Some((line, record)) = earlier else {
        return Ok(Default::default());
    };
    // v2 names them `evaluations`, v1 `pairs`; both hold `failed` trial names.
    let evaluations = record
        .get("evaluations")
        .or_else(|| record.get("pairs"))
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Error::Report(ReportError::new(format!(
                "{}:{line}: the history record has no `evaluations` list",
                history.display()
            )))
        })?;
    let mut failed = std::collections::BTreeSet::new();
    for evaluation in evaluations {
        for trial in evaluation["failed"].as_array().into_iter().flatten() {
            if let Some(trial) = trial.as_str() {
                failed.insert(trial.to_string());
            }
        }
    }
    Ok(failed)
}

/// The body to post for `alert` in `format`.
///
/// - **slack**: `{"text": <one-line summary, the notification>, "blocks": [<section, mrkdwn>...]}`:
///   a headline section (how many new regressions, the commit), one section per regression (at
///   most [`SLACK_LISTED`], then one saying `…and N more`), then a section with the links and
///   how many regressions are still failing.
/// - **discord**: `{"content": <summary ≤ 2000 chars>, "allowed_mentions": {"parse": []},
///   "embeds": [{"title", "description", "color", "url"?, "fields": [{"name", "value",
///   "inline": false}...]}]}` (no `description` when there is nothing to say, no `url`
///   without a run link): one field per regression within Discord's limits (≤ 25 fields, the
///   last saying `…and N more` when they do not fit; names ≤ 256 and values ≤ 1024 chars;
///   description ≤ 4096; the embed's texts ≤ 6000 in all); `url` is the run link.
/// - **json**: `{"schema": "evalgate.alert/v1", "git_commit", "started_at", "run_url",
///   "dashboard_url", "regressions": [{"trial", "tier", "dataset", "system", "metric", "check",
///   "item", "direction", "current", "baseline", "delta", "threshold", "message"}...],
///   "still_failing": n}` with `null` for what is unknown; names as in results.json.
pub fn payload(format: Format, alert: &Alert) -> Value {
    match format {
        Format::Slack => slack(alert),
        Format::Discord => discord(alert),
        Format::Json => json!({
            "schema": ALERT_SCHEMA,
            "git_commit": alert.git_commit,
            "started_at": alert.started_at,
            "run_url": alert.run_url,
            "dashboard_url": alert.dashboard_url,
            "regressions": alert.regressions,
            "still_failing": alert.still_failing,
        }),
    }
}

/// `N new regression(s)`.
fn count_words(n: usize) -> String {
    if n == 1 {
        "1 new regression".to_string()
    } else {
        format!("{n} new regressions")
    }
}

/// The first 12 characters of the commit, when known and made of letters and digits (a commit
/// id: nothing to escape).
fn short_commit(alert: &Alert) -> Option<String> {
    alert
        .git_commit
        .as_deref()
        .filter(|c| !c.is_empty() && c.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|c| c.chars().take(12).collect())
}

/// `current 0.40, baseline 0.45, Δ -0.05 (higher is better)`, for what is known.
fn numbers(r: &Regression) -> String {
    let mut parts = Vec::new();
    if let Some(v) = r.current {
        parts.push(format!("current {}", number(v)));
    }
    if let Some(b) = r.baseline {
        parts.push(format!("baseline {}", number(b)));
    }
    if let Some(d) = r.delta {
        parts.push(format!("Δ {}", signed(d)));
    }
    if r.baseline.is_none()
        && let Some(t) = r.threshold
    {
        let bound = match r.check.as_str() {
            "min" | "item_min" => "min",
            "max" | "item_max" => "max",
            _ => "threshold",
        };
        parts.push(format!("{bound} {}", number(t)));
    }
    let mut text = parts.join(", ");
    if let Some(direction) = r.direction {
        let words = match direction {
            Direction::HigherIsBetter => "higher is better",
            Direction::LowerIsBetter => "lower is better",
        };
        if text.is_empty() {
            text = words.to_string();
        } else {
            text.push_str(&format!(" ({words})"));
        }
    }
    text
}

/// A name from results.json for Slack mrkdwn: bounded, controls escaped, inside inline code
/// (backticks in it replaced), with `&`, `<`, `>` escaped.
fn slack_name(raw: &str) -> String {
    let name = escaped(raw, NAME_CHARS).replace('`', "'");
    format!("`{}`", slack_escape(&name))
}

/// Slack's control characters as entities.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The subject of a regression: metric, check, dataset × system, item.
fn subject(r: &Regression, name: fn(&str) -> String) -> String {
    let mut text = format!(
        "{} ({}) on {} × {}",
        name(&r.metric),
        name(&r.check),
        name(&r.dataset),
        name(&r.system)
    );
    if let Some(item) = &r.item {
        text.push_str(&format!(", item {}", name(item)));
    }
    text
}

fn headline(alert: &Alert) -> String {
    let mut text = format!(
        "evalgate: {} on the default branch",
        count_words(alert.regressions.len())
    );
    if let Some(commit) = short_commit(alert) {
        text.push_str(&format!(" at {commit}"));
    }
    text
}

fn still_failing_words(alert: &Alert) -> Option<String> {
    match alert.still_failing {
        0 => None,
        1 => Some("1 earlier regression still failing (alerted before)".to_string()),
        n => Some(format!(
            "{n} earlier regressions still failing (alerted before)"
        )),
    }
}

fn slack(alert: &Alert) -> Value {
    let section = |text: String| json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&text, SLACK_SECTION_CHARS)}});
    let mut blocks = vec![section(format!("*{}*", slack_escape(&headline(alert))))];
    for r in alert.regressions.iter().take(SLACK_LISTED) {
        blocks.push(section(format!(
            "• {}\n{}",
            subject(r, slack_name),
            slack_escape(&numbers(r))
        )));
    }
    if alert.regressions.len() > SLACK_LISTED {
        blocks.push(section(format!(
            "…and {} more",
            alert.regressions.len() - SLACK_LISTED
        )));
    }
    let mut footer = Vec::new();
    if let Some(url) = &alert.run_url {
        footer.push(format!("<{}|CI run>", slack_escape(url)));
    }
    if let Some(url) = &alert.dashboard_url {
        footer.push(format!("<{}|dashboard>", slack_escape(url)));
    }
    if let Some(still) = still_failing_words(alert) {
        footer.push(still);
    }
    if !footer.is_empty() {
        blocks.push(section(footer.join(" · ")));
    }
    json!({"text": slack_escape(&headline(alert)), "blocks": blocks})
}

/// A name from results.json for Discord Markdown: bounded, controls escaped, Markdown
/// punctuation backslash-escaped, `@` followed by a zero-width space (no mention can form).
fn discord_name(raw: &str) -> String {
    discord_escape(&escaped(raw, NAME_CHARS))
}

fn discord_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '<' | '#' | '[' | ']' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("@\u{200B}"),
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn discord(alert: &Alert) -> Value {
    let title = cut(&headline(alert), DISCORD_TITLE_CHARS);
    let mut description = Vec::new();
    if let Some(url) = &alert.run_url {
        description.push(format!("[CI run]({url})"));
    }
    if let Some(url) = &alert.dashboard_url {
        description.push(format!("[dashboard]({url})"));
    }
    if let Some(still) = still_failing_words(alert) {
        description.push(still);
    }
    let description = cut(&description.join(" · "), DISCORD_DESCRIPTION_CHARS);
    let mut budget = DISCORD_EMBED_TOTAL_CHARS
        .saturating_sub(title.chars().count() + description.chars().count())
        // Room for the last field's `…and N more`.
        .saturating_sub(64);
    let mut fields = Vec::new();
    for (shown, r) in alert.regressions.iter().enumerate() {
        let rest = alert.regressions.len() - shown;
        let name = cut(&subject(r, discord_name), DISCORD_TITLE_CHARS);
        let value = cut(&numbers(r), DISCORD_FIELD_VALUE_CHARS);
        let value = if value.is_empty() {
            "failed".to_string()
        } else {
            value
        };
        let size = name.chars().count() + value.chars().count();
        let last_slot = fields.len() + 1 == DISCORD_FIELDS;
        if (last_slot && rest > 1) || size > budget {
            fields
                .push(json!({"name": "…", "value": format!("…and {rest} more"), "inline": false}));
            break;
        }
        budget -= size;
        fields.push(json!({"name": name, "value": value, "inline": false}));
    }
    let mut embed = json!({
        "title": title,
        "color": 0xD9_3F_3F,
        "fields": fields,
    });
    // Discord refuses an empty description.
    if !description.is_empty() {
        embed["description"] = json!(description);
    }
    if let Some(url) = &alert.run_url {
        embed["url"] = json!(url);
    }
    json!({
        "content": cut(&headline(alert), DISCORD_CONTENT_CHARS),
        "allowed_mentions": {"parse": []},
        "embeds": [embed],
    })
}

/// A webhook client with bounded retries. The URL is held privately and never shown: its
/// `Debug` hides it, and errors name [`Poster::url_name`] instead.
pub struct Poster {
    url: String,
    url_name: String,
    /// When to try again: attempts, backoff (no cap; doubled per attempt), the longest
    /// `Retry-After` honoured and the most waiting in all (a wait that would pass it is
    /// shortened to fit, and no attempt is made once it is used up).
    pub retry: RetryPolicy,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Poster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poster")
            .field("url", &format_args!("${}", self.url_name))
            .field("retry", &self.retry)
            .finish()
    }
}

/// Timeout for one whole request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// What a successful post took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    /// Attempts made, the successful one included.
    pub attempts: u32,
    /// The HTTP status of the successful attempt.
    pub status: u16,
}

impl Poster {
    /// A poster to `url`, read from the environment variable `url_name` (named in errors). The
    /// URL must be `https://` (plain `http://` only on 127.0.0.1 or localhost, for tests).
    /// Defaults: 4 attempts, 1 s backoff, `Retry-After` up to 30 s, 60 s of waiting in all.
    ///
    /// Errors when the URL is not such a URL; the message names `url_name`, never the URL.
    pub fn new(url: &str, url_name: &str) -> Result<Poster> {
        let url = url.trim();
        let (scheme_ok, loopback) = match url.split_once("://") {
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => (true, false),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => {
                let host = rest.split(['/', ':', '?']).next().unwrap_or("");
                let loopback = matches!(host, "127.0.0.1" | "localhost");
                (loopback, loopback)
            }
            _ => (false, false),
        };
        if !scheme_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::Report(ReportError::new(format!(
                "{url_name} does not hold an https:// webhook URL (plain http only on \
                 127.0.0.1/localhost, for tests); set it to the URL the chat service gave"
            ))));
        }
        Ok(Poster {
            url: url.to_string(),
            url_name: url_name.to_string(),
            retry: RetryPolicy {
                max_attempts: 4,
                backoff: Duration::from_secs(1),
                max_backoff: Duration::MAX,
                max_retry_after: Duration::from_secs(30),
                max_total_wait: Some(Duration::from_secs(60)),
            },
            agent: service_agent(REQUEST_TIMEOUT, loopback),
        })
    }

    /// The name of the environment variable the URL came from.
    pub fn url_name(&self) -> &str {
        &self.url_name
    }

    /// The secrets to remove from outside text: the URL in every form, its path segments and
    /// query values (where Slack and Discord keep the credential), and the secret-looking
    /// environment values.
    fn secrets(&self) -> Secrets {
        let mut secrets = Secrets::from_env()
            .with(&self.url)
            .with_url_credentials(&self.url);
        let after_scheme = self.url.split_once("://").map_or("", |(_, rest)| rest);
        let path = after_scheme.split_once('/').map_or("", |(_, path)| path);
        for part in path.split(['/', '?', '&', '=', '#']) {
            secrets = secrets.with(part);
        }
        secrets
    }

    /// Outside text for a message: the URL and other secrets redacted, bounded, inert.
    fn scrub(&self, text: &str) -> String {
        admit(text, &self.secrets(), Bound::one_line(300))
    }

    /// Posts `body` as JSON, retrying as described in the module documentation.
    ///
    /// Errors after the last attempt, or at once on a status that retrying cannot fix (a 4xx
    /// other than 429); the message names the environment variable, the status and the
    /// response's beginning (redacted), never the URL.
    pub fn post(&self, body: &Value) -> Result<Posted> {
        let body = body.to_string();
        match self.retry.run(|| self.attempt(&body)) {
            Ok(answer) => Ok(Posted {
                attempts: answer.retried.len() as u32 + 1,
                status: answer.value,
            }),
            Err(failure) => Err(self.error(failure.attempt, &failure.what)),
        }
    }

    fn error(&self, attempts: u32, what: &str) -> Error {
        Error::Report(ReportError::new(format!(
            "posting to the webhook in {} {what} (after {attempts} attempt{})",
            self.url_name,
            if attempts == 1 { "" } else { "s" }
        )))
    }

    /// One attempt: the 2xx status, or how it failed (a transport failure is retryable).
    fn attempt(&self, body: &str) -> std::result::Result<u16, AttemptError> {
        let mut response = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .send(body)
            .map_err(|e| AttemptError::Retryable {
                what: match e {
                    ureq::Error::Timeout(_) => {
                        format!("timed out after {} s", REQUEST_TIMEOUT.as_secs())
                    }
                    other => format!("failed: {}", self.scrub(&other.to_string())),
                },
                retry_after: None,
            })?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers(), self.retry.max_retry_after);
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .unwrap_or_default();
        let said = || {
            let text = self.scrub(&text);
            if text.is_empty() {
                String::new()
            } else {
                format!(": {text}")
            }
        };
        match status {
            200..=299 => Ok(status),
            429 => Err(AttemptError::Retryable {
                what: format!("was rate limited (HTTP 429){}", said()),
                retry_after,
            }),
            500..=599 => Err(AttemptError::Retryable {
                what: format!("failed with HTTP {status}{}", said()),
                retry_after,
            }),
            _ => {
                let hint = match status {
                    401 | 403 | 404 | 410 => {
                        "; the webhook was refused or no longer exists: check the URL in the \
                         secret"
                    }
                    400 | 422 => "; the service refused the message",
                    _ => "",
                };
                Err(AttemptError::Fatal(format!(
                    "failed with HTTP {status}{}{hint}",
                    said()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_names_for_slack_and_discord() {
        assert_eq!(slack_name("a<b>&c`d"), "`a&lt;b&gt;&amp;c'd`");
        let d = discord_name("@everyone *bold* [x](y)");
        assert!(!d.contains("@everyone"), "{d}");
        assert!(d.contains("\\*bold\\*"), "{d}");
        assert!(d.contains("\\[x\\]\\(y\\)"), "{d}");
    }

    #[test]
    fn poster_refuses_non_https_urls_without_quoting_them() {
        let err = Poster::new("http://example.com/services/SECRETSECRET", "HOOK")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("HOOK") && !err.contains("SECRETSECRET"),
            "{err}"
        );
        assert!(Poster::new("https://hooks.example.com/x", "HOOK").is_ok());
        assert!(Poster::new("http://127.0.0.1:9/x", "HOOK").is_ok());
        let debug = format!(
            "{:?}",
            Poster::new("https://hooks.example.com/SECRETSECRET", "HOOK").unwrap()
        );
        assert!(!debug.contains("SECRETSECRET"), "{debug}");
    }

    #[test]
    fn scrub_removes_the_url_and_its_path() {
        let poster = Poster::new(
            "https://hooks.example.com/services/T1/B2/XXXXsecretXXXX",
            "H",
        )
        .unwrap();
        let text = poster.scrub(
            "error at https://hooks.example.com/services/T1/B2/XXXXsecretXXXX and XXXXsecretXXXX",
        );
        assert!(!text.contains("XXXXsecretXXXX"), "{text}");
    }

    #[test]
    fn cut_marks_what_it_removes() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
