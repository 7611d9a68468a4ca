//! Request bodies: size cap, content type, and JSON errors a client can act on.

use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};

/// Larger bodies are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// 415 unless the declared type is JSON (`application/json`, any parameters).
pub fn require_json_content_type(content_type: Option<&str>) -> Result<(), AppError> {
    let essence = content_type
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json") => Ok(()),
        _ => Err(AppError::UnsupportedMediaType),
    }
}

/// 413 as soon as a declared or actual length passes the cap.
pub fn check_length(length: usize) -> Result<(), AppError> {
    if length > MAX_BODY_BYTES {
        Err(AppError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        })
    } else {
        Ok(())
    }
}

/// Parses a JSON body into `T`. Syntax errors are 400 `bad_request`; a body
/// that is JSON but the wrong shape (missing, unknown or mistyped field) is
/// 422 naming the field.
/// Serde: a field that may be absent but, when present, holds a value:
/// `null` is refused (422 naming the field), as the document types it.
pub fn present<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(de).map(Some)
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    check_length(bytes.len())?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::BadRequest(
            "A JSON request body is required.".to_owned(),
        ));
    }
    // Every body of the API is an object; serde would also read a struct
    // from an array of its fields in order (`[null, null]` was a valid
    // settings change).
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b == b'[') {
        return Err(AppError::Validation {
            message: "Invalid request body: must be a JSON object.".to_owned(),
            details: vec![FieldError::new("body", "must be a JSON object")],
        });
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(de);
    result.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = field_name(&path, &inner.to_string());
                let reason = strip_position(&inner.to_string());
                AppError::Validation {
                    message: format!("Invalid request body: {reason}."),
                    details: vec![FieldError::new(field, reason)],
                }
            }
            _ => AppError::BadRequest("The request body is not valid JSON.".to_owned()),
        }
    })
}

/// `serde` names missing and unknown fields only in its message; the path
/// names the field for type errors.
fn field_name(path: &str, message: &str) -> String {
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    let named = quoted("missing field `").or_else(|| quoted("unknown field `"));
    match (named, path) {
        (Some(name), "." | "") => name,
        // Unknown fields are already the last segment of the path.
        (Some(name), path) if path == name || path.ends_with(&format!(".{name}")) => {
            path.to_owned()
        }
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, ".") => "body".to_owned(),
        (None, path) => path.to_owned(),
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        remember: Option<bool>,
    }

    fn field_of(err: AppError) -> String {
        match err {
            AppError::Validation { details, .. } => details[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_bad_request() {
        for body in [&b"{"[..], b"{\"email\": }", b"not json", b"   "] {
            let err = parse_json::<Login>(body).unwrap_err();
            assert_eq!(err.status(), 400, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn shape_errors_name_the_field() {
        assert_eq!(field_of(parse_json::<Login>(b"{}").unwrap_err()), "email");
        assert_eq!(
            field_of(parse_json::<Login>(br#"{"email":"a","x":1}"#).unwrap_err()),
            "x"
        );
        assert_eq!(
            field_of(parse_json::<Login>(br#"{"email":"a","remember":"yes"}"#).unwrap_err()),
            "remember"
        );
        assert_eq!(field_of(parse_json::<Login>(b"1").unwrap_err()), "body");
    }

    #[test]
    fn an_array_of_the_fields_is_not_the_object() {
        let err = parse_json::<Login>(br#" ["a", true]"#).unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(field_of(err), "body");
    }

    #[test]
    fn oversized_bodies_are_refused() {
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(parse_json::<Login>(&big).unwrap_err().status(), 413);
        assert!(check_length(MAX_BODY_BYTES).is_ok());
    }

    #[test]
    fn content_type_must_be_json() {
        assert!(require_json_content_type(Some("application/json")).is_ok());
        assert!(require_json_content_type(Some("Application/JSON; charset=utf-8")).is_ok());
        for bad in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            assert_eq!(require_json_content_type(bad).unwrap_err().status(), 415);
        }
    }
}
