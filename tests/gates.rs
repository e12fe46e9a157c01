//! Heuristic gate metrics: leaky outputs are caught, clean ones are not, metadata switches work,
//! parameters are checked, and rates are exact.

use std::collections::BTreeMap;
use std::path::Path;

use evalgate::Error;
use evalgate::unstable::metrics::{
    Direction, MetricRegistry, MetricValues, ScoringItem, ScoringOptions,
};
use serde_json::{Value, json};

/// (input, prediction, references, metadata) per item.
type Case<'a> = (&'a str, &'a str, Vec<String>, Value);

fn score_with(
    metric: &str,
    cases: &[Case<'_>],
    params: Option<Value>,
) -> evalgate::Result<MetricValues> {
    let ids: Vec<String> = (0..cases.len()).map(|i| format!("item{i}")).collect();
    let items: Vec<ScoringItem<'_>> = cases
        .iter()
        .zip(&ids)
        .map(
            |((input, prediction, references, metadata), id)| ScoringItem {
                id,
                input,
                prediction,
                references,
                metadata,
                generation: None,
            },
        )
        .collect();
    let mut options = ScoringOptions::default();
    if let Some(p) = params {
        options.params.insert(metric.to_string(), p);
    }
    let mut out = MetricRegistry::builtin().score(&items, &[metric], &options)?;
    Ok(out.remove(metric).unwrap())
}

fn score(metric: &str, cases: &[Case<'_>]) -> MetricValues {
    score_with(metric, cases, None).expect("scores")
}

fn case<'a>(prediction: &'a str, metadata: Value) -> Case<'a> {
    (
        "an input transcript of a few words for ratio checks here",
        prediction,
        vec![],
        metadata,
    )
}

fn config_error(r: evalgate::Result<MetricValues>) -> String {
    match r {
        Err(Error::Config(m)) => m.to_string(),
        Err(other) => panic!("expected a config error, got {other}"),
        Ok(v) => panic!("expected a config error, got {v:?}"),
    }
}

#[test]
fn registry_defines_every_gate_with_its_direction() {
    let registry = MetricRegistry::builtin();
    let expect = [
        ("boilerplate_leak", Direction::LowerIsBetter, false),
        ("speaker_label_leak", Direction::LowerIsBetter, false),
        ("speaker_name_leak", Direction::LowerIsBetter, false),
        ("truncation", Direction::LowerIsBetter, false),
        ("short_output", Direction::LowerIsBetter, false),
        ("repetition", Direction::LowerIsBetter, false),
        ("compression_ratio", Direction::HigherIsBetter, false),
        ("numbers_retained", Direction::HigherIsBetter, true),
        ("coverage_ratio", Direction::HigherIsBetter, true),
        ("output_words_mean", Direction::LowerIsBetter, false),
    ];
    for (id, direction, reference_based) in expect {
        let def = registry
            .definition(id)
            .unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(def.direction, direction, "{id}");
        assert_eq!(def.reference_based, reference_based, "{id}");
    }
}

#[test]
fn boilerplate_leak_catches_ads_and_outros_and_rates_them() {
    let v = score(
        "boilerplate_leak",
        &[
            case(
                "The council approved twelve miles of bike lanes.",
                json!({}),
            ),
            case(
                "This episode is brought to you by Brightwell. The council voted.",
                json!({}),
            ),
            case("The council voted. Thanks for listening!", json!({})),
            case(
                "Fernway Coffee sells beans.",
                json!({"sponsors": ["Fernway Coffee"]}),
            ),
        ],
    );
    assert_eq!(v.per_item, vec![Some(0.0), Some(1.0), Some(1.0), Some(1.0)]);
    assert_eq!(v.aggregate, 0.75);
}

#[test]
fn boilerplate_leak_is_switched_off_by_allow_sponsor_content() {
    let v = score(
        "boilerplate_leak",
        &[
            case(
                "Sponsored by Fernway, the topic of the show.",
                json!({"allow_sponsor_content": true}),
            ),
            case(
                "Sponsored by Fernway.",
                json!({"allow_sponsor_content": false}),
            ),
            case("A clean summary.", json!({})),
        ],
    );
    assert_eq!(v.per_item, vec![None, Some(1.0), Some(0.0)]);
    assert_eq!(v.aggregate, 0.5);
}

#[test]
fn allow_intros_outros_keeps_the_sign_off_but_not_the_ad() {
    let keeps = json!({"allow_intros_outros": true, "sponsors": ["Fernway"]});
    let v = score(
        "boilerplate_leak",
        &[
            case(
                "Thanks for listening, and see you next week.",
                keeps.clone(),
            ),
            case(
                "Thanks for listening.",
                json!({"allow_intros_outros": false}),
            ),
            case("This episode is sponsored by a bank.", keeps.clone()),
            case("Fernway beans are great.", keeps.clone()),
        ],
    );
    assert_eq!(v.per_item, vec![Some(0.0), Some(1.0), Some(1.0), Some(1.0)]);
    match score_with(
        "boilerplate_leak",
        &[case("x", json!({"allow_intros_outros": 1}))],
        None,
    ) {
        Err(Error::Metric(m)) => assert!(m.to_string().contains("allow_intros_outros"), "{m}"),
        other => panic!("expected a metric error, got {other:?}"),
    }
}

#[test]
fn boilerplate_leak_params_and_bad_metadata() {
    let cases = [case("Visit our merch store today.", json!({}))];
    assert_eq!(score("boilerplate_leak", &cases).per_item, vec![Some(0.0)]);
    let v = score_with(
        "boilerplate_leak",
        &cases,
        Some(json!({"phrases": ["merch store"]})),
    )
    .unwrap();
    assert_eq!(v.per_item, vec![Some(1.0)]);
    let m = config_error(score_with(
        "boilerplate_leak",
        &cases,
        Some(json!({"phrase": ["x"]})),
    ));
    assert!(
        m.contains("`metric_params.boilerplate_leak.phrase` is not a parameter"),
        "{m}"
    );
    let m = config_error(score_with(
        "boilerplate_leak",
        &cases,
        Some(json!({"phrases": "x"})),
    ));
    assert!(m.contains("list of strings"), "{m}");
    match score_with(
        "boilerplate_leak",
        &[case("x", json!({"allow_sponsor_content": "yes"}))],
        None,
    ) {
        Err(Error::Metric(m)) => {
            let m = m.to_string();
            assert!(
                m.contains("item0") && m.contains("allow_sponsor_content"),
                "{m}"
            )
        }
        other => panic!("expected a metric error, got {other:?}"),
    }
}

#[test]
fn speaker_label_leak_catches_labels_and_timestamps_only() {
    let meta = json!({"speakers": ["Maya Chen", "Tom Okafor"]});
    let v = score(
        "speaker_label_leak",
        &[
            case("MAYA: the study followed 1,200 people.", meta.clone()),
            case("The study [00:12:34] followed people.", meta.clone()),
            case("Maya Chen: the study followed people.", meta.clone()),
            case("Maya: it went well.", meta.clone()),
            case(
                "Summary: the study followed people at 10:30 each day.",
                meta.clone(),
            ),
            case(
                "The study followed 1,200 people.\nIt found shorter meetings.",
                meta.clone(),
            ),
        ],
    );
    assert_eq!(
        v.per_item,
        vec![
            Some(1.0),
            Some(1.0),
            Some(1.0),
            Some(1.0),
            Some(0.0),
            Some(0.0)
        ]
    );
    assert!((v.aggregate - 4.0 / 6.0).abs() < 1e-12);
}

#[test]
fn speaker_name_leak_full_names_and_switches() {
    let meta = json!({"speakers": ["Maya Chen", "Priya Nair"]});
    let v = score(
        "speaker_name_leak",
        &[
            case("Priya Nair describes a study.", meta.clone()),
            case(
                "An organizational psychologist describes a study.",
                meta.clone(),
            ),
            case("Nair describes a study.", meta.clone()),
            case(
                "Priya Nair describes a study.",
                json!({"speakers": ["Priya Nair"], "allow_speaker_names": true}),
            ),
            case("Priya Nair describes a study.", json!({})),
        ],
    );
    assert_eq!(
        v.per_item,
        vec![Some(1.0), Some(0.0), Some(0.0), None, None]
    );
    assert!((v.aggregate - 1.0 / 3.0).abs() < 1e-12);
}

/// Scores `outputs` with `metric` (and `params`), one item each, returning the per-item flags.
fn flags(metric: &str, outputs: &[&str], params: Option<Value>) -> Vec<Option<f64>> {
    let cases: Vec<Case<'_>> = outputs.iter().map(|o| case(o, json!({}))).collect();
    score_with(metric, &cases, params).expect("scores").per_item
}

#[test]
fn truncation_flags_cut_off_outputs() {
    let cut = [
        "",
        "   \n ",
        "The council voted to approve the lanes...",
        "The council voted to approve the lanes…  ",
        "The council voted to approve the lanes [Truncated]",
        "The council voted to approve the lanes (truncated)",
        "The council approved a state-of-the-",
        "The council approved the plan and then the —",
        "The council approved the plan. The action items are:",
        "The council approved the plan,",
        "The council approved the plan and asked staff to report on the",
        "The council approved the plan. Staff will report on costs and",
        "The council approved the plan. Its members thanked their",
        "The vote passed. The mayor asked staff to explain how the pilot r",
        "The council approved the plan, and the mayor said the first lanes would open along Main",
        "The vote passed. Next they will meet again in early May to vote",
    ];
    let v = flags("truncation", &cut, None);
    for (output, flag) in cut.iter().zip(&v) {
        assert_eq!(*flag, Some(1.0), "should be flagged as cut off: {output:?}");
    }
    let whole = [
        "The council approved the plan.",
        "The council approved the plan they had argued about for years and finally agreed on.",
        "Did the council approve the plan?",
        "He said: \u{201c}the plan is done.\u{201d}",
        "**The plan passed.**",
        "The plan (twelve miles of lanes) passed.)",
        "Total cost: 4.2 million dollars over three years.",
        "The vote passed. Next they will meet again in early May",
        "The vote passed.\nKey points\n- Budget approved for twelve miles of new protected lanes along Main",
        "Decisions:\n1. Approve twelve miles of new protected lanes along Main Street this year",
        "| item | cost |\n| lanes along Main Street from the river to the station | 4.2 million |",
        "The plan passed.\n\n---",
        "Option B",
        "The vote passed. Thanks to everyone who came",
    ];
    let v = flags("truncation", &whole, None);
    for (output, flag) in whole.iter().zip(&v) {
        assert_eq!(*flag, Some(0.0), "should pass as whole: {output:?}");
    }
    // The unpunctuated last sentence may be longer with a higher bound.
    let long_open = [cut[14], cut[15]];
    assert_eq!(
        flags(
            "truncation",
            &long_open,
            Some(json!({"max_unpunctuated_words": 20}))
        ),
        vec![Some(0.0), Some(0.0)]
    );
    assert_eq!(
        flags(
            "truncation",
            &[whole[7]],
            Some(json!({"max_unpunctuated_words": 7}))
        ),
        vec![Some(1.0)]
    );
    let m = config_error(score_with(
        "truncation",
        &[],
        Some(json!({"max_unpunctuated_words": 0})),
    ));
    assert!(m.contains("max_unpunctuated_words"), "{m}");
    let m = config_error(score_with(
        "truncation",
        &[],
        Some(json!({"min_ratio": 0.02})),
    ));
    assert!(
        m.contains("`metric_params.truncation.min_ratio` is not a parameter")
            && m.contains("valid parameters: max_unpunctuated_words"),
        "{m}"
    );
}

#[test]
fn short_output_bounds_the_length_ratio() {
    let input = "word ".repeat(1000);
    let cases: Vec<Case<'_>> = vec![
        (&input, "Approved.", vec![], json!({})),
        (&input, "Lanes approved.", vec![], json!({})),
        (&input, "", vec![], json!({})),
        ("", "Anything at all.", vec![], json!({})),
        (" - ", "Anything at all.", vec![], json!({})),
    ];
    let v = score("short_output", &cases);
    // 1/1000 is below the 0.002 default, 2/1000 is not; inputs without words have no value.
    assert_eq!(
        v.per_item,
        vec![Some(1.0), Some(0.0), Some(1.0), None, None]
    );
    assert!((v.aggregate - 2.0 / 3.0).abs() < 1e-12);
    let v = score_with("short_output", &cases, Some(json!({"min_ratio": 0.0}))).unwrap();
    assert_eq!(
        v.per_item,
        vec![Some(0.0), Some(0.0), Some(0.0), None, None]
    );
    let v = score_with(
        "short_output",
        &cases[1..2],
        Some(json!({"min_ratio": 0.05})),
    )
    .unwrap();
    assert_eq!(v.per_item, vec![Some(1.0)]);
    let m = config_error(score_with(
        "short_output",
        &cases,
        Some(json!({"min_ratio": -1})),
    ));
    assert!(m.contains("metric_params.short_output.min_ratio"), "{m}");
}

#[test]
fn repetition_flags_loops_not_recurring_phrases() {
    let looping = "The council voted for the lanes. The council voted for the lanes. \
                   The council voted for the lanes.";
    let twice = "The council voted for the lanes. Later the council voted for the lanes again.";
    let stutter = "and the and the and the and the and the and the";
    // A topic phrase and a template that human summaries repeat (as QMSum's references do).
    let topic = "The committee asked whether employers understood the Welsh bac. Members said the \
                 Welsh bac was valued by learners, that the Welsh bac helped with employment, \
                 and that universities knew the Welsh bac. Marketing gave a presentation on \
                 requirements, design gave a presentation on the interface and engineering gave \
                 a presentation on the chip. Then the Welsh bac was compared with other \
                 qualifications, and the Welsh bac was kept.";
    let v = flags("repetition", &[looping, twice, stutter, topic], None);
    assert_eq!(v, vec![Some(1.0), Some(0.0), Some(1.0), Some(0.0)]);

    // The allowance grows by one per 200 tokens: one 5-gram four times in 400 tokens passes,
    // five times fails, and without the length allowance four times fails already.
    let filler = |n: usize| {
        (0..n)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let with_repeats = |k: usize| {
        let mut parts = vec![filler(400 - 5 * k)];
        parts.extend((0..k).map(|_| "one five word span here".to_string()));
        parts.join(" ")
    };
    let (four, five) = (with_repeats(4), with_repeats(5));
    assert_eq!(
        flags("repetition", &[&four, &five], None),
        vec![Some(0.0), Some(1.0)]
    );
    assert_eq!(
        flags("repetition", &[&four], Some(json!({"per_words": 0}))),
        vec![Some(1.0)]
    );

    // The old defaults (n = 3, two occurrences whatever the length) are still available.
    let old = Some(json!({"n": 3, "max_repeats": 2, "per_words": 0}));
    assert_eq!(
        flags("repetition", &[topic, twice], old),
        vec![Some(1.0), Some(0.0)]
    );
    assert_eq!(
        flags(
            "repetition",
            &[looping],
            Some(json!({"n": 3, "max_repeats": 4}))
        ),
        vec![Some(0.0)]
    );
    assert_eq!(
        flags(
            "repetition",
            &[twice],
            Some(json!({"n": 2, "max_repeats": 1}))
        ),
        vec![Some(1.0)],
        "`the council` occurs twice"
    );
    let m = config_error(score_with("repetition", &[], Some(json!({"n": 0}))));
    assert!(m.contains("metric_params.repetition.n"), "{m}");
    let m = config_error(score_with("repetition", &[], Some(json!({"ngram": 3}))));
    assert!(
        m.contains("`metric_params.repetition.ngram`") && m.contains("n, max_repeats, per_words"),
        "{m}"
    );
}

#[test]
fn length_ratios_are_exact() {
    let refs = vec![
        "one two three four".to_string(),
        "one two three four five six".to_string(),
    ];
    let cases: Vec<Case<'_>> = vec![
        ("a b c d e f g h i j", "x y", refs.clone(), json!({})),
        ("a b c d e f g h i j", "x y z w v", vec![], json!({})),
        ("a b c", "", refs.clone(), json!({})),
    ];
    let v = score("compression_ratio", &cases);
    assert_eq!(v.per_item, vec![Some(5.0), Some(2.0), None]);
    assert_eq!(v.aggregate, 3.5);
    let v = score("coverage_ratio", &cases);
    // Mean reference length is 5 words.
    assert_eq!(v.per_item, vec![Some(0.4), None, Some(0.0)]);
    assert!((v.aggregate - 0.2).abs() < 1e-12);
    let v = score("output_words_mean", &cases);
    assert_eq!(v.per_item, vec![Some(2.0), Some(5.0), Some(0.0)]);
    assert!((v.aggregate - 7.0 / 3.0).abs() < 1e-12);
    let m = config_error(score_with(
        "output_words_mean",
        &cases,
        Some(json!({"max": 3})),
    ));
    assert!(m.contains("valid parameters: none"), "{m}");
}

#[test]
fn numbers_retained_normalises_and_skips_items_without_numbers() {
    let reference =
        vec!["The plan costs 4.2 million dollars for 12 miles and 1,200 riders.".to_string()];
    let cases: Vec<Case<'_>> = vec![
        (
            "in",
            "It costs $4.2 million for twelve miles.",
            reference.clone(),
            json!({}),
        ),
        (
            "in",
            "It has 1200 riders, 12 miles, 4.2 million.",
            reference.clone(),
            json!({}),
        ),
        ("in", "No figures at all.", reference.clone(), json!({})),
        (
            "in",
            "Anything 7.",
            vec!["A reference without figures.".to_string()],
            json!({}),
        ),
    ];
    let v = score("numbers_retained", &cases);
    assert_eq!(
        v.per_item,
        vec![Some(2.0 / 3.0), Some(1.0), Some(0.0), None]
    );
    assert!((v.aggregate - 5.0 / 9.0).abs() < 1e-12);
}

#[test]
fn wrong_metric_for_family_is_an_error() {
    use evalgate::unstable::metrics::Metric;
    use evalgate::unstable::metrics::gates::Truncation;
    let r = Truncation.score(&[], &["repetition"], &ScoringOptions::default());
    assert!(matches!(r, Err(Error::Metric(m)) if m.to_string().contains("repetition")));
}

/// The human references of the smoke summaries pass every leak gate; feeding the raw transcripts
/// back as "summaries" fails them.
#[test]
fn gates_on_the_smoke_summaries() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/podcast_summaries_v1");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("dataset.json")).unwrap()).unwrap();
    let read = |rel: &Value| std::fs::read_to_string(dir.join(rel.as_str().unwrap())).unwrap();
    let rows: Vec<(String, String, Value)> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                read(&i["input_path"]),
                read(&i["reference_paths"][0]),
                i["metadata"].clone(),
            )
        })
        .collect();
    let as_summary: Vec<Case<'_>> = rows
        .iter()
        .map(|(input, reference, meta)| {
            (
                input.as_str(),
                reference.as_str(),
                vec![reference.clone()],
                meta.clone(),
            )
        })
        .collect();
    let as_raw: Vec<Case<'_>> = rows
        .iter()
        .map(|(input, reference, meta)| {
            (
                input.as_str(),
                input.as_str(),
                vec![reference.clone()],
                meta.clone(),
            )
        })
        .collect();
    let mut got = BTreeMap::new();
    for id in [
        "boilerplate_leak",
        "speaker_label_leak",
        "speaker_name_leak",
        "repetition",
    ] {
        got.insert(
            id,
            (
                score(id, &as_summary).aggregate,
                score(id, &as_raw).aggregate,
            ),
        );
    }
    assert_eq!(got["boilerplate_leak"], (0.0, 1.0));
    assert_eq!(got["speaker_label_leak"], (0.0, 1.0));
    assert_eq!(got["speaker_name_leak"], (0.0, 1.0));
    assert_eq!(got["repetition"].0, 0.0);
    // One episode allows sponsor content, so the raw rate is over four items.
    let raw = score("boilerplate_leak", &as_raw);
    assert_eq!(raw.per_item.iter().filter(|v| v.is_none()).count(), 1);
    assert_eq!(score("numbers_retained", &as_summary).aggregate, 1.0);
    assert_eq!(score("coverage_ratio", &as_summary).aggregate, 1.0);
}

/// The 0/1 gates, each a way an output can fail.
const PASS_FAIL_GATES: &[&str] = &[
    "boilerplate_leak",
    "speaker_label_leak",
    "speaker_name_leak",
    "truncation",
    "short_output",
    "repetition",
];

/// Every human reference of every shipped dataset, replayed as the output for its own input,
/// passes every pass/fail gate with the default parameters, and the gates with a value for
/// every item do have one (so passing is not the gate switching itself off).
#[test]
fn shipped_references_pass_every_gate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("dataset.json").is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let dir = root.join(name);
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("dataset.json")).unwrap())
                .unwrap();
        let read = |rel: &Value| std::fs::read_to_string(dir.join(rel.as_str().unwrap())).unwrap();
        let rows: Vec<(String, Vec<String>, Value)> = doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let refs: Vec<String> = i["reference_paths"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(read)
                    .collect();
                (read(&i["input_path"]), refs, i["metadata"].clone())
            })
            .collect();
        // Each reference of an item is one output.
        let cases: Vec<Case<'_>> = rows
            .iter()
            .flat_map(|(input, refs, meta)| {
                refs.iter()
                    .map(move |r| (input.as_str(), r.as_str(), refs.clone(), meta.clone()))
            })
            .collect();
        for id in PASS_FAIL_GATES {
            let v = score(id, &cases);
            for (i, value) in v.per_item.iter().enumerate() {
                if *value == Some(1.0) {
                    failures.push(format!("{name} item {i}: {id}"));
                }
            }
            if ["truncation", "short_output", "repetition"].contains(id) {
                assert!(v.per_item.iter().all(Option::is_some), "{name}: {id}");
            }
        }
    }
    assert!(failures.is_empty(), "references flagged: {failures:#?}");
}

/// A synthetic meeting summary in the style of real ones (QMSum): a recurring topic name, a
/// repeated reporting template, roles instead of names, and an input a hundred times longer.
/// The defaults let it through; the old defaults (`truncation.min_ratio` 0.02 on the length
/// ratio, `repetition` n = 3 and two occurrences) flagged exactly this kind of text.
#[test]
fn a_meeting_style_summary_passes_the_defaults() {
    let summary = "The committee met to review the new reading curriculum for primary schools. \
        First, the project lead gave a presentation on the budget, and the group agreed that the \
        new reading curriculum needed more teacher training. Next, the designer gave a \
        presentation on the materials, and the teachers asked whether the new reading \
        curriculum would fit existing timetables. Then, the analyst gave a presentation on \
        pilot results from three schools, which showed gains in the first year. Members \
        disagreed on how quickly the new reading curriculum should be rolled out, and some \
        worried about costs for rural schools. Finally, the group decided to extend the pilot \
        to ten more schools and to revisit the question of training at the next meeting.";
    let input = "Project lead: so we should start. ".repeat(2000);
    let meta = json!({"speakers": ["Dana Whitfield", "Omar Reyes"]});
    let cases = [(input.as_str(), summary, vec![summary.to_string()], meta)];
    for id in PASS_FAIL_GATES {
        assert_eq!(score(id, &cases).per_item, vec![Some(0.0)], "{id}");
    }
    // What the old defaults said about it.
    assert_eq!(
        score_with("short_output", &cases, Some(json!({"min_ratio": 0.02})))
            .unwrap()
            .per_item,
        vec![Some(1.0)]
    );
    assert_eq!(
        score_with(
            "repetition",
            &cases,
            Some(json!({"n": 3, "max_repeats": 2, "per_words": 0}))
        )
        .unwrap()
        .per_item,
        vec![Some(1.0)]
    );
}
