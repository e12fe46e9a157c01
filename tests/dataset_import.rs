//! `evalgate dataset import` (JSON lines, JSON arrays, CSV) and `evalgate dataset new`, run as
//! the binary: what they write loads and verifies with the dataset loader, with the hashes of
//! the exact texts; bad records are errors naming the file, the line and the field; nothing is
//! ever overwritten.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use evalgate::unstable::dataset::Dataset;
use evalgate::unstable::fsutil::sha256_hex;
use support::assert_contains;

/// Runs `evalgate dataset <args>`.
fn evalgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .arg("dataset")
        .args(args)
        .output()
        .expect("run evalgate")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Imports `file` into `out` with the fields of the test records; panics unless it succeeds.
fn import_ok(file: &Path, out: &Path, extra: &[&str]) -> Output {
    let result = import(file, out, extra);
    assert!(
        result.status.success(),
        "import failed: {}{}",
        stdout(&result),
        stderr(&result)
    );
    result
}

fn import(file: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "import",
        file.to_str().unwrap(),
        "--id-field",
        "id",
        "--input-field",
        "transcript",
        "--reference-field",
        "summary",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    evalgate(&args)
}

/// An import that fails with exit status 2, leaving no folder (and no work folder) behind; its
/// message.
fn import_err(dir: &Path, name: &str, content: &[u8], extra: &[&str]) -> String {
    let file = dir.join(name);
    std::fs::write(&file, content).unwrap();
    let out = dir.join("out").join("bad_v1");
    let result = import(&file, &out, extra);
    assert_eq!(result.status.code(), Some(2), "{}", stdout(&result));
    assert!(!out.exists(), "a failed import left {}", out.display());
    if let Ok(entries) = std::fs::read_dir(dir.join("out")) {
        let left: Vec<_> = entries.map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
    stderr(&result)
}

/// `evalgate dataset verify` succeeds on `dir`.
fn verify_cli(dir: &Path) {
    let out = evalgate(&["verify", dir.to_str().unwrap()]);
    assert!(out.status.success(), "verify failed: {}", stderr(&out));
    assert_contains(&stdout(&out), &["ok,"]);
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&read(dir, "dataset.json")).unwrap()
}

const JSONL: &str = concat!(
    r#"{"id": "ep1", "transcript": "A: Hello there.\nB: Hi.", "summary": "Two people greet.", "speakers": ["A", "B"]}"#,
    "\n\n",
    r#"{"id": 7, "transcript": "Seven.", "summary": ["First.", "Second."], "speakers": []}"#,
    "\r\n",
);

#[test]
fn jsonl_json_and_csv_make_the_same_verified_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let jsonl = tmp.path().join("records.jsonl");
    std::fs::write(&jsonl, JSONL).unwrap();
    let json = tmp.path().join("records.json");
    std::fs::write(
        &json,
        r#"[
  {"id": "ep1", "transcript": "A: Hello there.\nB: Hi.", "summary": "Two people greet.",
   "speakers": ["A", "B"]},
  {"id": 7, "transcript": "Seven.", "summary": ["First.", "Second."], "speakers": []}
]"#,
    )
    .unwrap();
    let csv = tmp.path().join("records.csv");
    std::fs::write(
        &csv,
        "id,transcript,summary,speakers\nep1,\"A: Hello there.\nB: Hi.\",Two people greet.,A B\n\
         7,Seven.,First.,\n",
    )
    .unwrap();

    let mut loaded = Vec::new();
    for (file, name) in [
        (&jsonl, "from_jsonl_v1"),
        (&json, "from_json_v1"),
        (&csv, "from_csv_v1"),
    ] {
        let out = tmp.path().join("datasets").join(name);
        let result = import_ok(file, &out, &["--metadata-field", "speakers"]);
        let printed = stdout(&result);
        assert_contains(
            &printed,
            &[
                &format!("dataset `{name}` version 1"),
                "2 items",
                &format!("[datasets.{name}]"),
                "evalgate dataset verify",
            ],
        );
        verify_cli(&out);
        let dataset = Dataset::load(&out).unwrap();
        assert_eq!(dataset.id, name);
        assert_eq!(dataset.version, 1);
        assert_eq!(dataset.task, "summarization");
        // Hashes are those of the exact texts, in the files the manifest names.
        let m = manifest(&out);
        for (item, raw) in dataset.items.iter().zip(m["items"].as_array().unwrap()) {
            let input_path = raw["input_path"].as_str().unwrap();
            assert_eq!(read(&out, input_path), item.input);
            assert_eq!(raw["hashes"]["input"], sha256_hex(item.input.as_bytes()));
            for (n, path) in raw["reference_paths"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
            {
                let text = read(&out, path.as_str().unwrap());
                assert_eq!(text, item.references[n]);
                assert_eq!(raw["hashes"]["references"][n], sha256_hex(text.as_bytes()));
            }
        }
        loaded.push((dataset, m));
    }
    let (from_jsonl, m) = &loaded[0];
    assert_eq!(from_jsonl.items[0].id, "ep1");
    assert_eq!(from_jsonl.items[0].input, "A: Hello there.\nB: Hi.");
    assert_eq!(
        from_jsonl.items[1].id, "7",
        "a whole-number id is written as its digits"
    );
    assert_eq!(from_jsonl.items[1].references, ["First.", "Second."]);
    assert_eq!(
        from_jsonl.items[0].metadata,
        serde_json::json!({"speakers": ["A", "B"]})
    );
    assert_eq!(m["items"][0]["input_path"], "inputs/ep1.txt");
    assert_eq!(
        m["items"][0]["reference_paths"],
        serde_json::json!(["references/ep1.txt"])
    );
    assert_eq!(
        m["items"][1]["reference_paths"],
        serde_json::json!(["references/7.1.txt", "references/7.2.txt"])
    );
    // The JSON array reads the same; CSV cells are text (one reference, metadata as a string).
    let (from_json, _) = &loaded[1];
    for (a, b) in from_jsonl.items.iter().zip(&from_json.items) {
        assert_eq!(
            (&a.id, &a.hashes, &a.metadata),
            (&b.id, &b.hashes, &b.metadata)
        );
    }
    let (from_csv, _) = &loaded[2];
    assert_eq!(from_csv.items[0].hashes, from_jsonl.items[0].hashes);
    assert_eq!(from_csv.items[1].references, ["First."]);
    assert_eq!(
        from_csv.items[0].metadata,
        serde_json::json!({"speakers": "A B"})
    );
}

#[test]
fn a_byte_order_mark_is_dropped_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let files = [
        (
            "bom.jsonl",
            "\u{feff}{\"id\": \"a\", \"transcript\": \"In.\", \"summary\": \"Out.\"}\n",
        ),
        (
            "bom.json",
            "\u{feff}[{\"id\": \"a\", \"transcript\": \"In.\", \"summary\": \"Out.\"}]",
        ),
        ("bom.csv", "\u{feff}id,transcript,summary\r\na,In.,Out.\r\n"),
    ];
    for (n, (name, content)) in files.iter().enumerate() {
        let file = tmp.path().join(name);
        std::fs::write(&file, content).unwrap();
        let out = tmp.path().join(format!("bom{n}_v1"));
        import_ok(&file, &out, &[]);
        let dataset = Dataset::load(&out).unwrap();
        assert_eq!(dataset.items[0].id, "a", "{name}");
        assert_eq!(dataset.items[0].input, "In.", "{name}");
    }
}

#[test]
fn lone_surrogates_become_replacement_characters_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("cut.jsonl");
    // What Python's json.dumps writes for text cut inside an emoji, a whole emoji, and the
    // escaped backslash of the literal text `\ud83d`.
    std::fs::write(
        &file,
        concat!(
            r#"{"id": "cut", "transcript": "Great show \ud83d", "summary": "Fine \ud83d\ude00"}"#,
            "\n",
            r#"{"id": "literal", "transcript": "Type \\ud83d to escape.", "summary": "Ok."}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = tmp.path().join("cut_v1");
    let result = import_ok(&file, &out, &[]);
    let warnings = stderr(&result);
    assert_contains(
        &warnings,
        &[
            "warning:",
            "cut.jsonl:1:",
            "field `transcript`",
            "`\\ud83d`",
            "U+FFFD",
        ],
    );
    assert_eq!(warnings.matches("warning:").count(), 1, "{warnings}");
    let dataset = Dataset::load(&out).unwrap();
    assert_eq!(dataset.items[0].input, "Great show \u{FFFD}");
    assert_eq!(dataset.items[0].references, ["Fine \u{1F600}"]);
    assert_eq!(dataset.items[1].input, "Type \\ud83d to escape.");
    verify_cli(&out);

    // In a JSON array, the warning names the line and the element.
    let file = tmp.path().join("cut.json");
    std::fs::write(
        &file,
        "[\n{\"id\": \"a\", \"transcript\": \"ok\", \"summary\": \"ok\"},\n{\"id\": \"b\",\n \
         \"transcript\": \"x\",\n \"summary\": \"y \\udc00\"}\n]\n",
    )
    .unwrap();
    let result = import_ok(&file, &tmp.path().join("cut_array_v1"), &[]);
    assert_contains(
        &stderr(&result),
        &["cut.json:5: element [1]: field `summary`", "`\\udc00`"],
    );
}

#[test]
fn bad_records_are_errors_naming_the_line_and_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let line = |id: &str, transcript: &str| {
        format!(r#"{{"id": {id}, "transcript": {transcript}, "summary": "S."}}"#)
    };
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "dup.jsonl",
            [
                line("\"a\"", "\"x\""),
                line("\"b\"", "\"y\""),
                line("\"a\"", "\"z\""),
            ]
            .join("\n"),
            &[
                "dup.jsonl:3:",
                "field `id`",
                "duplicate id `a`",
                "first at line 1",
            ],
        ),
        (
            "missing.jsonl",
            format!(
                "{}\n{}\n",
                line("\"a\"", "\"x\""),
                r#"{"id": "b", "text": "y", "summary": "S."}"#
            ),
            &[
                "missing.jsonl:2:",
                "field `transcript` is missing",
                "`text`",
            ],
        ),
        (
            "empty.jsonl",
            line("\"a\"", "\"  \\n \""),
            &[
                "empty.jsonl:1:",
                "field `transcript` is empty",
                "refuse empty inputs",
            ],
        ),
        (
            "malformed.jsonl",
            format!(
                "{}\n{{\"id\": \"b\", \"transcript\": }}\n",
                line("\"a\"", "\"x\"")
            ),
            &["malformed.jsonl:2:", "malformed JSON at column"],
        ),
        (
            "empty_id.jsonl",
            line("\"\"", "\"x\""),
            &["empty_id.jsonl:1:", "field `id` is empty"],
        ),
        (
            "bool_id.jsonl",
            line("true", "\"x\""),
            &["bool_id.jsonl:1:", "field `id` holds a boolean"],
        ),
        (
            "float_id.jsonl",
            line("1.5", "\"x\""),
            &["float_id.jsonl:1:", "field `id` holds the number 1.5"],
        ),
        (
            "control_id.jsonl",
            line("\"a\\nb\"", "\"x\""),
            &["control_id.jsonl:1:", "field `id`", "line break"],
        ),
        (
            "not_object.jsonl",
            "[1, 2]\n".to_string(),
            &["not_object.jsonl:1:", "holds an array, not an object"],
        ),
        (
            "elements.json",
            format!(
                "[\n{},\n{}\n]",
                line("\"a\"", "\"x\""),
                line("null", "\"y\"")
            ),
            &["elements.json:3:", "element [1]", "field `id` holds null"],
        ),
        (
            "lines.json",
            format!("{}\n{}\n", line("\"a\"", "\"x\""), line("\"b\"", "\"y\"")),
            &["lines.json:2:", "trailing characters", "--format jsonl"],
        ),
        (
            "no_column.csv",
            "id,text,summary\na,x,S.\n".to_string(),
            &["no_column.csv:2:", "field `transcript` is missing"],
        ),
        (
            "empty_cell.csv",
            "id,transcript,summary\na,x,S.\n,y,S.\n".to_string(),
            &["empty_cell.csv:3:", "field `id` is empty"],
        ),
        (
            "ragged.csv",
            "id,transcript,summary\na,x,S.\nb,y,S.,extra\n".to_string(),
            &["ragged.csv:3:", "the row has 4 fields, the header 3"],
        ),
        (
            "empty_ref.jsonl",
            r#"{"id": "a", "transcript": "x", "summary": ["ok", ""]}"#.to_string(),
            &["empty_ref.jsonl:1:", "field `summary[1]` is empty"],
        ),
        (
            "records.txt",
            line("\"a\"", "\"x\""),
            &["records.txt", "--format jsonl|json|csv"],
        ),
    ];
    for (name, content, expected) in cases {
        let message = import_err(dir, name, content.as_bytes(), &[]);
        for part in expected {
            assert!(
                message.contains(part),
                "{name}: `{part}` missing in: {message}"
            );
        }
    }
    // Bytes that are not UTF-8 name the line.
    let message = import_err(
        dir,
        "latin1.jsonl",
        b"{\"id\": \"a\"}\n{\"id\": \"caf\xe9\"}\n",
        &[],
    );
    assert_contains(&message, &["is not UTF-8", "line 2"]);
    // An explicit --format overrides the extension.
    let file = dir.join("records.txt");
    std::fs::write(&file, line("\"a\"", "\"x\"")).unwrap();
    import_ok(&file, &dir.join("txt_v1"), &["--format", "jsonl"]);
}

#[test]
fn nothing_is_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("records.jsonl");
    std::fs::write(&file, JSONL).unwrap();
    let out = tmp.path().join("demo_v1");
    std::fs::create_dir(&out).unwrap();
    // An empty folder is fine.
    import_ok(&file, &out, &[]);
    let before = read(&out, "dataset.json");
    let again = import(&file, &out, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert_contains(
        &stderr(&again),
        &["demo_v1 already exists", "never overwritten"],
    );
    assert_eq!(read(&out, "dataset.json"), before);
    // A file in the way is refused too.
    let taken = tmp.path().join("taken_v1");
    std::fs::write(&taken, "mine").unwrap();
    assert_eq!(import(&file, &taken, &[]).status.code(), Some(2));
    assert_eq!(read(tmp.path(), "taken_v1"), "mine");
}

#[test]
fn ids_and_versions_follow_the_folder_name() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("records.jsonl");
    std::fs::write(&file, JSONL).unwrap();
    let out = tmp.path().join("calls_v3");
    import_ok(&file, &out, &["--task", "transcript_cleaning"]);
    let dataset = Dataset::load(&out).unwrap();
    assert_eq!(
        (dataset.version, dataset.task.as_str()),
        (3, "transcript_cleaning")
    );

    let mismatch = import(&file, &tmp.path().join("calls_v4"), &["--version", "5"]);
    assert_contains(&stderr(&mismatch), &["--version 5", "`calls_v4` (4)"]);
    let other_id = import(&file, &tmp.path().join("calls_v5"), &["--id", "else_v1"]);
    assert_contains(
        &stderr(&other_id),
        &["`else_v1` differs from the folder name `calls_v5`"],
    );
    let plain = tmp.path().join("plain");
    import_ok(&file, &plain, &["--description", "Mine."]);
    let dataset = Dataset::load(&plain).unwrap();
    assert_eq!(
        (dataset.version, dataset.description.as_str()),
        (1, "Mine.")
    );
}

/// A copy of a shipped dataset in a temporary `datasets/` folder.
fn shipped_copy(tmp: &Path, id: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets")
        .join(id);
    let to = tmp.join("datasets").join(id);
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    to
}

#[test]
fn new_bumps_the_version_beside_the_old_one_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = shipped_copy(tmp.path(), "podcast_summaries_v1");
    let result = evalgate(&["new", v1.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    let v2 = tmp.path().join("datasets/podcast_summaries_v2");
    assert_contains(
        &stdout(&result),
        &[
            "dataset `podcast_summaries_v2` version 2",
            "evalgate dataset hash",
            "[datasets.podcast_summaries_v2]",
        ],
    );
    verify_cli(&v2);
    let old = Dataset::load(&v1).unwrap();
    let new = Dataset::load(&v2).unwrap();
    assert_eq!((new.id.as_str(), new.version), ("podcast_summaries_v2", 2));
    assert_eq!(new.description, old.description);
    assert_eq!(new.items.len(), old.items.len());
    for (a, b) in old.items.iter().zip(&new.items) {
        assert_eq!(
            (&a.id, &a.hashes, &a.metadata),
            (&b.id, &b.hashes, &b.metadata)
        );
    }
    assert_ne!(
        new.content_hash, old.content_hash,
        "the id and version are content"
    );
    assert_eq!(
        read(&v1, "inputs/ep01_remote_work.txt"),
        read(&v2, "inputs/ep01_remote_work.txt")
    );

    // Again: v2 exists, so nothing is written, and the message points at the newest version.
    std::fs::write(v2.join("inputs/ep01_remote_work.txt"), "edited").unwrap();
    let again = evalgate(&["new", v1.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert_contains(
        &stderr(&again),
        &[
            "podcast_summaries_v2 already exists",
            "evalgate dataset new",
        ],
    );
    assert_eq!(read(&v2, "inputs/ep01_remote_work.txt"), "edited");

    // From the edited v2 (which no longer verifies), v3 is hashed as its texts are now.
    let result = evalgate(&["new", v2.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert_contains(
        &stderr(&result),
        &["warning:", "does not verify", "hash mismatch"],
    );
    let v3 = Dataset::load(&tmp.path().join("datasets/podcast_summaries_v3")).unwrap();
    assert_eq!(v3.version, 3);
    assert_eq!(v3.items[0].input, "edited");
}
