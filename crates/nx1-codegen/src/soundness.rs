//! What rustc would refuse in generated code, found in the code itself and mended there,
//! whatever shape of spec produced it.
//!
//! Two properties of one object whose Rust names are the same after sanitising (`guid`,
//! `Guid`, `_guid`) give a struct two fields `guid` (E0124), and typify's builders two
//! methods and two initialisers of that name. Which spellings collide is typify's business;
//! the duplicates are plain to see in its output. The later ones become `guid_2`,
//! `guid_3` (their JSON names kept by `#[serde(rename)]`), in the struct and in every
//! item of every impl of a type of that name, occurrence by occurrence: typify writes a
//! struct's fields, its builder's fields, methods and initialisers in one order.
//! Likewise conflicting `From` impls (one is kept), derives a member type cannot satisfy
//! (dropped from the outer type) and recursive optionals typify writes as `null`.

use std::collections::{HashMap, HashSet};

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident};
use syn::visit_mut::{self, VisitMut};
use syn::{Fields, ImplItem, Item, Member, Type};

/// Per type name: (field, occurrence from 2, new name).
type Renames = HashMap<String, Vec<(String, usize, String)>>;

/// `tokens` (a whole client or a `types` module) mended; returned unchanged when they do
/// not parse (rustc will then say why).
pub(crate) fn mend(tokens: TokenStream) -> TokenStream {
    let Ok(mut file) = syn::parse2::<syn::File>(tokens.clone()) else {
        return tokens;
    };
    let mut renames = Renames::new();
    // Serde structs first: they know which field's JSON name is its Rust name, and other
    // structs of the same name (typify's builders) follow their plan.
    structs(&mut file.items, &mut renames, true);
    structs(&mut file.items, &mut renames, false);
    impls(&mut file.items, &renames);
    one_impl_per_trait(&mut file.items);
    satisfiable_derives(&mut file.items);
    file.into_token_stream()
}

/// Traits a derive asks of every member type, and the traits each implies.
const COMPARISONS: &[(&str, &[&str])] = &[
    ("PartialEq", &["Eq", "PartialOrd", "Ord"]),
    ("Eq", &["Ord"]),
    ("PartialOrd", &["Ord"]),
    ("Ord", &[]),
    ("Hash", &[]),
    ("Copy", &[]),
];

/// A derive whose member types lack the trait (E0277): typify decides derives per type,
/// and a type it gave fewer (a union holding a float, say) can sit inside one it gave
/// more. Such a derive goes from the outer type, with the traits that need it, until
/// every derive left holds; in each module, types named by their bare name.
fn satisfiable_derives(items: &mut [Item]) {
    for _ in 0..32 {
        let missing = unsatisfied_derives(items);
        if missing.is_empty() {
            break;
        }
        for item in items.iter_mut() {
            let (ident, attrs) = match item {
                Item::Struct(item) => (item.ident.to_string(), &mut item.attrs),
                Item::Enum(item) => (item.ident.to_string(), &mut item.attrs),
                _ => continue,
            };
            let drop: HashSet<&str> = missing
                .iter()
                .filter(|(name, _)| *name == ident)
                .flat_map(|(_, derive)| {
                    let implied = COMPARISONS
                        .iter()
                        .find(|(name, _)| name == derive)
                        .map_or(&[][..], |(_, implied)| *implied);
                    std::iter::once(derive.as_str()).chain(implied.iter().copied())
                })
                .collect();
            for attr in attrs
                .iter_mut()
                .filter(|attr| attr.path().is_ident("derive"))
            {
                let Ok(paths) = attr.parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                ) else {
                    continue;
                };
                let kept: Vec<&syn::Path> = paths
                    .iter()
                    .filter(|path| {
                        path.segments
                            .last()
                            .is_none_or(|last| !drop.contains(last.ident.to_string().as_str()))
                    })
                    .collect();
                *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
            }
        }
    }
    for item in items {
        if let Item::Mod(module) = item
            && let Some((_, items)) = &mut module.content
        {
            satisfiable_derives(items);
        }
    }
}

/// (type, trait) for every derive in `items` that a member type of the same module lacks.
fn unsatisfied_derives(items: &[Item]) -> Vec<(String, String)> {
    // What each local type has, derived or implemented by hand.
    let mut has: HashMap<String, HashSet<String>> = HashMap::new();
    let mut members: HashMap<String, HashSet<String>> = HashMap::new();
    for item in items {
        let (ident, attrs, types): (String, &Vec<syn::Attribute>, Vec<&Type>) = match item {
            Item::Struct(item) => (
                item.ident.to_string(),
                &item.attrs,
                item.fields.iter().map(|field| &field.ty).collect(),
            ),
            Item::Enum(item) => (
                item.ident.to_string(),
                &item.attrs,
                item.variants
                    .iter()
                    .flat_map(|variant| variant.fields.iter().map(|field| &field.ty))
                    .collect(),
            ),
            Item::Impl(item) => {
                if let (Some((trait_path, _)), Type::Path(self_ty)) = (&item.trait_, &*item.self_ty)
                    && let (Some(trait_name), Some(self_name)) =
                        (trait_path.segments.last(), self_ty.path.segments.last())
                    && self_ty.path.segments.len() == 1
                {
                    has.entry(self_name.ident.to_string())
                        .or_default()
                        .insert(trait_name.ident.to_string());
                }
                continue;
            }
            _ => continue,
        };
        let derived = has.entry(ident.clone()).or_default();
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("derive")) {
            if let Ok(paths) = attr.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            ) {
                derived.extend(
                    paths
                        .iter()
                        .filter_map(|path| path.segments.last().map(|s| s.ident.to_string())),
                );
            }
        }
        let mut named = HashSet::new();
        for ty in types {
            bare_names(ty, &mut named);
        }
        members.insert(ident, named);
    }
    let mut missing = Vec::new();
    for (ident, named) in &members {
        for (derive, _) in COMPARISONS {
            if !has[ident].contains(*derive) {
                continue;
            }
            // Only the module's own types: a hand-written `impl From<X> for String` must
            // not make `String` look like a type that lacks everything else.
            let lacking = named
                .iter()
                .filter(|member| *member != ident && members.contains_key(*member))
                .any(|member| {
                    has.get(member)
                        .is_some_and(|traits| !traits.contains(*derive))
                });
            if lacking {
                missing.push((ident.clone(), (*derive).to_owned()));
            }
        }
    }
    missing.sort();
    missing
}

/// Single-segment type names anywhere in `ty` (the module's own types, as typify names
/// them), generic arguments included.
fn bare_names(ty: &Type, out: &mut HashSet<String>) {
    struct Names<'a>(&'a mut HashSet<String>);
    impl<'ast> syn::visit::Visit<'ast> for Names<'_> {
        fn visit_type_path(&mut self, node: &'ast syn::TypePath) {
            if node.qself.is_none()
                && node.path.leading_colon.is_none()
                && node.path.segments.len() == 1
            {
                self.0.insert(node.path.segments[0].ident.to_string());
            }
            syn::visit::visit_type_path(self, node);
        }
    }
    syn::visit::Visit::visit_type(&mut Names(out), ty);
}

/// What rustc would refuse in `code` (a generated client or server) that this module knows
/// to look for: two items of one name in a module (E0428), two fields or variants of one
/// name (E0124), two impls of one trait for one type (E0119). Empty when sound, or when
/// the code does not parse (rustc says why).
pub fn findings(code: &str) -> Vec<String> {
    let Ok(file) = syn::parse_file(code) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    module_findings(&file.items, "crate", &mut out);
    out
}

/// The type names a `types` module defines twice (E0428): typify gave two schemas one
/// name, which no renaming after the fact can tell apart (every use says only the name).
pub(crate) fn twice_defined(types: &TokenStream) -> Vec<String> {
    let Ok(file) = syn::parse2::<syn::File>(types.clone()) else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    let mut twice = Vec::new();
    for item in &file.items {
        let name = match item {
            Item::Struct(item) => item.ident.to_string(),
            Item::Enum(item) => item.ident.to_string(),
            Item::Type(item) => item.ident.to_string(),
            _ => continue,
        };
        if !seen.insert(name.clone()) && !twice.contains(&name) {
            twice.push(name);
        }
    }
    twice
}

fn module_findings(items: &[Item], path: &str, out: &mut Vec<String>) {
    for (name, derive) in unsatisfied_derives(items) {
        out.push(format!(
            "{path}::{name}: derives {derive}, which a member type lacks (E0277)"
        ));
    }
    let mut names: HashSet<String> = HashSet::new();
    let mut impls: HashSet<String> = HashSet::new();
    for item in items {
        let name = match item {
            Item::Struct(item) => Some(("type", item.ident.to_string())),
            Item::Enum(item) => Some(("type", item.ident.to_string())),
            Item::Type(item) => Some(("type", item.ident.to_string())),
            Item::Mod(item) => Some(("type", item.ident.to_string())),
            Item::Fn(item) => Some(("value", item.sig.ident.to_string())),
            Item::Const(item) => Some(("value", item.ident.to_string())),
            Item::Static(item) => Some(("value", item.ident.to_string())),
            _ => None,
        };
        if let Some((namespace, name)) = name
            && !names.insert(format!("{namespace} {name}"))
        {
            out.push(format!("{path}: `{name}` is defined twice (E0428)"));
        }
        let mut members = |kind: &str, owner: &syn::Ident, list: Vec<String>| {
            let mut seen = HashSet::new();
            for member in list {
                if !seen.insert(member.clone()) {
                    out.push(format!(
                        "{path}::{owner}: {kind} `{member}` is declared twice"
                    ));
                }
            }
        };
        match item {
            Item::Struct(item) => members(
                "field",
                &item.ident,
                item.fields
                    .iter()
                    .filter_map(|field| field.ident.as_ref().map(ToString::to_string))
                    .collect(),
            ),
            Item::Enum(item) => members(
                "variant",
                &item.ident,
                item.variants.iter().map(|v| v.ident.to_string()).collect(),
            ),
            Item::Impl(item) => {
                if let Some((trait_path, _)) = &item.trait_ {
                    let key = format!(
                        "{} {} for {}",
                        item.generics.to_token_stream(),
                        trait_path.to_token_stream(),
                        item.self_ty.to_token_stream()
                    );
                    if !impls.insert(key.clone()) {
                        out.push(format!("{path}: `impl {key}` twice (E0119)"));
                    }
                }
            }
            Item::Mod(module) => {
                if let Some((_, items)) = &module.content {
                    module_findings(items, &format!("{path}::{}", module.ident), out);
                }
            }
            _ => {}
        }
    }
}

fn structs(items: &mut [Item], renames: &mut Renames, serde_pass: bool) {
    for item in items {
        match item {
            Item::Struct(item) => {
                let serde = item
                    .attrs
                    .iter()
                    .any(|attr| attr.path().is_ident("derive") && mentions(attr, "Serialize"));
                if serde != serde_pass {
                    continue;
                }
                let Fields::Named(fields) = &mut item.fields else {
                    continue;
                };
                if let Some(plan) = renames.get(&item.ident.to_string()).filter(|_| !serde) {
                    let mut seen: HashMap<String, usize> = HashMap::new();
                    for field in &mut fields.named {
                        let Some(ident) = &field.ident else { continue };
                        let name = ident.to_string();
                        let count = seen.entry(name.clone()).or_default();
                        *count += 1;
                        if let Some((_, _, new)) = find(plan, &name, *count) {
                            field.ident = Some(format_ident!("{new}"));
                        }
                    }
                    continue;
                }
                let mut taken: HashSet<String> = fields
                    .named
                    .iter()
                    .filter_map(|field| field.ident.as_ref().map(ToString::to_string))
                    .collect();
                if serde {
                    for field in &mut fields.named {
                        skip_absent_recursive(field);
                    }
                }
                // The field whose JSON name is its Rust name keeps it; the others of its
                // spelling are numbered in the order typify wrote them.
                let renamed_at = |field: &syn::Field| {
                    field
                        .attrs
                        .iter()
                        .any(|attr| attr.path().is_ident("serde") && mentions(attr, "rename"))
                };
                let mut occurrences: HashMap<String, Vec<(usize, bool)>> = HashMap::new();
                for field in &fields.named {
                    if let Some(ident) = &field.ident {
                        let list = occurrences.entry(ident.to_string()).or_default();
                        list.push((list.len() + 1, renamed_at(field)));
                    }
                }
                let keeper = |name: &str| -> usize {
                    occurrences[name]
                        .iter()
                        .find(|(_, renamed)| !renamed)
                        .map_or(1, |(occurrence, _)| *occurrence)
                };
                let mut seen: HashMap<String, usize> = HashMap::new();
                let mut numbered: HashMap<String, usize> = HashMap::new();
                let mut plan = Vec::new();
                for field in &mut fields.named {
                    let Some(ident) = &field.ident else { continue };
                    let name = ident.to_string();
                    let count = seen.entry(name.clone()).or_default();
                    *count += 1;
                    if occurrences[&name].len() == 1 || *count == keeper(&name) {
                        continue;
                    }
                    let number = numbered.entry(name.clone()).or_insert(1);
                    *number += 1;
                    let bare = name.trim_start_matches("r#").to_owned();
                    let new = (*number..)
                        .map(|n| format!("{bare}_{n}"))
                        .find(|candidate| !taken.contains(candidate))
                        .unwrap_or_default();
                    taken.insert(new.clone());
                    if serde && !renamed_at(field) {
                        field
                            .attrs
                            .push(syn::parse_quote!(#[serde(rename = #bare)]));
                    }
                    field.ident = Some(format_ident!("{new}"));
                    plan.push((name, *count, new));
                }
                if !plan.is_empty() {
                    renames.insert(item.ident.to_string(), plan);
                }
            }
            Item::Mod(module) => {
                if let Some((_, items)) = &mut module.content {
                    structs(items, renames, serde_pass);
                }
            }
            _ => {}
        }
    }
}

/// typify writes an optional property whose type contains itself as
/// `Box<Option<T>>` with `#[serde(default)]` but without the `skip_serializing_if` every
/// other optional property has, so an absent value came back as `null`, which the schema
/// may refuse. Absent stays absent.
fn skip_absent_recursive(field: &mut syn::Field) {
    let Type::Path(path) = &field.ty else { return };
    let Some(last) = path.path.segments.last() else {
        return;
    };
    let boxed_option = last.ident == "Box"
        && matches!(&last.arguments, syn::PathArguments::AngleBracketed(args)
            if args.args.iter().any(|arg| matches!(arg, syn::GenericArgument::Type(Type::Path(inner))
                if inner.path.segments.last().is_some_and(|s| s.ident == "Option"))));
    let serde = |word: &str| {
        field
            .attrs
            .iter()
            .any(|attr| attr.path().is_ident("serde") && mentions(attr, word))
    };
    if boxed_option && serde("default") && !serde("skip_serializing_if") {
        field.attrs.push(
            syn::parse_quote!(#[serde(skip_serializing_if = "::std::option::Option::is_none")]),
        );
    }
}

fn mentions(attr: &syn::Attribute, word: &str) -> bool {
    attr.meta
        .to_token_stream()
        .into_iter()
        .any(|token| mentions_token(&token, word))
}

fn mentions_token(token: &proc_macro2::TokenTree, word: &str) -> bool {
    match token {
        proc_macro2::TokenTree::Ident(ident) => ident == word,
        proc_macro2::TokenTree::Group(group) => group
            .stream()
            .into_iter()
            .any(|token| mentions_token(&token, word)),
        _ => false,
    }
}

/// Two branches of an untagged union that map to one Rust type get a `From` impl each
/// (E0119, conflicting implementations); the first is kept, so conversion picks the first
/// branch, as deserialising does.
fn one_impl_per_trait(items: &mut Vec<Item>) {
    let mut seen: HashSet<String> = HashSet::new();
    items.retain(|item| match item {
        Item::Impl(syn::ItemImpl {
            trait_: Some((trait_path, _)),
            ..
        }) => {
            let Item::Impl(item) = item else {
                return true;
            };
            let key = format!(
                "{} {} for {}",
                item.generics.to_token_stream(),
                trait_path.to_token_stream(),
                item.self_ty.to_token_stream()
            );
            seen.insert(key)
        }
        _ => true,
    });
    for item in items {
        if let Item::Mod(module) = item
            && let Some((_, items)) = &mut module.content
        {
            one_impl_per_trait(items);
        }
    }
}

fn impls(items: &mut [Item], renames: &Renames) {
    for item in items {
        match item {
            Item::Impl(item) => {
                let Type::Path(path) = &*item.self_ty else {
                    continue;
                };
                let Some(name) = path.path.segments.last().map(|s| s.ident.to_string()) else {
                    continue;
                };
                let Some(plan) = renames.get(&name) else {
                    continue;
                };
                // Methods named after fields (the builder's setters).
                let mut seen: HashMap<String, usize> = HashMap::new();
                for member in &mut item.items {
                    let ImplItem::Fn(function) = member else {
                        continue;
                    };
                    let name = function.sig.ident.to_string();
                    let count = seen.entry(name.clone()).or_default();
                    *count += 1;
                    if let Some((_, _, new)) = find(plan, &name, *count) {
                        function.sig.ident = format_ident!("{new}");
                        Accesses {
                            from: &name,
                            to: new,
                        }
                        .visit_block_mut(&mut function.block);
                    }
                }
                Initialisers { plan }.visit_item_impl_mut(item);
            }
            Item::Mod(module) => {
                if let Some((_, items)) = &mut module.content {
                    impls(items, renames);
                }
            }
            _ => {}
        }
    }
}

fn find<'a>(
    plan: &'a [(String, usize, String)],
    name: &str,
    occurrence: usize,
) -> Option<&'a (String, usize, String)> {
    plan.iter()
        .find(|(field, count, _)| field == name && *count == occurrence)
}

/// `Self { guid: …, guid: … }`: the n-th initialiser of a name takes the n-th field's.
struct Initialisers<'a> {
    plan: &'a [(String, usize, String)],
}

impl VisitMut for Initialisers<'_> {
    fn visit_expr_struct_mut(&mut self, node: &mut syn::ExprStruct) {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for field in &mut node.fields {
            let Member::Named(ident) = &field.member else {
                continue;
            };
            let name = ident.to_string();
            let count = seen.entry(name.clone()).or_default();
            *count += 1;
            if let Some((_, _, new)) = find(self.plan, &name, *count) {
                field.member = Member::Named(format_ident!("{new}"));
                field.colon_token.get_or_insert_with(Default::default);
                Accesses {
                    from: &name,
                    to: new,
                }
                .visit_expr_mut(&mut field.expr);
            }
        }
        visit_mut::visit_expr_struct_mut(self, node);
    }
}

/// `value.guid` → `value.guid_2` inside what belongs to the second `guid`.
struct Accesses<'a> {
    from: &'a str,
    to: &'a str,
}

impl VisitMut for Accesses<'_> {
    fn visit_expr_field_mut(&mut self, node: &mut syn::ExprField) {
        if let Member::Named(ident) = &node.member
            && ident == self.from
        {
            node.member = Member::Named(format_ident!("{}", self.to));
        }
        visit_mut::visit_expr_field_mut(self, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn duplicate_fields_are_told_apart_everywhere_they_are_named() {
        let tokens = quote! {
            pub mod types {
                #[derive(::serde::Deserialize, ::serde::Serialize)]
                pub struct Thing {
                    #[serde(rename = "Guid")]
                    pub guid: i64,
                    pub guid: String,
                    pub guid_2: bool,
                }
                pub mod builder {
                    pub struct Thing { guid: i64, guid: String, guid_2: bool }
                    impl Thing {
                        pub fn guid(mut self, value: i64) -> Self { self.guid = value; self }
                        pub fn guid(mut self, value: String) -> Self { self.guid = value; self }
                    }
                    impl ::std::convert::From<super::Thing> for Thing {
                        fn from(value: super::Thing) -> Self {
                            Self { guid: value.guid, guid: value.guid, guid_2: value.guid_2 }
                        }
                    }
                }
            }
        };
        let mended = mend(tokens).to_string();
        // `guid`, whose JSON name is `guid`, keeps the name; `Guid` becomes `guid_3`
        // (`guid_2` is taken), its JSON name kept by its rename.
        assert!(
            mended.contains("# [serde (rename = \"Guid\")] pub guid_3 : i64"),
            "{mended}"
        );
        assert!(mended.contains("pub guid : String"), "{mended}");
        assert!(
            mended.contains("guid_3 : i64 , guid : String , guid_2 : bool }"),
            "{mended}"
        );
        assert!(
            mended
                .contains("pub fn guid_3 (mut self , value : i64) -> Self { self . guid_3 = value"),
            "{mended}"
        );
        assert!(
            mended.contains("guid_3 : value . guid_3 , guid : value . guid"),
            "{mended}"
        );
        // Nothing to mend, nothing changed.
        let clean = quote! { pub struct A { a: i64 } };
        assert_eq!(mend(clean.clone()).to_string(), clean.to_string());
    }

    #[test]
    fn one_impl_per_trait_and_type() {
        let tokens = quote! {
            pub mod types {
                pub enum U { A(Vec<Value>), B(Vec<Value>) }
                impl ::std::convert::From<Vec<Value> > for U { fn from(v: Vec<Value>) -> Self { Self::A(v) } }
                impl ::std::convert::From<Vec<Value> > for U { fn from(v: Vec<Value>) -> Self { Self::B(v) } }
                impl ::std::convert::From<String> for U { fn from(v: String) -> Self { todo!() } }
            }
        };
        let mended = mend(tokens).to_string();
        assert_eq!(
            mended.matches("impl :: std :: convert :: From").count(),
            2,
            "{mended}"
        );
        assert!(mended.contains("Self :: A (v)") && !mended.contains("Self :: B (v)"));
    }

    #[test]
    fn a_derive_a_member_cannot_satisfy_goes() {
        let tokens = quote! {
            pub mod types {
                #[derive(Clone, Debug, PartialEq, Eq, Hash)]
                pub struct Outer { pub inner: ::std::vec::Vec<Inner>, pub n: i64 }
                #[derive(Clone, Debug, PartialEq)]
                pub enum Inner { A(f64), B(Leaf) }
                #[derive(Clone, Debug, PartialEq, Eq)]
                pub struct Leaf { pub s: String }
                pub struct Manual;
                impl PartialEq for Manual { fn eq(&self, _: &Self) -> bool { true } }
                #[derive(PartialEq)]
                pub struct UsesManual { pub m: Manual }
            }
        };
        let before = findings(&tokens.to_string());
        assert!(
            before.iter().any(|f| f.contains("Outer: derives Eq")),
            "{before:?}"
        );
        let mended = mend(tokens).to_string();
        assert!(
            mended.contains("# [derive (Clone , Debug , PartialEq)] pub struct Outer"),
            "{mended}"
        );
        assert!(
            mended.contains("# [derive (PartialEq)] pub struct UsesManual"),
            "{mended}"
        );
        assert!(findings(&mended).is_empty(), "{:?}", findings(&mended));
    }

    #[test]
    fn an_absent_recursive_property_stays_absent() {
        let tokens = quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            pub struct Node {
                #[serde(default)]
                pub parent: ::std::boxed::Box<::std::option::Option<Node>>,
            }
        };
        let mended = mend(tokens).to_string();
        assert!(
            mended.contains("skip_serializing_if = \"::std::option::Option::is_none\""),
            "{mended}"
        );
    }
}
