//! Model prices (`pricing.toml` at the repository root) and the cost of a generation.
//!
//! ```toml
//! checked = "2025-06-01"              # the date the prices were last checked
//! source = "https://openai.com/api/pricing"
//!
//! [models."gpt-4o-mini"]               # chat models: USD per 1M tokens
//! input_per_million = 0.15
//! output_per_million = 0.60
//!
//! [transcription."whisper-1"]          # speech-to-text: USD per audio minute
//! per_minute = 0.006
//! ```
//!
//! Lookups are by exact model name. A model missing from the table has no price: callers must
//! report it (a warning trial), never count it as $0. Local models cost what the table says;
//! add them with zero prices to state that explicitly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{ConfigError, Error, Result};
use crate::systems::{Generation, Usage};

/// Prices of one chat model.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// USD per 1M input (prompt) tokens.
    pub input_per_million: f64,
    /// USD per 1M output (completion) tokens.
    pub output_per_million: f64,
}

/// Price of one transcription model.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptionPrice {
    /// USD per minute of audio.
    pub per_minute: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    checked: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    models: BTreeMap<String, ModelPrice>,
    #[serde(default)]
    transcription: BTreeMap<String, TranscriptionPrice>,
}

/// The pricing table.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    path: PathBuf,
    checked: String,
    source: Option<String>,
    models: BTreeMap<String, ModelPrice>,
    transcription: BTreeMap<String, TranscriptionPrice>,
}

impl PriceTable {
    /// Reads and validates a pricing file (`checked` date, non-negative finite prices).
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::fsutil::read_text(path)?;
        Self::parse(&text, path)
    }

    /// Parses pricing TOML; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let lines = crate::config::lines::LineIndex::new(text);
        let file: PriceFile = toml::from_str(text).map_err(|e| {
            Error::Config(crate::config::lines::syntax_error(
                &shown,
                &lines,
                "pricing table",
                &e,
            ))
        })?;
        if !is_iso_date(&file.checked) {
            return Err(Error::Config(
                ConfigError::new(format!(
                    "is `{}`; write the date the prices were checked as YYYY-MM-DD",
                    file.checked
                ))
                .in_file(path.display())
                .for_key("checked"),
            ));
        }
        let bad = |what: String, value: f64| {
            Error::Config(
                ConfigError::new(format!(
                    "is {value}; prices must be finite and not negative"
                ))
                .in_file(path.display())
                .for_key(what),
            )
        };
        for (model, price) in &file.models {
            for (field, value) in [
                ("input_per_million", price.input_per_million),
                ("output_per_million", price.output_per_million),
            ] {
                if !(value.is_finite() && value >= 0.0) {
                    return Err(bad(format!("models.\"{model}\".{field}"), value));
                }
            }
        }
        for (model, price) in &file.transcription {
            if !(price.per_minute.is_finite() && price.per_minute >= 0.0) {
                return Err(bad(
                    format!("transcription.\"{model}\".per_minute"),
                    price.per_minute,
                ));
            }
        }
        Ok(PriceTable {
            path: path.to_path_buf(),
            checked: file.checked,
            source: file.source,
            models: file.models,
            transcription: file.transcription,
        })
    }

    /// The file the table was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The date the prices were checked (YYYY-MM-DD).
    pub fn checked(&self) -> &str {
        &self.checked
    }

    /// Where the prices were checked, when given.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The prices of a chat model (exact name).
    pub fn lookup(&self, model: &str) -> Option<&ModelPrice> {
        self.models.get(model)
    }

    /// The price of a transcription model (exact name).
    pub fn lookup_transcription(&self, model: &str) -> Option<&TranscriptionPrice> {
        self.transcription.get(model)
    }

    /// USD for `usage` on `model`; `None` when the model is not in the table.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        self.lookup(model).map(|p| {
            (usage.input_tokens as f64 * p.input_per_million
                + usage.output_tokens as f64 * p.output_per_million)
                / 1_000_000.0
        })
    }

    /// USD for `minutes` of audio on a transcription `model`; `None` when it is not in the table.
    pub fn transcription_cost(&self, model: &str, minutes: f64) -> Option<f64> {
        self.lookup_transcription(model)
            .map(|p| p.per_minute * minutes)
    }

    /// Fills `generation.cost_usd` from its usage when the system did not report a cost.
    /// Returns `Err(message)` when it cannot: the model is not in the table (the message says
    /// so and what to add) — report it as a warning, never as $0. Generations with a cost
    /// already, or without usage, are left as they are (`Ok`).
    pub fn apply(
        &self,
        model: &str,
        generation: &mut Generation,
    ) -> std::result::Result<(), String> {
        if generation.cost_usd.is_some() {
            return Ok(());
        }
        let Some(usage) = generation.usage else {
            return Ok(());
        };
        match self.cost(model, &usage) {
            Some(cost) => {
                generation.cost_usd = Some(cost);
                Ok(())
            }
            None => Err(self.unknown_model_message(model)),
        }
    }

    /// Prices every generation of one system (see [`PriceTable::apply`]). Returns one warning
    /// when the model is missing from the table and some generation needed a price; `None`
    /// when every cost is known or the system names no model.
    pub fn apply_all<'g>(
        &self,
        model: Option<&str>,
        generations: impl IntoIterator<Item = &'g mut Generation>,
    ) -> Option<String> {
        let model = model?;
        let mut warning = None;
        for generation in generations {
            if let Err(message) = self.apply(model, generation) {
                warning = Some(message);
            }
        }
        warning
    }

    /// The warning for a model missing from the table.
    pub fn unknown_model_message(&self, model: &str) -> String {
        format!(
            "model `{model}` is not in the pricing table {} (prices checked {}); its cost is \
             unknown, not $0. Add [models.\"{model}\"] with input_per_million and \
             output_per_million (zero for a free local model)",
            self.path.display(),
            self.checked
        )
    }
}

/// Checks a total cost against a budget: `Err` says by how much it is over.
pub fn check_budget(total_usd: f64, budget_usd: f64) -> std::result::Result<(), String> {
    if total_usd <= budget_usd {
        Ok(())
    } else {
        Err(format!(
            "total cost ${total_usd:.4} is over the budget of ${budget_usd:.4} by ${:.4} ({:+.1}%)",
            total_usd - budget_usd,
            if budget_usd > 0.0 {
                (total_usd / budget_usd - 1.0) * 100.0
            } else {
                f64::INFINITY
            }
        ))
    }
}

fn is_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&text[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&text[8..10].parse::<u32>().unwrap_or(0))
}
