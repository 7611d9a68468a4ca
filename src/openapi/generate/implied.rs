//! The answers a route gives because of how it is declared, whatever its
//! handler does: the dispatcher's, not the handler's. Stated here once, so
//! no `#[utoipa::path]` repeats them and none can forget one.

use serde_json::{Map, Value};
use watcher_core::router::Body;

use crate::http::route::{Handler, Route};

/// (status, the vocabulary's response) every answer of `route` may be.
fn implied(route: &Route) -> Vec<(&'static str, &'static str)> {
    let mut implied = Vec::new();
    if let Handler::Public(_) = route.handler {
        // The token's object decides before anything else runs.
        implied.extend([
            ("401", "PublicUnauthorized"),
            ("403", "PublicInsufficientScope"),
            ("429", "PublicRateLimited"),
            ("500", "PublicInternal"),
        ]);
        return implied;
    }
    if matches!(
        route.handler,
        Handler::Session(_)
            | Handler::SessionId(_)
            | Handler::Change(_)
            | Handler::ChangeId(_)
            | Handler::Access(_)
    ) {
        implied.push(("401", "Unauthorized"));
    }
    if is_session(&route.handler) {
        // Another organisation's row, or none, or an organisation the
        // person is not in: the same answer; a malformed `X-Organisation`
        // is a 422 naming it.
        implied.extend([("404", "NotFound"), ("422", "ValidationError")]);
    }
    if route.body == Body::Json {
        implied.extend([
            ("400", "BadRequest"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
        ]);
        if !implied.contains(&("422", "ValidationError")) {
            implied.push(("422", "ValidationError"));
        }
    }
    implied.push(("500", "Internal"));
    implied
}

/// A route a session calls: it acts in one organisation.
pub(super) fn is_session(handler: &Handler) -> bool {
    matches!(
        handler,
        Handler::Session(_) | Handler::SessionId(_) | Handler::Change(_) | Handler::ChangeId(_)
    )
}

/// The `X-Organisation` header every session's route takes, first among
/// its parameters.
pub(super) fn add_implied_parameters(route: &Route, operation: &mut Value) {
    if !is_session(&route.handler) {
        return;
    }
    let Some(object) = operation.as_object_mut() else {
        return;
    };
    let parameters = object
        .entry("parameters")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = parameters {
        list.insert(
            0,
            serde_json::json!({ "$ref": "#/components/parameters/Organisation" }),
        );
    }
}

/// Adds the route's implied answers its operation does not state itself
/// (an operation may describe one more precisely), and orders the answers
/// by status.
pub(super) fn add_implied_responses(route: &Route, operation: &mut Value) {
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (status, name) in implied(route) {
        if !responses.contains_key(status) {
            let target = format!("#/components/responses/{name}");
            responses.insert(status.to_owned(), serde_json::json!({ "$ref": target }));
        }
    }
    let mut ordered: Vec<(String, Value)> = std::mem::take(responses).into_iter().collect();
    ordered.sort_by(|(a, _), (b, _)| a.cmp(b));
    *responses = ordered.into_iter().collect::<Map<String, Value>>();
}
