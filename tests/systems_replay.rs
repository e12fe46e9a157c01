//! The `replay` system kind: predictions read from a JSON-lines file.

use std::path::Path;

use evalgate::Error;
use evalgate::unstable::systems::replay::ReplaySystem;
use evalgate::unstable::systems::{System, SystemRequest, Usage};
use serde_json::json;

fn load(root: &Path, path: &str) -> evalgate::Result<ReplaySystem> {
    let table: toml::Table =
        toml::from_str(&format!("kind = \"replay\"\npath = \"{path}\"")).unwrap();
    ReplaySystem::from_config("recorded", &table, root)
}

fn fixture() -> ReplaySystem {
    load(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        "tests/fixtures/replay/predictions.jsonl",
    )
    .unwrap()
}

fn message(result: evalgate::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(e @ (Error::System(_) | Error::Config(_))) => e.to_string(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn replays_outputs_with_latency_and_usage() {
    let sys = fixture();
    let meta = json!({});
    // The first sample of item `item_id` with `input`.
    let generate = |item_id: &str, input: &str| {
        sys.generate(&SystemRequest {
            item_id,
            input,
            metadata: &meta,
            sample: 0,
            samples: 1,
            seed: 0,
        })
    };
    let g = generate("ep01", "ignored").unwrap();
    assert_eq!(g.output, "Maya and Tom discuss remote work.");
    assert_eq!(g.latency_ms, Some(812.5));
    assert_eq!(
        g.usage,
        Some(Usage {
            input_tokens: 900,
            output_tokens: 40
        })
    );
    assert_eq!(g.cost_usd, Some(0.0012));
    let g = generate("ep02", "ignored").unwrap();
    assert_eq!(g.output, "A talk about gardening.");
    assert_eq!((g.latency_ms, g.usage, g.cost_usd), (None, None, None));
    let m = message(generate("ep09", ""));
    assert!(
        m.contains("system `recorded`: item `ep09`: no prediction in"),
        "{m}"
    );
    assert!(!sys.cacheable());
    let fp = sys.fingerprint();
    assert_eq!(fp["kind"], "replay");
    // The file enters as a file, so a changed recording is named as such.
    let files = fp["files"].as_object().unwrap();
    assert_eq!(files.len(), 1);
    assert!(
        files
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("sha256:"),
        "{fp}"
    );
}

#[test]
fn check_ids_names_missing_and_extra_ids() {
    let sys = fixture();
    sys.check_ids(&["ep02", "ep01"]).unwrap();
    let m = message(sys.check_ids(&["ep01", "ep03", "ep04"]));
    assert!(
        m.contains("2 dataset item(s) have no prediction: ep03, ep04"),
        "{m}"
    );
    assert!(
        m.contains("1 prediction(s) are for ids the dataset does not have: ep02"),
        "{m}"
    );
    assert!(m.contains("predictions.jsonl"), "{m}");
}

#[test]
fn bad_lines_are_errors_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    // The error of loading `text`, written as `name`.
    let load_error = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap();
        message(load(dir.path(), name))
    };
    let m = load_error(
        "dup.jsonl",
        "{\"id\": \"a\", \"output\": \"x\"}\n{\"id\": \"a\", \"output\": \"y\"}\n",
    );
    assert!(m.contains("dup.jsonl:2"), "{m}");
    assert!(m.contains("first on line 1"), "{m}");

    let m = load_error(
        "broken.jsonl",
        "{\"id\": \"a\", \"output\": \"x\"}\n{\"id\": \"b\"}\n",
    );
    assert!(m.contains("broken.jsonl:2"), "{m}");
    assert!(m.contains("output"), "{m}");

    let m = load_error(
        "negative.jsonl",
        "{\"id\": \"a\", \"output\": \"x\", \"latency_ms\": -1}\n",
    );
    assert!(
        m.contains("negative.jsonl:1") && m.contains("latency_ms"),
        "{m}"
    );

    // A `path` that cannot be read is a configuration error naming the key and the file.
    match load(dir.path(), "absent.jsonl") {
        Err(Error::Config(m)) => assert!(
            m.to_string().contains("`systems.recorded.path` names")
                && m.to_string().contains("absent.jsonl"),
            "{m}"
        ),
        other => panic!("expected a config error, got {other:?}"),
    }

    let table: toml::Table = toml::from_str("path = \"dup.jsonl\"\nfile = \"x\"").unwrap();
    let m = message(ReplaySystem::from_config("recorded", &table, dir.path()));
    assert!(m.contains("systems.recorded.file"), "{m}");
}
