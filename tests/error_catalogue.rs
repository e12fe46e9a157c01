//! The error-message catalogue: one bad input per kind of configuration and dataset error, run
//! through `Harness::run` on a temp project, and the whole list of messages in one snapshot
//! (tests/snapshots/error_catalogue__messages.snap), so any change to a message shows up in
//! review. Every configuration error names `evalgate.toml:<line>`; the few that do not yet are
//! listed in `WITHOUT_LINE` (this test fails when one of them gains a line, so the list stays
//! true).

mod support;

use support::Project;

/// A valid suite; every case changes it a little.
const SUITE: &str = r#"[suite]
name = "catalogue"
cache_dir = "cache"

[tiers.smoke]
datasets = ["demo_v1"]

[datasets.demo_v1]
systems = ["lead"]
metrics = ["rouge1_f1", "truncation"]

[systems.lead]
kind = "builtin"
builtin = "lead_n"
params = { sentences = 1 }
"#;

const ITEMS: &str = r#"[
  {"id": "a", "input": "Alpha talks about bees. They make honey.", "references": ["bees make honey"]},
  {"id": "b", "input": "Beta talks about bikes. Lanes are wider.", "references": ["wider bike lanes"]}
]"#;

/// A change to [`SUITE`]: `(from, to)` replaces `from` (which must be there); `("", to)`
/// appends `to` after a blank line.
type Edit = (&'static str, &'static str);

/// The dataset also runs a system `x` (to be defined by the case).
const RUN_X: Edit = ("systems = [\"lead\"]", "systems = [\"lead\", \"x\"]");
/// The dataset also computes the metric `judge` (to be defined by the case).
const COMPUTE_JUDGE: Edit = (
    "metrics = [\"rouge1_f1\", \"truncation\"]",
    "metrics = [\"rouge1_f1\", \"truncation\", \"judge\"]",
);
/// The dataset also computes `perplexity` (its `[metric_params.perplexity]` set by the case).
const COMPUTE_PERPLEXITY: Edit = (
    "metrics = [\"rouge1_f1\", \"truncation\"]",
    "metrics = [\"rouge1_f1\", \"truncation\", \"perplexity\"]",
);
/// The dataset also computes `semantic_similarity` (its table set by the case).
const COMPUTE_SEMANTIC: Edit = (
    "metrics = [\"rouge1_f1\", \"truncation\"]",
    "metrics = [\"rouge1_f1\", \"truncation\", \"semantic_similarity\"]",
);
/// A valid external metric `judge`, to extend.
const JUDGE: &str = "[external_metrics.judge]\ncommand = [\"judge\"]\n";

/// One bad suite per kind of configuration error: (what is wrong, edits).
const CONFIG_CASES: &[(&str, &[Edit])] = &[
    // The file as TOML.
    (
        "TOML syntax error",
        &[("", "[checks.rouge1_f1\nmin = 0.1\n")],
    ),
    ("unknown section", &[("", "[sutie]\nname = \"x\"\n")]),
    (
        "unknown key in [suite]",
        &[(
            "name = \"catalogue\"",
            "name = \"catalogue\"\nstemer = false",
        )],
    ),
    (
        "store_predictions not a boolean",
        &[(
            "name = \"catalogue\"",
            "name = \"catalogue\"\nstore_predictions = \"no\"",
        )],
    ),
    // Systems: kind, then each kind's keys.
    (
        "system without a kind",
        &[RUN_X, ("", "[systems.x]\nbuiltin = \"lead_n\"\n")],
    ),
    (
        "unknown system kind",
        &[RUN_X, ("", "[systems.x]\nkind = \"python\"\n")],
    ),
    (
        "unknown key in a builtin system",
        &[(
            "params = { sentences = 1 }",
            "params = { sentences = 1 }\nsentences = 2",
        )],
    ),
    (
        "unknown key in a rust system",
        &[RUN_X, ("", "[systems.x]\nkind = \"rust\"\nversion = 2\n")],
    ),
    (
        "unknown key in a command system",
        &[
            RUN_X,
            (
                "",
                "[systems.x]\nkind = \"command\"\ncommand = [\"sh\"]\ntimeout = 30\n",
            ),
        ],
    ),
    (
        "unknown key in an openai system",
        &[
            RUN_X,
            (
                "",
                "[systems.x]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n\
                 model = \"m\"\napi_key = \"sk-1\"\n",
            ),
        ],
    ),
    (
        "unknown key in a replay system",
        &[
            RUN_X,
            (
                "",
                "[systems.x]\nkind = \"replay\"\npath = \"recorded.jsonl\"\nformat = \"jsonl\"\n",
            ),
        ],
    ),
    (
        "unknown built-in",
        &[("builtin = \"lead_n\"", "builtin = \"lead_m\"")],
    ),
    (
        "unknown built-in parameter",
        &[("params = { sentences = 1 }", "params = { sentence = 1 }")],
    ),
    (
        "samples on a builtin system",
        &[(
            "params = { sentences = 1 }",
            "params = { sentences = 1 }\nsamples = 3",
        )],
    ),
    (
        "samples out of range",
        &[
            RUN_X,
            (
                "",
                "[systems.x]\nkind = \"command\"\ncommand = [\"sh\"]\nsamples = 0\n",
            ),
        ],
    ),
    (
        "rust system not registered",
        &[RUN_X, ("", "[systems.x]\nkind = \"rust\"\n")],
    ),
    (
        "replay file missing",
        &[
            RUN_X,
            (
                "",
                "[systems.x]\nkind = \"replay\"\npath = \"missing.jsonl\"\n",
            ),
        ],
    ),
    (
        "command system without a command",
        &[
            RUN_X,
            ("", "[systems.x]\nkind = \"command\"\nbatch = true\n"),
        ],
    ),
    (
        "command system: wrong type",
        &[
            RUN_X,
            (
                "",
                "[systems.x]\nkind = \"command\"\ncommand = [\"sh\"]\nretries = \"3\"\n",
            ),
        ],
    ),
    (
        "openai system: a key where a variable name belongs",
        &[
            RUN_X,
            (
                "",
                "[systems.x]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n\
                 model = \"m\"\napi_key_env = \"sk-abc123\"\n",
            ),
        ],
    ),
    (
        "openai system: value out of range",
        &[
            RUN_X,
            (
                "",
                "[systems.x]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n\
                 model = \"m\"\ntemperature = 5\n",
            ),
        ],
    ),
    // Names.
    (
        "unknown metric in a dataset",
        &[(
            "metrics = [\"rouge1_f1\", \"truncation\"]",
            "metrics = [\"rouge1_f1\", \"truncation\", \"rouge9_f1\"]",
        )],
    ),
    (
        "unknown metric in suite.metrics",
        &[(
            "cache_dir = \"cache\"",
            "cache_dir = \"cache\"\nmetrics = [\"bleuu\"]",
        )],
    ),
    (
        "unknown system in a dataset",
        &[("systems = [\"lead\"]", "systems = [\"lead\", \"ghost\"]")],
    ),
    (
        "tier names a dataset without a table",
        &[(
            "datasets = [\"demo_v1\"]",
            "datasets = [\"demo_v1\", \"demo_v2\"]",
        )],
    ),
    (
        "tier name that cannot be a trial name",
        &[("[tiers.smoke]", "[tiers.\"smoke test\"]")],
    ),
    (
        "system name with `__`",
        &[
            ("systems = [\"lead\"]", "systems = [\"lead\", \"x__y\"]"),
            (
                "",
                "[systems.x__y]\nkind = \"builtin\"\nbuiltin = \"textrank\"\n",
            ),
        ],
    ),
    (
        "system names that differ only in case",
        &[
            ("systems = [\"lead\"]", "systems = [\"lead\", \"Lead\"]"),
            (
                "",
                "[systems.Lead]\nkind = \"builtin\"\nbuiltin = \"textrank\"\n",
            ),
        ],
    ),
    // Configuration that does nothing.
    (
        "no tiers",
        &[("[tiers.smoke]\ndatasets = [\"demo_v1\"]\n", "")],
    ),
    ("empty tier", &[("", "[tiers.nightly]\ndatasets = []\n")]),
    (
        "dataset without systems",
        &[("systems = [\"lead\"]", "systems = []")],
    ),
    (
        "dataset without metrics",
        &[("metrics = [\"rouge1_f1\", \"truncation\"]\n", "")],
    ),
    (
        "unused dataset",
        &[(
            "",
            "[datasets.spare]\nsystems = [\"lead\"]\nmetrics = [\"bleu\"]\n",
        )],
    ),
    (
        "unused system",
        &[(
            "",
            "[systems.unused]\nkind = \"builtin\"\nbuiltin = \"textrank\"\n",
        )],
    ),
    // Checks.
    (
        "check of an unknown metric",
        &[("", "[checks.rouge9_f1]\nmin = 0.1\n")],
    ),
    (
        "check of a metric no dataset computes",
        &[("", "[checks.bleu]\nmin = 1.0\n")],
    ),
    (
        "unknown kind of check",
        &[("", "[checks.rouge1_f1]\nminimum = 0.1\n")],
    ),
    (
        "check `= true`",
        &[("", "[checks.rouge1_f1]\nmin = true\n")],
    ),
    (
        "check that is not a number",
        &[("", "[checks.rouge1_f1]\nmin = \"high\"\n")],
    ),
    (
        "check that is not finite",
        &[("", "[checks.rouge1_f1]\nmin = nan\n")],
    ),
    (
        "unknown key in a check table",
        &[(
            "",
            "[checks.rouge1_f1]\nmin = { value = 0.1, sevrity = \"warn\" }\n",
        )],
    ),
    (
        "unknown severity",
        &[(
            "",
            "[checks.rouge1_f1]\nmin = { value = 0.1, severity = \"fatal\" }\n",
        )],
    ),
    (
        "vs_baseline without a bound",
        &[("", "[checks.rouge1_f1]\nvs_baseline = {}\n")],
    ),
    (
        "vs_baseline with a negative drop",
        &[(
            "",
            "[checks.rouge1_f1]\nvs_baseline = { max_drop = -0.1 }\n",
        )],
    ),
    (
        "vs_baseline with an unknown test",
        &[(
            "",
            "[checks.rouge1_f1]\nvs_baseline = { max_drop = 0.02, test = \"t_test\" }\n",
        )],
    ),
    (
        "vs_baseline confidence without a test",
        &[(
            "",
            "[checks.rouge1_f1]\nvs_baseline = { max_drop = 0.02, confidence = 0.9 }\n",
        )],
    ),
    (
        "vs_baseline confidence out of range",
        &[(
            "",
            "[checks.rouge1_f1]\nvs_baseline = { max_drop = 0.02, test = \"paired_bootstrap\", confidence = 95 }\n",
        )],
    ),
    (
        "vs_baseline with too few resamples",
        &[(
            "",
            "[checks.rouge1_f1]\nvs_baseline = { max_drop = 0.02, test = \"permutation\", resamples = 10 }\n",
        )],
    ),
    (
        "permutation test on a corpus-level metric",
        &[
            (
                "metrics = [\"rouge1_f1\", \"truncation\"]",
                "metrics = [\"rouge1_f1\", \"truncation\", \"bleu\"]",
            ),
            (
                "",
                "[checks.bleu]\nvs_baseline = { max_drop = 0.5, test = \"permutation\" }\n",
            ),
        ],
    ),
    (
        "statistical test on a percentile",
        &[
            (
                "metrics = [\"rouge1_f1\", \"truncation\"]",
                "metrics = [\"rouge1_f1\", \"truncation\", \"latency_p95_ms\"]",
            ),
            (
                "",
                "[checks.latency_p95_ms]\nvs_baseline = { max_drop = 5, test = \"paired_bootstrap\" }\n",
            ),
        ],
    ),
    (
        "item_min with a negative count",
        &[(
            "",
            "[checks.rouge1_f1]\nitem_min = { value = 0.5, max_failing_items = -1 }\n",
        )],
    ),
    (
        "item_min with a percentage over 100",
        &[(
            "",
            "[checks.rouge1_f1]\nitem_min = { value = 0.5, max_failing_pct = 150 }\n",
        )],
    ),
    (
        "override that matches nothing",
        &[(
            "",
            "[[overrides]]\nsystem = \"lead\"\nmetric = \"bleu\"\nmin = 1.0\n",
        )],
    ),
    (
        "override of an unknown dataset",
        &[(
            "",
            "[[overrides]]\ndataset = \"demo_v9\"\nmetric = \"rouge1_f1\"\nmin = 1.0\n",
        )],
    ),
    (
        "override of an unknown system",
        &[(
            "",
            "[[overrides]]\nsystem = \"ghost\"\nmetric = \"rouge1_f1\"\nmin = 1.0\n",
        )],
    ),
    // Metric parameters.
    (
        "metric_params of an unknown metric",
        &[("", "[metric_params.rouge9_f1]\nalpha = 0.5\n")],
    ),
    (
        "metric_params of a metric no dataset computes",
        &[("", "[metric_params.repetition]\nn = 3\n")],
    ),
    (
        "metric_params for a metric without parameters",
        &[("", "[metric_params.rouge1_f1]\nalpha = 0.5\n")],
    ),
    (
        "unknown metric parameter",
        &[(
            "",
            "[metric_params.truncation]\nmax_unpunctuated_word = 12\n",
        )],
    ),
    (
        "metric parameter of the wrong type",
        &[(
            "",
            "[metric_params.truncation]\nmax_unpunctuated_words = \"x\"\n",
        )],
    ),
    (
        "perplexity without a model",
        &[
            COMPUTE_PERPLEXITY,
            (
                "",
                "[metric_params.perplexity]\nbase_url = \"http://127.0.0.1:8000/v1\"\n",
            ),
        ],
    ),
    (
        "perplexity: a key where a variable name belongs",
        &[
            COMPUTE_PERPLEXITY,
            (
                "",
                "[metric_params.perplexity]\nbase_url = \"http://127.0.0.1:8000/v1\"\nmodel = \"m\"\napi_key_env = \"sk-proj-abcdefghijklmnopqrstuvwxyz0123\"\n",
            ),
        ],
    ),
    (
        "embedding metrics: model and endpoint together",
        &[
            COMPUTE_SEMANTIC,
            (
                "",
                "[metric_params.semantic_similarity]\nmodel = \"models/minilm\"\nendpoint = { base_url = \"http://127.0.0.1:8000/v1\", model = \"m\" }\n",
            ),
        ],
    ),
    (
        "embedding endpoint without a base_url",
        &[
            COMPUTE_SEMANTIC,
            (
                "",
                "[metric_params.semantic_similarity]\nendpoint = { model = \"m\" }\n",
            ),
        ],
    ),
    // External metrics.
    (
        "unknown key in an external metric",
        &[
            COMPUTE_JUDGE,
            ("", JUDGE),
            (
                "command = [\"judge\"]",
                "command = [\"judge\"]\ndirection = \"higher_is_better\"\ncomand = [\"x\"]",
            ),
        ],
    ),
    (
        "external metric without a direction",
        &[COMPUTE_JUDGE, ("", JUDGE)],
    ),
    (
        "external metric with an unknown direction",
        &[
            COMPUTE_JUDGE,
            ("", JUDGE),
            (
                "command = [\"judge\"]",
                "command = [\"judge\"]\ndirection = \"up\"",
            ),
        ],
    ),
    (
        "external metric command that is not a list",
        &[
            COMPUTE_JUDGE,
            ("", JUDGE),
            (
                "command = [\"judge\"]",
                "command = \"judge\"\ndirection = \"higher_is_better\"",
            ),
        ],
    ),
    (
        "external metric named like a built-in",
        &[(
            "",
            "[external_metrics.rouge1_f1]\ncommand = [\"judge\"]\ndirection = \"higher_is_better\"\n",
        )],
    ),
    (
        "external metric no dataset computes",
        &[(
            "",
            "[external_metrics.judge]\ncommand = [\"judge\"]\ndirection = \"higher_is_better\"\n",
        )],
    ),
];

/// Configuration errors that name the suite file but not `evalgate.toml:<line>:`: none. A case
/// that loses its line fails the test.
const WITHOUT_LINE: &[&str] = &[];

/// The suite with `edits` applied.
fn edited(edits: &[Edit]) -> String {
    let mut text = SUITE.to_string();
    for (from, to) in edits {
        if from.is_empty() {
            text = format!("{text}\n{to}");
        } else {
            assert!(text.contains(from), "`{from}` is not in the suite:\n{text}");
            text = text.replacen(from, to, 1);
        }
    }
    text
}

/// Makes the project's dataset bad in one way.
type Spoil = fn(&Project);

/// One bad dataset per kind of dataset error: (what is wrong, how to make it).
const DATASET_CASES: &[(&str, Spoil)] = &[
    ("duplicate item id", |p| {
        p.manifest(
            "demo_v1",
            r#"[{"id": "a", "input": "One.", "references": ["one"]},
                {"id": "a", "input": "Two.", "references": ["two"]}]"#,
        );
    }),
    ("empty item id", |p| {
        p.manifest(
            "demo_v1",
            r#"[{"id": " ", "input": "One.", "references": ["one"]}]"#,
        );
    }),
    ("item id that is not one printable line", |p| {
        p.manifest(
            "demo_v1",
            r#"[{"id": "a\n::error::x", "input": "One.", "references": ["one"]}]"#,
        );
    }),
    ("empty input", |p| {
        p.manifest(
            "demo_v1",
            r#"[{"id": "a", "input": " ", "references": ["one"]}]"#,
        );
    }),
    ("empty reference", |p| {
        p.manifest(
            "demo_v1",
            r#"[{"id": "a", "input": "One.", "references": ["one", ""]}]"#,
        );
    }),
    // The suite computes `rouge1_f1`: refused when the suite loads, at its `metrics` line.
    ("no references, with a reference-based metric", |p| {
        p.dataset("demo_v1", r#"[{"id": "a", "input": "One."}]"#);
    }),
    ("references on some items only", |p| {
        p.manifest(
            "demo_v1",
            r#"[{"id": "a", "input": "One.", "references": ["one"]}, {"id": "b", "input": "Two."}]"#,
        );
    }),
    ("no input", |p| {
        p.manifest("demo_v1", r#"[{"id": "a", "references": ["one"]}]"#);
    }),
    ("both input and input_path", |p| {
        p.write("datasets/demo_v1/a.txt", "One.");
        p.manifest(
            "demo_v1",
            r#"[{"id": "a", "input": "One.", "input_path": "a.txt", "references": ["one"]}]"#,
        );
    }),
    ("metadata that is not an object", |p| {
        p.manifest(
            "demo_v1",
            r#"[{"id": "a", "input": "One.", "references": ["one"], "metadata": [1]}]"#,
        );
    }),
    ("unknown field in an item", |p| {
        p.manifest(
            "demo_v1",
            r#"[{"id": "a", "input": "One.", "reference": ["one"]}]"#,
        );
    }),
    ("no items", |p| {
        p.manifest("demo_v1", "[]");
    }),
    ("manifest id other than the folder name", |p| {
        p.write(
            "datasets/demo_v1/dataset.json",
            r#"{"id": "demo_v2", "version": 1, "task": "t", "items": []}"#,
        );
    }),
    ("malformed JSON", |p| {
        p.write(
            "datasets/demo_v1/dataset.json",
            "{\"id\": \"demo_v1\",\n \"version\": 1,\n \"items\": [,]}",
        );
    }),
    ("no dataset.json", |p| {
        std::fs::remove_file(p.path("datasets/demo_v1/dataset.json")).unwrap();
    }),
    ("a dataset path that names no dataset", |p| {
        p.write(
            "evalgate.toml",
            SUITE.replace(
                "[datasets.demo_v1]\n",
                "[datasets.demo_v1]\npath = \"data/demo_v1\"\n",
            ),
        );
    }),
    ("no hashes recorded", |p| {
        p.manifest("demo_v1", ITEMS);
    }),
    ("input changed after hashing", |p| {
        let manifest = p.read("datasets/demo_v1/dataset.json");
        p.write(
            "datasets/demo_v1/dataset.json",
            manifest.replace("They make honey.", "They make wax."),
        );
    }),
    ("reference changed after hashing", |p| {
        let manifest = p.read("datasets/demo_v1/dataset.json");
        p.write(
            "datasets/demo_v1/dataset.json",
            manifest.replace("wider bike lanes", "narrow bike lanes"),
        );
    }),
    ("input_path outside the dataset folder", |p| {
        p.write("datasets/secret.txt", "Secret.");
        p.manifest(
            "demo_v1",
            r#"[{"id": "a", "input_path": "../secret.txt", "references": ["one"]}]"#,
        );
    }),
    ("input_path that does not exist", |p| {
        p.manifest(
            "demo_v1",
            r#"[{"id": "a", "input_path": "missing.txt", "references": ["one"]}]"#,
        );
    }),
    ("input file that is not UTF-8", |p| {
        p.write("datasets/demo_v1/a.txt", b"caf\xe9");
        p.manifest(
            "demo_v1",
            r#"[{"id": "a", "input_path": "a.txt", "references": ["one"]}]"#,
        );
    }),
    (
        "byte-order marks on the manifest and an input file (fine)",
        |p| {
            p.write("datasets/demo_v1/a.txt", "\u{feff}Alpha talks about bees.");
            let items = r#"[{"id": "a", "input_path": "a.txt", "references": ["bees"]}]"#;
            let dir = p.manifest("demo_v1", items);
            let manifest = p.read("datasets/demo_v1/dataset.json");
            p.write(
                "datasets/demo_v1/dataset.json",
                format!("\u{feff}{manifest}"),
            );
            evalgate::unstable::dataset::write_hashes(&dir).unwrap();
            assert!(p.read("datasets/demo_v1/a.txt").starts_with('\u{feff}'));
        },
    ),
];

/// The message as the catalogue shows it: the temp folder as `<project>` (the only part that
/// changes from run to run), continuation lines indented, no trailing line break.
fn shown(message: &str, p: &Project) -> String {
    message
        .trim_end()
        .replace(&p.root.display().to_string(), "<project>")
        .replace('\n', "\n    ")
}

/// Whether `message` names `evalgate.toml:<line>:`.
fn names_a_line(message: &str) -> bool {
    message.match_indices("evalgate.toml:").any(|(at, found)| {
        let rest = &message[at + found.len()..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && rest[digits..].starts_with(':')
    })
}

#[test]
fn every_error_message() {
    let mut catalogue = String::new();
    let mut missing_line = Vec::new();
    for (what, edits) in CONFIG_CASES {
        let p = Project::new(&edited(edits));
        p.dataset("demo_v1", ITEMS);
        let message = p.run_err(&["--list"]);
        if !names_a_line(&message) {
            missing_line.push(*what);
        }
        catalogue.push_str(&format!("config: {what}\n    {}\n\n", shown(&message, &p)));
    }
    for (what, make) in DATASET_CASES {
        let p = Project::new(SUITE);
        p.dataset("demo_v1", ITEMS);
        make(&p);
        // Most dataset errors fail the trials that need the dataset; a few stop the run when
        // the suite loads.
        let errors: Vec<String> = match p.run_with(p.harness(), &[]) {
            Ok(out) => out
                .results
                .unwrap()
                .evaluations
                .iter()
                .filter_map(|e| e.error.as_deref().map(|m| shown(m, &p)))
                .collect(),
            Err(setup) => vec![format!(
                "(when the suite loads) {}",
                shown(&setup.to_string(), &p)
            )],
        };
        let message = match errors.as_slice() {
            [] => "(no error)".to_string(),
            [one] => one.clone(),
            more => panic!("{what}: one error expected, got {more:?}"),
        };
        catalogue.push_str(&format!("dataset: {what}\n    {message}\n\n"));
    }
    insta::assert_snapshot!("messages", catalogue);
    troubleshooting_guide_shows(&catalogue);
    assert_eq!(
        missing_line, WITHOUT_LINE,
        "configuration errors that do not name `evalgate.toml:<line>:`"
    );
}

/// docs/guides/troubleshooting.md shows every catalogued case under its title (without the
/// `config: ` / `dataset: ` prefix), with the message exactly as the catalogue has it, and no
/// case the catalogue does not have: the guide cannot drift from what evalgate prints.
fn troubleshooting_guide_shows(catalogue: &str) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/guides/troubleshooting.md");
    let guide = std::fs::read_to_string(&path).unwrap();
    let mut shown = std::collections::BTreeMap::new();
    let mut lines = guide.lines();
    while let Some(line) = lines.next() {
        if let Some(title) = line.strip_prefix("### ") {
            let mut block = Vec::new();
            let mut inside = false;
            for line in lines.by_ref() {
                if line == "```text" {
                    inside = true;
                } else if inside && line == "```" {
                    break;
                } else if inside {
                    block.push(line);
                }
            }
            shown.insert(title.to_string(), block.join("\n"));
        }
    }
    let mut problems = Vec::new();
    let mut expected_titles = std::collections::BTreeSet::new();
    for case in catalogue.trim().split("\n\n") {
        let mut case_lines = case.lines();
        let title = case_lines.next().unwrap();
        let title = title.split_once(": ").map_or(title, |(_, t)| t).to_string();
        let message = case_lines
            .map(|l| l.strip_prefix("    ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        match shown.get(&title) {
            Some(text) if *text == message => {}
            Some(_) => problems.push(format!(
                "`### {title}` shows another message; now:\n```text\n{message}\n```"
            )),
            None => problems.push(format!(
                "`### {title}` is missing; add it with the fix:\n```text\n{message}\n```"
            )),
        }
        expected_titles.insert(title);
    }
    for title in shown.keys().filter(|t| !expected_titles.contains(*t)) {
        problems.push(format!(
            "`### {title}` is not in the catalogue any more; remove it"
        ));
    }
    assert!(
        problems.is_empty(),
        "{} does not match the error catalogue:\n\n{}",
        path.display(),
        problems.join("\n\n")
    );
}
