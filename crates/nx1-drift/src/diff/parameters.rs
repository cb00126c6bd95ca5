//! Path, query, header and cookie parameters: added, removed, required, typed, bounded.

use std::collections::BTreeMap;

use nx1_codegen::spec::PathTemplate;
use serde_json::Value;

use super::{Differ, Rule, constraint_changes, enum_values, raw_type, type_key, type_of};

impl Differ<'_> {
    pub(super) fn parameters(
        &mut self,
        old_path: &str,
        old_method: &str,
        new_path: &str,
        new_method: &str,
        pointer: &str,
    ) {
        let old = self.old.parameters(old_path, old_method);
        let new = self.new.parameters(new_path, new_method);
        // Path parameters are matched by position: a rename is not a removal.
        let old_path_names: Vec<&str> = PathTemplate::parse(old_path).names();
        let new_path_names: Vec<&str> = PathTemplate::parse(new_path).names();
        let renamed = |key: &(String, String)| -> (String, String) {
            if key.0 == "path"
                && let Some(index) = new_path_names.iter().position(|n| *n == key.1)
                && let Some(old_name) = old_path_names.get(index)
            {
                return (key.0.clone(), (*old_name).to_owned());
            }
            key.clone()
        };
        let new: BTreeMap<(String, String), (Value, String)> = new
            .into_iter()
            .map(|(key, value)| (renamed(&key), value))
            .collect();
        for ((location, name), (parameter, _)) in &new {
            if !old.contains_key(&(location.clone(), name.clone())) {
                let required = parameter.get("required") == Some(&Value::Bool(true));
                let (rule, words) = if required {
                    (Rule::NewRequiredRequestParameter, "required")
                } else {
                    (Rule::NewOptionalRequestParameter, "optional")
                };
                self.report(
                    rule,
                    &format!("{pointer}/parameters"),
                    format!("new {words} {location} parameter `{name}`"),
                );
            }
        }
        for ((location, name), (old_parameter, at)) in &old {
            let Some((new_parameter, _)) = new.get(&(location.clone(), name.clone())) else {
                self.report(
                    Rule::RequestParameterRemoved,
                    at,
                    format!("{location} parameter `{name}` is gone"),
                );
                continue;
            };
            let what = format!("{location} parameter `{name}`");
            self.parameter(old_parameter, new_parameter, at, &what);
        }
    }

    /// One parameter both sides declare.
    fn parameter(&mut self, old: &Value, new: &Value, at: &str, what: &str) {
        let flag = |parameter: &Value, key: &str| parameter.get(key) == Some(&Value::Bool(true));
        match (flag(old, "required"), flag(new, "required")) {
            (false, true) => self.report(
                Rule::RequestParameterBecameRequired,
                &format!("{at}/required"),
                format!("{what} became required"),
            ),
            (true, false) => self.report(
                Rule::RequestParameterBecameOptional,
                &format!("{at}/required"),
                format!("{what} became optional"),
            ),
            _ => {}
        }
        if !flag(old, "deprecated") && flag(new, "deprecated") {
            self.report(
                Rule::RequestParameterDeprecated,
                at,
                format!("{what} is deprecated"),
            );
        }
        let empty = Value::Null;
        let (old_schema, _, old_at) = self
            .old
            .schema(old.get("schema").unwrap_or(&empty), format!("{at}/schema"));
        let (new_schema, _, _) = self
            .new
            .schema(new.get("schema").unwrap_or(&empty), String::new());
        let (old_type, new_type) = (type_of(self.old, old_schema), type_of(self.new, new_schema));
        let widened = matches!(
            (raw_type(old_schema), raw_type(new_schema)),
            (Some("integer"), Some("number")) | (Some("number"), Some("integer"))
        );
        let (old_key, new_key) = (
            type_key(self.old, old_schema),
            type_key(self.new, new_schema),
        );
        if (old_key != new_key && !old_key.is_empty() && !new_key.is_empty()) || widened {
            let (old_type, new_type) = if widened {
                (
                    raw_type(old_schema).unwrap_or_default().to_owned(),
                    raw_type(new_schema).unwrap_or_default().to_owned(),
                )
            } else {
                (old_type, new_type)
            };
            self.report(
                Rule::RequestParameterTypeChanged,
                &old_at,
                format!("{what} changed type from {old_type} to {new_type}"),
            );
            return;
        }
        match (enum_values(old_schema), enum_values(new_schema)) {
            (Some(old_values), Some(new_values)) => {
                for value in old_values.difference(&new_values) {
                    self.report(
                        Rule::RequestParameterEnumValueRemoved,
                        &old_at,
                        format!("{what} no longer accepts {value}"),
                    );
                }
                for value in new_values.difference(&old_values) {
                    self.report(
                        Rule::RequestParameterEnumValueAdded,
                        &old_at,
                        format!("{what} now accepts {value}"),
                    );
                }
            }
            (None, Some(values)) => self.report(
                Rule::RequestParameterBecameEnum,
                &old_at,
                format!(
                    "{what} now takes only {}",
                    values.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ),
            _ => {}
        }
        for (tightened, change) in constraint_changes(old_schema, new_schema) {
            let rule = if tightened {
                Rule::RequestParameterConstraintTightened
            } else {
                Rule::RequestParameterConstraintRelaxed
            };
            self.report(rule, &old_at, format!("{what}: {change}"));
        }
        if old_schema.get("default") != new_schema.get("default") {
            let shown = |value: Option<&Value>| value.map_or("none".to_owned(), Value::to_string);
            self.report(
                Rule::RequestParameterDefaultChanged,
                &old_at,
                format!(
                    "{what}: default {} → {}",
                    shown(old_schema.get("default")),
                    shown(new_schema.get("default"))
                ),
            );
        }
    }
}
