//! What the API document (`openapi.json`) is generated from.
//!
//! Each endpoint's operation is a `#[utoipa::path]` item beside its handler,
//! named by the endpoint's declaration (`route::session(...).doc::<P>()`);
//! request and response types derive their schemas (`utoipa::ToSchema`).
//! The Worker crate's `openapi` binary (`cargo xtask openapi`) walks the
//! route tables and writes the document; `cargo xtask test` fails when the
//! checked-in copy differs from what the code generates.
//!
//! Only that native binary enables the `openapi` feature: without it a
//! declaration keeps nothing of its documentation, so the Worker's wasm
//! references no derived schema and the linker drops them all.

use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

/// A documented operation: what `#[utoipa::path]` implements.
///
/// `SchemaReferences` and `Tags` are utoipa's (hidden) traits that its own
/// router bindings (utoipa-axum) read the same way.
pub trait Documented:
    utoipa::Path + utoipa::__dev::SchemaReferences + for<'t> utoipa::__dev::Tags<'t>
{
}

impl<T> Documented for T where
    T: utoipa::Path + utoipa::__dev::SchemaReferences + for<'t> utoipa::__dev::Tags<'t>
{
}

/// Named schemas an operation refers to, as utoipa collects them.
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// An endpoint's documentation, read by the generator only.
#[derive(Clone, Copy)]
pub struct OperationDoc {
    pub path: fn() -> String,
    pub methods: fn() -> Vec<HttpMethod>,
    pub operation: fn() -> Operation,
    pub schemas: fn(&mut Schemas),
    pub tags: fn() -> Vec<&'static str>,
}

impl OperationDoc {
    pub const fn of<P: Documented>() -> Self {
        Self {
            path: P::path,
            methods: P::methods,
            operation: P::operation,
            schemas: <P as utoipa::__dev::SchemaReferences>::schemas,
            tags: <P as utoipa::__dev::Tags<'static>>::tags,
        }
    }
}

impl std::fmt::Debug for OperationDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OperationDoc")
    }
}

pub mod vocabulary;
