//! The `command` system kind against the shell fixture `tests/fixtures/fake_system.sh`.
//!
//! The fixture is a POSIX sh script rather than Python so these tests run wherever `sh` does,
//! without an interpreter to install; it covers plain and JSON output, batch mode, crash,
//! timeout, garbage and empty output, and counts its starts through `COUNT_FILE`.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use evalgate::Error;
use evalgate::unstable::systems::command::CommandSystem;
use evalgate::unstable::systems::{System, SystemRequest, Usage};
use serde_json::json;
use support::line_count as starts;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn system(extra_toml: &str, mode: &str) -> CommandSystem {
    let text = format!(
        "kind = \"command\"\ncommand = [\"sh\", \"tests/fixtures/fake_system.sh\", \"{mode}\"]\n{extra_toml}"
    );
    let table: toml::Table = toml::from_str(&text).expect("test toml");
    CommandSystem::from_config("summ", &table, &root(), &[]).expect("valid config")
}

fn counted(mode: &str, count_file: &Path, extra: &str) -> CommandSystem {
    system(
        &format!(
            "{extra}\nenv = {{ COUNT_FILE = \"{}\" }}",
            count_file.display()
        ),
        mode,
    )
}

fn request<'a>(id: &'a str, metadata: &'a serde_json::Value) -> SystemRequest<'a> {
    SystemRequest {
        item_id: id,
        input: "the transcript text",
        metadata,
        sample: 0,
        samples: 1,
        seed: 0,
    }
}

fn error_text(result: evalgate::Result<evalgate::unstable::systems::Generation>) -> String {
    match result {
        Err(Error::System(message)) => message.to_string(),
        other => panic!("expected a system error, got {other:?}"),
    }
}

#[test]
fn plain_text_output_with_env() {
    let meta = json!({});
    let sys = system("env = { PREFIX = \"hello\" }", "plain");
    let g = sys.generate(&request("ep01", &meta)).unwrap();
    assert_eq!(g.output, "summary of ep01 (hello)");
    assert_eq!(g.usage, None);
    assert_eq!(g.cost_usd, None);
}

#[test]
fn json_output_carries_usage_and_cost() {
    let meta = json!({});
    let g = system("", "json")
        .generate(&request("ep02", &meta))
        .unwrap();
    assert_eq!(g.output, "json summary of ep02");
    assert_eq!(
        g.usage,
        Some(Usage {
            input_tokens: 120,
            output_tokens: 30
        })
    );
    assert_eq!(g.cost_usd, Some(0.25));
}

#[test]
fn stdin_gets_id_input_metadata_and_params() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("stdin.json");
    let sys = system(
        &format!(
            "params = {{ style = \"brief\", max_words = 80 }}\nenv = {{ DUMP_FILE = \"{}\" }}",
            dump.display()
        ),
        "stdin",
    );
    let meta = json!({"title": "Remote work", "speakers": ["Maya", "Tom"]});
    let g = sys.generate(&request("ep03", &meta)).unwrap();
    assert_eq!(g.output, "dumped");
    let sent: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&dump).unwrap()).unwrap();
    assert_eq!(
        sent,
        json!({
            "id": "ep03",
            "input": "the transcript text",
            "metadata": {"title": "Remote work", "speakers": ["Maya", "Tom"]},
            "params": {"style": "brief", "max_words": 80},
            "sample": 0,
            "seed": 0
        })
    );
}

#[test]
fn workdir_is_the_working_folder() {
    let table: toml::Table = toml::from_str(
        "command = [\"sh\", \"fake_system.sh\", \"pwd\"]\nworkdir = \"tests/fixtures\"",
    )
    .unwrap();
    let sys = CommandSystem::from_config("summ", &table, &root(), &[]).unwrap();
    let meta = json!({});
    let g = sys.generate(&request("x", &meta)).unwrap();
    let expected = root().join("tests/fixtures").canonicalize().unwrap();
    assert_eq!(Path::new(&g.output).canonicalize().unwrap(), expected);
}

#[test]
fn batch_mode_runs_one_process_for_all_items() {
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("count");
    let sys = counted("batch", &count, "batch = true");
    assert!(sys.prefers_batch());
    let meta = json!({});
    let requests = [
        request("a", &meta),
        request("b", &meta),
        request("c", &meta),
    ];
    let results = sys.generate_batch(&requests);
    let outputs: Vec<String> = results.into_iter().map(|r| r.unwrap().output).collect();
    assert_eq!(
        outputs,
        [
            "batch summary of a",
            "batch summary of b",
            "batch summary of c"
        ]
    );
    assert_eq!(starts(&count), 1, "one process for the whole batch");
}

#[test]
fn batch_crash_fails_that_item_and_restarts_for_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("count");
    let sys = counted("batch_crash_on_b", &count, "batch = true");
    let meta = json!({});
    let requests = [
        request("a", &meta),
        request("b", &meta),
        request("c", &meta),
    ];
    let mut results = sys.generate_batch(&requests).into_iter();
    assert_eq!(
        results.next().unwrap().unwrap().output,
        "batch summary of a"
    );
    let message = error_text(results.next().unwrap());
    assert!(message.contains("item `b`"), "{message}");
    assert!(message.contains("exited with status 7"), "{message}");
    assert!(
        message.contains("model ran out of memory on item b"),
        "{message}"
    );
    assert_eq!(
        results.next().unwrap().unwrap().output,
        "batch summary of c"
    );
    assert_eq!(starts(&count), 2, "restarted once after the crash");
}

#[test]
fn crash_is_an_error_with_status_and_stderr() {
    let meta = json!({});
    let message = error_text(system("", "crash").generate(&request("ep04", &meta)));
    assert!(message.contains("system `summ`"), "{message}");
    assert!(message.contains("item `ep04`"), "{message}");
    assert!(message.contains("exited with status 3"), "{message}");
    assert!(
        message.contains("Segmentation fault in fake_model"),
        "{message}"
    );
    assert!(message.contains("loading model weights"), "{message}");
}

#[test]
fn timeout_kills_the_program() {
    let meta = json!({});
    let sys = system("timeout_secs = 1", "timeout");
    let started = Instant::now();
    let message = error_text(sys.generate(&request("ep05", &meta)));
    let elapsed = started.elapsed();
    assert!(message.contains("timed out after 1.0 s"), "{message}");
    assert!(message.contains("item `ep05`"), "{message}");
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

#[test]
fn garbage_and_empty_output_are_errors() {
    let meta = json!({});
    let message = error_text(system("", "garbage").generate(&request("ep06", &meta)));
    assert!(message.contains("does not parse"), "{message}");
    let message = error_text(system("", "empty").generate(&request("ep07", &meta)));
    assert!(message.contains("printed nothing"), "{message}");
}

#[test]
fn retries_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("count");
    let state = dir.path().join("state");
    let env = format!(
        "env = {{ COUNT_FILE = \"{}\", STATE_FILE = \"{}\" }}",
        count.display(),
        state.display()
    );
    let meta = json!({});
    let flaky = system(&format!("retries = 1\n{env}"), "flaky");
    assert_eq!(
        flaky.generate(&request("a", &meta)).unwrap().output,
        "recovered"
    );
    assert_eq!(starts(&count), 2);

    let crash = system(&format!("retries = 2\n{env}"), "crash");
    let message = error_text(crash.generate(&request("b", &meta)));
    assert!(message.contains("attempt 3 of 3"), "{message}");
    assert_eq!(starts(&count), 5, "three more starts, then it stops");
}

#[test]
fn config_errors_name_the_key() {
    let bad = |text: &str| {
        let table: toml::Table = toml::from_str(text).unwrap();
        match CommandSystem::from_config("summ", &table, &root(), &[]) {
            Err(Error::Config(message)) => message.to_string(),
            other => panic!("expected a config error, got {other:?}"),
        }
    };
    let m = bad("command = [\"sh\"]\ntimeout = 3");
    assert!(m.contains("systems.summ.timeout"), "{m}");
    let m = bad("batch = true");
    assert!(m.contains("`systems.summ.command` is missing"), "{m}");
    let m = bad("command = [\"sh\"]\nretries = \"3\"");
    assert!(
        m.contains("`systems.summ.retries` must be an integer"),
        "{m}"
    );
    let m = bad("command = [\"sh\"]\nworkdir = \"no/such/folder\"");
    assert!(m.contains("systems.summ.workdir"), "{m}");
    let m = bad("command = [\"sh\"]\nbatch = true\nconcurrency = 4");
    assert!(
        m.contains("`systems.summ.concurrency` is set, but batch mode runs one process"),
        "{m}"
    );
    let m = bad("command = [\"sh\"]\nconcurrency = 0");
    assert!(m.contains("`systems.summ.concurrency` is 0"), "{m}");
    let m = bad("command = [\"sh\"]\ninputs = []");
    assert!(m.contains("`systems.summ.inputs` is empty"), "{m}");
}

#[test]
fn concurrency_is_the_configured_number_of_items_at_once() {
    let table: toml::Table = toml::from_str("command = [\"sh\"]\nconcurrency = 8").unwrap();
    let sys = CommandSystem::from_config("summ", &table, &root(), &[]).unwrap();
    assert_eq!(
        sys.max_concurrency(),
        Some(8),
        "not capped at the runner's default of 4"
    );
    let table: toml::Table = toml::from_str("command = [\"sh\"]").unwrap();
    let sys = CommandSystem::from_config("summ", &table, &root(), &[]).unwrap();
    assert_eq!(sys.max_concurrency(), Some(4));
}

#[test]
fn missing_program_is_a_clear_error() {
    let table: toml::Table = toml::from_str("command = [\"./no_such_program\"]").unwrap();
    let sys = CommandSystem::from_config("summ", &table, &root(), &[]).unwrap();
    let meta = json!({});
    let message = error_text(sys.generate(&request("x", &meta)));
    assert!(message.contains("not found"), "{message}");
}

#[test]
fn fingerprint_covers_the_script_content() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("model.sh");
    std::fs::write(&script, "echo one\n").unwrap();
    let table: toml::Table = toml::from_str(
        "command = [\"sh\", \"model.sh\"]\nparams = { beam = 4 }\nenv = { API_TOKEN = \"s3cret\" }",
    )
    .unwrap();
    let first = CommandSystem::from_config("summ", &table, dir.path(), &[])
        .unwrap()
        .fingerprint();
    assert_eq!(first["kind"], "command");
    assert_eq!(first["params"]["beam"], 4);
    assert!(
        first["files"]["model.sh"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(!first.to_string().contains("s3cret"), "secrets stay out");
    std::fs::write(&script, "echo two\n").unwrap();
    let second = CommandSystem::from_config("summ", &table, dir.path(), &[])
        .unwrap()
        .fingerprint();
    assert_ne!(first, second, "editing the script changes the fingerprint");
}

#[test]
fn batch_garbage_and_hang_are_errors() {
    let meta = json!({});
    let sys = system("batch = true", "batch_garbage");
    let message = error_text(sys.generate_batch(&[request("a", &meta)]).remove(0));
    assert!(message.contains("line that is not JSON"), "{message}");
    assert!(message.contains("this is not json"), "{message}");

    let sys = system("batch = true\ntimeout_secs = 1", "batch_hang");
    let started = Instant::now();
    let message = error_text(sys.generate_batch(&[request("a", &meta)]).remove(0));
    assert!(
        message.contains("(batch mode) timed out after 1.0 s"),
        "{message}"
    );
    assert!(message.contains("thinking forever"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_stray_batch_line_never_shifts_outputs_onto_other_items() {
    // The program announces itself before answering (with ids); then one that answers without.
    let loud = "printf '{\"output\": \"model loaded\"}\\n'; while read line; do id=$(printf '%s' \"$line\" | sed 's/.*\"id\": *\"\\([^\"]*\\)\".*/\\1/'); printf '{\"id\": \"%s\", \"output\": \"summary of %s\"}\\n' \"$id\" \"$id\"; done";
    let table: toml::Table = toml::from_str(&format!(
        "command = [\"sh\", \"-c\", '''{loud}''']\nbatch = true"
    ))
    .unwrap();
    let sys = CommandSystem::from_config("summ", &table, &root(), &[]).unwrap();
    let meta = json!({});
    let mut results = sys.generate_batch(&[request("a", &meta), request("b", &meta)]);
    let second = results.pop().unwrap();
    let first = error_text(results.pop().unwrap());
    assert!(
        first.contains("answered without `id`") && first.contains("model loaded"),
        "{first}"
    );
    // No item is given another item's output: `b` fails the same way in a fresh process.
    assert!(error_text(second).contains("answered without `id`"));
}
