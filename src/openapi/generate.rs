//! Writes the API document from the code: each route's documented
//! operation (`.doc::<P>()` on its declaration, a `#[utoipa::path]` beside
//! the handler), the schemas its types derive, and the shared vocabulary
//! (`watcher_core::api_doc::vocabulary`). Native only (feature `openapi`);
//! `cargo xtask openapi` writes `openapi.json`, `cargo xtask test` fails
//! when the checked-in copy differs.
//!
//! What the document says beyond the code (the title, the conventions
//! every route follows, the tags, the security schemes) is its frame,
//! `frame.json`, kept as it is. A route without a documented operation is
//! refused: the document has exactly the declared routes, in the tables'
//! order, and the schemas they reach.
//!
//! utoipa's output is normalised by six rules, each a fact of this API:
//! integers carry no `format` (JSON integers; the ranges say the rest), a
//! nullable reference's description belongs to the property, an enum of
//! one value is a `const`, an inlined schema carries its field's
//! annotations itself, an object has no properties beyond those listed
//! (request bodies refuse unknown fields, responses never add any), and a
//! flattened type's fields are the object's own (`flatten`). A path's own
//! parameters (`in: path`) are stated once, beside its operations. The
//! answers a declaration implies (401 for a session, 404 for a row it names,
//! 400/413/415/422 for a JSON body, the public API's 401/429, 500) are added
//! by `implied`, not repeated beside each handler.

// The generator runs natively, never on a request: `Value`'s index
// operators (which panic only on a frame that is not an object) keep it
// readable, and a malformed frame stops the tool.
#![allow(clippy::indexing_slicing)]

use serde_json::{Map, Value};
use watcher_core::api_doc::{vocabulary, OperationDoc, Schemas};

use crate::http::route::Handler;
use crate::http::router::is_public_path;
use crate::routes::TABLES;

mod implied;
mod normalise;
use implied::{add_implied_parameters, add_implied_responses};
use normalise::normalise;

/// What the document says beyond the code.
pub const FRAME: &str = include_str!("frame.json");

/// The document: the frame, and what the route tables document.
pub fn document() -> Result<Value, String> {
    let frame: Value = serde_json::from_str(FRAME).map_err(|e| format!("frame.json: {e}"))?;
    let mut derived = Schemas::new();
    vocabulary::types_it_names(&mut derived);
    let mut paths = Map::new();
    for route in TABLES.iter().flat_map(|table| table.iter()) {
        let method = route.method.to_ascii_lowercase();
        let Some(doc) = route.doc else {
            return Err(format!(
                "{} {} is documented nowhere: give its declaration `.doc::<P>()`",
                route.method, route.path
            ));
        };
        let mut operation = operation(&doc, route.path, &method, &mut derived)?;
        add_implied_responses(route, &mut operation);
        add_implied_parameters(route, &mut operation);
        operation["security"] = security(&route.handler);
        let operation = in_key_order(operation, OPERATION_KEYS);
        let item = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(item) = item.as_object_mut() {
            item.insert(method, operation);
        }
    }
    let preflight = preflight(&mut derived)?;
    for (path, item) in paths.iter_mut() {
        share_path_parameters(item);
        if is_public_path(path) {
            if let Some(item) = item.as_object_mut() {
                let id = item["get"]["operationId"].as_str().unwrap_or(path);
                let mut answered = preflight.clone();
                answered["operationId"] = format!("{id}Preflight").into();
                item.insert("options".to_owned(), answered);
            }
        }
    }
    let mut doc = Map::new();
    for (key, value) in frame.as_object().cloned().unwrap_or_default() {
        if key == "components" {
            doc.insert(
                "paths".to_owned(),
                Value::Object(std::mem::take(&mut paths)),
            );
        }
        doc.insert(key, value);
    }
    let mut doc = Value::Object(doc);
    doc["components"]["schemas"] = Value::Object(schemas(derived)?);
    for section in ["parameters", "responses", "headers"] {
        doc["components"][section] =
            Value::Object(vocabulary::section(section).into_iter().collect());
    }
    drop_unreferenced_schemas(&mut doc);
    every_reference_resolves(&doc)?;
    Ok(doc)
}

/// Every /api/v1 path answers its CORS preflight (`http`), documented once
/// beside `public_api::preflight` and named after the path's operation.
fn preflight(derived: &mut Schemas) -> Result<Value, String> {
    let doc = OperationDoc::of::<crate::public_api::__path_preflight>();
    let mut preflight = operation(&doc, &(doc.path)(), "options", derived)?;
    preflight["security"] = Value::Array(Vec::new());
    Ok(in_key_order(preflight, OPERATION_KEYS))
}

fn operation(
    doc: &OperationDoc,
    path: &str,
    method: &str,
    derived: &mut Schemas,
) -> Result<Value, String> {
    let documented: Vec<String> = (doc.methods)()
        .iter()
        .filter_map(|m| serde_json::to_value(m).ok())
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect();
    if (doc.path)() != path || documented != [method] {
        return Err(format!(
            "{method} {path} is declared, but its #[utoipa::path] says {documented:?} {}",
            (doc.path)()
        ));
    }
    (doc.schemas)(derived);
    let mut operation = serde_json::to_value((doc.operation)()).map_err(|e| e.to_string())?;
    let tags = (doc.tags)();
    if !tags.is_empty() {
        operation["tags"] = tags.into();
    }
    normalise(&mut operation);
    refer_to_shared_parameters(&mut operation);
    refer_to_shared_headers(&mut operation);
    Ok(operation)
}

/// What the route's declaration requires, so the document cannot say
/// otherwise: the two schemes are the frame's `securitySchemes`.
fn security(handler: &Handler) -> Value {
    match handler {
        Handler::Probe(_) | Handler::Open(_) | Handler::OpenChange(_) => serde_json::json!([]),
        Handler::Session(_) | Handler::SessionId(_) | Handler::Change(_) | Handler::ChangeId(_) => {
            serde_json::json!([{ "sessionJwt": [] }])
        }
        // The one scope the operation needs (OpenAPI 3.1 lists scopes for
        // any scheme): a token without it is 403 `insufficient_scope`.
        Handler::Public(public) => serde_json::json!([{ "apiToken": [public.scope.name()] }]),
        Handler::Access(_) => serde_json::json!([{ "cloudflareAccess": [] }]),
    }
}

/// The order an operation lists its fields in (utoipa's is alphabetical).
const OPERATION_KEYS: &[&str] = &[
    "operationId",
    "tags",
    "summary",
    "description",
    "parameters",
    "requestBody",
    "security",
    "x-required-role",
    "x-own-key",
    "responses",
];

fn in_key_order(value: Value, order: &[&str]) -> Value {
    let Value::Object(mut map) = value else {
        return value;
    };
    let mut ordered = Map::new();
    for key in order {
        if let Some(v) = map.remove(*key) {
            ordered.insert((*key).to_owned(), v);
        }
    }
    ordered.extend(map);
    Value::Object(ordered)
}

/// A parameter equal to a shared one is a `$ref` to it.
fn refer_to_shared_parameters(operation: &mut Value) {
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters.iter_mut() {
        if let Some((name, _)) = vocabulary::section("parameters")
            .into_iter()
            .find(|(_, shared)| shared == parameter)
        {
            *parameter = reference("parameters", &name);
        }
    }
}

/// A response header is the shared description of that header.
fn refer_to_shared_headers(operation: &mut Value) {
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for response in responses.values_mut() {
        let Some(headers) = response.get_mut("headers").and_then(Value::as_object_mut) else {
            continue;
        };
        for (header, described) in headers.iter_mut() {
            if let Some(shared) = vocabulary::HEADERS
                .iter()
                .find(|shared| shared.name.eq_ignore_ascii_case(header))
            {
                *described = reference("headers", shared.component);
            }
        }
    }
}

/// Moves the path's parameters (`in: path`) of every operation to the
/// path item, once, where OpenAPI lets all its operations share them.
fn share_path_parameters(item: &mut Value) {
    let Some(item) = item.as_object_mut() else {
        return;
    };
    let mut shared: Vec<Value> = Vec::new();
    for operation in item.values_mut() {
        let Some(own) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for parameter in own.iter().filter(|p| is_in_path(p)) {
            if !shared.contains(parameter) {
                shared.push(parameter.clone());
            }
        }
        own.retain(|p| !is_in_path(p));
        if own.is_empty() {
            if let Some(operation) = operation.as_object_mut() {
                operation.remove("parameters");
            }
        }
    }
    if !shared.is_empty() {
        let mut with_parameters = Map::new();
        with_parameters.insert("parameters".to_owned(), Value::Array(shared));
        with_parameters.extend(std::mem::take(item));
        *item = with_parameters;
    }
}

/// A parameter (inline, or a `$ref` to the vocabulary's) of the path.
fn is_in_path(parameter: &Value) -> bool {
    let resolved = match parameter["$ref"].as_str() {
        Some(target) => {
            let name = target.rsplit('/').next().unwrap_or(target);
            vocabulary::entry("parameters", name)
        }
        None => parameter.clone(),
    };
    resolved["in"] == "path"
}

fn reference(kind: &str, name: &str) -> Value {
    serde_json::json!({ "$ref": format!("#/components/{kind}/{name}") })
}

/// The vocabulary's schemas, then what the types derive (a vocabulary name
/// always keeps the vocabulary's JSON).
fn schemas(derived: Schemas) -> Result<Map<String, Value>, String> {
    let mut schemas = Map::new();
    let shared = vocabulary::section("schemas");
    let mut merged = Vec::new();
    for (name, json) in &shared {
        schemas.insert(name.clone(), json.clone());
    }
    for (name, schema) in derived {
        if shared.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let mut schema = serde_json::to_value(schema).map_err(|e| e.to_string())?;
        normalise(&mut schema);
        schemas.insert(name.clone(), schema);
        merged.push(name);
    }
    for name in merged {
        if let Some(flat) = schemas.get(&name).and_then(|s| flatten(s, &schemas)) {
            schemas.insert(name, flat);
        }
    }
    Ok(schemas)
}

/// A derived `allOf` is a `#[serde(flatten)]`: on the wire its members'
/// fields are one object, so the schema is that one object (an `allOf` of
/// closed objects would refuse every field of the others).
fn flatten(schema: &Value, schemas: &Map<String, Value>) -> Option<Value> {
    let members = schema.get("allOf")?.as_array()?;
    let mut flat = Map::new();
    flat.insert("type".to_owned(), "object".into());
    if let Some(description) = schema.get("description") {
        flat.insert("description".to_owned(), description.clone());
    }
    let (mut required, mut properties) = (Vec::new(), Map::new());
    for member in members {
        let member = match member.get("$ref").and_then(Value::as_str) {
            Some(reference) => schemas.get(reference.rsplit('/').next()?)?,
            None => member,
        };
        let member = flatten(member, schemas).unwrap_or_else(|| member.clone());
        if let Some(names) = member.get("required").and_then(Value::as_array) {
            required.extend(names.iter().cloned());
        }
        properties.extend(member.get("properties")?.as_object()?.clone());
    }
    flat.insert("required".to_owned(), Value::Array(required));
    flat.insert("properties".to_owned(), Value::Object(properties));
    flat.insert("additionalProperties".to_owned(), Value::Bool(false));
    Some(Value::Object(flat))
}

/// Schemas nothing refers to any more (a renamed type's old name) go.
fn drop_unreferenced_schemas(doc: &mut Value) {
    loop {
        let text = serde_json::to_string(&doc).unwrap_or_default();
        let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
            return;
        };
        let before = schemas.len();
        schemas.retain(|name, _| text.contains(&format!("\"#/components/schemas/{name}\"")));
        if schemas.len() == before {
            return;
        }
    }
}

/// A `$ref` to nothing would pass every check of the document itself and
/// fail its readers (the contract check, openapi-typescript).
fn every_reference_resolves(doc: &Value) -> Result<(), String> {
    let text = serde_json::to_string(doc).map_err(|e| e.to_string())?;
    for target in text.split("\"$ref\":\"#/").skip(1) {
        let pointer = target.split('"').next().unwrap_or_default();
        if doc.pointer(&format!("/{pointer}")).is_none() {
            return Err(format!("#/{pointer} is referenced but not defined"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
