//! Which parts of the two sides are "the same thing": schemas that mean the same (so that an
//! unchanged subtree is never walked, whatever its size), and the pairing of union branches
//! one to one, so that reordering or renaming branches is no change and each branch is
//! compared with its own counterpart, never with the first branch of its type.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{Differ, Side, type_key};

/// Keys no rule reads (documentation, examples, vendor extensions), so two schemas that
/// differ only in them are the same. `description` counts only under `--strict-docs`.
fn ignored(key: &str, strict_docs: bool) -> bool {
    matches!(
        key,
        "title" | "example" | "examples" | "externalDocs" | "xml" | "$comment"
    ) || key.starts_with("x-")
        || (key == "description" && !strict_docs)
}

/// Keywords whose value maps names (chosen by the spec's author) to schemas.
const NAMED: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Keywords whose value is data, compared as written.
const DATA: &[&str] = &["const", "default"];

/// Memory for [`Differ::same`]: settled verdicts per pair of `$ref`s, and the pairs under
/// way, assumed equal until shown otherwise (how recursive schemas terminate).
#[derive(Default)]
pub(super) struct Sameness {
    settled: BTreeMap<(String, String), bool>,
    /// Pairs assumed equal while being compared, in the order they were entered.
    assumed: Vec<(String, String)>,
    /// The same pairs, for lookup.
    assuming: BTreeSet<(String, String)>,
}

/// One union branch as the pairing sees it.
struct Branch<'a> {
    /// The component a `$ref` branch names.
    reference: Option<&'a str>,
    /// `property=value` for every property pinned to one value (`const`, one-value `enum`,
    /// or the discriminator mapping's tag for this branch).
    tags: BTreeSet<String>,
    required: BTreeSet<String>,
    properties: BTreeSet<String>,
    kind: String,
}

impl<'a> Branch<'a> {
    fn new(side: &'a Side, union: &Value, branch: &'a Value) -> Branch<'a> {
        let reference = branch.get("$ref").and_then(Value::as_str);
        let (resolved, _, _) = side.schema(branch, String::new());
        let properties: BTreeSet<String> = resolved
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| properties.keys().cloned().collect())
            .unwrap_or_default();
        let mut tags = BTreeSet::new();
        if let Some(Value::Object(properties)) = resolved.get("properties") {
            for (name, property) in properties {
                let property = side.schema(property, String::new()).0;
                let pinned = property.get("const").or_else(|| {
                    property
                        .get("enum")
                        .and_then(Value::as_array)
                        .filter(|values| values.len() == 1)
                        .and_then(|values| values.first())
                });
                if let Some(value) = pinned {
                    tags.insert(format!("{name}={value}"));
                }
            }
        }
        if let (Some(property), Some(reference)) = (
            union
                .pointer("/discriminator/propertyName")
                .and_then(Value::as_str),
            reference,
        ) {
            let mapping = union
                .pointer("/discriminator/mapping")
                .and_then(Value::as_object);
            let tag = match mapping {
                Some(mapping) => mapping
                    .iter()
                    .filter(|(_, target)| target.as_str() == Some(reference))
                    .map(|(tag, _)| tag.clone())
                    .next(),
                None => None,
            };
            if let Some(tag) = tag {
                tags.insert(format!("{property}={}", Value::String(tag)));
            }
        }
        Branch {
            reference,
            tags,
            required: super::required(resolved)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            properties,
            kind: type_key(side, resolved),
        }
    }

    fn name(&self) -> Option<&str> {
        self.reference
            .map(|reference| reference.rsplit('/').next().unwrap_or(reference))
    }
}

/// The outcome of pairing two unions' branches (indices into each side's branch list).
pub(super) struct Pairing {
    pub pairs: Vec<(usize, usize)>,
    pub removed: Vec<usize>,
    pub added: Vec<usize>,
}

impl Differ<'_> {
    /// Whether `old` and `new` mean the same for every rule: equal up to documentation,
    /// the order of object keys and the names of the components they reference.
    pub(super) fn same(&mut self, old: &Value, new: &Value) -> bool {
        match (old, new) {
            (Value::Object(a), Value::Object(b)) => {
                let (a_ref, b_ref) = (reference(a), reference(b));
                match (a_ref, b_ref) {
                    (None, None) => self.same_maps(a, b),
                    (Some(a_ref), Some(b_ref)) => {
                        self.same_siblings(a, b) && self.same_targets(a_ref, b_ref)
                    }
                    // A reference on one side and its target written out on the other.
                    (Some(a_ref), None) if bare(a, self.options.strict_docs) => {
                        match self.old.target(a_ref) {
                            Some(target) => self.same(target, new),
                            None => false,
                        }
                    }
                    (None, Some(b_ref)) if bare(b, self.options.strict_docs) => {
                        match self.new.target(b_ref) {
                            Some(target) => self.same(old, target),
                            None => false,
                        }
                    }
                    _ => false,
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| self.same(a, b))
            }
            (a, b) => a == b,
        }
    }

    fn same_maps(&mut self, a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
        let strict = self.options.strict_docs;
        let keys = |map: &Map<String, Value>| -> usize {
            map.keys().filter(|key| !ignored(key, strict)).count()
        };
        if keys(a) != keys(b) {
            return false;
        }
        for (key, value) in a {
            if ignored(key, strict) {
                continue;
            }
            let Some(other) = b.get(key) else {
                return false;
            };
            let same = if matches!(key.as_str(), "enum" | "required") {
                // Sets written as lists: their order means nothing.
                match (value, other) {
                    (Value::Array(a), Value::Array(b)) => {
                        a.len() == b.len()
                            && a.iter().all(|item| b.contains(item))
                            && b.iter().all(|item| a.contains(item))
                    }
                    _ => value == other,
                }
            } else if DATA.contains(&key.as_str()) {
                value == other
            } else if NAMED.contains(&key.as_str()) {
                // Property names are data, not keywords: none of them is ignored.
                match (value, other) {
                    (Value::Object(a), Value::Object(b)) => {
                        a.len() == b.len()
                            && a.iter().all(|(name, schema)| {
                                b.get(name).is_some_and(|other| self.same(schema, other))
                            })
                    }
                    _ => value == other,
                }
            } else {
                self.same(value, other)
            };
            if !same {
                return false;
            }
        }
        true
    }

    fn same_siblings(&mut self, a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
        let strip = |map: &Map<String, Value>| -> Map<String, Value> {
            map.iter()
                .filter(|(key, _)| key.as_str() != "$ref")
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        };
        self.same_maps(&strip(a), &strip(b))
    }

    fn same_targets(&mut self, a_ref: &str, b_ref: &str) -> bool {
        let key = (a_ref.to_owned(), b_ref.to_owned());
        if let Some(verdict) = self.sameness.settled.get(&key) {
            return *verdict;
        }
        if self.sameness.assuming.contains(&key) {
            return true;
        }
        let (Some(a), Some(b)) = (self.old.target(a_ref), self.new.target(b_ref)) else {
            return a_ref == b_ref
                && self.old.target(a_ref).is_none()
                && self.new.target(b_ref).is_none();
        };
        let start = self.sameness.assumed.len();
        self.sameness.assumed.push(key.clone());
        self.sameness.assuming.insert(key.clone());
        let verdict = self.same(a, b);
        // Verdicts reached under the assumption stand only if it held; a difference found
        // is real whatever was assumed, so only the pairs settled as equal are withdrawn.
        let entered: Vec<(String, String)> = self.sameness.assumed.drain(start..).collect();
        if verdict {
            if start == 0 {
                for pair in entered {
                    self.sameness.assuming.remove(&pair);
                    self.sameness.settled.insert(pair, true);
                }
            } else {
                // Still inside an outer assumption: keep the pairs assumed until it settles.
                self.sameness.assumed.extend(entered);
            }
        } else {
            for pair in &entered {
                self.sameness.assuming.remove(pair);
            }
            self.sameness.settled.insert(key, false);
        }
        verdict
    }

    /// Pairs old and new branches one to one: by the component referenced, then by
    /// meaning, then by a tag value (discriminator mapping, `const` or one-value `enum`),
    /// then by the same required properties, then by the most properties in common. A
    /// branch pairs at most once; what is left was removed or added.
    pub(super) fn pair_branches(
        &mut self,
        old_union: &Value,
        old: &[Value],
        new_union: &Value,
        new: &[Value],
    ) -> Pairing {
        let (old_side, new_side) = (self.old, self.new);
        let olds: Vec<Branch> = old
            .iter()
            .map(|branch| Branch::new(old_side, old_union, branch))
            .collect();
        let news: Vec<Branch> = new
            .iter()
            .map(|branch| Branch::new(new_side, new_union, branch))
            .collect();
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        // 1. The same component, when its name is unique on both sides.
        for (i, a) in olds.iter().enumerate() {
            let Some(name) = a.name() else { continue };
            let matches: Vec<usize> = (0..news.len())
                .filter(|&j| news[j].name() == Some(name))
                .collect();
            let twins = olds.iter().filter(|b| b.name() == Some(name)).count();
            if let [j] = matches[..]
                && twins == 1
            {
                pairs.push((i, j));
            }
        }
        // 2. The same meaning (a renamed component, a branch moved).
        for (i, old_branch) in old.iter().enumerate() {
            for (j, new_branch) in new.iter().enumerate() {
                if unpaired(&pairs, i, j) && self.same(old_branch, new_branch) {
                    pairs.push((i, j));
                    break;
                }
            }
        }
        let mut old_free: Vec<bool> = (0..olds.len())
            .map(|i| pairs.iter().all(|(a, _)| *a != i))
            .collect();
        let mut new_free: Vec<bool> = (0..news.len())
            .map(|j| pairs.iter().all(|(_, b)| *b != j))
            .collect();
        // 3 and 4: a shared tag value, then the same non-empty set of required properties;
        // each only where it points at one branch on each side.
        type Key<'k> = fn(&Branch<'k>, &Branch<'k>) -> bool;
        let keys: [Key; 2] = [
            |a, b| a.kind == b.kind && a.tags.intersection(&b.tags).next().is_some(),
            |a, b| a.kind == b.kind && !a.required.is_empty() && a.required == b.required,
        ];
        for key in keys {
            for i in 0..olds.len() {
                if !old_free[i] {
                    continue;
                }
                let candidates: Vec<usize> = (0..news.len())
                    .filter(|&j| new_free[j] && key(&olds[i], &news[j]))
                    .collect();
                if let [j] = candidates[..] {
                    let rivals = (0..olds.len())
                        .filter(|&k| old_free[k] && key(&olds[k], &news[j]))
                        .count();
                    if rivals == 1 {
                        old_free[i] = false;
                        new_free[j] = false;
                        pairs.push((i, j));
                    }
                }
            }
        }
        // 5. The most alike first: same kind, then properties in common.
        let mut scored: Vec<(usize, usize, usize)> = Vec::new();
        for i in (0..olds.len()).filter(|&i| old_free[i]) {
            for j in (0..news.len()).filter(|&j| new_free[j]) {
                if olds[i].kind != news[j].kind {
                    continue;
                }
                let (a, b) = (&olds[i].properties, &news[j].properties);
                let common = a.intersection(b).count();
                let objects = !a.is_empty() || !b.is_empty();
                if objects && common == 0 {
                    continue;
                }
                // Scaled so that ties break towards the smaller symmetric difference.
                let score = common * 1000 + 999 - a.symmetric_difference(b).count().min(999);
                scored.push((score, i, j));
            }
        }
        scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        for (_, i, j) in scored {
            if old_free[i] && new_free[j] {
                old_free[i] = false;
                new_free[j] = false;
                pairs.push((i, j));
            }
        }
        pairs.sort_unstable();
        Pairing {
            removed: (0..olds.len()).filter(|&i| old_free[i]).collect(),
            added: (0..news.len()).filter(|&j| new_free[j]).collect(),
            pairs,
        }
    }
}

fn unpaired(pairs: &[(usize, usize)], i: usize, j: usize) -> bool {
    pairs.iter().all(|(a, b)| *a != i && *b != j)
}

fn reference(map: &Map<String, Value>) -> Option<&str> {
    map.get("$ref").and_then(Value::as_str)
}

/// A `$ref` with nothing beside it that a rule reads.
fn bare(map: &Map<String, Value>, strict_docs: bool) -> bool {
    map.keys()
        .all(|key| key == "$ref" || ignored(key, strict_docs))
}

/// Writes every `allOf` of two or more object schemas as the one object it means (the
/// properties and `required` of all its parts), so that moving properties into a base
/// schema is no change. An `allOf` whose parts disagree on a keyword, or that holds a
/// union, is left as written.
pub(super) fn flatten_all_of(root: &mut Value) -> BTreeMap<String, String> {
    let mut origins = BTreeMap::new();
    let mut places = Vec::new();
    compositions(root, String::new(), &mut places);
    if places.is_empty() {
        return origins;
    }
    // Deepest first, each read from the document as flattened so far: an outer merge
    // copies properties whose own `allOf`s are already flattened, wherever they came from
    // (a property moved into a base part is then the same on both sides).
    places.sort_by_key(|place| std::cmp::Reverse(place.matches('/').count()));
    for place in places {
        let Some(schema) = root.pointer(&place) else {
            continue;
        };
        if let Some((merged, from)) = merged(root, schema, &place, 0)
            && let Some(slot) = root.pointer_mut(&place)
        {
            *slot = Value::Object(merged);
            for (name, origin) in from {
                let here = format!("{place}/properties/{}", nx1_codegen::pointer::escape(&name));
                if here != origin {
                    origins.insert(here, origin);
                }
            }
        }
    }
    origins
}

fn compositions(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map
                .get("allOf")
                .and_then(Value::as_array)
                .is_some_and(|parts| parts.len() >= 2)
            {
                out.push(at.clone());
            }
            for (key, item) in map {
                compositions(
                    item,
                    format!("{at}/{}", nx1_codegen::pointer::escape(key)),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                compositions(item, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
}

/// The object `schema` (at `at`) means, its `$ref`s and `allOf`s merged, with where each
/// property was written; `None` where they disagree.
fn merged(
    root: &Value,
    schema: &Value,
    at: &str,
    depth: usize,
) -> Option<(Map<String, Value>, BTreeMap<String, String>)> {
    if depth > 16 {
        return None;
    }
    let map = schema.as_object()?;
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        let target_at = reference.strip_prefix('#')?;
        let target = root.pointer(target_at)?;
        let (mut out, origins) = merged(root, target, target_at, depth + 1)?;
        // A `$ref` that is one part of several is an object part: keep its own keys out
        // of the way of the parent's documentation.
        for key in ["title", "description"] {
            out.remove(key);
        }
        return Some((out, origins));
    }
    if map.contains_key("oneOf") || map.contains_key("anyOf") || map.contains_key("not") {
        return None;
    }
    let mut out: Map<String, Value> = map
        .iter()
        .filter(|(key, _)| key.as_str() != "allOf")
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let mut origins: BTreeMap<String, String> = out
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|properties| properties.keys())
        .map(|name| {
            let origin = format!("{at}/properties/{}", nx1_codegen::pointer::escape(name));
            (name.clone(), origin)
        })
        .collect();
    for (index, part) in map
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let (part, from) = merged(root, part, &format!("{at}/allOf/{index}"), depth + 1)?;
        combine(&mut out, part)?;
        for (name, origin) in from {
            origins.entry(name).or_insert(origin);
        }
    }
    let object = out.get("type").is_none_or(|kind| kind == "object");
    (object && out.contains_key("properties")).then_some((out, origins))
}

fn combine(into: &mut Map<String, Value>, from: Map<String, Value>) -> Option<()> {
    for (key, value) in from {
        match key.as_str() {
            "properties" => {
                let properties = into
                    .entry("properties")
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()?;
                for (name, schema) in value.as_object()? {
                    match properties.get(name) {
                        Some(existing) if existing != schema => return None,
                        Some(_) => {}
                        None => {
                            properties.insert(name.clone(), schema.clone());
                        }
                    }
                }
            }
            "required" => {
                let required = into
                    .entry("required")
                    .or_insert_with(|| Value::Array(Vec::new()))
                    .as_array_mut()?;
                for name in value.as_array()? {
                    if !required.contains(name) {
                        required.push(name.clone());
                    }
                }
            }
            key if ignored(key, true) => {
                into.entry(key).or_insert(value);
            }
            _ => match into.get(&key) {
                Some(existing) if *existing != value => return None,
                Some(_) => {}
                None => {
                    into.insert(key, value);
                }
            },
        }
    }
    Some(())
}
