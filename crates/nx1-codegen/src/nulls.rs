//! Optional properties that may be null are written as `null` when unset, as pydantic's
//! `model_dump` (and so FastAPI's response models) writes them. typify skips every unset
//! optional property; for a property whose schema allows `null` and whose default is
//! `null` (or absent), the server's types drop the skip, so its answers carry the fields
//! FastAPI's carry. The client's types keep it: in a request, absent and `null` may mean
//! different things (leave as is, clear).

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use syn::{Fields, Item};

/// Rust struct name → the JSON names of its properties to write as `null`.
pub(crate) type NullFields = HashMap<String, HashSet<String>>;

/// The properties of each component schema of `original` (the spec as loaded) that pydantic
/// would write as `null` when unset; `components` maps schema names to Rust type names.
pub(crate) fn null_fields(original: &Value, components: &[(String, String)]) -> NullFields {
    let mut fields = NullFields::new();
    let Some(schemas) = original
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return fields;
    };
    for (name, rust) in components {
        let Some(schema) = schemas.get(name) else {
            continue;
        };
        let required: HashSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            continue;
        };
        let nulls: HashSet<String> = properties
            .iter()
            .filter(|(property, sub)| {
                !required.contains(property.as_str())
                    && allows_null(original, sub)
                    && sub.get("default").is_none_or(Value::is_null)
            })
            .map(|(property, _)| property.clone())
            .collect();
        if !nulls.is_empty() {
            fields.insert(rust.clone(), nulls);
        }
    }
    fields
}

/// `anyOf: [X, {type: "null"}]` or `type: [X, "null"]`: how 3.1 (and so FastAPI) says a
/// value may be null. 3.0's `nullable: true` is left out: a 3.1 document that still
/// carries it does not allow null by JSON Schema's rules, and 3.0 servers that honour it
/// do not all write unset fields as null.
///
/// A `$ref` and its siblings must all hold (2020-12): `{$ref: X, type: [object, null]}`
/// allows null only if `X` does too.
fn allows_null(root: &Value, schema: &Value) -> bool {
    let null_type = |value: &Value| match value.get("type") {
        Some(Value::String(kind)) => kind == "null",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "null"),
        _ => false,
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer));
        let mut own = schema.clone();
        if let Some(own) = own.as_object_mut() {
            own.remove("$ref");
        }
        return !own.as_object().is_some_and(serde_json::Map::is_empty)
            && allows_null(root, &own)
            && target.is_some_and(|target| allows_null(root, target));
    }
    null_type(schema)
        || ["anyOf", "oneOf"].iter().any(|key| {
            schema
                .get(key)
                .and_then(Value::as_array)
                .is_some_and(|branches| branches.iter().any(null_type))
        })
}

/// Drops `skip_serializing_if` from the fields named in `nulls`, in the structs of `items`
/// (a `types` module's items).
pub(crate) fn keep_nulls(items: &mut [Item], nulls: &NullFields) {
    for item in items {
        let Item::Struct(strukt) = item else { continue };
        let Some(names) = nulls.get(&strukt.ident.to_string()) else {
            continue;
        };
        let Fields::Named(fields) = &mut strukt.fields else {
            continue;
        };
        for field in &mut fields.named {
            let json_name = serde_rename(&field.attrs)
                .or_else(|| field.ident.as_ref().map(|ident| ident.to_string()))
                .unwrap_or_default();
            let json_name = json_name
                .strip_prefix("r#")
                .unwrap_or(&json_name)
                .to_owned();
            if !names.contains(&json_name) {
                continue;
            }
            for attr in &mut field.attrs {
                if let Some(kept) = without_skip(attr) {
                    *attr = kept;
                }
            }
            field.attrs.retain(|attr| !is_empty_serde(attr));
        }
    }
}

/// The `rename = "…"` of a field's `#[serde(...)]`.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut rename = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                rename = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    rename
}

/// The attribute rebuilt without `skip_serializing_if`, when it is a `#[serde]` that has one.
fn without_skip(attr: &syn::Attribute) -> Option<syn::Attribute> {
    if !attr.path().is_ident("serde") {
        return None;
    }
    let mut kept: Vec<proc_macro2::TokenStream> = Vec::new();
    let mut found = false;
    attr.parse_nested_meta(|meta| {
        let path = meta.path.clone();
        if meta.input.peek(syn::Token![=]) {
            let value: syn::Expr = meta.value()?.parse()?;
            if path.is_ident("skip_serializing_if") {
                found = true;
            } else {
                kept.push(quote::quote!(#path = #value));
            }
        } else {
            kept.push(quote::quote!(#path));
        }
        Ok(())
    })
    .ok()?;
    found.then(|| syn::parse_quote!(#[serde(#(#kept),*)]))
}

fn is_empty_serde(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("serde")
        && matches!(&attr.meta, syn::Meta::List(list) if list.tokens.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_nullable_optionals_are_written_as_null() {
        let original = serde_json::json!({"components": {"schemas": {"Job": {
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Note"},
                "tags": {"type": ["array", "null"], "default": null},
                "kind": {"type": "string"},
                "level": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 3},
            }
        }}}});
        let nulls = null_fields(&original, &[("Job".into(), "Job".into())]);
        let expected: HashSet<String> = ["note", "tags"].map(str::to_owned).into();
        assert_eq!(nulls["Job"], expected);

        let mut file: syn::File = syn::parse_quote! {
            pub struct Job {
                pub id: String,
                #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
                pub note: Option<String>,
                #[serde(rename = "tags", skip_serializing_if = "::std::option::Option::is_none")]
                pub tags_: Option<Vec<String>>,
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub kind: Option<String>,
            }
        };
        keep_nulls(&mut file.items, &nulls);
        let out = prettyplease::unparse(&file);
        assert!(out.contains("#[serde(default)]\n    pub note"), "{out}");
        assert!(
            out.contains("#[serde(rename = \"tags\")]\n    pub tags_"),
            "{out}"
        );
        assert_eq!(out.matches("skip_serializing_if").count(), 1, "{out}");
    }
}
