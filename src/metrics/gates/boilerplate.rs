//! `boilerplate_leak`: sponsor, ad, intro or outro boilerplate in the output.
//!
//! An item fails (1) when its output contains, case-insensitively and on word boundaries, one of
//! [`SPONSOR_PHRASES`] or [`INTRO_OUTRO_PHRASES`], one of the extra phrases of param `phrases`,
//! or one of the brand names in the item's `sponsors` metadata list.
//! `allow_sponsor_content: true` switches the gate off for the item (value `None`);
//! `allow_intros_outros: true` leaves out [`INTRO_OUTRO_PHRASES`] for the item (a cleaned
//! transcript keeps the host's "thanks for listening", but not the ad read).

use super::{Gate, GateParams, expectation, flag, rate_definition};
use crate::error::Result;
use crate::metrics::{MetricDef, ScoringItem, ScoringOptions};
use crate::text;

/// Built-in sponsor and ad-read phrases.
pub const SPONSOR_PHRASES: &[&str] = &[
    "brought to you by",
    "sponsored by",
    "our sponsor",
    "our sponsors",
    "support for this show",
    "support for this podcast",
    "promo code",
    "use code",
    "offer code",
    "free trial",
    "percent off",
    "first month free",
    "link in the show notes",
];

/// Built-in intro and outro phrases (left out for items with `allow_intros_outros: true`).
pub const INTRO_OUTRO_PHRASES: &[&str] = &[
    "welcome to the show",
    "welcome back to the show",
    "welcome to another episode",
    "thanks for listening",
    "thank you for listening",
    "thanks so much for listening",
    "don't forget to subscribe",
    "like and subscribe",
    "rate and review",
    "leave us a review",
    "wherever you get your podcasts",
    "see you next week",
    "until next time",
];

/// The boilerplate-leak gate.
#[derive(Debug, Clone, Copy, Default)]
pub struct BoilerplateLeak;

const ID: &str = "boilerplate_leak";

impl Gate for BoilerplateLeak {
    /// The extra `phrases`.
    type Params = Vec<String>;

    fn definition(&self) -> MetricDef {
        rate_definition(
            ID,
            "share of outputs containing sponsor/ad or intro/outro boilerplate",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<Vec<String>> {
        GateParams::read(options, ID, &["phrases"])?.strings("phrases")
    }

    fn value(&self, item: &ScoringItem<'_>, extra: &Vec<String>) -> Result<Option<f64>> {
        if expectation(item, "allow_sponsor_content")? {
            return Ok(None);
        }
        let intros_outros: &[&str] = if expectation(item, "allow_intros_outros")? {
            &[]
        } else {
            INTRO_OUTRO_PHRASES
        };
        let sponsors = string_list(item.metadata, "sponsors");
        let leaked = SPONSOR_PHRASES
            .iter()
            .chain(intros_outros)
            .copied()
            .chain(extra.iter().map(String::as_str))
            .chain(sponsors.iter().map(String::as_str))
            .any(|phrase| text::contains_phrase(item.prediction, phrase));
        Ok(Some(flag(leaked)))
    }
}

/// A list of strings from metadata (empty when absent).
fn string_list(metadata: &serde_json::Value, field: &str) -> Vec<String> {
    metadata
        .get(field)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
