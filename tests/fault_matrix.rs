//! The fault and bad-input matrix: each kind of fault that once passed silently, lost data or
//! gave an unclear error, as a table of cases run through the harness the way
//! `cargo test --test benchmarks` runs it. Every case ends in a clear error naming the file and
//! line, or in a failing trial with its cause — never a green run.
//! (Secrets, bounds, hostile text and process trees are in tests/outside_text.rs.)

mod support;

use evalgate::results::{CheckStatus, RunResults};
use evalgate::unstable::metrics::{
    Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions,
};
use evalgate::unstable::report::pr_comment::{CommentOptions, render};
use support::{ItemMetric, Project};

const ITEMS: &str = r#"[
  {"id": "a", "input": "Alpha talks about bees. They make honey.", "references": ["bees make honey"]},
  {"id": "b", "input": "Beta talks about bikes. Lanes are wider.", "references": ["wider bike lanes"]},
  {"id": "c", "input": "Gamma talks about sleep. Rest matters.", "references": ["sleep matters"]}
]"#;

/// A temp project: `suite` and one three-item dataset.
fn project(suite: &str) -> Project {
    let p = Project::new(suite);
    p.dataset("demo_v1", ITEMS);
    p
}

/// A suite of one tier, one dataset, the built-in lead_n system and `metrics`.
fn suite(metrics: &str, extra: &str) -> String {
    format!(
        "[tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n[datasets.demo_v1]\nsystems = [\"lead\"]\n\
         metrics = [{metrics}]\n\n[systems.lead]\nkind = \"builtin\"\nbuiltin = \"lead_n\"\n\
         params = {{ sentences = 1 }}\n\n{extra}"
    )
}

/// An external metric answering every item with `value` (a JSON number).
fn constant_metric(id: &str, value: &str) -> String {
    format!(
        "[external_metrics.{id}]\ncommand = [\"sh\", \"-c\", '''while read line; do \
         id=$(printf '%s' \"$line\" | sed 's/^{{\"id\": *\"\\([^\"]*\\)\".*/\\1/'); \
         printf '{{\"id\": \"%s\", \"value\": {value}}}\\n' \"$id\"; done''']\n\
         direction = \"higher_is_better\"\n"
    )
}

// ---------------------------------------------------------------------------------------------
// Silent passes.

#[test]
fn values_that_overflow_or_are_not_finite_never_pass() {
    // 1.7e308 for every item: the mean must not overflow to infinity and pass `min`.
    let p = project(&suite(
        "\"huge\"",
        &format!(
            "{}\n[checks.huge]\nmin = 1.0\n",
            constant_metric("huge", "1.7e308")
        ),
    ));
    let out = p.run(&[]);
    let results = out.results.unwrap();
    let value = results.evaluations[0].metrics["huge"].value;
    assert!(
        value.is_finite() && (value - 1.7e308).abs() < 1e294,
        "{value}"
    );
    assert!(!p.results_json().contains("\"value\": null"));
    // The results read back (no `null` where a number belongs).
    RunResults::read(&p.out_dir().join("results.json")).unwrap();

    // A plugin that yields NaN or infinity fails its trials naming the metric and the item.
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let p = project(&suite("\"odd\"", "[checks.odd]\nmin = 0.0\n"));
        let out = p.run_with(p.harness().metric(odd(bad)), &[]).unwrap();
        assert!(out.conclusion.has_failed(), "{bad} must not pass");
        let check = &out.results.unwrap().evaluations[0].checks[0];
        assert_eq!(check.status, CheckStatus::Failed);
        assert!(
            check.message.contains(&format!(
                "metric `odd` failed on `demo_v1` × `lead`: item `b`: gave {bad}"
            )),
            "{}",
            check.message
        );
    }
}

/// A plugin metric: 0.5 for every item but `b`, which gets `b_value`.
fn odd(b_value: f64) -> ItemMetric<impl Fn(&ScoringItem<'_>) -> f64 + Send + Sync> {
    ItemMetric::new(
        MetricDef {
            id: "odd".into(),
            direction: Direction::HigherIsBetter,
            reference_based: false,
            varies_by_machine: false,
            range: (None, None),
            aggregation: "mean of items",
            description: "test",
        },
        move |i| if i.id == "b" { b_value } else { 0.5 },
    )
}

/// A plugin metric that panics.
struct Panics;

impl Metric for Panics {
    fn definitions(&self) -> Vec<MetricDef> {
        vec![MetricDef {
            id: "fragile".into(),
            ..odd(0.0).definitions().remove(0)
        }]
    }

    fn score(
        &self,
        _: &[ScoringItem<'_>],
        _: &[&str],
        _: &ScoringOptions,
    ) -> evalgate::Result<Vec<MetricValues>> {
        panic!("index out of bounds in the plugin");
    }
}

#[test]
fn a_metric_that_fails_without_any_check_still_fails_a_trial() {
    let judge = "[external_metrics.judge]\ncommand = [\"sh\", \"-c\", \"cat > /dev/null; echo \
                 'judge crashed' >&2; exit 1\"]\ndirection = \"higher_is_better\"\n";
    let p = project(&suite("\"rouge1_f1\", \"judge\"", judge));
    let out = p.run(&[]);
    assert!(
        out.conclusion.has_failed(),
        "the exit code says the gate failed"
    );
    let results = out.results.unwrap();
    let computed = results
        .all_checks()
        .find(|c| c.trial == "smoke::demo_v1::lead::judge::computed")
        .expect("a computed trial for the unchecked metric");
    assert_eq!(computed.status, CheckStatus::Failed);
    assert!(
        computed.message.contains("judge crashed"),
        "{}",
        computed.message
    );
    assert!(results.summary.failed >= 1);
    let comment = render(&results, &CommentOptions::default());
    assert!(comment.starts_with("❌"), "{comment}");
    for text in [&comment, &p.results_json()] {
        assert!(!text.contains("accept the no pending"), "{text}");
    }
}

#[test]
fn a_panicking_plugin_fails_its_trials_and_every_trial_is_recorded() {
    let p = project(&suite(
        "\"rouge1_f1\", \"fragile\"",
        "[checks.fragile]\nmin = 0.0\n",
    ));
    let out = p.run_with(p.harness().metric(Panics), &[]).unwrap();
    let c = &out.conclusion;
    assert!(c.has_failed());
    let results = out.results.unwrap();
    let recorded = results.all_checks().count() as u64;
    assert_eq!(recorded, c.num_passed + c.num_failed + c.num_ignored);
    let fragile = results
        .all_checks()
        .find(|c| c.metric == "fragile")
        .unwrap();
    assert!(
        fragile
            .message
            .contains("panicked: index out of bounds in the plugin"),
        "{}",
        fragile.message
    );
    // The other metric is still judged (its vs-baseline trial waits for a baseline).
    assert!(results.all_checks().any(|c| c.metric == "rouge1_f1"));
    let junit = p.junit_xml();
    assert_eq!(junit.matches("<testcase").count() as u64, recorded);
}

// ---------------------------------------------------------------------------------------------
// Configuration that does nothing, or is wrong where no selected trial looks.

#[test]
fn configuration_that_does_nothing_is_an_error_naming_its_line() {
    let base = suite("\"rouge1_f1\"", "");
    let cases: &[(&str, &str)] = &[
        (
            "[tiers.nightly]\ndatasets = []\n",
            "`tiers.nightly.datasets` is empty",
        ),
        (
            "[datasets.spare]\nsystems = [\"lead\"]\nmetrics = [\"bleu\"]\n",
            "dataset `spare` is in no tier",
        ),
        (
            "[systems.unused]\nkind = \"builtin\"\nbuiltin = \"textrank\"\n",
            "system `unused` runs on no dataset",
        ),
        (
            "[checks.bleu]\nmin = 1.0\n",
            "`[checks.bleu]` checks a metric no dataset computes",
        ),
        (
            "[metric_params.truncation]\nmax_unpunctuated_words = 12\n",
            "`[metric_params.truncation]` sets parameters of a metric no dataset computes",
        ),
        (
            "[[overrides]]\nsystem = \"lead\"\nmetric = \"bleu\"\nmin = 1.0\n",
            "this `[[overrides]]` entry matches nothing",
        ),
        (
            "[[overrides]]\ndataset = \"demo_v1\"\nmetric = \"wer\"\nmax = 1.0\n",
            "this `[[overrides]]` entry matches nothing",
        ),
        (
            &constant_metric("judge", "1"),
            "external metric `judge` is computed by no dataset",
        ),
    ];
    for (extra, expected) in cases {
        let text = format!("{base}\n{extra}");
        let line = base.lines().count() + 2;
        let p = project(&text);
        let err = p.run_err(&["smoke"]);
        assert!(err.contains(expected), "expected `{expected}` in: {err}");
        assert!(
            err.contains(&format!("evalgate.toml:{line}")),
            "the error names line {line}: {err}"
        );
    }
}

#[test]
fn every_system_table_is_checked_at_load_whatever_the_filter() {
    // A system only the (ignored) full tier runs has a typo: the smoke run says so at once.
    let text = "[tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n[tiers.full]\ndatasets = [\"demo_v1\"]\n\
                ignored = true\n\n[datasets.demo_v1]\nsystems = [\"lead\", \"nightly\"]\n\
                metrics = [\"rouge1_f1\"]\n\n[systems.lead]\nkind = \"builtin\"\nbuiltin = \
                \"lead_n\"\n\n[systems.nightly]\nkind = \"command\"\ncommand = [\"sh\"]\n\
                timeout = 30\n";
    let p = project(text);
    let err = p.run_err(&["smoke::demo_v1::lead"]);
    assert!(
        err.contains("evalgate.toml:19:")
            && err.contains("`systems.nightly.timeout` is not a known key"),
        "{err}"
    );
    // `--list` too: nothing is validated late.
    let err = p.run_err(&["--list"]);
    assert!(err.contains("systems.nightly.timeout"), "{err}");
    // Bad builtin parameters and unreadable replay files as well.
    for (system, expected) in [
        (
            "kind = \"builtin\"\nbuiltin = \"lead_n\"\nparams = { sentence = 2 }",
            "evalgate.toml:19: `systems.nightly.params.sentence` is not a parameter of built-in `lead_n`",
        ),
        (
            "kind = \"replay\"\npath = \"missing.jsonl\"",
            "evalgate.toml:18: `systems.nightly.path` names",
        ),
    ] {
        let p = project(&text.replace(
            "kind = \"command\"\ncommand = [\"sh\"]\ntimeout = 30",
            system,
        ));
        let err = p.run_err(&["--list"]);
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn names_that_would_share_a_baseline_file_are_refused() {
    let cases = [
        // demo_v1 × x__lead and demo_v1__x × lead would both be demo_v1__x__lead.snap.
        (
            suite("\"rouge1_f1\"", "").replace("lead", "x__lead"),
            "system name `x__lead` may only use letters, digits",
        ),
        // Lead and lead are one file on a case-insensitive file system.
        (
            suite("\"rouge1_f1\"", "")
                .replace("systems = [\"lead\"]", "systems = [\"lead\", \"Lead\"]")
                + "\n[systems.Lead]\nkind = \"builtin\"\nbuiltin = \"textrank\"\n",
            "differ only in case",
        ),
        // demo_v1 × _lead and demo_v1_ × lead would both be demo_v1___lead.snap.
        (
            suite("\"rouge1_f1\"", "").replace("lead", "_lead"),
            "not `_` at either end",
        ),
    ];
    for (text, expected) in cases {
        let p = project(&text);
        let err = p.run_err(&[]);
        assert!(err.contains(expected), "expected `{expected}` in: {err}");
        assert!(err.contains("evalgate.toml:"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Degenerate data.

#[test]
fn empty_inputs_and_references_are_refused_at_load() {
    for (items, expected) in [
        (
            r#"[{"id": "a", "input": "Text.", "references": ["  "]}]"#,
            "item 1 (`a`): reference 1 is empty",
        ),
        (
            r#"[{"id": "a", "input": "", "references": ["r"]}]"#,
            "item 1 (`a`): the input is empty",
        ),
        // Text a reader cannot see is no text: zero-width spaces, a soft hyphen, NUL, a BOM.
        (
            r#"[{"id": "a", "input": "Text.", "references": ["\u200b\u200b"]}]"#,
            "item 1 (`a`): reference 1 is empty",
        ),
        (
            r#"[{"id": "a", "input": "Text.", "references": ["ok", "\u00ad\u0000"]}]"#,
            "item 1 (`a`): reference 2 is empty",
        ),
        (
            r#"[{"id": "a", "input": "\u200b\ufeff", "references": ["r"]}]"#,
            "item 1 (`a`): the input is empty",
        ),
    ] {
        let p = project(&suite("\"wer\"", ""));
        // As written by hand, without hashes: `evalgate dataset hash` refuses it the same way.
        let ds = p.path("datasets/demo_v1");
        p.write(
            "datasets/demo_v1/dataset.json",
            format!(r#"{{"id": "demo_v1", "version": 1, "task": "t", "items": {items}}}"#),
        );
        let refused = evalgate::unstable::dataset::write_hashes(&ds)
            .unwrap_err()
            .to_string();
        assert!(refused.contains(expected), "{refused}");
        let out = p.run(&[]);
        assert!(out.conclusion.has_failed());
        let error = out.results.unwrap().evaluations[0].error.clone().unwrap();
        assert!(error.contains(expected), "{error}");
    }
}

#[test]
fn byte_order_marks_are_read_as_python_utf_8_sig_does() {
    let p = project(&format!(
        "\u{feff}{}",
        suite("\"rouge1_f1\"", "[checks.rouge1_f1]\nmin = 0.1\n")
    ));
    let ds = p.path("datasets/demo_v1");
    // A manifest and an input file that start with a byte-order mark.
    p.write(
        "datasets/demo_v1/a.txt",
        "\u{feff}Alpha talks about bees. They make honey.",
    );
    let manifest = p.read("datasets/demo_v1/dataset.json").replace(
        r#""input": "Alpha talks about bees. They make honey.""#,
        r#""input_path": "a.txt""#,
    );
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let mut manifest = manifest;
    for item in manifest["items"].as_array_mut().unwrap() {
        item.as_object_mut().unwrap().remove("hashes");
    }
    p.write(
        "datasets/demo_v1/dataset.json",
        format!(
            "\u{feff}{}",
            serde_json::to_string_pretty(&manifest).unwrap()
        ),
    );
    evalgate::unstable::dataset::write_hashes(&ds).unwrap();
    let dataset = evalgate::unstable::dataset::Dataset::load(&ds).unwrap();
    assert_eq!(
        dataset.items[0].input, "Alpha talks about bees. They make honey.",
        "the mark is not part of the text"
    );
    let out = p.run(&[]);
    assert!(!out.conclusion.has_failed());

    // A replay file with a byte-order mark.
    p.write(
        "recorded.jsonl",
        "\u{feff}{\"id\": \"a\", \"output\": \"x\"}\n{\"id\": \"b\", \"output\": \"y\"}\n\
         {\"id\": \"c\", \"output\": \"z\"}\n",
    );
    let table: toml::Table = toml::from_str("path = \"recorded.jsonl\"").unwrap();
    evalgate::unstable::systems::replay::ReplaySystem::from_config("r", &table, &p.root).unwrap();
}

#[test]
fn written_files_keep_normal_modes() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = project(&suite("\"rouge1_f1\"", ""));
        p.run(&[]);
        let probe = p.path("probe");
        std::fs::File::create(&probe).unwrap();
        let normal = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
        for file in [
            "out/results.json",
            "out/junit.xml",
            "baselines/demo_v1__lead.snap.new",
        ] {
            let mode = std::fs::metadata(p.path(file))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, normal, "{file} has mode {mode:o}, not {normal:o}");
        }
    }
}

#[test]
fn metric_parameters_are_checked_by_their_metric_at_load() {
    for (params, expected) in [
        (
            "min_ratio = \"x\"",
            "`metric_params.short_output.min_ratio` must be a number",
        ),
        (
            "min_raito = 0.1",
            "`metric_params.short_output.min_raito` is not a parameter",
        ),
    ] {
        let text = suite(
            "\"short_output\"",
            &format!("[metric_params.short_output]\n{params}\n"),
        );
        // The line of the parameter itself, below the table's header.
        let line = text
            .lines()
            .position(|l| l == "[metric_params.short_output]")
            .unwrap()
            + 2;
        let p = project(&text);
        let err = p.run_err(&["--list"]);
        assert!(
            err.contains(&format!("evalgate.toml:{line}: {expected}")),
            "{err}"
        );
    }
}

/// A Rust system that panics on item `b`.
struct PanicsOnB;

impl evalgate::System for PanicsOnB {
    fn fingerprint(&self) -> serde_json::Value {
        serde_json::json!({"name": "panics_on_b"})
    }

    fn fingerprint_covers_code(&self) -> bool {
        true
    }

    fn generate(
        &self,
        request: &evalgate::SystemRequest<'_>,
    ) -> evalgate::Result<evalgate::Generation> {
        assert!(request.item_id != "b", "the model crashed on this input");
        Ok(evalgate::Generation::text(request.input))
    }
}

#[test]
fn a_panicking_rust_system_names_the_item_and_the_message() {
    let text = suite("\"rouge1_f1\"", "").replace(
        "kind = \"builtin\"\nbuiltin = \"lead_n\"\nparams = { sentences = 1 }",
        "kind = \"rust\"",
    );
    let p = project(&text);
    let out = p
        .run_with(p.harness().system("lead", PanicsOnB), &[])
        .unwrap();
    assert!(out.conclusion.has_failed());
    let error = out.results.unwrap().evaluations[0].error.clone().unwrap();
    assert!(
        error.contains("item `b`: the system panicked: the model crashed on this input"),
        "{error}"
    );
}

#[test]
fn per_item_trials_of_a_metric_that_applies_to_no_item_fail() {
    // No reference holds a number, so numbers_retained applies to no item.
    let p = project(&suite(
        "\"numbers_retained\"",
        "[checks.numbers_retained]\nitem_min = { value = 0.5, per_item_trials = true }\n",
    ));
    let results = p.results(&[]);
    let trials: Vec<_> = results
        .all_checks()
        .filter(|c| c.trial.contains("::item_min::"))
        .collect();
    assert_eq!(trials.len(), 3);
    for trial in trials {
        assert_eq!(trial.status, CheckStatus::Failed, "{}", trial.trial);
        assert!(
            trial.message.contains("judged no item"),
            "{}",
            trial.message
        );
    }
}

#[test]
fn dataset_checks_of_a_metric_that_applies_to_no_item_fail_without_a_value() {
    // No reference holds a number, so numbers_retained applies to no item: its dataset value
    // would be a mean of nothing, which neither a minimum nor a maximum may pass.
    let p = project(&suite(
        "\"numbers_retained\"",
        "[checks.numbers_retained]\nmin = 0.5\nmax = 1.0\n",
    ));
    let results = p.results(&[]);
    let trials: Vec<_> = results
        .all_checks()
        .filter(|c| c.trial.contains("::numbers_retained::"))
        .collect();
    // min, max and the default vs_baseline.
    assert_eq!(trials.len(), 3, "{trials:?}");
    for trial in trials {
        assert_eq!(trial.status, CheckStatus::Failed, "{}", trial.trial);
        assert_eq!(trial.value, None, "{}", trial.trial);
        assert!(
            trial.message.contains("judged no item")
                && trial.message.contains("applies to none of the 3 items"),
            "{}",
            trial.message
        );
    }
}
