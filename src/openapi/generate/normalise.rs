//! utoipa's output, normalised to the facts of this API (the rules are
//! listed in the parent module's doc).

use serde_json::{Map, Value};

/// The rules of the module's doc, applied everywhere below `value`.
pub(super) fn normalise(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let integer = map.get("type").and_then(Value::as_str) == Some("integer")
                || map
                    .get("type")
                    .and_then(Value::as_array)
                    .is_some_and(|types| types.iter().any(|t| t == "integer"));
            if integer {
                map.remove("format");
            }
            lift_nullable_description(map);
            one_value_is_a_const(map);
            unwrap_described_inline(map);
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            map.values_mut().for_each(normalise);
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        _ => {}
    }
}

/// What a field says of itself (beside its type) when its schema is inlined.
const FIELD_ANNOTATIONS: [&str; 3] = ["description", "default", "example"];

/// utoipa describes an inlined schema as `allOf: [schema, {type: object,
/// description, default}]`, which no array or string satisfies: the schema
/// itself, with the field's annotations.
fn unwrap_described_inline(map: &mut Map<String, Value>) {
    let Some(Value::Array(members)) = map.get("allOf") else {
        return;
    };
    let [Value::Object(schema), Value::Object(note)] = members.as_slice() else {
        return;
    };
    let only_annotated = note.get("type").and_then(Value::as_str) == Some("object")
        && note
            .keys()
            .all(|key| FIELD_ANNOTATIONS.contains(&key.as_str()) || key == "type");
    if !only_annotated {
        return;
    }
    let mut unwrapped = schema.clone();
    for (key, value) in note.iter().filter(|(key, _)| key.as_str() != "type") {
        unwrapped.insert(key.clone(), value.clone());
    }
    map.remove("allOf");
    map.extend(unwrapped);
}

/// `enum: [x]` (a Rust enum of one variant) says `const: x`.
fn one_value_is_a_const(map: &mut Map<String, Value>) {
    let single = match map.get("enum").and_then(Value::as_array) {
        Some(values) if values.len() == 1 => values.first().cloned(),
        _ => None,
    };
    if let Some(value) = single {
        map.remove("enum");
        map.remove("type");
        map.insert("const".to_owned(), value);
    }
}

/// `oneOf: [{$ref, description}, {type: null}]` -> the description beside
/// the `oneOf`, where a reader (and a code generator) looks for it.
fn lift_nullable_description(map: &mut Map<String, Value>) {
    let Some(branches) = map.get_mut("oneOf").and_then(Value::as_array_mut) else {
        return;
    };
    let mut lifted = Map::new();
    for branch in branches.iter_mut() {
        if let Some(branch) = branch.as_object_mut() {
            if branch.contains_key("$ref") {
                branch.retain(|key, value| {
                    if key == "$ref" {
                        true
                    } else {
                        lifted.insert(key.clone(), value.clone());
                        false
                    }
                });
            }
        }
    }
    map.extend(lifted);
}
