//! The job summary (`$GITHUB_STEP_SUMMARY`) of a run: verdict, run facts, per dataset × system
//! tables and the failing and warning checks.

use crate::report::markdown::{BoundedDocument, code};
use crate::report::sections::{
    Counts, check_entry, checks_with, counts_table, evaluation_section,
    evaluations_in_report_order, generation_warnings, headline, tiers,
};
use crate::results::{CheckStatus, RunResults};

/// GitHub accepts up to 1 MiB of job summary per step; 250,000 UTF-16 units stay below that
/// even when every character takes four bytes.
pub const MAX_SUMMARY_UNITS: usize = 250_000;

/// Renders the job summary Markdown for a run.
pub fn render(results: &RunResults) -> String {
    let counts = Counts::of(results);
    let run = &results.run;
    let mut head = format!("## evalgate\n\n{}\n\n", headline(&counts));
    head.push_str("| | |\n| --- | --- |\n");
    head.push_str(&format!("| tiers | {} |\n", tiers(results)));
    if let Some(commit) = &run.git_commit {
        head.push_str(&format!("| commit | {} |\n", code(commit)));
    }
    head.push_str(&format!(
        "| configuration | {} ({}) |\n",
        code(&run.config_path),
        code(&run.config_hash)
    ));
    head.push_str(&format!(
        "| started / finished | {} / {} |\n",
        code(&run.started_at),
        code(&run.finished_at)
    ));
    head.push_str(&format!(
        "| evalgate | {} |\n| evaluations (dataset × system) | {} |\n\n",
        code(&run.evalgate_version),
        results.evaluations.len()
    ));
    head.push_str(&counts_table(&counts));
    head.push_str("\n↑ higher is better, ↓ lower is better.\n\n");

    let mut doc = BoundedDocument::new(head);
    let failed = checks_with(results, CheckStatus::Failed);
    if !failed.is_empty() {
        doc.push("### What failed and why\n".to_string());
        for check in failed {
            doc.push(check_entry(check));
        }
    }
    let warned = checks_with(results, CheckStatus::Warned);
    if !warned.is_empty() {
        doc.push("### Warnings\n".to_string());
        for check in warned {
            doc.push(check_entry(check));
        }
    }
    let inconclusive = checks_with(results, CheckStatus::Inconclusive);
    if !inconclusive.is_empty() {
        doc.push("### Inconclusive\n".to_string());
        for check in inconclusive {
            doc.push(check_entry(check));
        }
    }
    let generation = generation_warnings(results);
    if !generation.is_empty() {
        doc.push(generation.replacen("## ", "### ", 1));
    }
    for evaluation in evaluations_in_report_order(results) {
        doc.push(evaluation_section(evaluation, "this run"));
    }
    doc.render(MAX_SUMMARY_UNITS, |omitted| {
        format!(
            "> ✂️ **Summary truncated:** {omitted} more section(s) left out; the merged \
             `results.json` artifact has everything."
        )
    })
}
