//! Vs-baseline checks with a paired statistical test, end to end: a replay system whose outputs
//! the test controls item by item, a baseline accepted from one set of outputs, and a run on
//! another. No change passes; a clear worsening of every item fails with its interval; a change
//! about the size of the noise is inconclusive (a warning naming the interval and the minimum
//! detectable effect); corpus BLEU is tested on per-item statistics kept with the baseline.
//! The numbers reach results.json, JUnit and the PR comment.

mod support;

use evalgate::results::{CheckKind, CheckResult, CheckStatus, PairedDecision, RunResults};
use evalgate::unstable::report::pr_comment::{CommentOptions, render};
use support::Project;

/// Items: the reference is twelve words; the outputs keep some of them.
const N_ITEMS: usize = 24;

fn words(item: usize) -> Vec<String> {
    (0..12).map(|w| format!("w{item}x{w}")).collect()
}

fn items_json() -> String {
    let items: Vec<String> = (0..N_ITEMS)
        .map(|i| {
            let text = words(i).join(" ");
            format!(
                r#"{{"id": "i{i:02}", "input": "{text} and more words here", "references": ["{text}"]}}"#
            )
        })
        .collect();
    format!("[\n{}\n]", items.join(",\n"))
}

/// A replay file where item `i` keeps the first `kept(i)` reference words.
fn replay(kept: impl Fn(usize) -> usize) -> String {
    (0..N_ITEMS)
        .map(|i| {
            let output = words(i)[..kept(i)].join(" ");
            format!("{{\"id\": \"i{i:02}\", \"output\": \"{output}\"}}\n")
        })
        .collect()
}

/// The baseline keeps 8 or 9 words (a little noise between items).
fn baseline_kept(i: usize) -> usize {
    8 + i % 2
}

fn project(checks: &str) -> Project {
    let p = Project::new(&format!(
        "[suite]\ncache_dir = \"target/cache\"\n\n\
         [tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
         [datasets.demo_v1]\nsystems = [\"model\"]\nmetrics = [\"rouge1_f1\", \"bleu\"]\n\n\
         [systems.model]\nkind = \"replay\"\npath = \"outputs.jsonl\"\n\n{checks}"
    ));
    p.dataset("demo_v1", &items_json());
    p.write("outputs.jsonl", replay(baseline_kept));
    p
}

const CHECKS: &str = "[checks.rouge1_f1]\n\
    vs_baseline = { max_drop = 0.02, test = \"paired_bootstrap\", confidence = 0.95 }\n\n\
    [checks.bleu]\n\
    vs_baseline = { max_drop = 1.0, test = \"paired_bootstrap\", resamples = 2000 }\n";

fn check<'a>(results: &'a RunResults, metric: &str) -> &'a CheckResult {
    results
        .all_checks()
        .find(|c| c.metric == metric && c.kind == CheckKind::VsBaseline)
        .unwrap_or_else(|| panic!("no vs_baseline check of {metric}"))
}

/// A project with an accepted baseline made from [`baseline_kept`] outputs.
fn with_baseline(checks: &str) -> Project {
    let p = project(checks);
    p.results(&[]);
    assert_eq!(p.accept(), 1, "the first run writes one pending baseline");
    p
}

#[test]
fn no_change_passes_with_a_zero_width_interval() {
    let p = with_baseline(CHECKS);
    let results = p.results(&[]);
    for metric in ["rouge1_f1", "bleu"] {
        let c = check(&results, metric);
        assert_eq!(c.status, CheckStatus::Passed, "{metric}: {}", c.message);
        let t = c.test.as_ref().expect("the paired test's numbers");
        assert_eq!(t.decision, PairedDecision::Pass);
        assert_eq!((t.delta_lo, t.delta_hi), (0.0, 0.0), "{metric}");
        assert_eq!(t.n_items, N_ITEMS);
    }
    assert!(
        p.pending().is_empty(),
        "an unchanged run leaves no pending baseline"
    );
}

#[test]
fn a_clear_worsening_of_every_item_fails_with_its_interval() {
    let p = with_baseline(CHECKS);
    // Every item loses three more words.
    p.write("outputs.jsonl", replay(|i| baseline_kept(i) - 3));
    let results = p.results(&[]);
    for metric in ["rouge1_f1", "bleu"] {
        let c = check(&results, metric);
        assert_eq!(c.status, CheckStatus::Failed, "{metric}: {}", c.message);
        let t = c.test.as_ref().unwrap();
        assert_eq!(t.decision, PairedDecision::Regression);
        assert!(t.worsening_lo > t.allowed_worsening, "{metric}: {t:?}");
        assert!(t.delta_hi < 0.0 && t.delta_lo <= t.delta && t.delta <= t.delta_hi);
        assert!(
            c.message.contains(&t.interval_text()) && c.message.contains("paired bootstrap 95%"),
            "{}",
            c.message
        );
    }
    let bleu = check(&results, "bleu").test.clone().unwrap();
    assert_eq!(bleu.resamples, 2000);
    // The point estimate of corpus BLEU is the change of the corpus values.
    let c = check(&results, "bleu");
    assert!(
        (bleu.delta - c.delta.unwrap()).abs() < 1e-9,
        "{bleu:?} vs {c:?}"
    );

    // The numbers reach results.json, JUnit and the PR comment.
    let json = p.results_json();
    assert!(json.contains("\"schema\": \"evalgate.results/v3\""));
    assert!(json.contains("\"decision\": \"regression\""), "{json}");
    let junit = p.junit_xml();
    for property in [
        "name=\"test\" value=\"paired_bootstrap\"",
        "name=\"delta_lo\"",
        "name=\"mde\"",
    ] {
        assert!(junit.contains(property), "{property} in {junit}");
    }
    let comment = render(&results, &CommentOptions::default());
    let r = check(&results, "rouge1_f1").test.clone().unwrap();
    assert!(comment.contains(&r.interval_text()), "{comment}");
}

#[test]
fn a_change_the_size_of_the_noise_is_inconclusive_and_names_the_mde() {
    // BLEU's brevity penalty makes shorter outputs a clear worsening: judge ROUGE-1 alone.
    let p = with_baseline(
        "[checks.rouge1_f1]\nvs_baseline = { max_drop = 0.02, test = \"paired_bootstrap\" }\n\n\
         [checks.bleu]\nvs_baseline = false\n",
    );
    // Half the items lose a word, the other half gain one back: Δ near zero, spread wide.
    p.write(
        "outputs.jsonl",
        replay(|i| match i % 4 {
            0 => baseline_kept(i) - 2,
            1 => baseline_kept(i) + 1,
            2 => baseline_kept(i) - 1,
            _ => baseline_kept(i),
        }),
    );
    let results = p.results(&[]);
    let c = check(&results, "rouge1_f1");
    let t = c.test.as_ref().unwrap();
    assert_eq!(c.status, CheckStatus::Inconclusive, "{}", c.message);
    assert_eq!(t.decision, PairedDecision::Inconclusive);
    assert!(t.worsening_lo <= t.allowed_worsening && t.allowed_worsening < t.worsening_hi);
    assert!(t.mde > 0.0);
    assert!(
        c.message.starts_with("inconclusive: ")
            && c.message
                .contains(&format!("with {N_ITEMS} items a worsening below"))
            && c.message.contains("add items or samples"),
        "{}",
        c.message
    );
    // A warning: the run's gate passes, and the summary counts it.
    assert_eq!(results.summary.failed, 0, "{:?}", results.summary);
    assert_eq!(results.summary.inconclusive, 1, "{:?}", results.summary);
    let comment = render(&results, &CommentOptions::default());
    assert!(comment.contains("inconclusive"), "{comment}");
}

#[test]
fn a_baseline_without_statistics_asks_to_accept_the_pending_one() {
    // The baseline is made before the bleu check names a test.
    let p = with_baseline("");
    p.write("evalgate.toml", p.read("evalgate.toml") + CHECKS);
    let results = p.results(&[]);
    let c = check(&results, "bleu");
    assert_eq!(c.status, CheckStatus::Ignored, "{}", c.message);
    assert!(
        c.message.contains("has no per-item statistics of `bleu`"),
        "{}",
        c.message
    );
    assert_eq!(p.accept(), 1);
    let c = check(&p.results(&[]), "bleu").clone();
    assert_eq!(c.status, CheckStatus::Passed, "{}", c.message);
    // rouge1_f1 is a mean of items: its baseline's per-item values are enough.
    assert_eq!(check(&results, "rouge1_f1").status, CheckStatus::Passed);
}

#[test]
fn the_permutation_test_gives_a_p_value() {
    let p = with_baseline(
        "[checks.rouge1_f1]\nvs_baseline = { max_drop = 0.02, test = \"permutation\" }\n",
    );
    p.write("outputs.jsonl", replay(|i| baseline_kept(i) - 3));
    let results = p.results(&[]);
    let c = check(&results, "rouge1_f1");
    let t = c.test.as_ref().unwrap();
    assert_eq!(c.status, CheckStatus::Failed, "{}", c.message);
    let p_value = t.p_value.expect("a permutation test has a p-value");
    assert!(p_value < 0.025, "{p_value}");
    assert!(c.message.contains("p = "), "{}", c.message);
}

#[test]
fn a_sum_over_samples_is_tested_in_the_units_of_its_dataset_value() {
    // cost_usd is the sum over every output: 24 items × 2 samples. Each output costs 0.01 in the
    // baseline and 0.02 after the change, so the total rises by 0.48.
    let lines = |cost: f64| -> String {
        (0..N_ITEMS)
            .flat_map(|i| {
                (0..2).map(move |k| {
                    format!(
                        "{{\"id\": \"i{i:02}\", \"output\": \"w{i}x0 w{i}x{k}\", \"cost_usd\": {cost}}}\n"
                    )
                })
            })
            .collect()
    };
    let p = Project::new(
        "[suite]\ncache_dir = \"target/cache\"\n\n\
         [tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
         [datasets.demo_v1]\nsystems = [\"model\"]\nmetrics = [\"cost_usd\"]\n\n\
         [systems.model]\nkind = \"replay\"\npath = \"outputs.jsonl\"\nsamples = 2\n\n\
         [checks.cost_usd]\n\
         vs_baseline = { max_drop = 0.1, test = \"paired_bootstrap\" }\n",
    );
    p.dataset("demo_v1", &items_json());
    p.write("outputs.jsonl", lines(0.01));
    p.results(&[]);
    assert_eq!(p.accept(), 1);
    p.write("outputs.jsonl", lines(0.02));
    let results = p.results(&[]);
    let c = check(&results, "cost_usd");
    let t = c.test.as_ref().unwrap();
    assert_eq!(c.status, CheckStatus::Failed, "{}", c.message);
    assert!((c.delta.unwrap() - 0.48).abs() < 1e-9, "{c:?}");
    assert!((t.delta - 0.48).abs() < 1e-9, "{t:?}");
    assert_eq!((t.n_items, t.n_samples), (N_ITEMS, 2));
}
