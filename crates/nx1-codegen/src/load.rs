//! Reading a spec from disk into a JSON tree, with errors that point at the line or pointer.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Location, SpecError};

/// The OpenAPI line a document claims to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V30,
    V31,
    /// Read as 3.1 plus what 3.2 adds that the pipeline knows (`itemSchema`).
    V32,
}

impl Version {
    /// The version `document` declares in `openapi`, when it is one this crate reads.
    pub fn of(document: &Value) -> Option<Version> {
        let version = document.get("openapi")?.as_str()?;
        let series = |prefix: &str| version == prefix || version.starts_with(&format!("{prefix}."));
        if series("3.0") {
            Some(Version::V30)
        } else if series("3.1") {
            Some(Version::V31)
        } else if series("3.2") {
            Some(Version::V32)
        } else {
            None
        }
    }
}

/// The spec files in `dir` (`*.json`, `*.yaml`, `*.yml`), sorted by name, not descending
/// into subdirectories: how the corpus, its tests and `cargo xtask corpus` list specs.
pub fn spec_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file()
            && matches!(
                path.extension().and_then(|ext| ext.to_str()),
                Some("json" | "yaml" | "yml")
            )
        {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// A parsed spec: the raw JSON tree plus what it says about itself.
#[derive(Debug, Clone)]
pub struct Document {
    /// How errors name this document: usually its path.
    pub origin: String,
    pub value: Value,
    /// The text it was parsed from (empty when built in memory): what errors and notes
    /// find their line in.
    pub text: String,
}

impl Document {
    /// The version the document declares, read from it rather than kept beside it: a copy
    /// could disagree with the tree (drift built documents by hand, as 3.1, and lost every
    /// 3.2 `query` operation). `None` only for a tree not loaded through [`load_str`].
    pub fn version(&self) -> Option<Version> {
        Version::of(&self.value)
    }
}

/// Reads and parses the file at `path`.
pub fn load_file(path: &Path) -> Result<Document, SpecError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|err| {
        SpecError::whole(
            &origin,
            format!("cannot read the spec ({err}); check the path and its permissions"),
        )
    })?;
    let is_json = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    load_str(&origin, &text, is_json)
}

/// Parses `text` as JSON (when `is_json`) or YAML, then checks that it is an OpenAPI 3.x
/// document. References are mended later, by `repair`, not refused here.
pub fn load_str(origin: &str, text: &str, is_json: bool) -> Result<Document, SpecError> {
    let value = if is_json {
        serde_json::from_str::<Value>(text).map_err(|err| SpecError {
            origin: origin.to_owned(),
            location: Location::Line {
                line: err.line(),
                column: err.column(),
            },
            message: format!("invalid JSON: {}", strip_position(&err.to_string())),
        })?
    } else {
        parse_yaml(origin, text)?
    };
    check_version(origin, &value)?;
    Ok(Document {
        origin: origin.to_owned(),
        value,
        text: text.to_owned(),
    })
}

fn parse_yaml(origin: &str, text: &str) -> Result<Value, SpecError> {
    // YAML 1.1 reads `y`, `n`, `on`, `off` as booleans; OpenAPI documents are YAML 1.2,
    // where they are strings (the OpenAI spec requires a property named `y`).
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|err| {
        let rendered = err.to_string();
        // serde-saphyr renders "error: line L column C: message" followed by a source excerpt;
        // keep the first line and lift the position into the location.
        let first = rendered.lines().next().unwrap_or_default();
        let first = first.strip_prefix("error: ").unwrap_or(first);
        let (location, message) = split_line_column(first);
        SpecError {
            origin: origin.to_owned(),
            location,
            message: format!("invalid YAML: {message}"),
        }
    })
}

fn split_line_column(text: &str) -> (Location, &str) {
    let parse = || -> Option<(Location, &str)> {
        let rest = text.strip_prefix("line ")?;
        let (line, rest) = rest.split_once(' ')?;
        let rest = rest.strip_prefix("column ")?;
        let (column, message) = rest.split_once(": ")?;
        Some((
            Location::Line {
                line: line.parse().ok()?,
                column: column.parse().ok()?,
            },
            message,
        ))
    };
    parse().unwrap_or((Location::Unknown, text))
}

/// serde_json appends "at line L column C"; the location already says so.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at])
}

/// That `value` is an OpenAPI 3.0, 3.1 or 3.2 document; the error says what it is instead.
fn check_version(origin: &str, value: &Value) -> Result<(), SpecError> {
    let Some(root) = value.as_object() else {
        return Err(SpecError::at_pointer(
            origin,
            "",
            "the document is not a mapping; an OpenAPI document starts with `openapi: 3.x.y`",
        ));
    };
    if root.contains_key("swagger") {
        return Err(SpecError::at_pointer(
            origin,
            "/swagger",
            "Swagger 2.0 documents are not supported; convert the spec to OpenAPI 3 first",
        ));
    }
    if Version::of(value).is_some() {
        return Ok(());
    }
    match root.get("openapi") {
        Some(Value::String(version)) => Err(SpecError::at_pointer(
            origin,
            "/openapi",
            format!("unsupported OpenAPI version `{version}`; expected 3.0.x, 3.1.x or 3.2.x"),
        )),
        Some(_) => Err(SpecError::at_pointer(
            origin,
            "/openapi",
            "`openapi` must be a version string such as \"3.1.0\"",
        )),
        None => Err(SpecError::at_pointer(
            origin,
            "",
            "missing `openapi` field; an OpenAPI document starts with `openapi: 3.x.y`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str, is_json: bool) -> String {
        load_str("spec.yaml", text, is_json)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn yaml_syntax_errors_name_line_and_column() {
        let message = error("openapi: 3.1.0\ninfo: [1, 2\n", false);
        assert!(message.starts_with("spec.yaml:2:"), "{message}");
        assert!(message.contains("invalid YAML"), "{message}");
    }

    #[test]
    fn json_syntax_errors_name_line_and_column() {
        let message = error("{\n  \"openapi\": \"3.1.0\",\n  \"info\": }\n", true);
        assert_eq!(
            message, "spec.yaml:3:11: invalid JSON: expected value",
            "{message}"
        );
    }

    #[test]
    fn versions_are_checked() {
        assert!(error("swagger: '2.0'\n", false).contains("Swagger 2.0"));
        assert!(error("openapi: 4.0.0\n", false).contains("unsupported OpenAPI version `4.0.0`"));
        assert!(error("- a\n", false).contains("not a mapping"));
    }

    #[test]
    fn integers_beyond_i64_load() {
        let doc = load_str(
            "s",
            "openapi: 3.1.0\nx: -9223372036854776000\ny: 18446744073709551615\n",
            false,
        )
        .unwrap();
        assert!(doc.value["x"].is_f64());
        assert!(doc.value["y"].is_u64());
    }

    #[test]
    fn yaml_12_booleans_only() {
        let doc = load_str(
            "s",
            "openapi: 3.1.0\nx: [y, n, on, off, yes, true]\n",
            false,
        )
        .unwrap();
        assert_eq!(
            doc.value["x"],
            serde_json::json!(["y", "n", "on", "off", "yes", true])
        );
    }

    #[test]
    fn percent_encoded_references_resolve() {
        let root: Value = serde_json::json!({"a b": {"c": 1}});
        let reference = serde_json::json!({"$ref": "#/a%20b/c"});
        assert_eq!(
            crate::pointer::follow(&root, &reference).unwrap().0,
            &serde_json::json!(1)
        );
    }
}
