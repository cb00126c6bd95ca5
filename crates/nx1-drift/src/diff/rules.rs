//! Every rule as data: its id (oasdiff's where oasdiff has one), the family it belongs to,
//! its level for code that calls the generated client and for code that implements the
//! spec, and why. A typo in a rule cannot compile; a rule without a test fails a test.

use super::Level::{self, Breaking, Info, Warning};

/// Where in an operation a rule looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Endpoints,
    Parameters,
    RequestBody,
    Responses,
    Schema,
    Security,
}

macro_rules! rules {
    ($( $variant:ident = $id:literal, $family:ident, $client:ident, $server:ident, $why:literal; )*) => {
        /// A kind of change between two specs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule { $($variant),* }

        impl Rule {
            /// Every rule, in the order of the table.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The id reports and ignore files use.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id),* }
            }

            pub fn family(self) -> Family {
                match self { $(Rule::$variant => Family::$family),* }
            }

            /// The level for a client of the spec and for a server implementing it.
            pub fn levels(self) -> (Level, Level) {
                match self { $(Rule::$variant => ($client, $server)),* }
            }

            /// Why the levels are what they are, in one line.
            pub fn why(self) -> &'static str {
                match self { $(Rule::$variant => $why),* }
            }
        }
    };
}

rules! {
    EndpointAdded = "endpoint-added", Endpoints, Info, Warning,
        "a new method on the client; a server must implement it";
    EndpointRemoved = "endpoint-removed", Endpoints, Breaking, Info,
        "the client method goes, and callers stop compiling";
    DeprecatedEndpointRemoved = "deprecated-endpoint-removed", Endpoints, Warning, Info,
        "callers were warned by `deprecated: true`; still a compile error for those who stayed";
    EndpointRemovedBeforeSunset = "endpoint-removed-before-sunset", Endpoints, Breaking, Info,
        "deprecated, but its x-sunset date has not come: callers were promised until then";
    EndpointDeprecated = "endpoint-deprecated", Endpoints, Info, Info,
        "nothing breaks yet; plan the move";
    SunsetTooSoon = "sunset-too-soon", Endpoints, Warning, Info,
        "deprecated with less notice (x-sunset) than --deprecation-days asks for";
    OperationIdChanged = "operation-id-changed", Endpoints, Breaking, Breaking,
        "the generated method and trait method are renamed";
    OperationDescriptionChanged = "operation-description-changed", Endpoints, Info, Info,
        "documentation only (--strict-docs)";

    NewRequiredRequestParameter = "new-required-request-parameter", Parameters, Breaking, Info,
        "the method gains an argument every caller must pass";
    NewOptionalRequestParameter = "new-optional-request-parameter", Parameters, Info, Info,
        "the method gains an argument callers may leave empty";
    RequestParameterRemoved = "request-parameter-removed", Parameters, Warning, Breaking,
        "the argument goes; a server may still be sent it by old clients";
    RequestParameterBecameRequired = "request-parameter-became-required", Parameters, Breaking, Info,
        "callers that left it out are refused";
    RequestParameterBecameOptional = "request-parameter-became-optional", Parameters, Info, Breaking,
        "a server must now handle its absence";
    RequestParameterTypeChanged = "request-parameter-type-changed", Parameters, Breaking, Breaking,
        "the argument's Rust type changes";
    RequestParameterEnumValueRemoved = "request-parameter-enum-value-removed", Parameters, Breaking, Info,
        "a value callers may send is refused";
    RequestParameterEnumValueAdded = "request-parameter-enum-value-added", Parameters, Info, Breaking,
        "a server must handle a new value";
    RequestParameterConstraintTightened = "request-parameter-constraint-tightened", Parameters, Breaking, Info,
        "values callers send today may be refused with 422";
    RequestParameterConstraintRelaxed = "request-parameter-constraint-relaxed", Parameters, Info, Warning,
        "a server must accept values it used to refuse";
    RequestParameterBecameEnum = "request-parameter-became-enum", Parameters, Breaking, Info,
        "a free string becomes a Rust enum, and other values are refused";
    RequestParameterDefaultChanged = "request-parameter-default-changed", Parameters, Warning, Warning,
        "callers that leave it out get other behaviour";
    RequestParameterDeprecated = "request-parameter-deprecated", Parameters, Info, Info,
        "nothing breaks yet";

    RequestBodyAdded = "request-body-added", RequestBody, Breaking, Info,
        "the method gains a body argument";
    RequestBodyRemoved = "request-body-removed", RequestBody, Breaking, Info,
        "the body argument goes from the method";
    RequestBodyBecameRequired = "request-body-became-required", RequestBody, Breaking, Info,
        "callers that sent none are refused";
    RequestBodyBecameOptional = "request-body-became-optional", RequestBody, Info, Breaking,
        "a server must handle a missing body";
    RequestMediaTypeAdded = "request-media-type-added", RequestBody, Info, Warning,
        "a server must read another media type";
    RequestMediaTypeRemoved = "request-media-type-removed", RequestBody, Breaking, Info,
        "a body callers send in that media type is refused";

    ResponseSuccessStatusAdded = "response-success-status-added", Responses, Info, Warning,
        "the client's success type may gain a variant";
    ResponseSuccessStatusRemoved = "response-success-status-removed", Responses, Breaking, Info,
        "the success type callers read changes";
    ResponseErrorStatusAdded = "response-error-status-added", Responses, Info, Warning,
        "a documented error the client types; a server may answer it";
    ResponseErrorStatusRemoved = "response-error-status-removed", Responses, Info, Info,
        "an error callers handled is no longer documented";
    ResponseMediaTypeRemoved = "response-media-type-removed", Responses, Breaking, Info,
        "the client cannot read the answer it gets";
    ResponseStreamAdded = "response-stream-added", Responses, Info, Warning,
        "the client gains a method that reads the answer as a stream; a server may be asked for one";
    StreamEventAdded = "stream-event-added", Responses, Breaking, Info,
        "events of the new name fail to decode: the client's event union has no variant for them";
    StreamEventRemoved = "stream-event-removed", Responses, Warning, Breaking,
        "the event union loses a variant callers may match; a server must stop sending it";
    ResponseHeaderAdded = "response-header-added", Responses, Info, Warning,
        "a server must send it";
    ResponseHeaderRemoved = "response-header-removed", Responses, Warning, Info,
        "callers reading it find nothing";

    NewRequiredRequestProperty = "new-required-request-property", Schema, Breaking, Info,
        "every request must carry it; struct literals stop compiling";
    NewOptionalRequestProperty = "new-optional-request-property", Schema, Info, Info,
        "callers may send it";
    RequestPropertyRemoved = "request-property-removed", Schema, Warning, Breaking,
        "the field goes from the request type";
    RequestPropertyBecameRequired = "request-property-became-required", Schema, Breaking, Info,
        "requests without it are refused";
    RequestPropertyBecameOptional = "request-property-became-optional", Schema, Info, Breaking,
        "a server must handle its absence";
    RequestPropertyTypeChanged = "request-property-type-changed", Schema, Breaking, Breaking,
        "the field's Rust type changes";
    RequestPropertyTypeWidened = "request-property-type-widened", Schema, Warning, Breaking,
        "integer to number: the field becomes f64; a server must accept fractions";
    RequestPropertyTypeNarrowed = "request-property-type-narrowed", Schema, Breaking, Info,
        "number to integer: fractions callers send are refused";
    RequestPropertyEnumValueRemoved = "request-property-enum-value-removed", Schema, Breaking, Info,
        "a value callers send is refused; the enum loses a variant";
    RequestPropertyEnumValueAdded = "request-property-enum-value-added", Schema, Info, Breaking,
        "a server must handle a new value";
    RequestPropertyBecameEnum = "request-property-became-enum", Schema, Breaking, Info,
        "a free string becomes a Rust enum, and other values are refused";
    RequestPropertyBecameNullable = "request-property-became-nullable", Schema, Warning, Breaking,
        "the field becomes an Option; a server must handle null";
    RequestPropertyBecameNonNullable = "request-property-became-non-nullable", Schema, Breaking, Info,
        "null, which callers may send, is refused";
    RequestPropertyConstraintTightened = "request-property-constraint-tightened", Schema, Breaking, Info,
        "values callers send today may be refused with 422";
    RequestPropertyConstraintRelaxed = "request-property-constraint-relaxed", Schema, Info, Warning,
        "a server must accept values it used to refuse";
    RequestPropertyDefaultChanged = "request-property-default-changed", Schema, Warning, Warning,
        "requests that leave it out mean something else";
    RequestPropertyBecameReadOnly = "request-property-became-read-only", Schema, Warning, Info,
        "what callers send is ignored";
    RequestUnionVariantAdded = "request-union-variant-added", Schema, Info, Breaking,
        "a server must accept another shape";
    RequestUnionVariantRemoved = "request-union-variant-removed", Schema, Breaking, Info,
        "a shape callers build is gone from the enum and refused";
    ResponseRequiredPropertyRemoved = "response-required-property-removed", Schema, Breaking, Info,
        "answers lack a field the client type requires: decoding fails";
    ResponseOptionalPropertyRemoved = "response-optional-property-removed", Schema, Breaking, Info,
        "the field goes from the response type, and code reading it stops compiling";
    ResponseRequiredPropertyAdded = "response-required-property-added", Schema, Info, Breaking,
        "a server must send it";
    ResponseOptionalPropertyAdded = "response-optional-property-added", Schema, Info, Info,
        "a new Option field";
    ResponsePropertyBecameOptional = "response-property-became-optional", Schema, Breaking, Info,
        "the field becomes an Option, and answers may lack it";
    ResponsePropertyBecameRequired = "response-property-became-required", Schema, Info, Breaking,
        "a server must always send it";
    ResponsePropertyBecameNullable = "response-property-became-nullable", Schema, Breaking, Info,
        "answers may carry null where the client type has none";
    ResponsePropertyBecameNonNullable = "response-property-became-non-nullable", Schema, Warning, Breaking,
        "the field loses its Option; a server may no longer answer null";
    ResponsePropertyTypeChanged = "response-property-type-changed", Schema, Breaking, Breaking,
        "the field's Rust type changes";
    ResponsePropertyTypeWidened = "response-property-type-widened", Schema, Breaking, Info,
        "integer to number: fractions fail to decode into the old i64";
    ResponsePropertyTypeNarrowed = "response-property-type-narrowed", Schema, Warning, Breaking,
        "number to integer: the field becomes i64";
    ResponsePropertyEnumValueAdded = "response-property-enum-value-added", Schema, Breaking, Info,
        "the client fails to decode the new value";
    ResponsePropertyEnumValueRemoved = "response-property-enum-value-removed", Schema, Info, Breaking,
        "answers stop carrying a value; a server must stop sending it";
    ResponsePropertyBecameEnum = "response-property-became-enum", Schema, Breaking, Warning,
        "a String field becomes a Rust enum";
    ResponsePropertyConstraintRelaxed = "response-property-constraint-relaxed", Schema, Warning, Info,
        "answers may fall outside bounds callers relied on; constrained strings fail to decode";
    ResponsePropertyConstraintTightened = "response-property-constraint-tightened", Schema, Info, Warning,
        "a server must keep to narrower bounds";
    ResponsePropertyBecameWriteOnly = "response-property-became-write-only", Schema, Breaking, Info,
        "answers stop carrying the field";
    ResponseUnionVariantAdded = "response-union-variant-added", Schema, Breaking, Info,
        "an answer of the new shape fails to decode, as a new enum value does";
    ResponseUnionVariantRemoved = "response-union-variant-removed", Schema, Warning, Breaking,
        "the enum loses a variant callers may match";
    DiscriminatorChanged = "discriminator-changed", Schema, Breaking, Breaking,
        "the tag that picks a union's variant, or the variant a tag value picks, changed";
    PropertyDescriptionChanged = "property-description-changed", Schema, Info, Info,
        "documentation only (--strict-docs)";

    SecurityChanged = "security-changed", Security, Breaking, Breaking,
        "credentials that worked may be refused";
    SecurityAlternativeAdded = "security-alternative-added", Security, Info, Warning,
        "another credential is accepted; a server must check it";
    SecurityScopeAdded = "api-security-scope-added", Security, Breaking, Info,
        "tokens without the new OAuth2 scope are refused";
    SecurityScopeRemoved = "api-security-scope-removed", Security, Info, Warning,
        "tokens without the scope are accepted; a server must stop asking for it";
}

impl Rule {
    /// The level for `perspective`.
    pub fn level(self, perspective: super::Perspective) -> Level {
        let (client, server) = self.levels();
        match perspective {
            super::Perspective::Client => client,
            super::Perspective::Server => server,
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.id() == id)
    }

    /// The README's table of rules, one row each.
    pub fn table() -> String {
        let mut out = String::from("| rule | client | server | why |\n|---|---|---|---|\n");
        for rule in Rule::ALL {
            let (client, server) = rule.levels();
            out.push_str(&format!(
                "| `{}` | {client} | {server} | {} |\n",
                rule.id(),
                rule.why()
            ));
        }
        out
    }
}
