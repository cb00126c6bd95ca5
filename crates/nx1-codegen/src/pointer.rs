//! JSON pointers (RFC 6901) into a spec: escaping, joining, the pointer of an operation,
//! and following local `$ref` chains. A leaf: it imports no other module of the crate.

use serde_json::Value;

/// Escapes one reference token.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Reverses [`escape`].
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Joins a pointer and a token.
pub fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape(token))
}

/// The pointer of an operation object.
pub fn operation(path: &str, method: &str) -> String {
    child(&child("/paths", path), method)
}

/// Follows a chain of local `$ref`s from `value`: the value it ends at, and that value's
/// pointer when `value` was a reference. `None` for a dangling or cyclic chain.
pub fn follow<'a>(root: &'a Value, value: &'a Value) -> Option<(&'a Value, Option<String>)> {
    let mut current = value;
    let mut pointer = None;
    for _ in 0..32 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return Some((current, pointer));
        };
        let decoded = percent_decode(reference.strip_prefix('#')?);
        current = root.pointer(&decoded)?;
        pointer = Some(decoded);
    }
    None
}

/// `value` with its `$ref` chain followed; `value` itself where the chain dangles or loops
/// (the caller then reads it as it is written).
pub fn resolve<'a>(root: &'a Value, value: &'a Value) -> &'a Value {
    follow(root, value).map_or(value, |(target, _)| target)
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_and_operations() {
        assert_eq!(escape("a/b~c"), "a~1b~0c");
        assert_eq!(unescape("a~1b~0c"), "a/b~c");
        assert_eq!(operation("/jobs/{id}", "get"), "/paths/~1jobs~1{id}/get");
    }

    #[test]
    fn follows_chains_and_refuses_cycles() {
        let root = json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/c%20d"}, "c d": 1,
                          "x": {"$ref": "#/y"}, "y": {"$ref": "#/x"}});
        let (value, pointer) = follow(&root, &root["a"]).unwrap();
        assert_eq!((value, pointer.as_deref()), (&json!(1), Some("/c d")));
        assert!(follow(&root, &root["x"]).is_none());
        assert!(follow(&root, &json!({"$ref": "other.yaml#/a"})).is_none());
    }
}
