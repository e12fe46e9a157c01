//! JUnit XML for CI reporters: one testcase per trial, `<failure>` for error regressions,
//! `<skipped>` with the reason for warnings and ignored trials, `file`/`line` attributes pointing
//! at the baseline or config file, and properties carrying the numbers.
//!
//! Every string is written through [`xml_text`], so the document stays XML whatever a message
//! quotes (control characters, `U+FFFF`, escape sequences from a child's stderr).

use std::path::Path;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::error::{ReportError, Result};
use crate::numbers::fmt;
use crate::outside::xml_text;
use crate::results::{CheckStatus, RunResults};

/// A trial that was listed but not run (ignored tier), with its reason.
#[derive(Debug, Clone)]
pub struct SkippedTrial {
    /// Trial name.
    pub name: String,
    /// Why it did not run.
    pub reason: String,
}

/// Writes the JUnit report for the checks of `results` (trials that ran) and `skipped`
/// (statically ignored). A check of a system that changed since its baseline carries the changes
/// in a `system_changes` property.
pub fn write(
    path: &Path,
    suite_name: &str,
    results: &RunResults,
    skipped: &[SkippedTrial],
) -> Result<()> {
    let mut suite = TestSuite::new(xml_text(suite_name));
    let with_changes = results.evaluations.iter().flat_map(|p| {
        p.checks
            .iter()
            .map(move |c| (c, p.baseline.system_changes.as_slice()))
    });
    let others = results.other_checks.iter().map(|c| (c, &[][..]));
    for (c, system_changes) in with_changes.chain(others) {
        let mut status = match c.status {
            CheckStatus::Passed => TestCaseStatus::success(),
            CheckStatus::Failed => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(xml_text(&c.message)).set_type("regression");
                s
            }
            CheckStatus::Warned | CheckStatus::Inconclusive | CheckStatus::Ignored => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(xml_text(&c.message));
                s
            }
        };
        if c.status == CheckStatus::Failed {
            status.set_description(xml_text(&c.message));
        }
        let mut case = TestCase::new(xml_text(&c.trial), status);
        let classname = c.trial.rsplitn(3, "::").nth(2).unwrap_or(&c.trial);
        case.set_classname(xml_text(classname));
        case.extra.insert("file".into(), xml_text(&c.file).into());
        if let Some(line) = c.line {
            case.extra.insert("line".into(), line.to_string().into());
        }
        let mut props = vec![
            Property::new("metric", xml_text(&c.metric)),
            Property::new("check", c.kind.as_str()),
            Property::new("severity", format!("{:?}", c.severity).to_lowercase()),
        ];
        if let Some(direction) = c.direction {
            props.push(Property::new("direction", direction.label()));
        }
        if let Some(item) = &c.item {
            props.push(Property::new("item", xml_text(item)));
        }
        if !system_changes.is_empty() {
            props.push(Property::new(
                "system_changes",
                xml_text(&system_changes.join("; ")),
            ));
        }
        for (name, v) in [
            ("value", c.value),
            ("baseline", c.baseline),
            ("delta", c.delta),
            ("threshold", c.threshold),
            ("threshold_pct", c.threshold_pct),
        ] {
            if let Some(v) = v {
                props.push(Property::new(name, fmt(v)));
            }
        }
        if c.status == CheckStatus::Inconclusive {
            props.push(Property::new("status", "inconclusive"));
        }
        if let Some(t) = &c.test {
            let method = match t.method {
                crate::stats::Method::PairedBootstrap => "paired_bootstrap",
                crate::stats::Method::Permutation => "permutation",
            };
            props.push(Property::new("test", method));
            props.push(Property::new(
                "test_decision",
                format!("{:?}", t.decision).to_lowercase(),
            ));
            for (name, v) in [
                ("confidence", t.confidence),
                ("delta_lo", t.delta_lo),
                ("delta_hi", t.delta_hi),
                ("allowed_worsening", t.allowed_worsening),
                ("mde", t.mde),
            ] {
                props.push(Property::new(name, fmt(v)));
            }
            props.push(Property::new("n_items", t.n_items.to_string()));
            props.push(Property::new("n_samples", t.n_samples.to_string()));
            props.push(Property::new("resamples", t.resamples.to_string()));
            if let Some(p) = t.p_value {
                props.push(Property::new("p_value", fmt(p)));
            }
        }
        case.add_properties(props);
        suite.add_test_case(case);
    }
    for s in skipped {
        let mut status = TestCaseStatus::skipped();
        status.set_message(xml_text(&s.reason));
        let mut case = TestCase::new(xml_text(&s.name), status);
        case.set_classname(xml_text(s.name.rsplitn(3, "::").nth(2).unwrap_or(&s.name)));
        suite.add_test_case(case);
    }
    let mut report = Report::new("evalgate");
    report.add_test_suite(suite);
    let xml = report.to_string().map_err(|e| {
        crate::Error::Report(ReportError::new(format!("cannot render JUnit XML: {e}")))
    })?;
    crate::fsutil::write_atomic(path, xml.as_bytes())
}
