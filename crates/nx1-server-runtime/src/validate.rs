//! Request validation with pydantic v2's semantics and words, against the spec's own
//! (OpenAPI 3.1 / JSON Schema 2020-12) schemas, so that a generated server answers bad
//! input exactly as the FastAPI original does.
//!
//! Validation collects every error (FastAPI reports them all at once) and returns the
//! input coerced the way pydantic's lax mode coerces it (`"5"` → `5` for an integer from a
//! query string), ready for serde to turn into the generated types.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// One segment of an error location: a field name or a list index. Names the spec gives
/// (`query`, a parameter's name) are borrowed: most 422s are about a parameter, and each
/// error copies its location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LocItem {
    Key(Cow<'static, str>),
    Index(usize),
}

impl From<&'static str> for LocItem {
    fn from(key: &'static str) -> Self {
        LocItem::Key(Cow::Borrowed(key))
    }
}

impl From<String> for LocItem {
    fn from(key: String) -> Self {
        LocItem::Key(Cow::Owned(key))
    }
}

impl From<usize> for LocItem {
    fn from(index: usize) -> Self {
        LocItem::Index(index)
    }
}

/// One entry of FastAPI's `{"detail": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationError {
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    pub loc: Vec<LocItem>,
    pub msg: String,
    pub input: Value,
    /// pydantic's `ctx`, in its order; absent when empty. Its keys are pydantic's own
    /// words, so a list of pairs does what a map would without hashing each key.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "pairs")]
    pub ctx: Vec<(&'static str, Value)>,
}

fn pairs<S: serde::Serializer>(
    pairs: &[(&'static str, Value)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(key, value)| (key, value)))
}

impl ValidationError {
    pub fn new(kind: &'static str, loc: &[LocItem], msg: impl Into<String>, input: Value) -> Self {
        ValidationError {
            kind: Cow::Borrowed(kind),
            loc: loc.to_vec(),
            msg: msg.into(),
            input,
            ctx: Vec::new(),
        }
    }

    fn with_ctx<const N: usize>(mut self, ctx: [(&'static str, Value); N]) -> Self {
        self.ctx = ctx.into();
        self
    }

    /// `{"type": "missing", "msg": "Field required"}`.
    pub fn missing(loc: &[LocItem], input: Value) -> Self {
        ValidationError::new("missing", loc, "Field required", input)
    }
}

/// Where a value comes from decides how strings are read: query, path and header values
/// are always text and are parsed into numbers and booleans; JSON bodies carry types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Text,
    Json,
}

/// The spec the schemas are read from (for `$ref`), with compiled patterns cached.
pub struct SchemaSet {
    root: Value,
    patterns: Mutex<HashMap<String, Option<Arc<regex::Regex>>>>,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaSet").finish_non_exhaustive()
    }
}

impl SchemaSet {
    pub fn new(root: Value) -> Self {
        SchemaSet {
            root,
            patterns: Mutex::new(HashMap::new()),
        }
    }

    /// The value at a JSON pointer of the spec.
    pub fn at(&self, pointer: &str) -> Option<&Value> {
        self.root.pointer(pointer)
    }

    /// The value at `pointer` read from `base`: an absolute pointer (`/components/…`) as
    /// it is, a relative JSON pointer (`0/parameters/0/schema`, `1/parameters/0/schema`)
    /// after going up as many levels from `base` as its leading number says.
    pub fn at_from(&self, base: &str, pointer: &str) -> Option<&Value> {
        if pointer.is_empty() || pointer.starts_with('/') {
            return self.at(pointer);
        }
        let digits = pointer.bytes().take_while(u8::is_ascii_digit).count();
        let (up, rest) = pointer.split_at(digits);
        let mut start = base;
        for _ in 0..up.parse::<usize>().ok()? {
            start = &start[..start.rfind('/')?];
        }
        self.root.pointer(start)?.pointer(rest)
    }

    /// Follows `$ref`s within the spec; a dangling one resolves to `null`.
    pub(crate) fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut current = schema;
        for _ in 0..32 {
            let reference = current.as_object().and_then(|map| keyword(map, "$ref"));
            match reference.and_then(Value::as_str) {
                Some(reference) => match reference
                    .strip_prefix('#')
                    .and_then(|pointer| self.root.pointer(pointer))
                {
                    Some(target) => current = target,
                    None => return &Value::Null,
                },
                None => return current,
            }
        }
        current
    }

    fn pattern(&self, pattern: &str) -> Option<Arc<regex::Regex>> {
        let mut cache = self.patterns.lock().unwrap_or_else(|err| err.into_inner());
        cache
            .entry(pattern.to_owned())
            .or_insert_with(|| regex::Regex::new(pattern).ok().map(Arc::new))
            .clone()
    }

    /// Validates `input` against `schema`, appending errors located under `loc`, and
    /// returns the coerced value.
    pub fn validate(
        &self,
        schema: &Value,
        input: &Value,
        source: Source,
        loc: &mut Vec<LocItem>,
        errors: &mut Vec<ValidationError>,
    ) -> Value {
        Validation {
            set: self,
            source,
            errors,
        }
        .value(schema, input, loc)
    }
}

/// `map[key]`. A schema holds a handful of keywords, and the interpreter asks for dozens
/// that are absent: comparing a few short keys costs less than hashing each one
/// (serde_json's maps hash with SipHash), which was a quarter of a 422's validation.
fn keyword<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if map.len() > 12 {
        return map.get(key);
    }
    map.iter()
        .find(|(name, _)| name.as_str() == key)
        .map(|(_, value)| value)
}

struct Validation<'a> {
    set: &'a SchemaSet,
    source: Source,
    errors: &'a mut Vec<ValidationError>,
}

impl Validation<'_> {
    fn fail(&mut self, error: ValidationError) -> Value {
        self.errors.push(error);
        Value::Null
    }

    fn value(&mut self, schema: &Value, input: &Value, loc: &mut Vec<LocItem>) -> Value {
        let schema = self.set.resolve(schema);
        let Value::Object(map) = schema else {
            // `true`, `{}` and unresolvable references accept anything.
            return input.clone();
        };

        if let Some(branches) = keyword(map, "anyOf")
            .or_else(|| keyword(map, "oneOf"))
            .and_then(Value::as_array)
        {
            return self.union(map, branches, input, loc);
        }
        if let Some(Value::Array(all_of)) = keyword(map, "allOf") {
            let mut result = input.clone();
            for branch in all_of {
                result = self.value(branch, &result, loc);
            }
            return self.constraints(map, result, loc);
        }

        let types = schema_types(map);
        if input.is_null()
            && (types.contains(&"null") || keyword(map, "nullable") == Some(&json!(true)))
        {
            return Value::Null;
        }
        if let Some(Value::Array(values)) = keyword(map, "enum") {
            return self.enumeration(values, input, loc);
        }
        if let Some(value) = keyword(map, "const") {
            return self.enumeration(std::slice::from_ref(value), input, loc);
        }
        let concrete: Vec<&str> = types.iter().copied().filter(|t| *t != "null").collect();
        match concrete.as_slice() {
            [] => input.clone(),
            [kind] => self.typed(kind, map, input, loc),
            several => {
                // `type: [string, integer]`: the first that accepts the input wins.
                let mut attempt = Vec::new();
                let mut accepted = None;
                for kind in several {
                    let before = self.errors.len();
                    let value = self.typed(kind, map, input, loc);
                    if self.errors.len() == before {
                        accepted = Some(value);
                        break;
                    }
                    attempt.extend(self.errors.drain(before..));
                }
                match accepted {
                    Some(value) => value,
                    None => {
                        self.errors.extend(attempt);
                        Value::Null
                    }
                }
            }
        }
    }

    fn typed(
        &mut self,
        kind: &str,
        map: &Map<String, Value>,
        input: &Value,
        loc: &mut Vec<LocItem>,
    ) -> Value {
        let value = match kind {
            "string" => self.string(map, input, loc),
            "integer" => self.integer(input, loc),
            "number" => self.number(input, loc),
            "boolean" => self.boolean(input, loc),
            "array" => return self.array(map, input, loc),
            "object" => return self.object(map, input, loc),
            _ => Some(input.clone()),
        };
        match value {
            Some(value) => self.constraints(map, value, loc),
            None => Value::Null,
        }
    }

    fn union(
        &mut self,
        map: &Map<String, Value>,
        branches: &[Value],
        input: &Value,
        loc: &mut Vec<LocItem>,
    ) -> Value {
        let (nulls, others): (Vec<&Value>, Vec<&Value>) = branches
            .iter()
            .partition(|branch| is_null_schema(self.set.resolve(branch)));
        let nullable = !nulls.is_empty() || keyword(map, "nullable") == Some(&json!(true));
        if input.is_null() && nullable {
            return Value::Null;
        }
        // pydantic's `Optional[X]` reports X's errors as they are, without a union tag.
        if let [only] = others.as_slice() {
            return self.value(only, input, loc);
        }
        // Smart mode: the first branch that validates wins; otherwise every branch's errors,
        // each under a tag naming the branch.
        let mut collected = Vec::new();
        for branch in &others {
            let before = self.errors.len();
            let value = self.value(branch, input, loc);
            if self.errors.len() == before {
                return value;
            }
            let tag = union_tag(branch, self.set.resolve(branch));
            for mut error in self.errors.drain(before..) {
                error
                    .loc
                    .insert(loc.len().min(error.loc.len()), LocItem::from(tag.clone()));
                collected.push(error);
            }
        }
        if others.is_empty() {
            return input.clone();
        }
        self.errors.extend(collected);
        Value::Null
    }

    fn enumeration(&mut self, values: &[Value], input: &Value, loc: &[LocItem]) -> Value {
        let coerced = match (input, self.source) {
            (Value::String(text), Source::Text) => values
                .iter()
                .find(|value| match value {
                    Value::String(expected) => expected == text,
                    other => other.to_string() == *text,
                })
                .cloned(),
            _ => values.iter().find(|value| *value == input).cloned(),
        };
        if let Some(value) = coerced {
            return value;
        }
        let expected = expected_list(values);
        let kind = if values.len() == 1 {
            "literal_error"
        } else {
            "enum"
        };
        self.fail(
            ValidationError::new(
                kind,
                loc,
                format!("Input should be {expected}"),
                input.clone(),
            )
            .with_ctx([("expected", Value::from(expected))]),
        )
    }

    fn string(
        &mut self,
        map: &Map<String, Value>,
        input: &Value,
        loc: &[LocItem],
    ) -> Option<Value> {
        let Value::String(text) = input else {
            self.fail(ValidationError::new(
                "string_type",
                loc,
                "Input should be a valid string",
                input.clone(),
            ));
            return None;
        };
        let failure = match keyword(map, "format").and_then(Value::as_str) {
            Some("uuid") => match uuid::Uuid::parse_str(text) {
                Ok(uuid) => return Some(Value::String(uuid.to_string())),
                Err(err) => Some((
                    "uuid_parsing",
                    "Input should be a valid UUID",
                    err.to_string(),
                )),
            },
            Some("date-time") => speedate::DateTime::parse_str(text).err().map(|err| {
                (
                    "datetime_from_date_parsing",
                    "Input should be a valid datetime or date",
                    parse_error_text(&err),
                )
            }),
            Some("date") => speedate::Date::parse_str(text).err().map(|err| {
                (
                    "date_from_datetime_parsing",
                    "Input should be a valid date or datetime",
                    parse_error_text(&err),
                )
            }),
            _ => None,
        };
        if let Some((kind, words, error)) = failure {
            // Joined by hand: `format!` costs a formatting pass per 422.
            let mut msg = String::with_capacity(words.len() + 2 + error.len());
            msg.push_str(words);
            msg.push_str(", ");
            msg.push_str(&error);
            self.fail(
                ValidationError::new(kind, loc, msg, input.clone())
                    .with_ctx([("error", Value::from(error))]),
            );
            return None;
        }
        Some(input.clone())
    }

    fn integer(&mut self, input: &Value, loc: &[LocItem]) -> Option<Value> {
        match input {
            Value::Number(number) if number.is_i64() => Some(input.clone()),
            Value::Number(number) if number.is_u64() => {
                self.fail(ValidationError::new(
                    "int_parsing_size",
                    loc,
                    "Unable to parse input string as an integer, exceeded maximum size",
                    input.clone(),
                ));
                None
            }
            Value::Number(number) => {
                let float = number.as_f64().unwrap_or(f64::NAN);
                if float.fract() == 0.0 && float.is_finite() && float.abs() < 9.0e15 {
                    Some(json!(float as i64))
                } else if float.fract() == 0.0 && float.is_finite() {
                    self.fail(ValidationError::new(
                        "int_parsing_size",
                        loc,
                        "Unable to parse input string as an integer, exceeded maximum size",
                        input.clone(),
                    ));
                    None
                } else {
                    self.fail(ValidationError::new(
                        "int_from_float",
                        loc,
                        "Input should be a valid integer, got a number with a fractional part",
                        input.clone(),
                    ));
                    None
                }
            }
            Value::String(text) if is_integer_text(text.trim()) => match text.trim().parse::<i64>()
            {
                Ok(value) => Some(json!(value)),
                Err(_) => {
                    self.fail(ValidationError::new(
                        "int_parsing_size",
                        loc,
                        "Unable to parse input string as an integer, exceeded maximum size",
                        input.clone(),
                    ));
                    None
                }
            },
            Value::String(text) => match text.trim().parse::<i64>() {
                Ok(value) => Some(json!(value)),
                Err(_) => match text.trim().parse::<f64>() {
                    Ok(float) if float.fract() == 0.0 && float.abs() < 9.0e15 => {
                        Some(json!(float as i64))
                    }
                    Ok(float) if float.is_finite() => {
                        self.fail(ValidationError::new(
                            "int_from_float",
                            loc,
                            "Input should be a valid integer, got a number with a fractional part",
                            input.clone(),
                        ));
                        None
                    }
                    _ => {
                        self.fail(ValidationError::new(
                            "int_parsing",
                            loc,
                            "Input should be a valid integer, unable to parse string as an integer",
                            input.clone(),
                        ));
                        None
                    }
                },
            },
            _ => {
                self.fail(ValidationError::new(
                    "int_type",
                    loc,
                    "Input should be a valid integer",
                    input.clone(),
                ));
                None
            }
        }
    }

    fn number(&mut self, input: &Value, loc: &[LocItem]) -> Option<Value> {
        match input {
            Value::Number(_) => Some(input.clone()),
            Value::String(text) => match number_text(text) {
                Some(value) => Some(value),
                None => {
                    self.fail(ValidationError::new(
                        "float_parsing",
                        loc,
                        "Input should be a valid number, unable to parse string as a number",
                        input.clone(),
                    ));
                    None
                }
            },
            _ => {
                self.fail(ValidationError::new(
                    "float_type",
                    loc,
                    "Input should be a valid number",
                    input.clone(),
                ));
                None
            }
        }
    }

    fn boolean(&mut self, input: &Value, loc: &[LocItem]) -> Option<Value> {
        let parsed = match input {
            Value::Bool(_) | Value::Number(_) | Value::String(_) => lax_bool(input),
            _ => {
                self.fail(ValidationError::new(
                    "bool_type",
                    loc,
                    "Input should be a valid boolean",
                    input.clone(),
                ));
                return None;
            }
        };
        match parsed {
            Some(value) => Some(Value::Bool(value)),
            None => {
                self.fail(ValidationError::new(
                    "bool_parsing",
                    loc,
                    "Input should be a valid boolean, unable to interpret input",
                    input.clone(),
                ));
                None
            }
        }
    }

    fn array(&mut self, map: &Map<String, Value>, input: &Value, loc: &mut Vec<LocItem>) -> Value {
        let Value::Array(items) = input else {
            return self.fail(ValidationError::new(
                "list_type",
                loc,
                "Input should be a valid list",
                input.clone(),
            ));
        };
        let prefix = keyword(map, "prefixItems").and_then(Value::as_array);
        let rest = keyword(map, "items");
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            loc.push(LocItem::Index(index));
            let schema = prefix.and_then(|prefix| prefix.get(index)).or(rest);
            out.push(match schema {
                Some(schema) => self.value(schema, item, loc),
                None => item.clone(),
            });
            loc.pop();
        }
        let length = items.len();
        if let Some(min) = keyword(map, "minItems").and_then(Value::as_u64)
            && (length as u64) < min
        {
            let plural = if min == 1 { "" } else { "s" };
            return self.fail(
                ValidationError::new(
                    "too_short",
                    loc,
                    format!("List should have at least {min} item{plural} after validation, not {length}"),
                    input.clone(),
                )
                .with_ctx([("field_type", Value::from("List")), ("min_length", Value::from(min)), ("actual_length", Value::from(length))]),
            );
        }
        if let Some(max) = keyword(map, "maxItems").and_then(Value::as_u64)
            && (length as u64) > max
        {
            let plural = if max == 1 { "" } else { "s" };
            return self.fail(
                ValidationError::new(
                    "too_long",
                    loc,
                    format!(
                        "List should have at most {max} item{plural} after validation, not {length}"
                    ),
                    input.clone(),
                )
                .with_ctx([
                    ("field_type", Value::from("List")),
                    ("max_length", Value::from(max)),
                    ("actual_length", Value::from(length)),
                ]),
            );
        }
        Value::Array(out)
    }

    fn object(&mut self, map: &Map<String, Value>, input: &Value, loc: &mut Vec<LocItem>) -> Value {
        let Value::Object(fields) = input else {
            let is_model = map.contains_key("properties");
            return if is_model {
                self.fail(ValidationError::new(
                    "model_attributes_type",
                    loc,
                    "Input should be a valid dictionary or object to extract fields from",
                    input.clone(),
                ))
            } else {
                self.fail(ValidationError::new(
                    "dict_type",
                    loc,
                    "Input should be a valid dictionary",
                    input.clone(),
                ))
            };
        };
        let required: Vec<&str> = keyword(map, "required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let properties = keyword(map, "properties").and_then(Value::as_object);
        let mut out = Map::new();
        if let Some(properties) = properties {
            for (name, schema) in properties {
                loc.push(LocItem::from(name.clone()));
                match fields.get(name) {
                    Some(value) => {
                        let value = self.value(schema, value, loc);
                        out.insert(name.clone(), value);
                    }
                    None if required.contains(&name.as_str()) => {
                        self.errors
                            .push(ValidationError::missing(loc, input.clone()));
                    }
                    None => {}
                }
                loc.pop();
            }
        }
        // pydantic ignores unknown fields unless the model forbids them.
        let additional = keyword(map, "additionalProperties");
        for (name, value) in fields {
            if properties.is_some_and(|properties| properties.contains_key(name)) {
                continue;
            }
            match additional {
                Some(Value::Bool(false)) => {
                    loc.push(LocItem::from(name.clone()));
                    self.errors.push(ValidationError::new(
                        "extra_forbidden",
                        loc,
                        "Extra inputs are not permitted",
                        value.clone(),
                    ));
                    loc.pop();
                }
                Some(schema @ Value::Object(_)) => {
                    loc.push(LocItem::from(name.clone()));
                    let value = self.value(schema, value, loc);
                    loc.pop();
                    out.insert(name.clone(), value);
                }
                _ if properties.is_none() => {
                    out.insert(name.clone(), value.clone());
                }
                _ => {}
            }
        }
        Value::Object(out)
    }

    /// Length, pattern and range constraints on an already typed value.
    fn constraints(&mut self, map: &Map<String, Value>, value: Value, loc: &[LocItem]) -> Value {
        if let Value::String(text) = &value {
            let length = text.chars().count() as u64;
            if let Some(min) = keyword(map, "minLength").and_then(Value::as_u64)
                && length < min
            {
                let plural = if min == 1 { "" } else { "s" };
                return self.fail(
                    ValidationError::new(
                        "string_too_short",
                        loc,
                        format!("String should have at least {min} character{plural}"),
                        value.clone(),
                    )
                    .with_ctx([("min_length", Value::from(min))]),
                );
            }
            if let Some(max) = keyword(map, "maxLength").and_then(Value::as_u64)
                && length > max
            {
                let plural = if max == 1 { "" } else { "s" };
                return self.fail(
                    ValidationError::new(
                        "string_too_long",
                        loc,
                        format!("String should have at most {max} character{plural}"),
                        value.clone(),
                    )
                    .with_ctx([("max_length", Value::from(max))]),
                );
            }
            if let Some(pattern) = keyword(map, "pattern").and_then(Value::as_str)
                && let Some(regex) = self.set.pattern(pattern)
                && !regex.is_match(text)
            {
                return self.fail(
                    ValidationError::new(
                        "string_pattern_mismatch",
                        loc,
                        format!("String should match pattern '{pattern}'"),
                        value.clone(),
                    )
                    .with_ctx([("pattern", Value::from(pattern))]),
                );
            }
        }
        if let Some(number) = value.as_f64() {
            let bound = |key: &str| keyword(map, key).and_then(Value::as_f64);
            let exclusive_flag = |key: &str| keyword(map, key) == Some(&Value::Bool(true));
            let mut checks: Vec<(&'static str, &'static str, &'static str, f64, bool)> = Vec::new();
            if let Some(limit) = bound("exclusiveMinimum") {
                checks.push(("greater_than", "gt", "greater than", limit, number > limit));
            }
            if let Some(limit) = bound("minimum") {
                if exclusive_flag("exclusiveMinimum") {
                    checks.push(("greater_than", "gt", "greater than", limit, number > limit));
                } else {
                    checks.push((
                        "greater_than_equal",
                        "ge",
                        "greater than or equal to",
                        limit,
                        number >= limit,
                    ));
                }
            }
            if let Some(limit) = bound("exclusiveMaximum") {
                checks.push(("less_than", "lt", "less than", limit, number < limit));
            }
            if let Some(limit) = bound("maximum") {
                if exclusive_flag("exclusiveMaximum") {
                    checks.push(("less_than", "lt", "less than", limit, number < limit));
                } else {
                    checks.push((
                        "less_than_equal",
                        "le",
                        "less than or equal to",
                        limit,
                        number <= limit,
                    ));
                }
            }
            for (kind, key, words, limit, ok) in checks {
                if !ok {
                    let limit_value = number_value(limit);
                    return self.fail(
                        ValidationError::new(
                            kind,
                            loc,
                            format!("Input should be {words} {limit_value}"),
                            value.clone(),
                        )
                        .with_ctx([(key, limit_value)]),
                    );
                }
            }
            if let Some(multiple) = bound("multipleOf")
                && multiple != 0.0
                && (number / multiple).fract() != 0.0
            {
                let multiple_value = number_value(multiple);
                return self.fail(
                    ValidationError::new(
                        "multiple_of",
                        loc,
                        format!("Input should be a multiple of {multiple_value}"),
                        value.clone(),
                    )
                    .with_ctx([("multiple_of", multiple_value)]),
                );
            }
        }
        value
    }
}

/// pydantic's lax boolean: a bool, 0 or 1, or one of its words; `None` for anything else.
fn lax_bool(input: &Value) -> Option<bool> {
    match input {
        Value::Bool(value) => Some(*value),
        Value::Number(number) => match number.as_f64() {
            Some(0.0) => Some(false),
            Some(1.0) => Some(true),
            _ => None,
        },
        Value::String(text) => lax_bool_text(text),
        _ => None,
    }
}

/// [`lax_bool`] of a string.
pub(crate) fn lax_bool_text(text: &str) -> Option<bool> {
    const FALSE: [&str; 6] = ["0", "off", "f", "false", "n", "no"];
    const TRUE: [&str; 6] = ["1", "on", "t", "true", "y", "yes"];
    if FALSE.iter().any(|word| word.eq_ignore_ascii_case(text)) {
        Some(false)
    } else if TRUE.iter().any(|word| word.eq_ignore_ascii_case(text)) {
        Some(true)
    } else {
        None
    }
}

/// A float read from text as pydantic reads it: trimmed, finite.
fn number_text(text: &str) -> Option<Value> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() => Some(json!(value)),
        _ => None,
    }
}

fn is_integer_text(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit())
}

fn number_value(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 9.0e15 {
        json!(number as i64)
    } else {
        json!(number)
    }
}

fn schema_types(map: &Map<String, Value>) -> Vec<&str> {
    match keyword(map, "type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn is_null_schema(schema: &Value) -> bool {
    match schema.as_object().and_then(|map| keyword(map, "type")) {
        Some(Value::String(kind)) => kind == "null",
        Some(Value::Array(kinds)) => kinds.len() == 1 && kinds[0] == "null",
        _ => schema.as_object().and_then(|map| keyword(map, "enum")) == Some(&json!([null])),
    }
}

/// pydantic names union members by their Python type: `str`, `int`, a model's name.
fn union_tag(branch: &Value, resolved: &Value) -> String {
    if let Some(reference) = branch.get("$ref").and_then(Value::as_str) {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    match resolved.get("type").and_then(Value::as_str) {
        Some("string") => "str".into(),
        Some("integer") => "int".into(),
        Some("number") => "float".into(),
        Some("boolean") => "bool".into(),
        Some("array") => {
            let inner = resolved
                .get("items")
                .map(|items| union_tag(items, items))
                .unwrap_or_else(|| "any".into());
            format!("list[{inner}]")
        }
        Some("object") => "dict[str,any]".into(),
        _ => "any".into(),
    }
}

/// `'a', 'b' or 'c'`, as pydantic lists enum members.
fn expected_list(values: &[Value]) -> String {
    let rendered: Vec<String> = values
        .iter()
        .map(|value| match value {
            Value::String(text) => format!("'{text}'"),
            Value::Null => "None".to_owned(),
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            other => other.to_string(),
        })
        .collect();
    match rendered.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

fn parse_error_text(error: &speedate::ParseError) -> String {
    use strum::EnumMessage;
    error
        .get_documentation()
        .map(str::to_owned)
        .unwrap_or_else(|| error.to_string())
}

pub(crate) mod plan;

#[cfg(test)]
mod tests;
