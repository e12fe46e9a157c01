//! PR comment and job summary Markdown: snapshots over the standard scenarios, plus checks of
//! the properties reviewers rely on (marker, direction-aware marks, escaping, size limit).

mod report_support;

use evalgate::results::{CheckStatus, Severity};
use evalgate::unstable::report::markdown::units;
use evalgate::unstable::report::pr_comment::{
    self, COMMENT_MARKER, CommentOptions, MAX_COMMENT_UNITS,
};
use evalgate::unstable::report::summary;
use report_support::{HIGHER, LOWER, SCENARIOS, pair, podcast_pair, regress, run, scenario};

fn comment(name: &str) -> String {
    pr_comment::render(&scenario(name), &CommentOptions::default())
}

/// The table row of `metric` (first cell starts with it).
fn row<'a>(markdown: &'a str, metric: &str) -> &'a str {
    markdown
        .lines()
        .find(|l| l.starts_with(&format!("| {metric} ")))
        .unwrap_or_else(|| panic!("no row for {metric} in\n{markdown}"))
}

/// Cell separators in a table line: `|` not preceded by a backslash.
fn unescaped_pipes(line: &str) -> usize {
    let bytes = line.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
}

#[test]
fn comment_snapshots() {
    for name in SCENARIOS {
        insta::assert_snapshot!(format!("comment_{name}"), comment(name));
    }
}

#[test]
fn summary_snapshots() {
    for name in SCENARIOS {
        insta::assert_snapshot!(format!("summary_{name}"), summary::render(&scenario(name)));
    }
}

#[test]
fn first_line_is_the_verdict_and_the_marker_has_its_own_line() {
    let cases = [
        ("all_clear", "✅ **evalgate: all clear**"),
        ("error_regression", "❌ **evalgate: 1 regression**"),
        ("warning", "⚠️ **evalgate: 1 warning**"),
        ("missing_baseline", "✅ **evalgate: all clear**"),
    ];
    for (name, start) in cases {
        let text = comment(name);
        let first = text.lines().next().unwrap();
        assert!(first.starts_with(start), "{name}: {first}");
        assert!(
            text.lines().any(|l| l == COMMENT_MARKER),
            "{name}: marker missing"
        );
    }
    assert!(
        comment("missing_baseline")
            .lines()
            .next()
            .unwrap()
            .contains("2 not checked")
    );
}

#[test]
fn regression_is_marked_on_its_metric_and_explained() {
    let text = comment("error_regression");
    let rouge = row(&text, "rougeL\\_f1 ↑");
    assert!(rouge.contains("❌ **regression**"), "{rouge}");
    assert!(rouge.contains("| 0.45 | 0.4 | -0.05 (-11.1%) |"), "{rouge}");
    // WER rose (lower is better): worse, never "better".
    let wer = row(&text, "wer ↓");
    assert!(wer.contains("worse, within tolerance"), "{wer}");
    assert!(!wer.contains("better"), "{wer}");
    let why = text
        .split("## What failed and why")
        .nth(1)
        .expect("failure section");
    assert!(
        why.contains("`smoke::podcast_summaries_v1::extractive_lead3::rougeL_f1::vs_baseline`")
    );
    assert!(why.contains("may worsen by at most 0.02"));
    assert!(why.contains("worst items: `item_b` (0.1), `item_a` (0.25)"));
    assert!(text.contains("cargo insta review"));
}

#[test]
fn falling_latency_is_better_and_rising_rouge_is_better() {
    let text = comment("all_clear");
    assert!(row(&text, "latency\\_ms\\_p50 ↓").contains("| better |"));
    assert!(row(&text, "rougeL\\_f1 ↑").contains("| better |"));
    assert!(row(&text, "wer ↓").contains("| unchanged |"));
}

#[test]
fn warnings_are_visible_but_do_not_fail() {
    let text = comment("warning");
    assert!(row(&text, "latency\\_ms\\_p50 ↓").contains("⚠️ **warning**"));
    assert!(text.contains("## Warnings (do not fail the gate)"));
    assert!(!text.contains("What failed and why"));
    assert!(text.contains("may worsen by at most 30 (25%)"));
}

#[test]
fn long_tables_fold_unchanged_rows() {
    let text = comment("many_metrics");
    let (shown, folded) = text.split_once("<details>").expect("details block");
    assert!(folded.contains("<summary>16 metrics unchanged</summary>"));
    assert!(folded.contains("| gate\\_00 ↑ |"));
    assert!(!shown.contains("gate\\_00"));
    assert!(shown.contains("| wer ↓ |") && shown.contains("| rougeL\\_f1 ↑ |"));
    // Short tables do not fold.
    assert!(!comment("all_clear").contains("<details>"));
}

#[test]
fn hostile_text_is_inert() {
    for text in [comment("hostile"), summary::render(&scenario("hostile"))] {
        assert!(!text.contains("<script>"), "{text}");
        assert!(!text.contains("<img"), "{text}");
        assert!(!text.contains("</td>"), "{text}");
        assert!(!text.contains("@everyone"), "mention not defused");
        assert!(!text.contains("```"), "fence not escaped");
        assert_eq!(
            text.matches("</details>").count(),
            text.matches("<details>").count()
        );
        // Every row of a table has as many cell separators as its header, whatever the ids
        // contain.
        let mut header_pipes = None;
        for line in text.lines() {
            if !line.starts_with('|') {
                header_pipes = None;
                continue;
            }
            let pipes = unescaped_pipes(line);
            let expected = *header_pipes.get_or_insert(pipes);
            assert_eq!(pipes, expected, "table row broken: {line}");
        }
    }
}

#[test]
fn huge_runs_are_truncated_below_githubs_limit_with_a_note() {
    let pairs = (0..400)
        .map(|i| {
            let mut p = pair(
                &format!("dataset_{i:03}_{}", "x".repeat(40)),
                "system",
                &[
                    ("rougeL_f1", HIGHER, 0.3, Some(0.5)),
                    ("wer", LOWER, 0.5, Some(0.2)),
                ],
            );
            regress(
                &mut p,
                "rougeL_f1",
                CheckStatus::Failed,
                Severity::Error,
                &"long message ".repeat(60),
            );
            p
        })
        .collect();
    let results = run(pairs);
    let text = pr_comment::render(&results, &CommentOptions::default());
    assert!(units(&text) <= MAX_COMMENT_UNITS, "{} units", units(&text));
    assert!(
        units(&text) > MAX_COMMENT_UNITS - 5_000,
        "budget badly used: {}",
        units(&text)
    );
    assert!(text.lines().any(|l| l == COMMENT_MARKER));
    assert!(text.starts_with("❌ **evalgate: 400 regressions**"));
    assert!(text.contains("Comment truncated:"));
    assert!(text.contains("## How to promote new baselines"));
    assert_eq!(
        text.matches("</details>").count(),
        text.matches("<details>").count()
    );
}

#[test]
fn details_url_is_linked() {
    let options = CommentOptions {
        details_url: Some("https://github.com/o/r/actions/runs/1".into()),
        report_url: None,
    };
    let text = pr_comment::render(&run(vec![podcast_pair(0.45, 0.2, 120.0)]), &options);
    assert!(text.contains("[Run details](https://github.com/o/r/actions/runs/1)"));
    assert!(!text.contains("Dashboard"));
}

#[test]
fn report_url_is_linked_and_a_non_url_is_not() {
    let linked = CommentOptions {
        details_url: None,
        report_url: Some("https://github.com/o/r/actions/runs/1/artifacts/7".into()),
    };
    let text = pr_comment::render(&run(vec![podcast_pair(0.45, 0.2, 120.0)]), &linked);
    assert!(text.contains("[Dashboard](https://github.com/o/r/actions/runs/1/artifacts/7)"));
    let hostile = CommentOptions {
        details_url: None,
        report_url: Some("javascript:alert(1)".into()),
    };
    let text = pr_comment::render(&run(vec![podcast_pair(0.45, 0.2, 120.0)]), &hostile);
    assert!(!text.contains("Dashboard") && !text.contains("javascript"));
}

#[test]
fn command_writes_the_comment_and_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    scenario("error_regression").write(&results).unwrap();
    let out = dir.path().join("comment.md");
    let run_cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_evalgate"))
            .args(args)
            .output()
            .unwrap()
    };
    let results_arg = results.to_str().unwrap();
    let status = run_cli(&[
        "report",
        "pr-comment",
        "--results",
        results_arg,
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(status.status.success());
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        comment("error_regression")
    );

    let summary_out = run_cli(&["report", "summary", "--results", results_arg]);
    assert!(summary_out.status.success());
    assert_eq!(
        String::from_utf8(summary_out.stdout).unwrap(),
        summary::render(&scenario("error_regression"))
    );

    let bad_url = run_cli(&[
        "report",
        "pr-comment",
        "--results",
        results_arg,
        "--details-url",
        "javascript:alert(1)",
    ]);
    // Bad input or arguments exit 2 (a remote failure exits 1), with one message prefix.
    assert_eq!(bad_url.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_url.stderr).starts_with("evalgate report: error: "));
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("--details-url"));

    let missing = run_cli(&[
        "report",
        "summary",
        "--results",
        "/nonexistent/results.json",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/results.json"));
}
