//! Operations added, removed (live or deprecated), deprecated, renamed.

use nx1_codegen::pointer::escape;
use serde_json::Value;

use super::{Differ, Rule};

fn deprecated(operation: &Value) -> bool {
    operation.get("deprecated") == Some(&Value::Bool(true))
}

/// `x-sunset: YYYY-MM-DD` (oasdiff's extension): the day a deprecated operation may go.
fn sunset(operation: &Value) -> Option<(i64, String)> {
    let text = operation.get("x-sunset")?.as_str()?;
    let text = text.get(..10).unwrap_or(text);
    Some((crate::ignore::parse_date(text)?, text.to_owned()))
}

impl Differ<'_> {
    fn today(&self) -> i64 {
        self.options.today.unwrap_or_else(crate::ignore::today)
    }

    pub(super) fn endpoints_added_and_removed(&mut self) {
        let old_ops = self.old.operations.clone();
        let new_ops = self.new.operations.clone();
        for (key, (path, method, _)) in &old_ops {
            if !new_ops.contains_key(key) {
                self.operation = format!("{} {path}", method.to_ascii_uppercase());
                let pointer = format!("/paths/{}/{method}", escape(path));
                let old_op = self.old.operation(path, method);
                let (rule, message) = if deprecated(old_op) {
                    match sunset(old_op) {
                        Some((day, text)) if day > self.today() => (
                            Rule::EndpointRemovedBeforeSunset,
                            format!("`{}` is gone before its sunset, {text}", self.operation),
                        ),
                        _ => (
                            Rule::DeprecatedEndpointRemoved,
                            format!("`{}`, deprecated, is gone", self.operation),
                        ),
                    }
                } else {
                    (
                        Rule::EndpointRemoved,
                        format!("`{}` is gone", self.operation),
                    )
                };
                self.report(rule, &pointer, message);
            }
        }
        for (key, (path, method, _)) in &new_ops {
            if !old_ops.contains_key(key) {
                self.operation = format!("{} {path}", method.to_ascii_uppercase());
                let pointer = format!("/paths/{}", escape(path));
                self.report(
                    Rule::EndpointAdded,
                    &pointer,
                    format!("`{}` is new", self.operation),
                );
            }
        }
    }

    /// What changed of an operation both sides have, itself (not its parts).
    pub(super) fn endpoint(
        &mut self,
        old_op: &Value,
        new_op: &Value,
        old_name: &str,
        new_name: &str,
        pointer: &str,
    ) {
        if old_name != new_name {
            self.report(
                Rule::OperationIdChanged,
                &format!("{pointer}/operationId"),
                format!("the client method `{old_name}` becomes `{new_name}`"),
            );
        }
        if !deprecated(old_op) && deprecated(new_op) {
            self.report(
                Rule::EndpointDeprecated,
                pointer,
                format!("`{}` is deprecated", self.operation),
            );
            if let Some(days) = self.options.deprecation_days {
                let notice = sunset(new_op).map(|(day, text)| (day - self.today(), text));
                match notice {
                    Some((given, _)) if given >= i64::from(days) => {}
                    Some((given, text)) => self.report(
                        Rule::SunsetTooSoon,
                        pointer,
                        format!("sunset {text} gives {given} days' notice; {days} are asked for"),
                    ),
                    None => self.report(
                        Rule::SunsetTooSoon,
                        pointer,
                        format!(
                            "deprecated without an x-sunset date; {days} days' notice are asked for"
                        ),
                    ),
                }
            }
        }
        if self.options.strict_docs {
            for key in ["summary", "description"] {
                if old_op.get(key) != new_op.get(key) {
                    self.report(
                        Rule::OperationDescriptionChanged,
                        &format!("{pointer}/{key}"),
                        format!("the operation's {key} changed"),
                    );
                }
            }
        }
    }
}
