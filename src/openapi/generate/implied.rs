//! The answers a route gives because of how it is declared, whatever its
//! handler does: the dispatcher's, not the handler's. Stated here once, so
//! no `#[utoipa::path]` repeats them and none can forget one.

use serde_json::{Map, Value};
use watcher_core::domain::role::{Permission, Role};
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
    if is_session(&route.handler) && route.permission.least() > Role::Viewer {
        implied.push(("403", "Forbidden"));
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
/// its parameters, and the role it needs (`x-required-role`, with
/// `x-own-key` when a member may call it for a key they added).
pub(super) fn add_implied_parameters(route: &Route, operation: &mut Value) {
    if !is_session(&route.handler) {
        return;
    }
    let Some(object) = operation.as_object_mut() else {
        return;
    };
    let (role, own_key) = match route.permission {
        Permission::AtLeast(role) => (role, false),
        Permission::OwnKeyOr(role) => (role, true),
    };
    object.insert("x-required-role".to_owned(), role.as_str().into());
    if own_key {
        object.insert("x-own-key".to_owned(), true.into());
    }
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
        match responses.get_mut(status) {
            None => {
                let target = format!("#/components/responses/{name}");
                responses.insert(status.to_owned(), serde_json::json!({ "$ref": target }));
            }
            // A role below the operation's is refused before what the
            // operation itself answers 403 for (a stale session): either.
            Some(own) if name == "Forbidden" => also_forbidden(own),
            Some(_) => {}
        }
    }
    let mut ordered: Vec<(String, Value)> = std::mem::take(responses).into_iter().collect();
    ordered.sort_by(|(a, _), (b, _)| a.cmp(b));
    *responses = ordered.into_iter().collect::<Map<String, Value>>();
}

/// An operation's own 403 answer, widened to the role check's too.
fn also_forbidden(own: &mut Value) {
    let Some(schema) = own.pointer_mut("/content/application~1json/schema") else {
        return;
    };
    let stated = schema.take();
    *schema = serde_json::json!({
        "oneOf": [stated, { "$ref": "#/components/schemas/ForbiddenError" }]
    });
    if let Some(Value::String(description)) = own.get_mut("description") {
        description.push_str(
            " Or `forbidden`: the person's role in this organisation is below the operation's (`x-required-role`).",
        );
    }
}
