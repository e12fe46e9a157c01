//! Resolving the checks of the suite: built-in defaults, `[checks.<metric>]` tables and
//! `[[overrides]]` entries, into the checks of each dataset × system × metric.

use std::collections::BTreeMap;

use toml::Spanned;

use super::lines::LineIndex;
use super::raw::{RawBound, RawItemBound, RawItemBoundTable, RawVsBaseline};
use crate::checks::{Check, CheckKind, Severity};
use crate::error::{ConfigError, Error, Result};

/// Checks per kind; `None` switches a kind off.
pub(super) type CheckSet = BTreeMap<CheckKind, Option<Check>>;

/// An `[[overrides]]` entry: dataset and system filters (`None` = any), metric, checks.
#[derive(Debug, Clone)]
pub(super) struct Override {
    pub(super) dataset: Option<String>,
    pub(super) system: Option<String>,
    pub(super) metric: String,
    pub(super) checks: CheckSet,
    /// Line of each `<kind> = false`.
    pub(super) off_lines: BTreeMap<CheckKind, u32>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct CheckTable {
    pub(super) per_metric: BTreeMap<String, CheckSet>,
    /// Line of each `<kind> = false` in `[checks.<metric>]`.
    pub(super) per_metric_off_lines: BTreeMap<String, BTreeMap<CheckKind, u32>>,
    pub(super) overrides: Vec<Override>,
}

impl CheckTable {
    /// The checks of one dataset × system × metric after the defaults, `[checks.<metric>]` and
    /// the first `upto` `[[overrides]]` entries.
    pub(super) fn merged(
        &self,
        dataset: &str,
        system: &str,
        metric: &str,
        reference_based: bool,
        upto: usize,
    ) -> CheckSet {
        let mut merged = CheckSet::new();
        if reference_based {
            merged.insert(
                CheckKind::VsBaseline,
                Some(Check {
                    threshold_pct: Some(DEFAULT_MAX_DROP_PCT),
                    ..Check::new(CheckKind::VsBaseline, Severity::Error)
                }),
            );
        }
        if let Some(per) = self.per_metric.get(metric) {
            merged.extend(per.clone());
        }
        for o in self.overrides.iter().take(upto) {
            if o.applies(dataset, system, metric) {
                merged.extend(o.checks.clone());
            }
        }
        merged
    }
}

impl Override {
    /// True when the entry refines the checks of this dataset × system × metric.
    pub(super) fn applies(&self, dataset: &str, system: &str, metric: &str) -> bool {
        self.metric == metric
            && self.dataset.as_deref().is_none_or(|d| d == dataset)
            && self.system.as_deref().is_none_or(|s| s == system)
    }
}

/// What one `[checks.<metric>]` table or `[[overrides]]` entry sets.
pub(super) struct Resolved {
    pub(super) checks: CheckSet,
    /// Line of each `<kind> = false`.
    pub(super) off_lines: BTreeMap<CheckKind, u32>,
}

/// The default allowed relative drop for reference-based metrics without configured checks.
pub const DEFAULT_MAX_DROP_PCT: f64 = 1.0;

/// The check keys of one `[checks.<metric>]` table or `[[overrides]]` entry, as written.
pub(super) struct RawCheckSet<'a> {
    pub(super) min: &'a Option<Spanned<RawBound>>,
    pub(super) max: &'a Option<Spanned<RawBound>>,
    pub(super) vs: &'a Option<Spanned<RawVsBaseline>>,
    pub(super) item_min: &'a Option<Spanned<RawItemBound>>,
    pub(super) item_max: &'a Option<Spanned<RawItemBound>>,
}

/// The checks of `raw`, written under `key` (as `checks.rouge1_f1` or `overrides`).
///
/// Errors at the line of a key that is not a valid check, and at `table_line` with `when_empty`
/// when the set gives no check at all (a `<kind> = false` counts as one).
pub(super) fn resolve_checks(
    key: &str,
    raw: RawCheckSet<'_>,
    lines: &LineIndex,
    file: &str,
    table_line: u32,
    when_empty: &str,
) -> Result<Resolved> {
    let mut off_lines = BTreeMap::new();
    let RawCheckSet {
        min,
        max,
        vs,
        item_min,
        item_max,
    } = raw;
    let mut out = BTreeMap::new();
    for (kind, bound) in [(CheckKind::Min, min), (CheckKind::Max, max)] {
        let Some(bound) = bound else { continue };
        let line = lines.line(bound.span().start);
        let check = match bound.get_ref() {
            RawBound::Off(false) => {
                off_lines.insert(kind, line);
                None
            }
            RawBound::Off(true) => {
                return Err(Error::Config(ConfigError::at(
                    file,
                    line,
                    format!(
                        "`{key}.{}` = true has no bound; give a number or \
                         {{ value = .., severity = \"error\" }}, or false to switch it off",
                        kind.as_str(),
                    ),
                )));
            }
            RawBound::Value(v) => Some((*v, Severity::Error)),
            RawBound::Full(t) => Some((t.value, t.severity)),
        };
        let check = match check {
            None => None,
            Some((value, severity)) => {
                if !value.is_finite() {
                    return Err(Error::Config(ConfigError::at(
                        file,
                        line,
                        format!(
                            "`{key}.{}` must be a finite number, found {value}",
                            kind.as_str(),
                        ),
                    )));
                }
                Some(Check {
                    threshold: Some(value),
                    line: Some(line),
                    ..Check::new(kind, severity)
                })
            }
        };
        out.insert(kind, check);
    }
    for (kind, bound) in [
        (CheckKind::ItemMin, item_min),
        (CheckKind::ItemMax, item_max),
    ] {
        let Some(bound) = bound else { continue };
        let line = lines.line(bound.span().start);
        let name = kind.as_str();
        let table = match bound.get_ref() {
            RawItemBound::Off(false) => {
                out.insert(kind, None);
                off_lines.insert(kind, line);
                continue;
            }
            RawItemBound::Off(true) => {
                return Err(Error::Config(
                    ConfigError::at(
                        file,
                        line,
                        "= true has no bound; give a number or { value = .., max_failing_items = .. }, or \
                         false to switch it off",
                    )
                    .for_key(format!("{key}.{name}")),
                ));
            }
            RawItemBound::Value(v) => RawItemBoundTable {
                value: *v,
                max_failing_items: None,
                max_failing_pct: None,
                severity: Severity::Error,
                per_item_trials: false,
            },
            RawItemBound::Full(t) => t.clone(),
        };
        if !table.value.is_finite() {
            return Err(Error::Config(
                ConfigError::at(
                    file,
                    line,
                    format!("must be a finite number, found {}", table.value),
                )
                .for_key(format!("{key}.{name}")),
            ));
        }
        let max_failing_items = match table.max_failing_items {
            None => None,
            Some(n) if n >= 0 => Some(n as usize),
            Some(n) => {
                return Err(Error::Config(
                    ConfigError::at(
                        file,
                        line,
                        format!(
                            "must be a whole number >= 0, \
                             found {n}",
                        ),
                    )
                    .for_key(format!("{key}.{name}.max_failing_items")),
                ));
            }
        };
        if let Some(p) = table.max_failing_pct
            && !(0.0..=100.0).contains(&p)
        {
            return Err(Error::Config(
                ConfigError::at(
                    file,
                    line,
                    format!(
                        "must be a percentage from 0 to \
                             100, found {p}",
                    ),
                )
                .for_key(format!("{key}.{name}.max_failing_pct")),
            ));
        }
        out.insert(
            kind,
            Some(Check {
                threshold: Some(table.value),
                max_failing_items,
                max_failing_pct: table.max_failing_pct,
                per_item_trials: table.per_item_trials,
                line: Some(line),
                ..Check::new(kind, table.severity)
            }),
        );
    }
    if let Some(vs) = vs {
        let line = lines.line(vs.span().start);
        let check = match vs.get_ref() {
            RawVsBaseline::Off(false) => {
                off_lines.insert(CheckKind::VsBaseline, line);
                None
            }
            RawVsBaseline::Off(true) => {
                return Err(Error::Config(
                    ConfigError::at(
                        file,
                        line,
                        "= true has no bound; give { max_drop = .., max_drop_pct = .. }, or false to \
                         switch it off",
                    )
                    .for_key(format!("{key}.vs_baseline")),
                ));
            }
            RawVsBaseline::Full(t) => {
                if t.max_drop.is_none() && t.max_drop_pct.is_none() {
                    return Err(Error::Config(
                        ConfigError::at(
                            file,
                            line,
                            "needs `max_drop` (absolute) and/or \
                             `max_drop_pct` (percent of the baseline)",
                        )
                        .for_key(format!("{key}.vs_baseline")),
                    ));
                }
                for (name, v) in [("max_drop", t.max_drop), ("max_drop_pct", t.max_drop_pct)] {
                    if let Some(v) = v
                        && (!v.is_finite() || v < 0.0)
                    {
                        return Err(Error::Config(
                            ConfigError::at(
                                file,
                                line,
                                format!(
                                    "must be a number >= 0, \
                                         found {v}",
                                ),
                            )
                            .for_key(format!("{key}.vs_baseline.{name}")),
                        ));
                    }
                }
                Some(Check {
                    threshold: t.max_drop,
                    threshold_pct: t.max_drop_pct,
                    test: paired_test(t, key, file, line)?,
                    line: Some(line),
                    ..Check::new(CheckKind::VsBaseline, t.severity)
                })
            }
        };
        out.insert(CheckKind::VsBaseline, check);
    }
    if out.is_empty() {
        return Err(Error::Config(ConfigError::at(file, table_line, when_empty)));
    }
    Ok(Resolved {
        checks: out,
        off_lines,
    })
}

/// The paired statistical test a `vs_baseline` table names (`test`, `confidence`, `resamples`),
/// or `None` for `test = "none"` (the plain comparison of the two dataset values).
fn paired_test(
    t: &super::raw::RawVsBaselineTable,
    key: &str,
    file: &str,
    line: u32,
) -> Result<Option<crate::stats::Settings>> {
    use crate::stats::{DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, Method, SEED, Settings};
    let error = |field: &str, problem: String| {
        Error::Config(
            ConfigError::at(file, line, problem).for_key(format!("{key}.vs_baseline.{field}")),
        )
    };
    let method = match t.test.as_deref() {
        None | Some("none") => None,
        Some("paired_bootstrap") => Some(Method::PairedBootstrap),
        Some("permutation") => Some(Method::Permutation),
        Some(other) => {
            return Err(error(
                "test",
                format!(
                    "is `{other}`; use \"paired_bootstrap\", \"permutation\" or \"none\" (the \
                     plain comparison of the two values)"
                ),
            ));
        }
    };
    let Some(method) = method else {
        for (field, set) in [
            ("confidence", t.confidence.is_some()),
            ("resamples", t.resamples.is_some()),
        ] {
            if set {
                return Err(error(
                    field,
                    "applies only to a statistical test; add test = \"paired_bootstrap\" or \
                     \"permutation\", or remove it"
                        .to_string(),
                ));
            }
        }
        return Ok(None);
    };
    let confidence = t.confidence.unwrap_or(DEFAULT_CONFIDENCE);
    if !(0.5..=0.999).contains(&confidence) {
        return Err(error(
            "confidence",
            format!("is {confidence}; give a level from 0.5 to 0.999, e.g. 0.95"),
        ));
    }
    let resamples = t.resamples.unwrap_or(DEFAULT_RESAMPLES as i64);
    if !(100..=1_000_000).contains(&resamples) {
        return Err(error(
            "resamples",
            format!("is {resamples}; give a count from 100 to 1000000 (default 1000)"),
        ));
    }
    Ok(Some(Settings {
        method,
        confidence,
        resamples: resamples as usize,
        seed: SEED,
    }))
}
