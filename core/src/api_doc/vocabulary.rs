//! The document's shared vocabulary (`vocabulary.json`): schemas no Rust
//! type has (the error envelope's variants, timestamps and dates carried
//! as strings, nullable forms), the parameters, the response headers and
//! the error responses every route shares.
//!
//! Kept as JSON because utoipa's model cannot say all of it (`const`,
//! `allOf` without a `type`, a header's `required`): the generator copies
//! these entries exactly, and an operation that names one here (`params(
//! KeyId)`, `response = NotFound`, `value_type = Timestamp`) is given a
//! `$ref` to it (see the Worker's `openapi::generate`).

use serde_json::Value;

const VOCABULARY: &str = include_str!("vocabulary.json");

/// The entry `name` of `section`, or null when there is none.
pub fn entry(section: &str, name: &str) -> Value {
    serde_json::from_str::<Value>(VOCABULARY)
        .ok()
        .and_then(|all| all.get(section)?.get(name).cloned())
        .unwrap_or(Value::Null)
}

/// Every entry of `section`, in the file's order.
pub fn section(section: &str) -> Vec<(String, Value)> {
    serde_json::from_str::<Value>(VOCABULARY)
        .ok()
        .and_then(|all| all.get(section)?.as_object().cloned())
        .map(|entries| entries.into_iter().collect())
        .unwrap_or_default()
}

/// The types the vocabulary's JSON names (`$ref`) that no operation needs
/// to reach: their schemas are derived like any other.
pub fn types_it_names(schemas: &mut super::Schemas) {
    use utoipa::{PartialSchema, ToSchema};
    schemas.push((
        crate::error::FieldError::name().into_owned(),
        crate::error::FieldError::schema(),
    ));
}

/// A response header the vocabulary describes, by its HTTP name.
pub struct Header {
    pub component: &'static str,
    pub name: &'static str,
}

/// The headers of `vocabulary.json`, by the HTTP header they describe: an
/// operation's response header of that name becomes a `$ref` to it.
pub const HEADERS: &[Header] = &[
    Header {
        component: "XRateLimitLimit",
        name: "X-RateLimit-Limit",
    },
    Header {
        component: "XRateLimitRemaining",
        name: "X-RateLimit-Remaining",
    },
    Header {
        component: "XRateLimitReset",
        name: "X-RateLimit-Reset",
    },
    Header {
        component: "RetryAfter",
        name: "Retry-After",
    },
    Header {
        component: "WWWAuthenticate",
        name: "WWW-Authenticate",
    },
    Header {
        component: "Allow",
        name: "Allow",
    },
    Header {
        component: "ContentDisposition",
        name: "Content-Disposition",
    },
    Header {
        component: "AccessControlAllowOrigin",
        name: "Access-Control-Allow-Origin",
    },
    Header {
        component: "AccessControlExposeHeaders",
        name: "Access-Control-Expose-Headers",
    },
    Header {
        component: "AccessControlAllowMethods",
        name: "Access-Control-Allow-Methods",
    },
    Header {
        component: "AccessControlAllowHeaders",
        name: "Access-Control-Allow-Headers",
    },
    Header {
        component: "AccessControlMaxAge",
        name: "Access-Control-Max-Age",
    },
];

/// A type the document names whose schema is the vocabulary's entry.
/// Its utoipa schema (only read while utoipa collects names) is that JSON
/// in utoipa's model, which may drop what it cannot say.
macro_rules! named_schema {
    ($name:ident) => {
        pub struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                serde_json::from_value(super::entry("schemas", stringify!($name))).unwrap_or_else(
                    |_| utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::default()),
                )
            }
        }
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// A parameter given as JSON: `params(Page, Limit)` in a `#[utoipa::path]`.
/// Exported for a parameter only one endpoint takes, declared beside its
/// handler (utoipa's inline form cannot give a parameter a `default`).
#[macro_export]
macro_rules! named_params {
    ($name:ident, $json:expr) => {
        pub struct $name;
        impl utoipa::IntoParams for $name {
            fn into_params(
                _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
            ) -> Vec<utoipa::openapi::path::Parameter> {
                serde_json::from_value($json).into_iter().collect()
            }
        }
    };
}

/// A shared response: `(status = 404, response = NotFound)`.
macro_rules! named_response {
    ($name:ident) => {
        pub struct $name;
        impl<'r> utoipa::ToResponse<'r> for $name {
            fn response() -> (
                &'r str,
                utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
            ) {
                (
                    stringify!($name),
                    serde_json::from_value(super::entry("responses", stringify!($name)))
                        .unwrap_or_else(|_| {
                            utoipa::openapi::RefOr::T(utoipa::openapi::response::Response::default())
                        }),
                )
            }
        }
    };
}

/// Schemas of the vocabulary; `value_type = Timestamp` names one.
pub mod schemas {
    named_schema!(NullableMoney);
    named_schema!(Timestamp);
    named_schema!(NullableTimestamp);
    named_schema!(Date);
    named_schema!(Error);
    named_schema!(BadRequestError);
    named_schema!(UnauthorizedError);
    named_schema!(NotFoundError);
    named_schema!(MethodNotAllowedError);
    named_schema!(ConflictError);
    named_schema!(PayloadTooLargeError);
    named_schema!(UnsupportedMediaTypeError);
    named_schema!(ValidationError);
    named_schema!(RateLimitedError);
    named_schema!(InternalError);
    named_schema!(ServiceUnavailableError);
    named_schema!(ReauthenticationRequiredError);
    named_schema!(InsufficientScopeError);
    named_schema!(Percent);
    named_schema!(Thresholds);
    named_schema!(Name);
    named_schema!(KeyHash);
    named_schema!(TimeZone);
    named_schema!(AlertEvent);
    named_schema!(OpenApiDocument);

    /// Money is a Rust type (`domain::money`), serialised as a decimal string.
    impl utoipa::PartialSchema for crate::domain::money::Money {
        fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
            serde_json::from_value(super::entry("schemas", "Money")).unwrap_or_else(|_| {
                utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::default())
            })
        }
    }
    impl utoipa::ToSchema for crate::domain::money::Money {
        fn name() -> std::borrow::Cow<'static, str> {
            std::borrow::Cow::Borrowed("Money")
        }
    }
}

/// An amount typed into a request (`domain::money`): a JSON number or a
/// decimal string, inlined where a body takes one.
impl utoipa::PartialSchema for crate::domain::money::EnteredAmount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        serde_json::from_value(entry("schemas", "EnteredAmount")).unwrap_or_else(|_| {
            utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::default())
        })
    }
}
impl utoipa::ToSchema for crate::domain::money::EnteredAmount {}

/// Parameters of the vocabulary; the document refers to them by `$ref`.
pub mod params {
    crate::named_params!(KeyId, super::entry("parameters", "KeyId"));
    crate::named_params!(TokenId, super::entry("parameters", "TokenId"));
    crate::named_params!(Page, super::entry("parameters", "Page"));
    crate::named_params!(Limit, super::entry("parameters", "Limit"));
    crate::named_params!(
        StartDateOptional,
        super::entry("parameters", "StartDateOptional")
    );
    crate::named_params!(
        EndDateOptional,
        super::entry("parameters", "EndDateOptional")
    );
    crate::named_params!(
        StartDateRequired,
        super::entry("parameters", "StartDateRequired")
    );
    crate::named_params!(
        EndDateRequired,
        super::entry("parameters", "EndDateRequired")
    );
    crate::named_params!(ApiKeyIdFilter, super::entry("parameters", "ApiKeyIdFilter"));
    crate::named_params!(ModelFilter, super::entry("parameters", "ModelFilter"));
    crate::named_params!(Days, super::entry("parameters", "Days"));
    crate::named_params!(BudgetId, super::entry("parameters", "BudgetId"));
    crate::named_params!(ActionId, super::entry("parameters", "ActionId"));
    crate::named_params!(
        ActionStateFilter,
        super::entry("parameters", "ActionStateFilter")
    );
    crate::named_params!(WebhookId, super::entry("parameters", "WebhookId"));
    crate::named_params!(TimeZoneQuery, super::entry("parameters", "TimeZoneQuery"));
}

/// Responses of the vocabulary.
pub mod responses {
    named_response!(BadRequest);
    named_response!(Unauthorized);
    named_response!(NotFound);
    named_response!(RouteNotFound);
    named_response!(MethodNotAllowed);
    named_response!(PayloadTooLarge);
    named_response!(UnsupportedMediaType);
    named_response!(ValidationError);
    named_response!(Internal);
    named_response!(PublicBadRequest);
    named_response!(PublicUnauthorized);
    named_response!(PublicValidationError);
    named_response!(PublicInsufficientScope);
    named_response!(PublicRateLimited);
    named_response!(PublicInternal);
}
