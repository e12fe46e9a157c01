//! The table a run prints at its end (stderr): snapshots over the standard report scenarios,
//! plus the properties a console reader relies on (width, no `FAILED`, intervals).

mod report_support;

use evalgate::unstable::report::console::render;
use report_support::{SCENARIOS, run, scenario};

#[test]
fn console_snapshots() {
    for name in SCENARIOS {
        insta::assert_snapshot!(format!("console_{name}"), render(&scenario(name)));
    }
}

#[test]
fn console_table_fits_100_columns_and_never_says_failed() {
    for name in SCENARIOS {
        let text = render(&scenario(name));
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{name}: too wide: {line}");
        }
        assert!(!text.contains("FAILED"), "{name}:\n{text}");
    }
}

#[test]
fn inconclusive_rows_show_the_interval_and_the_mark() {
    let text = render(&scenario("inconclusive"));
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("rouge1_f1 ↑"))
        .unwrap_or_else(|| panic!("no rouge1_f1 row in\n{text}"));
    assert!(row.contains("[-0.035, +0.012]"), "{row}");
    assert!(row.ends_with("inconclusive"), "{row}");
    let regression = text
        .lines()
        .find(|l| l.trim_start().starts_with("rougeL_f1 ↑"))
        .unwrap();
    assert!(regression.ends_with("regression"), "{regression}");
}

#[test]
fn nothing_computed_prints_nothing() {
    assert_eq!(render(&run(Vec::new())), "");
}
