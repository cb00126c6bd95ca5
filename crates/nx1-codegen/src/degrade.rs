//! Lose one schema, never the spec.
//!
//! typify and progenitor panic on, or reject, shapes that no rewrite foresaw. When they do,
//! the schemas at fault are found by bisection over every schema location of the document
//! (components, and the parameter, body and response schemas of every operation), narrowed
//! down inside each culprit as far as generation allows, and only those are replaced by an
//! untyped JSON value, each with a note naming its pointer and the reason. Every other schema
//! stays typed. A spec whose failure no schema explains is reported as before.

use std::collections::{BTreeMap, BTreeSet};
use std::panic;

use proc_macro2::TokenStream;
use serde_json::{Value, json};

use crate::backend::{ClientConfig, Fidelity, run_progenitor, to_openapiv3};
use crate::error::SpecError;
use crate::pointer::{self, child};
use crate::spec::{HTTP_METHODS, Note};
use crate::walk;

/// A document progenitor generates code for, and what that generation gave.
pub struct Generable {
    pub spec: openapiv3::OpenAPI,
    /// Pointers of the schemas that had to be made untyped.
    pub degraded: Vec<String>,
    /// The `types` module (the same whatever the client's configuration).
    pub types: TokenStream,
    /// The whole client for the default [`ClientConfig`], from the same progenitor run,
    /// so that a default-configured client costs no second run.
    pub default_client: TokenStream,
    pub fidelity: Fidelity,
}

/// Returns `value` as an OpenAPI 3.0 document that progenitor generates code for, and
/// whose types rustc accepts: where typify gives two schemas one Rust name (E0428, which
/// no renaming of its output can undo, since every use says only the name), the schemas
/// of that name are made untyped, with a note, and generation runs again.
pub fn generable(
    origin: &str,
    mut value: Value,
    notes: &mut Vec<Note>,
) -> Result<Generable, SpecError> {
    let mut named_twice: Vec<String> = Vec::new();
    for _ in 0..8 {
        let mut round = Vec::new();
        let mut generated = generable_once(origin, value.clone(), &mut round)?;
        let twice = crate::soundness::twice_defined(&generated.types);
        let culprits: Vec<(String, String)> = twice
            .iter()
            .flat_map(|name| {
                schemas_named(&value, name)
                    .into_iter()
                    .map(move |pointer| (pointer, name.clone()))
            })
            .filter(|(pointer, _)| !named_twice.contains(pointer))
            .collect();
        if culprits.is_empty() {
            notes.extend(round);
            generated.degraded.extend(named_twice);
            return Ok(generated);
        }
        for (pointer, name) in culprits {
            replace(&mut value, &pointer);
            notes.push(Note::untyped(
                pointer.clone(),
                format!("cannot be typed (typify gives it and another type the one name `{name}`)"),
            ));
            named_twice.push(pointer);
        }
    }
    generable_once(origin, value, notes)
}

/// The schemas typify names `name`: components whose key it derives that name from, and
/// inline schemas titled so.
fn schemas_named(value: &Value, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(schemas) = value
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for key in schemas.keys() {
            if crate::names::typify_pascal(key) == name {
                out.push(child("/components/schemas", key));
            }
        }
    }
    walk::objects(value, "", &mut |pointer, map| {
        let schema_like = [
            "type",
            "properties",
            "oneOf",
            "anyOf",
            "allOf",
            "enum",
            "items",
        ]
        .iter()
        .any(|key| map.contains_key(*key));
        if schema_like
            && pointer != "/info"
            && map
                .get("title")
                .and_then(Value::as_str)
                .map(crate::names::typify_pascal)
                .as_deref()
                == Some(name)
            && !out.iter().any(|found| found == pointer)
        {
            out.push(pointer.to_owned());
        }
        true
    });
    out
}

fn generable_once(
    origin: &str,
    mut value: Value,
    notes: &mut Vec<Note>,
) -> Result<Generable, SpecError> {
    let spec = readable(origin, &mut value, notes)?;
    // Panics are expected here and reported as notes or errors; the hook would print each.
    let quiet = Quiet::new();
    let first = match try_generate(origin, &spec) {
        Ok(generated) => return Ok(Generable::new(spec, Vec::new(), generated)),
        Err(err) => err,
    };
    // typify checks defaults against the types it derives and cannot for some composites
    // (a `$ref` to a union, say); a client omitting a field lets the server apply its
    // default, so those go first, wholesale, before anything loses its type.
    if first.message.contains("does not conform") {
        let dropped = drop_composite_defaults(&mut value);
        notes.push(Note {
            pointer: String::new(),
            message: format!(
                "typify rejected a default value; {dropped} default(s) of composite schemas dropped"
            ),
        });
        let spec = readable(origin, &mut value, notes)?;
        if let Ok(generated) = try_generate(origin, &spec) {
            return Ok(Generable::new(spec, Vec::new(), generated));
        }
    }

    let mut search = Search {
        origin,
        base: value,
        culprits: Vec::new(),
    };
    let mut candidates = schema_locations(&search.base);
    if search.test(&candidates).is_err() {
        // Not a schema's fault: the operations progenitor cannot take at all leave the
        // client (the server, built from the model, still serves them), never the spec.
        let dropped = search.drop_operations(&candidates);
        if dropped.is_empty() || search.test(&candidates).is_err() {
            drop(quiet);
            return Err(SpecError::whole(
                origin,
                format!(
                    "{}; it persists with every schema untyped and no operation left out explains it",
                    first.message
                ),
            ));
        }
        for (pointer, reason) in dropped {
            notes.push(Note {
                pointer,
                message: format!(
                    "the client cannot be generated with this operation, even untyped ({reason}); it has no client method (the server still serves it)"
                ),
            });
        }
        candidates = schema_locations(&search.base);
    }
    // Components at fault on their own are found with small documents first; the whole
    // spec is then generated once to confirm, and bisected only for what is left.
    search.find_isolated();
    search.find(candidates);
    drop(quiet);
    let mut value = search.base.clone();
    for (pointer, reason) in &search.culprits {
        replace(&mut value, pointer);
        notes.push(Note::untyped(
            pointer.clone(),
            format!("cannot be typed ({reason})"),
        ));
    }
    let pointers = search
        .culprits
        .into_iter()
        .map(|(pointer, _)| pointer)
        .collect();
    let spec = to_openapiv3(origin, value)?;
    let generated = try_generate(origin, &spec)?;
    Ok(Generable::new(spec, pointers, generated))
}

impl Generable {
    fn new(
        spec: openapiv3::OpenAPI,
        degraded: Vec<String>,
        (default_client, types, fidelity): (TokenStream, TokenStream, Fidelity),
    ) -> Self {
        Generable {
            spec,
            degraded,
            types: crate::soundness::mend(types),
            default_client: crate::soundness::mend(default_client),
            fidelity,
        }
    }
}

/// Reads `value` as OpenAPI 3.0; a schema openapiv3 cannot read is made untyped (with a
/// note) and reading tried again, so a malformed schema costs only itself.
fn readable(
    origin: &str,
    value: &mut Value,
    notes: &mut Vec<Note>,
) -> Result<openapiv3::OpenAPI, SpecError> {
    let locations = schema_locations(value);
    for _ in 0..64 {
        let err = match to_openapiv3(origin, value.clone()) {
            Ok(spec) => return Ok(spec),
            Err(err) => err,
        };
        let crate::error::Location::Pointer(at) = &err.location else {
            return Err(err);
        };
        let Some(schema) = enclosing_schema(at, &locations) else {
            return Err(err);
        };
        replace(value, &schema);
        notes.push(Note::untyped(
            schema,
            format!(
                "cannot be read as an OpenAPI schema ({})",
                short(&err.message)
            ),
        ));
    }
    to_openapiv3(origin, value.clone())
}

/// The deepest schema that holds `pointer`: a schema location, or a subschema inside one.
fn enclosing_schema(pointer: &str, locations: &[String]) -> Option<String> {
    let root = locations
        .iter()
        .filter(|location| {
            pointer == location.as_str() || pointer.starts_with(&format!("{location}/"))
        })
        .max_by_key(|location| location.len())?;
    let rest: Vec<&str> = pointer[root.len()..].split('/').skip(1).collect();
    let mut deepest = root.clone();
    let mut current = root.clone();
    let mut index = 0;
    while index < rest.len() {
        let token = rest[index];
        let step = match token {
            "properties" | "allOf" | "anyOf" | "oneOf" if index + 1 < rest.len() => 2,
            "items" | "additionalProperties" | "not" => 1,
            _ => break,
        };
        for token in &rest[index..index + step] {
            current = format!("{current}/{token}");
        }
        deepest = current.clone();
        index += step;
    }
    Some(deepest)
}

/// typify merges `allOf` branches, and sizes `oneOf`/`anyOf` variants, by following their
/// references: a component that reaches itself that way (not through a property, item or
/// map value, which typify boxes) recurses until the stack overflows, which no
/// `catch_unwind` survives. Merging two or more `allOf` branches also merges what they
/// hold, properties and map values included, so there any way back counts. Each reference
/// that closes such a cycle becomes untyped before generation is tried.
pub fn break_composition_cycles(root: &mut Value, notes: &mut Vec<Note>) {
    reference_cycles(root, notes);
    merge_cycles(root, notes);
    union_merges(root, notes);
}

fn reference_cycles(root: &mut Value, notes: &mut Vec<Note>) {
    let graph = Graph::of(root);
    let mut closing = Vec::new();
    let mut done = BTreeSet::new();
    for start in graph.direct.keys() {
        let mut stack = Vec::new();
        visit(start, &graph.direct, &mut stack, &mut done, &mut closing);
    }
    closing.sort();
    untype(root, closing, notes);
}

/// How the components reference each other, as the cycle checks need it.
#[derive(Default)]
struct Graph {
    /// References typify follows without indirection: `(target, pointer of the $ref)`.
    direct: BTreeMap<String, Vec<(String, String)>>,
    /// Every component referenced anywhere inside each component.
    any: BTreeMap<String, BTreeSet<String>>,
    /// `(holder, target, pointer)` for each reference a branch of a merged `allOf` (two or
    /// more branches) leads to without indirection.
    merged: Vec<(String, String, String)>,
}

impl Graph {
    fn of(root: &Value) -> Graph {
        let mut graph = Graph::default();
        let Some(Value::Object(schemas)) = root.pointer("/components/schemas") else {
            return graph;
        };
        for (name, schema) in schemas {
            let pointer = child("/components/schemas", name);
            let mut direct = Vec::new();
            composition_refs(schema, &pointer, &mut direct);
            graph.direct.insert(
                name.clone(),
                direct
                    .into_iter()
                    .filter_map(|(reference, at)| Some((component_of(&reference)?, at)))
                    .collect(),
            );
            let mut all = Vec::new();
            let mut merged = Vec::new();
            every_ref(schema, &pointer, &mut all, &mut merged);
            graph.any.insert(
                name.clone(),
                all.iter()
                    .filter_map(|reference| component_of(reference))
                    .collect(),
            );
            graph.merged.extend(
                merged.into_iter().filter_map(|(reference, at)| {
                    Some((name.clone(), component_of(&reference)?, at))
                }),
            );
        }
        graph
    }
}

/// The component a local `#/components/schemas/…` reference names.
fn component_of(reference: &str) -> Option<String> {
    reference
        .strip_prefix("#/components/schemas/")
        .map(pointer::unescape)
}

/// typify merges an `allOf` of several unions by distributing each over the others, and
/// again inside every variant: the work grows with the product of the variants and does
/// not end in practice (a 1 GiB stack overflowed after minutes). The first union stays;
/// further union branches of the same `allOf` become untyped.
fn union_merges(root: &mut Value, notes: &mut Vec<Note>) {
    let mut found = Vec::new();
    walk::objects(root, "", &mut |pointer, map| {
        if let Some(Value::Array(branches)) = map.get("allOf")
            && branches.len() > 1
        {
            let unions = branches
                .iter()
                .enumerate()
                .filter(|(_, branch)| is_union(root, branch, 0));
            // The first union stays; every later one is a further product to merge.
            for (index, _) in unions.skip(1) {
                found.push(child(&child(pointer, "allOf"), &index.to_string()));
            }
        }
        true
    });
    untype_with(
        root,
        found,
        notes,
        "an `allOf` of several unions cannot be merged into one type (this branch is the second union or later)",
    );
}

/// Whether typify sees `schema` as a union: `oneOf`/`anyOf` of two or more branches, through
/// references and `allOf`s.
fn is_union(root: &Value, schema: &Value, depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    let Some((schema, _)) = crate::pointer::follow(root, schema) else {
        return false;
    };
    let Value::Object(map) = schema else {
        return false;
    };
    ["oneOf", "anyOf"]
        .iter()
        .any(|key| matches!(map.get(*key), Some(Value::Array(branches)) if branches.len() > 1))
        || matches!(map.get("allOf"), Some(Value::Array(branches))
            if branches.iter().any(|branch| is_union(root, branch, depth + 1)))
}

/// A branch of a merged `allOf` (two or more branches) that leads back, by any
/// reference, to the component holding it; computed once the direct cycles are broken.
fn merge_cycles(root: &mut Value, notes: &mut Vec<Note>) {
    let Graph {
        mut any, merged, ..
    } = Graph::of(root);
    let mut closing = Vec::new();
    for (holder, target, pointer) in &merged {
        if reaches(&any, target, holder) && !closing.contains(pointer) {
            // The graph loses this edge, so a later branch is judged without it.
            if let Some(edges) = any.get_mut(holder) {
                edges.remove(target);
            }
            closing.push(pointer.clone());
        }
    }
    closing.sort();
    untype(root, closing, notes);
}

fn untype(root: &mut Value, closing: Vec<String>, notes: &mut Vec<Note>) {
    untype_with(
        root,
        closing,
        notes,
        "a schema composed of itself (through `allOf`, `anyOf` or `oneOf`) has no finite type",
    );
}

fn untype_with(root: &mut Value, closing: Vec<String>, notes: &mut Vec<Note>, reason: &str) {
    for pointer in closing {
        if let Some(slot) = root.pointer_mut(&pointer) {
            *slot = json!({});
            notes.push(Note::untyped(pointer, reason));
        }
    }
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_owned()];
    while let Some(name) = stack.pop() {
        if name == to {
            return true;
        }
        if seen.insert(name.clone())
            && let Some(next) = graph.get(&name)
        {
            stack.extend(next.iter().cloned());
        }
    }
    false
}

fn visit(
    name: &str,
    edges: &BTreeMap<String, Vec<(String, String)>>,
    stack: &mut Vec<String>,
    done: &mut BTreeSet<String>,
    closing: &mut Vec<String>,
) {
    if done.contains(name) {
        return;
    }
    stack.push(name.to_owned());
    for (target, pointer) in edges.get(name).into_iter().flatten() {
        if stack.iter().any(|on| on == target) {
            if !closing.contains(pointer) {
                closing.push(pointer.clone());
            }
        } else {
            visit(target, edges, stack, done, closing);
        }
    }
    stack.pop();
    done.insert(name.to_owned());
}

/// The `$ref`s typify follows without indirection: the schema's own, and those of its
/// `allOf`, `anyOf` and `oneOf` branches, nested ones included.
fn composition_refs(schema: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
    if let Some(Value::String(reference)) = schema.get("$ref") {
        out.push((reference.clone(), pointer.to_owned()));
        return;
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = schema.get(keyword) {
            for (index, branch) in branches.iter().enumerate() {
                composition_refs(
                    branch,
                    &child(&child(pointer, keyword), &index.to_string()),
                    out,
                );
            }
        }
    }
}

/// Every `$ref` under `value`; the references each branch of an `allOf` with two or more
/// branches leads to without indirection also go to `merged` as `(reference, pointer)`.
fn every_ref(
    value: &Value,
    pointer: &str,
    out: &mut Vec<String>,
    merged: &mut Vec<(String, String)>,
) {
    walk::objects(value, pointer, &mut |pointer, map| {
        if let Some(Value::String(reference)) = map.get("$ref") {
            out.push(reference.clone());
        }
        if let Some(Value::Array(branches)) = map.get("allOf")
            && branches.len() > 1
        {
            for (index, branch) in branches.iter().enumerate() {
                // Through nested compositions too: `adapt` wraps references to
                // nullable components as `{allOf: [$ref], nullable: true}`.
                let at = child(&child(pointer, "allOf"), &index.to_string());
                composition_refs(branch, &at, merged);
            }
        }
        true
    });
}

/// Generates with the default configuration; the client, the types and their fidelity on
/// success.
fn try_generate(
    origin: &str,
    spec: &openapiv3::OpenAPI,
) -> Result<(TokenStream, TokenStream, Fidelity), SpecError> {
    run_progenitor(spec, origin, &ClientConfig::default())
}

struct Search<'a> {
    origin: &'a str,
    base: Value,
    /// Schemas made untyped so far, with the failure that made them so.
    culprits: Vec<(String, String)>,
}

impl Search<'_> {
    /// Generates with the culprits found so far and `extra` untyped.
    fn test(&self, extra: &[String]) -> Result<(), String> {
        let mut value = self.base.clone();
        for pointer in self
            .culprits
            .iter()
            .map(|(pointer, _)| pointer)
            .chain(extra)
        {
            replace(&mut value, pointer);
        }
        let spec = to_openapiv3(self.origin, value).map_err(|err| err.message)?;
        try_generate(self.origin, &spec)
            .map(|_| ())
            .map_err(|err| err.message)
    }

    /// Removes from the base, one at a time, the operations without which generation
    /// passes with `untyped` made untyped; returns them with the failure each caused.
    fn drop_operations(&mut self, untyped: &[String]) -> Vec<(String, String)> {
        let mut dropped = Vec::new();
        loop {
            let reason = match self.test(untyped) {
                Ok(()) => return dropped,
                Err(reason) => reason,
            };
            let operations = operation_pointers(&self.base);
            let without = |count: usize| {
                let mut search = Search {
                    origin: self.origin,
                    base: self.base.clone(),
                    culprits: self.culprits.clone(),
                };
                for pointer in &operations[..count] {
                    remove_pointer(&mut search.base, pointer);
                }
                search.test(untyped).is_ok()
            };
            if operations.is_empty() || !without(operations.len()) {
                return dropped;
            }
            let (mut failing, mut passing) = (0, operations.len());
            while passing - failing > 1 {
                let middle = (failing + passing) / 2;
                if without(middle) {
                    passing = middle;
                } else {
                    failing = middle;
                }
            }
            let culprit = operations[passing - 1].clone();
            remove_pointer(&mut self.base, &culprit);
            dropped.push((culprit, short(&reason)));
        }
    }

    /// Adds culprits from `candidates` until generation succeeds; each is the first
    /// candidate whose loss, with all before it, makes it pass (so it is needed), then
    /// narrowed down to the smallest part of it that suffices.
    fn find(&mut self, candidates: Vec<String>) {
        loop {
            let reason = match self.test(&[]) {
                Ok(()) => return,
                Err(reason) => reason,
            };
            let (mut failing, mut passing) = (0, candidates.len());
            while passing - failing > 1 {
                let middle = (failing + passing) / 2;
                if self.test(&candidates[..middle]).is_ok() {
                    passing = middle;
                } else {
                    failing = middle;
                }
            }
            let culprit = self.narrow(candidates[passing - 1].clone());
            if self.culprits.iter().any(|(pointer, _)| *pointer == culprit) {
                // No progress is possible; stop rather than loop.
                return;
            }
            self.culprits.push((culprit, short(&reason)));
        }
    }

    /// The deepest schema under `pointer` whose loss alone still lets generation pass.
    fn narrow(&self, pointer: String) -> String {
        self.narrow_by(pointer, |sub| {
            self.test(std::slice::from_ref(&sub.to_owned())).is_ok()
        })
    }

    /// The deepest schema under `pointer` whose loss `passes`.
    fn narrow_by(&self, pointer: String, passes: impl Fn(&str) -> bool) -> String {
        let mut current = pointer;
        'deeper: loop {
            let Some(schema) = self.base.pointer(&current) else {
                return current;
            };
            for sub in subschemas(schema, &current) {
                if passes(&sub) {
                    current = sub;
                    continue 'deeper;
                }
            }
            return current;
        }
    }

    /// Culprits among the components, each found by generating a document of that
    /// component alone: first beside stubs (`{}`) of what it references, so a fault is
    /// charged to the schema that has it; a suspect is confirmed beside the real schemas it
    /// references (the other suspects untyped), so a stub's emptiness never blames it.
    /// Each run is as large as one component's closure, not the spec: a spec with forty
    /// schemas to degrade no longer costs forty bisections of the whole.
    fn find_isolated(&mut self) {
        let Some(Value::Object(schemas)) = self.base.pointer("/components/schemas") else {
            return;
        };
        let names: Vec<String> = schemas.keys().cloned().collect();
        let suspects: Vec<String> = names
            .into_iter()
            .filter(|name| self.alone(name, false, &[]).is_err())
            .collect();
        for name in &suspects {
            let others: Vec<String> = suspects
                .iter()
                .filter(|other| *other != name)
                .map(|other| child("/components/schemas", other))
                .collect();
            let reason = match self.alone(name, true, &others) {
                Ok(()) => continue,
                Err(reason) => reason,
            };
            let culprit = self.narrow_by(child("/components/schemas", name), |sub| {
                let mut extra = others.clone();
                extra.push(sub.to_owned());
                self.alone(name, true, &extra).is_ok()
            });
            self.culprits.push((culprit, short(&reason)));
        }
    }

    /// Generates a document of the component `name` alone, beside the components it
    /// references (really, or as stubs), with the culprits so far and `extra` untyped.
    fn alone(&self, name: &str, real_closure: bool, extra: &[String]) -> Result<(), String> {
        let mut schemas = serde_json::Map::new();
        let mut queue = vec![name.to_owned()];
        while let Some(next) = queue.pop() {
            if schemas.contains_key(&next) {
                continue;
            }
            let Some(schema) = self.base.pointer(&child("/components/schemas", &next)) else {
                continue;
            };
            if next == name || real_closure {
                referenced_components(schema, &mut queue);
                schemas.insert(next, schema.clone());
            } else {
                schemas.insert(next, json!({}));
            }
        }
        let mut document = json!({
            "openapi": self.base.get("openapi").cloned().unwrap_or(json!("3.0.3")),
            "info": {"title": "isolated", "version": "0"},
            "paths": {},
            "components": {"schemas": schemas},
        });
        for pointer in self
            .culprits
            .iter()
            .map(|(pointer, _)| pointer)
            .chain(extra)
        {
            replace(&mut document, pointer);
        }
        let spec = to_openapiv3(self.origin, document).map_err(|err| err.message)?;
        try_generate(self.origin, &spec)
            .map(|_| ())
            .map_err(|err| err.message)
    }
}

/// `/paths/…/method` of every operation.
fn operation_pointers(root: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(Value::Object(paths)) = root.get("paths") {
        for (path, item) in paths {
            for method in HTTP_METHODS {
                if item.get(method).is_some() {
                    out.push(child(&child("/paths", path), method));
                }
            }
        }
    }
    out
}

fn remove_pointer(root: &mut Value, pointer: &str) {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return;
    };
    if let Some(Value::Object(map)) = root.pointer_mut(parent) {
        map.shift_remove(&pointer::unescape(key));
    }
}

/// The components `schema` names, by `$ref` or in a discriminator's mapping.
fn referenced_components(schema: &Value, out: &mut Vec<String>) {
    walk::objects(schema, "", &mut |_, map| {
        let mut targets: Vec<&str> = map
            .get("$ref")
            .and_then(Value::as_str)
            .into_iter()
            .collect();
        if let Some(Value::Object(mapping)) = map.get("mapping") {
            targets.extend(mapping.values().filter_map(Value::as_str));
        }
        for target in targets {
            if let Some(name) = target.strip_prefix("#/components/schemas/")
                && !name.contains('/')
            {
                out.push(pointer::unescape(name));
            }
        }
        true
    });
}

fn short(reason: &str) -> String {
    let reason = reason
        .trim_start_matches("progenitor panicked: ")
        .trim_end_matches("; please report this spec");
    let mut out: String = reason.chars().take(160).collect();
    if out.len() < reason.len() {
        out.push('…');
    }
    out
}

/// Replaces the schema at `pointer` with an untyped one; parameters keep `type: string`,
/// which is what a query or path value is on the wire.
fn replace(root: &mut Value, pointer: &str) {
    let is_parameter = pointer.contains("/parameters/") && pointer.ends_with("/schema");
    if let Some(slot) = root.pointer_mut(pointer) {
        let description = slot.get("description").cloned();
        *slot = if is_parameter {
            json!({"type": "string"})
        } else {
            json!({})
        };
        if let (Some(description), Value::Object(map)) = (description, slot) {
            map.insert("description".into(), description);
        }
    }
}

/// Every place a schema is rooted: components, then each operation's parameters, request
/// body and responses, in document order.
fn schema_locations(root: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(Value::Object(schemas)) = root.pointer("/components/schemas") {
        for name in schemas.keys() {
            out.push(child("/components/schemas", name));
        }
    }
    for section in ["parameters", "requestBodies", "responses", "headers"] {
        if let Some(Value::Object(entries)) = root.pointer(&format!("/components/{section}")) {
            for (name, entry) in entries {
                media_schemas(
                    entry,
                    &child(&child("/components", section), name),
                    &mut out,
                );
            }
        }
    }
    if let Some(Value::Object(paths)) = root.get("paths") {
        for (path, item) in paths {
            let item_pointer = child("/paths", path);
            for method in HTTP_METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let here = child(&item_pointer, method);
                if let Some(Value::Array(parameters)) = operation.get("parameters") {
                    for (index, parameter) in parameters.iter().enumerate() {
                        let at = child(&child(&here, "parameters"), &index.to_string());
                        media_schemas(parameter, &at, &mut out);
                    }
                }
                if let Some(body) = operation.get("requestBody") {
                    media_schemas(body, &child(&here, "requestBody"), &mut out);
                }
                if let Some(Value::Object(responses)) = operation.get("responses") {
                    for (status, response) in responses {
                        let at = child(&child(&here, "responses"), status);
                        media_schemas(response, &at, &mut out);
                    }
                }
            }
        }
    }
    out
}

/// The `schema` of a parameter or header, or of each media type of a body or response.
fn media_schemas(object: &Value, pointer: &str, out: &mut Vec<String>) {
    if object
        .get("schema")
        .is_some_and(|schema| schema.get("$ref").is_none())
    {
        out.push(child(pointer, "schema"));
    }
    if let Some(Value::Object(content)) = object.get("content") {
        for (media_type, media) in content {
            if media
                .get("schema")
                .is_some_and(|schema| schema.get("$ref").is_none())
            {
                out.push(child(
                    &child(&child(pointer, "content"), media_type),
                    "schema",
                ));
            }
        }
    }
}

/// The schemas directly inside `schema`, for narrowing a culprit down.
fn subschemas(schema: &Value, pointer: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for name in properties.keys() {
            out.push(child(&child(pointer, "properties"), name));
        }
    }
    for keyword in ["items", "additionalProperties", "not"] {
        if schema.get(keyword).is_some_and(Value::is_object) {
            out.push(child(pointer, keyword));
        }
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = schema.get(keyword) {
            for index in 0..branches.len() {
                out.push(child(&child(pointer, keyword), &index.to_string()));
            }
        }
    }
    out
}

/// Removes `default` from every schema that is not a plain scalar; returns how many.
fn drop_composite_defaults(root: &mut Value) -> usize {
    let mut dropped = 0;
    walk::objects_mut(root, &mut |map| {
        let composite = ["allOf", "anyOf", "oneOf", "$ref", "properties"]
            .iter()
            .any(|key| map.contains_key(*key));
        // Parameters have no `default`; a schema beside `in` would be a parameter object.
        if composite && !map.contains_key("in") && map.remove("default").is_some() {
            dropped += 1;
        }
        true
    });
    dropped
}

/// Silences the panic hook while the search provokes panics on purpose; restores it when
/// the last one is dropped. Counted, because generation may run on several threads at once
/// (the corpus does): each taking and restoring the hook on its own could leave the silent
/// one installed for good.
type PanicHook = Box<dyn Fn(&panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

static QUIET: std::sync::Mutex<(usize, Option<PanicHook>)> = std::sync::Mutex::new((0, None));

struct Quiet;

impl Quiet {
    fn new() -> Self {
        let mut state = QUIET
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.0 == 0 {
            state.1 = Some(panic::take_hook());
            panic::set_hook(Box::new(|_| {}));
        }
        state.0 += 1;
        Quiet
    }
}

impl Drop for Quiet {
    fn drop(&mut self) {
        let mut state = QUIET
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.0 -= 1;
        if state.0 == 0
            && let Some(previous) = state.1.take()
        {
            panic::set_hook(previous);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_str;

    /// An operation progenitor refuses whatever its schemas (two body media types, which
    /// adaptation would have chosen between) leaves the client; the spec and the other
    /// operation stay.
    #[test]
    fn an_operation_at_fault_leaves_the_client_not_the_spec() {
        let value = serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/ok": {"get": {"operationId": "fine", "responses": {"200": {"description": "",
                    "content": {"application/json": {"schema": {"type": "string"}}}}}}},
                "/odd": {"post": {"operationId": "odd",
                    "requestBody": {"content": {"text/plain": {"schema": {}}, "text/csv": {"schema": {}}}},
                    "responses": {"200": {"description": ""}}}}
            }
        });
        let mut notes = Vec::new();
        let generated = generable("t.json", value, &mut notes).expect("the spec generates");
        let client = generated.default_client.to_string();
        assert!(client.contains("fn fine"), "{client}");
        assert!(!client.contains("fn odd"), "{client}");
        let note = notes
            .iter()
            .find(|note| note.pointer == "/paths/~1odd/post")
            .expect("a note");
        assert!(
            note.message.contains("no client method"),
            "{}",
            note.message
        );
    }

    /// Components at fault are found in documents of their own, and only they go.
    #[test]
    fn components_at_fault_are_found_alone() {
        let value = serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"post": {"operationId": "x",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Uses"}}}},
                "responses": {"200": {"description": ""}}}}},
            "components": {"schemas": {
                "Uses": {"type": "object", "properties": {"odd": {"$ref": "#/components/schemas/Odd"}, "n": {"type": "integer"}}},
                "Odd": {"type": "object", "properties": {"bad": {"not": {"type": "string"}}, "fine": {"type": "string"}}}
            }}
        });
        let mut notes = Vec::new();
        let generated = generable("t.json", value, &mut notes).expect("the spec generates");
        assert_eq!(generated.degraded.len(), 1, "{:?}", generated.degraded);
        assert!(generated.degraded[0].starts_with("/components/schemas/Odd/properties/bad"));
        assert!(generated.types.to_string().contains("pub struct Uses"));
    }

    /// A component whose inner enum makes typify panic (an untyped enum of mixed values
    /// that normalisation would otherwise have split) loses only that property.
    #[test]
    fn composition_cycles_are_broken_where_they_close() {
        let mut root = serde_json::json!({"components": {"schemas": {
            "A": {"allOf": [{"$ref": "#/components/schemas/B"}, {"type": "object"}]},
            "B": {"allOf": [{"$ref": "#/components/schemas/A"}]},
            "C": {"allOf": [{"$ref": "#/components/schemas/C"}, {"type": "string"}]},
            "D": {"type": "array", "items": {"$ref": "#/components/schemas/D"}},
            "E": {"oneOf": [{"$ref": "#/components/schemas/E"}, {"type": "string"}]},
            "F": {"allOf": [{"$ref": "#/components/schemas/G"}, {"type": "object"}]},
            "G": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/F"}},
            "H": {"allOf": [{"$ref": "#/components/schemas/D"}]}
        }}});
        let mut notes = Vec::new();
        break_composition_cycles(&mut root, &mut notes);
        let pointers: Vec<&str> = notes.iter().map(|note| note.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/components/schemas/B/allOf/0",
                "/components/schemas/C/allOf/0",
                "/components/schemas/E/oneOf/0",
                "/components/schemas/F/allOf/0"
            ]
        );
        assert_eq!(
            root["components"]["schemas"]["D"]["items"]["$ref"],
            "#/components/schemas/D"
        );
    }

    #[test]
    fn an_all_of_keeps_one_union() {
        let mut root = serde_json::json!({
            "paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {
                "allOf": [{"$ref": "#/components/schemas/U"}, {"allOf": [{"$ref": "#/components/schemas/U"}]}, {"type": "object"}]
            }}}}}}}},
            "components": {"schemas": {"U": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}}
        });
        let mut notes = Vec::new();
        break_composition_cycles(&mut root, &mut notes);
        let pointers: Vec<&str> = notes.iter().map(|note| note.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/paths/~1a/get/responses/200/content/application~1json/schema/allOf/1"]
        );
    }

    #[test]
    fn only_the_schema_at_fault_loses_its_type() {
        let doc = load_str(
            "t.yaml",
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Good: {type: object, properties: {a: {type: string}}}\n    Odd: {type: object, properties: {ok: {type: integer}, bad: {enum: [auto, 1, 2]}}}\n",
            false,
        )
        .unwrap();
        let mut notes = Vec::new();
        let Generable { spec, degraded, .. } = generable("t.yaml", doc.value, &mut notes).unwrap();
        assert_eq!(degraded, ["/components/schemas/Odd/properties/bad"]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].pointer, "/components/schemas/Odd/properties/bad");
        assert!(
            notes[0].message.contains("multiple implied types"),
            "{}",
            notes[0].message
        );
        let value = serde_json::to_value(&spec).unwrap();
        assert_eq!(
            value["components"]["schemas"]["Odd"]["properties"]["ok"]["type"],
            "integer"
        );
        assert_eq!(
            value["components"]["schemas"]["Good"]["properties"]["a"]["type"],
            "string"
        );
    }
}
