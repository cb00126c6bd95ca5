//! Which credentials an operation takes.

use std::collections::BTreeSet;

use super::{Differ, Rule};

impl Differ<'_> {
    pub(super) fn security(
        &mut self,
        old_path: &str,
        old_method: &str,
        new_path: &str,
        new_method: &str,
        pointer: &str,
    ) {
        let old = self.old.security(old_path, old_method);
        let new = self.new.security(new_path, new_method);
        if old == new {
            return;
        }
        let show = |set: &BTreeSet<Vec<String>>| {
            if set.is_empty() {
                return "none".to_owned();
            }
            set.iter()
                .map(|all| all.join(" + "))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let rule = if old.is_subset(&new) && !old.is_empty() {
            Rule::SecurityAlternativeAdded
        } else {
            Rule::SecurityChanged
        };
        self.report(
            rule,
            &format!("{pointer}/security"),
            format!("security was {}, is {}", show(&old), show(&new)),
        );
    }
}
