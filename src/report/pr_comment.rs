//! The pull-request comment: a verdict line, per dataset × system comparison tables (PR vs
//! baseline), what failed and why, and how to promote new baselines. It carries
//! [`COMMENT_MARKER`] so the poster finds and updates its own comment instead of adding one.

use crate::report::markdown::{BoundedDocument, code};
use crate::report::sections::{
    Counts, check_entry, checks_with, counts_table, evaluation_section,
    evaluations_in_report_order, generation_warnings, headline, tiers,
};
use crate::results::{BaselineStatus, CheckStatus, RunResults};

/// Hidden marker identifying evalgate's comment; on its own line in every comment.
pub const COMMENT_MARKER: &str = "<!-- evalgate:pr-comment -->";

/// GitHub rejects comment bodies over 65,536 characters; we stay below with a margin.
pub const MAX_COMMENT_UNITS: usize = 65_000;

/// Name of the artifact the smoke workflow uploads pending `baselines/*.snap.new` files under.
pub const PENDING_BASELINES_ARTIFACT: &str = "evalgate-pending-baselines";

/// Options for the comment.
#[derive(Debug, Clone, Default)]
pub struct CommentOptions {
    /// Link to the workflow run that produced the results (must be http(s)).
    pub details_url: Option<String>,
    /// Link to the run's HTML dashboard (`evalgate report html`), e.g. the artifact the smoke
    /// workflow uploads it as (must be http(s)).
    pub report_url: Option<String>,
}

/// Renders the comment Markdown for a run.
pub fn render(results: &RunResults, options: &CommentOptions) -> String {
    let counts = Counts::of(results);
    let mut head = format!("{}\n{COMMENT_MARKER}\n\n", headline(&counts));
    let commit = results
        .run
        .git_commit
        .as_deref()
        .map(|c| format!(" for commit {}", code(c)))
        .unwrap_or_default();
    head.push_str(&format!(
        "Benchmarks ({} tier){commit}, compared with the baselines in `baselines/`. \
         ↑ higher is better, ↓ lower is better.",
        tiers(results)
    ));
    if let Some(url) = options.details_url.as_deref().filter(|u| is_plain_url(u)) {
        let url = crate::outside::redact_url_credentials(url);
        head.push_str(&format!(" [Run details]({url})."));
    }
    if let Some(url) = options.report_url.as_deref().filter(|u| is_plain_url(u)) {
        let url = crate::outside::redact_url_credentials(url);
        head.push_str(&format!(
            " [Dashboard]({url}) (report.html: per-item values, outputs and diffs)."
        ));
    }
    head.push_str("\n\n");
    head.push_str(&counts_table(&counts));
    head.push('\n');

    let mut doc = BoundedDocument::new(head);
    for evaluation in evaluations_in_report_order(results) {
        doc.push(evaluation_section(evaluation, "this PR"));
    }

    let failed = checks_with(results, CheckStatus::Failed);
    let warned = checks_with(results, CheckStatus::Warned);
    let broken: Vec<_> = results
        .evaluations
        .iter()
        .filter(|p| p.error.is_some())
        .collect();
    if !failed.is_empty() || !broken.is_empty() {
        doc.push("## What failed and why\n".to_string());
        for check in failed {
            doc.push(check_entry(check));
        }
        for evaluation in broken.iter().filter(|p| p.checks.is_empty()) {
            doc.push(format!(
                "- ❌ {} · {} could not be computed (see its section above)\n",
                crate::report::markdown::text(&evaluation.dataset),
                crate::report::markdown::text(&evaluation.system)
            ));
        }
    }
    if !warned.is_empty() {
        doc.push("## Warnings (do not fail the gate)\n".to_string());
        for check in warned {
            doc.push(check_entry(check));
        }
    }
    let inconclusive = checks_with(results, CheckStatus::Inconclusive);
    if !inconclusive.is_empty() {
        doc.push(
            "## Inconclusive (do not fail the gate; more items or samples would tell)\n"
                .to_string(),
        );
        for check in inconclusive {
            doc.push(check_entry(check));
        }
    }
    let generation = generation_warnings(results);
    if !generation.is_empty() {
        doc.push(generation);
    }

    doc.set_tail(promote_section(results));
    doc.render(MAX_COMMENT_UNITS, |omitted| {
        format!(
            "> ✂️ **Comment truncated:** {omitted} more section(s) left out to stay under \
             GitHub's 65,536-character limit. The full results are in the `results.json` \
             artifact of this run."
        )
    })
}

/// How to accept new numbers as baselines; empty when nothing is pending, regressed or missing.
fn promote_section(results: &RunResults) -> String {
    let pending: Vec<&str> = results
        .evaluations
        .iter()
        .filter_map(|p| p.baseline.pending_file.as_deref())
        .collect();
    let needs_baseline = results
        .evaluations
        .iter()
        .any(|p| p.baseline.status != BaselineStatus::Present);
    let changed = results.all_checks().any(|c| {
        matches!(
            c.status,
            CheckStatus::Failed | CheckStatus::Warned | CheckStatus::Inconclusive
        )
    });
    if pending.is_empty() && !needs_baseline && !changed {
        return String::new();
    }
    let mut out = String::from(
        "## How to promote new baselines\n\n\
         If the change is intended, make this PR's numbers the new baselines:\n\
         - locally: run `cargo test --test benchmarks -- smoke`, then `cargo insta review` \
         (or `cargo insta accept`) and commit `baselines/`;\n",
    );
    out.push_str(&format!(
        "- or download the `{PENDING_BASELINES_ARTIFACT}` artifact of this run, rename each \
         `.snap.new` to `.snap` in `baselines/` and commit.\n"
    ));
    if !pending.is_empty() {
        out.push_str("\nPending baselines written by this run:\n");
        for file in pending.iter().take(50) {
            out.push_str(&format!("- {}\n", code(file)));
        }
        if pending.len() > 50 {
            out.push_str(&format!("- … and {} more\n", pending.len() - 50));
        }
    }
    out
}

/// True for an `http(s)://` URL without whitespace or characters that could end a Markdown link.
pub fn is_plain_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '(' | ')' | '<' | '>' | '"' | '`' | '\\'))
}
