//! Repeated samples (`samples = N` in `[systems.<name>]`): a command system gets each sample's
//! index and seed, each sample is its own cache entry, replayed samples give per-sample values
//! and per-item means, flaky gates are named, `pass_all_k` / `pass_any_k` are computed, and the
//! configuration errors name the file and line.

mod support;

use std::path::Path;

use evalgate::results::{CheckStatus, RunResults};
use serde_json::Value;
use support::{ONE_THREAD, Project};

const ITEMS: &str = r#"[
    {"id": "a", "input": "Alpha talks about bees. They make honey.", "references": ["bees make honey"]},
    {"id": "b", "input": "Beta talks about bikes. Lanes are wider.", "references": ["wider bike lanes"]}]"#;

/// A project running one system `s` on a two-item dataset with `metrics`.
fn project(system: &str, metrics: &str, extra: &str) -> Project {
    let p = Project::new(&format!(
        "[suite]\ncache_dir = \"cache\"\n\n[tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
         [datasets.demo_v1]\nsystems = [\"s\"]\nmetrics = [{metrics}]\n\n[systems.s]\n{system}\n{extra}"
    ));
    p.dataset("demo_v1", ITEMS);
    p
}

fn run(p: &Project) -> RunResults {
    p.run(&ONE_THREAD).results.expect("results")
}

/// Cache entries (`*.json`) under `dir`.
fn cache_entries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            if p.is_dir() {
                cache_entries(&p)
            } else {
                usize::from(p.extension().is_some_and(|e| e == "json"))
            }
        })
        .sum()
}

/// What the test script logged: per call, (`EVALGATE_SAMPLE`, `EVALGATE_SAMPLES`,
/// `EVALGATE_SEED`, the request object on stdin).
fn calls(log: &Path) -> Vec<(String, String, String, Value)> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .map(|line| {
            let mut parts = line.splitn(4, ' ');
            let sample = parts.next().unwrap().to_string();
            let samples = parts.next().unwrap().to_string();
            let seed = parts.next().unwrap().to_string();
            let request: Value = serde_json::from_str(parts.next().unwrap()).unwrap();
            (sample, samples, seed, request)
        })
        .collect()
}

#[test]
fn a_command_system_gets_each_samples_index_and_seed_and_caches_each_sample() {
    let p = project("", "\"rouge1_f1\", \"truncation\"", "");
    let log = p.scratch("calls.log");
    p.write(
        "gen.sh",
        "req=$(cat)\n\
         echo \"$EVALGATE_SAMPLE $EVALGATE_SAMPLES $EVALGATE_SEED $req\" >> \"$LOG\"\n\
         echo \"Bees make honey, seed $EVALGATE_SEED.\"\n",
    );
    let system = format!(
        "kind = \"command\"\ncommand = [\"sh\", \"gen.sh\"]\nenv = {{ LOG = \"{}\" }}\n",
        log.display()
    );
    p.edit(
        "evalgate.toml",
        "[systems.s]\n",
        &format!("[systems.s]\n{system}"),
    );

    // One sample: the program sees sample 0 of 1, seed 0.
    let r1 = run(&p);
    assert_eq!(r1.evaluations[0].error, None);
    let g1 = r1.evaluations[0].generation.clone().unwrap();
    assert_eq!((g1.cache_hits, g1.cache_misses), (0, 2));
    let first = calls(&log);
    assert_eq!(first.len(), 2);
    for (sample, samples, seed, request) in &first {
        assert_eq!(
            (sample.as_str(), samples.as_str(), seed.as_str()),
            ("0", "1", "0")
        );
        assert_eq!(
            (request["sample"].as_u64(), request["seed"].as_u64()),
            (Some(0), Some(0))
        );
    }
    assert_eq!(r1.evaluations[0].samples, 1);
    assert!(r1.evaluations[0].metrics["rouge1_f1"].per_sample.is_empty());
    assert_eq!(cache_entries(&p.path("cache")), 2);

    // Three samples: sample 0 of each item comes from the cache, samples 1 and 2 are generated.
    p.edit(
        "evalgate.toml",
        "kind = \"command\"",
        "kind = \"command\"\nsamples = 3",
    );
    let r2 = run(&p);
    assert_eq!(r2.evaluations[0].error, None);
    let g2 = r2.evaluations[0].generation.clone().unwrap();
    assert_eq!((g2.cache_hits, g2.cache_misses), (2, 4));
    let new_calls: Vec<_> = calls(&log).into_iter().skip(2).collect();
    assert_eq!(new_calls.len(), 4);
    let mut seen: Vec<(String, String, String)> = new_calls
        .iter()
        .map(|(sample, samples, seed, request)| {
            assert_eq!(samples, "3", "EVALGATE_SAMPLES is N");
            assert_eq!(sample, seed, "the seed of sample k is k");
            assert_eq!(request["sample"].as_u64().unwrap().to_string(), *sample);
            assert_eq!(request["seed"].as_u64().unwrap().to_string(), *seed);
            (
                request["id"].as_str().unwrap().to_string(),
                sample.clone(),
                seed.clone(),
            )
        })
        .collect();
    seen.sort();
    let expected: Vec<(String, String, String)> = ["a", "b"]
        .iter()
        .flat_map(|id| ["1", "2"].map(|k| (id.to_string(), k.to_string(), k.to_string())))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(cache_entries(&p.path("cache")), 6, "three entries per item");
    let e = &r2.evaluations[0];
    assert_eq!(e.samples, 3);
    assert_eq!(e.system_config["samples"], 3);
    let per_sample = &e.metrics["rouge1_f1"].per_sample;
    assert_eq!(per_sample.len(), 2);
    assert!(per_sample.iter().all(|s| s.len() == 3));

    // A re-run generates nothing.
    let r3 = run(&p);
    let g3 = r3.evaluations[0].generation.clone().unwrap();
    assert_eq!((g3.cache_hits, g3.cache_misses), (6, 0));
    assert_eq!(calls(&log).len(), 6, "no process started on the re-run");
    assert_eq!(r3.evaluations[0].metrics, r2.evaluations[0].metrics);
}

/// Two replayed samples per item: `a` has a truncated second sample ("…,"), `b` none.
const TWO_SAMPLES: &str = r#"{"id": "a", "output": "Bees make honey."}
{"id": "b", "output": "Bike lanes are wider now."}
{"id": "a", "output": "Bees make honey and wax,"}
{"id": "b", "output": "Lanes are wider."}
"#;

#[test]
fn replayed_samples_give_per_sample_values_item_means_flaky_items_and_pass_k() {
    let p = project(
        "kind = \"replay\"\npath = \"preds.jsonl\"\nsamples = 2\n",
        "\"output_words_mean\", \"truncation\", \"pass_all_k\", \"pass_any_k\"",
        "[checks.truncation]\nmax = 0.0\n",
    );
    p.write("preds.jsonl", TWO_SAMPLES);
    let out = p.run(&ONE_THREAD);
    let r = out.results.unwrap();
    let e = &r.evaluations[0];
    assert_eq!(e.error, None);
    assert_eq!(e.samples, 2);

    // Words: a 3 and 5, b 5 and 3; each item's value is the mean of its samples.
    let words = &e.metrics["output_words_mean"];
    assert_eq!(
        words.per_sample,
        vec![vec![Some(3.0), Some(5.0)], vec![Some(5.0), Some(3.0)]]
    );
    assert_eq!(words.per_item, vec![Some(4.0), Some(4.0)]);
    assert_eq!(words.value, 4.0);

    // Truncation: a's second sample fails; the rate is over all four outputs.
    let truncation = &e.metrics["truncation"];
    assert_eq!(
        truncation.per_sample,
        vec![vec![Some(0.0), Some(1.0)], vec![Some(0.0), Some(0.0)]]
    );
    assert_eq!(truncation.per_item, vec![Some(0.5), Some(0.0)]);
    assert_eq!(truncation.value, 0.25);

    // pass^k: a fails (one sample truncated), b passes; pass@k: both pass.
    assert_eq!(e.metrics["pass_all_k"].per_item, vec![Some(0.0), Some(1.0)]);
    assert_eq!(e.metrics["pass_all_k"].value, 0.5);
    assert_eq!(e.metrics["pass_any_k"].per_item, vec![Some(1.0), Some(1.0)]);
    assert_eq!(e.metrics["pass_any_k"].value, 1.0);

    // a is flaky for truncation, named in results.json and in the failing trial's message.
    assert_eq!(e.flaky_items.len(), 1);
    let flaky = &e.flaky_items[0];
    assert_eq!(
        (
            flaky.id.as_str(),
            flaky.metric.as_str(),
            flaky.passed_samples,
            flaky.samples
        ),
        ("a", "truncation", 1, 2)
    );
    let json: Value = serde_json::from_str(&p.results_json()).unwrap();
    assert_eq!(
        json["evaluations"][0]["flaky_items"],
        serde_json::json!([{"id": "a", "metric": "truncation", "passed_samples": 1, "samples": 2}])
    );
    assert_eq!(json["evaluations"][0]["samples"], 2);
    let check = e
        .checks
        .iter()
        .find(|c| c.metric == "truncation" && c.kind == evalgate::results::CheckKind::Max)
        .unwrap();
    assert_eq!(check.status, CheckStatus::Failed);
    assert!(
        check.message.contains("; flaky: a (1 of 2 samples pass) ["),
        "{}",
        check.message
    );

    // The pending baseline keeps every sample's values and records the number of samples.
    let pending = p.pending();
    assert_eq!(pending.len(), 1);
    let text = std::fs::read_to_string(&pending[0]).unwrap();
    let body: Value = serde_json::from_str(text.split("\n---\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["system_config"]["samples"], 2);
    assert_eq!(
        body["samples"]["a"]["truncation"],
        serde_json::json!([0.0, 1.0])
    );
    assert_eq!(body["items"]["a"]["truncation"], 0.5);
    // Accepted and run again: nothing changed, no pending snapshot.
    assert_eq!(p.accept(), 1);
    run(&p);
    assert!(p.pending().is_empty());
}

#[test]
fn pass_k_with_one_sample_is_the_share_of_items_passing_every_gate() {
    let p = project(
        "kind = \"replay\"\npath = \"preds.jsonl\"\n",
        "\"truncation\", \"short_output\", \"pass_all_k\", \"pass_any_k\"",
        "",
    );
    p.write(
        "preds.jsonl",
        "{\"id\": \"a\", \"output\": \"Bees make honey.\"}\n{\"id\": \"b\", \"output\": \"Lanes are wider,\"}\n",
    );
    let r = run(&p);
    let e = &r.evaluations[0];
    assert_eq!(e.error, None);
    assert_eq!(e.metrics["truncation"].per_item, vec![Some(0.0), Some(1.0)]);
    for id in ["pass_all_k", "pass_any_k"] {
        assert_eq!(e.metrics[id].per_item, vec![Some(1.0), Some(0.0)], "{id}");
        assert_eq!(e.metrics[id].value, 0.5, "{id}");
        assert!(e.metrics[id].per_sample.is_empty());
    }
    assert!(e.flaky_items.is_empty());
    let json = p.results_json();
    assert!(
        !json.contains("\"samples\""),
        "one sample writes no sample fields"
    );
    assert!(!json.contains("flaky_items"));
}

#[test]
fn pass_k_without_a_gate_fails_its_trial() {
    let p = project(
        "kind = \"replay\"\npath = \"preds.jsonl\"\n",
        "\"output_words_mean\", \"pass_all_k\"",
        "",
    );
    p.write(
        "preds.jsonl",
        "{\"id\": \"a\", \"output\": \"Bees.\"}\n{\"id\": \"b\", \"output\": \"Lanes.\"}\n",
    );
    let r = run(&p);
    let check = r.evaluations[0]
        .checks
        .iter()
        .find(|c| c.metric == "pass_all_k")
        .unwrap();
    assert_eq!(check.status, CheckStatus::Failed);
    assert!(
        check.message.contains("the list has none"),
        "{}",
        check.message
    );
}

#[test]
fn a_replay_file_with_another_count_per_id_is_an_error_naming_the_id() {
    let p = project(
        "kind = \"replay\"\npath = \"preds.jsonl\"\nsamples = 2\n",
        "\"truncation\"",
        "",
    );
    p.write(
        "preds.jsonl",
        "{\"id\": \"a\", \"output\": \"A.\"}\n{\"id\": \"b\", \"output\": \"B.\"}\n\
         {\"id\": \"a\", \"output\": \"A2.\"}\n{\"id\": \"b\", \"output\": \"B2.\"}\n\
         {\"id\": \"a\", \"output\": \"A3.\"}\n",
    );
    let e = p.run_err(&ONE_THREAD);
    assert!(
        e.contains("id `a` has 3 prediction(s) (line(s) 1, 3, 5), but the system's samples = 2 needs exactly 2 per id"),
        "{e}"
    );
    assert!(e.contains("preds.jsonl:5:"), "{e}");

    // With one sample, several lines per id: the repeated-id message, and the setting to use.
    p.edit("evalgate.toml", "samples = 2\n", "");
    p.write(
        "preds.jsonl",
        "{\"id\": \"a\", \"output\": \"A.\"}\n{\"id\": \"b\", \"output\": \"B.\"}\n\
         {\"id\": \"a\", \"output\": \"A2.\"}\n{\"id\": \"b\", \"output\": \"B2.\"}\n",
    );
    let e = p.run_err(&ONE_THREAD);
    assert!(
        e.contains(
            "preds.jsonl:3: id `a` appears again (first on line 1); keep one prediction per item"
        ),
        "{e}"
    );
    assert!(e.contains("set samples = 2"), "{e}");
}

#[test]
fn samples_on_a_builtin_system_is_an_error_with_its_line() {
    let p = project(
        "kind = \"builtin\"\nbuiltin = \"lead_n\"\nsamples = 2\n",
        "\"rouge1_f1\"",
        "",
    );
    let e = p.run_err(&ONE_THREAD);
    assert!(
        e.contains(
            "evalgate.toml:14: `systems.s.samples` is 2, but built-ins are deterministic; remove \
             samples"
        ),
        "{e}"
    );
    // Out of range, on any kind.
    p.edit(
        "evalgate.toml",
        "kind = \"builtin\"\nbuiltin = \"lead_n\"\nsamples = 2",
        "kind = \"replay\"\npath = \"x.jsonl\"\nsamples = 0",
    );
    let e = p.run_err(&ONE_THREAD);
    assert!(
        e.contains(
            "evalgate.toml:14: `systems.s.samples` is 0; give a whole number from 1 to 1000"
        ),
        "{e}"
    );
}

#[test]
fn a_batch_program_reads_sample_and_seed_from_each_request() {
    let p = project("", "\"truncation\"", "");
    let log = p.scratch("batch.log");
    p.write(
        "batch.py",
        r#"import json, os, sys
log = open(os.environ["LOG"], "a")
for line in sys.stdin:
    req = json.loads(line)
    log.write(json.dumps({"id": req["id"], "sample": req["sample"], "seed": req["seed"],
                          "samples_env": os.environ.get("EVALGATE_SAMPLES"),
                          "sample_env": os.environ.get("EVALGATE_SAMPLE")}) + "\n")
    log.flush()
    print(json.dumps({"id": req["id"], "output": "Output %d." % req["seed"]}), flush=True)
"#,
    );
    let system = format!(
        "kind = \"command\"\ncommand = [\"python3\", \"batch.py\"]\nbatch = true\nsamples = 2\n\
         env = {{ LOG = \"{}\" }}\n",
        log.display()
    );
    p.edit(
        "evalgate.toml",
        "[systems.s]\n",
        &format!("[systems.s]\n{system}"),
    );
    let r = run(&p);
    assert_eq!(r.evaluations[0].error, None);
    let text = std::fs::read_to_string(&log).unwrap();
    let mut seen: Vec<(String, u64, u64)> = text
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["samples_env"], "2");
            assert_eq!(
                v["sample_env"],
                Value::Null,
                "no per-sample environment in batch mode"
            );
            (
                v["id"].as_str().unwrap().to_string(),
                v["sample"].as_u64().unwrap(),
                v["seed"].as_u64().unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("a".to_string(), 0, 0),
            ("a".to_string(), 1, 1),
            ("b".to_string(), 0, 0),
            ("b".to_string(), 1, 1)
        ]
    );
    assert_eq!(r.evaluations[0].metrics["truncation"].per_sample.len(), 2);
}

/// A Rust system whose output is drawn from the request's seed.
struct Seeded;

impl evalgate::System for Seeded {
    fn fingerprint(&self) -> Value {
        serde_json::json!({"kind": "rust", "name": "seeded", "version": 1})
    }

    fn fingerprint_covers_code(&self) -> bool {
        true
    }

    fn generate(
        &self,
        request: &evalgate::SystemRequest<'_>,
    ) -> evalgate::Result<evalgate::Generation> {
        // Sample 1 of each item is cut off: truncation differs between samples.
        let end = if request.seed == 1 { "," } else { "." };
        Ok(evalgate::Generation::text(format!(
            "Item {} sample {} of {}{end}",
            request.item_id, request.sample, request.samples
        )))
    }
}

#[test]
fn a_rust_system_reads_sample_and_seed_and_a_change_of_samples_is_a_system_change() {
    let p = project(
        "kind = \"rust\"\n",
        "\"output_words_mean\", \"truncation\"",
        "",
    );
    let run_seeded = |p: &Project| {
        p.run_with(p.harness().system("s", Seeded), &ONE_THREAD)
            .unwrap()
            .results
            .unwrap()
    };
    let r1 = run_seeded(&p);
    assert_eq!(r1.evaluations[0].error, None);
    assert_eq!(r1.evaluations[0].metrics["truncation"].value, 0.0);
    assert_eq!(p.accept(), 1);
    let accepted = p.read("baselines/demo_v1__s.snap");
    assert!(!accepted.contains("\"samples\""), "{accepted}");

    p.edit(
        "evalgate.toml",
        "kind = \"rust\"\n",
        "kind = \"rust\"\nsamples = 3\n",
    );
    let r2 = run_seeded(&p);
    let e = &r2.evaluations[0];
    assert_eq!(e.error, None);
    // Sample 1 (seed 1) of each item ends with a comma.
    assert_eq!(
        e.metrics["truncation"].per_sample,
        vec![vec![Some(0.0), Some(1.0), Some(0.0)]; 2]
    );
    assert_eq!(e.flaky_items.len(), 2);
    assert_eq!(e.flaky_items[1].to_string(), "b (2 of 3 samples pass)");
    assert_eq!(
        e.baseline.system_changes,
        vec!["samples added (3)".to_string()]
    );
}
