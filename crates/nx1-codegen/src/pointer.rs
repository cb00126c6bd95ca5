//! JSON pointers (RFC 6901) into a spec: escaping, joining, the pointer of an operation,
//! following local `$ref` chains, and the line a pointer names in the spec's text. A leaf: it imports no other module of the crate.

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

/// The line and column (1-based) of the node a JSON pointer names in the text of a spec:
/// block-style YAML, or JSON written one key per line; the nearest enclosing node where the
/// exact one is not found.
pub fn line_of(yaml: &str, pointer: &str) -> (usize, usize) {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut start = 0usize;
    let mut indent: isize = -1;
    let mut found = (1usize, 1usize);
    for token in pointer.split('/').skip(1) {
        let token = unescape(token);
        // `200` may be a status key as well as a list index: keys first.
        let next = find_key(&lines, start, indent, &token).or_else(|| {
            token
                .parse::<usize>()
                .ok()
                .and_then(|index| find_item(&lines, start, indent, index))
        });
        match next {
            Some((at, item_indent)) => {
                start = at + 1;
                indent = item_indent;
                found = (at + 1, usize::try_from(leading(lines[at])).unwrap_or(0) + 1);
            }
            None => break,
        }
    }
    found
}

fn leading(line: &str) -> isize {
    (line.len() - line.trim_start().len()) as isize
}

fn find_key(lines: &[&str], start: usize, parent: isize, key: &str) -> Option<(usize, isize)> {
    let candidates = [
        format!("{key}:"),
        format!("\"{key}\":"),
        format!("'{key}':"),
        format!("- {key}:"),
    ];
    for (at, line) in lines.iter().enumerate().skip(start) {
        let indent = leading(line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        if indent <= parent && at > start.saturating_sub(1) && !trimmed.starts_with("- ") {
            return None;
        }
        if candidates
            .iter()
            .any(|candidate| trimmed.starts_with(candidate.as_str()))
        {
            let offset = if trimmed.starts_with("- ") { 2 } else { 0 };
            return Some((at, indent + offset));
        }
    }
    None
}

fn find_item(lines: &[&str], start: usize, parent: isize, index: usize) -> Option<(usize, isize)> {
    let mut seen = 0usize;
    let mut item_indent = None;
    for (at, line) in lines.iter().enumerate().skip(start) {
        let indent = leading(line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        if indent < parent {
            return None;
        }
        if trimmed.starts_with("- ") || trimmed == "-" {
            let expected = *item_indent.get_or_insert(indent);
            if indent == expected {
                if seen == index {
                    return Some((at, indent + 2));
                }
                seen += 1;
            }
        } else if item_indent.is_some_and(|expected| indent <= expected) && indent <= parent {
            return None;
        }
    }
    None
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

#[cfg(test)]
mod line_tests {
    use super::*;

    const YAML: &str = "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      parameters:\n      - name: x\n        in: query\n      - name: y\n        in: query\n      responses:\n        '200':\n          description: ok\n";

    #[test]
    fn pointers_find_their_lines() {
        assert_eq!(line_of(YAML, "/paths/~1a/get"), (4, 5));
        assert_eq!(line_of(YAML, "/paths/~1a/get/parameters/1"), (8, 7));
        assert_eq!(
            line_of(YAML, "/paths/~1a/get/responses/200/description"),
            (12, 11)
        );
        // A node that is not there: its nearest parent.
        assert_eq!(line_of(YAML, "/paths/~1a/post"), (3, 3));
        let json = "{\n  \"paths\": {\n    \"/a\": {\n      \"get\": {}\n    }\n  }\n}\n";
        assert_eq!(line_of(json, "/paths/~1a/get"), (4, 7));
    }
}
