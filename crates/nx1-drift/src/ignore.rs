//! The ignore file: changes the team has accepted, each with a reason and an expiry after
//! which it shows again.
//!
//! ```toml
//! [[ignore]]
//! rule = "endpoint-added"
//! operation = "GET /api/files"
//! reason = "lands in the next client release"
//! expires = "2027-01-31"
//! ```

use std::path::Path;

use serde::Deserialize;

use crate::DriftError;
use crate::diff::Change;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    /// `METHOD /path`, or `*` for every operation.
    pub operation: String,
    pub reason: String,
    /// `YYYY-MM-DD`; the entry hides its change until the end of that day.
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreFile {
    #[serde(default)]
    pub ignore: Vec<Entry>,
}

impl IgnoreFile {
    pub fn load(path: &Path) -> Result<Self, DriftError> {
        let fail = |message: String| DriftError::Ignore {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|err| fail(err.to_string()))?;
        let file: IgnoreFile = toml::from_str(&text).map_err(|err| fail(err.to_string()))?;
        for entry in &file.ignore {
            if crate::diff::Rule::from_id(&entry.rule).is_none() {
                return Err(fail(format!(
                    "`{}` is not a rule; the rules are listed in the README (e.g. `endpoint-added`)",
                    entry.rule
                )));
            }
            if let Some(expires) = &entry.expires
                && parse_date(expires).is_none()
            {
                return Err(fail(format!(
                    "expires `{expires}` of rule `{}` is not a YYYY-MM-DD date",
                    entry.rule
                )));
            }
        }
        Ok(file)
    }

    /// Entries whose expiry has passed: they hide nothing any more, which their authors
    /// should hear about.
    pub fn expired(&self, today: i64) -> Vec<&Entry> {
        self.ignore
            .iter()
            .filter(|entry| {
                entry
                    .expires
                    .as_deref()
                    .and_then(parse_date)
                    .is_some_and(|expires| today > expires)
            })
            .collect()
    }

    /// Splits `changes` into the ones still reported and the ones hidden (with the entry's
    /// reason). `today` is days since 1970-01-01.
    pub fn apply(&self, changes: Vec<Change>, today: i64) -> (Vec<Change>, Vec<(Change, String)>) {
        let mut kept = Vec::new();
        let mut hidden = Vec::new();
        for change in changes {
            let entry = self.ignore.iter().find(|entry| {
                entry.rule == change.id
                    && (entry.operation == "*" || entry.operation == change.operation)
                    && entry
                        .expires
                        .as_deref()
                        .and_then(parse_date)
                        .is_none_or(|expires| today <= expires)
            });
            match entry {
                Some(entry) => hidden.push((change, entry.reason.clone())),
                None => kept.push(change),
            }
        }
        (kept, hidden)
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// Today, in days since 1970-01-01.
pub fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| (elapsed.as_secs() / 86_400) as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-11-28"), Some(20_785));
        assert_eq!(parse_date("2026-13-01"), None);
    }
}
