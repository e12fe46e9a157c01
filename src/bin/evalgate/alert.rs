//! `evalgate alert`: one message to a chat webhook when a run on the default branch has new
//! regressions (see `evalgate::unstable::report::alert` for the dedupe rule and the payloads).
//!
//! Bad input (the results or history file missing or malformed, a bad option) exits 2 like every
//! subcommand. Failing to *send* the alert never fails the job: it prints
//! `evalgate alert: warning: …` on standard error and exits 0. So does a missing webhook URL
//! (`… is not set; no alert sent`), so forks and repositories without the secret run the same
//! workflow. The URL is never printed.

use std::path::PathBuf;
use std::time::Duration;

use evalgate::unstable::outside::{env_name_problem, inert};
use evalgate::unstable::report::alert::{self, Alert, Format, Poster};
use evalgate::unstable::results::RunResults;

use super::Failure;

/// Arguments of `evalgate alert`.
#[derive(Debug, clap::Args)]
pub struct AlertArgs {
    /// results.json of the run (merged, for sharded runs).
    #[arg(long)]
    results: PathBuf,
    /// The JSON-lines history of earlier runs (`evalgate history append`); it may already end
    /// with this run. A failed trial alerts only when it was not failed in the earlier run.
    #[arg(long)]
    history: PathBuf,
    /// The NAME of the environment variable holding the webhook URL (a secret: never pass the
    /// URL itself). Unset or empty: nothing is sent, and the command succeeds.
    #[arg(long, value_name = "NAME", required_unless_present = "dry_run")]
    webhook_url_env: Option<String>,
    /// The payload's shape: `slack` (incoming webhook), `discord` (webhook) or `json` (the
    /// `evalgate.alert/v1` document, for any endpoint).
    #[arg(long, value_parser = ["slack", "discord", "json"], default_value = "slack")]
    format: String,
    /// Link to the CI run, shown in the message (http or https). Empty means none, so a
    /// workflow expression that may be empty can be passed as it is.
    #[arg(long, value_name = "URL")]
    run_url: Option<String>,
    /// Link to the dashboard, shown in the message (http or https). Empty means none.
    #[arg(long, value_name = "URL")]
    dashboard_url: Option<String>,
    /// Print the payload on standard output instead of posting it (no URL needed).
    #[arg(long)]
    dry_run: bool,
    /// First retry's wait in milliseconds, doubled for each further retry (for tests).
    #[arg(long, hide = true, value_name = "MS", default_value_t = 1000)]
    retry_backoff_ms: u64,
}

/// Runs `evalgate alert`.
pub fn run(args: &AlertArgs) -> Result<(), Failure> {
    let format = Format::from_name(&args.format).expect("clap checks the format");
    if let Some(name) = &args.webhook_url_env
        && let Some(problem) = env_name_problem(name)
    {
        // Never quote it: it may be the URL itself, pasted by mistake.
        return Err(Failure::Input(format!(
            "--webhook-url-env must be the NAME of an environment variable: {problem}"
        )));
    }
    let given = |url: &Option<String>| url.clone().filter(|u| !u.trim().is_empty());
    let (run_url, dashboard_url) = (given(&args.run_url), given(&args.dashboard_url));
    for (flag, url) in [("--run-url", &run_url), ("--dashboard-url", &dashboard_url)] {
        if let Some(url) = url
            && !alert::is_link(url)
        {
            return Err(Failure::Input(format!(
                "{flag} `{}` is not a plain http(s) URL",
                inert(url)
            )));
        }
    }
    let results = RunResults::read(&args.results)?;
    let previous = alert::previous_failures(&results, &args.history)?;
    let alert = Alert::new(&results, &previous, run_url, dashboard_url);
    let new = alert.regressions.len();
    let still = match alert.still_failing {
        0 => String::new(),
        n => format!(" ({n} still failing, alerted before)"),
    };
    if new == 0 {
        eprintln!("evalgate alert: no new regressions{still}; nothing to send");
        return Ok(());
    }
    let payload = alert::payload(format, &alert);
    if args.dry_run {
        let text = serde_json::to_string_pretty(&payload).expect("payload serializes");
        println!("{text}");
        eprintln!(
            "evalgate alert: dry run: {new} new regression{}{still}; printed the {} payload, \
             nothing sent",
            if new == 1 { "" } else { "s" },
            format.as_str()
        );
        return Ok(());
    }
    let name = args
        .webhook_url_env
        .as_deref()
        .expect("clap requires --webhook-url-env without --dry-run");
    let url = std::env::var(name).unwrap_or_default();
    if url.trim().is_empty() {
        eprintln!("evalgate alert: {name} is not set; no alert sent");
        return Ok(());
    }
    let outcome = Poster::new(&url, name).and_then(|mut poster| {
        poster.retry.backoff = Duration::from_millis(args.retry_backoff_ms);
        poster.post(&payload)
    });
    match outcome {
        Ok(posted) => eprintln!(
            "evalgate alert: sent {new} new regression{}{still} to the {} webhook in {name} \
             (HTTP {}, {} attempt{})",
            if new == 1 { "" } else { "s" },
            format.as_str(),
            posted.status,
            posted.attempts,
            if posted.attempts == 1 { "" } else { "s" }
        ),
        Err(e) => eprintln!(
            "evalgate alert: warning: no alert sent: {}",
            inert(&e.to_string())
        ),
    }
    Ok(())
}
