//! Every rule, in process: a pair of small specs per rule, the change it must find, at the
//! level the rule table gives. A rule without a case here fails `every_rule_has_a_case`.

use std::collections::{BTreeMap, BTreeSet};

use nx1_drift::diff::{Family, Rule};
use nx1_drift::{DiffOptions, Perspective};
use serde_json::{Value, json};

fn api(paths: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": {
                "A": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                "B": {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]},
                "C": {"type": "object", "properties": {"c": {"type": "boolean"}}, "required": ["c"]},
            },
            "securitySchemes": {
                "Key": {"type": "apiKey", "in": "header", "name": "X-Key"},
                "Bearer": {"type": "http", "scheme": "bearer"},
            }
        }
    })
}

fn ok() -> Value {
    json!({"200": {"description": "ok"}})
}

/// `GET /items` with these query parameters.
fn params(parameters: Value) -> Value {
    api(json!({"/items": {"get": {
        "operationId": "list_items", "parameters": parameters, "responses": ok()
    }}}))
}

fn query(schema: Value, extra: Value) -> Value {
    let mut parameter = json!({"name": "p", "in": "query", "schema": schema});
    if let (Value::Object(parameter), Value::Object(extra)) = (&mut parameter, extra) {
        parameter.extend(extra);
    }
    params(json!([parameter]))
}

/// `POST /items` taking a JSON body of this schema.
fn body(schema: Value) -> Value {
    api(json!({"/items": {"post": {
        "operationId": "create_item",
        "requestBody": {"required": true, "content": {"application/json": {"schema": schema}}},
        "responses": ok()
    }}}))
}

/// `GET /items` answering 200 with this schema.
fn answer(schema: Value) -> Value {
    responses(
        json!({"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}),
    )
}

fn responses(responses: Value) -> Value {
    api(json!({"/items": {"get": {"operationId": "list_items", "responses": responses}}}))
}

/// An object whose one property `p` is `schema`; required or not.
fn object(schema: Value, required: bool) -> Value {
    let required: Vec<&str> = if required { vec!["p"] } else { vec![] };
    json!({"type": "object", "properties": {"p": schema}, "required": required})
}

fn string() -> Value {
    json!({"type": "string"})
}

fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

fn union(names: &[&str]) -> Value {
    let branches: Vec<Value> = names
        .iter()
        .map(|name| json!({"$ref": format!("#/components/schemas/{name}")}))
        .collect();
    json!({"oneOf": branches})
}

/// `oneOf` A, B, C tagged by `kind`, with this mapping of tag values to components.
fn tagged(mapping: &[(&str, &str)]) -> Value {
    let mapping: serde_json::Map<String, Value> = mapping
        .iter()
        .map(|(tag, name)| {
            (
                (*tag).to_owned(),
                json!(format!("#/components/schemas/{name}")),
            )
        })
        .collect();
    let mut schema = union(&["A", "B", "C"]);
    schema["discriminator"] = json!({"propertyName": "kind", "mapping": mapping});
    schema
}

/// `GET /items` answering 200 with a stream of events named `names` (OpenAPI 3.2's
/// `itemSchema`), each event's data JSON of `data(name)`.
fn feed(names: &[&str], data: impl Fn(&str) -> Value) -> Value {
    let branches: Vec<Value> = names
        .iter()
        .map(|name| {
            json!({"properties": {
                "event": {"const": name},
                "data": {"contentMediaType": "application/json", "contentSchema": data(name)},
            }})
        })
        .collect();
    let item = json!({
        "type": "object",
        "properties": {"event": {"type": "string"}, "data": {"type": "string"}},
        "required": ["data"],
        "oneOf": branches,
    });
    responses(
        json!({"200": {"description": "ok", "content": {"text/event-stream": {"itemSchema": item}}}}),
    )
}

fn a(_: &str) -> Value {
    json!({"$ref": "#/components/schemas/A"})
}

fn secured(security: Value) -> Value {
    api(json!({"/items": {"get": {
        "operationId": "list_items", "security": security, "responses": ok()
    }}}))
}

/// (rule, before, after, options)
fn cases() -> Vec<(Rule, Value, Value, DiffOptions)> {
    let enum_ab = json!({"type": "string", "enum": ["a", "b"]});
    let enum_a = json!({"type": "string", "enum": ["a"]});
    let enum_abc = json!({"type": "string", "enum": ["a", "b", "c"]});
    let get = api(json!({"/items": {"get": {"operationId": "list_items", "responses": ok()}}}));
    let deprecated = api(json!({"/items": {"get": {
        "operationId": "list_items", "deprecated": true, "responses": ok()
    }}}));
    let sunset = |date: &str| {
        api(json!({"/items": {"get": {
            "operationId": "list_items", "deprecated": true, "x-sunset": date, "responses": ok()
        }}}))
    };
    let noticed = DiffOptions {
        deprecation_days: Some(90),
        ..plain()
    };
    let renamed =
        api(json!({"/items": {"get": {"operationId": "fetch_items", "responses": ok()}}}));
    let described = api(json!({"/items": {"get": {
        "operationId": "list_items", "description": "Lists items.", "responses": ok()
    }}}));
    let no_body =
        api(json!({"/items": {"post": {"operationId": "create_item", "responses": ok()}}}));
    let optional_body = api(json!({"/items": {"post": {
        "operationId": "create_item",
        "requestBody": {"content": {"application/json": {"schema": string()}}},
        "responses": ok()
    }}}));
    let two_media = api(json!({"/items": {"post": {
        "operationId": "create_item",
        "requestBody": {"required": true, "content": {
            "application/json": {"schema": string()},
            "application/x-www-form-urlencoded": {"schema": {"type": "object"}}
        }},
        "responses": ok()
    }}}));
    let json_200 = json!({"200": {"description": "ok", "content": {"application/json": {"schema": string()}}}});
    let text_200 =
        json!({"200": {"description": "ok", "content": {"text/plain": {"schema": string()}}}});
    let with_header = json!({"200": {"description": "ok", "headers": {"X-Rate": {"schema": {"type": "integer"}}}}});
    let q = |schema: Value| query(schema, json!({}));
    use Rule::*;
    vec![
        (EndpointAdded, api(json!({})), get.clone(), plain()),
        (EndpointRemoved, get.clone(), api(json!({})), plain()),
        (
            DeprecatedEndpointRemoved,
            deprecated.clone(),
            api(json!({})),
            plain(),
        ),
        (EndpointDeprecated, get.clone(), deprecated, plain()),
        (
            EndpointRemovedBeforeSunset,
            sunset("2027-06-30"),
            api(json!({})),
            plain(),
        ),
        (SunsetTooSoon, get.clone(), sunset("2026-12-15"), noticed),
        (OperationIdChanged, get.clone(), renamed, plain()),
        (
            OperationDescriptionChanged,
            get.clone(),
            described,
            strict(),
        ),
        // Parameters.
        (
            NewRequiredRequestParameter,
            params(json!([])),
            query(string(), json!({"required": true})),
            plain(),
        ),
        (
            NewOptionalRequestParameter,
            params(json!([])),
            q(string()),
            plain(),
        ),
        (
            RequestParameterRemoved,
            q(string()),
            params(json!([])),
            plain(),
        ),
        (
            RequestParameterBecameRequired,
            q(string()),
            query(string(), json!({"required": true})),
            plain(),
        ),
        (
            RequestParameterBecameOptional,
            query(string(), json!({"required": true})),
            q(string()),
            plain(),
        ),
        (
            RequestParameterTypeChanged,
            q(string()),
            q(json!({"type": "boolean"})),
            plain(),
        ),
        (
            RequestParameterEnumValueRemoved,
            q(enum_ab.clone()),
            q(enum_a.clone()),
            plain(),
        ),
        (
            RequestParameterEnumValueAdded,
            q(enum_ab.clone()),
            q(enum_abc.clone()),
            plain(),
        ),
        (
            RequestParameterConstraintTightened,
            q(string()),
            q(json!({"type": "string", "maxLength": 8})),
            plain(),
        ),
        (
            RequestParameterConstraintRelaxed,
            q(json!({"type": "integer", "maximum": 10})),
            q(json!({"type": "integer"})),
            plain(),
        ),
        (
            RequestParameterBecameEnum,
            q(string()),
            q(enum_ab.clone()),
            plain(),
        ),
        (
            RequestParameterDefaultChanged,
            q(json!({"type": "string", "default": "a"})),
            q(json!({"type": "string", "default": "b"})),
            plain(),
        ),
        (
            RequestParameterDeprecated,
            q(string()),
            query(string(), json!({"deprecated": true})),
            plain(),
        ),
        // Request bodies.
        (RequestBodyAdded, no_body.clone(), body(string()), plain()),
        (RequestBodyRemoved, body(string()), no_body, plain()),
        (
            RequestBodyBecameRequired,
            optional_body.clone(),
            body(string()),
            plain(),
        ),
        (
            RequestBodyBecameOptional,
            body(string()),
            optional_body,
            plain(),
        ),
        (
            RequestMediaTypeAdded,
            body(string()),
            two_media.clone(),
            plain(),
        ),
        (RequestMediaTypeRemoved, two_media, body(string()), plain()),
        // Responses.
        (
            ResponseSuccessStatusAdded,
            responses(ok()),
            responses(json!({"200": {"description": "ok"}, "201": {"description": "made"}})),
            plain(),
        ),
        (
            ResponseSuccessStatusRemoved,
            responses(json!({"200": {"description": "ok"}, "201": {"description": "made"}})),
            responses(ok()),
            plain(),
        ),
        (
            ResponseErrorStatusAdded,
            responses(ok()),
            responses(json!({"200": {"description": "ok"}, "404": {"description": "gone"}})),
            plain(),
        ),
        (
            ResponseErrorStatusRemoved,
            responses(json!({"200": {"description": "ok"}, "404": {"description": "gone"}})),
            responses(ok()),
            plain(),
        ),
        (
            ResponseMediaTypeRemoved,
            responses(json_200.clone()),
            responses(text_200),
            plain(),
        ),
        (
            ResponseStreamAdded,
            responses(json_200.clone()),
            responses(json!({"200": {"description": "ok", "content": {
                "application/json": {"schema": string()},
                "text/event-stream": {"schema": string()},
            }}})),
            plain(),
        ),
        (
            StreamEventAdded,
            feed(&["a", "b"], a),
            feed(&["a", "b", "c"], a),
            plain(),
        ),
        (
            StreamEventRemoved,
            feed(&["a", "b", "c"], a),
            feed(&["c", "a"], a),
            plain(),
        ),
        (
            ResponseHeaderAdded,
            responses(ok()),
            responses(with_header.clone()),
            plain(),
        ),
        (
            ResponseHeaderRemoved,
            responses(with_header),
            responses(ok()),
            plain(),
        ),
        // Request schemas.
        (
            NewRequiredRequestProperty,
            body(json!({"type": "object", "properties": {}})),
            body(object(string(), true)),
            plain(),
        ),
        (
            NewOptionalRequestProperty,
            body(json!({"type": "object", "properties": {}})),
            body(object(string(), false)),
            plain(),
        ),
        (
            RequestPropertyRemoved,
            body(object(string(), false)),
            body(json!({"type": "object", "properties": {}})),
            plain(),
        ),
        (
            RequestPropertyBecameRequired,
            body(object(string(), false)),
            body(object(string(), true)),
            plain(),
        ),
        (
            RequestPropertyBecameOptional,
            body(object(string(), true)),
            body(object(string(), false)),
            plain(),
        ),
        (
            RequestPropertyTypeChanged,
            body(object(string(), true)),
            body(object(json!({"type": "boolean"}), true)),
            plain(),
        ),
        (
            RequestPropertyTypeWidened,
            body(object(json!({"type": "integer"}), true)),
            body(object(json!({"type": "number"}), true)),
            plain(),
        ),
        (
            RequestPropertyTypeNarrowed,
            body(object(json!({"type": "number"}), true)),
            body(object(json!({"type": "integer"}), true)),
            plain(),
        ),
        (
            RequestPropertyEnumValueRemoved,
            body(object(enum_ab.clone(), true)),
            body(object(enum_a.clone(), true)),
            plain(),
        ),
        (
            RequestPropertyEnumValueAdded,
            body(object(enum_ab.clone(), true)),
            body(object(enum_abc.clone(), true)),
            plain(),
        ),
        (
            RequestPropertyBecameEnum,
            body(object(string(), true)),
            body(object(enum_ab.clone(), true)),
            plain(),
        ),
        (
            RequestPropertyBecameNullable,
            body(object(string(), true)),
            body(object(nullable(string()), true)),
            plain(),
        ),
        (
            RequestPropertyBecameNonNullable,
            body(object(nullable(string()), true)),
            body(object(string(), true)),
            plain(),
        ),
        (
            RequestPropertyConstraintTightened,
            body(object(json!({"type": "string", "maxLength": 64}), true)),
            body(object(json!({"type": "string", "maxLength": 32}), true)),
            plain(),
        ),
        (
            RequestPropertyConstraintRelaxed,
            body(object(json!({"type": "integer", "minimum": 1}), true)),
            body(object(json!({"type": "integer", "minimum": 0}), true)),
            plain(),
        ),
        (
            RequestPropertyDefaultChanged,
            body(object(json!({"type": "integer", "default": 20}), false)),
            body(object(json!({"type": "integer", "default": 50}), false)),
            plain(),
        ),
        (
            RequestPropertyBecameReadOnly,
            body(object(string(), false)),
            body(object(json!({"type": "string", "readOnly": true}), false)),
            plain(),
        ),
        (
            RequestUnionVariantAdded,
            body(union(&["A", "B"])),
            body(union(&["A", "B", "C"])),
            plain(),
        ),
        (
            RequestUnionVariantRemoved,
            body(union(&["A", "B", "C"])),
            body(union(&["A", "B"])),
            plain(),
        ),
        // Response schemas.
        (
            ResponseRequiredPropertyRemoved,
            answer(object(string(), true)),
            answer(json!({"type": "object", "properties": {}})),
            plain(),
        ),
        (
            ResponseOptionalPropertyRemoved,
            answer(object(string(), false)),
            answer(json!({"type": "object", "properties": {}})),
            plain(),
        ),
        (
            ResponseRequiredPropertyAdded,
            answer(json!({"type": "object", "properties": {}})),
            answer(object(string(), true)),
            plain(),
        ),
        (
            ResponseOptionalPropertyAdded,
            answer(json!({"type": "object", "properties": {}})),
            answer(object(string(), false)),
            plain(),
        ),
        (
            ResponsePropertyBecameOptional,
            answer(object(string(), true)),
            answer(object(string(), false)),
            plain(),
        ),
        (
            ResponsePropertyBecameRequired,
            answer(object(string(), false)),
            answer(object(string(), true)),
            plain(),
        ),
        (
            ResponsePropertyBecameNullable,
            answer(object(string(), true)),
            answer(object(nullable(string()), true)),
            plain(),
        ),
        (
            ResponsePropertyBecameNonNullable,
            answer(object(nullable(string()), true)),
            answer(object(string(), true)),
            plain(),
        ),
        (
            ResponsePropertyTypeChanged,
            answer(object(string(), true)),
            answer(object(json!({"type": "boolean"}), true)),
            plain(),
        ),
        (
            ResponsePropertyTypeWidened,
            answer(object(json!({"type": "integer"}), true)),
            answer(object(json!({"type": "number"}), true)),
            plain(),
        ),
        (
            ResponsePropertyTypeNarrowed,
            answer(object(json!({"type": "number"}), true)),
            answer(object(json!({"type": "integer"}), true)),
            plain(),
        ),
        (
            ResponsePropertyEnumValueAdded,
            answer(object(enum_ab.clone(), true)),
            answer(object(enum_abc, true)),
            plain(),
        ),
        (
            ResponsePropertyEnumValueRemoved,
            answer(object(enum_ab.clone(), true)),
            answer(object(enum_a, true)),
            plain(),
        ),
        (
            ResponsePropertyBecameEnum,
            answer(object(string(), true)),
            answer(object(enum_ab, true)),
            plain(),
        ),
        (
            ResponsePropertyConstraintRelaxed,
            answer(object(json!({"type": "string", "maxLength": 8}), true)),
            answer(object(string(), true)),
            plain(),
        ),
        (
            ResponsePropertyConstraintTightened,
            answer(object(json!({"type": "string"}), true)),
            answer(object(
                json!({"type": "string", "pattern": "^[a-z]+$"}),
                true,
            )),
            plain(),
        ),
        (
            ResponsePropertyBecameWriteOnly,
            answer(object(string(), false)),
            answer(object(json!({"type": "string", "writeOnly": true}), false)),
            plain(),
        ),
        (
            ResponseUnionVariantAdded,
            answer(union(&["A", "B"])),
            answer(union(&["A", "B", "C"])),
            plain(),
        ),
        (
            ResponseUnionVariantRemoved,
            answer(union(&["A", "B", "C"])),
            answer(union(&["A", "B"])),
            plain(),
        ),
        (
            PropertyDescriptionChanged,
            answer(object(string(), true)),
            answer(object(
                json!({"type": "string", "description": "The p."}),
                true,
            )),
            strict(),
        ),
        (
            DiscriminatorChanged,
            answer(tagged(&[("a", "A"), ("b", "B")])),
            answer(tagged(&[("a", "A"), ("b", "C")])),
            plain(),
        ),
        // Security.
        (
            SecurityChanged,
            secured(json!([{"Key": []}])),
            secured(json!([{"Bearer": []}])),
            plain(),
        ),
        (
            SecurityAlternativeAdded,
            secured(json!([{"Key": []}])),
            secured(json!([{"Key": []}, {"Bearer": []}])),
            plain(),
        ),
        (
            SecurityScopeAdded,
            secured(json!([{"OAuth": ["read"]}])),
            secured(json!([{"OAuth": ["read", "write"]}])),
            plain(),
        ),
        (
            SecurityScopeRemoved,
            secured(json!([{"OAuth": ["read", "write"]}])),
            secured(json!([{"OAuth": ["write"]}])),
            plain(),
        ),
    ]
}

fn plain() -> DiffOptions {
    DiffOptions {
        today: Some(today()),
        ..DiffOptions::default()
    }
}

fn strict() -> DiffOptions {
    DiffOptions {
        strict_docs: true,
        ..plain()
    }
}

/// A fixed today, so that sunset dates mean the same on every run.
fn today() -> i64 {
    nx1_drift::ignore::parse_date("2026-11-30").expect("a date")
}

fn changes(before: &Value, after: &Value, options: DiffOptions) -> Vec<nx1_drift::Change> {
    nx1_drift::diff(before, after, &BTreeMap::new(), options).expect("both specs load")
}

#[test]
fn each_rule_finds_its_change_at_its_level() {
    let mut failures = Vec::new();
    for (rule, before, after, options) in cases() {
        let found = changes(&before, &after, options);
        match found.iter().find(|change| change.rule == rule) {
            Some(change) => {
                assert_eq!(change.id, rule.id());
                assert_eq!(change.level, rule.levels().0, "{}", rule.id());
                let server = changes(
                    &before,
                    &after,
                    DiffOptions {
                        perspective: Perspective::Server,
                        ..options
                    },
                );
                let on_server = server.iter().find(|change| change.rule == rule).unwrap();
                assert_eq!(on_server.level, rule.levels().1, "{}", rule.id());
            }
            None => failures.push(format!(
                "{}: not found; found {:?}",
                rule.id(),
                found.iter().map(|change| change.id).collect::<Vec<_>>()
            )),
        }
        // No change at all when nothing changed.
        assert!(
            changes(&before, &before, options).is_empty(),
            "{}",
            rule.id()
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_rule_has_a_case() {
    let covered: BTreeSet<Rule> = cases().into_iter().map(|(rule, ..)| rule).collect();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|rule| !covered.contains(rule))
        .map(|rule| rule.id())
        .collect();
    assert!(missing.is_empty(), "rules without a case: {missing:?}");
    let ids: BTreeSet<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
    assert_eq!(ids.len(), Rule::ALL.len(), "two rules share an id");
    assert!(
        Rule::ALL
            .iter()
            .any(|rule| rule.family() == Family::Security)
    );
}

#[test]
fn a_union_nested_in_a_nullable_is_looked_into() {
    // anyOf: [oneOf: [A, B], null] → anyOf: [oneOf: [A, B, C], null]: a new variant, not
    // fields reported as new.
    let before = answer(object(nullable(union(&["A", "B"])), true));
    let after = answer(object(nullable(union(&["A", "B", "C"])), true));
    let found = changes(&before, &after, plain());
    let ids: Vec<&str> = found.iter().map(|change| change.id).collect();
    assert_eq!(ids, ["response-union-variant-added"], "{found:#?}");
    assert!(
        found[0].message.contains("`p` may now be a C"),
        "{}",
        found[0].message
    );
}

/// `oneOf` of inline objects, as written.
fn inline_union(branches: Value) -> Value {
    answer(object(json!({"oneOf": branches}), true))
}

#[test]
fn union_branches_pair_one_to_one_whatever_their_order() {
    let table = json!({"type": "object", "properties": {"kind": {"const": "table"}, "table-id": {"type": "string"}}, "required": ["kind", "table-id"]});
    let view = json!({"type": "object", "properties": {"kind": {"const": "view"}, "view-id": {"type": "string"}}, "required": ["kind", "view-id"]});
    let both = inline_union(json!([table, view]));
    let swapped = inline_union(json!([view, table]));
    assert!(changes(&both, &swapped, plain()).is_empty());
    // A branch changed: found on that branch alone, not on its neighbour of the same type.
    let mut narrower = view.clone();
    narrower["properties"]["view-id"]["maxLength"] = json!(8);
    let found = changes(&both, &inline_union(json!([narrower, table])), plain());
    let ids: Vec<&str> = found.iter().map(|change| change.id).collect();
    assert_eq!(
        ids,
        ["response-property-constraint-tightened"],
        "{found:#?}"
    );
    assert!(
        found[0].pointer.ends_with("/oneOf/1/properties/view-id"),
        "{}",
        found[0].pointer
    );
    // A branch gone is a removed variant, whichever it was.
    let found = changes(&both, &inline_union(json!([view])), plain());
    let ids: Vec<&str> = found.iter().map(|change| change.id).collect();
    assert!(
        !ids.contains(&"response-property-enum-value-removed"),
        "{found:#?}"
    );
}

#[test]
fn an_events_data_is_diffed_as_an_answer_and_the_order_of_events_is_no_change() {
    let before = feed(&["a", "b"], a);
    let reordered = feed(&["b", "a"], a);
    assert!(changes(&before, &reordered, plain()).is_empty());
    let after = feed(&["b", "a"], |name| {
        if name == "b" {
            json!({"$ref": "#/components/schemas/B"})
        } else {
            a(name)
        }
    });
    let found = changes(&before, &after, plain());
    assert!(
        !found.is_empty()
            && found
                .iter()
                .all(|change| change.rule.family() == Family::Schema),
        "{found:?}"
    );
    // Named by the event whose data changed.
    assert!(
        found.iter().all(|change| change.message.contains("`b.")),
        "{found:?}"
    );
}

#[test]
fn an_endpoint_of_every_method_codegen_knows_is_seen() {
    // Drift read its own copy of the methods once, and a 3.2 `query` endpoint could come
    // and go unreported: every method codegen generates must be one drift diffs.
    for method in nx1_codegen::spec::HTTP_METHODS {
        let mut with = api(json!({"/things": {method: {
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
            "responses": ok(),
        }}}));
        with["openapi"] = json!("3.2.0");
        let mut without = api(json!({}));
        without["openapi"] = json!("3.2.0");
        assert!(changes(&with, &with, plain()).is_empty(), "{method}");
        let found = changes(&with, &without, plain());
        assert!(
            found
                .iter()
                .any(|change| change.rule == Rule::EndpointRemoved
                    && change.message.contains(&method.to_uppercase())),
            "{method}: {found:?}"
        );
    }
}

#[test]
fn a_renamed_component_is_no_change() {
    let before = answer(union(&["A", "B"]));
    let mut after = answer(json!({"oneOf": [
        {"$ref": "#/components/schemas/Renamed"}, {"$ref": "#/components/schemas/B"}
    ]}));
    let a = after["components"]["schemas"]["A"].clone();
    after["components"]["schemas"]["Renamed"] = a;
    assert!(changes(&before, &after, plain()).is_empty());
}

#[test]
fn properties_moved_into_an_allof_base_are_no_change() {
    let before = answer(json!({"$ref": "#/components/schemas/A"}));
    let mut after = before.clone();
    after["components"]["schemas"]["A"] = json!({"type": "object", "allOf": [
        {"$ref": "#/components/schemas/Base"},
        {"type": "object", "properties": {"z": {"type": "integer"}}}
    ]});
    after["components"]["schemas"]["Base"] =
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]});
    let mut widened = before.clone();
    widened["components"]["schemas"]["A"]["properties"]["z"] = json!({"type": "integer"});
    assert!(
        changes(&widened, &after, plain()).is_empty(),
        "{:#?}",
        changes(&widened, &after, plain())
    );
    let found = changes(&before, &after, plain());
    let ids: Vec<&str> = found.iter().map(|change| change.id).collect();
    assert_eq!(ids, ["response-optional-property-added"], "{found:#?}");
    // A change found in the flattened object points where the spec writes it: the base.
    let mut narrower = after.clone();
    narrower["components"]["schemas"]["Base"]["properties"]["a"]["maxLength"] = json!(3);
    let found = changes(&after, &narrower, plain());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].pointer, "/components/schemas/Base/properties/a");
}

#[test]
fn a_property_moved_into_a_base_keeps_the_meaning_of_its_own_all_of() {
    // `list.items` is an allOf of its own; moving `list` into a base part must not leave
    // it unflattened on one side only (a seed of the corpus invariant once found this).
    let items = json!({"allOf": [
        {"$ref": "#/components/schemas/B"},
        {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    ]});
    let list = json!({"type": "array", "items": items});
    let mut before = answer(json!({"$ref": "#/components/schemas/L"}));
    before["components"]["schemas"]["L"] = json!({"type": "object",
        "properties": {"list": list, "more": {"type": "boolean"}}, "required": ["list", "more"]});
    let mut after = before.clone();
    after["components"]["schemas"]["L"] = json!({"type": "object", "allOf": [
        {"$ref": "#/components/schemas/LBase"},
        {"type": "object", "properties": {"more": {"type": "boolean"}}, "required": ["more"]}
    ]});
    after["components"]["schemas"]["LBase"] =
        json!({"type": "object", "properties": {"list": list}, "required": ["list"]});
    let found = changes(&before, &after, plain());
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_body_that_became_a_union_is_described_as_one() {
    let before = answer(json!({"$ref": "#/components/schemas/A"}));
    let after = answer(union(&["A", "B"]));
    let found = changes(&before, &after, plain());
    let ids: Vec<&str> = found.iter().map(|change| change.id).collect();
    assert_eq!(ids, ["response-property-type-changed"], "{found:#?}");
    assert_eq!(found[0].message, "`body` was object, is now one of A | B");
}

#[test]
fn the_readme_lists_every_rule() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let table = Rule::table();
    assert!(
        readme.contains(&table),
        "README.md's rule table is out of date; replace it with:\n\n{table}"
    );
}

#[test]
fn an_ignore_entry_naming_no_rule_is_refused() {
    let path = std::env::temp_dir().join(format!("nx1-rules-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "[[ignore]]\nrule = \"endpoint-addded\"\noperation = \"*\"\nreason = \"typo\"\n",
    )
    .unwrap();
    let err = nx1_drift::ignore::IgnoreFile::load(&path).unwrap_err();
    assert!(
        err.to_string().contains("`endpoint-addded` is not a rule"),
        "{err}"
    );
    std::fs::remove_file(&path).unwrap();
}
