//! The central loop, end to end: change the system under test → run → read how quality moved
//! against the baseline and what changed → accept the new baseline with the change. Each test
//! is a temp project (a git repository) with a Python command system that imports a helper
//! module, run through the harness as `cargo test --test benchmarks` would.
//!
//! Inner harness runs write their libtest output to a log file (`--logfile`), so the expected
//! failures of the scenarios do not show up as failures in this test binary's output.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use evalgate::Harness;
use evalgate::results::{BaselineStatus, CacheUse, CheckResult, CheckStatus, RunResults};
use evalgate::unstable::report::pr_comment::{CommentOptions, render};
use support::Project;

const SUMMARIZE_PY: &str = r#"import json, os, sys
from helpers import summarize

request = json.load(sys.stdin)
count = os.environ.get("COUNT_FILE")
if count:
    with open(count, "a") as f:
        f.write(request["id"] + "\n")
print(summarize(request["input"], request["params"].get("sentences", 1)))
"#;

/// The first `n` sentences.
const HELPERS_FIRST_N: &str = r#"def summarize(text, n):
    parts = [p.strip() for p in text.split(".") if p.strip()]
    return ". ".join(parts[:n]) + "."
"#;

/// Worse: the first word only.
const HELPERS_FIRST_WORD: &str = r#"def summarize(text, n):
    return text.split()[0]
"#;

/// Better: the first two sentences, which is what the references say.
const HELPERS_FIRST_TWO: &str = r#"def summarize(text, n):
    parts = [p.strip() for p in text.split(".") if p.strip()]
    return ". ".join(parts[:2]) + "."
"#;

const ITEMS: &str = r#"[
  {"id": "a", "input": "The cat sat on the mat. It slept all day. Then it left.", "references": ["The cat sat on the mat. It slept all day."]},
  {"id": "b", "input": "Dogs bark at night. Neighbours complain. Nobody sleeps.", "references": ["Dogs bark at night. Neighbours complain."]},
  {"id": "c", "input": "Rain falls in spring. Rivers rise fast. Farmers wait.", "references": ["Rain falls in spring. Rivers rise fast."]}
]"#;

/// A git repository with the suite, one dataset and the Python summariser, committed. The
/// summariser notes each start in [`starts`]' file, outside the project.
fn project(suite_extra: &str) -> Project {
    let p = Project::empty();
    p.write(
        "evalgate.toml",
        format!(
            "[suite]\ncache_dir = \"target/cache\"\n\n\
             [tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
             [datasets.demo_v1]\nsystems = [\"summ\"]\nmetrics = [\"rouge1_f1\", \"rougeL_f1\"]\n\n\
             [systems.summ]\nkind = \"command\"\ncommand = [\"python3\", \"summarize.py\"]\n\
             params = {{ sentences = 1 }}\nenv = {{ COUNT_FILE = \"{}\" }}\n\n{suite_extra}",
            count_file(&p).display()
        ),
    );
    p.write("summarize.py", SUMMARIZE_PY);
    p.write("helpers.py", HELPERS_FIRST_N);
    p.write(".gitignore", "target/\nout/\n__pycache__/\n*.snap.new\n");
    p.dataset("demo_v1", ITEMS);
    p.git_init();
    p.commit();
    p
}

fn count_file(p: &Project) -> PathBuf {
    p.scratch("starts.txt")
}

/// How many times the system under test started (or generated, for the Rust system).
fn starts(p: &Project) -> usize {
    support::line_count(&count_file(p))
}

/// Runs, accepts the first baselines, commits them, and checks the next run is clean.
fn with_accepted_baseline(p: Project) -> Project {
    let first = p.results(&[]);
    assert_eq!(first.summary.failed, 0, "{first:#?}");
    assert!(p.accept() > 0);
    p.commit();
    let clean = p.results(&[]);
    assert_eq!(clean.summary.failed, 0);
    assert!(
        p.pending().is_empty(),
        "no pending snapshot after accepting"
    );
    assert!(clean.evaluations[0].baseline.system_changes.is_empty());
    p
}

fn check<'a>(results: &'a RunResults, trial: &str) -> &'a CheckResult {
    results
        .all_checks()
        .find(|c| c.trial == trial)
        .unwrap_or_else(|| panic!("no trial {trial}"))
}

#[test]
fn a_worse_script_fails_with_the_delta_and_the_changed_file_a_better_one_is_promoted() {
    let p = with_accepted_baseline(project(""));
    let baseline = p.results(&[]).evaluations[0].metrics["rouge1_f1"].value;

    // (a) Make the summariser worse by editing the module it imports (not yet committed).
    p.write("helpers.py", HELPERS_FIRST_WORD);
    let results = p.results(&[]);
    let pair = &results.evaluations[0];
    assert_eq!(pair.baseline.status, BaselineStatus::Present);
    assert_eq!(pair.baseline.system_changes, ["file helpers.py changed"]);
    let vs = check(&results, "smoke::demo_v1::summ::rouge1_f1::vs_baseline");
    assert_eq!(vs.status, CheckStatus::Failed);
    assert_eq!(vs.baseline, Some(baseline));
    let current = pair.metrics["rouge1_f1"].value;
    assert!(current < baseline);
    assert!((vs.delta.unwrap() - (current - baseline)).abs() < 1e-12);
    for part in [
        "rouge1_f1 worsened from",
        "(baseline) to",
        "system summ changed since the baseline: file helpers.py changed",
        "worst items: ",
        " → ",
    ] {
        assert!(
            vs.message.contains(part),
            "`{part}` missing in: {}",
            vs.message
        );
    }
    assert!(
        !p.pending().is_empty(),
        "a pending snapshot records the change"
    );
    assert!(p.junit_xml().contains("file helpers.py changed"));
    // The comment compares: baseline, current and Δ, and says the system changed.
    let comment = render(&results, &CommentOptions::default());
    assert!(comment.contains("changed since the baseline"), "{comment}");
    assert!(comment.contains("file helpers.py changed"), "{comment}");
    let row = comment
        .lines()
        .find(|l| l.starts_with("| rouge1\\_f1"))
        .unwrap();
    assert!(!row.contains('—'), "baseline and Δ are shown: {row}");
    assert!(row.contains("regression"), "{row}");

    // (b) Improve it instead: passes, leaves a pending snapshot to promote with the change.
    p.write("helpers.py", HELPERS_FIRST_TWO);
    let results = p.results(&[]);
    assert_eq!(results.summary.failed, 0, "an improvement passes");
    let vs = check(&results, "smoke::demo_v1::summ::rouge1_f1::vs_baseline");
    assert_eq!(vs.status, CheckStatus::Passed);
    assert!(vs.delta.unwrap() > 0.0);
    assert_eq!(p.pending().len(), 1);
    assert_eq!(p.accept(), 1);
    p.commit();
    let next = p.results(&[]);
    assert_eq!(next.summary.failed, 0);
    assert!(p.pending().is_empty(), "clean after promotion");
    assert!(next.evaluations[0].baseline.system_changes.is_empty());
    assert!(next.evaluations[0].metrics["rouge1_f1"].value > baseline);
}

#[test]
fn a_metric_added_to_the_suite_waits_for_its_baseline_value_instead_of_failing() {
    let p = with_accepted_baseline(project(""));
    // rougeLsum_f1 has settings (the stemmer, the sentence splitter) that the baseline never
    // recorded: it is new, not measured differently.
    p.edit(
        "evalgate.toml",
        "\"rougeL_f1\"]",
        "\"rougeL_f1\", \"rougeLsum_f1\"]",
    );
    let results = p.results(&[]);
    assert_eq!(results.summary.failed, 0, "{results:#?}");
    let added = check(&results, "smoke::demo_v1::summ::rougeLsum_f1::vs_baseline");
    assert_eq!(added.status, CheckStatus::Ignored, "{}", added.message);
    assert!(
        added
            .message
            .contains("no baseline value for `rougeLsum_f1` in baselines/demo_v1__summ.snap (a metric added since)"),
        "{}",
        added.message
    );
    assert!(
        added.message.contains("cargo insta review"),
        "{}",
        added.message
    );
    let kept = check(&results, "smoke::demo_v1::summ::rougeL_f1::vs_baseline");
    assert_eq!(kept.status, CheckStatus::Passed, "{}", kept.message);

    // Accepted with the change, the new metric is compared like the others.
    assert_eq!(p.accept(), 1);
    let next = p.results(&[]);
    let added = check(&next, "smoke::demo_v1::summ::rougeLsum_f1::vs_baseline");
    assert_eq!(added.status, CheckStatus::Passed, "{}", added.message);
    assert_eq!(added.delta, Some(0.0));
}

#[test]
fn a_changed_parameter_is_named_and_compared() {
    let p = with_accepted_baseline(project(""));
    p.edit("evalgate.toml", "sentences = 1 }", "sentences = 2 }");
    let results = p.results(&[]);
    assert_eq!(
        results.evaluations[0].baseline.system_changes,
        ["params.sentences 1 → 2"]
    );
    let vs = check(&results, "smoke::demo_v1::summ::rougeL_f1::vs_baseline");
    assert_eq!(vs.status, CheckStatus::Passed, "{}", vs.message);
    assert!(vs.delta.unwrap() > 0.0);
}

#[test]
fn editing_an_imported_module_misses_the_cache_and_dataset_docs_do_not() {
    let p = project("");
    let first = p.results(&[]);
    let g = first.evaluations[0].generation.clone().unwrap();
    assert_eq!(
        (g.cache, g.cache_hits, g.cache_misses),
        (CacheUse::Used, 0, 3)
    );
    assert_eq!(starts(&p), 3);

    // Docs beside a dataset and an untracked note outside the program's reach... the dataset
    // folder is never an input.
    p.write("datasets/demo_v1/README.md", "How the items were chosen.");
    let second = p.results(&[]);
    let g = second.evaluations[0].generation.clone().unwrap();
    assert_eq!((g.cache_hits, g.cache_misses), (3, 0));
    assert_eq!(starts(&p), 3, "served from the cache");

    // An edit of the imported module, uncommitted: every item is generated again.
    p.write("helpers.py", HELPERS_FIRST_TWO);
    let third = p.results(&[]);
    let g = third.evaluations[0].generation.clone().unwrap();
    assert_eq!((g.cache_hits, g.cache_misses), (0, 3));
    assert_eq!(starts(&p), 6);
    assert!(
        third.evaluations[0].metrics["rouge1_f1"].value
            > first.evaluations[0].metrics["rouge1_f1"].value,
        "new outputs, not stale ones"
    );

    // A new untracked module the program might import counts too.
    p.write("extra.py", "X = 1\n");
    let fourth = p.results(&[]);
    assert_eq!(
        fourth.evaluations[0]
            .generation
            .as_ref()
            .unwrap()
            .cache_misses,
        3
    );
}

#[test]
fn inputs_narrow_the_files_that_count() {
    let p = project("");
    let text = p.read("evalgate.toml");
    p.write(
        "evalgate.toml",
        text.replace(
            "params = { sentences = 1 }",
            "params = { sentences = 1 }\ninputs = [\"*.py\"]",
        ),
    );
    p.results(&[]);
    p.write("NOTES.md", "unrelated");
    let again = p.results(&[]);
    assert_eq!(
        again.evaluations[0].generation.as_ref().unwrap().cache_hits,
        3
    );
    let files = again.evaluations[0].system_config["files"]
        .as_object()
        .unwrap();
    let names: Vec<&String> = files.keys().collect();
    assert_eq!(names, ["helpers.py", "summarize.py"]);

    p.write(
        "evalgate.toml",
        text.replace(
            "params = { sentences = 1 }",
            "params = { sentences = 1 }\ninputs = [\"prompts/*.txt\"]",
        ),
    );
    // A pattern that matches nothing is an error when the suite loads, with its line.
    let error = Harness::new()
        .config(p.root.join("evalgate.toml"))
        .output_dir(p.root.join("out"))
        .run(&support::quiet_args(&p.root.join("out"), &["--list"]))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "evalgate.toml:15: `systems.summ.inputs` pattern `prompts/*.txt` matches no file"
        ),
        "{error}"
    );
}

#[test]
fn an_item_check_names_every_failing_item() {
    let p = project(
        "[checks.rougeL_f1]\nitem_min = { value = 0.5, max_failing_items = 1 }\n\n\
         [[overrides]]\nmetric = \"rouge1_f1\"\nitem_min = { value = 0.5, per_item_trials = true }\n",
    );
    // Two items get a bad summary.
    p.write(
        "helpers.py",
        "def summarize(text, n):\n    if text.startswith(('Dogs', 'Rain')):\n        return 'Nothing here.'\n    return text.split('.')[0] + '.'\n",
    );
    let results = p.results(&[]);
    let item_min = check(&results, "smoke::demo_v1::summ::rougeL_f1::item_min");
    assert_eq!(item_min.status, CheckStatus::Failed);
    let ids: Vec<&str> = item_min
        .failing_items
        .iter()
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"b") && ids.contains(&"c"), "{ids:?}");
    assert!(
        item_min
            .message
            .contains("2 of 3 items have rougeL_f1 below the minimum 0.5"),
        "{}",
        item_min.message
    );
    assert!(item_min.message.contains("b = 0") && item_min.message.contains("c = 0"));

    // One trial per item, named `…::item_min::<item id>`.
    let per_item: Vec<&CheckResult> = results
        .all_checks()
        .filter(|c| {
            c.trial
                .starts_with("smoke::demo_v1::summ::rouge1_f1::item_min::")
        })
        .collect();
    assert_eq!(per_item.len(), 3);
    let status = |item: &str| {
        check(
            &results,
            &format!("smoke::demo_v1::summ::rouge1_f1::item_min::{item}"),
        )
        .status
    };
    assert_eq!(status("a"), CheckStatus::Passed);
    assert_eq!(status("b"), CheckStatus::Failed);
    assert_eq!(status("c"), CheckStatus::Failed);
    let xml = p.junit_xml();
    assert!(xml.contains("smoke::demo_v1::summ::rouge1_f1::item_min::b"));
}

#[test]
fn a_smoke_run_reports_the_full_tiers_stale_baselines() {
    let p = project(
        "[tiers.full]\ndatasets = [\"demo_full_v1\"]\nignored = true\n\n[datasets.demo_full_v1]\nsystems = [\"lead\"]\nmetrics = [\"rouge1_f1\"]\n\n[systems.lead]\nkind = \"builtin\"\nbuiltin = \"lead_n\"\nparams = { sentences = 3 }\n",
    );
    // lead runs in smoke too.
    p.edit(
        "evalgate.toml",
        "systems = [\"summ\"]",
        "systems = [\"summ\", \"lead\"]",
    );
    p.dataset("demo_full_v1", ITEMS);
    let first = p.results(&["--include-ignored"]);
    let errors: Vec<_> = first
        .evaluations
        .iter()
        .filter_map(|r| r.error.as_ref())
        .collect();
    assert_eq!(p.accept(), 3, "{errors:?}");
    p.commit();
    let stale = "smoke::demo_full_v1::lead::system::stale_baseline";
    assert_eq!(
        check(&p.results(&["smoke"]), stale).status,
        CheckStatus::Passed
    );

    p.edit("evalgate.toml", "sentences = 3 }", "sentences = 2 }");
    let results = p.results(&["smoke"]);
    let c = check(&results, stale);
    assert_eq!(c.status, CheckStatus::Warned);
    support::assert_contains(
        &c.message,
        &[
            "baselines/demo_full_v1__lead.snap of tier `full`",
            "older configuration of system lead (params.sentences 3 → 2)",
            "cargo test --test benchmarks -- --include-ignored full::demo_full_v1::lead",
        ],
    );
    assert_eq!(results.summary.warned, 1);
    let comment = render(&results, &CommentOptions::default());
    assert!(comment.contains(stale), "{comment}");
}

#[test]
fn latency_alone_leaves_no_pending_snapshot_and_replay_is_not_cached() {
    let p = project("[systems.recorded]\nkind = \"replay\"\npath = \"recorded.jsonl\"\n");
    p.write(
        "recorded.jsonl",
        "{\"id\": \"a\", \"output\": \"The cat sat.\"}\n{\"id\": \"b\", \"output\": \"Dogs bark.\"}\n{\"id\": \"c\", \"output\": \"Rain falls.\"}\n",
    );
    p.edit(
        "evalgate.toml",
        "systems = [\"summ\"]",
        "systems = [\"summ\", \"recorded\"]",
    );
    p.edit(
        "evalgate.toml",
        "metrics = [\"rouge1_f1\", \"rougeL_f1\"]",
        "metrics = [\"rouge1_f1\", \"rougeL_f1\", \"latency_mean_ms\"]",
    );
    p.commit();
    let p = with_accepted_baseline(p);
    // A new cache folder: the same outputs are generated again, with other latencies.
    p.edit("evalgate.toml", "target/cache", "target/cache2");
    let results = p.results(&[]);
    let summ = results
        .evaluations
        .iter()
        .find(|r| r.system == "summ")
        .unwrap();
    assert_eq!(summ.generation.as_ref().unwrap().cache_misses, 3);
    assert!(p.pending().is_empty(), "{:?}", p.pending());

    let recorded = results
        .evaluations
        .iter()
        .find(|r| r.system == "recorded")
        .unwrap();
    let g = recorded.generation.as_ref().unwrap();
    assert_eq!(
        (g.cache, g.cache_hits, g.cache_misses),
        (CacheUse::NotCached, 0, 0)
    );
    // A new recording is named as a changed file.
    p.write(
        "recorded.jsonl",
        "{\"id\": \"a\", \"output\": \"The cat sat on the mat.\"}\n{\"id\": \"b\", \"output\": \"Dogs bark.\"}\n{\"id\": \"c\", \"output\": \"Rain falls.\"}\n",
    );
    let results = p.results(&[]);
    let recorded = results
        .evaluations
        .iter()
        .find(|r| r.system == "recorded")
        .unwrap();
    assert_eq!(
        recorded.baseline.system_changes,
        ["file recorded.jsonl changed"]
    );
}

/// A Rust system (the first sentence) that notes each call in the file named by `COUNT_FILE`.
struct CountedFirstSentence {
    covers_code: bool,
}

impl evalgate::unstable::systems::System for CountedFirstSentence {
    fn fingerprint(&self) -> serde_json::Value {
        serde_json::json!({"kind": "first_sentence", "version": 1})
    }

    fn fingerprint_covers_code(&self) -> bool {
        self.covers_code
    }

    fn generate(
        &self,
        request: &evalgate::unstable::systems::SystemRequest<'_>,
    ) -> evalgate::Result<evalgate::unstable::systems::Generation> {
        use std::io::Write;
        let count = std::env::var("COUNT_FILE").unwrap();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(count)
            .unwrap();
        writeln!(file, "{}", request.item_id).unwrap();
        let first = request.input.split('.').next().unwrap_or_default();
        Ok(evalgate::unstable::systems::Generation::text(format!(
            "{first}."
        )))
    }
}

const CHILD_PROJECT: &str = "EVALGATE_TEST_CHILD_PROJECT";
const CHILD_COVERS_CODE: &str = "EVALGATE_TEST_CHILD_COVERS_CODE";

/// Runs `exe` (this test binary, or a changed copy of it) as a child that runs the harness on
/// the project with a Rust system, as a rebuilt `tests/benchmarks.rs` would.
fn run_child(exe: &Path, project: &Project, covers_code: bool) {
    let run = || {
        Command::new(exe)
            .args([
                "rust_system_outputs_are_generated_again_after_its_executable_changes",
                "--exact",
                "--test-threads",
                "1",
            ])
            .env(CHILD_PROJECT, &project.root)
            .env(CHILD_COVERS_CODE, if covers_code { "1" } else { "0" })
            .env("COUNT_FILE", count_file(project))
            .output()
    };
    // A freshly written executable can be "busy" for a moment: another test thread that forked
    // while it was open for writing holds the descriptor until its own exec.
    let mut out = run();
    for _ in 0..50 {
        match &out {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                out = run();
            }
            _ => break,
        }
    }
    let out = out.unwrap();
    assert!(
        out.status.success(),
        "child run failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn rust_system_outputs_are_generated_again_after_its_executable_changes() {
    if let Some(root) = std::env::var_os(CHILD_PROJECT) {
        // The child: one harness run with the Rust system.
        let root = PathBuf::from(root);
        let covers_code = std::env::var(CHILD_COVERS_CODE).as_deref() == Ok("1");
        let out = Harness::new()
            .config(root.join("evalgate.toml"))
            .output_dir(root.join("out"))
            .system("first", CountedFirstSentence { covers_code })
            .run(&support::quiet_args(&root.join("out"), &[]))
            .unwrap();
        assert!(!out.conclusion.has_failed());
        return;
    }
    for covers_code in [false, true] {
        let p = project("");
        p.write(
            "evalgate.toml",
            "[suite]\ncache_dir = \"target/cache\"\n\n[tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
             [datasets.demo_v1]\nsystems = [\"first\"]\nmetrics = [\"rouge1_f1\"]\n\n\
             [systems.first]\nkind = \"rust\"\n",
        );
        let exe = std::env::current_exe().unwrap();
        run_child(&exe, &p, covers_code);
        assert_eq!(starts(&p), 3, "first run generates");
        run_child(&exe, &p, covers_code);
        assert_eq!(starts(&p), 3, "same executable: served from the cache");

        // A rebuilt test binary: other bytes (as after editing the system's code).
        let rebuilt = p.path("target/rebuilt-benchmarks");
        std::fs::create_dir_all(rebuilt.parent().unwrap()).unwrap();
        std::fs::copy(&exe, &rebuilt).unwrap();
        {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&rebuilt)
                .unwrap();
            f.write_all(b"edited system code").unwrap();
        }
        run_child(&rebuilt, &p, covers_code);
        if covers_code {
            assert_eq!(
                starts(&p),
                3,
                "a system whose fingerprint covers its code keeps its cache"
            );
        } else {
            assert_eq!(starts(&p), 6, "a changed executable generates again");
        }
    }
}
