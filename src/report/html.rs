//! The HTML dashboard (`evalgate report html`): one self-contained page per run, read from
//! results.json, the predictions files, the baseline snapshots, the datasets and optionally a
//! second run (`--compare`) and the run history (`--history`).
//!
//! [`gather`] joins the files into a plain view model ([`Dashboard`]); [`render`] only lays it
//! out. Optional files that are missing or unreadable (a predictions file, a baseline, a
//! dataset) never fail the page: the part they feed says so ("input not available") and the
//! page lists them under *Notes*.
//!
//! The page works offline and opened from disk: CSS, the small sorting script and the SVG
//! charts are inline, with no fonts, images or scripts from elsewhere, under a content security
//! policy that forbids loading anything (`default-src 'none'`). Nothing from the data is put into
//! the script: tables are sorted from `data-v` attributes.
//!
//! Templating uses askama: the template (`templates/dashboard.html`) is compiled into the crate
//! and checked at build time against the view model's fields, and every `{{ value }}` is
//! HTML-escaped by default, so a model output, an item id or a dataset text is always shown as
//! text; the only value written unescaped (`|safe`) is the chart SVG that [`super::chart`]
//! renders, whose labels plotters escapes. It is a compile-time dependency only (no template
//! files read at run time, no runtime engine), unlike minijinja, and its templates stay
//! HTML files readable as such, unlike maud's macros.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use askama::Template;

use crate::dataset::Dataset;
use crate::diff::{WordChange, word_changes};
use crate::error::{Error, ReportError, Result};
use crate::history::HistoryRecord;
use crate::metrics::Direction;
use crate::report::chart;
use crate::report::markdown::{number, signed};
use crate::results::{CheckKind, CheckResult, CheckStatus, EvaluationResults, RunResults, Summary};

/// Items shown in one evaluation's drill-down (the worst ones); the rest are counted.
pub const MAX_ITEMS_SHOWN: usize = 200;

/// Chart size in the page, in pixels (the SVG scales to the column width).
const CHART_SIZE: (u32, u32) = (640, 260);

/// What [`gather`] reads.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The run shown.
    pub results: &'a RunResults,
    /// The folder the results' relative paths (predictions files, baselines, the suite
    /// configuration) are relative to: the project (repository) root.
    pub root: &'a Path,
    /// A second run to compare with (`--compare`), with the label to show for it (its file
    /// name).
    pub compare: Option<(&'a str, &'a RunResults)>,
    /// The run history (`--history`), in file order.
    pub history: Option<&'a [HistoryRecord]>,
}

/// The whole page's data.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Counts from results.json's `summary`.
    pub summary: Summary,
    /// The run's commit.
    pub commit: Option<String>,
    /// Tiers of the run's checks, in first-seen order.
    pub tiers: Vec<String>,
    /// RFC 3339 start of the run.
    pub started_at: String,
    /// RFC 3339 end of the run.
    pub finished_at: String,
    /// evalgate version that wrote the results.
    pub evalgate_version: String,
    /// The suite configuration file.
    pub config_path: String,
    /// One row per dataset × system × metric, regressions first.
    pub rows: Vec<MetricRow>,
    /// Checks about no evaluation of this run (`stale_baseline` checks of other tiers).
    pub other_checks: Vec<OtherCheck>,
    /// One drill-down section per dataset × system, in results order.
    pub evaluations: Vec<EvaluationView>,
    /// The comparison with `--compare`'s run.
    pub comparison: Option<Comparison>,
    /// Trend charts from `--history`, one per dataset × system × metric.
    pub charts: Vec<ChartView>,
    /// Runs in the history (0 without `--history`).
    pub history_runs: usize,
    /// Optional files that could not be used, and why.
    pub notes: Vec<String>,
}

/// One metric of one dataset × system.
#[derive(Debug, Clone)]
pub struct MetricRow {
    /// Dataset id.
    pub dataset: String,
    /// System name.
    pub system: String,
    /// Metric id.
    pub metric: String,
    /// `↑` (higher is better) or `↓`.
    pub arrow: &'static str,
    /// Baseline value.
    pub baseline: Option<f64>,
    /// Current value.
    pub current: Option<f64>,
    /// `current − baseline`.
    pub delta: Option<f64>,
    /// Δ's confidence interval and level from the vs-baseline check's paired test.
    pub interval: Option<(f64, f64, f64)>,
    /// Worst status of the metric's checks (`None`: no check).
    pub status: Option<CheckStatus>,
    /// Message of the check that decided the status (empty when passed).
    pub message: String,
    /// Anchor of the evaluation's drill-down section.
    pub anchor: String,
}

/// A check that belongs to no evaluation of the run.
#[derive(Debug, Clone)]
pub struct OtherCheck {
    /// Full trial name.
    pub trial: String,
    /// Outcome.
    pub status: CheckStatus,
    /// Explanation.
    pub message: String,
}

impl OtherCheck {
    /// The status label.
    pub fn status_label(&self) -> &'static str {
        status_label(Some(self.status))
    }

    /// The CSS class of the status.
    pub fn status_class(&self) -> String {
        format!("s-{}", status_label(Some(self.status)).replace(' ', "-"))
    }
}

/// Sorting rank of a status: regressions first.
fn status_rank(status: Option<CheckStatus>) -> u8 {
    match status {
        Some(CheckStatus::Failed) => 0,
        Some(CheckStatus::Warned) => 1,
        Some(CheckStatus::Inconclusive) => 2,
        Some(CheckStatus::Passed) => 3,
        Some(CheckStatus::Ignored) => 4,
        None => 5,
    }
}

/// The label and CSS class of a status.
fn status_label(status: Option<CheckStatus>) -> &'static str {
    match status {
        Some(CheckStatus::Failed) => "regression",
        Some(CheckStatus::Warned) => "warning",
        Some(CheckStatus::Inconclusive) => "inconclusive",
        Some(CheckStatus::Passed) => "passed",
        Some(CheckStatus::Ignored) => "ignored",
        None => "no check",
    }
}

fn arrow(direction: Direction) -> &'static str {
    match direction {
        Direction::HigherIsBetter => "↑",
        Direction::LowerIsBetter => "↓",
    }
}

fn opt_number(v: Option<f64>) -> String {
    v.map(number).unwrap_or_else(|| "—".to_string())
}

/// A sort key for a `data-v` attribute: the number, or empty.
fn sort_key(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map(|v| format!("{v}"))
        .unwrap_or_default()
}

impl MetricRow {
    /// The message's first clause (`bleu worsened from 7.27 (baseline) to 0.22 (Δ …)`), shown
    /// in the row; [`MetricRow::message_rest`] holds the rest (allowed worsening, worst items,
    /// output diffs, the trial), shown collapsed.
    pub fn message_head(&self) -> &str {
        self.message_split().0
    }

    /// Everything after [`MetricRow::message_head`] (empty when the message is one clause).
    pub fn message_rest(&self) -> &str {
        self.message_split().1
    }

    /// Splits at the first `; ` outside brackets and parentheses (a trial reference such as
    /// `[smoke::…::max; see evalgate.toml:12]` stays whole).
    fn message_split(&self) -> (&str, &str) {
        let mut depth = 0i32;
        for (i, c) in self.message.char_indices() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                ';' if depth == 0 && self.message[i + 1..].starts_with(' ') => {
                    return (&self.message[..i], &self.message[i + 2..]);
                }
                _ => {}
            }
        }
        (&self.message, "")
    }

    /// The status label (`regression`, `warning`, `inconclusive`, `passed`, `ignored`,
    /// `no check`).
    pub fn status_label(&self) -> &'static str {
        status_label(self.status)
    }

    /// The CSS class of the status.
    pub fn status_class(&self) -> String {
        format!("s-{}", status_label(self.status).replace(' ', "-"))
    }

    /// The status' sort rank (0 = regression).
    pub fn status_rank(&self) -> u8 {
        status_rank(self.status)
    }

    /// The baseline value as shown.
    pub fn baseline_text(&self) -> String {
        opt_number(self.baseline)
    }

    /// The current value as shown.
    pub fn current_text(&self) -> String {
        opt_number(self.current)
    }

    /// Δ as shown, with its interval when known: `-0.0312 [-0.05, -0.012] 95%`.
    pub fn delta_text(&self) -> String {
        let Some(delta) = self.delta else {
            return "—".to_string();
        };
        match self.interval {
            Some((lo, hi, confidence)) => format!(
                "{} [{}, {}] {}%",
                signed(delta),
                signed(lo),
                signed(hi),
                number(confidence * 100.0)
            ),
            None => signed(delta),
        }
    }

    /// Sort key of the baseline column.
    pub fn baseline_key(&self) -> String {
        sort_key(self.baseline)
    }

    /// Sort key of the current column.
    pub fn current_key(&self) -> String {
        sort_key(self.current)
    }

    /// Sort key of the Δ column.
    pub fn delta_key(&self) -> String {
        sort_key(self.delta)
    }
}

/// The drill-down of one dataset × system.
#[derive(Debug, Clone)]
pub struct EvaluationView {
    /// Dataset id.
    pub dataset: String,
    /// Dataset version.
    pub dataset_version: u32,
    /// System name.
    pub system: String,
    /// HTML id of the section.
    pub anchor: String,
    /// Worst status of its checks.
    pub status: Option<CheckStatus>,
    /// Why the evaluation could not be computed.
    pub error: Option<String>,
    /// Baseline snapshot file.
    pub baseline_file: String,
    /// What changed in the system's configuration since the baseline.
    pub system_changes: Vec<String>,
    /// The metric items are ordered by (worst first).
    pub sort_metric: Option<String>,
    /// The worst items, at most [`MAX_ITEMS_SHOWN`].
    pub items: Vec<ItemView>,
    /// Items left out beyond [`MAX_ITEMS_SHOWN`].
    pub items_omitted: usize,
}

impl EvaluationView {
    /// The status label.
    pub fn status_label(&self) -> &'static str {
        status_label(self.status)
    }

    /// The CSS class of the status.
    pub fn status_class(&self) -> String {
        format!("s-{}", status_label(self.status).replace(' ', "-"))
    }
}

/// One item of an evaluation.
#[derive(Debug, Clone)]
pub struct ItemView {
    /// Item id.
    pub id: String,
    /// The sort metric's value as shown (with the baseline's when known), for the summary line.
    pub headline: String,
    /// Every metric's value on the item.
    pub metrics: Vec<ItemMetric>,
    /// The input text (`None`: the dataset could not be loaded).
    pub input: Option<String>,
    /// The reference texts (empty when unknown or reference-free; see `input`).
    pub references: Vec<String>,
    /// This run's prediction (`None`: no predictions file).
    pub prediction: Option<String>,
    /// The baseline's prediction (`None`: no baseline or it keeps no predictions).
    pub baseline_prediction: Option<String>,
    /// Word diff baseline → current (empty when equal or either is unknown).
    pub diff: Vec<DiffSpan>,
}

/// One metric on one item.
#[derive(Debug, Clone)]
pub struct ItemMetric {
    /// Metric id and direction arrow.
    pub metric: String,
    /// Value in this run, as shown.
    pub value: String,
    /// Value in the baseline, as shown (`—` when unknown).
    pub baseline: String,
    /// Whether the item got worse than in the baseline.
    pub worse: bool,
}

/// A run of a word diff for the page.
#[derive(Debug, Clone)]
pub struct DiffSpan {
    /// `same`, `del` or `ins`.
    pub kind: &'static str,
    /// The words.
    pub text: String,
}

/// The comparison of two runs.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Label of the second run (B).
    pub other_label: String,
    /// Commit of the second run.
    pub other_commit: Option<String>,
    /// Evaluations paired across the runs.
    pub pairs: Vec<ComparedPair>,
    /// `dataset/system` only in this run (A).
    pub only_here: Vec<String>,
    /// `dataset/system` only in the other run (B).
    pub only_other: Vec<String>,
}

/// One dataset × system in both runs (the systems may differ, see [`gather`]).
#[derive(Debug, Clone)]
pub struct ComparedPair {
    /// Dataset id.
    pub dataset: String,
    /// System in run A (this run).
    pub system_a: String,
    /// System in run B.
    pub system_b: String,
    /// Metrics present in both.
    pub metrics: Vec<ComparedMetric>,
}

/// One metric of a compared pair.
#[derive(Debug, Clone)]
pub struct ComparedMetric {
    /// Metric id.
    pub metric: String,
    /// `↑` or `↓`.
    pub arrow: &'static str,
    /// Value in A, as shown.
    pub a: String,
    /// Value in B, as shown.
    pub b: String,
    /// `B − A`, as shown.
    pub delta: String,
    /// Items where A is better.
    pub a_wins: usize,
    /// Items where B is better.
    pub b_wins: usize,
    /// Items with equal values.
    pub ties: usize,
}

/// One trend chart.
#[derive(Debug, Clone)]
pub struct ChartView {
    /// Dataset id.
    pub dataset: String,
    /// System name.
    pub system: String,
    /// Metric id.
    pub metric: String,
    /// Points drawn (one per run).
    pub points: usize,
    /// Points of runs where the metric's trial failed.
    pub failed: usize,
    /// The SVG document.
    pub svg: String,
}

/// Joins the run with its predictions, baselines, datasets, the compared run and the history
/// into the page's data. Never fails: an optional file that cannot be used adds a note.
pub fn gather(sources: &Sources<'_>) -> Dashboard {
    let results = sources.results;
    let mut notes = Vec::new();
    let mut tiers: Vec<String> = Vec::new();
    for check in results.all_checks() {
        if !tiers.contains(&check.tier) {
            tiers.push(check.tier.clone());
        }
    }
    let mut datasets = DatasetFinder::new(sources.root, &results.run.config_path);
    let mut rows = Vec::new();
    let mut evaluations = Vec::new();
    for evaluation in &results.evaluations {
        let anchor = format!("eval-{}", evaluations.len());
        rows.extend(metric_rows(evaluation, &anchor));
        evaluations.push(evaluation_view(
            evaluation,
            anchor,
            sources.root,
            &mut datasets,
            &mut notes,
        ));
    }
    rows.sort_by_key(|r| r.status_rank());
    let comparison = sources
        .compare
        .map(|(label, other)| compare(results, label, other));
    let history_runs = sources.history.map_or(0, <[HistoryRecord]>::len);
    let charts = sources
        .history
        .map(|history| charts(history, &mut notes))
        .unwrap_or_default();
    Dashboard {
        summary: results.summary,
        commit: results.run.git_commit.clone(),
        tiers,
        started_at: results.run.started_at.clone(),
        finished_at: results.run.finished_at.clone(),
        evalgate_version: results.run.evalgate_version.clone(),
        config_path: results.run.config_path.clone(),
        rows,
        other_checks: results
            .other_checks
            .iter()
            .map(|c| OtherCheck {
                trial: c.trial.clone(),
                status: c.status,
                message: c.message.clone(),
            })
            .collect(),
        evaluations,
        comparison,
        charts,
        history_runs,
        notes,
    }
}

/// The worst of some statuses (`None` for none).
fn worst_status<'a>(checks: impl Iterator<Item = &'a CheckResult>) -> Option<&'a CheckResult> {
    checks.min_by_key(|c| status_rank(Some(c.status)))
}

fn metric_rows(evaluation: &EvaluationResults, anchor: &str) -> Vec<MetricRow> {
    let mut rows = Vec::new();
    let mut metric_ids: Vec<&str> = evaluation.metrics.keys().map(String::as_str).collect();
    for check in &evaluation.checks {
        if !metric_ids.contains(&check.metric.as_str()) && !check.metric.is_empty() {
            metric_ids.push(&check.metric);
        }
    }
    for id in metric_ids {
        let checks = || evaluation.checks.iter().filter(move |c| c.metric == id);
        let worst = worst_status(checks());
        let vs_baseline = checks().find(|c| c.kind == CheckKind::VsBaseline);
        let result = evaluation.metrics.get(id);
        let direction = result
            .map(|m| m.direction)
            .or_else(|| checks().find_map(|c| c.direction))
            .unwrap_or(Direction::HigherIsBetter);
        let current = result.map(|m| m.value);
        let baseline = vs_baseline
            .and_then(|c| c.baseline)
            .or_else(|| evaluation.baseline.metrics.get(id).copied());
        let delta = vs_baseline
            .and_then(|c| c.delta)
            .or_else(|| Some(current? - baseline?));
        let interval = vs_baseline
            .and_then(|c| c.test.as_ref())
            .map(|t| (t.delta_lo, t.delta_hi, t.confidence));
        rows.push(MetricRow {
            dataset: evaluation.dataset.clone(),
            system: evaluation.system.clone(),
            metric: id.to_string(),
            arrow: arrow(direction),
            baseline,
            current,
            delta,
            interval,
            status: worst.map(|c| c.status),
            message: worst
                .filter(|c| c.status != CheckStatus::Passed)
                .map(|c| c.message.clone())
                .unwrap_or_default(),
            anchor: anchor.to_string(),
        });
    }
    rows
}

/// The metric the drill-down orders items by: the first failing check's metric, else the first
/// warning's or inconclusive one's, else the first vs-baseline check's, else the first metric.
fn sort_metric(evaluation: &EvaluationResults) -> Option<String> {
    let with_metric = |c: &&CheckResult| evaluation.metrics.contains_key(&c.metric);
    for status in [
        CheckStatus::Failed,
        CheckStatus::Warned,
        CheckStatus::Inconclusive,
    ] {
        if let Some(c) = evaluation
            .checks
            .iter()
            .filter(with_metric)
            .find(|c| c.status == status)
        {
            return Some(c.metric.clone());
        }
    }
    evaluation
        .checks
        .iter()
        .filter(with_metric)
        .find(|c| c.kind == CheckKind::VsBaseline)
        .map(|c| c.metric.clone())
        .or_else(|| evaluation.metrics.keys().next().cloned())
}

fn evaluation_view(
    evaluation: &EvaluationResults,
    anchor: String,
    root: &Path,
    datasets: &mut DatasetFinder,
    notes: &mut Vec<String>,
) -> EvaluationView {
    let name = format!("{}/{}", evaluation.dataset, evaluation.system);
    let predictions = match &evaluation.predictions_file {
        Some(file) => match read_predictions(&root.join(file)) {
            Ok(p) => Some(p),
            Err(e) => {
                notes.push(format!("{name}: predictions not shown: {e}"));
                None
            }
        },
        None => None,
    };
    let baseline = read_baseline(root, &evaluation.baseline.file, &name, notes);
    let dataset = datasets.find(&evaluation.dataset, evaluation.dataset_version, notes);
    let sort_metric = sort_metric(evaluation);

    // Worst first: by how much the item worsened since the baseline when the baseline has item
    // values, else by the value itself; items without a value last.
    let order_key = |n: usize, id: &str| -> Option<f64> {
        let metric = sort_metric.as_deref()?;
        let result = evaluation.metrics.get(metric)?;
        let value = result.per_item.get(n).copied().flatten()?;
        let base_values = baseline.as_ref().map(|b| b.item_values(metric));
        match base_values {
            Some(values) if !values.is_empty() => {
                let base = values.get(id)?;
                Some(result.direction.worsening(*base, value))
            }
            _ => Some(result.direction.worsening(0.0, value)),
        }
    };
    let mut order: Vec<(usize, Option<f64>)> = evaluation
        .items
        .iter()
        .enumerate()
        .map(|(n, id)| (n, order_key(n, id)))
        .collect();
    order.sort_by(|a, b| match (a.1, b.1) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let items_omitted = order.len().saturating_sub(MAX_ITEMS_SHOWN);
    let base_items: BTreeMap<&str, BTreeMap<&str, f64>> = match &baseline {
        Some(b) => evaluation
            .metrics
            .keys()
            .map(|m| (m.as_str(), b.item_values(m)))
            .collect(),
        None => BTreeMap::new(),
    };
    let items = order
        .iter()
        .take(MAX_ITEMS_SHOWN)
        .map(|&(n, _)| {
            let id = evaluation.items[n].as_str();
            let metrics: Vec<ItemMetric> = evaluation
                .metrics
                .iter()
                .map(|(metric, result)| {
                    let value = result.per_item.get(n).copied().flatten();
                    let base = base_items
                        .get(metric.as_str())
                        .and_then(|v| v.get(id))
                        .copied();
                    let worse = match (value, base) {
                        (Some(v), Some(b)) => result.direction.worsening(b, v) > 1e-12,
                        _ => false,
                    };
                    ItemMetric {
                        metric: format!("{} {}", metric, arrow(result.direction)),
                        value: opt_number(value),
                        baseline: opt_number(base),
                        worse,
                    }
                })
                .collect();
            let headline = sort_metric
                .as_deref()
                .and_then(|m| {
                    let shown = metrics
                        .iter()
                        .find(|x| x.metric.starts_with(&format!("{m} ")))?;
                    Some(format!("{m} {} (baseline {})", shown.value, shown.baseline))
                })
                .unwrap_or_default();
            let item = dataset
                .as_ref()
                .and_then(|d| d.items.iter().find(|i| i.id == id));
            let prediction = predictions.as_ref().and_then(|p| p.get(id).cloned());
            let baseline_prediction = baseline
                .as_ref()
                .and_then(|b| b.predictions.get(id).cloned());
            let diff = match (&baseline_prediction, &prediction) {
                (Some(old), Some(new)) => word_changes(old, new)
                    .into_iter()
                    .map(|c| match c {
                        WordChange::Same(text) => DiffSpan { kind: "same", text },
                        WordChange::Removed(text) => DiffSpan { kind: "del", text },
                        WordChange::Added(text) => DiffSpan { kind: "ins", text },
                    })
                    .collect(),
                _ => Vec::new(),
            };
            ItemView {
                id: id.to_string(),
                headline,
                metrics,
                input: item.map(|i| i.input.clone()),
                references: item.map(|i| i.references.clone()).unwrap_or_default(),
                prediction,
                baseline_prediction,
                diff,
            }
        })
        .collect();
    EvaluationView {
        dataset: evaluation.dataset.clone(),
        dataset_version: evaluation.dataset_version,
        system: evaluation.system.clone(),
        anchor,
        status: worst_status(evaluation.checks.iter()).map(|c| c.status),
        error: evaluation.error.clone(),
        baseline_file: evaluation.baseline.file.clone(),
        system_changes: evaluation.baseline.system_changes.clone(),
        sort_metric,
        items,
        items_omitted,
    }
}

/// A predictions file as id → prediction.
fn read_predictions(path: &Path) -> std::result::Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("{}:{}: not JSON: {e}", path.display(), n + 1))?;
        if let (Some(id), Some(prediction)) = (value["id"].as_str(), value["prediction"].as_str()) {
            out.insert(id.to_string(), prediction.to_string());
        }
    }
    Ok(out)
}

/// The baseline body of an evaluation, when its snapshot is readable.
fn read_baseline(
    root: &Path,
    file: &str,
    name: &str,
    notes: &mut Vec<String>,
) -> Option<crate::baseline::BaselineBody> {
    match crate::baseline::read(&root.join(file)) {
        Ok(Some(crate::baseline::Loaded::Current(b))) => Some(b.body),
        Ok(Some(crate::baseline::Loaded::OlderFormat)) => {
            notes.push(format!(
                "{name}: baseline {file} is in an older format: no baseline predictions"
            ));
            None
        }
        Ok(None) => None,
        Err(e) => {
            notes.push(format!("{name}: baseline not used: {e}"));
            None
        }
    }
}

/// Finds datasets for the drill-down: `datasets.<id>.path` of the suite configuration
/// (relative to the configuration's folder), else `<[suite] datasets_dir>/<id>`, else any
/// `dataset.json` under the configuration's folder's `datasets/` with that id and version.
struct DatasetFinder {
    config_dir: PathBuf,
    config: Option<toml::Table>,
    loaded: BTreeMap<(String, u32), Option<Dataset>>,
}

impl DatasetFinder {
    fn new(root: &Path, config_path: &str) -> Self {
        let config_file = root.join(config_path);
        let config_dir = config_file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| root.to_path_buf());
        let config = std::fs::read_to_string(&config_file)
            .ok()
            .and_then(|t| t.parse::<toml::Table>().ok());
        DatasetFinder {
            config_dir,
            config,
            loaded: BTreeMap::new(),
        }
    }

    fn candidates(&self, id: &str) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        let config = self.config.as_ref();
        if let Some(path) = config
            .and_then(|c| c.get("datasets"))
            .and_then(|d| d.get(id))
            .and_then(|d| d.get("path"))
            .and_then(|p| p.as_str())
        {
            dirs.push(self.config_dir.join(path));
        }
        let datasets_dir = config
            .and_then(|c| c.get("suite"))
            .and_then(|s| s.get("datasets_dir"))
            .and_then(|p| p.as_str())
            .unwrap_or("datasets");
        dirs.push(self.config_dir.join(datasets_dir).join(id));
        dirs
    }

    fn find(&mut self, id: &str, version: u32, notes: &mut Vec<String>) -> Option<Dataset> {
        let key = (id.to_string(), version);
        if let Some(found) = self.loaded.get(&key) {
            return found.clone();
        }
        let mut dirs = self.candidates(id);
        let scan_root = self.config_dir.join("datasets");
        for entry in walkdir::WalkDir::new(&scan_root)
            .max_depth(4)
            .into_iter()
            .filter_map(std::result::Result::ok)
        {
            if entry.file_name() == "dataset.json"
                && let Some(parent) = entry.path().parent()
                && !dirs.iter().any(|d| d == parent)
            {
                dirs.push(parent.to_path_buf());
            }
        }
        let mut problem = None;
        let mut found = None;
        for dir in dirs {
            match Dataset::peek(&dir) {
                Ok(m) if m.id == id && m.version == version => match Dataset::load(&dir) {
                    Ok(d) => {
                        found = Some(d);
                        break;
                    }
                    Err(e) => problem = Some(e.to_string()),
                },
                _ => {}
            }
        }
        if found.is_none() {
            notes.push(format!(
                "dataset `{id}` version {version}: input not available ({})",
                problem.unwrap_or_else(|| format!(
                    "no dataset.json with this id and version found from {}",
                    self.config_dir.display()
                ))
            ));
        }
        self.loaded.insert(key, found.clone());
        found
    }
}

/// The comparison rule: evaluations are paired by dataset id and system name; a dataset with
/// exactly one system in each run and no pair by name is paired across the two systems (two
/// models or prompts on the same data). Per metric present in both, items are paired by id and
/// each counted as A better, B better or a tie (equal values) using the metric's direction;
/// items missing a value on either side are not counted.
fn compare(results: &RunResults, label: &str, other: &RunResults) -> Comparison {
    let mut pairs = Vec::new();
    let mut used_a = Vec::new();
    let mut used_b = Vec::new();
    for (i, a) in results.evaluations.iter().enumerate() {
        if let Some((j, b)) = other
            .evaluations
            .iter()
            .enumerate()
            .find(|(_, b)| b.dataset == a.dataset && b.system == a.system)
        {
            pairs.push(compare_pair(a, b));
            used_a.push(i);
            used_b.push(j);
        }
    }
    for (i, a) in results.evaluations.iter().enumerate() {
        if used_a.contains(&i) {
            continue;
        }
        let here: Vec<usize> = (0..results.evaluations.len())
            .filter(|&k| !used_a.contains(&k) && results.evaluations[k].dataset == a.dataset)
            .collect();
        let there: Vec<usize> = (0..other.evaluations.len())
            .filter(|&k| !used_b.contains(&k) && other.evaluations[k].dataset == a.dataset)
            .collect();
        let all_here = results
            .evaluations
            .iter()
            .filter(|e| e.dataset == a.dataset)
            .count();
        let all_there = other
            .evaluations
            .iter()
            .filter(|e| e.dataset == a.dataset)
            .count();
        if here.len() == 1 && there.len() == 1 && all_here == 1 && all_there == 1 {
            pairs.push(compare_pair(a, &other.evaluations[there[0]]));
            used_a.push(i);
            used_b.push(there[0]);
        }
    }
    let name = |e: &EvaluationResults| format!("{}/{}", e.dataset, e.system);
    Comparison {
        other_label: label.to_string(),
        other_commit: other.run.git_commit.clone(),
        pairs,
        only_here: (0..results.evaluations.len())
            .filter(|k| !used_a.contains(k))
            .map(|k| name(&results.evaluations[k]))
            .collect(),
        only_other: (0..other.evaluations.len())
            .filter(|k| !used_b.contains(k))
            .map(|k| name(&other.evaluations[k]))
            .collect(),
    }
}

fn compare_pair(a: &EvaluationResults, b: &EvaluationResults) -> ComparedPair {
    let b_index: BTreeMap<&str, usize> = b
        .items
        .iter()
        .enumerate()
        .map(|(n, id)| (id.as_str(), n))
        .collect();
    let metrics = a
        .metrics
        .iter()
        .filter_map(|(id, ma)| {
            let mb = b.metrics.get(id)?;
            let (mut a_wins, mut b_wins, mut ties) = (0, 0, 0);
            for (n, item) in a.items.iter().enumerate() {
                let Some(va) = ma.per_item.get(n).copied().flatten() else {
                    continue;
                };
                let Some(vb) = b_index
                    .get(item.as_str())
                    .and_then(|&k| mb.per_item.get(k).copied().flatten())
                else {
                    continue;
                };
                let worse_b = ma.direction.worsening(va, vb);
                if worse_b.abs() <= 1e-12 {
                    ties += 1;
                } else if worse_b > 0.0 {
                    a_wins += 1;
                } else {
                    b_wins += 1;
                }
            }
            Some(ComparedMetric {
                metric: id.clone(),
                arrow: arrow(ma.direction),
                a: number(ma.value),
                b: number(mb.value),
                delta: signed(mb.value - ma.value),
                a_wins,
                b_wins,
                ties,
            })
        })
        .collect();
    ComparedPair {
        dataset: a.dataset.clone(),
        system_a: a.system.clone(),
        system_b: b.system.clone(),
        metrics,
    }
}

fn charts(history: &[HistoryRecord], notes: &mut Vec<String>) -> Vec<ChartView> {
    let mut out = Vec::new();
    for series in chart::trend_series(history, None, None) {
        let title = format!("{} · {}/{}", series.metric, series.dataset, series.system);
        match chart::render_svg(
            &title,
            std::slice::from_ref(&series),
            CHART_SIZE.0,
            CHART_SIZE.1,
        ) {
            Ok(svg) => out.push(ChartView {
                dataset: series.dataset.clone(),
                system: series.system.clone(),
                metric: series.metric.clone(),
                points: series.points.len(),
                failed: series.failed_points(),
                svg: strip_xml_declaration(&svg),
            }),
            Err(e) => notes.push(e.to_string()),
        }
    }
    out
}

/// The SVG without an `<?xml …?>` declaration, for inlining into HTML.
fn strip_xml_declaration(svg: &str) -> String {
    let trimmed = svg.trim_start();
    if trimmed.starts_with("<?xml")
        && let Some(end) = trimmed.find("?>")
    {
        return trimmed[end + 2..].trim_start().to_string();
    }
    trimmed.to_string()
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page<'a> {
    d: &'a Dashboard,
}

/// Renders the page.
///
/// # Errors
///
/// A [`ReportError`] if the template fails to render (it does not with a gathered
/// [`Dashboard`]).
pub fn render(dashboard: &Dashboard) -> Result<String> {
    Page { d: dashboard }.render().map_err(|e| {
        Error::Report(ReportError::new(format!(
            "cannot render the dashboard: {e}"
        )))
    })
}
