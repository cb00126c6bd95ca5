//! Every name the generators write, allocated in one place so that two items can never
//! come out with the same Rust name.
//!
//! typify names a component after its key, and an inline schema after its `title` or, when
//! it has none, after where it stands (`Parent` + property, `…Item`, `…Value`); progenitor
//! suggests `<Operation>Body`, `<Operation>Response` and `<Operation><Param>`. Nothing
//! checks those against each other, so a FastAPI property titled `Model` beside a
//! component `Model` gave two `pub struct Model`. [`name_inline_types`] writes the name
//! typify will use into the `title` of every inline schema that becomes a named type,
//! allocated against every component name and every name allocated before it. Operation
//! names avoid the methods the client and the server trait already have.

use std::collections::HashSet;

use heck::{ToPascalCase, ToSnakeCase};
use serde_json::{Map, Value};

use crate::spec::HTTP_METHODS;

/// Rust's strict and reserved keywords, and `gen` (reserved since 2024).
pub const KEYWORDS: [&str; 52] = [
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Method names an operation cannot take: progenitor's `Client` methods, the hand-written
/// client layer's, and the generated server trait's hooks.
pub const RESERVED_METHODS: [&str; 12] = [
    "new",
    "new_with_client",
    "baseurl",
    "client",
    "api_version",
    "inner",
    "builder",
    "authenticate",
    "fallback",
    "fallback_stream",
    "reject",
    "router",
];

/// A set of names already given; [`Allocator::allocate`] returns the first free candidate.
#[derive(Debug, Default, Clone)]
pub struct Allocator {
    taken: HashSet<String>,
    /// Between a name and its counter: `""` for types (`Foo2`), `"_"` for snake_case.
    separator: &'static str,
}

impl Allocator {
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Allocator {
            taken: reserved.iter().map(|name| (*name).to_owned()).collect(),
            separator: "",
        }
    }

    /// An allocator whose counters follow `separator` (`name_2`).
    pub fn separated_by(mut self, separator: &'static str) -> Self {
        self.separator = separator;
        self
    }

    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_owned());
    }

    /// The first of `candidates` that is free, else the last with the smallest free
    /// numeric suffix; the result is taken from then on.
    pub fn allocate(&mut self, candidates: &[String]) -> String {
        for candidate in candidates {
            if self.taken.insert(candidate.clone()) {
                return candidate.clone();
            }
        }
        let base = candidates.last().cloned().unwrap_or_else(|| "X".to_owned());
        let mut index = 2;
        loop {
            let name = format!("{base}{}{index}", self.separator);
            if self.taken.insert(name.clone()) {
                return name;
            }
            index += 1;
        }
    }
}

/// A PascalCase type name exactly as typify derives it from `raw` (`sanitize(_, Pascal)`):
/// unlike [`sanitize_pascal`], a leading non-letter gets `X`, and `±1` are spelt out.
pub fn typify_pascal(raw: &str) -> String {
    match raw {
        "+1" => "Plus1".to_owned(),
        "-1" => "Minus1".to_owned(),
        _ => identifier(raw, |text| text.to_pascal_case(), "X"),
    }
}

/// A snake_case Rust identifier, as progenitor would derive it.
pub fn sanitize_snake(raw: &str) -> String {
    identifier(raw, |text| text.to_snake_case(), "_")
}

/// A PascalCase Rust type name, as the pipeline names components.
pub fn sanitize_pascal(raw: &str) -> String {
    identifier(raw, |text| text.to_pascal_case(), "_")
}

/// `raw` with every character an identifier cannot hold turned into a word break, cased by
/// `to_case`; `prefix` goes before a leading non-letter and `_` after a keyword.
fn identifier(raw: &str, to_case: fn(&str) -> String, prefix: &str) -> String {
    let cleaned = raw
        .replace('\'', "")
        .replace(|c: char| !(c.is_alphanumeric() || c == '_'), "-");
    let mut out = to_case(&cleaned);
    if out.is_empty() {
        out = to_case("x");
    }
    if !out.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        out = format!("{prefix}{out}");
    }
    if KEYWORDS.contains(&out.as_str()) || out == "_" {
        out.push('_');
    }
    out
}

/// Gives every inline schema that typify would turn into a named type a `title` that is
/// unique among all type names, components' included. Titles a spec already has are kept
/// when free. Returns how many titles were written or changed.
pub fn name_inline_types(root: &mut Value) -> usize {
    let mut names = Allocator::default();
    let components: Vec<String> = root
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| schemas.keys().cloned().collect())
        .unwrap_or_default();
    for component in &components {
        names.reserve(&typify_pascal(component));
    }
    let mut namer = Namer { names, changed: 0 };
    if let Some(Value::Object(schemas)) = root.pointer_mut("/components/schemas") {
        for (name, schema) in schemas.iter_mut() {
            // A component is named by its key; only what is inside it needs titles.
            namer.inside(schema, &typify_pascal(name));
        }
    }
    if let Some(Value::Object(paths)) = root.get_mut("paths") {
        for item in paths.values_mut() {
            let Value::Object(item) = item else { continue };
            for method in HTTP_METHODS {
                let Some(Value::Object(operation)) = item.get_mut(method) else {
                    continue;
                };
                namer.operation(operation);
            }
        }
    }
    namer.changed
}

struct Namer {
    names: Allocator,
    changed: usize,
}

impl Namer {
    fn operation(&mut self, operation: &mut Map<String, Value>) {
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("operation")
            .to_owned();
        if let Some(Value::Array(parameters)) = operation.get_mut("parameters") {
            for parameter in parameters {
                let name = parameter
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("param")
                    .to_owned();
                if let Some(schema) = parameter.get_mut("schema") {
                    self.schema(schema, &format!("{id}-{name}"));
                }
            }
        }
        if let Some(Value::Object(content)) = operation
            .get_mut("requestBody")
            .and_then(|body| body.get_mut("content"))
        {
            for media in content.values_mut() {
                if let Some(schema) = media.get_mut("schema") {
                    self.schema(schema, &format!("{id}-body"));
                }
            }
        }
        if let Some(Value::Object(responses)) = operation.get_mut("responses") {
            for response in responses.values_mut() {
                let Some(Value::Object(content)) = response.get_mut("content") else {
                    continue;
                };
                for media in content.values_mut() {
                    if let Some(schema) = media.get_mut("schema") {
                        self.schema(schema, &format!("{id}-response"));
                    }
                }
            }
        }
    }

    /// An inline schema at a place typify would name `suggested`.
    fn schema(&mut self, schema: &mut Value, suggested: &str) {
        let Value::Object(map) = schema else { return };
        if !becomes_named_type(map) {
            // Not a type of its own, but what it holds may be (`Vec<ParentItem>`), named
            // after this schema's title when it has one, as typify does.
            let base = match map.get("title").and_then(Value::as_str) {
                Some(title) => typify_pascal(title),
                None => typify_pascal(suggested),
            };
            self.inside(schema, &base);
            return;
        }
        let mut candidates = Vec::new();
        if let Some(title) = map.get("title").and_then(Value::as_str) {
            candidates.push(typify_pascal(title));
        }
        candidates.push(typify_pascal(suggested));
        let name = self.names.allocate(&candidates);
        if map.get("title").and_then(Value::as_str) != Some(name.as_str()) {
            map.insert("title".into(), Value::String(name.clone()));
            self.changed += 1;
        }
        self.inside(schema, &name);
    }

    /// The schemas inside `schema`, whose own type (if any) is called `name`.
    fn inside(&mut self, schema: &mut Value, name: &str) {
        let Value::Object(map) = schema else { return };
        if let Some(Value::Object(properties)) = map.get_mut("properties") {
            for (property, sub) in properties.iter_mut() {
                self.schema(sub, &format!("{name}_{}", property.to_snake_case()));
            }
        }
        if let Some(items) = map.get_mut("items") {
            self.schema(items, &format!("{name}Item"));
        }
        if let Some(values) = map.get_mut("additionalProperties")
            && values.is_object()
        {
            self.schema(values, &format!("{name}Value"));
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = map.get_mut(keyword) {
                for branch in branches.iter_mut() {
                    // Untitled branches become variants of the union, not types of their
                    // own; titled ones lend the variant their name, so only theirs count.
                    if branch.get("title").is_some() {
                        self.schema(branch, name);
                    } else {
                        self.inside(branch, name);
                    }
                }
            }
        }
        if let Some(Value::Array(branches)) = map.get_mut("allOf") {
            // Branches are merged into this type; their properties are this type's.
            for branch in branches.iter_mut() {
                if let Value::Object(branch_map) = branch {
                    branch_map.remove("title");
                }
                self.inside(branch, name);
            }
        }
        if let Some(not) = map.get_mut("not") {
            self.inside(not, name);
        }
    }
}

/// Whether typify gives this inline schema a type (struct, enum or newtype) of its own.
fn becomes_named_type(map: &Map<String, Value>) -> bool {
    if map.contains_key("$ref") {
        return false;
    }
    // `allOf: [$ref]` with `nullable` is how `Option<Ref>` is spelt after normalising.
    if let Some(Value::Array(all_of)) = map.get("allOf")
        && all_of.len() == 1
        && all_of[0].get("$ref").is_some()
    {
        return false;
    }
    let kind = map.get("type").and_then(Value::as_str);
    ["properties", "enum", "oneOf", "anyOf", "allOf", "not"]
        .iter()
        .any(|key| map.contains_key(*key))
        || (kind == Some("string")
            && ["pattern", "minLength", "maxLength"]
                .iter()
                .any(|key| map.contains_key(*key)))
        || (kind == Some("object") && map.get("additionalProperties") == Some(&Value::Bool(false)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn inline_titles_never_take_a_component_name() {
        let mut root = json!({
            "paths": {"/m": {"get": {"operationId": "list_models", "responses": {"200": {
                "description": "", "content": {"application/json": {"schema": {
                    "title": "Model", "type": "object", "properties": {"id": {"type": "string"}}
                }}}
            }}}}},
            "components": {"schemas": {
                "Model": {"type": "object", "properties": {
                    "kind": {"type": "string", "enum": ["a", "b"], "title": "Model"},
                    "tags": {"type": "array", "items": {"type": "string", "enum": ["x"]}}
                }},
                "Other": {"type": "object", "properties": {
                    "kind": {"type": "string", "enum": ["c"], "title": "Model"}
                }}
            }}
        });
        name_inline_types(&mut root);
        let schemas = &root["components"]["schemas"];
        assert_eq!(schemas["Model"]["properties"]["kind"]["title"], "ModelKind");
        assert_eq!(
            schemas["Model"]["properties"]["tags"]["items"]["title"],
            "ModelTagsItem"
        );
        assert_eq!(schemas["Other"]["properties"]["kind"]["title"], "OtherKind");
        assert_eq!(
            root["paths"]["/m"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
                ["title"],
            "ListModelsResponse"
        );
    }

    #[test]
    fn allocation_falls_back_to_a_counter() {
        let mut names = Allocator::with_reserved(&["A"]);
        assert_eq!(names.allocate(&["A".into()]), "A2");
        assert_eq!(names.allocate(&["A".into()]), "A3");
        assert_eq!(names.allocate(&["B".into(), "A".into()]), "B");
    }

    #[test]
    fn names_follow_typify() {
        assert_eq!(typify_pascal("list_models-response"), "ListModelsResponse");
        assert_eq!(typify_pascal("2fa"), "X2fa");
        assert_eq!(typify_pascal("Self"), "Self_");
    }
}
