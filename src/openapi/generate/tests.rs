use serde_json::json;

use super::normalise;

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
