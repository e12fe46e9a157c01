//! What changed in a system between its baseline and this run, in words.
//!
//! A system's configuration is the JSON its [`System::fingerprint`](crate::systems::System)
//! returns (parameters, prompts, model, command, and the files it reads with their hashes). The
//! baseline keeps it, so a run can say *what* changed — `params.sentences 3 → 2`,
//! `file summarize.py changed` — instead of comparing two opaque hashes.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Most files a configuration lists one by one; beyond that it keeps a digest and a count.
pub const MAX_LISTED_FILES: usize = 200;

/// Most changes described; the rest are counted.
pub const MAX_CHANGES_SHOWN: usize = 12;

/// Strings longer than this (prompts) are reported as changed without their text.
const MAX_SHOWN_VALUE_CHARS: usize = 60;

/// Adds the files a system reads to its configuration object: `"files": {path: hash}` when there
/// are at most [`MAX_LISTED_FILES`], otherwise `"files_digest"` (over all paths and hashes) and
/// `"files_count"`, so a baseline stays reviewable.
pub fn insert_files(config: &mut Value, files: &BTreeMap<String, String>) {
    let Some(object) = config.as_object_mut() else {
        return;
    };
    if files.len() <= MAX_LISTED_FILES {
        let map: Map<String, Value> = files
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        object.insert("files".into(), Value::Object(map));
    } else {
        let listing: String = files.iter().map(|(k, v)| format!("{k}\t{v}\n")).collect();
        object.insert(
            "files_digest".into(),
            Value::String(crate::fsutil::sha256_hex(listing.as_bytes())),
        );
        object.insert("files_count".into(), Value::from(files.len()));
    }
}

/// The changes from `baseline` to `current`, one phrase each, in key order; empty when equal.
/// Files are named (`file helpers.py changed`, `file new.py added`, `file old.py removed`);
/// other keys show both values when short (`params.sentences 3 → 2`, `model "a" → "b"`).
pub fn describe(baseline: &Value, current: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff("", baseline, current, &mut out);
    if out.len() > MAX_CHANGES_SHOWN {
        let more = out.len() - MAX_CHANGES_SHOWN;
        out.truncate(MAX_CHANGES_SHOWN);
        out.push(format!("and {more} more"));
    }
    out
}

fn diff(path: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let child = join(path, key);
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) if path.is_empty() && key == "files" => {
                        files_diff(x, y, out)
                    }
                    (Some(x), Some(y)) => diff(&child, x, y, out),
                    (None, Some(Value::Null)) | (Some(Value::Null), None) => {}
                    (None, Some(y)) if path.is_empty() && key == "files" => {
                        files_diff(&Value::Object(Map::new()), y, out)
                    }
                    (Some(x), None) if path.is_empty() && key == "files" => {
                        files_diff(x, &Value::Object(Map::new()), out)
                    }
                    (None, Some(y)) => out.push(format!("{child} added ({})", shown(y))),
                    (Some(x), None) => out.push(format!("{child} removed (was {})", shown(x))),
                    (None, None) => {}
                }
            }
        }
        _ if path == "files_digest" => out.push(
            "some of the system's input files changed (too many to list them one by one; set \
             `inputs` to the files the program reads)"
                .to_string(),
        ),
        _ if is_long(old) || is_long(new) => out.push(format!("{} changed", name(path))),
        _ => out.push(format!("{} {} → {}", name(path), shown(old), shown(new))),
    }
}

fn files_diff(old: &Value, new: &Value, out: &mut Vec<String>) {
    let empty = Map::new();
    let a = old.as_object().unwrap_or(&empty);
    let b = new.as_object().unwrap_or(&empty);
    let paths: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for path in paths {
        let shown = crate::outside::escaped(path, 200);
        match (a.get(path), b.get(path)) {
            (Some(x), Some(y)) if x != y => out.push(format!("file {shown} changed")),
            (None, Some(_)) => out.push(format!("file {shown} added")),
            (Some(_), None) => out.push(format!("file {shown} removed")),
            _ => {}
        }
    }
}

/// `path.key`, the key quoted as outside text: one visible line (it comes from the suite file or
/// a file name, and ends up in messages).
fn join(path: &str, key: &str) -> String {
    let key = crate::outside::escaped(key, 120);
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

fn name(path: &str) -> &str {
    if path.is_empty() {
        "configuration"
    } else {
        path
    }
}

fn is_long(value: &Value) -> bool {
    match value {
        Value::String(s) => s.chars().count() > MAX_SHOWN_VALUE_CHARS || s.contains('\n'),
        Value::Array(_) | Value::Object(_) => {
            value.to_string().chars().count() > MAX_SHOWN_VALUE_CHARS
        }
        _ => false,
    }
}

fn shown(value: &Value) -> String {
    match value {
        Value::Null => "none".to_string(),
        _ if is_long(value) => "…".to_string(),
        other => crate::outside::escaped(&other.to_string(), 120),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_keys_values_and_files() {
        let old = json!({
            "kind": "command", "params": {"sentences": 3, "style": "brief"},
            "command": ["python3", "s.py"],
            "prompt": "Summarise the meeting in three sentences, plainly, for a busy reader.",
            "files": {"s.py": "git:1", "helpers.py": "git:2", "old.py": "git:3"}
        });
        let new = json!({
            "kind": "command", "params": {"sentences": 2, "temperature": 0.5},
            "command": ["python3", "s2.py"],
            "prompt": "Summarise the meeting in two sentences, plainly, for a busy reader.",
            "files": {"s.py": "git:1", "helpers.py": "git:9", "new.py": "git:4"}
        });
        assert_eq!(
            describe(&old, &new),
            [
                "command [\"python3\",\"s.py\"] → [\"python3\",\"s2.py\"]",
                "file helpers.py changed",
                "file new.py added",
                "file old.py removed",
                "params.sentences 3 → 2",
                "params.style removed (was \"brief\")",
                "params.temperature added (0.5)",
                "prompt changed",
            ]
        );
        assert!(describe(&new, &new).is_empty());
    }

    #[test]
    fn large_file_sets_keep_a_digest_and_long_lists_are_counted() {
        let many: BTreeMap<String, String> = (0..=MAX_LISTED_FILES)
            .map(|i| (format!("f{i}.py"), format!("git:{i}")))
            .collect();
        let mut a = json!({"kind": "command"});
        insert_files(&mut a, &many);
        assert!(a.get("files").is_none());
        assert_eq!(a["files_count"], json!(MAX_LISTED_FILES + 1));
        let mut changed = many.clone();
        changed.insert("f0.py".into(), "git:x".into());
        let mut b = json!({"kind": "command"});
        insert_files(&mut b, &changed);
        let changes = describe(&a, &b);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].contains("input files changed"), "{changes:?}");

        let old = json!({"files": {}});
        let new_files: Map<String, Value> = (0..20)
            .map(|i| (format!("n{i:02}.py"), json!("git:1")))
            .collect();
        let changes = describe(&old, &json!({ "files": new_files }));
        assert_eq!(changes.len(), MAX_CHANGES_SHOWN + 1);
        assert_eq!(changes.last().unwrap(), "and 8 more");
    }
}
