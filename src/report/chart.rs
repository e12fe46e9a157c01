//! Trend charts of a metric over the run history (`history.jsonl`): the dashboard's charts
//! (`evalgate report html --history`), `evalgate report chart` and the job summary's text
//! sparklines all come from here.
//!
//! - [`trend_series`] gathers the data: one [`Series`] per dataset × system holding the metric,
//!   one [`TrendPoint`] per run that recorded it, in the history file's order (the order runs
//!   were appended). A point is *failed* when that run had a failing trial of this metric on
//!   this dataset × system (a name in the record's `failed` list whose metric segment —
//!   `tier::dataset::system::metric::check` — is the metric).
//! - [`render_svg`] draws the series with `plotters`' SVG backend: a line per series and one
//!   `<circle>` per point; a failed run's point is a larger red circle ([`FAILED_COLOR`]), so the
//!   number of `<circle>` elements is the number of points. Text is written as SVG `<text>`
//!   elements, escaped by the backend, and laid out with plotters' built-in size estimate: no
//!   system font is read, so charts render on machines with no fonts installed. Labels are
//!   also stripped of control characters first.
//! - [`sparkline`] turns the last values into `▁▂▃▄▅▆▇█` for Markdown, which cannot inline SVG.

use plotters::prelude::*;

use crate::error::{Error, ReportError, Result};
use crate::history::HistoryRecord;

/// Fill colour of a failed run's point, `#d62728` (plotters writes it as `#D62728`).
pub const FAILED_COLOR: RGBColor = RGBColor(0xd6, 0x27, 0x28);

/// Series colours, in order (a colour-blind-safe palette; red is kept for failed points).
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// One run's value of a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// The run's position in the history file (0 = first record), the chart's x value.
    pub run: usize,
    /// A short label of the run: the commit's first 7 characters, else the start date.
    pub label: String,
    /// The metric's dataset-level value in that run.
    pub value: f64,
    /// Whether a trial of this metric on this dataset × system failed in that run.
    pub failed: bool,
}

/// A metric's values on one dataset × system over the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Dataset id.
    pub dataset: String,
    /// System name.
    pub system: String,
    /// Metric id.
    pub metric: String,
    /// One point per run that recorded the metric, in history order.
    pub points: Vec<TrendPoint>,
}

impl Series {
    /// `dataset/system`, the series' name in legends and in `--pair`.
    pub fn pair(&self) -> String {
        format!("{}/{}", self.dataset, self.system)
    }

    /// How many of the points are failed runs.
    pub fn failed_points(&self) -> usize {
        self.points.iter().filter(|p| p.failed).count()
    }
}

/// The metric segment of a trial name `tier::dataset::system::metric::check[::item]`.
fn trial_metric(trial: &str) -> Option<&str> {
    trial.split("::").nth(3)
}

/// A run's short label: the commit's first 7 characters, else the date of `started_at`.
fn run_label(record: &HistoryRecord) -> String {
    match &record.git_commit {
        Some(commit) if !commit.is_empty() => commit.chars().take(7).collect(),
        _ => record.started_at.chars().take(10).collect(),
    }
}

/// Every dataset × system × metric of the history, in first-seen order, each with its points.
/// With `metric`, only that metric; with `pair` (`(dataset, system)`), only that pair. Runs
/// whose value is not finite are left out of the series.
pub fn trend_series(
    history: &[HistoryRecord],
    metric: Option<&str>,
    pair: Option<(&str, &str)>,
) -> Vec<Series> {
    let mut series: Vec<Series> = Vec::new();
    for (run, record) in history.iter().enumerate() {
        for evaluation in &record.evaluations {
            if pair.is_some_and(|(d, s)| d != evaluation.dataset || s != evaluation.system) {
                continue;
            }
            for (id, value) in &evaluation.metrics {
                if metric.is_some_and(|m| m != id) || !value.is_finite() {
                    continue;
                }
                let failed = evaluation
                    .failed
                    .iter()
                    .any(|t| trial_metric(t) == Some(id.as_str()));
                let point = TrendPoint {
                    run,
                    label: run_label(record),
                    value: *value,
                    failed,
                };
                match series.iter_mut().find(|s| {
                    s.dataset == evaluation.dataset
                        && s.system == evaluation.system
                        && s.metric == *id
                }) {
                    Some(s) => s.points.push(point),
                    None => series.push(Series {
                        dataset: evaluation.dataset.clone(),
                        system: evaluation.system.clone(),
                        metric: id.clone(),
                        points: vec![point],
                    }),
                }
            }
        }
    }
    series
}

/// A label as drawn: control characters dropped (the SVG backend escapes markup itself).
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// Draws `series` (one line each, one circle per point, failed points larger and red) as an
/// SVG document of `width` × `height` pixels titled `title`; with more than one series, a legend
/// names each by `dataset/system`.
///
/// # Errors
///
/// A [`ReportError`] when there is nothing to draw or plotters fails.
pub fn render_svg(title: &str, series: &[Series], width: u32, height: u32) -> Result<String> {
    let points: Vec<&TrendPoint> = series.iter().flat_map(|s| &s.points).collect();
    if points.is_empty() {
        return Err(Error::Report(ReportError::new(format!(
            "chart `{title}`: no values to draw"
        ))));
    }
    let plot_error = |e: String| Error::Report(ReportError::new(format!("chart `{title}`: {e}")));
    let (mut lo, mut hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.value), hi.max(p.value))
        });
    let pad = if hi > lo {
        (hi - lo) * 0.1
    } else {
        lo.abs().max(1.0) * 0.05
    };
    lo -= pad;
    hi += pad;
    let last_run = points.iter().map(|p| p.run).max().unwrap_or(0);
    let labels: std::collections::BTreeMap<usize, String> =
        points.iter().map(|p| (p.run, clean(&p.label))).collect();

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(clean(title), ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5f64..(last_run as f64 + 0.5), lo..hi)
            .map_err(|e| plot_error(e.to_string()))?;
        chart
            .configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .x_labels(6)
            .x_label_formatter(&|x| {
                let run = x.round();
                if (x - run).abs() > 1e-9 || run < 0.0 {
                    return String::new();
                }
                labels.get(&(run as usize)).cloned().unwrap_or_default()
            })
            .y_labels(5)
            .y_label_formatter(&|y| format_value(*y))
            .label_style(("sans-serif", 11))
            .draw()
            .map_err(|e| plot_error(e.to_string()))?;
        for (n, s) in series.iter().enumerate() {
            let color = PALETTE[n % PALETTE.len()];
            let line = chart
                .draw_series(LineSeries::new(
                    s.points.iter().map(|p| (p.run as f64, p.value)),
                    color.stroke_width(2),
                ))
                .map_err(|e| plot_error(e.to_string()))?;
            if series.len() > 1 {
                line.label(clean(&s.pair())).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            }
            chart
                .draw_series(s.points.iter().map(|p| {
                    if p.failed {
                        Circle::new((p.run as f64, p.value), 5, FAILED_COLOR.filled())
                    } else {
                        Circle::new((p.run as f64, p.value), 3, color.filled())
                    }
                }))
                .map_err(|e| plot_error(e.to_string()))?;
        }
        if series.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK.mix(0.3))
                .label_font(("sans-serif", 11))
                .draw()
                .map_err(|e| plot_error(e.to_string()))?;
        }
        root.present().map_err(|e| plot_error(e.to_string()))?;
    }
    Ok(svg)
}

/// A value for an axis or a table: up to 4 significant decimals, without trailing zeros.
pub fn format_value(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let magnitude = v.abs();
    let decimals = if magnitude >= 1000.0 {
        0
    } else if magnitude >= 100.0 {
        1
    } else if magnitude >= 1.0 {
        3
    } else {
        4
    };
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" { "0".to_string() } else { text }
}

/// The last `max` values as a text sparkline (`▁▂▃▄▅▆▇█`, one character per value, scaled
/// from the smallest to the largest shown; all equal values give `▄`s). Empty for no values.
pub fn sparkline(values: &[f64], max: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let shown: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect::<Vec<_>>();
    let shown = &shown[shown.len().saturating_sub(max)..];
    let lo = shown.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = shown.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    shown
        .iter()
        .map(|v| {
            if hi > lo {
                BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize]
            } else {
                BARS[3]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_between_the_extremes() {
        assert_eq!(sparkline(&[0.0, 0.5, 1.0], 10), "▁▅█");
        assert_eq!(sparkline(&[1.0, 2.0, 3.0, 4.0], 2), "▁█");
        assert_eq!(sparkline(&[2.0, 2.0], 5), "▄▄");
        assert_eq!(sparkline(&[], 5), "");
    }

    #[test]
    fn values_are_shown_short() {
        assert_eq!(format_value(0.41234567), "0.4123");
        assert_eq!(format_value(12.5), "12.5");
        assert_eq!(format_value(1234.56), "1235");
        assert_eq!(format_value(0.0), "0");
    }

    #[test]
    fn several_series_get_a_legend_and_a_circle_per_point() {
        let series = |system: &str, n: usize| Series {
            dataset: "d".into(),
            system: system.into(),
            metric: "m".into(),
            points: (0..n)
                .map(|run| TrendPoint {
                    run,
                    label: format!("r{run}"),
                    value: run as f64,
                    failed: false,
                })
                .collect(),
        };
        let svg = render_svg("m", &[series("a", 3), series("b", 5)], 400, 240).unwrap();
        assert_eq!(svg.matches("<circle").count(), 8, "{svg}");
        assert!(svg.contains("d/a"), "{svg}");
        assert!(svg.contains("d/b"), "{svg}");
        assert_eq!(svg.matches("#D62728").count(), 0, "{svg}");
    }

    #[test]
    fn the_history_gives_a_series_per_pair_and_metric_with_failed_runs() {
        let record = |run: usize, failed: bool| -> HistoryRecord {
            serde_json::from_value(serde_json::json!({
                "schema": "evalgate.history/v2",
                "git_commit": format!("abcdef{run}0000"),
                "started_at": format!("2026-11-0{}T00:00:00Z", run + 1),
                "finished_at": "",
                "evalgate_version": "0",
                "config_path": "evalgate.toml",
                "config_hash": "sha256:x",
                "summary": {"passed": 0, "failed": 0, "warned": 0, "ignored": 0},
                "evaluations": [{
                    "dataset": "d", "dataset_version": 1, "system": "s",
                    "dataset_hash": "", "system_config_hash": "", "metric_version": "",
                    "baseline_status": "present",
                    "metrics": {"m": run as f64, "cost_usd": 0.5},
                    "failed": if failed { vec!["full::d::s::m::vs_baseline"] } else { vec![] }
                }]
            }))
            .unwrap()
        };
        // A v1 record (`pairs`) reads like a v2 one.
        let mut v1 = serde_json::to_value(record(2, false)).unwrap();
        let evaluations = v1.as_object_mut().unwrap().remove("evaluations").unwrap();
        v1["pairs"] = evaluations;
        v1["schema"] = "evalgate.history/v1".into();
        let v1: HistoryRecord = serde_json::from_value(v1).unwrap();
        let history = [record(0, false), record(1, true), v1];
        let all = trend_series(&history, None, None);
        assert_eq!(all.len(), 2);
        let m = trend_series(&history, Some("m"), Some(("d", "s")));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].points.len(), 3);
        assert_eq!(m[0].failed_points(), 1);
        assert_eq!(m[0].points[1].label, "abcdef1");
        let cost = trend_series(&history, Some("cost_usd"), None);
        assert_eq!(cost[0].failed_points(), 0);
        assert!(trend_series(&history, Some("m"), Some(("d", "other"))).is_empty());
    }

    #[test]
    fn a_chart_renders_without_fonts_and_escapes_its_labels() {
        let series = Series {
            dataset: "d".into(),
            system: "s".into(),
            metric: "m".into(),
            points: (0..4)
                .map(|run| TrendPoint {
                    run,
                    label: format!("<b>&{run}"),
                    value: run as f64 / 10.0,
                    failed: run == 2,
                })
                .collect(),
        };
        let svg = render_svg("m on <d> & s", &[series], 400, 240).unwrap();
        assert_eq!(svg.matches("<circle").count(), 4, "{svg}");
        assert_eq!(svg.matches("#D62728").count(), 1, "{svg}");
        assert!(svg.contains("m on &lt;d&gt; &amp; s"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
    }
}
