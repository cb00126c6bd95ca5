//! The fast path from a request to its typed struct: the parameters and the JSON body are
//! read straight into the generated request struct, each value checked by its compiled
//! plan on the way, with no `serde_json::Value` in between.
//!
//! It only has to be right when it succeeds. Any doubt (an input a plan may refuse, a
//! shape serde asks for that is not the usual one, a body that is not JSON) gives up, and
//! the request takes the general path: plans over `Value`s, the interpreter for the 422,
//! `serde_json::from_value` for the struct. So the rule that keeps answers identical is
//! local: wherever this module hands serde a value, it is the value the general path would
//! have built at that place, or the general path's own code builds it ([`Guided::buffered`]).

use std::fmt;

use axum::http::HeaderMap;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{ApiSpec, OperationSpec, Raw};
use crate::validate::plan::Plan;

/// Why the fast path gave up; never shown to anyone: the general path takes over.
#[derive(Debug)]
pub(crate) struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to the general path")
    }
}

impl std::error::Error for GiveUp {}

impl de::Error for GiveUp {
    fn custom<T: fmt::Display>(_: T) -> Self {
        GiveUp
    }
}

/// The typed request, or `None` when the general path must decide. `bytes` is the body as
/// read; only operations without a body or with a JSON one are read here
/// ([`super::typed_read_covers`]: the others need what `TypedRequest::attach` adds).
pub(crate) fn read<R: serde::de::DeserializeOwned>(
    api: &ApiSpec,
    operation: &OperationSpec,
    path_params: &[(String, String)],
    headers: &HeaderMap,
    query: Option<&str>,
    bytes: &[u8],
) -> Option<R> {
    if !super::typed_read_covers(operation) {
        return None;
    }
    let plan = api
        .prepared
        .get(&super::plan_key(operation))?
        .plan
        .as_ref()?;
    let body = match (operation.body, bytes.is_empty()) {
        (None, _) => None,
        // An absent body that is required is a 422 the general path words.
        (Some(spec), true) if spec.required => return None,
        (Some(_), true) => None,
        (Some(_), false) if !super::is_json_content_type(headers) => return None,
        (Some(_), false) => Some(plan.body.as_ref()?),
    };
    let query = crate::auth::Query::new(query);
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let mut request = RequestMap {
        operation,
        plan,
        order: plan.order.iter(),
        body,
        path_params,
        headers,
        query: &query,
        value: None,
        json: &mut json,
    };
    let typed = R::deserialize(RequestDeserializer(&mut request)).ok()?;
    // Everything read, and nothing after the body's document.
    if request.order.len() != 0 || request.body.is_some() || request.value.is_some() {
        return None;
    }
    json.end().ok()?;
    Some(typed)
}

enum Entry<'a> {
    Param(&'a Plan, Raw<'a>),
    Body(&'a Plan),
}

/// The request's fields, read one at a time as serde asks for them: parameters in
/// FastAPI's order (absent optional ones skipped, an absent required one gives up), then
/// the body.
struct RequestMap<'a, 'm, 'b> {
    operation: &'a OperationSpec,
    plan: &'a super::OperationPlan,
    order: std::slice::Iter<'a, usize>,
    body: Option<&'a Plan>,
    path_params: &'a [(String, String)],
    headers: &'a HeaderMap,
    query: &'a crate::auth::Query<'a>,
    /// The entry whose key was just read.
    value: Option<Entry<'a>>,
    json: &'m mut serde_json::Deserializer<serde_json::de::SliceRead<'b>>,
}

impl<'a> RequestMap<'a, '_, '_> {
    /// The next field and its entry; `Err` when a required parameter is absent.
    fn next_entry(&mut self) -> Result<Option<(&'static str, Entry<'a>)>, GiveUp> {
        for index in self.order.by_ref() {
            let param = self.operation.params.get(*index).ok_or(GiveUp)?;
            match super::raw_text(param, self.path_params, self.headers, self.query) {
                None if param.required => return Err(GiveUp),
                None => {}
                Some(raw) => {
                    let plan = self.plan.params.get(*index).ok_or(GiveUp)?;
                    return Ok(Some((param.field, Entry::Param(plan, raw))));
                }
            }
        }
        Ok(self.body.take().map(|plan| ("body", Entry::Body(plan))))
    }
}

/// The request struct's fields as a map, as the general path's `Value::Object` gives them.
struct RequestDeserializer<'r, 'a, 'm, 'b>(&'r mut RequestMap<'a, 'm, 'b>);

impl<'de> Deserializer<'de> for RequestDeserializer<'_, '_, '_, 'de> {
    type Error = GiveUp;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GiveUp> {
        visitor.visit_map(self.0)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, GiveUp> {
        visitor.visit_map(self.0)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GiveUp> {
        visitor.visit_map(self.0)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct enum identifier
        ignored_any
    }
}

impl<'de> MapAccess<'de> for RequestMap<'_, '_, 'de> {
    type Error = GiveUp;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, GiveUp> {
        let Some((field, entry)) = self.next_entry()? else {
            return Ok(None);
        };
        self.value = Some(entry);
        seed.deserialize(de::value::StrDeserializer::<GiveUp>::new(field))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, GiveUp> {
        match self.value.take() {
            Some(Entry::Param(plan, raw)) => seed.deserialize(Text { plan, raw }),
            Some(Entry::Body(plan)) => seed
                .deserialize(Guided {
                    plan,
                    de: &mut *self.json,
                })
                .map_err(|_| GiveUp),
            None => Err(GiveUp),
        }
    }
}

/// How serde asked for a value: the method of [`Deserializer`] and its arguments, so that
/// a check done first (null or not) can ask the inner deserializer the same way.
#[derive(Clone, Copy)]
enum Hint {
    Any,
    Bool,
    I8,
    I16,
    I32,
    I64,
    I128,
    U8,
    U16,
    U32,
    U64,
    U128,
    F32,
    F64,
    Char,
    Str,
    String,
    Bytes,
    ByteBuf,
    Option,
    Unit,
    UnitStruct(&'static str),
    NewtypeStruct(&'static str),
    Seq,
    Tuple(usize),
    TupleStruct(&'static str, usize),
    Map,
    Struct(&'static str, &'static [&'static str]),
    Enum(&'static str, &'static [&'static str]),
    Identifier,
    IgnoredAny,
}

fn dispatch<'de, D: Deserializer<'de>, V: Visitor<'de>>(
    de: D,
    hint: Hint,
    visitor: V,
) -> Result<V::Value, D::Error> {
    match hint {
        Hint::Any => de.deserialize_any(visitor),
        Hint::Bool => de.deserialize_bool(visitor),
        Hint::I8 => de.deserialize_i8(visitor),
        Hint::I16 => de.deserialize_i16(visitor),
        Hint::I32 => de.deserialize_i32(visitor),
        Hint::I64 => de.deserialize_i64(visitor),
        Hint::I128 => de.deserialize_i128(visitor),
        Hint::U8 => de.deserialize_u8(visitor),
        Hint::U16 => de.deserialize_u16(visitor),
        Hint::U32 => de.deserialize_u32(visitor),
        Hint::U64 => de.deserialize_u64(visitor),
        Hint::U128 => de.deserialize_u128(visitor),
        Hint::F32 => de.deserialize_f32(visitor),
        Hint::F64 => de.deserialize_f64(visitor),
        Hint::Char => de.deserialize_char(visitor),
        Hint::Str => de.deserialize_str(visitor),
        Hint::String => de.deserialize_string(visitor),
        Hint::Bytes => de.deserialize_bytes(visitor),
        Hint::ByteBuf => de.deserialize_byte_buf(visitor),
        Hint::Option => de.deserialize_option(visitor),
        Hint::Unit => de.deserialize_unit(visitor),
        Hint::UnitStruct(name) => de.deserialize_unit_struct(name, visitor),
        Hint::NewtypeStruct(name) => de.deserialize_newtype_struct(name, visitor),
        Hint::Seq => de.deserialize_seq(visitor),
        Hint::Tuple(len) => de.deserialize_tuple(len, visitor),
        Hint::TupleStruct(name, len) => de.deserialize_tuple_struct(name, len, visitor),
        Hint::Map => de.deserialize_map(visitor),
        Hint::Struct(name, fields) => de.deserialize_struct(name, fields, visitor),
        Hint::Enum(name, variants) => de.deserialize_enum(name, variants, visitor),
        Hint::Identifier => de.deserialize_identifier(visitor),
        Hint::IgnoredAny => de.deserialize_ignored_any(visitor),
    }
}

/// Implements every `deserialize_*` of a [`Deserializer`] as `self.run(hint, visitor)`.
macro_rules! through_run {
    () => {
        fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::Any, v)
        }
        fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::Bool, v)
        }
        fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::I8, v)
        }
        fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::I16, v)
        }
        fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::I32, v)
        }
        fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::I64, v)
        }
        fn deserialize_i128<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::I128, v)
        }
        fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::U8, v)
        }
        fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::U16, v)
        }
        fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::U32, v)
        }
        fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::U64, v)
        }
        fn deserialize_u128<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::U128, v)
        }
        fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::F32, v)
        }
        fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::F64, v)
        }
        fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::Char, v)
        }
        fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::Str, v)
        }
        fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::String, v)
        }
        fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::Bytes, v)
        }
        fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::ByteBuf, v)
        }
        fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::Option, v)
        }
        fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::Unit, v)
        }
        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            v: V,
        ) -> Result<V::Value, Self::Error> {
            self.run(Hint::UnitStruct(name), v)
        }
        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            v: V,
        ) -> Result<V::Value, Self::Error> {
            self.run(Hint::NewtypeStruct(name), v)
        }
        fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::Seq, v)
        }
        fn deserialize_tuple<V: Visitor<'de>>(
            self,
            len: usize,
            v: V,
        ) -> Result<V::Value, Self::Error> {
            self.run(Hint::Tuple(len), v)
        }
        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            len: usize,
            v: V,
        ) -> Result<V::Value, Self::Error> {
            self.run(Hint::TupleStruct(name, len), v)
        }
        fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::Map, v)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, Self::Error> {
            self.run(Hint::Struct(name, fields), v)
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            variants: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, Self::Error> {
            self.run(Hint::Enum(name, variants), v)
        }
        fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::Identifier, v)
        }
        fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.run(Hint::IgnoredAny, v)
        }
    };
}

/// Whether a plan refuses `null` whatever it holds, so that a value it accepts is never
/// one that `Option` reads as `None`.
fn refuses_null(plan: &Plan) -> bool {
    !matches!(plan, Plan::Any | Plan::Nullable(_))
}

// ----------------------------------------------------------------------------------------
// Parameters: text from the path, query, headers or cookies.

/// One parameter's text (or texts), checked by its plan as serde reads it.
struct Text<'a> {
    plan: &'a Plan,
    raw: Raw<'a>,
}

impl<'de> Deserializer<'de> for Text<'_> {
    type Error = GiveUp;
    through_run!();
}

impl<'de> Text<'_> {
    fn run<V: Visitor<'de>>(self, hint: Hint, visitor: V) -> Result<V::Value, GiveUp> {
        // Text is never null, so a nullable plan reads it as its inner plan does.
        let plan = match self.plan {
            Plan::Nullable(inner) => inner,
            plan => plan,
        };
        match (plan, &self.raw, hint) {
            (plan, _, Hint::Option) if refuses_null(plan) => visitor.visit_some(self),
            (plan, _, Hint::NewtypeStruct(_)) if refuses_null(plan) => {
                visitor.visit_newtype_struct(self)
            }
            (
                Plan::String(_) | Plan::Choice(_),
                Raw::One(text),
                Hint::Any | Hint::Str | Hint::String | Hint::Identifier,
            ) => {
                let text = plan.text(text).ok_or(GiveUp)?;
                visitor.visit_str(&text)
            }
            (Plan::String(_) | Plan::Choice(_), Raw::One(text), Hint::Enum(name, variants)) => {
                let text = plan.text(text).ok_or(GiveUp)?;
                de::value::StrDeserializer::<GiveUp>::new(&text)
                    .deserialize_enum(name, variants, visitor)
            }
            // Numbers and booleans: the value the plan coerces the text to, read as the
            // general path reads it, without the `Value::String` it would allocate.
            (Plan::Integer | Plan::Number | Plan::Boolean, Raw::One(text), _) => {
                let value = plan.scalar(text).ok_or(GiveUp)?;
                dispatch(value, hint, visitor).map_err(|_| GiveUp)
            }
            (Plan::Array(items), Raw::Many(_), Hint::Any | Hint::Seq) => {
                let Raw::Many(texts) = self.raw else {
                    return Err(GiveUp);
                };
                let mut seq = TextSeq {
                    items,
                    texts: texts.into_iter(),
                };
                let value = visitor.visit_seq(&mut seq)?;
                // `Value`'s array reader refuses a visitor that leaves items unread.
                if seq.texts.len() == 0 {
                    Ok(value)
                } else {
                    Err(GiveUp)
                }
            }
            _ => self.buffered(hint, visitor),
        }
    }

    /// What the general path does: the text as a JSON string (or array), the plan over it,
    /// and serde reading the result.
    fn buffered<V: Visitor<'de>>(self, hint: Hint, visitor: V) -> Result<V::Value, GiveUp> {
        let value = self.plan.run(self.raw.into_value()).ok_or(GiveUp)?;
        dispatch(value, hint, visitor).map_err(|_| GiveUp)
    }
}

struct TextSeq<'a> {
    items: &'a Plan,
    texts: std::vec::IntoIter<&'a str>,
}

impl<'de> SeqAccess<'de> for TextSeq<'_> {
    type Error = GiveUp;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, GiveUp> {
        match self.texts.next() {
            Some(text) => seed
                .deserialize(Text {
                    plan: self.items,
                    raw: Raw::One(text),
                })
                .map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.texts.len())
    }
}

// ----------------------------------------------------------------------------------------
// The JSON body: serde_json's reader, each value checked by its plan as serde reads it.

/// A deserializer `de` whose value must pass `plan`.
struct Guided<'p, D> {
    plan: &'p Plan,
    de: D,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Guided<'_, D> {
    type Error = D::Error;
    through_run!();
}

impl<'de, 'p, D: Deserializer<'de>> Guided<'p, D> {
    fn run<V: Visitor<'de>>(self, hint: Hint, visitor: V) -> Result<V::Value, D::Error> {
        match (self.plan, hint) {
            (Plan::Nullable(inner), _) => self.de.deserialize_option(Nullable {
                inner,
                hint,
                visitor,
            }),
            (plan, Hint::Option) if refuses_null(plan) => visitor.visit_some(self),
            (plan, Hint::NewtypeStruct(_)) if refuses_null(plan) => {
                visitor.visit_newtype_struct(self)
            }
            (Plan::Array(items), Hint::Seq | Hint::Tuple(_) | Hint::TupleStruct(..)) => {
                dispatch(self.de, hint, Array { items, visitor })
            }
            (
                Plan::Object {
                    properties,
                    required_at,
                    forbid_extra,
                    ..
                },
                Hint::Struct(..),
            ) if properties.len() <= 128 => self.de.deserialize_map(Object {
                properties,
                required_at,
                forbid_extra: *forbid_extra,
                visitor,
            }),
            _ => self.buffered(hint, visitor),
        }
    }

    /// What the general path does for this value: read it whole, run the plan, and let
    /// serde read the result. Exact by construction; used wherever streaming could differ
    /// (a value read as a map keeps the schema's order of properties, `Any` keeps `null`).
    fn buffered<V: Visitor<'de>>(self, hint: Hint, visitor: V) -> Result<V::Value, D::Error> {
        let value = <Value as serde::Deserialize>::deserialize(self.de)?;
        let value = self
            .plan
            .run(value)
            .ok_or_else(|| de::Error::custom(GiveUp))?;
        dispatch(value, hint, visitor).map_err(de::Error::custom)
    }
}

/// A nullable plan: `null` is what the general path's `Value::Null` gives; anything else
/// goes to the inner plan, asked the same way.
struct Nullable<'p, V> {
    inner: &'p Plan,
    hint: Hint,
    visitor: V,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Nullable<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        dispatch(Value::Null, self.hint, self.visitor).map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        Guided {
            plan: self.inner,
            de,
        }
        .run(self.hint, self.visitor)
    }
}

/// An array read item by item, each item guided by `items`.
struct Array<'p, V> {
    items: &'p Plan,
    visitor: V,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Array<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(GuidedSeq {
            items: self.items,
            seq,
        })
    }
}

struct GuidedSeq<'p, A> {
    items: &'p Plan,
    seq: A,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for GuidedSeq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.seq.next_element_seed(GuidedSeed {
            plan: self.items,
            seed,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

/// `seed`, reading a value that must pass `plan`.
struct GuidedSeed<'p, S> {
    plan: &'p Plan,
    seed: S,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for GuidedSeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Guided {
            plan: self.plan,
            de,
        })
    }
}

/// An object read into a struct: only the plan's properties reach it (the others are
/// skipped, or refused when the schema forbids them), each guided by its plan; a required
/// one missing, or one given twice, gives up.
struct Object<'p, V> {
    properties: &'p [(String, Plan)],
    required_at: &'p [usize],
    forbid_extra: bool,
    visitor: V,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Object<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let mut fields = GuidedMap {
            properties: self.properties,
            required_at: self.required_at,
            forbid_extra: self.forbid_extra,
            map,
            seen: 0,
            current: None,
            finished: false,
        };
        let value = self.visitor.visit_map(&mut fields)?;
        if fields.finished {
            Ok(value)
        } else {
            Err(de::Error::custom(GiveUp))
        }
    }
}

struct GuidedMap<'p, A> {
    properties: &'p [(String, Plan)],
    required_at: &'p [usize],
    forbid_extra: bool,
    map: A,
    /// The properties read so far, one bit each.
    seen: u128,
    current: Option<usize>,
    finished: bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for GuidedMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.map.next_key_seed(Property(self.properties))? else {
                let missing = self
                    .required_at
                    .iter()
                    .any(|index| self.seen & (1 << index) == 0);
                if missing {
                    return Err(de::Error::custom(GiveUp));
                }
                self.finished = true;
                return Ok(None);
            };
            match key {
                Some(index) => {
                    if self.seen & (1 << index) != 0 {
                        return Err(de::Error::custom(GiveUp));
                    }
                    self.seen |= 1 << index;
                    self.current = Some(index);
                    let name = self.properties[index].0.as_str();
                    return seed
                        .deserialize(de::value::StrDeserializer::<GiveUp>::new(name))
                        .map(Some)
                        .map_err(de::Error::custom);
                }
                None if self.forbid_extra => return Err(de::Error::custom(GiveUp)),
                None => {
                    self.map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let index = self
            .current
            .take()
            .ok_or_else(|| de::Error::custom(GiveUp))?;
        self.map.next_value_seed(GuidedSeed {
            plan: &self.properties[index].1,
            seed,
        })
    }
}

/// A key of an object: the index of the property it names, or `None`; read without
/// allocating.
struct Property<'p>(&'p [(String, Plan)]);

impl<'de> DeserializeSeed<'de> for Property<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Option<usize>, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Property<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a property name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|(name, _)| name == key))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};

    use super::{Guided, Raw, Text};
    use crate::validate::plan::Plan;
    use crate::validate::plan::tests::{inputs, schemas, set};

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Status {
        Ready,
        Queued,
        Running,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Update {
        status: Status,
        job_id: uuid::Uuid,
        note: Option<String>,
        count: Option<i64>,
        ratio: Option<f64>,
        flag: Option<bool>,
        tags: Option<Vec<String>>,
        day: Option<String>,
        at: Option<String>,
        kind: Option<String>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Closed {
        a: Option<i64>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Wrapped(String);

    /// What the general path gives: the plan over the whole value, then serde.
    fn general<T: DeserializeOwned>(plan: &Plan, input: Value) -> Option<T> {
        serde_json::from_value(plan.run(input)?).ok()
    }

    fn body<T: DeserializeOwned>(plan: &Plan, input: &Value) -> Option<T> {
        let text = input.to_string();
        let mut de = serde_json::Deserializer::from_str(&text);
        let value = T::deserialize(Guided { plan, de: &mut de }).ok()?;
        de.end().ok()?;
        Some(value)
    }

    fn text<T: DeserializeOwned>(plan: &Plan, raw: Raw<'_>) -> Option<T> {
        T::deserialize(Text { plan, raw }).ok()
    }

    /// Counts the fast reads that succeeded; panics where one differs from the general
    /// path's.
    fn agree<T: DeserializeOwned + PartialEq + std::fmt::Debug>() -> usize {
        let set = set();
        let mut fast = 0;
        for schema in schemas() {
            let Some(plan) = Plan::compile(&set, &schema) else {
                continue;
            };
            for input in inputs() {
                if let Some(read) = body::<T>(&plan, &input) {
                    fast += 1;
                    assert_eq!(
                        Some(&read),
                        general::<T>(&plan, input.clone()).as_ref(),
                        "body {schema} on {input} as {}",
                        std::any::type_name::<T>()
                    );
                }
                let raw = match &input {
                    Value::String(one) => Raw::One(one.as_str()),
                    Value::Array(items) if items.iter().all(Value::is_string) => {
                        Raw::Many(items.iter().filter_map(Value::as_str).collect())
                    }
                    _ => continue,
                };
                if let Some(read) = text::<T>(&plan, raw.clone()) {
                    fast += 1;
                    assert_eq!(
                        Some(&read),
                        general::<T>(&plan, raw.into_value()).as_ref(),
                        "text {schema} on {input} as {}",
                        std::any::type_name::<T>()
                    );
                }
            }
        }
        fast
    }

    /// Whenever the fast path reads a value, it is the one the general path reads.
    #[test]
    fn the_fast_path_agrees_with_the_general_path() {
        let reads = [
            ("Value", agree::<Value>()),
            ("Option<Value>", agree::<Option<Value>>()),
            ("String", agree::<String>()),
            ("Option<String>", agree::<Option<String>>()),
            ("Wrapped", agree::<Wrapped>()),
            ("Uuid", agree::<uuid::Uuid>()),
            ("Option<Vec<Uuid>>", agree::<Option<Vec<uuid::Uuid>>>()),
            ("Status", agree::<Status>()),
            ("i64", agree::<i64>()),
            ("Option<f64>", agree::<Option<f64>>()),
            ("bool", agree::<bool>()),
            ("Vec<i64>", agree::<Vec<i64>>()),
            ("Vec<String>", agree::<Vec<String>>()),
            ("Update", agree::<Update>()),
            ("Option<Update>", agree::<Option<Update>>()),
            ("Closed", agree::<Closed>()),
        ];
        // Every type is read fast somewhere, so no comparison above is vacuous.
        for (name, count) in reads {
            assert!(count > 0, "{name} was never read by the fast path");
        }
    }

    /// The streamed object reader refuses what the plan refuses.
    #[test]
    fn an_object_is_checked_as_it_streams() {
        let set = set();
        let plan =
            Plan::compile(&set, &json!({"$ref": "#/components/schemas/Update"})).expect("compiles");
        let valid = json!({"status": "ready", "job_id": "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10"});
        assert!(body::<Update>(&plan, &valid).is_some());
        for invalid in [
            json!({"status": "ready"}),
            json!({"status": "nope", "job_id": "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10"}),
            json!({"status": "ready", "job_id": "nope"}),
            json!({"status": "ready", "job_id": "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10", "count": "x"}),
        ] {
            assert_eq!(body::<Update>(&plan, &invalid), None, "{invalid}");
        }
        // A key given twice is left to the general path.
        let text = r#"{"status": "ready", "status": "queued", "job_id": "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10"}"#;
        let mut de = serde_json::Deserializer::from_str(text);
        assert!(
            Update::deserialize(Guided {
                plan: &plan,
                de: &mut de
            })
            .is_err()
        );
    }
}
