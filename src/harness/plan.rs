//! The trial matrix: one trial per tier × dataset × system × metric × check, named
//! `tier::dataset::system::metric::check`. Planning reads only the suite (and, for per-item
//! trials, the datasets' item ids): listing trials computes nothing.
//!
//! Besides the metric checks a tier gets:
//! - `…::cost_usd::pricing` for systems that name a model (a warning when it has no price);
//! - `…::<metric>::computed` for metrics without any check: it fails when the metric (or the
//!   dataset × system) could not be computed, so no failure goes unreported;
//! - `…::<metric>::item_min::<item id>` per item, for item checks with `per_item_trials = true`
//!   (the item id is everything after the fifth `::`);
//! - `<tier>::<dataset>::<system>::system::stale_baseline` for each dataset × system of *another*
//!   tier whose system this tier runs: it warns when that baseline was made with another
//!   configuration of the system, so a change gated on one tier cannot leave the others stale.

use std::collections::BTreeMap;

use crate::checks::{CheckKind, Severity};
use crate::config::{Check, Suite, SystemKind};
use crate::dataset::Dataset;
use crate::metrics::{MetricDef, MetricRegistry};

/// The metric segment of `stale_baseline` trial names.
pub(crate) const SYSTEM_SEGMENT: &str = "system";

/// One planned trial.
#[derive(Debug, Clone)]
pub(crate) struct TrialSpec {
    /// Full trial name.
    pub name: String,
    /// Tier the trial belongs to.
    pub tier: String,
    /// Whether the tier is ignored by default.
    pub ignored_tier: bool,
    /// Dataset id.
    pub dataset: String,
    /// System name.
    pub system: String,
    /// What the trial judges.
    pub subject: Subject,
}

/// What a trial judges.
#[derive(Debug, Clone)]
pub(crate) enum Subject {
    /// A check on a metric of an evaluation computed in this run; `item` for per-item trials.
    Metric {
        def: MetricDef,
        check: Box<Check>,
        item: Option<String>,
    },
    /// Whether the baseline of an evaluation from other tiers (not computed) was made with the system's
    /// current configuration.
    StaleBaseline {
        /// The tiers the evaluation belongs to.
        tiers: Vec<String>,
        /// Line of `[systems.<name>]` in the suite file.
        line: u32,
    },
}

/// The trials of a suite, with the datasets and evaluations they may need.
pub(crate) struct Plan {
    pub trials: Vec<TrialSpec>,
    pub datasets: Vec<String>,
    pub evaluations: Vec<(String, String)>,
}

/// Plans every trial of every tier, in tier, dataset, system, metric, check order.
pub(crate) fn plan_trials(suite: &Suite, metrics: &MetricRegistry) -> Plan {
    let mut plan = Plan {
        trials: Vec::new(),
        datasets: Vec::new(),
        evaluations: Vec::new(),
    };
    let mut item_ids = ItemIds::default();
    for tier in &suite.tiers {
        for ds_id in &tier.datasets {
            let ds = &suite.datasets[ds_id];
            push_unique(&mut plan.datasets, ds_id.clone());
            for system in &ds.systems {
                push_unique(&mut plan.evaluations, (ds_id.clone(), system.clone()));
                let trial = |name: String, subject: Subject| TrialSpec {
                    name,
                    tier: tier.name.clone(),
                    ignored_tier: tier.ignored,
                    dataset: ds_id.clone(),
                    system: system.clone(),
                    subject,
                };
                let prefix = format!("{}::{ds_id}::{system}", tier.name);
                if suite.systems[system].kind == SystemKind::Openai
                    && let Some(def) = metrics.definition("cost_usd")
                {
                    let check = Check {
                        line: Some(suite.systems[system].line),
                        ..Check::new(CheckKind::Pricing, Severity::Warn)
                    };
                    plan.trials.push(trial(
                        format!("{prefix}::cost_usd::pricing"),
                        Subject::Metric {
                            def: def.clone(),
                            check: Box::new(check),
                            item: None,
                        },
                    ));
                }
                for metric in &ds.metrics {
                    let def = metrics
                        .definition(metric)
                        .expect("validated by Suite::load")
                        .clone();
                    let mut checks = suite.checks_for(ds_id, system, &def);
                    if checks.is_empty() {
                        // A metric nobody checks still fails a trial when it cannot be computed.
                        checks.push(Check::new(CheckKind::Computed, Severity::Error));
                    }
                    for check in checks {
                        let name = format!("{prefix}::{metric}::{}", check.kind.as_str());
                        let items = check
                            .per_item_trials
                            .then(|| item_ids.of(suite, ds_id))
                            .flatten();
                        match items {
                            Some(ids) => {
                                for id in ids {
                                    plan.trials.push(trial(
                                        format!("{name}::{id}"),
                                        Subject::Metric {
                                            def: def.clone(),
                                            check: Box::new(check.clone()),
                                            item: Some(id.clone()),
                                        },
                                    ));
                                }
                            }
                            None => plan.trials.push(trial(
                                name,
                                Subject::Metric {
                                    def: def.clone(),
                                    check: Box::new(check),
                                    item: None,
                                },
                            )),
                        }
                    }
                }
            }
        }
        plan.trials.extend(stale_baseline_trials(suite, tier));
    }
    plan
}

/// The `stale_baseline` trials of `tier`: evaluations of other tiers whose system `tier` runs.
fn stale_baseline_trials(suite: &Suite, tier: &crate::config::Tier) -> Vec<TrialSpec> {
    let runs = |ds: &String, system: &String| {
        tier.datasets.contains(ds) && suite.datasets[ds].systems.contains(system)
    };
    let systems_here: Vec<&String> = tier
        .datasets
        .iter()
        .flat_map(|d| &suite.datasets[d].systems)
        .collect();
    let mut others: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for other in suite.tiers.iter().filter(|t| t.name != tier.name) {
        for ds in &other.datasets {
            for system in &suite.datasets[ds].systems {
                if systems_here.contains(&system) && !runs(ds, system) {
                    let tiers = others.entry((ds.clone(), system.clone())).or_default();
                    push_unique(tiers, other.name.clone());
                }
            }
        }
    }
    others
        .into_iter()
        .map(|((dataset, system), tiers)| TrialSpec {
            name: format!(
                "{}::{dataset}::{system}::{SYSTEM_SEGMENT}::{}",
                tier.name,
                CheckKind::StaleBaseline.as_str()
            ),
            tier: tier.name.clone(),
            ignored_tier: tier.ignored,
            subject: Subject::StaleBaseline {
                tiers,
                line: suite.systems[&system].line,
            },
            dataset,
            system,
        })
        .collect()
}

/// Item ids of datasets, read from their manifests once (only for per-item trials).
#[derive(Default)]
struct ItemIds {
    read: BTreeMap<String, Option<Vec<String>>>,
}

impl ItemIds {
    /// The item ids of a dataset; `None` when its manifest cannot be read (then the check runs as
    /// one trial, which reports the dataset's error).
    fn of(&mut self, suite: &Suite, dataset: &str) -> Option<&Vec<String>> {
        self.read
            .entry(dataset.to_string())
            .or_insert_with(|| {
                Dataset::peek(&suite.datasets[dataset].dir)
                    .ok()
                    .map(|m| m.items.into_iter().map(|i| i.id).collect())
            })
            .as_ref()
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}
