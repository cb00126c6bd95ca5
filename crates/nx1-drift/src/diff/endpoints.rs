//! Operations added, removed (live or deprecated), deprecated, renamed.

use nx1_codegen::pointer::escape;
use serde_json::Value;

use super::{Differ, Rule};

fn deprecated(operation: &Value) -> bool {
    operation.get("deprecated") == Some(&Value::Bool(true))
}

impl Differ<'_> {
    pub(super) fn endpoints_added_and_removed(&mut self) {
        let old_ops = self.old.operations.clone();
        let new_ops = self.new.operations.clone();
        for (key, (path, method, _)) in &old_ops {
            if !new_ops.contains_key(key) {
                self.operation = format!("{} {path}", method.to_ascii_uppercase());
                let pointer = format!("/paths/{}/{method}", escape(path));
                let (rule, message) = if deprecated(self.old.operation(path, method)) {
                    (
                        Rule::DeprecatedEndpointRemoved,
                        format!("`{}`, deprecated, is gone", self.operation),
                    )
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
