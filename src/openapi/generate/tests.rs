use serde_json::json;

use super::normalise::normalise;

#[test]
fn integers_lose_their_format_and_nullable_references_their_inner_description() {
    let mut schema = json!({
        "type": "object",
        "properties": {
            "id": { "type": "integer", "format": "int64", "minimum": 1 },
            "count": { "type": ["integer", "null"], "format": "int32" },
            "at": { "type": "string", "format": "date-time" },
            "snapshot": { "oneOf": [
                { "$ref": "#/components/schemas/KeySnapshot", "description": "Latest." },
                { "type": "null" }
            ] }
        }
    });
    normalise(&mut schema);
    assert_eq!(
        schema,
        json!({
            "type": "object",
            "properties": {
                "id": { "type": "integer", "minimum": 1 },
                "count": { "type": ["integer", "null"] },
                "at": { "type": "string", "format": "date-time" },
                "snapshot": {
                    "oneOf": [
                        { "$ref": "#/components/schemas/KeySnapshot" },
                        { "type": "null" }
                    ],
                    "description": "Latest."
                }
            },
            "additionalProperties": false
        })
    );
}

#[test]
fn an_object_that_says_otherwise_keeps_its_additional_properties() {
    let mut schema = json!({ "type": "object", "properties": {}, "additionalProperties": true });
    normalise(&mut schema);
    assert_eq!(schema["additionalProperties"], true);
}

#[test]
fn an_enum_of_one_value_is_a_const() {
    let mut schema = json!({ "type": "string", "enum": ["api_token"] });
    normalise(&mut schema);
    assert_eq!(schema, json!({ "const": "api_token" }));
}

#[test]
fn an_inlined_field_carries_its_own_description_and_default() {
    let mut schema = json!({ "allOf": [
        { "type": "string", "enum": ["inference", "management"] },
        { "type": "object", "description": "Which key.", "default": "inference" }
    ] });
    normalise(&mut schema);
    assert_eq!(
        schema,
        json!({
            "type": "string",
            "enum": ["inference", "management"],
            "description": "Which key.",
            "default": "inference"
        })
    );
}

#[test]
fn an_allof_of_two_real_schemas_is_left_alone() {
    let both = json!({ "allOf": [
        { "$ref": "#/components/schemas/Budget" },
        { "type": "object", "properties": { "spent": { "type": "string" } } }
    ] });
    let mut schema = both.clone();
    normalise(&mut schema);
    assert_eq!(schema["allOf"][0], both["allOf"][0]);
    assert!(schema["allOf"][1]["properties"].is_object());
}

#[test]
fn a_reference_to_nothing_is_refused_by_name() {
    let doc = json!({
        "paths": { "/a": { "get": { "responses": { "200": {
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Gone" } } }
        } } } } },
        "components": { "schemas": { "Here": { "type": "string" } } }
    });
    assert_eq!(
        super::every_reference_resolves(&doc),
        Err("#/components/schemas/Gone is referenced but not defined".to_owned())
    );
    let fixed =
        json!({ "a": { "$ref": "#/components/schemas/Here" }, "components": doc["components"] });
    assert_eq!(super::every_reference_resolves(&fixed), Ok(()));
}
