//! `numbers_retained`: are the reference's numbers in the output?
//!
//! Numbers are digit runs with optional thousands separators and decimals (`1,200` → `1200`,
//! `3.5`, `$40` → `40`, `20%` → `20`), plus the number words two to twenty and the tens
//! (`twelve` → `12`, `forty` → `40`; "one" is left out because it is mostly a pronoun). Per item
//! the value is the fraction of the distinct numbers of a reference that appear in the output;
//! with several references the best is kept. Items whose references hold no number are `None`.

use std::collections::BTreeSet;

use super::{Gate, mean_definition, no_params};
use crate::error::Result;
use crate::metrics::{Direction, MetricDef, ScoringItem, ScoringOptions};

/// The number-retention metric.
#[derive(Debug, Clone, Copy, Default)]
pub struct NumbersRetained;

const NUMBER_WORDS: &[(&str, &str)] = &[
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("eleven", "11"),
    ("twelve", "12"),
    ("thirteen", "13"),
    ("fourteen", "14"),
    ("fifteen", "15"),
    ("sixteen", "16"),
    ("seventeen", "17"),
    ("eighteen", "18"),
    ("nineteen", "19"),
    ("twenty", "20"),
    ("thirty", "30"),
    ("forty", "40"),
    ("fifty", "50"),
    ("sixty", "60"),
    ("seventy", "70"),
    ("eighty", "80"),
    ("ninety", "90"),
    ("hundred", "100"),
];

/// The distinct numbers in `text`, normalised (see the module docs).
pub fn numbers_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            let mut number = String::new();
            while i < chars.len() {
                let c = chars[i];
                let next_digit = chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
                if c.is_ascii_digit() {
                    number.push(c);
                } else if c == ',' && next_digit {
                    // thousands separator: dropped
                } else if c == '.' && next_digit {
                    number.push('.');
                } else {
                    break;
                }
                i += 1;
            }
            out.insert(number);
        } else if chars[i].is_alphabetic() && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            let start = i;
            while i < chars.len() && chars[i].is_alphabetic() {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
            if let Some((_, digits)) = NUMBER_WORDS.iter().find(|(w, _)| *w == word) {
                out.insert((*digits).to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

impl Gate for NumbersRetained {
    type Params = ();

    fn definition(&self) -> MetricDef {
        mean_definition(
            "numbers_retained",
            Direction::HigherIsBetter,
            true,
            (Some(0.0), Some(1.0)),
            "fraction of the reference's numbers present in the output",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<()> {
        no_params(options, "numbers_retained")
    }

    fn value(&self, item: &ScoringItem<'_>, _: &()) -> Result<Option<f64>> {
        let output = numbers_in(item.prediction);
        let best = item
            .references
            .iter()
            .map(|r| numbers_in(r))
            .filter(|wanted| !wanted.is_empty())
            .map(|wanted| {
                wanted.iter().filter(|n| output.contains(*n)).count() as f64 / wanted.len() as f64
            })
            .fold(None, |best: Option<f64>, v| {
                Some(best.map_or(v, |b| b.max(v)))
            });
        Ok(best)
    }
}
