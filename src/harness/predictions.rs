//! The predictions files: what each system produced in a run, one JSON line per item in dataset
//! order, at `<output dir>/predictions/<dataset>/<system>.jsonl` (results.json names each file
//! in its evaluation's `predictions_file`).
//!
//! A line is `{"id", "prediction", "metrics": {metric id: value or null}, "cached"}`; with
//! several samples per item it adds `"samples": [{"sample", "prediction", "cached"}, ...]` and
//! `prediction` / `cached` are sample 0's. `metrics` holds the item values of results.json
//! (`per_item`) of every metric computed. Under nextest several processes may write the same
//! file; each write is atomic (a temporary file renamed over it), so readers see one whole file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Result;
use crate::evaluation::Evaluation;

/// The predictions file of `dataset` × `system` under the output folder.
pub(crate) fn path(output_dir: &Path, dataset: &str, system: &str) -> PathBuf {
    output_dir
        .join("predictions")
        .join(segment(dataset))
        .join(format!("{}.jsonl", segment(system)))
}

/// A dataset id or system name as a path segment. Config validation allows only letters,
/// digits, `_`, `-` and `.` and no `_` at either end, so names are file names as they are, except
/// the names made of dots only (`.`, `..`), which are written as `_2e` per dot: no valid name
/// starts with `_`, so the mapping stays injective.
fn segment(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c == '.') {
        "_2e".repeat(name.len())
    } else {
        name.to_string()
    }
}

#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    prediction: &'a str,
    metrics: BTreeMap<&'a str, Option<f64>>,
    cached: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    samples: Option<Vec<SampleLine<'a>>>,
}

#[derive(Serialize)]
struct SampleLine<'a> {
    sample: usize,
    prediction: &'a str,
    cached: bool,
}

/// The file's text: one line per item, in dataset order.
pub(crate) fn render(evaluation: &Evaluation) -> String {
    let mut out = String::new();
    for (n, item) in evaluation.dataset.items.iter().enumerate() {
        let outputs = evaluation.generations.get(n).map_or(&[][..], Vec::as_slice);
        let cached = evaluation.cached.get(n).map_or(&[][..], Vec::as_slice);
        let cached_at = |k: usize| cached.get(k).copied().unwrap_or(false);
        let line = Line {
            id: &item.id,
            prediction: outputs.first().map_or("", |g| g.output.as_str()),
            metrics: evaluation
                .metrics
                .iter()
                .map(|(id, values)| {
                    let value = values.per_item.get(n).copied().flatten();
                    (id.as_str(), value.filter(|v| v.is_finite()))
                })
                .collect(),
            cached: cached_at(0),
            samples: (evaluation.samples > 1).then(|| {
                outputs
                    .iter()
                    .enumerate()
                    .map(|(k, g)| SampleLine {
                        sample: k,
                        prediction: &g.output,
                        cached: cached_at(k),
                    })
                    .collect()
            }),
        };
        out.push_str(&serde_json::to_string(&line).expect("predictions serialize"));
        out.push('\n');
    }
    out
}

/// Writes the predictions file of a computed evaluation, atomically.
pub(crate) fn write(output_dir: &Path, evaluation: &Evaluation) -> Result<PathBuf> {
    let file = path(output_dir, &evaluation.dataset.id, &evaluation.system);
    crate::fsutil::write_atomic(&file, render(evaluation).as_bytes())?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::{path, segment};
    use std::path::Path;

    #[test]
    fn segments_are_injective_and_stay_inside() {
        assert_eq!(segment("news_v1"), "news_v1");
        assert_eq!(segment("a.b-c"), "a.b-c");
        assert_eq!(segment("."), "_2e");
        assert_eq!(segment(".."), "_2e_2e");
        assert_eq!(segment("..."), "_2e_2e_2e");
        assert_eq!(
            path(Path::new("out"), "..", "."),
            Path::new("out/predictions/_2e_2e/_2e.jsonl")
        );
    }
}
