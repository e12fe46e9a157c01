//! Keeps `docs/metrics.md` honest: its summary table has exactly one row per registered built-in
//! metric id, with the id's direction and reference-based flag, and its "Adding a metric"
//! example is the compiled code of `tests/metric_docs/example_metric.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use evalgate::unstable::metrics::{Direction, MetricRegistry, ScoringItem, ScoringOptions};

mod example {
    include!("metric_docs/example_metric.rs");
}

fn docs() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/metrics.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One row of the summary table.
#[derive(Debug)]
struct Row {
    line: usize,
    direction: String,
    reference_based: String,
}

/// The rows of the table whose header starts `| id | direction | reference-based |`, by id.
/// Panics (failing the test) on a malformed or duplicated row, naming its line.
fn summary_rows(text: &str) -> BTreeMap<String, Row> {
    let mut rows = BTreeMap::new();
    let mut lines = text.lines().enumerate();
    let header = lines.by_ref().find(|(_, l)| {
        l.replace(' ', "")
            .starts_with("|id|direction|reference-based|")
    });
    assert!(
        header.is_some(),
        "docs/metrics.md has no summary table with header `| id | direction | reference-based |`"
    );
    let (_, separator) = lines.next().expect("summary table separator row");
    assert!(separator.starts_with("|--"), "separator row: {separator}");
    for (index, line) in lines {
        let line_no = index + 1;
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        assert!(
            cells.len() >= 5,
            "docs/metrics.md:{line_no}: expected `| id | direction | reference-based | ...`, got {line}"
        );
        let id = cells[1].trim_matches('`').to_string();
        let row = Row {
            line: line_no,
            direction: cells[2].to_string(),
            reference_based: cells[3].to_string(),
        };
        if let Some(previous) = rows.insert(id.clone(), row) {
            panic!(
                "docs/metrics.md:{line_no}: `{id}` already has a row at line {}",
                previous.line
            );
        }
    }
    rows
}

#[test]
fn every_builtin_metric_has_a_row_with_its_direction() {
    let registry = MetricRegistry::builtin();
    let text = docs();
    let rows = summary_rows(&text);
    let mut problems = Vec::new();
    for id in registry.ids() {
        let def = registry
            .definition(id)
            .expect("listed ids have definitions");
        let Some(row) = rows.get(id) else {
            problems.push(format!(
                "`{id}` is a built-in metric but has no row in the docs/metrics.md summary table; \
                 add `| `{id}` | {} | ... |` and a section describing it",
                short(def.direction)
            ));
            continue;
        };
        if row.direction != short(def.direction) {
            problems.push(format!(
                "docs/metrics.md:{}: `{id}` is documented as `{}` but its MetricDef says `{}`",
                row.line,
                row.direction,
                short(def.direction)
            ));
        }
        let reference_based = if def.reference_based { "yes" } else { "no" };
        if row.reference_based != reference_based {
            problems.push(format!(
                "docs/metrics.md:{}: `{id}` is documented as reference-based `{}` but its \
                 MetricDef says `{reference_based}`",
                row.line, row.reference_based
            ));
        }
    }
    for (id, row) in &rows {
        if registry.definition(id).is_none() {
            problems.push(format!(
                "docs/metrics.md:{}: `{id}` is documented but not a registered built-in metric; \
                 remove the row or register the metric",
                row.line
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The table is the whole registry, not a lucky subset.
    assert_eq!(rows.len(), registry.ids().count());
}

fn short(direction: Direction) -> &'static str {
    match direction {
        Direction::HigherIsBetter => "higher",
        Direction::LowerIsBetter => "lower",
    }
}

#[test]
fn the_checker_catches_missing_rows_and_wrong_directions() {
    let text = docs();
    // A wrong direction on the `wer` row is visible to the parser.
    let flipped = text.replace("| `wer` | lower |", "| `wer` | higher |");
    assert_ne!(flipped, text, "the `wer` row has the expected layout");
    assert_eq!(summary_rows(&flipped)["wer"].direction, "higher");
    // Dropping the `bleu` row removes it from the parsed table.
    let without_bleu: String = text
        .lines()
        .filter(|l| !l.starts_with("| `bleu` |"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(summary_rows(&text).contains_key("bleu"));
    assert!(!summary_rows(&without_bleu).contains_key("bleu"));
}

#[test]
fn adding_a_metric_example_is_the_compiled_code() {
    let text = docs();
    let start = text
        .find("```rust\n")
        .expect("docs/metrics.md has a ```rust example")
        + "```rust\n".len();
    let end = start + text[start..].find("```\n").expect("closing fence");
    let example_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/metric_docs/example_metric.rs");
    let compiled = std::fs::read_to_string(&example_path).unwrap();
    assert_eq!(
        &text[start..end],
        compiled,
        "the first rust block of docs/metrics.md must equal tests/metric_docs/example_metric.rs"
    );
}

#[test]
fn example_metric_registers_and_scores() {
    let mut registry = MetricRegistry::builtin();
    registry
        .register(std::sync::Arc::new(example::EndsWithQuestion))
        .unwrap();
    let references = vec!["unused".to_string()];
    let metadata = serde_json::json!({});
    let outputs = ["Is it done?", "It is done.", "Really?  "];
    let items: Vec<ScoringItem<'_>> = outputs
        .iter()
        .map(|o| ScoringItem {
            id: "item",
            input: "input",
            prediction: o,
            references: &references,
            metadata: &metadata,
            generation: None,
        })
        .collect();
    let values = registry
        .score(&items, &["ends_with_question"], &ScoringOptions::default())
        .unwrap();
    let v = &values["ends_with_question"];
    assert_eq!(v.per_item, vec![Some(1.0), Some(0.0), Some(1.0)]);
    assert!((v.aggregate - 2.0 / 3.0).abs() < 1e-12);
    // Its id clashes with nothing built in, and registering it twice is refused.
    assert!(
        registry
            .register(std::sync::Arc::new(example::EndsWithQuestion))
            .is_err()
    );
}
