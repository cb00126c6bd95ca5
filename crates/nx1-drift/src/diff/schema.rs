//! Schemas of bodies, compared by concern: the type (changed, widened, narrowed, become a
//! union), unions branch by branch, enum values, nullability, bounds, defaults, read- and
//! write-only, then properties and nested items.

use nx1_codegen::pointer::escape;
use serde_json::{Map, Value};

use super::matching::Pairing;
use super::{
    Differ, Direction, Rule, constraint_changes, enum_values, raw_type, required, type_key,
    type_of, union_branches,
};

/// A mapping target as a schema that references it.
fn json_ref(target: &Value) -> Value {
    serde_json::json!({ "$ref": target })
}

impl Differ<'_> {
    /// Compares two schemas found at `old_at` and `new_at` (pointers into each side).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn schema(
        &mut self,
        direction: Direction,
        old: &Value,
        new: &Value,
        old_at: String,
        new_at: String,
        field: &str,
        depth: usize,
    ) {
        if depth > 64 {
            return;
        }
        // What means the same on both sides has nothing to report, however large.
        if self.same(old, new) {
            return;
        }
        let (old_schema, old_nullable, old_at) = self.old.schema(old, old_at);
        let (new_schema, new_nullable, new_at) = self.new.schema(new, new_at);
        let key = (old_at.clone(), new_at.clone(), direction);
        if !self.visited.insert(key) {
            return;
        }
        let at = (old_at.as_str(), new_at.as_str());
        if self.unions(direction, old_schema, new_schema, at, field, depth)
            || self.type_changed(direction, old_schema, new_schema, &old_at, field)
        {
            return;
        }
        self.nullability(direction, old_nullable, new_nullable, &old_at, field);
        self.values(direction, old_schema, new_schema, &old_at, field);
        self.access(direction, old_schema, new_schema, &old_at, field);
        if self.options.strict_docs
            && old_schema.get("description") != new_schema.get("description")
        {
            self.report(
                Rule::PropertyDescriptionChanged,
                &old_at,
                format!("the description of `{field}` changed"),
            );
        }
        self.properties(direction, old_schema, new_schema, at, field, depth);
        self.nested(direction, old_schema, new_schema, at, field, depth);
    }

    /// Unions on both sides: branches paired one to one (see `matching`), the pairs
    /// compared, the rest added or removed. `true` when the schemas were unions (nothing
    /// more to compare at this level).
    fn unions(
        &mut self,
        direction: Direction,
        old_schema: &Value,
        new_schema: &Value,
        (old_at, new_at): (&str, &str),
        field: &str,
        depth: usize,
    ) -> bool {
        let (Some((old_keyword, old_branches)), Some((new_keyword, new_branches))) = (
            union_branches(self.old, old_schema),
            union_branches(self.new, new_schema),
        ) else {
            return false;
        };
        let old_values: Vec<Value> = old_branches.iter().map(|(_, _, b)| b.clone()).collect();
        let new_values: Vec<Value> = new_branches.iter().map(|(_, _, b)| b.clone()).collect();
        let pairing = self.pair_branches(old_schema, &old_values, new_schema, &new_values);
        self.discriminator(
            old_schema,
            new_schema,
            &old_values,
            &new_values,
            &pairing,
            old_at,
            field,
        );
        for &j in &pairing.added {
            let name = &new_branches[j].1;
            self.report(
                direction.pick(
                    Rule::RequestUnionVariantAdded,
                    Rule::ResponseUnionVariantAdded,
                ),
                old_at,
                format!("`{field}` may now be a {name}"),
            );
        }
        for &i in &pairing.removed {
            let name = &old_branches[i].1;
            self.report(
                direction.pick(
                    Rule::RequestUnionVariantRemoved,
                    Rule::ResponseUnionVariantRemoved,
                ),
                old_at,
                format!("`{field}` can no longer be a {name}"),
            );
        }
        for &(i, j) in &pairing.pairs {
            let (old_index, _, old_branch) = &old_branches[i];
            let (new_index, _, new_branch) = &new_branches[j];
            self.schema(
                direction,
                old_branch,
                new_branch,
                format!("{old_at}/{old_keyword}/{old_index}"),
                format!("{new_at}/{new_keyword}/{new_index}"),
                field,
                depth + 1,
            );
        }
        true
    }

    /// The property that tags a union's variants, and which variant each tag value picks:
    /// a value that now picks another variant, or none, decodes differently. Variants are
    /// told apart by the pairing, so a renamed component is the same variant.
    #[allow(clippy::too_many_arguments)]
    fn discriminator(
        &mut self,
        old_schema: &Value,
        new_schema: &Value,
        old_branches: &[Value],
        new_branches: &[Value],
        pairing: &Pairing,
        old_at: &str,
        field: &str,
    ) {
        let property = |schema: &Value| {
            schema
                .pointer("/discriminator/propertyName")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let (old_property, new_property) = (property(old_schema), property(new_schema));
        if old_property != new_property {
            let shown = |name: &Option<String>| {
                name.as_deref()
                    .map_or("none".to_owned(), |name| format!("`{name}`"))
            };
            self.report(
                Rule::DiscriminatorChanged,
                old_at,
                format!(
                    "`{field}`: the variant is told by {} instead of {}",
                    shown(&new_property),
                    shown(&old_property)
                ),
            );
            return;
        }
        let empty = Map::new();
        let mapping = |schema: &Value| -> Map<String, Value> {
            schema
                .pointer("/discriminator/mapping")
                .and_then(Value::as_object)
                .unwrap_or(&empty)
                .clone()
        };
        let (old_mapping, new_mapping) = (mapping(old_schema), mapping(new_schema));
        let branch_of = |branches: &[Value], target: &Value| {
            branches
                .iter()
                .position(|branch| branch.get("$ref") == Some(target))
        };
        for (tag, old_target) in &old_mapping {
            let Some(new_target) = new_mapping.get(tag) else {
                self.report(
                    Rule::DiscriminatorChanged,
                    old_at,
                    format!("`{field}`: the tag {tag:?} picks no variant any more"),
                );
                continue;
            };
            let paired = match (
                branch_of(old_branches, old_target),
                branch_of(new_branches, new_target),
            ) {
                (Some(i), Some(j)) => pairing.pairs.contains(&(i, j)),
                _ => {
                    let (old_target, new_target) = (json_ref(old_target), json_ref(new_target));
                    self.same(&old_target, &new_target)
                }
            };
            if !paired {
                self.report(
                    Rule::DiscriminatorChanged,
                    old_at,
                    format!(
                        "`{field}`: the tag {tag:?} now picks {new_target} instead of {old_target}"
                    ),
                );
            }
        }
    }

    /// A changed type, widening and narrowing told apart (a type that became or stopped
    /// being a union is a changed type, described as such). `true` when reported.
    fn type_changed(
        &mut self,
        direction: Direction,
        old_schema: &Value,
        new_schema: &Value,
        old_at: &str,
        field: &str,
    ) -> bool {
        match (raw_type(old_schema), raw_type(new_schema)) {
            (Some("integer"), Some("number")) => {
                self.report(
                    direction.pick(
                        Rule::RequestPropertyTypeWidened,
                        Rule::ResponsePropertyTypeWidened,
                    ),
                    old_at,
                    format!("`{field}` widened from integer to number"),
                );
                return true;
            }
            (Some("number"), Some("integer")) => {
                self.report(
                    direction.pick(
                        Rule::RequestPropertyTypeNarrowed,
                        Rule::ResponsePropertyTypeNarrowed,
                    ),
                    old_at,
                    format!("`{field}` narrowed from number to integer"),
                );
                return true;
            }
            _ => {}
        }
        let old_key = type_key(self.old, old_schema);
        let new_key = type_key(self.new, new_schema);
        if old_key.is_empty() || new_key.is_empty() || old_key == new_key {
            return false;
        }
        let old_type = type_of(self.old, old_schema);
        let new_type = type_of(self.new, new_schema);
        let message = if new_type.starts_with("one of ") {
            format!("`{field}` was {old_type}, is now {new_type}")
        } else {
            format!("`{field}` changed type from {old_type} to {new_type}")
        };
        self.report(
            direction.pick(
                Rule::RequestPropertyTypeChanged,
                Rule::ResponsePropertyTypeChanged,
            ),
            old_at,
            message,
        );
        true
    }

    fn nullability(
        &mut self,
        direction: Direction,
        was: bool,
        is: bool,
        old_at: &str,
        field: &str,
    ) {
        let rule = match (was, is) {
            (false, true) => direction.pick(
                Rule::RequestPropertyBecameNullable,
                Rule::ResponsePropertyBecameNullable,
            ),
            (true, false) => direction.pick(
                Rule::RequestPropertyBecameNonNullable,
                Rule::ResponsePropertyBecameNonNullable,
            ),
            _ => return,
        };
        let words = if is {
            "can now be null"
        } else {
            "can no longer be null"
        };
        self.report(rule, old_at, format!("`{field}` {words}"));
    }

    /// Enum values (and `const`), a free string that became an enum, bounds, defaults.
    fn values(
        &mut self,
        direction: Direction,
        old_schema: &Value,
        new_schema: &Value,
        old_at: &str,
        field: &str,
    ) {
        match (enum_values(old_schema), enum_values(new_schema)) {
            (Some(old_values), Some(new_values)) => {
                for value in new_values.difference(&old_values) {
                    self.report(
                        direction.pick(
                            Rule::RequestPropertyEnumValueAdded,
                            Rule::ResponsePropertyEnumValueAdded,
                        ),
                        old_at,
                        format!("`{field}` gained the value {value}"),
                    );
                }
                for value in old_values.difference(&new_values) {
                    self.report(
                        direction.pick(
                            Rule::RequestPropertyEnumValueRemoved,
                            Rule::ResponsePropertyEnumValueRemoved,
                        ),
                        old_at,
                        format!("`{field}` lost the value {value}"),
                    );
                }
            }
            (None, Some(values)) => self.report(
                direction.pick(
                    Rule::RequestPropertyBecameEnum,
                    Rule::ResponsePropertyBecameEnum,
                ),
                old_at,
                format!(
                    "`{field}` is now one of {}",
                    values.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ),
            _ => {}
        }
        for (tightened, change) in constraint_changes(old_schema, new_schema) {
            let rule = match (direction, tightened) {
                (Direction::Request, true) => Rule::RequestPropertyConstraintTightened,
                (Direction::Request, false) => Rule::RequestPropertyConstraintRelaxed,
                (Direction::Response, true) => Rule::ResponsePropertyConstraintTightened,
                (Direction::Response, false) => Rule::ResponsePropertyConstraintRelaxed,
            };
            self.report(rule, old_at, format!("`{field}`: {change}"));
        }
        if direction == Direction::Request && old_schema.get("default") != new_schema.get("default")
        {
            let shown = |value: Option<&Value>| value.map_or("none".to_owned(), Value::to_string);
            self.report(
                Rule::RequestPropertyDefaultChanged,
                old_at,
                format!(
                    "`{field}`: default {} → {}",
                    shown(old_schema.get("default")),
                    shown(new_schema.get("default"))
                ),
            );
        }
    }

    /// `readOnly` in requests and `writeOnly` in responses: the property stops travelling.
    fn access(
        &mut self,
        direction: Direction,
        old_schema: &Value,
        new_schema: &Value,
        old_at: &str,
        field: &str,
    ) {
        let flag = |schema: &Value, key: &str| schema.get(key) == Some(&Value::Bool(true));
        let (key, rule, words) = match direction {
            Direction::Request => (
                "readOnly",
                Rule::RequestPropertyBecameReadOnly,
                "is read-only: what is sent is ignored",
            ),
            Direction::Response => (
                "writeOnly",
                Rule::ResponsePropertyBecameWriteOnly,
                "is write-only: answers no longer carry it",
            ),
        };
        if !flag(old_schema, key) && flag(new_schema, key) {
            self.report(rule, old_at, format!("`{field}` {words}"));
        }
    }

    /// An object's properties, one by one, and what `required` says of each.
    fn properties(
        &mut self,
        direction: Direction,
        old_schema: &Value,
        new_schema: &Value,
        (old_at, new_at): (&str, &str),
        field: &str,
        depth: usize,
    ) {
        let empty = Map::new();
        let old_properties = old_schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new_properties = new_schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let old_required = required(old_schema);
        let new_required = required(new_schema);
        let child = |name: &str| {
            if field == "body" {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            }
        };
        for (name, old_property) in old_properties {
            let at = format!("{old_at}/properties/{}", escape(name));
            let was_required = old_required.contains(name.as_str());
            let Some(new_property) = new_properties.get(name) else {
                let rule = match (direction, was_required) {
                    (Direction::Response, true) => Rule::ResponseRequiredPropertyRemoved,
                    (Direction::Response, false) => Rule::ResponseOptionalPropertyRemoved,
                    (Direction::Request, _) => Rule::RequestPropertyRemoved,
                };
                let side = match direction {
                    Direction::Request => "request",
                    Direction::Response => "response",
                };
                self.report(
                    rule,
                    &at,
                    format!("{side} property `{}` is gone", child(name)),
                );
                continue;
            };
            let is_required = new_required.contains(name.as_str());
            let became = match (direction, was_required, is_required) {
                (Direction::Request, false, true) => {
                    Some((Rule::RequestPropertyBecameRequired, "request", "required"))
                }
                (Direction::Request, true, false) => {
                    Some((Rule::RequestPropertyBecameOptional, "request", "optional"))
                }
                (Direction::Response, true, false) => {
                    Some((Rule::ResponsePropertyBecameOptional, "response", "optional"))
                }
                (Direction::Response, false, true) => {
                    Some((Rule::ResponsePropertyBecameRequired, "response", "required"))
                }
                _ => None,
            };
            if let Some((rule, side, words)) = became {
                self.report(
                    rule,
                    &at,
                    format!("{side} property `{}` became {words}", child(name)),
                );
            }
            let (old_property, new_property) = (old_property.clone(), new_property.clone());
            let new_property_at = format!("{new_at}/properties/{}", escape(name));
            self.schema(
                direction,
                &old_property,
                &new_property,
                at,
                new_property_at,
                &child(name),
                depth + 1,
            );
        }
        for name in new_properties.keys() {
            if old_properties.contains_key(name) {
                continue;
            }
            let is_required = new_required.contains(name.as_str());
            let rule = match (direction, is_required) {
                (Direction::Request, true) => Rule::NewRequiredRequestProperty,
                (Direction::Request, false) => Rule::NewOptionalRequestProperty,
                (Direction::Response, true) => Rule::ResponseRequiredPropertyAdded,
                (Direction::Response, false) => Rule::ResponseOptionalPropertyAdded,
            };
            self.report(
                rule,
                &format!("{old_at}/properties"),
                format!(
                    "new {} property `{}`",
                    if is_required { "required" } else { "optional" },
                    child(name)
                ),
            );
        }
    }

    /// Array items and map values, compared as schemas of their own.
    fn nested(
        &mut self,
        direction: Direction,
        old_schema: &Value,
        new_schema: &Value,
        (old_at, new_at): (&str, &str),
        field: &str,
        depth: usize,
    ) {
        if let (Some(old_items), Some(new_items)) =
            (old_schema.get("items"), new_schema.get("items"))
        {
            let (old_items, new_items) = (old_items.clone(), new_items.clone());
            self.schema(
                direction,
                &old_items,
                &new_items,
                format!("{old_at}/items"),
                format!("{new_at}/items"),
                &format!("{field}[]"),
                depth + 1,
            );
        }
        if let (Some(old_values @ Value::Object(_)), Some(new_values @ Value::Object(_))) = (
            old_schema.get("additionalProperties"),
            new_schema.get("additionalProperties"),
        ) {
            let (old_values, new_values) = (old_values.clone(), new_values.clone());
            self.schema(
                direction,
                &old_values,
                &new_values,
                format!("{old_at}/additionalProperties"),
                format!("{new_at}/additionalProperties"),
                &format!("{field}{{}}"),
                depth + 1,
            );
        }
    }
}
