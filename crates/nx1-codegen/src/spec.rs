//! The shared vocabulary of every stage: notes, HTTP methods, response status keys, media
//! kinds with the one order both generators pick a body by, and an operation's parameters
//! as declared. It imports only [`crate::pointer`].

use serde_json::Value;

use crate::pointer::{self, child, follow};

/// A step that changed or dropped meaning, reported as a build warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub pointer: String,
    pub message: String,
}

/// How every note that leaves a schema untyped ends, so that such notes can be told apart.
const UNTYPED: &str = "; read as any JSON value";

impl Note {
    /// The schema at `pointer` became `serde_json::Value` because of `reason`.
    pub fn untyped(pointer: impl Into<String>, reason: impl std::fmt::Display) -> Note {
        Note {
            pointer: pointer.into(),
            message: format!("{reason}{UNTYPED}"),
        }
    }

    /// Whether this note made its schema untyped.
    pub fn is_untyped(&self) -> bool {
        self.message.ends_with(UNTYPED)
    }
}

/// The operations a path item can hold, as the spec spells them (`query` since OpenAPI 3.2;
/// normalising drops it from older documents, where it means nothing).
pub const HTTP_METHODS: [&str; 9] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace", "query",
];

/// Path parameters that, last in a path, take the rest of it: FastAPI's `{name:path}`,
/// which its OpenAPI output writes as a plain `{name}`. Client and server read this one
/// constant, so that they cannot disagree.
pub const REST_PARAMS: [&str; 1] = ["path"];

/// A path template (`/jobs/{id}/files/{path}`) read once: its literal text and its
/// `{variables}`, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate<'a> {
    pieces: Vec<Piece<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Literal(&'a str),
    Variable(&'a str),
}

impl<'a> PathTemplate<'a> {
    /// An unclosed `{` is literal text.
    pub fn parse(path: &'a str) -> Self {
        let mut pieces = Vec::new();
        let mut rest = path;
        while let Some(start) = rest.find('{') {
            let Some(length) = rest[start..].find('}') else {
                break;
            };
            if start > 0 {
                pieces.push(Piece::Literal(&rest[..start]));
            }
            pieces.push(Piece::Variable(&rest[start + 1..start + length]));
            rest = &rest[start + length + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Literal(rest));
        }
        PathTemplate { pieces }
    }

    /// The variables, in template order.
    pub fn names(&self) -> Vec<&'a str> {
        self.pieces
            .iter()
            .filter_map(|piece| match piece {
                Piece::Variable(name) => Some(*name),
                Piece::Literal(_) => None,
            })
            .collect()
    }

    /// The variable that takes the rest of the path: one of [`REST_PARAMS`] that is the
    /// whole last segment.
    pub fn rest_param(&self) -> Option<&'a str> {
        match self.pieces.as_slice() {
            [.., Piece::Literal(before), Piece::Variable(name)]
                if before.ends_with('/') && REST_PARAMS.contains(name) =>
            {
                Some(name)
            }
            _ => None,
        }
    }

    /// The template with every variable written as `{}`: what two templates that differ
    /// only in their variables' names share (`/jobs/{id}` and `/jobs/{job_id}`).
    pub fn shape(&self) -> String {
        self.pieces
            .iter()
            .map(|piece| match piece {
                Piece::Literal(text) => text,
                Piece::Variable(_) => "{}",
            })
            .collect()
    }

    /// The template with every variable written as `{}` and literal braces doubled: a
    /// `format!` string; the variables it takes are [`names`](Self::names).
    pub fn format_string(&self) -> String {
        self.pieces
            .iter()
            .map(|piece| match piece {
                Piece::Literal(text) => text.replace('{', "{{").replace('}', "}}"),
                Piece::Variable(_) => "{}".to_owned(),
            })
            .collect()
    }
}

/// A key of an operation's `responses`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Code(u16),
    /// `4XX`: the hundreds digit.
    Range(u16),
    Default,
}

impl Status {
    /// `None` for a key that is no status (`20`, `6XX`, `ok`).
    pub fn parse(key: &str) -> Option<Status> {
        if key == "default" {
            return Some(Status::Default);
        }
        let upper = key.to_ascii_uppercase();
        if let Some(range) = upper.strip_suffix("XX")
            && let Ok(range @ 1..=5) = range.parse::<u16>()
        {
            return Some(Status::Range(range));
        }
        match key.parse::<u16>() {
            Ok(code @ 100..=599) => Some(Status::Code(code)),
            _ => None,
        }
    }

    /// The key as the spec writes it.
    pub fn key(&self) -> String {
        match self {
            Status::Code(code) => code.to_string(),
            Status::Range(range) => format!("{range}XX"),
            Status::Default => "default".into(),
        }
    }

    pub fn is_success(&self) -> bool {
        matches!(self, Status::Code(101 | 200..=299) | Status::Range(2))
    }

    pub fn is_success_or_default(&self) -> bool {
        self.is_success() || *self == Status::Default
    }

    pub fn is_error_or_default(&self) -> bool {
        matches!(
            self,
            Status::Default | Status::Code(400..=599) | Status::Range(4..=5)
        )
    }
}

/// What a media type is, as far as code generation is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaKind {
    /// `application/json` and every `+json` type.
    Json,
    FormUrlencoded,
    Multipart,
    OctetStream,
    Text(String),
    /// Any other media type, sent as raw bytes with its own `Content-Type`.
    Raw(String),
}

/// `media_type` without parameters, lower-case: `Text/Plain; charset=utf-8` → `text/plain`.
pub fn media_essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

impl MediaKind {
    /// The kind of `media_type`, parameters and case ignored.
    pub fn of(media_type: &str) -> MediaKind {
        let essence = media_essence(media_type);
        match essence.as_str() {
            "application/json" => MediaKind::Json,
            "application/x-www-form-urlencoded" => MediaKind::FormUrlencoded,
            "application/octet-stream" => MediaKind::OctetStream,
            "text/plain" | "text/x-markdown" => MediaKind::Text(essence.clone()),
            _ if essence.starts_with("multipart/") => MediaKind::Multipart,
            _ if essence.ends_with("+json") => MediaKind::Json,
            _ => MediaKind::Raw(essence.clone()),
        }
    }

    /// The order a body is picked by when an operation offers several, the same on the
    /// client and the server: JSON, form, multipart, octet-stream, text, anything else.
    pub fn rank(&self) -> u8 {
        match self {
            MediaKind::Json => 0,
            MediaKind::FormUrlencoded => 1,
            MediaKind::Multipart => 2,
            MediaKind::OctetStream => 3,
            MediaKind::Text(_) => 4,
            MediaKind::Raw(_) => 5,
        }
    }

    pub fn is_json(media_type: &str) -> bool {
        MediaKind::of(media_type) == MediaKind::Json
    }
}

/// The media type of `content` (a `content` object's keys) a body is read from.
pub fn preferred_media<'a>(
    media_types: impl IntoIterator<Item = &'a String>,
) -> Option<&'a String> {
    media_types
        .into_iter()
        .min_by_key(|media_type| MediaKind::of(media_type).rank())
}

/// One parameter object as the spec declares it.
#[derive(Debug, Clone)]
pub struct Declared<'a> {
    /// The parameter object, its `$ref` followed.
    pub value: &'a Value,
    /// Where it is listed (`…/parameters/2`).
    pub listed_at: String,
    /// Where the object itself is (the `$ref` target, or `listed_at`).
    pub defined_at: String,
}

impl Declared<'_> {
    /// `(in, name)`: what identifies a parameter within an operation.
    pub fn key(&self) -> (&str, &str) {
        let text = |key| {
            self.value
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        (text("in"), text("name"))
    }
}

/// The parameters of the operation at `path` and `method` as declared: the path item's
/// first, then the operation's own (which win where both declare one `key`). Entries whose
/// `$ref` dangles are left out.
pub fn declared_parameters<'a>(root: &'a Value, path: &str, method: &str) -> Vec<Declared<'a>> {
    let item = child("/paths", path);
    let mut out = Vec::new();
    for list_pointer in [
        child(&item, "parameters"),
        child(&pointer::operation(path, method), "parameters"),
    ] {
        let Some(Value::Array(list)) = root.pointer(&list_pointer) else {
            continue;
        };
        for (index, entry) in list.iter().enumerate() {
            let listed_at = child(&list_pointer, &index.to_string());
            if let Some((value, target)) = follow(root, entry) {
                out.push(Declared {
                    value,
                    defined_at: target.unwrap_or_else(|| listed_at.clone()),
                    listed_at,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(Status::parse("4xx"), Some(Status::Range(4)));
        assert_eq!(Status::parse("6XX"), None);
        assert_eq!(Status::parse("201").map(|s| s.is_success()), Some(true));
        assert_eq!(
            Status::parse("default").map(|s| s.key()),
            Some("default".into())
        );
        assert!(Status::Range(5).is_error_or_default());
    }

    #[test]
    fn path_templates() {
        let template = PathTemplate::parse("/proxy/{id}/x{y}z/{path}");
        assert_eq!(template.names(), ["id", "y", "path"]);
        assert_eq!(template.rest_param(), Some("path"));
        assert_eq!(template.format_string(), "/proxy/{}/x{}z/{}");
        assert_eq!(template.shape(), "/proxy/{}/x{}z/{}");
        assert_eq!(PathTemplate::parse("/a/{b}/{{c").shape(), "/a/{}/{{c");
        assert_eq!(PathTemplate::parse("/files{path}").rest_param(), None);
        assert_eq!(PathTemplate::parse("/a/{b}/c").rest_param(), None);
        assert_eq!(
            PathTemplate::parse("/open/{brace").names(),
            Vec::<&str>::new()
        );
        assert_eq!(
            PathTemplate::parse("/open/{brace").format_string(),
            "/open/{{brace"
        );
    }

    #[test]
    fn parameters_as_declared() {
        let root = serde_json::json!({
            "paths": {"/a/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}, {"name": "q", "in": "query"}],
                "get": {"parameters": [{"name": "q", "in": "query", "required": true}, {"$ref": "#/nowhere"}]}
            }},
            "components": {"parameters": {"Id": {"name": "id", "in": "path"}}}
        });
        let declared = declared_parameters(&root, "/a/{id}", "get");
        assert_eq!(declared.len(), 3);
        assert_eq!(declared[0].key(), ("path", "id"));
        assert_eq!(declared[0].listed_at, "/paths/~1a~1{id}/parameters/0");
        assert_eq!(declared[0].defined_at, "/components/parameters/Id");
        assert_eq!(declared[2].listed_at, "/paths/~1a~1{id}/get/parameters/0");
    }

    #[test]
    fn media_kinds_and_order() {
        assert!(MediaKind::is_json("application/json; charset=utf-8"));
        assert!(MediaKind::is_json("application/problem+json"));
        assert_eq!(MediaKind::of("Multipart/Form-Data").rank(), 2);
        assert_eq!(
            MediaKind::of("image/png"),
            MediaKind::Raw("image/png".into())
        );
        let offered = [
            "text/plain".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ];
        assert_eq!(
            preferred_media(&offered).map(String::as_str),
            Some("application/x-www-form-urlencoded")
        );
    }
}
