//! The `evalgate score` contract: output shape and order, `--corpus`, `--metrics`, bad input.

use std::process::Command;

fn score(input: &str, extra: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pairs.jsonl");
    std::fs::write(&path, input).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .arg("score")
        .arg("--input")
        .arg(&path)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const PAIRS: &str = "{\"id\": \"a\", \"prediction\": \"the cat sat on the mat\", \"reference\": \"the cat sat on a mat\", \"extra\": 1}\n\n{\"id\": \"b\", \"prediction\": \"running dogs\", \"reference\": \"the dog runs\"}\n";

#[test]
fn one_object_per_line_in_input_order_with_every_metric() {
    let (code, out, err) = score(PAIRS, &[]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[1]["id"], "b");
    let keys: Vec<&str> = lines[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec!["id"];
    for r in ["rouge1", "rouge2", "rougeL", "rougeLsum"] {
        for s in ["precision", "recall", "f1"] {
            expected.push(Box::leak(format!("{r}_{s}").into_boxed_str()));
        }
    }
    expected.extend(["bleu", "chrf", "wer", "cer", "mer", "wil"]);
    assert_eq!(keys, expected);
    // One substitution in six words.
    assert!((lines[0]["wer"].as_f64().unwrap() - 1.0 / 6.0).abs() < 1e-12);
    assert!((lines[0]["rouge1_f1"].as_f64().unwrap() - 5.0 / 6.0).abs() < 1e-12);
}

#[test]
fn stemmer_changes_rouge_only_when_asked() {
    let (_, plain, _) = score(PAIRS, &["--metrics", "rouge1_f1"]);
    let (_, stemmed, _) = score(PAIRS, &["--metrics", "rouge1_f1", "--stemmer"]);
    let b_plain: serde_json::Value = serde_json::from_str(plain.lines().nth(1).unwrap()).unwrap();
    let b_stem: serde_json::Value = serde_json::from_str(stemmed.lines().nth(1).unwrap()).unwrap();
    assert_eq!(b_plain.as_object().unwrap().len(), 2);
    assert_eq!(b_plain["rouge1_f1"].as_f64().unwrap(), 0.0);
    // "running dogs" vs "the dog runs": stems run/dog match both words.
    assert!((b_stem["rouge1_f1"].as_f64().unwrap() - 0.8).abs() < 1e-12);
}

#[test]
fn corpus_gives_one_object_and_groups_select_metrics() {
    let (code, out, _) = score(PAIRS, &["--corpus"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["bleu", "chrf", "wer", "cer", "mer", "wil"]);
    // Pooled: (1 + 3) errors over (6 + 3) reference words.
    assert!(
        (v["wer"].as_f64().unwrap() - 4.0 / 9.0).abs() < 1e-12,
        "{v}"
    );
    let (_, out, _) = score(PAIRS, &["--metrics", "wer,bleu"]);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "bleu", "wer", "cer", "mer", "wil"]);
}

#[test]
fn bad_input_exits_2_with_file_and_line() {
    for (input, expected) in [
        (
            "{\"id\": \"a\", \"prediction\": \"x\", \"reference\": \"y\"}\n{\"id\": \"b\", \"prediction\": \"x\"}\n",
            ":2: missing field `reference`",
        ),
        (
            "{\"id\": \"a\", \"prediction\": \"x\", \"reference\": \"y\"}\nnot json\n",
            ":2: not valid JSON",
        ),
        (
            "{\"prediction\": \"x\", \"reference\": \"y\"}\n",
            ":1: missing field `id`",
        ),
        (
            "{\"id\": \"a\", \"prediction\": 3, \"reference\": \"y\"}\n",
            ":1: field `prediction` must be a string",
        ),
    ] {
        let (code, out, err) = score(input, &[]);
        assert_eq!(code, 2, "{input}");
        assert!(out.is_empty());
        assert!(
            err.contains("pairs.jsonl") && err.contains(expected),
            "expected `{expected}` in: {err}"
        );
    }
    let (code, _, err) = score(PAIRS, &["--metrics", "rouge3"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown metric `rouge3`"), "{err}");
}

#[test]
fn a_byte_order_mark_is_read_as_utf_8_sig_and_bad_bytes_name_their_line() {
    let (plain_code, plain, _) = score(PAIRS, &[]);
    let (code, out, err) = score(&format!("\u{feff}{PAIRS}"), &[]);
    assert_eq!((plain_code, code), (0, 0), "{err}");
    assert_eq!(out, plain, "the mark changes nothing");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pairs.jsonl");
    let mut bytes = PAIRS.as_bytes().to_vec();
    bytes.extend_from_slice(b"{\"id\": \"c\", \"prediction\": \"\xff\", \"reference\": \"x\"}\n");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["score", "--input"])
        .arg(&path)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not UTF-8 text: invalid bytes at line 4"),
        "{err}"
    );
}
