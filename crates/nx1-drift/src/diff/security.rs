//! Which credentials an operation takes, and which OAuth2 scopes each must carry.

use std::collections::{BTreeMap, BTreeSet};

use super::{Differ, Rule};

/// The alternatives an operation accepts: for each set of schemes that must all be
/// presented, the scopes each scheme asks for.
type Alternatives = BTreeMap<BTreeSet<String>, BTreeMap<String, BTreeSet<String>>>;

fn alternatives(requirements: BTreeSet<BTreeMap<String, BTreeSet<String>>>) -> Alternatives {
    let mut out = Alternatives::new();
    for requirement in requirements {
        let schemes: BTreeSet<String> = requirement.keys().cloned().collect();
        let scopes = out.entry(schemes).or_default();
        for (scheme, wanted) in requirement {
            scopes.entry(scheme).or_default().extend(wanted);
        }
    }
    out
}

impl Differ<'_> {
    pub(super) fn security(
        &mut self,
        old_path: &str,
        old_method: &str,
        new_path: &str,
        new_method: &str,
        pointer: &str,
    ) {
        let old = alternatives(self.old.security(old_path, old_method));
        let new = alternatives(self.new.security(new_path, new_method));
        let old_schemes: BTreeSet<&BTreeSet<String>> = old.keys().collect();
        let new_schemes: BTreeSet<&BTreeSet<String>> = new.keys().collect();
        if old_schemes != new_schemes {
            let show = |set: &BTreeSet<&BTreeSet<String>>| {
                if set.is_empty() {
                    return "none".to_owned();
                }
                set.iter()
                    .map(|all| all.iter().cloned().collect::<Vec<_>>().join(" + "))
                    .collect::<Vec<_>>()
                    .join(" or ")
            };
            let rule = if old_schemes.is_subset(&new_schemes) && !old_schemes.is_empty() {
                Rule::SecurityAlternativeAdded
            } else {
                Rule::SecurityChanged
            };
            self.report(
                rule,
                &format!("{pointer}/security"),
                format!(
                    "security was {}, is {}",
                    show(&old_schemes),
                    show(&new_schemes)
                ),
            );
            return;
        }
        for (schemes, old_scopes) in &old {
            let Some(new_scopes) = new.get(schemes) else {
                continue;
            };
            for (scheme, before) in old_scopes {
                let empty = BTreeSet::new();
                let after = new_scopes.get(scheme).unwrap_or(&empty);
                for scope in after.difference(before) {
                    self.report(
                        Rule::SecurityScopeAdded,
                        &format!("{pointer}/security"),
                        format!("`{scheme}` now also asks for the scope `{scope}`"),
                    );
                }
                for scope in before.difference(after) {
                    self.report(
                        Rule::SecurityScopeRemoved,
                        &format!("{pointer}/security"),
                        format!("`{scheme}` no longer asks for the scope `{scope}`"),
                    );
                }
            }
        }
    }
}
