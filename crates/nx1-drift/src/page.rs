//! One Mintlify page: the OpenAPI document in its four-backtick fence whose info string
//! ends with `METHOD PATH`.

use serde_json::Value;

use crate::DriftError;
use nx1_codegen::spec::HTTP_METHODS as METHODS;

/// The operation a page documents, with the single-operation document it holds.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: String,
    pub method: String,
    pub path: String,
    pub document: Value,
}

/// A fence of four or more backticks whose info string's last two tokens are a method and a
/// path; `None` when the page has none (a guide).
pub fn extract(url: &str, text: &str) -> Result<Option<Page>, DriftError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        let ticks = line.chars().take_while(|c| *c == '`').count();
        if ticks < 4 {
            index += 1;
            continue;
        }
        let info: Vec<&str> = line[ticks..].split_whitespace().collect();
        let closing = (index + 1..lines.len()).find(|&at| {
            let candidate = lines[at].trim_end();
            let run = candidate.chars().take_while(|c| *c == '`').count();
            run >= ticks && run == candidate.len()
        });
        let Some(closing) = closing else {
            return Err(DriftError::Page {
                url: url.to_owned(),
                message: format!(
                    "the fence opened on line {} is never closed; the page is truncated",
                    index + 1
                ),
            });
        };
        if let [.., method, path] = info.as_slice()
            && METHODS.contains(&method.to_ascii_lowercase().as_str())
            && path.starts_with('/')
        {
            let body = lines[index + 1..closing].join("\n");
            let document =
                nx1_codegen::load_str(url, &body, false).map_err(|err| DriftError::Page {
                    url: url.to_owned(),
                    message: format!(
                        "the OpenAPI block (from line {}) is not valid: {err}",
                        index + 2
                    ),
                })?;
            let method = method.to_ascii_lowercase();
            check_single_operation(url, &document.value, &method, path)?;
            return Ok(Some(Page {
                url: url.to_owned(),
                method,
                path: (*path).to_owned(),
                document: document.value,
            }));
        }
        index = closing + 1;
    }
    Ok(None)
}

fn check_single_operation(
    url: &str,
    document: &Value,
    method: &str,
    path: &str,
) -> Result<(), DriftError> {
    let fail = |message: String| DriftError::Page {
        url: url.to_owned(),
        message,
    };
    let paths = document
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| fail("the OpenAPI block has no `paths`".into()))?;
    let operations: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(p, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| ((*m).to_owned(), p.clone()))
        })
        .collect();
    match operations.as_slice() {
        [(m, p)] if m == method && p == path => Ok(()),
        [(m, p)] => Err(fail(format!(
            "the fence says `{} {path}` but the document holds `{} {p}`",
            method.to_ascii_uppercase(),
            m.to_ascii_uppercase()
        ))),
        other => Err(fail(format!(
            "the OpenAPI block must hold exactly one operation, not {}",
            other.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n    get:\n      responses: {'200': {description: ok}}\n";

    #[test]
    fn finds_the_operation_fence() {
        let text = format!(
            "# Title\n\n```yaml\nnot this\n```\n\n## OpenAPI\n\n````yaml GET /a/{{id}}\n{DOC}````\n"
        );
        let page = extract("u", &text).unwrap().unwrap();
        assert_eq!(
            (page.method.as_str(), page.path.as_str()),
            ("get", "/a/{id}")
        );
    }

    #[test]
    fn longer_fences_close_only_on_as_long_a_run() {
        let text = format!("`````yaml get /a/{{id}}\n{DOC}````\nstill inside\n`````\n");
        let err = extract("u", &text).unwrap_err().to_string();
        assert!(err.contains("not valid"), "{err}");
    }

    #[test]
    fn guides_have_none_and_truncation_is_an_error() {
        assert!(extract("u", "# Guide\n\ntext\n").unwrap().is_none());
        let err = extract("u", &format!("````yaml get /a/{{id}}\n{DOC}")).unwrap_err();
        assert!(err.to_string().contains("never closed"), "{err}");
    }

    #[test]
    fn the_fence_must_match_the_document() {
        let err = extract("u", &format!("````yaml post /a/{{id}}\n{DOC}````\n")).unwrap_err();
        assert!(err.to_string().contains("holds `GET /a/{id}`"), "{err}");
    }
}
