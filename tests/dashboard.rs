//! `evalgate report html` and `evalgate report chart`, end to end with the real binary on a
//! project whose run regresses with a hostile prediction: the page's summary, ordering,
//! escaping, offline-ness and diffs; `--compare` winner counts; `--history` charts and their
//! points; the SVG chart command; the summary's sparklines; and exit 2 on bad input files.
//! The same page in a real browser: `tests/dashboard_browser.rs`.

mod dashboard_support;
mod report_support;
mod support;

use std::path::Path;

use dashboard_support::{
    FAILED_RUNS, HISTORY_RUNS, assert_succeeded, evalgate, regressed_project, report_html, results,
    s, write_compare, write_history,
};

/// The text from the first `start` to the next `end` (inclusive).
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let i = text
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` not in the page"));
    let j = text[i..]
        .find(end)
        .unwrap_or_else(|| panic!("`{end}` not after `{start}`"));
    &text[i..i + j + end.len()]
}

/// The number shown for `data-count="<name>"`.
fn count(html: &str, name: &str) -> usize {
    let tag = format!("data-count=\"{name}\">");
    let at = html.find(&tag).unwrap() + tag.len();
    html[at..at + html[at..].find('<').unwrap()]
        .parse()
        .unwrap()
}

#[test]
fn the_page_shows_the_run_regressions_first_escaped_and_offline() {
    let p = regressed_project();
    let results = results(&p);
    let (_, html) = report_html(&p, "report.html", &[]);

    // Summary counts are results.json's.
    assert_eq!(count(&html, "passed"), results.summary.passed);
    assert_eq!(count(&html, "failed"), results.summary.failed);
    assert_eq!(count(&html, "warned"), results.summary.warned);
    assert_eq!(count(&html, "inconclusive"), results.summary.inconclusive);
    assert_eq!(count(&html, "ignored"), results.summary.ignored);
    assert!(results.summary.failed >= 1);
    assert!(html.contains("<dt>tiers</dt><dd>smoke</dd>"), "tier shown");

    // The regression row comes first, with its interval.
    let first_row = between(&html, "<tr class=\"metric-row", "</tr>");
    assert!(
        first_row.contains("data-status=\"regression\"") && first_row.contains("rouge1_f1 ↑"),
        "{first_row}"
    );
    // Its message: the first clause in the row, the rest (worst items, output diffs) collapsed.
    let message = between(first_row, "<div class=\"msg\">", "</div>");
    assert!(
        message.starts_with("<div class=\"msg\">rouge1_f1 worsened from"),
        "{message}"
    );
    assert!(!message.contains("worst items"), "{message}");
    let more = between(first_row, "<details class=\"msg-more\">", "</details>");
    assert!(more.contains("worst items:"), "{more}");
    let check = results
        .all_checks()
        .find(|c| c.metric == "chrf" && c.kind == evalgate::results::CheckKind::VsBaseline)
        .unwrap();
    let test = check
        .test
        .as_ref()
        .expect("a paired test on the vs-baseline check");
    use evalgate::unstable::report::markdown::{number, signed};
    let delta = format!(
        "{} [{}, {}] {}%",
        signed(check.delta.unwrap()),
        signed(test.delta_lo),
        signed(test.delta_hi),
        number(test.confidence * 100.0)
    );
    let chrf_row = between(&html, "<td data-v=\"chrf\">", "</tr>");
    assert!(chrf_row.contains(&delta), "`{delta}` in {chrf_row}");
    assert!(delta.ends_with(" 90%"), "{delta}");

    // The hostile prediction is text: no raw markup from the data anywhere.
    assert!(!html.contains("<script>alert"), "raw script from the data");
    assert!(!html.contains("<img src=x"), "raw img from the data");
    // askama writes `<` and `>` as `&#60;` and `&#62;`.
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(html.contains("&#60;img src=x onerror=alert(1)&#62;"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert_eq!(
        html.matches("<details").count(),
        html.matches("</details>").count(),
        "a `</details>` in the data does not close one"
    );

    // Offline: nothing loaded from elsewhere.
    for bad in [
        "src=\"http",
        "src='http",
        "href=\"http",
        "href='http",
        "url(",
        "@import",
        "<link",
        "<iframe",
    ] {
        assert!(!html.contains(bad), "`{bad}` in the page");
    }
    assert!(html.contains(
        "content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\""
    ));

    // The worst item (the hostile one) comes first in its drill-down, with its input from the
    // dataset, its reference and the word diff against the baseline.
    let first_item = between(&html, "<details class=\"item\"", "<h4>diff against");
    assert!(first_item.contains("data-item=\"a\""), "{first_item}");
    assert!(first_item.contains("A cat sat on the mat today, said the host."));
    assert!(first_item.contains("<pre class=\"reference\">the cat sat on the mat today</pre>"));
    let diff = between(&html, "<p class=\"diff\">", "</p>");
    insta::assert_snapshot!("hostile_item_diff", diff);
    assert!(html.contains("<del>wider</del>"), "item c's diff");
}

#[test]
fn missing_optional_files_leave_notes_not_errors() {
    let p = regressed_project();
    std::fs::remove_dir_all(p.path("datasets")).unwrap();
    std::fs::remove_file(p.path("out/predictions/demo_v1/model.jsonl")).unwrap();
    std::fs::remove_file(p.path("baselines/demo_v1__model.snap")).unwrap();
    let (_, html) = report_html(&p, "report.html", &[]);
    for part in [
        "input not available",
        "prediction not available",
        "no baseline prediction",
        "id=\"notes\"",
        "out/predictions/demo_v1/model.jsonl",
    ] {
        assert!(html.contains(part), "`{part}` missing");
    }
}

#[test]
fn compare_counts_per_item_winners_across_two_systems() {
    let p = regressed_project();
    let other = write_compare(&p);
    let (_, html) = report_html(&p, "compare.html", &["--compare", s(&other)]);
    let section = between(&html, "<section id=\"compare\">", "</section>");
    assert!(
        section.contains("demo_v1: A model vs B other_model"),
        "{section}"
    );
    let row = between(section, "<tr data-metric=\"rouge1_f1\">", "</tr>");
    let wins = |who: &str| -> usize {
        let tag = format!("data-wins=\"{who}\">");
        let at = row.find(&tag).unwrap() + tag.len();
        row[at..at + row[at..].find('<').unwrap()].parse().unwrap()
    };
    assert_eq!((wins("a"), wins("b"), wins("tie")), (1, 1, 1), "{row}");
    let chrf = between(section, "<tr data-metric=\"chrf\">", "</tr>");
    assert!(chrf.contains("data-wins=\"tie\">3<"), "{chrf}");
}

#[test]
fn history_gives_one_chart_per_metric_with_a_point_per_run() {
    let p = regressed_project();
    let history = write_history(&p);
    let (_, html) = report_html(&p, "history.html", &["--history", s(&history)]);
    let metrics = results(&p).evaluations[0].metrics.len();
    let figures: Vec<&str> = html
        .split("<figure class=\"chart\"")
        .skip(1)
        .map(|f| &f[..f.find("</figure>").unwrap()])
        .collect();
    assert_eq!(figures.len(), metrics, "one chart per metric");
    for figure in &figures {
        assert!(figure.contains(&format!("data-points=\"{HISTORY_RUNS}\"")));
        assert_eq!(figure.matches("<circle").count(), HISTORY_RUNS);
    }
    let rouge = figures
        .iter()
        .find(|f| f.contains("data-metric=\"rouge1_f1\""))
        .unwrap();
    assert!(rouge.contains(&format!("data-failed=\"{}\"", FAILED_RUNS.len())));
    assert_eq!(rouge.matches("#D62728").count(), FAILED_RUNS.len());
    let chrf = figures
        .iter()
        .find(|f| f.contains("data-metric=\"chrf\""))
        .unwrap();
    assert_eq!(chrf.matches("#D62728").count(), 0);
}

#[test]
fn the_chart_command_writes_an_svg_with_a_point_per_run() {
    let p = regressed_project();
    let history = write_history(&p);
    // `evalgate report chart` of `metric`, from the history, with `extra` arguments, to `out`.
    let chart = |metric: &str, out: &Path, extra: &[&str]| {
        let mut args = vec![
            "report",
            "chart",
            "--history",
            s(&history),
            "--metric",
            metric,
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-o", s(out)]);
        evalgate(&p, &args)
    };
    let out = p.scratch("rouge.svg");
    let run = chart("rouge1_f1", &out, &["--pair", "demo_v1/model"]);
    assert_succeeded(&run);
    let svg = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("valid SVG (XML)");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let circles: Vec<_> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "circle")
        .collect();
    assert_eq!(circles.len(), HISTORY_RUNS);
    let red = circles
        .iter()
        .filter(|c| c.attribute("fill") == Some("#D62728"))
        .count();
    assert_eq!(red, FAILED_RUNS.len());

    // Without --pair: one series per pair (one here).
    let all = p.scratch("all.svg");
    let run = chart("chrf", &all, &[]);
    assert!(run.status.success());

    // Only SVG; unknown metrics are named with the known ones.
    let png = p.scratch("rouge.png");
    let run = chart("chrf", &png, &[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("only SVG"));
    let run = chart("nope", &all, &[]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("no values of metric `nope`") && stderr.contains("chrf, rouge1_f1"),
        "{stderr}"
    );
}

#[test]
fn the_summary_shows_a_sparkline_per_failing_metric() {
    let p = regressed_project();
    let history = write_history(&p);
    let run = evalgate(
        &p,
        &[
            "report",
            "summary",
            "--results",
            "out/results.json",
            "--history",
            s(&history),
        ],
    );
    assert_succeeded(&run);
    let markdown = String::from_utf8(run.stdout).unwrap();
    let section = between(&markdown, "### Trends of failing metrics", "(last 11 runs)");
    assert!(
        section.contains("`rouge1_f1` on `demo_v1` × `model`"),
        "{section}"
    );
    assert!(section.contains('▁') || section.contains('█'), "{section}");
}

#[test]
fn bad_input_files_exit_2_naming_the_file() {
    let p = regressed_project();
    p.write("broken.json", "{ not json");
    p.write("history.jsonl", "{\"schema\": \"nope\"}\n");
    let out = p.scratch("x.html");
    let cases: [(&[&str], &str); 4] = [
        (&["--results", "missing.json"], "missing.json"),
        (&["--results", "broken.json"], "broken.json"),
        (
            &["--results", "out/results.json", "--compare", "broken.json"],
            "broken.json",
        ),
        (
            &[
                "--results",
                "out/results.json",
                "--history",
                "history.jsonl",
            ],
            "history.jsonl",
        ),
    ];
    for (args, file) in cases {
        let mut all = vec!["report", "html", "-o", s(&out)];
        all.extend_from_slice(args);
        let run = evalgate(&p, &all);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("evalgate report: error:") && stderr.contains(file),
            "{args:?}: {stderr}"
        );
    }
    assert!(!out.exists(), "no page written on bad input");
}

#[test]
fn compare_pairs_by_name_else_the_only_system_of_a_dataset() {
    use evalgate::unstable::report::html::{Sources, gather};
    use report_support::{HIGHER, pair, run};
    let m = |v: f64| [("m", HIGHER, v, None)];
    let a = run(vec![
        pair("d1", "x", &m(0.5)),
        pair("d1", "y", &m(0.5)),
        pair("d2", "x", &m(0.5)),
        pair("d3", "p", &m(0.5)),
    ]);
    let b = run(vec![
        pair("d1", "x", &m(0.6)),
        pair("d1", "z", &m(0.6)),
        pair("d2", "w", &m(0.6)),
        pair("d4", "q", &m(0.6)),
    ]);
    let root = tempfile::tempdir().unwrap();
    let dashboard = gather(&Sources {
        results: &a,
        root: root.path(),
        compare: Some(("b.json", &b)),
        history: None,
    });
    let c = dashboard.comparison.unwrap();
    let pairs: Vec<String> = c
        .pairs
        .iter()
        .map(|p| format!("{}: {} vs {}", p.dataset, p.system_a, p.system_b))
        .collect();
    assert_eq!(pairs, ["d1: x vs x", "d2: x vs w"]);
    assert_eq!(c.only_here, ["d1/y", "d3/p"]);
    assert_eq!(c.only_other, ["d1/z", "d4/q"]);
    assert_eq!(c.pairs[0].metrics[0].delta, "+0.1");
}
