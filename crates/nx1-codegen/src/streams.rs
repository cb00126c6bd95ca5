//! Streamed responses: which responses are streams, and what one item of each is.
//!
//! A success response of `text/event-stream`, `application/jsonl`, `application/x-ndjson`
//! or `application/json-seq` is a stream. Its item is found, before normalisation (so that
//! 2020-12's `contentSchema` is still there to read), in the first of:
//! - OpenAPI 3.2's `itemSchema`; for SSE it describes the event (`event`, `data`, `id`,
//!   `retry`), and a `oneOf` of events each fixing its `event` name is a union tagged by
//!   that name;
//! - a `schema` that is such an event "envelope" (Speakeasy-managed specs write these);
//! - a `schema` describing one item (the OpenAI style);
//! - nothing typed, when the schema only says the body is a string: items are then any
//!   JSON value (text where the data is not JSON), with a note.
//!
//! Each stream media type is rewritten as `schema` (the item's data schema, or a `oneOf`
//! of the events' for a tagged union, normalised from here like any other) and an
//! `x-nx1-stream` description that the model reads.

use serde_json::{Map, Value, json};

use serde::{Deserialize, Serialize};

use crate::pointer::{self, child};
use crate::spec::{HTTP_METHODS, Note, Status};

/// Where the model finds a stream's description in the media type object.
pub const STREAM: &str = "x-nx1-stream";

/// How the items of a stream are separated on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Framing {
    Sse,
    Lines,
    Seq,
}

impl Framing {
    /// The framing of `media_type`, if it is a stream.
    pub fn of(media_type: &str) -> Option<Framing> {
        Some(match crate::spec::media_essence(media_type).as_str() {
            "text/event-stream" => Framing::Sse,
            "application/jsonl"
            | "application/x-ndjson"
            | "application/jsonlines"
            | "application/x-jsonlines" => Framing::Lines,
            "application/json-seq" => Framing::Seq,
            _ => return None,
        })
    }

    /// The variant of `nx1_stream::Framing` generated code names.
    pub fn variant(self) -> &'static str {
        match self {
            Framing::Sse => "Sse",
            Framing::Lines => "Lines",
            Framing::Seq => "Seq",
        }
    }

    /// The variant of `nx1_stream::Separator` that splits its records, when it has records.
    pub fn separator(self) -> Option<&'static str> {
        match self {
            Framing::Sse => None,
            Framing::Lines => Some("Line"),
            Framing::Seq => Some("RecordSeparator"),
        }
    }
}

/// What an event's data (or a record) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Data {
    /// JSON of the item schema.
    Json,
    /// Text, taken as it is.
    Text,
    /// Not described: any JSON value, or the text when it is not JSON.
    Any,
}

/// A stream as [`mark`] describes it under [`STREAM`]; the model and drift read it back
/// with [`Marked::of`]. The media type's `schema` is then the item's (for a union of named
/// events, a `oneOf` of their data schemas, in the order of `events`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marked {
    pub framing: Framing,
    pub data: Data,
    /// Pointer (in the document as loaded) of the schema a JSON item is checked against.
    pub item: Option<String>,
    /// The events of a union named by `event:`; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<MarkedEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkedEvent {
    pub name: String,
    pub data: Data,
    /// As [`Marked::item`].
    pub schema: Option<String>,
}

impl Marked {
    /// The description of a marked media type object.
    pub fn of(media: &Value) -> Option<Marked> {
        serde_json::from_value(media.get(STREAM)?.clone()).ok()
    }
}

/// Marks every streamed success response of `root` (the document as repaired, not yet
/// normalised) and returns what could not be typed. `itemSchema` anywhere else (a request
/// body, an error response) is dropped with a note: nothing reads it there yet.
///
/// Every change is worked out from the document as it is, then written: no copy of the
/// whole document, which a large spec without a single stream would pay for too.
pub fn mark(root: &mut Value) -> Vec<Note> {
    let mut notes = Vec::new();
    let mut rewrites: Vec<(String, Value)> = Vec::new();
    let Some(Value::Object(paths)) = root.get("paths") else {
        return notes;
    };
    for (path, item) in paths {
        for method in HTTP_METHODS {
            let Some(Value::Object(operation)) = item.get(method) else {
                continue;
            };
            let here = pointer::operation(path, method);
            if let Some(body) = operation.get("requestBody")
                && let Some(body) =
                    without_item_schemas(body, &child(&here, "requestBody"), &mut notes)
            {
                rewrites.push((child(&here, "requestBody"), body));
            }
            let Some(Value::Object(responses)) = operation.get("responses") else {
                continue;
            };
            for (status, response) in responses {
                let at = child(&child(&here, "responses"), status);
                let rewritten = if Status::parse(status).is_some_and(|status| status.is_success()) {
                    marked_response(root, response, &at, &mut notes)
                } else {
                    without_item_schemas(response, &at, &mut notes)
                };
                rewrites.extend(rewritten.map(|response| (at, response)));
            }
        }
    }
    for (at, value) in rewrites {
        if let Some(slot) = root.pointer_mut(&at) {
            *slot = value;
        }
    }
    notes
}

/// `response` with its streams marked, when it has one. A `$ref`'d stream response is
/// shared; it is marked (inlined) where it is used.
fn marked_response(
    root: &Value,
    response: &Value,
    at: &str,
    notes: &mut Vec<Note>,
) -> Option<Value> {
    let (target, _) = locate(root, response, at);
    let content = target.get("content")?.as_object()?;
    if !content.keys().any(|media| Framing::of(media).is_some()) {
        return None;
    }
    let mut marked = target.clone();
    let Some(Value::Object(content)) = marked.get_mut("content") else {
        return None;
    };
    for (media_type, media) in content.iter_mut() {
        let Some(framing) = Framing::of(media_type) else {
            continue;
        };
        let at = child(&child(at, "content"), media_type);
        if let Value::Object(media) = media {
            mark_media(root, framing, media, &at, notes);
        }
    }
    Some(marked)
}

/// `value` (a body or a response) without `itemSchema`, when it had one.
fn without_item_schemas(value: &Value, at: &str, notes: &mut Vec<Note>) -> Option<Value> {
    let content = value.get("content")?.as_object()?;
    if !content
        .values()
        .any(|media| media.get("itemSchema").is_some())
    {
        return None;
    }
    let mut value = value.clone();
    let Some(Value::Object(content)) = value.get_mut("content") else {
        return None;
    };
    for (media_type, media) in content.iter_mut() {
        if let Value::Object(media) = media
            && media.remove("itemSchema").is_some()
        {
            notes.push(Note {
                pointer: child(&child(&child(at, "content"), media_type), "itemSchema"),
                message: "`itemSchema` is only read on success responses; dropped".into(),
            });
        }
    }
    Some(value)
}

/// One described item: what its data holds, its schema, and where that schema is in the
/// document (for the server to check items against).
struct Item {
    data: Data,
    schema: Value,
    pointer: Option<String>,
}

impl Item {
    fn any() -> Item {
        Item {
            data: Data::Any,
            schema: json!({}),
            pointer: None,
        }
    }
}

/// `value` with its `$ref`s followed, and the pointer of what they led to (`at` when
/// `value` is no reference).
fn locate<'a>(root: &'a Value, value: &'a Value, at: &str) -> (&'a Value, String) {
    match pointer::follow(root, value) {
        Some((target, Some(target_at))) => (target, target_at),
        Some((target, None)) => (target, at.to_owned()),
        None => (value, at.to_owned()),
    }
}

fn mark_media(
    root: &Value,
    framing: Framing,
    media: &mut Map<String, Value>,
    at: &str,
    notes: &mut Vec<Note>,
) {
    let (declared, declared_at) = match (media.remove("itemSchema"), media.get("schema")) {
        (Some(schema), _) => (Some(schema), child(at, "itemSchema")),
        (None, Some(schema)) => (Some(schema.clone()), child(at, "schema")),
        (None, None) => (None, at.to_owned()),
    };
    let described = declared
        .as_ref()
        .map(|schema| locate(root, schema, &declared_at));
    let mut untyped = |reason: &str| {
        notes.push(Note::untyped(
            declared_at.clone(),
            format!("the stream's items are not described ({reason})"),
        ));
        (Item::any(), Vec::<(String, Item)>::new())
    };
    let (item, events) = match described {
        None => untyped("no schema"),
        Some((schema, _)) if describes_text_only(schema) => {
            untyped("the schema is the body's text")
        }
        Some((schema, schema_at)) if framing == Framing::Sse && is_envelope(root, schema) => {
            let events = tagged_events(root, schema, &schema_at);
            if events.is_empty() {
                (envelope_data(root, schema, &schema_at), Vec::new())
            } else {
                let one_of = events.iter().map(|(_, item)| item.schema.clone()).collect();
                let union = Item {
                    data: Data::Json,
                    schema: json!({ "oneOf": Value::Array(one_of) }),
                    pointer: None,
                };
                (union, events)
            }
        }
        Some(_) => (
            Item {
                data: Data::Json,
                schema: declared.clone().unwrap_or_default(),
                pointer: Some(declared_at.clone()),
            },
            Vec::new(),
        ),
    };
    let marked = Marked {
        framing,
        data: item.data,
        item: item.pointer,
        events: events
            .iter()
            .map(|(name, event)| MarkedEvent {
                name: name.clone(),
                data: event.data,
                schema: event.pointer.clone(),
            })
            .collect(),
    };
    media.insert("schema".into(), item.schema);
    media.insert(
        STREAM.into(),
        serde_json::to_value(&marked).unwrap_or_default(),
    );
}

/// A schema that says only that the value is a string: for a stream, the body's text.
fn describes_text_only(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
        && schema.get("properties").is_none()
        && schema.get("contentSchema").is_none()
}

/// The fields an SSE event has.
const EVENT_FIELDS: [&str; 4] = ["event", "data", "id", "retry"];

/// The properties of `schema` (at `at`), `$ref`s followed, and their pointer.
fn properties<'a>(
    root: &'a Value,
    schema: &'a Value,
    at: &str,
) -> Option<(&'a Map<String, Value>, String)> {
    let (schema, at) = locate(root, schema, at);
    let properties = schema.get("properties")?.as_object()?;
    Some((properties, child(&at, "properties")))
}

/// An object schema whose properties are an event's fields, `data` among them (here or
/// in every branch of its `oneOf`/`anyOf`).
fn is_envelope(root: &Value, schema: &Value) -> bool {
    let fields_only = |properties: &Map<String, Value>| {
        properties
            .keys()
            .all(|key| EVENT_FIELDS.contains(&key.as_str()))
    };
    let own = properties(root, schema, "");
    if own.as_ref().is_some_and(|(own, _)| !fields_only(own)) {
        return false;
    }
    if own
        .as_ref()
        .is_some_and(|(own, _)| own.contains_key("data"))
    {
        return true;
    }
    let branches = branches(schema, "");
    !branches.is_empty()
        && branches.iter().all(|(branch, _)| {
            properties(root, branch, "").is_some_and(|(properties, _)| {
                fields_only(properties) && properties.contains_key("data")
            })
        })
}

/// The branches of `schema`'s `oneOf` or `anyOf`, with their pointers.
fn branches<'a>(schema: &'a Value, at: &str) -> Vec<(&'a Value, String)> {
    ["oneOf", "anyOf"]
        .iter()
        .filter_map(|key| {
            let list = schema.get(*key)?.as_array()?;
            let base = child(at, key);
            Some(
                list.iter()
                    .enumerate()
                    .map(move |(index, branch)| (branch, child(&base, &index.to_string()))),
            )
        })
        .flatten()
        .collect()
}

/// The events of a union whose every branch fixes its `event` name: name and data.
/// Empty when any branch does not (the union is then read by its data alone).
fn tagged_events(root: &Value, schema: &Value, at: &str) -> Vec<(String, Item)> {
    let shared = properties(root, schema, at)
        .and_then(|(properties, at)| Some((properties.get("data")?, child(&at, "data"))));
    let mut events = Vec::new();
    for (branch, branch_at) in branches(schema, at) {
        let Some((own, own_at)) = properties(root, branch, &branch_at) else {
            return Vec::new();
        };
        let Some(name) = own.get("event").and_then(|event| fixed_string(root, event)) else {
            return Vec::new();
        };
        let data = match own.get("data") {
            Some(data) => data_item(root, data, &child(&own_at, "data")),
            None => match &shared {
                Some((data, data_at)) => data_item(root, data, data_at),
                None => Item::any(),
            },
        };
        if events.iter().any(|(known, _)| *known == name) {
            return Vec::new();
        }
        events.push((name, data));
    }
    events
}

/// `const: "x"` or a one-value `enum`.
fn fixed_string(root: &Value, schema: &Value) -> Option<String> {
    let schema = pointer::resolve(root, schema);
    if let Some(Value::String(value)) = schema.get("const") {
        return Some(value.clone());
    }
    match schema
        .get("enum")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([Value::String(value)]) => Some(value.clone()),
        _ => None,
    }
}

fn envelope_data(root: &Value, schema: &Value, at: &str) -> Item {
    match properties(root, schema, at)
        .and_then(|(properties, at)| Some((properties.get("data")?, child(&at, "data"))))
    {
        Some((data, data_at)) => data_item(root, data, &data_at),
        None => Item::any(),
    }
}

/// What an event's `data` field says about its content: JSON of `contentSchema` (3.1 and
/// 3.2 spell JSON-encoded strings so), text for a plain string, JSON of the schema itself
/// otherwise (a data field described as the object it carries).
fn data_item(root: &Value, data: &Value, at: &str) -> Item {
    let (resolved, resolved_at) = locate(root, data, at);
    if let Some(content) = resolved.get("contentSchema") {
        let json_media = resolved
            .get("contentMediaType")
            .and_then(Value::as_str)
            .is_none_or(crate::spec::MediaKind::is_json);
        if json_media {
            return Item {
                data: Data::Json,
                schema: content.clone(),
                pointer: Some(child(&resolved_at, "contentSchema")),
            };
        }
    }
    if resolved.get("type").and_then(Value::as_str) == Some("string") {
        return Item {
            data: Data::Text,
            schema: json!({"type": "string"}),
            pointer: None,
        };
    }
    if resolved.as_object().is_none_or(|map| {
        map.keys()
            .all(|key| matches!(key.as_str(), "description" | "title"))
    }) {
        return Item::any();
    }
    Item {
        data: Data::Json,
        schema: data.clone(),
        pointer: Some(at.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(media: Value, components: Value) -> (Value, Vec<Note>) {
        let mut root = json!({
            "openapi": "3.2.0",
            "paths": {"/s": {"get": {"responses": {"200": {"content": {"text/event-stream": media}}}}}},
            "components": {"schemas": components},
        });
        let notes = mark(&mut root);
        (
            root.pointer("/paths/~1s/get/responses/200/content/text~1event-stream")
                .unwrap()
                .clone(),
            notes,
        )
    }

    #[test]
    fn an_item_schema_with_events_named_in_a_one_of_is_a_tagged_union() {
        let (media, notes) = marked(
            json!({"itemSchema": {
                "type": "object",
                "properties": {"event": {"type": "string"}, "data": {"type": "string"}, "id": {"type": "string"}},
                "required": ["data"],
                "oneOf": [
                    {"properties": {"event": {"const": "addString"}}},
                    {"properties": {"event": {"const": "addJson"}, "data": {
                        "contentMediaType": "application/json",
                        "contentSchema": {"$ref": "#/components/schemas/Thing"}}}},
                    {"$ref": "#/components/schemas/Done"},
                ]
            }}),
            json!({"Thing": {"type": "object"}, "Done": {"properties": {"event": {"enum": ["done"]}, "data": {}}}}),
        );
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(
            media[STREAM]["events"],
            json!([
                {"name": "addString", "data": "text", "schema": null},
                {"name": "addJson", "data": "json", "schema":
                    "/paths/~1s/get/responses/200/content/text~1event-stream/itemSchema/oneOf/1/properties/data/contentSchema"},
                {"name": "done", "data": "any", "schema": null},
            ])
        );
        assert_eq!(
            media["schema"]["oneOf"][1],
            json!({"$ref": "#/components/schemas/Thing"})
        );
        assert!(media.get("itemSchema").is_none());
    }

    #[test]
    fn an_envelope_schema_gives_its_data() {
        let (media, _) = marked(
            json!({"schema": {"$ref": "#/components/schemas/Events"}}),
            json!({"Events": {"type": "object", "properties": {
                "event": {"type": "string"}, "data": {"$ref": "#/components/schemas/Chunk"}}},
                "Chunk": {"type": "object"}}),
        );
        assert_eq!(
            media["schema"],
            json!({"$ref": "#/components/schemas/Chunk"})
        );
        assert_eq!(media[STREAM]["data"], "json");
        assert_eq!(
            media[STREAM]["item"],
            "/components/schemas/Events/properties/data"
        );
        assert!(media[STREAM].get("events").is_none());
    }

    #[test]
    fn a_schema_of_one_event_is_the_item_and_a_string_is_not_typed() {
        let (media, _) = marked(
            json!({"schema": {"$ref": "#/components/schemas/Chunk"}}),
            json!({"Chunk": {"type": "object", "properties": {"delta": {"type": "string"}}}}),
        );
        assert_eq!(
            media["schema"],
            json!({"$ref": "#/components/schemas/Chunk"})
        );
        let (media, notes) = marked(
            json!({"schema": {"type": "string", "example": "data: {}"}}),
            json!({}),
        );
        assert_eq!(media["schema"], json!({}));
        assert_eq!(media[STREAM]["data"], "any");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].is_untyped());
        assert!(notes[0].pointer.ends_with("/text~1event-stream/schema"));
    }
}
