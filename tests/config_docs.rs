//! The example in docs/configuration.md is a valid suite: every key it shows exists.

use std::path::Path;

use evalgate::config::Suite;
use evalgate::metrics::MetricRegistry;
use evalgate::results::CheckKind;

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
    let mut registry = MetricRegistry::builtin();
    evalgate::metrics::external::register_from_suite_text(text, path, &mut registry).unwrap();
    let suite = Suite::parse(path, text, &registry).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(suite.tiers.len(), 2);
    let def = registry.definition("rougeL_f1").unwrap();
    let lead3 = suite.checks_for("podcast_summaries_v1", "lead3", def);
    // The override switches `min` off and replaces `vs_baseline`; `max` stays.
    let kinds: Vec<CheckKind> = lead3.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [CheckKind::Max, CheckKind::VsBaseline]);
    assert_eq!(lead3[1].threshold, Some(0.05));
}
