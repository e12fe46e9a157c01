//! Results fixtures for the report tests, built as `RunResults` values.
#![allow(dead_code)]

use std::collections::BTreeMap;

use evalgate::results::{
    BaselineInfo, BaselineStatus, CheckKind, CheckResult, CheckStatus, EvaluationResults,
    Fingerprint, ItemValue, Method, MetricResult, PairedDecision, PairedTest, RESULTS_SCHEMA,
    RunInfo, RunResults, Severity, Summary,
};
use evalgate::unstable::metrics::Direction;

pub const HIGHER: Direction = Direction::HigherIsBetter;
pub const LOWER: Direction = Direction::LowerIsBetter;

/// A run over `evaluations`, with the summary recounted.
pub fn run(evaluations: Vec<EvaluationResults>) -> RunResults {
    let mut r = RunResults {
        schema: RESULTS_SCHEMA.to_string(),
        run: RunInfo {
            evalgate_version: "0.1.0".into(),
            started_at: "2026-11-26T17:00:00Z".into(),
            finished_at: "2026-11-26T17:02:30Z".into(),
            git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            config_path: "evalgate.toml".into(),
            config_hash: "sha256:cafe".into(),
            filters: vec!["smoke".into()],
            shard: None,
        },
        evaluations,
        other_checks: Vec::new(),
        summary: Summary::default(),
    };
    r.recount();
    r
}

/// A pair whose metrics are `(id, direction, value, baseline)`; each metric gets one passing
/// `vs_baseline` check (ignored when there is no baseline value). The baseline is missing when
/// no metric has a baseline value.
pub fn pair(
    dataset: &str,
    system: &str,
    metrics: &[(&str, Direction, f64, Option<f64>)],
) -> EvaluationResults {
    let items = vec![
        "item_a".to_string(),
        "item_b".to_string(),
        "item_c".to_string(),
    ];
    let has_baseline = metrics.iter().any(|m| m.3.is_some());
    let file = format!("baselines/{dataset}__{system}.snap");
    let mut checks = Vec::new();
    let mut values = BTreeMap::new();
    let mut baseline_values = BTreeMap::new();
    for &(id, direction, value, baseline) in metrics {
        values.insert(
            id.to_string(),
            MetricResult {
                value,
                direction,
                per_item: vec![Some(value), Some(value), None],
                per_sample: Vec::new(),
            },
        );
        if let Some(b) = baseline {
            baseline_values.insert(id.to_string(), b);
        }
        checks.push(CheckResult {
            trial: format!("smoke::{dataset}::{system}::{id}::vs_baseline"),
            tier: "smoke".into(),
            metric: id.to_string(),
            kind: CheckKind::VsBaseline,
            severity: Severity::Error,
            status: if baseline.is_some() {
                CheckStatus::Passed
            } else {
                CheckStatus::Ignored
            },
            direction: Some(direction),
            value: Some(value),
            baseline,
            delta: baseline.map(|b| value - b),
            threshold: Some(0.02),
            threshold_pct: None,
            test: None,
            message: if baseline.is_some() {
                "within tolerance".into()
            } else {
                "no baseline yet".into()
            },
            worst_items: Vec::new(),
            failing_items: Vec::new(),
            item: None,
            file: file.clone(),
            line: Some(4),
        });
    }
    EvaluationResults {
        dataset: dataset.to_string(),
        dataset_version: 1,
        system: system.to_string(),
        fingerprint: Fingerprint {
            dataset_hash: "sha256:d474".into(),
            item_ids: items.clone(),
            reference_ids: items.iter().map(|i| format!("{i}#0")).collect(),
            metric_version: "1".into(),
            metric_settings: BTreeMap::new(),
        },
        system_config: serde_json::json!({"kind": "builtin", "name": "lead_n"}),
        error: None,
        items,
        samples: 1,
        flaky_items: Vec::new(),
        metrics: values,
        baseline: BaselineInfo {
            file,
            status: if has_baseline {
                BaselineStatus::Present
            } else {
                BaselineStatus::Missing
            },
            metrics: baseline_values,
            pending_file: None,
            system_changes: Vec::new(),
        },
        checks,
        generation: None,
        predictions_file: None,
    }
}

/// Turns the `vs_baseline` check of `metric` into a regression with `status` and `severity`.
pub fn regress(
    pair: &mut EvaluationResults,
    metric: &str,
    status: CheckStatus,
    severity: Severity,
    message: &str,
) {
    let check = pair
        .checks
        .iter_mut()
        .find(|c| c.metric == metric)
        .unwrap_or_else(|| panic!("no check on {metric}"));
    check.status = status;
    check.severity = severity;
    check.message = message.to_string();
    check.worst_items = vec![
        ItemValue {
            id: "item_b".into(),
            value: 0.1,
            baseline: None,
            diff: None,
        },
        ItemValue {
            id: "item_a".into(),
            value: 0.25,
            baseline: None,
            diff: None,
        },
    ];
}

/// The standard podcast pair: ROUGE-L (higher is better), WER and latency (lower is better).
pub fn podcast_pair(rouge_l: f64, wer: f64, latency: f64) -> EvaluationResults {
    pair(
        "podcast_summaries_v1",
        "extractive_lead3",
        &[
            ("rougeL_f1", HIGHER, rouge_l, Some(0.45)),
            ("wer", LOWER, wer, Some(0.20)),
            ("latency_ms_p50", LOWER, latency, Some(120.0)),
        ],
    )
}

/// The named scenarios the Markdown snapshots cover.
pub fn scenario(name: &str) -> RunResults {
    match name {
        "all_clear" => run(vec![podcast_pair(0.46, 0.20, 118.0)]),
        "error_regression" => {
            // ROUGE-L drops beyond tolerance (error); WER rises within tolerance (worse, not
            // better).
            let mut p = podcast_pair(0.40, 0.21, 120.0);
            regress(
                &mut p,
                "rougeL_f1",
                CheckStatus::Failed,
                Severity::Error,
                "rougeL_f1 dropped by 0.05 (allowed 0.02) versus the baseline",
            );
            run(vec![p])
        }
        "warning" => {
            let mut p = podcast_pair(0.45, 0.20, 180.0);
            let check = p
                .checks
                .iter_mut()
                .find(|c| c.metric == "latency_ms_p50")
                .unwrap();
            check.severity = Severity::Warn;
            check.threshold = Some(30.0);
            check.threshold_pct = Some(25.0);
            regress(
                &mut p,
                "latency_ms_p50",
                CheckStatus::Warned,
                Severity::Warn,
                "latency_ms_p50 rose by 60 ms (allowed 30 ms, 25%)",
            );
            run(vec![p])
        }
        "inconclusive" => {
            // A sampled system: ROUGE-L's paired bootstrap regresses, ROUGE-1's cannot tell.
            let mut p = podcast_pair(0.40, 0.21, 120.0);
            let test = |delta: f64, lo: f64, hi: f64, decision: PairedDecision| PairedTest {
                method: Method::PairedBootstrap,
                confidence: 0.95,
                resamples: 1000,
                exact: false,
                n_items: 30,
                n_samples: 5,
                allowed_worsening: 0.02,
                worsening: -delta,
                worsening_lo: -hi,
                worsening_hi: -lo,
                delta,
                delta_lo: lo,
                delta_hi: hi,
                mde: 0.031,
                p_value: None,
                decision,
            };
            regress(
                &mut p,
                "rougeL_f1",
                CheckStatus::Failed,
                Severity::Error,
                "rougeL_f1 worsened from 0.45 (baseline) to 0.4 (Δ -0.05 [-0.071, -0.032], paired \
                 bootstrap 95% over 30 items × 5 samples)",
            );
            let mut inconclusive = p
                .checks
                .iter()
                .find(|c| c.metric == "rougeL_f1")
                .unwrap()
                .clone();
            inconclusive.trial = inconclusive.trial.replace("rougeL_f1", "rouge1_f1");
            inconclusive.metric = "rouge1_f1".into();
            inconclusive.status = CheckStatus::Inconclusive;
            inconclusive.message = "inconclusive: rouge1_f1 changed from 0.5 (baseline) to 0.49 \
                 (Δ -0.01 [-0.035, +0.012], paired bootstrap 95% over 30 items × 5 samples); with \
                 30 items a worsening below 0.031 cannot be told from noise; add items or samples"
                .into();
            inconclusive.test = Some(test(-0.01, -0.035, 0.012, PairedDecision::Inconclusive));
            inconclusive.value = Some(0.49);
            inconclusive.baseline = Some(0.5);
            inconclusive.delta = Some(-0.01);
            for c in p.checks.iter_mut().filter(|c| c.metric == "rougeL_f1") {
                c.test = Some(test(-0.05, -0.071, -0.032, PairedDecision::Regression));
            }
            p.metrics.insert(
                "rouge1_f1".into(),
                MetricResult {
                    value: 0.49,
                    direction: HIGHER,
                    per_item: vec![Some(0.49), Some(0.49), None],
                    per_sample: Vec::new(),
                },
            );
            p.baseline.metrics.insert("rouge1_f1".into(), 0.5);
            p.checks.push(inconclusive);
            p.samples = 5;
            p.flaky_items.push(evalgate::results::FlakyItem {
                id: "item_b".into(),
                metric: "speaker_label_leak".into(),
                passed_samples: 3,
                samples: 5,
            });
            run(vec![p])
        }
        "missing_baseline" => {
            let mut p = pair(
                "transcripts_v1",
                "cleaner_rules",
                &[("wer", LOWER, 0.12, None), ("cer", LOWER, 0.05, None)],
            );
            p.baseline.pending_file =
                Some("baselines/transcripts_v1__cleaner_rules.snap.new".into());
            run(vec![p, podcast_pair(0.45, 0.20, 120.0)])
        }
        "many_metrics" => {
            let mut metrics: Vec<(String, Direction, f64, Option<f64>)> = (0..16)
                .map(|i| (format!("gate_{i:02}"), HIGHER, 1.0, Some(1.0)))
                .collect();
            metrics.push(("rougeL_f1".into(), HIGHER, 0.47, Some(0.45)));
            metrics.push(("wer".into(), LOWER, 0.25, Some(0.20)));
            let refs: Vec<(&str, Direction, f64, Option<f64>)> = metrics
                .iter()
                .map(|(a, b, c, d)| (a.as_str(), *b, *c, *d))
                .collect();
            let mut p = pair("podcast_summaries_v1", "llm_small", &refs);
            regress(
                &mut p,
                "wer",
                CheckStatus::Failed,
                Severity::Error,
                "wer rose by 0.05 (allowed 0.02)",
            );
            run(vec![p])
        }
        "system_changed" => {
            // The system changed (a parameter and a file): every metric is compared and shown,
            // worst items read baseline → current, an item check lists its failing items, and
            // another tier's baseline is stale.
            let mut metrics: Vec<(String, Direction, f64, Option<f64>)> = (0..10)
                .map(|i| (format!("gate_{i:02}"), LOWER, 0.0, Some(0.0)))
                .collect();
            metrics.push(("rougeL_f1".into(), HIGHER, 0.40, Some(0.45)));
            let refs: Vec<(&str, Direction, f64, Option<f64>)> = metrics
                .iter()
                .map(|(a, b, c, d)| (a.as_str(), *b, *c, *d))
                .collect();
            let mut p = pair("podcast_summaries_v1", "lead3", &refs);
            p.baseline.system_changes = vec![
                "params.sentences 3 → 2".into(),
                "file prompts/summary.txt changed".into(),
            ];
            p.baseline.pending_file = Some("baselines/podcast_summaries_v1__lead3.snap.new".into());
            regress(
                &mut p,
                "rougeL_f1",
                CheckStatus::Failed,
                Severity::Error,
                "rougeL_f1 worsened from 0.45 (baseline) to 0.4; system lead3 changed since the \
                 baseline: params.sentences 3 → 2, file prompts/summary.txt changed",
            );
            for (item, baseline) in p
                .checks
                .last_mut()
                .unwrap()
                .worst_items
                .iter_mut()
                .zip([0.3, 0.4])
            {
                item.baseline = Some(baseline);
            }
            let mut item_check = p.checks.last().unwrap().clone();
            item_check.trial = "smoke::podcast_summaries_v1::lead3::rougeL_f1::item_min".into();
            item_check.kind = CheckKind::ItemMin;
            item_check.threshold = Some(0.2);
            item_check.delta = None;
            item_check.baseline = None;
            item_check.message = "2 of 3 items have rougeL_f1 below the minimum 0.2".into();
            item_check.failing_items = item_check.worst_items.clone();
            p.checks.push(item_check);
            let mut r = run(vec![p]);
            r.other_checks.push(CheckResult {
                trial: "smoke::podcast_summaries_full_v1::lead3::system::stale_baseline".into(),
                tier: "smoke".into(),
                metric: "system".into(),
                kind: CheckKind::StaleBaseline,
                severity: Severity::Warn,
                status: CheckStatus::Warned,
                direction: None,
                value: None,
                baseline: None,
                delta: None,
                threshold: None,
                threshold_pct: None,
                test: None,
                message: "the baseline baselines/podcast_summaries_full_v1__lead3.snap of tier \
                          `full` was made with an older configuration of system lead3"
                    .into(),
                worst_items: Vec::new(),
                failing_items: Vec::new(),
                item: None,
                file: "baselines/podcast_summaries_full_v1__lead3.snap".into(),
                line: None,
            });
            r.recount();
            r
        }
        "hostile" => {
            let mut p = pair(
                "ds|<script>alert(1)</script>",
                "sys`rm -rf /`",
                &[
                    (
                        "score|evil **bold** [link](http://x)",
                        HIGHER,
                        0.3,
                        Some(0.5),
                    ),
                    ("<img src=x onerror=alert(1)>", LOWER, 0.1, Some(0.1)),
                ],
            );
            regress(
                &mut p,
                "score|evil **bold** [link](http://x)",
                CheckStatus::Failed,
                Severity::Error,
                "dropped </details><script>steal()</script> @everyone ```",
            );
            p.checks[0].worst_items = vec![ItemValue {
                id: "item`|</td><script>x</script>".into(),
                value: 0.0,
                baseline: None,
                diff: None,
            }];
            run(vec![p])
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// Every scenario name.
pub const SCENARIOS: &[&str] = &[
    "all_clear",
    "error_regression",
    "warning",
    "missing_baseline",
    "inconclusive",
    "many_metrics",
    "system_changed",
    "hostile",
];
