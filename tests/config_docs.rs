//! The example in docs/configuration.md is a valid suite: every key it shows exists.

use std::path::Path;

use evalgate::results::CheckKind;
use evalgate::unstable::config::Suite;
use evalgate::unstable::metrics::MetricRegistry;

#[test]
fn the_documented_example_suite_parses() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md"),
    )
    .unwrap();
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let text = &doc[start..end];
    let path = Path::new("evalgate.toml");
    let registry = MetricRegistry::builtin();
    let suite = Suite::parse(path, text, &registry).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(suite.tiers.len(), 2);
    let def = registry.definition("rougeL_f1").unwrap();
    let lead3 = suite.checks_for("podcast_summaries_v1", "lead3", def);
    // The override switches `min` off and replaces `vs_baseline`; `max` and `item_min` stay.
    let kinds: Vec<CheckKind> = lead3.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [CheckKind::Max, CheckKind::VsBaseline, CheckKind::ItemMin]
    );
    assert_eq!(lead3[1].threshold, Some(0.05));
    assert_eq!(lead3[2].max_failing_items, Some(2));
    let leak = registry.definition("speaker_label_leak").unwrap();
    let leak_checks = suite.checks_for("podcast_summaries_v1", "lead3", leak);
    assert_eq!(leak_checks[0].kind, CheckKind::ItemMax);
    assert!(leak_checks[0].per_item_trials);
    assert_eq!(leak_checks[0].max_failing_pct, Some(5.0));
}
