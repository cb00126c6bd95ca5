//! Instances of a JSON Schema 2020-12 (OpenAPI 3.1) schema, for the corpus round trip.
//!
//! Deterministic from a seed, and varied on purpose: each variant takes other branches of
//! `anyOf`/`oneOf`, includes or leaves out optional properties, picks other enum values and
//! uses `null` where it is allowed. What comes out is a candidate: the caller keeps only
//! those the schema validates (a generator that reads every keyword exactly would be a
//! validator; one that aims and lets the validator judge is small and never wrong).

use serde_json::{Map, Value, json};

/// How deep `$ref`s are followed before the generator takes the shortest way out
/// (required properties only, empty arrays, `null` where allowed).
const MAX_DEPTH: usize = 6;

pub struct Generator<'a> {
    root: &'a Value,
    state: u64,
    /// 0: the least (required only, first branch); 1: the most (every property); other:
    /// random choices.
    variant: usize,
}

impl<'a> Generator<'a> {
    pub fn new(root: &'a Value, seed: u64, variant: usize) -> Self {
        Generator {
            root,
            state: seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407)
                ^ (variant as u64).wrapping_mul(0x9E3779B97F4A7C15),
            variant,
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*: plenty for picking branches, and the same on every machine.
        let mut x = self.state | 1;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545F4914F6CDD1D)
    }

    fn pick(&mut self, count: usize) -> usize {
        match (count, self.variant) {
            (0, _) => 0,
            (_, 0) => 0,
            (_, 1) => count - 1,
            _ => (self.next() % count as u64) as usize,
        }
    }

    fn coin(&mut self) -> bool {
        match self.variant {
            0 => false,
            1 => true,
            _ => self.next().is_multiple_of(2),
        }
    }

    pub fn instance(&mut self, schema: &Value) -> Option<Value> {
        self.schema(schema, 0)
    }

    fn schema(&mut self, schema: &Value, depth: usize) -> Option<Value> {
        let map = match schema {
            Value::Bool(true) => return Some(json!("any")),
            Value::Object(map) => map,
            _ => return None,
        };
        if map.contains_key("$ref") {
            let (target, _) = nx1_codegen::pointer::follow(self.root, schema)?;
            if depth > MAX_DEPTH * 2 {
                return None;
            }
            let mut value = self.schema(target, depth + 1)?;
            let rest = without(map, &["$ref"]);
            if has_shape(&rest)
                && let Some(more) = self.schema(&Value::Object(rest), depth + 1)
            {
                merge(&mut value, more);
            }
            return Some(value);
        }
        if let Some(value) = map.get("const") {
            return Some(value.clone());
        }
        if let Some(Value::Array(values)) = map.get("enum") {
            let index = self.pick(values.len());
            return values.get(index).cloned();
        }
        let nullable = map.get("nullable") == Some(&Value::Bool(true))
            || matches!(map.get("type"), Some(Value::Array(kinds)) if kinds.iter().any(|kind| kind == "null"));
        if nullable && (depth > MAX_DEPTH || (self.variant > 1 && self.next().is_multiple_of(4))) {
            return Some(Value::Null);
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = map.get(keyword) {
                if branches.is_empty() {
                    break;
                }
                let start = if depth > MAX_DEPTH {
                    0
                } else {
                    self.pick(branches.len())
                };
                // The chosen branch first; the next ones if it cannot be built.
                for offset in 0..branches.len() {
                    let index = (start + offset) % branches.len();
                    let Some(mut value) = self.schema(&branches[index], depth + 1) else {
                        continue;
                    };
                    self.discriminate(map, &branches[index], &mut value);
                    let rest = without(map, &[keyword, "discriminator"]);
                    if has_shape(&rest)
                        && let Some(more) = self.schema(&Value::Object(rest), depth + 1)
                    {
                        merge(&mut value, more);
                    }
                    return Some(value);
                }
                return None;
            }
        }
        if let Some(Value::Array(branches)) = map.get("allOf") {
            let rest = without(map, &["allOf"]);
            let mut value = if has_shape(&rest) {
                self.schema(&Value::Object(rest), depth + 1)?
            } else {
                Value::Null
            };
            for branch in branches {
                let part = self.schema(branch, depth + 1)?;
                if value.is_null() {
                    value = part;
                } else {
                    merge(&mut value, part);
                }
            }
            return Some(value);
        }
        let kind = self.kind(map);
        Some(match kind.as_str() {
            "null" => Value::Null,
            "boolean" => Value::Bool(self.coin()),
            "integer" => self.integer(map),
            "number" => self.number(map),
            "string" => self.string(map),
            "array" => self.array(map, depth)?,
            _ => self.object(map, depth)?,
        })
    }

    /// The discriminator property of the chosen branch set to the value that names it.
    fn discriminate(&self, map: &Map<String, Value>, branch: &Value, value: &mut Value) {
        let (Some(property), Some(reference), Value::Object(object)) = (
            map.get("discriminator")
                .and_then(|discriminator| discriminator.get("propertyName"))
                .and_then(Value::as_str),
            branch.get("$ref").and_then(Value::as_str),
            value,
        ) else {
            return;
        };
        let mapped = map
            .get("discriminator")
            .and_then(|discriminator| discriminator.get("mapping"))
            .and_then(Value::as_object)
            .and_then(|mapping| {
                mapping
                    .iter()
                    .find(|(_, target)| target.as_str() == Some(reference))
                    .map(|(key, _)| key.clone())
            });
        let name = mapped.unwrap_or_else(|| reference.rsplit('/').next().unwrap_or("").to_owned());
        // A branch that fixes the property itself (`const`) knows better.
        object
            .entry(property.to_owned())
            .or_insert(Value::String(name));
    }

    fn kind(&mut self, map: &Map<String, Value>) -> String {
        match map.get("type") {
            Some(Value::String(kind)) => kind.clone(),
            Some(Value::Array(kinds)) => {
                let concrete: Vec<&str> = kinds
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|kind| *kind != "null")
                    .collect();
                if concrete.is_empty() {
                    "null".into()
                } else {
                    let index = self.pick(concrete.len());
                    concrete[index].to_owned()
                }
            }
            _ if map.contains_key("properties") || map.contains_key("additionalProperties") => {
                "object".into()
            }
            _ if map.contains_key("items") || map.contains_key("prefixItems") => "array".into(),
            _ if map.contains_key("minimum") || map.contains_key("maximum") => "number".into(),
            _ => "string".into(),
        }
    }

    fn integer(&mut self, map: &Map<String, Value>) -> Value {
        let (low, high) = range(map, true);
        let span = (high - low).min(1_000.0) as u64;
        let mut value = low as i64 + (self.next() % (span + 1)) as i64;
        if let Some(step) = map.get("multipleOf").and_then(Value::as_f64)
            && step >= 1.0
        {
            let step = step as i64;
            value = ((low as i64 + step - 1).div_euclid(step)) * step;
        }
        json!(value)
    }

    fn number(&mut self, map: &Map<String, Value>) -> Value {
        let (low, high) = range(map, false);
        if let Some(step) = map.get("multipleOf").and_then(Value::as_f64)
            && step > 0.0
        {
            return json!((low / step).ceil() * step);
        }
        let fraction = (self.next() % 1000) as f64 / 1000.0;
        json!(low + (high - low) * fraction)
    }

    fn string(&mut self, map: &Map<String, Value>) -> Value {
        let format = map.get("format").and_then(Value::as_str).unwrap_or("");
        let text = match format {
            "date-time" => "2024-05-06T07:08:09Z".to_owned(),
            "date" => "2024-05-06".to_owned(),
            "time" => "07:08:09Z".to_owned(),
            "duration" => "P1D".to_owned(),
            "uuid" => format!(
                "6f1c1c8e-8f44-4b4e-9a53-{:012x}",
                self.next() % 0xffff_ffff_ffff
            ),
            "email" => "someone@example.com".to_owned(),
            "uri" | "url" | "iri" => "https://example.com/a".to_owned(),
            "hostname" => "example.com".to_owned(),
            "ipv4" => "192.0.2.1".to_owned(),
            "ipv6" => "2001:db8::1".to_owned(),
            "byte" => "aGVsbG8=".to_owned(),
            _ => {
                if let Some(Value::String(example)) = map.get("default").or(map.get("example")) {
                    example.clone()
                } else if let Some(Value::Array(examples)) = map.get("examples")
                    && let Some(Value::String(example)) = examples.first()
                {
                    example.clone()
                } else {
                    let length = 3 + (self.next() % 5) as usize;
                    (0..length)
                        .map(|_| (b'a' + (self.next() % 26) as u8) as char)
                        .collect()
                }
            }
        };
        let min = map.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = map
            .get("maxLength")
            .and_then(Value::as_u64)
            .map(|max| max as usize);
        let mut text = text;
        while text.chars().count() < min {
            text.push('a');
        }
        if let Some(max) = max
            && text.chars().count() > max
        {
            text = text.chars().take(max).collect();
        }
        Value::String(text)
    }

    fn array(&mut self, map: &Map<String, Value>, depth: usize) -> Option<Value> {
        let min = map.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = map.get("maxItems").and_then(Value::as_u64).unwrap_or(3) as usize;
        let wanted = if depth > MAX_DEPTH {
            min
        } else {
            match self.variant {
                0 => min.max(usize::from(min == 0 && max > 0)),
                1 => max.min(3).max(min),
                _ => (min + self.pick(3)).min(max).max(min),
            }
        };
        let prefix = match map.get("prefixItems") {
            Some(Value::Array(positions)) => positions.clone(),
            _ => Vec::new(),
        };
        let mut items = Vec::new();
        for index in 0..wanted.max(prefix.len().min(max)) {
            let schema = prefix
                .get(index)
                .or(map.get("items"))
                .cloned()
                .unwrap_or(Value::Bool(true));
            items.push(self.schema(&schema, depth + 1)?);
        }
        Some(Value::Array(items))
    }

    fn object(&mut self, map: &Map<String, Value>, depth: usize) -> Option<Value> {
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut object = Map::new();
        if let Some(Value::Object(properties)) = map.get("properties") {
            for (name, schema) in properties {
                let include =
                    required.contains(&name.as_str()) || (depth <= MAX_DEPTH && self.coin());
                if include && let Some(value) = self.schema(schema, depth + 1) {
                    object.insert(name.clone(), value);
                }
            }
        }
        if let Some(extra) = map.get("additionalProperties")
            && extra.is_object()
            && depth <= MAX_DEPTH
            && self.coin()
            && let Some(value) = self.schema(extra, depth + 1)
        {
            object.insert("extra_key".into(), value);
        }
        Some(Value::Object(object))
    }
}

/// A closed range to draw from: the schema's bounds, else a small one beside the bound
/// that is given, else `[0, 100]`.
fn range(map: &Map<String, Value>, integer: bool) -> (f64, f64) {
    let (low, high) = bounds(map, integer);
    let low = low.unwrap_or(match high {
        Some(high) if high < 0.0 => high - 10.0,
        _ => 0.0,
    });
    (low, high.unwrap_or(low + 100.0).max(low))
}

/// `[low, high]` from the inclusive and (3.1 numeric or 3.0 boolean) exclusive bounds.
fn bounds(map: &Map<String, Value>, integer: bool) -> (Option<f64>, Option<f64>) {
    let nudge = if integer { 1.0 } else { 0.001 };
    let mut low = map.get("minimum").and_then(Value::as_f64);
    let mut high = map.get("maximum").and_then(Value::as_f64);
    match map.get("exclusiveMinimum") {
        Some(Value::Number(bound)) => low = bound.as_f64().map(|bound| bound + nudge),
        Some(Value::Bool(true)) => low = low.map(|low| low + nudge),
        _ => {}
    }
    match map.get("exclusiveMaximum") {
        Some(Value::Number(bound)) => high = bound.as_f64().map(|bound| bound - nudge),
        Some(Value::Bool(true)) => high = high.map(|high| high - nudge),
        _ => {}
    }
    if integer {
        (low.map(f64::ceil), high.map(f64::floor))
    } else {
        (low, high)
    }
}

fn without(map: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    map.iter()
        .filter(|(key, _)| !keys.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// Whether the keywords left beside a composition still say something about the value.
fn has_shape(map: &Map<String, Value>) -> bool {
    [
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "const",
        "additionalProperties",
    ]
    .iter()
    .any(|key| map.contains_key(*key))
}

/// Adds `more`'s properties to `value` when both are objects (an `allOf` of objects).
fn merge(value: &mut Value, more: Value) {
    if let (Value::Object(into), Value::Object(from)) = (value, more) {
        for (key, item) in from {
            into.entry(key).or_insert(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_differ_and_follow_references() {
        let root = json!({"components": {"schemas": {
            "Pet": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "minLength": 2},
                "kind": {"enum": ["cat", "dog"]},
                "age": {"type": ["integer", "null"], "minimum": 1, "maximum": 3},
                "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}}
            }},
            "Tag": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "integer", "exclusiveMinimum": 5}]}
        }}});
        let schema = json!({"$ref": "#/components/schemas/Pet"});
        let least = Generator::new(&root, 1, 0).instance(&schema).unwrap();
        assert_eq!(
            least.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["name"]
        );
        let most = Generator::new(&root, 1, 1).instance(&schema).unwrap();
        assert_eq!(most.as_object().unwrap().len(), 4);
        assert!(
            most["tags"][0].as_i64().is_some_and(|tag| tag > 5),
            "{most}"
        );
        let again = Generator::new(&root, 1, 1).instance(&schema).unwrap();
        assert_eq!(most, again, "deterministic for a seed");
    }
}
