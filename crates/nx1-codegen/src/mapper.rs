//! Schemas to Rust types for the code we write ourselves (custom client methods, server
//! requests and responses): components by name, primitives directly, and inline schemas
//! filed as new named components so that typify generates them with the rest.

use serde_json::{Map, Value};

use crate::names::{Allocator, sanitize_pascal, typify_pascal};
use crate::pointer;

/// A Rust type, as the path the generated code writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustType(pub String);

impl RustType {
    /// The type as tokens for `quote!`.
    pub fn tokens(&self) -> Result<proc_macro2::TokenStream, String> {
        self.0
            .parse()
            .map_err(|_| format!("`{}` is not a Rust type", self.0))
    }
}

/// Maps schemas to Rust types. Inline schemas that need a generated type are filed under a
/// fresh, collision-free name and added to `components.schemas` by [`install`](Self::install),
/// so that typify generates them.
#[derive(Debug, Default)]
pub struct TypeMapper {
    names: Allocator,
    hoisted: Map<String, Value>,
}

impl TypeMapper {
    /// A mapper that will not reuse the names `root` already gives its schemas.
    pub fn new(root: &Value) -> Self {
        let mut names = Allocator::default();
        if let Some(Value::Object(schemas)) = root.pointer("/components/schemas") {
            for name in schemas.keys() {
                names.reserve(name);
            }
        }
        TypeMapper {
            names,
            hoisted: Map::new(),
        }
    }

    /// Files `schema` under a fresh name derived from `hint`; returns the name. Rust code
    /// names it as typify does (`typify_pascal`): a component `_2` is `types::X2`.
    pub fn hoist(&mut self, hint: &str, schema: Value) -> String {
        let name = self.names.allocate(&[sanitize_pascal(hint)]);
        self.hoisted.insert(name.clone(), schema);
        name
    }

    /// Adds the hoisted schemas to `root`'s `components.schemas`.
    pub fn install(self, root: &mut Value) {
        if self.hoisted.is_empty() {
            return;
        }
        let Value::Object(map) = root else { return };
        let components = map
            .entry("components")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(components) = components else {
            return;
        };
        let schemas = components
            .entry("schemas")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(schemas) = schemas {
            schemas.extend(self.hoisted);
        }
    }

    pub fn rust_type(&mut self, schema: &Value, hint: &str) -> RustType {
        if let Some(name) = component_ref(schema) {
            return RustType(format!("types::{}", typify_pascal(&name)));
        }
        if let Some(Value::Array(all_of)) = schema.get("allOf")
            && all_of.len() == 1
            && let Some(name) = component_ref(&all_of[0])
            && only_keys(
                schema,
                &["allOf", "nullable", "title", "description", "default"],
            )
        {
            return RustType(format!("types::{}", typify_pascal(&name)));
        }
        let kind = schema.get("type").and_then(Value::as_str);
        let format = schema.get("format").and_then(Value::as_str);
        let plain = !schema
            .as_object()
            .is_some_and(|map| map.contains_key("enum") || map.contains_key("pattern"));
        let primitive = match (kind, format) {
            (Some("string"), Some("uuid")) if plain => Some("::uuid::Uuid"),
            (Some("string"), Some("date-time")) if plain => {
                Some("::chrono::DateTime<::chrono::offset::Utc>")
            }
            (Some("string"), Some("date")) if plain => Some("::chrono::naive::NaiveDate"),
            (Some("string"), _) if plain => Some("::std::string::String"),
            (Some("integer"), Some("int32")) if plain => Some("i32"),
            (Some("integer"), _) if plain => Some("i64"),
            (Some("number"), Some("float")) if plain => Some("f32"),
            (Some("number"), _) if plain => Some("f64"),
            (Some("boolean"), _) => Some("bool"),
            _ => None,
        };
        if let Some(primitive) = primitive {
            return RustType(primitive.to_owned());
        }
        if kind == Some("array")
            && let Some(items) = schema.get("items")
        {
            let inner = self.rust_type(items, &format!("{hint}_item"));
            return RustType(format!("::std::vec::Vec<{}>", inner.0));
        }
        if schema.as_object().is_some_and(|map| {
            map.keys()
                .all(|key| matches!(key.as_str(), "title" | "description" | "nullable"))
        }) {
            return RustType("::serde_json::Value".to_owned());
        }
        let name = self.hoist(hint, schema.clone());
        RustType(format!("types::{}", typify_pascal(&name)))
    }
}

fn component_ref(schema: &Value) -> Option<String> {
    let reference = schema.get("$ref")?.as_str()?;
    let name = reference.strip_prefix("#/components/schemas/")?;
    Some(pointer::unescape(name))
}

fn only_keys(schema: &Value, allowed: &[&str]) -> bool {
    schema
        .as_object()
        .is_some_and(|map| map.keys().all(|key| allowed.contains(&key.as_str())))
}
