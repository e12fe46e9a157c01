//! Typed reading of one `[<section>.<name>]` table whose keys depend on what it configures — a
//! system (by its `kind`) or an external metric. Every error names `<section>.<name>.<key>` and,
//! when the table came from the suite file, the file and the line of that key.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{ConfigError, Error, Result};

/// Where a table sits in the suite file: the file, the line of its name, and each key's line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    /// The suite file as shown in messages.
    pub file: String,
    /// Line of `[<section>.<name>]` (or of the name in an inline table).
    pub line: u32,
    /// Line of each key.
    pub key_lines: BTreeMap<String, u32>,
}

/// Typed access to one table's keys.
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    section: &'a str,
    name: &'a str,
    table: &'a toml::Table,
    place: Option<&'a Place>,
}

impl<'a> Keys<'a> {
    /// The keys of `[<section>.<name>]`; errors carry no file or line.
    pub fn new(section: &'a str, name: &'a str, table: &'a toml::Table) -> Self {
        Keys {
            section,
            name,
            table,
            place: None,
        }
    }

    /// The same keys, with errors located in the suite file.
    pub fn at(mut self, place: &'a Place) -> Self {
        self.place = Some(place);
        self
    }

    /// The table's name (`<name>` in `[<section>.<name>]`).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The suite file's line of `key` (of the table when the key is absent), if known.
    fn line(&self, key: Option<&str>) -> Option<u32> {
        let place = self.place?;
        Some(
            key.and_then(|k| place.key_lines.get(k.split('.').next().unwrap_or(k)))
                .copied()
                .unwrap_or(place.line),
        )
    }

    /// A configuration error about `key`: `<file>:<line>: `<section>.<name>.<key>` <problem>`.
    pub fn error(&self, key: &str, problem: &str) -> Error {
        let error = ConfigError::new(problem)
            .for_key(format!("{}.{}.{key}", self.section, self.name))
            .within(
                self.place.map(|p| p.file.as_str()),
                self.line(Some(key)),
                None,
            );
        Error::Config(error)
    }

    /// A configuration error about the table as a whole.
    pub fn table_error(&self, problem: &str) -> Error {
        let error = ConfigError::new(problem)
            .for_key(format!("{}.{}", self.section, self.name))
            .within(self.place.map(|p| p.file.as_str()), self.line(None), None);
        Error::Config(error)
    }

    /// Places a configuration error raised while reading `key`'s value under that key: its own
    /// key, if any, is taken as a path inside `key` (`params` + `n` → `<section>.<name>.params.n`);
    /// other errors pass unchanged.
    pub fn nest(&self, key: &str, error: Error) -> Error {
        match error {
            Error::Config(inner) => {
                let path = match &inner.key {
                    Some(sub) => format!("{key}.{sub}"),
                    None => key.to_string(),
                };
                self.error(&path, &inner.problem)
            }
            other => other,
        }
    }

    fn wrong_type(&self, key: &str, expected: &str) -> Error {
        let found = self
            .table
            .get(key)
            .map(|v| v.type_str())
            .unwrap_or("nothing");
        self.error(key, &format!("must be {expected}, found {found}"))
    }

    /// Fails on the first key not in `allowed`.
    pub fn allow_only(&self, allowed: &[&str]) -> Result<()> {
        match self.table.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(key) => Err(self.error(
                key,
                &format!("is not a known key; known keys: {}", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    /// The value of a key that must be present; `hint` says what to write.
    pub fn required<T>(&self, key: &str, value: Option<T>, hint: &str) -> Result<T> {
        value.ok_or_else(|| self.error(key, &format!("is missing; {hint}")))
    }

    /// A string.
    pub fn string(&self, key: &str) -> Result<Option<String>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong_type(key, "a string")),
        }
    }

    /// `true` or `false`.
    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong_type(key, "true or false")),
        }
    }

    /// A finite number (integer or float).
    pub fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(toml::Value::Float(f)) if f.is_finite() => Ok(Some(*f)),
            Some(toml::Value::Float(f)) => {
                Err(self.error(key, &format!("is {f}; give a finite number")))
            }
            Some(_) => Err(self.wrong_type(key, "a number")),
        }
    }

    /// Seconds, more than 0 and at most one day.
    pub fn positive_secs(&self, key: &str) -> Result<Option<f64>> {
        match self.number(key)? {
            None => Ok(None),
            Some(x) if x > 0.0 && x <= 86_400.0 => Ok(Some(x)),
            Some(x) => Err(self.error(
                key,
                &format!("is {x}; give seconds between 0 (exclusive) and 86400"),
            )),
        }
    }

    /// An integer.
    pub fn integer(&self, key: &str) -> Result<Option<i64>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(*i)),
            Some(_) => Err(self.wrong_type(key, "an integer")),
        }
    }

    /// An integer in `range`, e.g. a count of retries or of items at once.
    pub fn integer_in(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>> {
        match self.integer(key)? {
            Some(i) if !range.contains(&i) => Err(self.error(
                key,
                &format!(
                    "is {i}; give a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
            other => Ok(other),
        }
    }

    /// A whole number from 0 to 100 (retries).
    pub fn count(&self, key: &str) -> Result<Option<u32>> {
        Ok(self.integer_in(key, 0..=100)?.map(|i| i as u32))
    }

    /// A list of strings.
    pub fn string_array(&self, key: &str) -> Result<Option<Vec<String>>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| self.wrong_type(key, "an array of strings"))
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(_) => Err(self.wrong_type(key, "an array of strings")),
        }
    }

    /// A table of strings (`env = { NAME = "value" }`).
    pub fn string_map(&self, key: &str) -> Result<Option<BTreeMap<String, String>>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::Table(t)) => {
                let mut out = BTreeMap::new();
                for (k, v) in t {
                    let s = v.as_str().ok_or_else(|| {
                        self.error(
                            &format!("{key}.{k}"),
                            &format!("must be a string, found {}", v.type_str()),
                        )
                    })?;
                    out.insert(k.clone(), s.to_string());
                }
                Ok(Some(out))
            }
            Some(_) => Err(self.wrong_type(key, "a table of strings")),
        }
    }

    /// A table converted to JSON (`params`, `extra_body`).
    pub fn json(&self, key: &str) -> Result<Option<Value>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(v @ toml::Value::Table(_)) => serde_json::to_value(v)
                .map(Some)
                .map_err(|e| self.error(key, &format!("cannot be represented as JSON: {e}"))),
            Some(_) => Err(self.wrong_type(key, "a table")),
        }
    }

    /// The raw value of a key, for readers with their own rules.
    pub fn value(&self, key: &str) -> Option<&'a toml::Value> {
        self.table.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_key_and_its_line_when_placed() {
        let table: toml::Table = toml::from_str("retries = \"3\"\nnope = 1").unwrap();
        let place = Place {
            file: "evalgate.toml".into(),
            line: 7,
            key_lines: BTreeMap::from([("retries".into(), 9), ("nope".into(), 10)]),
        };
        let keys = Keys::new("systems", "summ", &table).at(&place);
        let e = keys.count("retries").unwrap_err().to_string();
        assert_eq!(
            e,
            "evalgate.toml:9: `systems.summ.retries` must be an integer, found string"
        );
        let e = keys.allow_only(&["retries"]).unwrap_err().to_string();
        assert!(e.starts_with("evalgate.toml:10: `systems.summ.nope` is not a known key"));
        let e = keys.required::<String>("command", None, "e.g. command = [\"x\"]");
        assert!(
            e.unwrap_err()
                .to_string()
                .starts_with("evalgate.toml:7: `systems.summ.command` is missing;")
        );
        let bare = Keys::new("systems", "summ", &table);
        assert!(
            bare.count("retries")
                .unwrap_err()
                .to_string()
                .starts_with("`systems")
        );
    }
}
