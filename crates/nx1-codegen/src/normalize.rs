//! OpenAPI 3.1 (JSON Schema 2020-12) rewritten into the OpenAPI 3.0 dialect that openapiv3,
//! progenitor and typify read, keeping meaning wherever 3.0 can say the same thing and
//! recording a [`Note`] wherever it cannot.

use serde_json::{Map, Value, json};

use crate::error::SpecError;
use crate::load::Document;
use crate::pointer::{self, child};
use crate::spec::{HTTP_METHODS, Note};

const SCHEMA_TYPES: [&str; 7] = [
    "string", "number", "integer", "boolean", "array", "object", "null",
];

/// Keywords that only annotate; next to a `$ref` in 3.0 they would be ignored anyway.
const ANNOTATIONS: [&str; 8] = [
    "title",
    "description",
    "summary",
    "example",
    "examples",
    "deprecated",
    "$comment",
    "externalDocs",
];

/// Identification keywords with no bearing on the shape of the data.
const SILENT_DROPS: [&str; 8] = [
    "$schema",
    "$id",
    "$anchor",
    "$dynamicAnchor",
    "$vocabulary",
    "$comment",
    "$defs",
    "definitions",
];

/// Validation keywords that OpenAPI 3.0 has no words for.
const LOSSY_DROPS: [&str; 13] = [
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "propertyNames",
    "patternProperties",
    "$dynamicRef",
];

/// Rewrites `doc` in place into OpenAPI 3.0.3 and returns the lossy steps taken.
pub fn normalize(doc: &mut Document) -> Result<Vec<Note>, SpecError> {
    let mut normalizer = Normalizer {
        origin: &doc.origin,
        notes: Vec::new(),
        for_rust: true,
        v32: doc.version() == Some(crate::load::Version::V32),
    };
    normalizer.document(&mut doc.value)?;
    Ok(normalizer.notes)
}

/// [`normalize`] without the steps taken only because Rust cannot express a schema (an
/// enum whose values would name the same variant stays an enum): what the spec means,
/// for comparing two specs.
pub fn normalize_meaning(doc: &mut Document) -> Result<Vec<Note>, SpecError> {
    let mut normalizer = Normalizer {
        origin: &doc.origin,
        notes: Vec::new(),
        for_rust: false,
        v32: doc.version() == Some(crate::load::Version::V32),
    };
    normalizer.document(&mut doc.value)?;
    Ok(normalizer.notes)
}

struct Normalizer<'a> {
    origin: &'a str,
    notes: Vec<Note>,
    /// Also take the lossy steps generated Rust needs.
    for_rust: bool,
    /// An OpenAPI 3.2 document: `query` is an operation.
    v32: bool,
}

impl Normalizer<'_> {
    fn error(&self, pointer: &str, message: impl Into<String>) -> SpecError {
        SpecError::at_pointer(self.origin, pointer, message)
    }

    fn note(&mut self, pointer: &str, message: impl Into<String>) {
        self.notes.push(Note {
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    fn document(&mut self, root: &mut Value) -> Result<(), SpecError> {
        let Value::Object(map) = root else {
            return Err(self.error("", "the document is not a mapping"));
        };
        map.insert("openapi".into(), json!("3.0.3"));
        map.remove("jsonSchemaDialect");
        if let Some(Value::Object(webhooks)) = map.remove("webhooks")
            && !webhooks.is_empty()
        {
            self.note(
                "/webhooks",
                format!(
                    "{} webhook(s) describe requests the API sends, not ones a client makes; no client methods for them",
                    webhooks.len()
                ),
            );
        }
        if let Some(Value::Object(info)) = map.get_mut("info") {
            info.remove("summary");
            if let Some(Value::Object(license)) = info.get_mut("license") {
                license.remove("identifier");
            }
        }
        self.inline_path_item_refs(map)?;
        self.security_schemes(map);

        if !map.contains_key("paths") {
            map.insert("paths".into(), json!({}));
        }
        if let Some(Value::Object(paths)) = map.get_mut("paths") {
            for (path, item) in paths.iter_mut() {
                let pointer = child("/paths", path);
                self.path_item(item, &pointer)?;
            }
        }
        if let Some(Value::Object(components)) = map.get_mut("components") {
            if components.remove("callbacks").is_some() {
                self.note(
                    "/components/callbacks",
                    "callbacks describe requests the API sends; dropped",
                );
            }
            for section in [
                "schemas",
                "parameters",
                "requestBodies",
                "responses",
                "headers",
            ] {
                let Some(Value::Object(entries)) = components.get_mut(section) else {
                    continue;
                };
                let base = child("/components", section);
                for (name, entry) in entries.iter_mut() {
                    let pointer = child(&base, name);
                    match section {
                        "schemas" => self.schema(entry, &pointer)?,
                        "parameters" => self.parameter(entry, &pointer)?,
                        "requestBodies" => self.request_body(entry, &pointer)?,
                        "responses" => self.response(entry, &pointer)?,
                        _ => self.header(entry, &pointer)?,
                    }
                }
            }
        }
        Ok(())
    }

    /// 3.1 lets a path item be a `$ref` into `components.pathItems`; 3.0 tooling expects the
    /// item itself, so the referenced item is copied in and the section removed.
    fn inline_path_item_refs(&mut self, map: &mut Map<String, Value>) -> Result<(), SpecError> {
        let path_items = map
            .get_mut("components")
            .and_then(Value::as_object_mut)
            .and_then(|components| components.remove("pathItems"));
        let Some(Value::Object(paths)) = map.get_mut("paths") else {
            return Ok(());
        };
        for (path, item) in paths.iter_mut() {
            let Some(Value::String(reference)) = item.get("$ref").cloned() else {
                continue;
            };
            let pointer = child(&child("/paths", path), "$ref");
            let name = reference
                .strip_prefix("#/components/pathItems/")
                .map(pointer::unescape);
            let target = name
                .as_deref()
                .and_then(|name| path_items.as_ref()?.get(name))
                .cloned()
                .ok_or_else(|| {
                    self.error(
                        &pointer,
                        format!(
                            "path item reference `{reference}` must point into components.pathItems"
                        ),
                    )
                })?;
            let Value::Object(mut merged) = target else {
                return Err(self.error(&pointer, "the referenced path item is not a mapping"));
            };
            if let Value::Object(siblings) = item {
                for (key, value) in siblings.iter() {
                    if key != "$ref" {
                        merged.insert(key.clone(), value.clone());
                    }
                }
            }
            *item = Value::Object(merged);
        }
        Ok(())
    }

    /// `mutualTLS` is new in 3.1 and means nothing to an HTTP client generator.
    fn security_schemes(&mut self, map: &mut Map<String, Value>) {
        let mut dropped = Vec::new();
        if let Some(Value::Object(schemes)) = map
            .get_mut("components")
            .and_then(|components| components.get_mut("securitySchemes"))
        {
            schemes.retain(|name, scheme| {
                let keep = scheme.get("type").and_then(Value::as_str) != Some("mutualTLS");
                if !keep {
                    dropped.push(name.clone());
                }
                keep
            });
        }
        for name in dropped {
            self.note(
                &child("/components/securitySchemes", &name),
                "mutualTLS security scheme dropped: configure client certificates on reqwest",
            );
            crate::repair::strip_requirement(map.get_mut("security"), &name);
            if let Some(Value::Object(paths)) = map.get_mut("paths") {
                for item in paths.values_mut() {
                    for method in HTTP_METHODS {
                        if let Some(operation) = item.get_mut(method) {
                            crate::repair::strip_requirement(operation.get_mut("security"), &name);
                        }
                    }
                }
            }
        }
    }

    fn path_item(&mut self, item: &mut Value, pointer: &str) -> Result<(), SpecError> {
        let Value::Object(map) = item else {
            return Err(self.error(pointer, "a path item must be a mapping"));
        };
        if let Some(parameters) = map.get_mut("parameters") {
            self.parameter_list(parameters, &child(pointer, "parameters"))?;
        }
        for method in HTTP_METHODS {
            if let Some(operation) = map.get_mut(method) {
                self.operation(operation, &child(pointer, method))?;
            }
        }
        if !self.v32 && map.remove("query").is_some() {
            self.note(
                &child(pointer, "query"),
                "`query` is an operation only from OpenAPI 3.2 on; dropped",
            );
        }
        // OpenAPI 3.2's methods of any name: no generator here sends them yet.
        if map.remove("additionalOperations").is_some() {
            self.note(
                &child(pointer, "additionalOperations"),
                "`additionalOperations` (OpenAPI 3.2) are not generated yet; dropped",
            );
        }
        Ok(())
    }

    fn operation(&mut self, operation: &mut Value, pointer: &str) -> Result<(), SpecError> {
        let Value::Object(map) = operation else {
            return Err(self.error(pointer, "an operation must be a mapping"));
        };
        if map.remove("callbacks").is_some() {
            self.note(
                &child(pointer, "callbacks"),
                "callbacks describe requests the API sends; dropped",
            );
        }
        if let Some(parameters) = map.get_mut("parameters") {
            self.parameter_list(parameters, &child(pointer, "parameters"))?;
        }
        if let Some(body) = map.get_mut("requestBody") {
            self.request_body(body, &child(pointer, "requestBody"))?;
        }
        match map.get_mut("responses") {
            Some(Value::Object(responses)) => {
                let base = child(pointer, "responses");
                for (status, response) in responses.iter_mut() {
                    self.response(response, &child(&base, status))?;
                }
            }
            Some(_) => {
                return Err(self.error(
                    &child(pointer, "responses"),
                    "`responses` must be a mapping",
                ));
            }
            // 3.1 made `responses` optional; 3.0 requires it, and an empty one says the same.
            None => {
                map.insert("responses".into(), json!({}));
            }
        }
        Ok(())
    }

    fn parameter_list(&mut self, list: &mut Value, pointer: &str) -> Result<(), SpecError> {
        let Value::Array(items) = list else {
            return Err(self.error(pointer, "`parameters` must be a list"));
        };
        for (index, item) in items.iter_mut().enumerate() {
            self.parameter(item, &child(pointer, &index.to_string()))?;
        }
        Ok(())
    }

    fn parameter(&mut self, parameter: &mut Value, pointer: &str) -> Result<(), SpecError> {
        let Value::Object(map) = parameter else {
            return Err(self.error(pointer, "a parameter must be a mapping"));
        };
        if map.contains_key("$ref") {
            return Ok(());
        }
        self.content_as_schema(map, pointer)?;
        examples_list_to_example(map);
        if let Some(schema) = map.get_mut("schema") {
            self.schema(schema, &child(pointer, "schema"))?;
        }
        Ok(())
    }

    fn header(&mut self, header: &mut Value, pointer: &str) -> Result<(), SpecError> {
        let Value::Object(map) = header else {
            return Err(self.error(pointer, "a header must be a mapping"));
        };
        if map.contains_key("$ref") {
            return Ok(());
        }
        self.content_as_schema(map, pointer)?;
        examples_list_to_example(map);
        if let Some(schema) = map.get_mut("schema") {
            self.schema(schema, &child(pointer, "schema"))?;
        }
        Ok(())
    }

    /// A parameter described by `content` (a serialised JSON value, say) is read as its plain
    /// schema: progenitor only knows `schema`.
    fn content_as_schema(
        &mut self,
        map: &mut Map<String, Value>,
        pointer: &str,
    ) -> Result<(), SpecError> {
        if map.contains_key("schema") {
            map.remove("content");
            return Ok(());
        }
        let Some(content) = map.remove("content") else {
            map.insert("schema".into(), json!({}));
            return Ok(());
        };
        let schema = content
            .as_object()
            .and_then(|media| media.values().next())
            .and_then(|media| media.get("schema"))
            .cloned()
            .unwrap_or_else(|| json!({}));
        self.note(
            &child(pointer, "content"),
            "`content` replaced by its schema: the value is sent as a plain string, not serialised per media type",
        );
        map.insert("schema".into(), schema);
        Ok(())
    }

    fn request_body(&mut self, body: &mut Value, pointer: &str) -> Result<(), SpecError> {
        let Value::Object(map) = body else {
            return Err(self.error(pointer, "a request body must be a mapping"));
        };
        if map.contains_key("$ref") {
            return Ok(());
        }
        self.content(map, pointer)
    }

    fn response(&mut self, response: &mut Value, pointer: &str) -> Result<(), SpecError> {
        let Value::Object(map) = response else {
            return Err(self.error(pointer, "a response must be a mapping"));
        };
        if map.contains_key("$ref") {
            return Ok(());
        }
        if !map.contains_key("description") {
            map.insert("description".into(), json!(""));
        }
        if let Some(Value::Object(headers)) = map.get_mut("headers") {
            let base = child(pointer, "headers");
            for (name, header) in headers.iter_mut() {
                self.header(header, &child(&base, name))?;
            }
        }
        self.content(map, pointer)
    }

    fn content(&mut self, map: &mut Map<String, Value>, pointer: &str) -> Result<(), SpecError> {
        let Some(content) = map.get_mut("content") else {
            return Ok(());
        };
        let base = child(pointer, "content");
        let Value::Object(media_types) = content else {
            return Err(self.error(&base, "`content` must be a mapping of media types"));
        };
        for (media_type, media) in media_types.iter_mut() {
            let here = child(&base, media_type);
            let Value::Object(media) = media else {
                return Err(self.error(&here, "a media type object must be a mapping"));
            };
            examples_list_to_example(media);
            if let Some(schema) = media.get_mut("schema") {
                self.schema(schema, &child(&here, "schema"))?;
            }
        }
        Ok(())
    }

    fn schema(&mut self, schema: &mut Value, pointer: &str) -> Result<(), SpecError> {
        match schema {
            Value::Bool(true) => {
                *schema = json!({});
                return Ok(());
            }
            Value::Bool(false) => {
                *schema = json!({"not": {}});
                return Ok(());
            }
            Value::Object(_) => {}
            _ => {
                *schema = json!({});
                self.notes.push(Note::untyped(
                    pointer,
                    "a schema must be a mapping or a boolean",
                ));
                return Ok(());
            }
        }
        let Value::Object(map) = schema else {
            return Ok(());
        };

        if map.contains_key("$ref") {
            self.reference_siblings(map);
            if map.len() == 1 {
                return Ok(());
            }
        }
        if let Some(value) = map.remove("const")
            && !map.contains_key("enum")
        {
            map.insert("enum".into(), Value::Array(vec![value]));
        }
        // typify rejects a default on a one-value enum (pydantic's `Literal["x"] = "x"`);
        // for the Rust types the default says nothing the enum does not. Its meaning stays:
        // the enum may grow, and the default with it is no change (drift compares it).
        if self.for_rust
            && let (Some(Value::Array(values)), Some(default)) =
                (map.get("enum"), map.get("default"))
            && values.len() == 1
            && values[0] == *default
        {
            map.remove("default");
        }
        if let Some(Value::Array(examples)) = map.remove("examples")
            && !map.contains_key("example")
            && let Some(first) = examples.into_iter().next()
        {
            map.insert("example".into(), first);
        }
        self.required_list(map, pointer);
        untyped_enum_types(map);
        self.type_keyword(map, pointer)?;
        if self.for_rust {
            self.unnameable_enum(map, pointer);
        }
        // A lifted branch may bring a union with a null branch of its own
        // (`anyOf: [anyOf: [X, null], null]`): fold until none is left, else typify names
        // the nullable wrapper and the union inside it alike.
        for _ in 0..4 {
            let before = (map.get("anyOf").cloned(), map.get("oneOf").cloned());
            self.fold_null_branches(map, "anyOf");
            self.fold_null_branches(map, "oneOf");
            if (map.get("anyOf").cloned(), map.get("oneOf").cloned()) == before {
                break;
            }
        }
        // A lifted branch brings its own, not yet normalised, `type`.
        self.type_keyword(map, pointer)?;
        self.any_of_beside_one_of(map, pointer);
        self.union_siblings(map, pointer);
        // `enum: [a, b, null]` on a nullable schema: the null is what `nullable` says, and
        // left in the values typify names an `Option` wrapper and its enum alike.
        if map.get("nullable") == Some(&json!(true))
            && let Some(Value::Array(values)) = map.get_mut("enum")
            && values.iter().any(|value| !value.is_null())
        {
            values.retain(|value| !value.is_null());
        }
        self.pattern(map, pointer);
        if matches!(map.get("default"), Some(Value::Number(number)) if number.as_f64() == Some(0.0))
            && map.get("type").and_then(Value::as_str) == Some("integer")
        {
            // `-0` reads as a negative zero that typify's integer check cannot place.
            map.insert("default".into(), json!(0));
        }
        if self.for_rust {
            self.invalid_default(map, pointer);
        }
        // typify checks a default against the type it builds and cannot for unions
        // ("value does not conform"); an absent value means the same to the server.
        let is_union = ["anyOf", "oneOf"].iter().any(|k| map.contains_key(*k))
            || matches!(map.get("allOf"), Some(Value::Array(all_of)) if all_of.len() > 1);
        if is_union && self.for_rust && map.remove("default").is_some() {
            self.note(
                &child(pointer, "default"),
                "default of a union type dropped; the server applies it when the field is omitted",
            );
        }
        exclusive_bound(map, "exclusiveMinimum", "minimum", f64::max);
        exclusive_bound(map, "exclusiveMaximum", "maximum", f64::min);
        content_keywords(map);
        self.tuples(map, pointer);
        for keyword in SILENT_DROPS {
            map.remove(keyword);
        }
        for keyword in LOSSY_DROPS {
            if map.remove(keyword).is_some() {
                self.note(
                    &child(pointer, keyword),
                    format!("`{keyword}` has no OpenAPI 3.0 equivalent; not validated"),
                );
            }
        }
        if map.get("type").and_then(Value::as_str) == Some("integer") {
            integer_bounds(map);
        }
        if map.get("type").and_then(Value::as_str) == Some("array") && !map.contains_key("items") {
            map.insert("items".into(), json!({}));
        }

        self.subschemas(map, pointer)
    }

    /// Normalises every schema nested in `map`, dropping a composition keyword or
    /// `properties` that is not of the shape a schema can hold.
    fn subschemas(&mut self, map: &mut Map<String, Value>, pointer: &str) -> Result<(), SpecError> {
        if map
            .get("properties")
            .is_some_and(|properties| !properties.is_object())
        {
            map.remove("properties");
            self.note(
                &child(pointer, "properties"),
                "`properties` must map names to schemas; dropped",
            );
        }
        if let Some(Value::Object(properties)) = map.get_mut("properties") {
            let base = child(pointer, "properties");
            for (name, property) in properties.iter_mut() {
                self.schema(property, &child(&base, name))?;
            }
        }
        for keyword in ["items", "not"] {
            if let Some(sub) = map.get_mut(keyword) {
                self.schema(sub, &child(pointer, keyword))?;
            }
        }
        if let Some(sub) = map.get_mut("additionalProperties")
            && sub.is_object()
        {
            self.schema(sub, &child(pointer, "additionalProperties"))?;
        }
        for keyword in ["allOf", "anyOf", "oneOf"] {
            match map.get_mut(keyword) {
                Some(Value::Array(branches)) => {
                    let base = child(pointer, keyword);
                    for (index, branch) in branches.iter_mut().enumerate() {
                        self.schema(branch, &child(&base, &index.to_string()))?;
                    }
                }
                Some(_) => {
                    map.remove(keyword);
                    self.note(
                        &child(pointer, keyword),
                        format!("`{keyword}` must be a list of schemas; dropped"),
                    );
                }
                None => {}
            }
        }
        Ok(())
    }

    /// `required` lists property names; `required: true` on a property is Swagger 2's
    /// spelling and says nothing here.
    fn required_list(&mut self, map: &mut Map<String, Value>, pointer: &str) {
        match map.get_mut("required") {
            None => {}
            Some(Value::Array(names)) => {
                let before = names.len();
                names.retain(Value::is_string);
                if names.len() != before {
                    self.note(
                        &child(pointer, "required"),
                        "`required` entries that are not property names dropped",
                    );
                }
            }
            Some(_) => {
                map.remove("required");
                self.note(
                    &child(pointer, "required"),
                    "`required` must list property names (it is not a flag on the property); dropped",
                );
            }
        }
    }

    /// `minLength`, `minimum`, `uniqueItems`… beside a union without `type` constrain only
    /// the values of their type, but typify takes them as fixing the union's type (an
    /// `anyOf` of an object and a list with `uniqueItems` became a list). They move into
    /// the inline branches of their type; a reference branch cannot take them, so there the
    /// client leaves them to the server. Object keywords stay: `properties` beside `oneOf`
    /// is a base that typify merges into each branch.
    fn union_siblings(&mut self, map: &mut Map<String, Value>, pointer: &str) {
        if map.contains_key("type") {
            return;
        }
        let Some(keyword) = ["oneOf", "anyOf"]
            .into_iter()
            .find(|key| map.contains_key(*key))
        else {
            return;
        };
        for (family, keywords) in TYPE_SPECIFIC
            .iter()
            .filter(|(family, _)| *family != "object")
        {
            let moved: Vec<(String, Value)> = keywords
                .iter()
                .filter_map(|key| Some(((*key).to_owned(), map.remove(*key)?)))
                .collect();
            if moved.is_empty() {
                continue;
            }
            let mut homeless = false;
            if let Some(Value::Array(branches)) = map.get_mut(keyword) {
                for branch in branches.iter_mut() {
                    let Value::Object(branch) = branch else {
                        continue;
                    };
                    if branch.contains_key("$ref") {
                        homeless = true;
                        continue;
                    }
                    let kind = branch.get("type").and_then(Value::as_str);
                    let fits = match *family {
                        "number" => matches!(kind, Some("number" | "integer")),
                        other => kind == Some(other),
                    };
                    if fits {
                        for (key, value) in &moved {
                            branch.entry(key.clone()).or_insert_with(|| value.clone());
                        }
                    }
                }
            }
            if homeless {
                let keys: Vec<&str> = moved.iter().map(|(key, _)| key.as_str()).collect();
                self.note(
                    pointer,
                    format!(
                        "{} beside a union applies to its {family} branches; reference branches are checked by the server only",
                        keys.join(", ")
                    ),
                );
            }
        }
    }

    /// typify asserts on a schema with both `anyOf` and `oneOf`; `oneOf` is the stricter
    /// and usually the discriminated one, so it stays and `anyOf` is left to the server.
    fn any_of_beside_one_of(&mut self, map: &mut Map<String, Value>, pointer: &str) {
        if map.contains_key("oneOf") && map.remove("anyOf").is_some() {
            self.note(
                &child(pointer, "anyOf"),
                "`anyOf` beside `oneOf` cannot be typed; the client keeps the `oneOf`",
            );
        }
    }

    /// Patterns are ECMAScript in OpenAPI and the generated client checks them with
    /// `regress`; many specs are written in Python's dialect. Translate what has an
    /// equivalent, drop (with a note) what still does not compile.
    fn pattern(&mut self, map: &mut Map<String, Value>, pointer: &str) {
        let Some(Value::String(pattern)) = map.get("pattern") else {
            if map.contains_key("pattern") {
                map.remove("pattern");
                self.note(
                    &child(pointer, "pattern"),
                    "`pattern` must be a string; dropped",
                );
            }
            return;
        };
        let translated = crate::regex::to_ecmascript(pattern);
        if regress::Regex::new(&translated).is_ok() {
            if translated != *pattern {
                map.insert("pattern".into(), Value::String(translated));
            }
        } else {
            map.remove("pattern");
            self.note(
                &child(pointer, "pattern"),
                "pattern is not an ECMAScript regular expression; the client does not check it",
            );
        }
    }

    /// 3.1 allows keywords beside `$ref`; 3.0 ignores them. Annotations are dropped, anything
    /// that constrains or changes the type (`nullable`, `default`, ...) moves onto an `allOf`
    /// wrapper so that it keeps its effect.
    fn reference_siblings(&mut self, map: &mut Map<String, Value>) {
        for annotation in ANNOTATIONS {
            map.remove(annotation);
        }
        if map.len() == 1 {
            return;
        }
        let Some(reference) = map.remove("$ref") else {
            return;
        };
        let mut wrapped = vec![json!({ "$ref": reference })];
        if let Some(Value::Array(existing)) = map.remove("allOf") {
            wrapped.extend(existing);
        }
        map.insert("allOf".into(), Value::Array(wrapped));
    }

    /// `type: [string, "null"]` becomes `type: string, nullable: true`; several non-null
    /// types become an `anyOf` with the keywords that apply to each.
    fn type_keyword(
        &mut self,
        map: &mut Map<String, Value>,
        pointer: &str,
    ) -> Result<(), SpecError> {
        let Some(kind) = map.get("type").cloned() else {
            return Ok(());
        };
        let here = child(pointer, "type");
        let written: Vec<Value> = match kind {
            Value::Array(kinds) => kinds,
            other => vec![other],
        };
        let mut kinds = Vec::new();
        for kind in written {
            match kind.as_str().map(known_type) {
                Some(Some(known)) => {
                    if kind.as_str() != Some(known) {
                        self.note(&here, format!("type {kind} read as `{known}`"));
                    }
                    kinds.push(known.to_owned());
                }
                _ => self.note(
                    &here,
                    format!(
                        "unknown type {kind} (expected one of {}); not constrained",
                        SCHEMA_TYPES.join(", ")
                    ),
                ),
            }
        }
        if kinds.is_empty() {
            map.remove("type");
            return Ok(());
        }
        let nullable = kinds.iter().any(|kind| kind == "null");
        let mut concrete: Vec<String> = kinds.into_iter().filter(|kind| kind != "null").collect();
        concrete.dedup();
        map.remove("type");
        if nullable {
            map.insert("nullable".into(), json!(true));
        }
        match concrete.len() {
            0 => {
                map.insert("enum".into(), json!([null]));
            }
            1 => {
                map.insert("type".into(), Value::String(concrete.remove(0)));
            }
            _ => {
                let branches: Vec<Value> = concrete
                    .iter()
                    .map(|kind| Value::Object(split_for_type(map, kind)))
                    .collect();
                for keyword in TYPE_SPECIFIC.iter().flat_map(|(_, keywords)| *keywords) {
                    map.remove(*keyword);
                }
                map.remove("enum");
                map.remove("format");
                let union = Value::Array(branches);
                match map.remove("anyOf") {
                    Some(existing) => {
                        let mut all_of = match map.remove("allOf") {
                            Some(Value::Array(all_of)) => all_of,
                            _ => Vec::new(),
                        };
                        all_of.push(json!({ "anyOf": union }));
                        all_of.push(json!({ "anyOf": existing }));
                        map.insert("allOf".into(), Value::Array(all_of));
                    }
                    None => {
                        map.insert("anyOf".into(), union);
                    }
                }
            }
        }
        Ok(())
    }

    /// `anyOf: [X, {type: "null"}]` is how pydantic spells `Optional[X]`: the null branch
    /// becomes `nullable: true`, and a lone remaining branch is lifted into the schema so
    /// that typify sees `Option<X>` rather than a one-variant enum.
    fn fold_null_branches(&mut self, map: &mut Map<String, Value>, keyword: &str) {
        let Some(Value::Array(branches)) = map.get(keyword) else {
            return;
        };
        if !branches.iter().any(is_null_schema) {
            return;
        }
        let mut rest: Vec<Value> = branches
            .iter()
            .filter(|branch| !is_null_schema(branch))
            .cloned()
            .collect();
        map.remove(keyword);
        map.insert("nullable".into(), json!(true));
        match rest.len() {
            0 => {
                map.insert("enum".into(), json!([null]));
            }
            1 => match rest.remove(0) {
                // A reference, with or without siblings: lifting it would put the siblings
                // (and so `nullable`) beside a `$ref`, where 3.0 ignores them.
                Value::Object(branch) if branch.contains_key("$ref") => {
                    let mut all_of = vec![Value::Object(branch)];
                    if let Some(Value::Array(existing)) = map.remove("allOf") {
                        all_of.extend(existing);
                    }
                    map.insert("allOf".into(), Value::Array(all_of));
                }
                Value::Object(branch) if lift_is_safe(map, &branch) => {
                    for (key, value) in branch {
                        if key == "nullable" {
                            continue;
                        }
                        map.entry(key).or_insert(value);
                    }
                }
                other => {
                    map.insert(keyword.into(), Value::Array(vec![other]));
                }
            },
            _ => {
                map.insert(keyword.into(), Value::Array(rest));
            }
        }
    }

    /// A default that does not fit its own schema (the OpenAI spec has `type: string,
    /// default: []`) makes typify refuse the whole spec; it goes, with a note.
    fn invalid_default(&mut self, map: &mut Map<String, Value>, pointer: &str) {
        let Some(default) = map.get("default") else {
            return;
        };
        let nullable = map.get("nullable") == Some(&json!(true));
        let fits_type = match (default, map.get("type").and_then(Value::as_str)) {
            (Value::Null, _) => nullable,
            (_, None) => true,
            (value, Some(kind)) => value_has_type(value, kind),
        };
        let fits_enum = match map.get("enum") {
            Some(Value::Array(values)) => {
                values.contains(default) || (default.is_null() && nullable)
            }
            _ => true,
        };
        // typify writes a default of a formatted string as `from_str("…").unwrap()` into the
        // generated code: one that does not parse as its format would panic at run time.
        let fits_format = match (default, map.get("format").and_then(Value::as_str)) {
            (Value::String(text), Some(format)) => parses_as_format(text, format),
            _ => true,
        };
        if !(fits_type && fits_enum && fits_format) {
            // `default: null` on a field that is not nullable is how pydantic spells
            // "optional": it says nothing a client needs, so it goes without a note.
            let was_null = default.is_null();
            map.remove("default");
            if !was_null {
                self.note(
                    &child(pointer, "default"),
                    "default does not match its own schema; dropped",
                );
            }
        }
    }

    /// typify names one variant per string value; values that name alike (`.` and `X`,
    /// `a-b` and `a_b`) would collide, so such an enum is read as a plain string.
    fn unnameable_enum(&mut self, map: &mut Map<String, Value>, pointer: &str) {
        let Some(Value::Array(values)) = map.get("enum") else {
            return;
        };
        let mut names = std::collections::HashSet::new();
        let collides = values
            .iter()
            .filter_map(Value::as_str)
            .any(|value| !names.insert(crate::names::sanitize_pascal(value)));
        if collides {
            map.remove("enum");
            self.note(
                &child(pointer, "enum"),
                "enum values that differ only in punctuation cannot all be Rust variants; read as a plain string",
            );
        }
    }

    /// `prefixItems` (and the draft-4 list form of `items`) describe tuples, which 3.0
    /// cannot: the items become the union of the positions, the length stays bounded.
    fn tuples(&mut self, map: &mut Map<String, Value>, pointer: &str) {
        let positions = match (map.remove("prefixItems"), map.get("items")) {
            (Some(Value::Array(positions)), _) => positions,
            (_, Some(Value::Array(_))) => match map.remove("items") {
                Some(Value::Array(positions)) => positions,
                _ => return,
            },
            (Some(_), _) | (None, _) => return,
        };
        let closed = matches!(map.get("items"), Some(Value::Bool(false)))
            || (!map.contains_key("items")
                && matches!(map.get("additionalItems"), Some(Value::Bool(false))));
        map.remove("additionalItems");
        let count = positions.len();
        let mut distinct: Vec<Value> = Vec::new();
        for position in positions {
            if !distinct.contains(&position) {
                distinct.push(position);
            }
        }
        if let Some(rest) = map.remove("items")
            && !matches!(rest, Value::Bool(_))
            && !distinct.contains(&rest)
        {
            distinct.push(rest);
        }
        let items = match distinct.len() {
            0 => json!({}),
            1 => distinct.remove(0),
            _ => json!({ "anyOf": distinct }),
        };
        map.insert("items".into(), items);
        map.entry("type").or_insert(json!("array"));
        map.entry("minItems").or_insert(json!(count));
        if closed {
            map.entry("maxItems").or_insert(json!(count));
        }
        self.note(
            &child(pointer, "prefixItems"),
            format!("tuple of {count} positions read as a list of their union"),
        );
    }
}

/// Whether `text` parses as the Rust type typify maps `format` to, with the parser the
/// generated code calls (formats it leaves as `String` always do).
fn parses_as_format(text: &str, format: &str) -> bool {
    match format {
        "date" => text.parse::<chrono::NaiveDate>().is_ok(),
        "date-time" => text.parse::<chrono::DateTime<chrono::Utc>>().is_ok(),
        "uuid" => text.parse::<uuid::Uuid>().is_ok(),
        "ipv4" => text.parse::<std::net::Ipv4Addr>().is_ok(),
        "ipv6" => text.parse::<std::net::Ipv6Addr>().is_ok(),
        "ip" => text.parse::<std::net::IpAddr>().is_ok(),
        _ => true,
    }
}

/// The JSON Schema type a written `type` means: itself, or the spelling of another
/// language's type system that generators emit (Python's `int`, `dict`, …).
fn known_type(kind: &str) -> Option<&'static str> {
    if let Some(known) = SCHEMA_TYPES.iter().find(|known| **known == kind) {
        return Some(known);
    }
    Some(match kind.to_ascii_lowercase().as_str() {
        "int" | "int32" | "int64" | "long" => "integer",
        "float" | "double" | "decimal" => "number",
        "str" | "text" => "string",
        "bool" => "boolean",
        "dict" | "map" => "object",
        "list" => "array",
        "none" => "null",
        other => return SCHEMA_TYPES.iter().copied().find(|known| *known == other),
    })
}

/// An `enum` without `type` whose values are of several JSON types: typify cannot imply
/// one type, so the types are written out (and split into branches by `type_keyword`).
fn untyped_enum_types(map: &mut Map<String, Value>) {
    if map.contains_key("type") {
        return;
    }
    let Some(Value::Array(values)) = map.get("enum") else {
        return;
    };
    let mut kinds: Vec<&str> = Vec::new();
    for value in values {
        let kind = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.iter().filter(|kind| **kind != "null").count() > 1 {
        map.insert("type".into(), json!(kinds));
    }
}

const TYPE_SPECIFIC: [(&str, &[&str]); 4] = [
    ("string", &["minLength", "maxLength", "pattern"]),
    (
        "number",
        &[
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
        ],
    ),
    (
        "array",
        &[
            "items",
            "prefixItems",
            "minItems",
            "maxItems",
            "uniqueItems",
        ],
    ),
    (
        "object",
        &[
            "properties",
            "required",
            "additionalProperties",
            "minProperties",
            "maxProperties",
        ],
    ),
];

/// The part of a multi-type schema that applies to one of its types.
fn split_for_type(map: &Map<String, Value>, kind: &str) -> Map<String, Value> {
    let family = if kind == "integer" { "number" } else { kind };
    let mut branch = Map::new();
    branch.insert("type".into(), json!(kind));
    if let Some((_, keywords)) = TYPE_SPECIFIC.iter().find(|(name, _)| *name == family) {
        for keyword in *keywords {
            if let Some(value) = map.get(*keyword) {
                branch.insert((*keyword).into(), value.clone());
            }
        }
    }
    if let Some(format) = map.get("format")
        && matches!(kind, "string" | "number" | "integer")
    {
        branch.insert("format".into(), format.clone());
    }
    if let Some(Value::Array(values)) = map.get("enum") {
        let values: Vec<Value> = values
            .iter()
            .filter(|value| value_has_type(value, kind))
            .cloned()
            .collect();
        if !values.is_empty() {
            branch.insert("enum".into(), Value::Array(values));
        }
    }
    branch
}

fn value_has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => value.is_null(),
    }
}

fn is_null_schema(schema: &Value) -> bool {
    let Value::Object(map) = schema else {
        return false;
    };
    let says_null = match map.get("type") {
        Some(Value::String(kind)) => kind == "null",
        Some(Value::Array(kinds)) => kinds.len() == 1 && kinds[0] == "null",
        None => map.get("enum") == Some(&json!([null])) || map.get("const") == Some(&Value::Null),
        _ => false,
    };
    says_null
        && map.keys().all(|key| {
            matches!(key.as_str(), "type" | "enum" | "const" | "nullable")
                || ANNOTATIONS.contains(&key.as_str())
        })
}

/// A branch can be lifted into its parent when the two do not both constrain the same thing.
fn lift_is_safe(parent: &Map<String, Value>, branch: &Map<String, Value>) -> bool {
    branch.keys().all(|key| {
        ANNOTATIONS.contains(&key.as_str())
            || key == "default"
            || key == "nullable"
            || !parent.contains_key(key)
    })
}

/// JSON Schema 2020-12 writes `exclusiveMinimum: 5`; 3.0 writes `minimum: 5,
/// exclusiveMinimum: true`.
fn exclusive_bound(
    map: &mut Map<String, Value>,
    exclusive: &str,
    inclusive: &str,
    stricter: fn(f64, f64) -> f64,
) {
    let Some(bound) = map.get(exclusive).and_then(Value::as_f64) else {
        return;
    };
    let bound_value = map.remove(exclusive).unwrap_or(Value::Null);
    let exclusive_is_stricter = map
        .get(inclusive)
        .and_then(Value::as_f64)
        .is_none_or(|existing| stricter(existing, bound) == bound);
    if exclusive_is_stricter {
        map.insert(inclusive.into(), bound_value);
        map.insert(exclusive.into(), json!(true));
    }
}

/// `contentEncoding`/`contentMediaType` describe encoded strings; 3.0 says the same with
/// `format: byte` (base64) and `format: binary` (raw octets, e.g. an uploaded file).
fn content_keywords(map: &mut Map<String, Value>) {
    let encoding = map.remove("contentEncoding");
    let media_type = map.remove("contentMediaType");
    if map.contains_key("format") {
        return;
    }
    if encoding.as_ref().and_then(Value::as_str) == Some("base64") {
        map.insert("format".into(), json!("byte"));
    } else if let Some(Value::String(media_type)) = media_type
        && !media_type.starts_with("text/")
        && !media_type.contains("json")
    {
        map.insert("format".into(), json!("binary"));
    }
}

/// openapiv3 reads integer bounds as i64: clamp those beyond it (the OpenAI spec writes
/// ±9223372036854776000) and round fractional ones inwards.
fn integer_bounds(map: &mut Map<String, Value>) {
    for (keyword, round) in [
        ("minimum", f64::ceil as fn(f64) -> f64),
        ("maximum", f64::floor),
    ] {
        let Some(value) = map.get(keyword) else {
            continue;
        };
        if value.is_i64() {
            continue;
        }
        let Some(float) = value.as_f64() else {
            map.remove(keyword);
            continue;
        };
        let clamped = if float >= i64::MAX as f64 {
            i64::MAX
        } else if float <= i64::MIN as f64 {
            i64::MIN
        } else {
            round(float) as i64
        };
        map.insert(keyword.into(), json!(clamped));
    }
    if let Some(multiple) = map.get("multipleOf")
        && !multiple.is_i64()
    {
        match multiple.as_f64() {
            Some(float) if float.fract() == 0.0 && float >= 1.0 && float < i64::MAX as f64 => {
                map.insert("multipleOf".into(), json!(float as i64));
            }
            _ => {
                map.remove("multipleOf");
            }
        }
    }
}

/// In parameters and media types `examples` is a map of Example objects; some generators
/// write a JSON Schema style list there instead.
fn examples_list_to_example(map: &mut Map<String, Value>) {
    if matches!(map.get("examples"), Some(Value::Array(_)))
        && let Some(Value::Array(examples)) = map.remove("examples")
        && !map.contains_key("example")
        && let Some(first) = examples.into_iter().next()
    {
        map.insert("example".into(), first);
    }
}

#[cfg(test)]
mod tests;
