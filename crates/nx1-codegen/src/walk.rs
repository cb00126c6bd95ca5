//! One walk over a spec tree for the passes that rewrite it wholesale.

use serde_json::{Map, Value};

use crate::pointer::child;

/// Keys whose values are instance data (examples, defaults, enum values), not spec: a `$ref`
/// key inside them is just a key.
pub const DATA_KEYS: [&str; 5] = ["example", "examples", "default", "enum", "const"];

/// Calls `visit` on every mapping in `value`, outside instance data, parents before
/// children. `visit` returns whether to descend into the mapping it was given.
pub fn objects_mut(value: &mut Value, visit: &mut dyn FnMut(&mut Map<String, Value>) -> bool) {
    match value {
        Value::Object(map) => {
            if !visit(map) {
                return;
            }
            for (key, item) in map.iter_mut() {
                if !DATA_KEYS.contains(&key.as_str()) {
                    objects_mut(item, visit);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                objects_mut(item, visit);
            }
        }
        _ => {}
    }
}

/// Calls `visit` with the pointer of every mapping in `value` (which sits at `pointer`),
/// outside instance data and extensions (`x-…`, which code generation never reads), parents
/// before children. `visit` returns whether to descend into the mapping it was given.
pub fn objects(
    value: &Value,
    pointer: &str,
    visit: &mut dyn FnMut(&str, &Map<String, Value>) -> bool,
) {
    match value {
        Value::Object(map) => {
            if !visit(pointer, map) {
                return;
            }
            for (key, item) in map {
                if !DATA_KEYS.contains(&key.as_str()) && !key.starts_with("x-") {
                    objects(item, &child(pointer, key), visit);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                objects(item, &child(pointer, &index.to_string()), visit);
            }
        }
        _ => {}
    }
}
