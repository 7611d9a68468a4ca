//! Writes the API document from the code: each route's documented
//! operation (`.doc::<P>()` on its declaration, a `#[utoipa::path]` beside
//! the handler), the schemas its types derive, and the shared vocabulary
//! (`watcher_core::api_doc::vocabulary`). Native only (feature `openapi`);
//! `cargo xtask openapi` writes `openapi.json`, `cargo xtask test` fails
//! when the checked-in copy differs.
//!
//! What the document says beyond the code (the title, the conventions
//! every route follows, the tags, the security schemes) is the checked-in
//! document's frame, kept as it is. So is the operation of a route not
//! documented in code yet: the generator refuses a route with neither, and
//! drops whatever no route declares.
//!
//! utoipa's output is normalised by six rules, each a fact of this API:
//! integers carry no `format` (JSON integers; the ranges say the rest), a
//! nullable reference's description belongs to the property, an enum of
//! one value is a `const`, an inlined schema carries its field's description
//! itself, an object
//! has no properties beyond those listed (request bodies refuse unknown
//! fields, responses never add any), and a flattened type's fields are
//! the object's own (`flatten`).

// The generator runs natively on the checked-in document, never on a
// request: `Value`'s index operators (which panic only on a frame that is
// not an object) keep it readable, and a malformed frame stops the tool.
#![allow(clippy::indexing_slicing)]

use serde_json::{Map, Value};
use watcher_core::api_doc::{vocabulary, OperationDoc, Schemas};

use crate::http::route::Handler;
use crate::http::router::is_public_path;
use crate::routes::TABLES;

mod normalise;
use normalise::normalise;

/// The document for `frame` (the checked-in one).
pub fn document(frame: &Value) -> Result<Value, String> {
    let mut derived = Schemas::new();
    let mut paths = Map::new();
    for route in TABLES.iter().flat_map(|table| table.iter()) {
        let method = route.method.to_ascii_lowercase();
        let operation = match route.doc {
            Some(doc) => {
                let mut documented = operation(&doc, route.path, &method, &mut derived)?;
                documented["security"] = security(&route.handler);
                in_key_order(documented, OPERATION_KEYS)
            }
            None => frame["paths"][route.path][&method].clone(),
        };
        if operation.is_null() {
            return Err(format!(
                "{} {} is documented nowhere: give its declaration `.doc::<P>()`",
                route.method, route.path
            ));
        }
        let item = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(item) = item.as_object_mut() {
            item.insert(method, operation);
        }
    }
    for (path, item) in paths.iter_mut() {
        share_path_parameters(&frame["paths"][path], item);
        if is_public_path(path) {
            // Every /api/v1 path answers its CORS preflight (`http`).
            if let Some(preflight) = frame["paths"][path].get("options") {
                if let Some(item) = item.as_object_mut() {
                    item.insert("options".to_owned(), preflight.clone());
                }
            }
        }
    }
    let mut doc = frame.clone();
    doc["paths"] = Value::Object(in_frame_order(paths, &frame["paths"]));
    doc["components"]["schemas"] = Value::Object(schemas(frame, derived)?);
    for section in ["parameters", "responses", "headers"] {
        doc["components"][section] =
            Value::Object(vocabulary::section(section).into_iter().collect());
    }
    drop_unreferenced_schemas(&mut doc);
    Ok(doc)
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
        Handler::Probe(_) | Handler::Open(_) => serde_json::json!([]),
        Handler::Session(_) | Handler::SessionId(_) => serde_json::json!([{ "sessionJwt": [] }]),
        Handler::Public(_) => serde_json::json!([{ "apiToken": [] }]),
    }
}

/// The order the frame's operations list their fields in.
const OPERATION_KEYS: &[&str] = &[
    "operationId",
    "tags",
    "summary",
    "description",
    "parameters",
    "requestBody",
    "security",
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

/// A path's own parameters (its `{id}`) stay on the path, as the frame has
/// them, rather than on each operation.
fn share_path_parameters(framed: &Value, item: &mut Value) {
    let Some(shared) = framed.get("parameters").and_then(Value::as_array) else {
        return;
    };
    if let Some(item) = item.as_object_mut() {
        for operation in item.values_mut() {
            if let Some(own) = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
            {
                own.retain(|p| !shared.contains(p));
                if own.is_empty() {
                    if let Some(operation) = operation.as_object_mut() {
                        operation.remove("parameters");
                    }
                }
            }
        }
        let mut with_parameters = Map::new();
        with_parameters.insert("parameters".to_owned(), Value::Array(shared.clone()));
        with_parameters.extend(std::mem::take(item));
        *item = with_parameters;
    }
}

fn reference(kind: &str, name: &str) -> Value {
    serde_json::json!({ "$ref": format!("#/components/{kind}/{name}") })
}

/// The frame's schemas, the vocabulary's, then what the types derive (a
/// vocabulary name always keeps the vocabulary's JSON).
fn schemas(frame: &Value, derived: Schemas) -> Result<Map<String, Value>, String> {
    let mut schemas = frame["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
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

/// Paths in the frame's order, new ones after.
fn in_frame_order(mut paths: Map<String, Value>, frame: &Value) -> Map<String, Value> {
    let mut ordered = Map::new();
    if let Some(framed) = frame.as_object() {
        for (path, item) in framed {
            if let Some(mut new) = paths.remove(path) {
                if let (Some(new), Some(old)) = (new.as_object_mut(), item.as_object()) {
                    let mut methods = Map::new();
                    for key in old.keys() {
                        if let Some(v) = new.remove(key) {
                            methods.insert(key.clone(), v);
                        }
                    }
                    methods.extend(std::mem::take(new));
                    *new = methods;
                }
                ordered.insert(path.clone(), new);
            }
        }
    }
    ordered.extend(paths);
    ordered
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

#[cfg(test)]
mod tests;
