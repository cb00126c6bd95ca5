//! One mutation per rule, applicable to any spec that has a place for it: each picks such a
//! place at random, makes the change there alone, and names the operation it touched.
//! Schemas are isolated first (the one `$ref` on the way copied into a fresh component), so
//! that a change meant for one request body does not also reach the responses and other
//! operations that share the component.

use std::collections::BTreeMap;

use nx1_drift::diff::Rule;
use serde_json::{Map, Value, json};

type Rng = fastrand::Rng;

/// A spec before and after one mutation, and the operation (`METHOD /path`) it touched.
pub struct Applied {
    pub before: Value,
    pub after: Value,
    pub operation: String,
}

pub struct Mutation {
    pub rule: Rule,
    /// What the mutation undone is reported as (`None`: nothing).
    pub inverse: Option<Rule>,
    pub apply: fn(&Value, &mut Rng) -> Option<Applied>,
}

/// A change to a body's schema, made on a request body or on a response body: one change,
/// the rule (and inverse) each side reports it as.
pub struct SchemaChange {
    pub request: Option<(Rule, Option<Rule>)>,
    pub response: Option<(Rule, Option<Rule>)>,
    pub change: Change,
}

pub enum Change {
    /// To the body's top-level object (isolated): which objects, and the change.
    Object(
        fn(&Value) -> bool,
        fn(&mut Map<String, Value>, &mut Rng) -> Option<()>,
    ),
    /// To one property of it (isolated): which properties, and the change.
    Property(fn(&Value) -> bool, fn(&mut Value) -> Option<()>),
}

/// One mutation to apply: an operation-level one, or a schema change on one side.
pub enum Case {
    Plain(&'static Mutation),
    Schema(Side, Rule, Option<Rule>, &'static Change),
}

impl Case {
    pub fn rule(&self) -> Rule {
        match self {
            Case::Plain(mutation) => mutation.rule,
            Case::Schema(_, rule, _, _) => *rule,
        }
    }

    pub fn inverse(&self) -> Option<Rule> {
        match self {
            Case::Plain(mutation) => mutation.inverse,
            Case::Schema(_, _, inverse, _) => *inverse,
        }
    }

    pub fn apply(&self, spec: &Value, rng: &mut Rng) -> Option<Applied> {
        match self {
            Case::Plain(mutation) => (mutation.apply)(spec, rng),
            Case::Schema(side, _, _, Change::Object(want, change)) => {
                object(spec, rng, *side, *want, *change)
            }
            Case::Schema(side, _, _, Change::Property(want, change)) => {
                property(spec, rng, *side, *want, *change)
            }
        }
    }
}

/// Every mutation: the operation-level ones, then each schema change on each side.
pub fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = MUTATIONS.iter().map(Case::Plain).collect();
    for change in SCHEMA_CHANGES {
        for (side, rules) in [
            (Side::Request, change.request),
            (Side::Response, change.response),
        ] {
            if let Some((rule, inverse)) = rules {
                cases.push(Case::Schema(side, rule, inverse, &change.change));
            }
        }
    }
    cases
}

const SCHEMA_CHANGES: &[SchemaChange] = &[
    SchemaChange {
        request: Some((
            Rule::NewRequiredRequestProperty,
            Some(Rule::RequestPropertyRemoved),
        )),
        response: Some((
            Rule::ResponseRequiredPropertyAdded,
            Some(Rule::ResponseRequiredPropertyRemoved),
        )),
        change: Change::Object(|_| true, |object, _| add_property(object, true)),
    },
    SchemaChange {
        request: Some((
            Rule::NewOptionalRequestProperty,
            Some(Rule::RequestPropertyRemoved),
        )),
        response: Some((
            Rule::ResponseOptionalPropertyAdded,
            Some(Rule::ResponseOptionalPropertyRemoved),
        )),
        change: Change::Object(|_| true, |object, _| add_property(object, false)),
    },
    SchemaChange {
        request: Some((
            Rule::RequestPropertyBecameRequired,
            Some(Rule::RequestPropertyBecameOptional),
        )),
        response: None,
        change: Change::Object(|_| true, make_required),
    },
    SchemaChange {
        request: None,
        response: Some((
            Rule::ResponsePropertyBecameOptional,
            Some(Rule::ResponsePropertyBecameRequired),
        )),
        change: Change::Object(|o| !required_names(o).is_empty(), make_optional),
    },
    SchemaChange {
        request: Some((
            Rule::RequestPropertyTypeChanged,
            Some(Rule::RequestPropertyTypeChanged),
        )),
        response: Some((
            Rule::ResponsePropertyTypeChanged,
            Some(Rule::ResponsePropertyTypeChanged),
        )),
        change: Change::Property(plain_string, |s| set_key(s, "type", json!("boolean"))),
    },
    SchemaChange {
        request: Some((
            Rule::RequestPropertyTypeWidened,
            Some(Rule::RequestPropertyTypeNarrowed),
        )),
        response: Some((
            Rule::ResponsePropertyTypeWidened,
            Some(Rule::ResponsePropertyTypeNarrowed),
        )),
        change: Change::Property(plain_integer, |s| set_key(s, "type", json!("number"))),
    },
    SchemaChange {
        request: Some((
            Rule::RequestPropertyEnumValueAdded,
            Some(Rule::RequestPropertyEnumValueRemoved),
        )),
        response: Some((
            Rule::ResponsePropertyEnumValueAdded,
            Some(Rule::ResponsePropertyEnumValueRemoved),
        )),
        change: Change::Property(string_enum, add_enum_value),
    },
    SchemaChange {
        request: Some((Rule::RequestPropertyBecameEnum, None)),
        response: Some((Rule::ResponsePropertyBecameEnum, None)),
        change: Change::Property(plain_string, make_enum),
    },
    SchemaChange {
        request: Some((
            Rule::RequestPropertyBecameNullable,
            Some(Rule::RequestPropertyBecameNonNullable),
        )),
        response: Some((
            Rule::ResponsePropertyBecameNullable,
            Some(Rule::ResponsePropertyBecameNonNullable),
        )),
        change: Change::Property(plain_string, |s| {
            set_key(s, "type", json!(["string", "null"]))
        }),
    },
    SchemaChange {
        request: Some((
            Rule::RequestPropertyConstraintTightened,
            Some(Rule::RequestPropertyConstraintRelaxed),
        )),
        response: Some((
            Rule::ResponsePropertyConstraintTightened,
            Some(Rule::ResponsePropertyConstraintRelaxed),
        )),
        change: Change::Property(
            |s| plain_string(s) && s.get("maxLength").is_none(),
            |s| set_key(s, "maxLength", json!(3)),
        ),
    },
    SchemaChange {
        request: Some((
            Rule::RequestPropertyDefaultChanged,
            Some(Rule::RequestPropertyDefaultChanged),
        )),
        response: None,
        change: Change::Property(
            |s| plain_string(s) && s.get("default").is_none(),
            |s| set_key(s, "default", json!("mutated")),
        ),
    },
    SchemaChange {
        request: Some((Rule::RequestPropertyBecameReadOnly, None)),
        response: None,
        change: Change::Property(
            |s| plain_string(s) && s.get("readOnly").is_none(),
            |s| set_key(s, "readOnly", json!(true)),
        ),
    },
    SchemaChange {
        request: None,
        response: Some((Rule::ResponsePropertyBecameWriteOnly, None)),
        change: Change::Property(
            |s| plain_string(s) && s.get("writeOnly").is_none(),
            |s| set_key(s, "writeOnly", json!(true)),
        ),
    },
    SchemaChange {
        request: Some((
            Rule::RequestUnionVariantAdded,
            Some(Rule::RequestUnionVariantRemoved),
        )),
        response: Some((
            Rule::ResponseUnionVariantAdded,
            Some(Rule::ResponseUnionVariantRemoved),
        )),
        change: Change::Property(union, add_branch),
    },
];

/// Rules no mutation here reaches, with why: options the invariant run does not set, or
/// changes that only exist as pairs of the two shapes.
pub const NOT_MUTATED: &[&str] = &[
    // Needs --deprecation-days, which this run does not set; the rule tests cover it.
    "sunset-too-soon",
    // --strict-docs only.
    "operation-description-changed",
    // Events named by a union (OpenAPI 3.2's `itemSchema`): no corpus spec has one to
    // change; the rule tests cover them.
    "stream-event-added",
    "stream-event-removed",
    "discriminator-changed",
    "property-description-changed",
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "options", "head", "trace",
];

const MUTATIONS: &[Mutation] = &[
    // Endpoints.
    Mutation {
        rule: Rule::EndpointAdded,
        inverse: Some(Rule::EndpointRemoved),
        apply: |spec, rng| {
            let candidates = operations_named_alone(spec, rng, |op| !deprecated(op), without);
            let (path, method) = pick(rng, candidates)?;
            // Added, seen from the spec without it.
            let mut before = spec.clone();
            before["paths"][&path].as_object_mut()?.remove(&method);
            Some(Applied {
                before,
                after: spec.clone(),
                operation: label(&path, &method),
            })
        },
    },
    Mutation {
        rule: Rule::EndpointRemoved,
        inverse: Some(Rule::EndpointAdded),
        apply: |spec, rng| {
            let candidates = operations_named_alone(spec, rng, |op| !deprecated(op), without);
            let (path, method) = pick(rng, candidates)?;
            mutate(spec, &path, &method, |after, op_at| {
                remove_at(after, op_at);
                Some(())
            })
        },
    },
    Mutation {
        rule: Rule::DeprecatedEndpointRemoved,
        inverse: Some(Rule::EndpointAdded),
        apply: |spec, rng| {
            let candidates = operations_named_alone(spec, rng, |_| true, without);
            let (path, method) = pick(rng, candidates)?;
            let mut before = spec.clone();
            let op = before
                .pointer_mut(&op_pointer(&path, &method))?
                .as_object_mut()?;
            op.insert("deprecated".into(), json!(true));
            op.remove("x-sunset");
            let mut after = before.clone();
            remove_at(&mut after, &op_pointer(&path, &method));
            Some(Applied {
                before,
                after,
                operation: label(&path, &method),
            })
        },
    },
    Mutation {
        rule: Rule::EndpointRemovedBeforeSunset,
        inverse: Some(Rule::EndpointAdded),
        apply: |spec, rng| {
            let candidates = operations_named_alone(spec, rng, |_| true, without);
            let (path, method) = pick(rng, candidates)?;
            let mut before = spec.clone();
            let op = before
                .pointer_mut(&op_pointer(&path, &method))?
                .as_object_mut()?;
            op.insert("deprecated".into(), json!(true));
            op.insert("x-sunset".into(), json!("2999-01-01"));
            let mut after = before.clone();
            remove_at(&mut after, &op_pointer(&path, &method));
            Some(Applied {
                before,
                after,
                operation: label(&path, &method),
            })
        },
    },
    Mutation {
        rule: Rule::EndpointDeprecated,
        inverse: None,
        apply: |spec, rng| {
            let (path, method) = pick(rng, operations(spec, |op| !deprecated(op)))?;
            mutate(spec, &path, &method, |after, op_at| {
                set(after, op_at, "deprecated", json!(true))
            })
        },
    },
    Mutation {
        rule: Rule::OperationIdChanged,
        inverse: Some(Rule::OperationIdChanged),
        apply: |spec, rng| {
            let name = format!("mutated_operation_{}", rng.u32(..));
            let rename = |spec: &mut Value, path: &str, method: &str| {
                spec["paths"][path][method]["operationId"] = json!(name);
            };
            let candidates = operations_named_alone(spec, rng, |_| true, rename);
            let (path, method) = pick(rng, candidates)?;
            mutate(spec, &path, &method, |after, op_at| {
                set(after, op_at, "operationId", json!(name))
            })
        },
    },
    // Parameters.
    Mutation {
        rule: Rule::NewRequiredRequestParameter,
        inverse: Some(Rule::RequestParameterRemoved),
        apply: |spec, rng| add_parameter(spec, rng, true),
    },
    Mutation {
        rule: Rule::NewOptionalRequestParameter,
        inverse: Some(Rule::RequestParameterRemoved),
        apply: |spec, rng| add_parameter(spec, rng, false),
    },
    Mutation {
        rule: Rule::RequestParameterRemoved,
        inverse: Some(Rule::NewOptionalRequestParameter),
        apply: |spec, rng| {
            parameter(
                spec,
                rng,
                |p| p["in"] == "query" && p.get("required") != Some(&json!(true)),
                |params, index, _| {
                    params.remove(index);
                    Some(())
                },
            )
        },
    },
    Mutation {
        rule: Rule::RequestParameterBecameRequired,
        inverse: Some(Rule::RequestParameterBecameOptional),
        apply: |spec, rng| {
            parameter(
                spec,
                rng,
                |p| p["in"] == "query" && p.get("required") != Some(&json!(true)),
                |params, index, _| {
                    params[index]["required"] = json!(true);
                    Some(())
                },
            )
        },
    },
    Mutation {
        rule: Rule::RequestParameterDeprecated,
        inverse: None,
        apply: |spec, rng| {
            parameter(
                spec,
                rng,
                |p| p.get("deprecated") != Some(&json!(true)),
                |params, index, _| {
                    params[index]["deprecated"] = json!(true);
                    Some(())
                },
            )
        },
    },
    Mutation {
        rule: Rule::RequestParameterTypeChanged,
        inverse: Some(Rule::RequestParameterTypeChanged),
        apply: |spec, rng| {
            parameter_schema(spec, rng, plain_string, |schema| {
                set_key(schema, "type", json!("boolean"))
            })
        },
    },
    Mutation {
        rule: Rule::RequestParameterEnumValueAdded,
        inverse: Some(Rule::RequestParameterEnumValueRemoved),
        apply: |spec, rng| parameter_schema(spec, rng, string_enum, add_enum_value),
    },
    Mutation {
        rule: Rule::RequestParameterEnumValueRemoved,
        inverse: Some(Rule::RequestParameterEnumValueAdded),
        apply: |spec, rng| {
            parameter_schema(
                spec,
                rng,
                |s| string_enum(s) && s["enum"].as_array().is_some_and(|v| v.len() >= 3),
                remove_enum_value,
            )
        },
    },
    Mutation {
        rule: Rule::RequestParameterBecameEnum,
        inverse: None,
        apply: |spec, rng| parameter_schema(spec, rng, plain_string, make_enum),
    },
    Mutation {
        rule: Rule::RequestParameterConstraintTightened,
        inverse: Some(Rule::RequestParameterConstraintRelaxed),
        apply: |spec, rng| {
            parameter_schema(
                spec,
                rng,
                |s| plain_string(s) && s.get("maxLength").is_none(),
                |schema| set_key(schema, "maxLength", json!(3)),
            )
        },
    },
    Mutation {
        rule: Rule::RequestParameterConstraintRelaxed,
        inverse: Some(Rule::RequestParameterConstraintTightened),
        apply: |spec, rng| {
            parameter_schema(
                spec,
                rng,
                |s| s.get("maxLength").is_some_and(Value::is_u64),
                |schema| {
                    set_key(
                        schema,
                        "maxLength",
                        json!(schema["maxLength"].as_u64()? + 1000),
                    )
                },
            )
        },
    },
    Mutation {
        rule: Rule::RequestParameterDefaultChanged,
        inverse: Some(Rule::RequestParameterDefaultChanged),
        apply: |spec, rng| {
            parameter_schema(
                spec,
                rng,
                |s| plain_string(s) && s.get("default").is_none(),
                |schema| set_key(schema, "default", json!("mutated")),
            )
        },
    },
    // The request body.
    Mutation {
        rule: Rule::RequestBodyRemoved,
        inverse: Some(Rule::RequestBodyAdded),
        apply: |spec, rng| {
            let (path, method) = pick(rng, operations(spec, |op| op.get("requestBody").is_some()))?;
            mutate(spec, &path, &method, |after, op_at| {
                after
                    .pointer_mut(op_at)?
                    .as_object_mut()?
                    .remove("requestBody");
                Some(())
            })
        },
    },
    Mutation {
        rule: Rule::RequestBodyBecameRequired,
        inverse: Some(Rule::RequestBodyBecameOptional),
        apply: |spec, rng| {
            let (path, method) = pick(
                rng,
                operations(spec, |op| {
                    op.get("requestBody").is_some_and(|b| {
                        b.get("$ref").is_none() && b.get("required") != Some(&json!(true))
                    })
                }),
            )?;
            mutate(spec, &path, &method, |after, op_at| {
                set(
                    after,
                    &format!("{op_at}/requestBody"),
                    "required",
                    json!(true),
                )
            })
        },
    },
    Mutation {
        rule: Rule::RequestMediaTypeAdded,
        inverse: Some(Rule::RequestMediaTypeRemoved),
        apply: |spec, rng| {
            let (path, method) = pick(
                rng,
                operations(spec, |op| {
                    op.pointer("/requestBody/content")
                        .is_some_and(Value::is_object)
                }),
            )?;
            mutate(spec, &path, &method, |after, op_at| {
                set(
                    after,
                    &format!("{op_at}/requestBody/content"),
                    "application/x-mutated",
                    json!({"schema": {"type": "string"}}),
                )
            })
        },
    },
    // Responses.
    Mutation {
        rule: Rule::ResponseSuccessStatusRemoved,
        inverse: Some(Rule::ResponseSuccessStatusAdded),
        apply: |spec, rng| {
            let (path, method) = pick(
                rng,
                operations(spec, |op| {
                    op.get("responses")
                        .and_then(Value::as_object)
                        .is_some_and(|r| r.keys().any(|k| k.starts_with('2')))
                }),
            )?;
            mutate(spec, &path, &method, |after, op_at| {
                let responses = after
                    .pointer_mut(&format!("{op_at}/responses"))?
                    .as_object_mut()?;
                let status = responses.keys().find(|k| k.starts_with('2'))?.clone();
                responses.shift_remove(&status);
                Some(())
            })
        },
    },
    Mutation {
        rule: Rule::ResponseErrorStatusAdded,
        inverse: Some(Rule::ResponseErrorStatusRemoved),
        apply: |spec, rng| {
            let (path, method) = pick(
                rng,
                operations(spec, |op| {
                    op.get("responses")
                        .and_then(Value::as_object)
                        .is_some_and(|r| !r.contains_key("418"))
                }),
            )?;
            mutate(spec, &path, &method, |after, op_at| {
                set(
                    after,
                    &format!("{op_at}/responses"),
                    "418",
                    json!({"description": "mutated"}),
                )
            })
        },
    },
    Mutation {
        rule: Rule::ResponseMediaTypeRemoved,
        inverse: None,
        apply: |spec, rng| {
            let (path, method, status) = pick(
                rng,
                responses(spec, |r| {
                    r.get("content")
                        .and_then(Value::as_object)
                        .is_some_and(|c| !c.is_empty())
                }),
            )?;
            mutate(spec, &path, &method, |after, op_at| {
                let content = after
                    .pointer_mut(&format!("{op_at}/responses/{}/content", escape(&status)))?
                    .as_object_mut()?;
                let media = content.keys().next()?.clone();
                content.shift_remove(&media);
                Some(())
            })
        },
    },
    Mutation {
        rule: Rule::ResponseStreamAdded,
        inverse: Some(Rule::ResponseMediaTypeRemoved),
        apply: |spec, rng| {
            let streams = |r: &Value| {
                r.get("content")
                    .and_then(Value::as_object)
                    .is_some_and(|c| {
                        c.keys()
                            .any(|media| nx1_codegen::StreamFraming::of(media).is_some())
                    })
            };
            let candidates = responses(spec, |r| !streams(r))
                .into_iter()
                .filter(|(_, _, status)| status.starts_with('2'))
                .collect();
            let (path, method, status) = pick(rng, candidates)?;
            mutate(spec, &path, &method, |after, op_at| {
                let response = after
                    .pointer_mut(&format!("{op_at}/responses/{}", escape(&status)))?
                    .as_object_mut()?;
                let content = response.entry("content").or_insert_with(|| json!({}));
                content.as_object_mut()?.insert(
                    "text/event-stream".into(),
                    json!({"schema": {"type": "object"}}),
                );
                Some(())
            })
        },
    },
    Mutation {
        rule: Rule::ResponseHeaderAdded,
        inverse: Some(Rule::ResponseHeaderRemoved),
        apply: |spec, rng| {
            let (path, method, status) = pick(
                rng,
                responses(spec, |r| r.pointer("/headers/X-Mutated").is_none()),
            )?;
            mutate(spec, &path, &method, |after, op_at| {
                let response = after
                    .pointer_mut(&format!("{op_at}/responses/{}", escape(&status)))?
                    .as_object_mut()?;
                let headers = response.entry("headers").or_insert_with(|| json!({}));
                headers
                    .as_object_mut()?
                    .insert("X-Mutated".into(), json!({"schema": {"type": "string"}}));
                Some(())
            })
        },
    },
    // Security.
    Mutation {
        rule: Rule::SecurityChanged,
        inverse: Some(Rule::SecurityChanged),
        apply: |spec, rng| {
            let (path, method) = pick(rng, operations(spec, |_| true))?;
            mutate(spec, &path, &method, |after, op_at| {
                set(after, op_at, "security", json!([{"MutatedScheme": []}]))
            })
        },
    },
    Mutation {
        rule: Rule::SecurityAlternativeAdded,
        inverse: Some(Rule::SecurityChanged),
        apply: |spec, rng| {
            let candidates = operations(spec, |_| true)
                .into_iter()
                .filter(|(path, method)| !security_of(spec, path, method).is_empty())
                .collect();
            let (path, method) = pick(rng, candidates)?;
            let mut alternatives = security_of(spec, &path, &method);
            alternatives.push(json!({"MutatedScheme": []}));
            mutate(spec, &path, &method, |after, op_at| {
                set(after, op_at, "security", Value::Array(alternatives))
            })
        },
    },
    Mutation {
        rule: Rule::SecurityScopeAdded,
        inverse: Some(Rule::SecurityScopeRemoved),
        apply: |spec, rng| {
            let candidates = operations(spec, |_| true)
                .into_iter()
                .filter(|(path, method)| {
                    security_of(spec, path, method)
                        .iter()
                        .any(|alternative| alternative.as_object().is_some_and(|a| !a.is_empty()))
                })
                .collect();
            let (path, method) = pick(rng, candidates)?;
            let mut alternatives = security_of(spec, &path, &method);
            let alternative = alternatives
                .iter_mut()
                .find(|alternative| alternative.as_object().is_some_and(|a| !a.is_empty()))?;
            let scopes = alternative.as_object_mut()?.values_mut().next()?;
            scopes.as_array_mut()?.push(json!("mutated:scope"));
            mutate(spec, &path, &method, |after, op_at| {
                set(after, op_at, "security", Value::Array(alternatives))
            })
        },
    },
];

// -----------------------------------------------------------------------------------------
// Places.

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn op_pointer(path: &str, method: &str) -> String {
    format!("/paths/{}/{method}", escape(path))
}

fn label(path: &str, method: &str) -> String {
    format!("{} {path}", method.to_ascii_uppercase())
}

fn deprecated(op: &Value) -> bool {
    op.get("deprecated") == Some(&json!(true))
}

fn pick<T>(rng: &mut Rng, mut items: Vec<T>) -> Option<T> {
    if items.is_empty() {
        return None;
    }
    let index = rng.usize(..items.len());
    Some(items.swap_remove(index))
}

/// Every operation (path, method) for which `keep` holds.
fn operations(spec: &Value, keep: impl Fn(&Value) -> bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            if let Some(op) = item.get(method)
                && op.is_object()
                && keep(op)
            {
                out.push((path.clone(), method.to_owned()));
            }
        }
    }
    out
}

/// [`operations`] for which `change` (removing the operation, say) leaves the client method
/// of every other operation named as before. The generator keeps method names unique, so
/// adding, removing or renaming one of two operations whose names collide (FastAPI's
/// `get_x_items_get` and `get_x_items__id__get` both tidy to `get_x`) renames the other
/// too, which drift rightly reports as a second change: such a mutation would not be one
/// rule's alone. Tried in random order; the first few that pass.
fn operations_named_alone(
    spec: &Value,
    rng: &mut Rng,
    keep: impl Fn(&Value) -> bool,
    change: impl Fn(&mut Value, &str, &str),
) -> Vec<(String, String)> {
    let names = |value: &Value| -> BTreeMap<(String, String), String> {
        nx1_codegen::tidy(&mut value.clone())
            .into_iter()
            .map(|op| ((op.path, op.method), op.name))
            .collect()
    };
    let before = names(spec);
    let mut candidates = operations(spec, keep);
    rng.shuffle(&mut candidates);
    candidates
        .into_iter()
        .take(8)
        .filter(|(path, method)| {
            let mut changed = spec.clone();
            change(&mut changed, path, method);
            names(&changed).iter().all(|(key, name)| {
                key == &(path.clone(), method.clone()) || before.get(key) == Some(name)
            })
        })
        .collect()
}

/// Removes one operation (the change behind the endpoint mutations).
fn without(spec: &mut Value, path: &str, method: &str) {
    remove_at(spec, &op_pointer(path, method));
}

/// Every inline response (path, method, status) for which `keep` holds.
fn responses(spec: &Value, keep: impl Fn(&Value) -> bool) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (path, method) in operations(spec, |_| true) {
        let op = &spec["paths"][&path][&method];
        for (status, response) in op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if response.get("$ref").is_none() && keep(response) {
                out.push((path.clone(), method.clone(), status.clone()));
            }
        }
    }
    out
}

/// The spec with `change` made to one operation.
fn mutate(
    spec: &Value,
    path: &str,
    method: &str,
    change: impl FnOnce(&mut Value, &str) -> Option<()>,
) -> Option<Applied> {
    let mut after = spec.clone();
    change(&mut after, &op_pointer(path, method))?;
    (after != *spec).then(|| Applied {
        before: spec.clone(),
        after,
        operation: label(path, method),
    })
}

fn remove_at(spec: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let key = key.replace("~1", "/").replace("~0", "~");
    if let Some(parent) = spec.pointer_mut(parent).and_then(Value::as_object_mut) {
        parent.shift_remove(&key);
    }
}

fn set(spec: &mut Value, pointer: &str, key: &str, value: Value) -> Option<()> {
    spec.pointer_mut(pointer)?
        .as_object_mut()?
        .insert(key.into(), value);
    Some(())
}

fn set_key(schema: &mut Value, key: &str, value: Value) -> Option<()> {
    schema.as_object_mut()?.insert(key.into(), value);
    Some(())
}

fn security_of(spec: &Value, path: &str, method: &str) -> Vec<Value> {
    let op = &spec["paths"][path][method];
    op.get("security")
        .or_else(|| spec.get("security"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

// -----------------------------------------------------------------------------------------
// Schemas, isolated before they change.

/// Where a schema slot really is: inside a nullable wrapper (`anyOf: [X, {type: null}]`),
/// the one branch that is not null.
fn unwrap_slot(spec: &Value, pointer: &str) -> String {
    let Some(value) = spec.pointer(pointer) else {
        return pointer.to_owned();
    };
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(branches) = value.get(key).and_then(Value::as_array) {
            let real: Vec<usize> = (0..branches.len())
                .filter(|&i| branches[i].get("type") != Some(&json!("null")))
                .collect();
            if let [index] = real[..]
                && value.get("properties").is_none()
            {
                return format!("{pointer}/{key}/{index}");
            }
        }
    }
    pointer.to_owned()
}

/// The schema a slot holds, through wrappers and `$ref`s, read only.
fn view<'a>(spec: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut at = unwrap_slot(spec, pointer);
    for _ in 0..8 {
        let value = spec.pointer(&at)?;
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => at = unwrap_slot(spec, reference.strip_prefix('#')?),
            None => return Some(value),
        }
    }
    None
}

/// Makes the slot's schema its own: every `$ref` on the way is replaced by a reference to
/// a fresh copy of its target. Returns where the schema now is.
fn isolate(spec: &mut Value, pointer: &str, rng: &mut Rng) -> Option<String> {
    let mut at = unwrap_slot(spec, pointer);
    for _ in 0..8 {
        let value = spec.pointer(&at)?;
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return Some(at);
        };
        let target = reference.strip_prefix("#/components/schemas/")?;
        if target.contains('/') {
            return None;
        }
        let copy = spec.pointer(reference.strip_prefix('#')?)?.clone();
        let fresh = format!("{target}Mutated{}", rng.u32(..));
        spec.pointer_mut("/components/schemas")?
            .as_object_mut()?
            .insert(fresh.clone(), copy);
        spec.pointer_mut(&at)?.as_object_mut()?.insert(
            "$ref".into(),
            json!(format!("#/components/schemas/{fresh}")),
        );
        at = unwrap_slot(spec, &format!("/components/schemas/{}", escape(&fresh)));
    }
    None
}

#[derive(Clone, Copy, PartialEq)]
pub enum Side {
    Request,
    Response,
}

/// The JSON body schema slots of one side: (path, method, pointer to the slot).
fn bodies(spec: &Value, side: Side) -> Vec<(String, String, String)> {
    let json = escape("application/json");
    let mut out = Vec::new();
    for (path, method) in operations(spec, |_| true) {
        let op_at = op_pointer(&path, &method);
        match side {
            Side::Request => {
                let at = format!("{op_at}/requestBody/content/{json}/schema");
                if spec.pointer(&at).is_some() {
                    out.push((path, method, at));
                }
            }
            Side::Response => {
                let op = &spec["paths"][&path][&method];
                for status in op
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(s, _)| s)
                {
                    if !status.starts_with('2') {
                        continue;
                    }
                    let at = format!("{op_at}/responses/{}/content/{json}/schema", escape(status));
                    if spec.pointer(&at).is_some() {
                        out.push((path.clone(), method.clone(), at));
                    }
                }
            }
        }
    }
    out
}

fn is_object(schema: &Value) -> bool {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty())
        && schema.get("allOf").is_none()
        && schema.get("oneOf").is_none()
        && schema.get("anyOf").is_none()
}

pub fn required_names(schema: &Value) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A change to a body's top-level object (isolated), on one operation chosen at random.
fn object(
    spec: &Value,
    rng: &mut Rng,
    side: Side,
    want: fn(&Value) -> bool,
    change: fn(&mut Map<String, Value>, &mut Rng) -> Option<()>,
) -> Option<Applied> {
    let mut candidates: Vec<_> = bodies(spec, side)
        .into_iter()
        .filter(|(_, _, at)| view(spec, at).is_some_and(|s| is_object(s) && want(s)))
        .collect();
    rng.shuffle(&mut candidates);
    for (path, method, at) in candidates {
        let mut after = spec.clone();
        let Some(object_at) = isolate(&mut after, &at, rng) else {
            continue;
        };
        let Some(object) = after.pointer_mut(&object_at).and_then(Value::as_object_mut) else {
            continue;
        };
        if change(object, rng).is_some() {
            return Some(Applied {
                before: spec.clone(),
                after,
                operation: label(&path, &method),
            });
        }
    }
    None
}

/// A change to one property (isolated) of a body's top-level object.
fn property(
    spec: &Value,
    rng: &mut Rng,
    side: Side,
    want: fn(&Value) -> bool,
    change: fn(&mut Value) -> Option<()>,
) -> Option<Applied> {
    let mut candidates: Vec<(String, String, String, String)> = Vec::new();
    for (path, method, at) in bodies(spec, side) {
        let Some(object) = view(spec, &at).filter(|s| is_object(s)) else {
            continue;
        };
        for (name, slot) in object["properties"].as_object().into_iter().flatten() {
            // A property already nullable by its wrapper would hide a nullability change.
            if nullable_wrapper(slot) {
                continue;
            }
            let direct = spec_view(spec, slot);
            if direct.is_some_and(want) {
                candidates.push((path.clone(), method.clone(), at.clone(), name.clone()));
            }
        }
    }
    rng.shuffle(&mut candidates);
    for (path, method, at, name) in candidates {
        let mut after = spec.clone();
        let Some(object_at) = isolate(&mut after, &at, rng) else {
            continue;
        };
        let slot = format!("{object_at}/properties/{}", escape(&name));
        let Some(property_at) = isolate(&mut after, &slot, rng) else {
            continue;
        };
        let Some(schema) = after.pointer_mut(&property_at) else {
            continue;
        };
        if change(schema).is_some() {
            return Some(Applied {
                before: spec.clone(),
                after,
                operation: label(&path, &method),
            });
        }
    }
    None
}

fn nullable_wrapper(slot: &Value) -> bool {
    ["anyOf", "oneOf"].iter().any(|key| {
        slot.get(*key)
            .and_then(Value::as_array)
            .is_some_and(|branches| {
                branches
                    .iter()
                    .any(|b| b.get("type") == Some(&json!("null")))
            })
    }) || slot.get("nullable") == Some(&json!(true))
}

/// A property's schema through a wrapper and `$ref`s.
fn spec_view<'a>(spec: &'a Value, slot: &'a Value) -> Option<&'a Value> {
    let mut value = slot;
    for _ in 0..8 {
        if let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            value = spec.pointer(reference.strip_prefix('#')?)?;
            continue;
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(branches) = value.get(key).and_then(Value::as_array) {
                let real: Vec<&Value> = branches
                    .iter()
                    .filter(|b| b.get("type") != Some(&json!("null")))
                    .collect();
                if let [only] = real[..] {
                    value = only;
                    continue;
                }
            }
        }
        return Some(value);
    }
    None
}

/// One operation-level parameter (inline) that `want` accepts, changed in its list.
fn parameter(
    spec: &Value,
    rng: &mut Rng,
    want: fn(&Value) -> bool,
    change: fn(&mut Vec<Value>, usize, &mut Rng) -> Option<()>,
) -> Option<Applied> {
    let mut candidates = Vec::new();
    for (path, method) in operations(spec, |_| true) {
        let op = &spec["paths"][&path][&method];
        for (index, parameter) in op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if parameter.get("$ref").is_none() && parameter.get("in").is_some() && want(parameter) {
                candidates.push((path.clone(), method.clone(), index));
            }
        }
    }
    let (path, method, index) = pick(rng, candidates)?;
    mutate(spec, &path, &method, |after, op_at| {
        let list = after
            .pointer_mut(&format!("{op_at}/parameters"))?
            .as_array_mut()?;
        change(list, index, rng)
    })
}

/// One operation-level parameter's schema (isolated) that `want` accepts, changed.
fn parameter_schema(
    spec: &Value,
    rng: &mut Rng,
    want: fn(&Value) -> bool,
    change: fn(&mut Value) -> Option<()>,
) -> Option<Applied> {
    let mut candidates = Vec::new();
    for (path, method) in operations(spec, |_| true) {
        let op = &spec["paths"][&path][&method];
        for (index, parameter) in op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            // A `default` on a nullable wrapper (`anyOf: [X, null]`, FastAPI's optional
            // parameter) is the parameter's default: a change made inside `X` would be
            // shadowed by it and mean nothing.
            if parameter.get("$ref").is_none()
                && let Some(schema) = parameter.get("schema")
                && let Some(view) = spec_view(spec, schema)
                && want(view)
                && (std::ptr::eq(view, schema) || schema.get("default").is_none())
            {
                candidates.push((path.clone(), method.clone(), index));
            }
        }
    }
    let (path, method, index) = pick(rng, candidates)?;
    let mut after = spec.clone();
    let slot = format!("{}/parameters/{index}/schema", op_pointer(&path, &method));
    let at = isolate(&mut after, &slot, rng)?;
    change(after.pointer_mut(&at)?)?;
    Some(Applied {
        before: spec.clone(),
        after,
        operation: label(&path, &method),
    })
}

fn add_parameter(spec: &Value, rng: &mut Rng, required: bool) -> Option<Applied> {
    let (path, method) = pick(rng, operations(spec, |_| true))?;
    mutate(spec, &path, &method, |after, op_at| {
        let op = after.pointer_mut(op_at)?.as_object_mut()?;
        let list = op.entry("parameters").or_insert_with(|| json!([]));
        list.as_array_mut()?.push(json!({
            "name": "mutated_parameter", "in": "query", "required": required,
            "schema": {"type": "string"}
        }));
        Some(())
    })
}

// -----------------------------------------------------------------------------------------
// What a schema must be for a change, and the changes.

fn plain_string(schema: &Value) -> bool {
    schema.get("type") == Some(&json!("string"))
        && ["enum", "const", "format", "pattern"]
            .iter()
            .all(|k| schema.get(*k).is_none())
}

fn plain_integer(schema: &Value) -> bool {
    schema.get("type") == Some(&json!("integer")) && schema.get("enum").is_none()
}

fn string_enum(schema: &Value) -> bool {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| !values.is_empty() && values.iter().all(Value::is_string))
}

fn union(schema: &Value) -> bool {
    ["oneOf", "anyOf"].iter().any(|key| {
        schema
            .get(*key)
            .and_then(Value::as_array)
            .is_some_and(|branches| {
                branches
                    .iter()
                    .filter(|b| b.get("type") != Some(&json!("null")))
                    .count()
                    >= 2
            })
    })
}

fn add_enum_value(schema: &mut Value) -> Option<()> {
    schema
        .get_mut("enum")?
        .as_array_mut()?
        .push(json!("mutated-value"));
    Some(())
}

/// Removes a value other than the default (a default outside the enum is dropped).
fn remove_enum_value(schema: &mut Value) -> Option<()> {
    let default = schema.get("default").cloned();
    let values = schema.get_mut("enum")?.as_array_mut()?;
    let index = values
        .iter()
        .rposition(|value| Some(value) != default.as_ref())?;
    values.remove(index);
    Some(())
}

/// A free string made an enum that still holds its default.
fn make_enum(schema: &mut Value) -> Option<()> {
    let mut values = vec![json!("mutated-a"), json!("mutated-b")];
    values.extend(schema.get("default").filter(|d| d.is_string()).cloned());
    set_key(schema, "enum", Value::Array(values))
}

fn add_branch(schema: &mut Value) -> Option<()> {
    let key = ["oneOf", "anyOf"]
        .into_iter()
        .find(|k| schema.get(*k).is_some())?;
    schema.get_mut(key)?.as_array_mut()?.push(json!({
        "type": "object",
        "properties": {"mutated_variant": {"type": "string"}},
        "required": ["mutated_variant"]
    }));
    Some(())
}

fn add_property(object: &mut Map<String, Value>, required: bool) -> Option<()> {
    let properties = object.get_mut("properties")?.as_object_mut()?;
    if properties.contains_key("mutated_field") {
        return None;
    }
    properties.insert("mutated_field".into(), json!({"type": "string"}));
    if required {
        let list = object.entry("required").or_insert_with(|| json!([]));
        list.as_array_mut()?.push(json!("mutated_field"));
    }
    Some(())
}

fn make_required(object: &mut Map<String, Value>, rng: &mut Rng) -> Option<()> {
    let required = required_names(&Value::Object(object.clone()));
    let optional: Vec<String> = object
        .get("properties")?
        .as_object()?
        .keys()
        .filter(|name| !required.contains(name))
        .cloned()
        .collect();
    let name = pick(rng, optional)?;
    let list = object.entry("required").or_insert_with(|| json!([]));
    list.as_array_mut()?.push(json!(name));
    Some(())
}

fn make_optional(object: &mut Map<String, Value>, rng: &mut Rng) -> Option<()> {
    let list = object.get_mut("required")?.as_array_mut()?;
    if list.is_empty() {
        return None;
    }
    let index = rng.usize(..list.len());
    list.remove(index);
    Some(())
}
