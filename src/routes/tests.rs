//! The Worker's own tables: every operation of `openapi.json` is routed and
//! every route is documented, and the router's answers (404, 405 with
//! `Allow`, credentials, bodies) stay what the API promises.

use super::*;
use crate::http::router::Body;

fn resolved(method: &str, path: &str) -> (String, Option<i64>) {
    let matched = router().unwrap().resolve(method, path).unwrap();
    (format!("{:?}", matched.endpoint.handler), matched.id)
}

#[test]
fn the_tables_build() {
    assert!(router().is_ok(), "{:?}", Router::new(TABLES).err());
}

#[test]
fn every_documented_operation_is_routed_and_every_route_documented() {
    let doc: serde_json::Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| !matches!(k.as_str(), "parameters" | "summary" | "description"))
                .map(move |method| (method.to_ascii_uppercase(), path.clone()))
        })
        .collect();
    documented.sort();
    let mut routed: Vec<(String, String)> = Vec::new();
    for endpoint in router().unwrap().endpoints() {
        routed.push((endpoint.method.to_owned(), endpoint.path.to_owned()));
        // Preflights are answered for every /api/v1 path and documented
        // for each operation.
        if matches!(endpoint.handler, Handler::Public(_)) {
            routed.push(("OPTIONS".to_owned(), endpoint.path.to_owned()));
        }
    }
    routed.sort();
    assert_eq!(routed, documented);
}

#[test]
fn resolves_routes_with_their_credential_and_id() {
    assert_eq!(resolved("GET", "/health"), ("Probe".into(), None));
    assert_eq!(resolved("GET", "/openapi.json"), ("Open".into(), None));
    assert_eq!(resolved("POST", "/api/auth/login"), ("Open".into(), None));
    assert_eq!(
        resolved("POST", "/api/auth/logout"),
        ("Session".into(), None)
    );
    assert_eq!(resolved("DELETE", "/api/auth/me"), ("Session".into(), None));
    assert_eq!(
        resolved("PATCH", "/api/keys/42"),
        ("ChangeId".into(), Some(42))
    );
    assert_eq!(
        resolved("POST", "/api/keys/7/sync"),
        ("ChangeId".into(), Some(7))
    );
    assert_eq!(
        resolved("POST", "/api/auth/register"),
        ("OpenChange".into(), None)
    );
    assert_eq!(resolved("PATCH", "/api/settings"), ("Change".into(), None));
    assert_eq!(resolved("GET", "/api/usage.csv"), ("Session".into(), None));
    assert_eq!(
        resolved("GET", "/api/webhooks/2/deliveries"),
        ("SessionId".into(), Some(2))
    );
    assert_eq!(resolved("GET", "/api/v1/keys/"), ("Public".into(), None));
    assert_eq!(resolved("GET", "/api/v1/metrics"), ("Public".into(), None));
    assert_eq!(
        resolved("POST", "/api/auth/access"),
        ("Access".into(), None)
    );
}

#[test]
fn only_the_documented_bodies_are_read() {
    let mut with_body: Vec<String> = router()
        .unwrap()
        .endpoints()
        .filter(|e| e.body == Body::Json)
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    with_body.sort();
    let doc: serde_json::Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    let mut documented: Vec<String> = router()
        .unwrap()
        .endpoints()
        .filter(|e| {
            doc["paths"][e.path][e.method.to_ascii_lowercase()]
                .get("requestBody")
                .is_some()
        })
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    documented.sort();
    assert_eq!(with_body, documented);
}

/// The routes that write and record nothing in the audit log, each
/// declared with `route::unaudited` and its reason (tests/api/audit.rs
/// exempts the same ones).
const UNAUDITED: [(&str, &str); 4] = [
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("DELETE", "/api/auth/me"),
    ("DELETE", "/api/organisations"),
];

#[test]
fn every_route_that_writes_records_its_change_or_is_exempt_by_name() {
    for endpoint in router().unwrap().endpoints() {
        let route = (endpoint.method, endpoint.path);
        // An Access sign-in records the account it creates (`SignedIn`).
        let records = matches!(
            endpoint.handler,
            Handler::OpenChange(_) | Handler::Change(_) | Handler::ChangeId(_) | Handler::Access(_)
        );
        let reads = endpoint.method == "GET";
        assert_eq!(
            records,
            !reads && !UNAUDITED.contains(&route),
            "{route:?} ({:?})",
            endpoint.handler
        );
    }
}

#[test]
fn unknown_paths_are_not_found() {
    for path in [
        "/nope",
        "/api",
        "/api/keys/abc",
        "/api/keys/0",
        "/api/keys/-1",
        "/api/v1/stats/x",
        "/api/keys/99999999999999999999",
    ] {
        let err = router().unwrap().resolve("GET", path).unwrap_err();
        assert_eq!(err.status(), 404, "{path}");
    }
}

#[test]
fn wrong_and_unknown_methods_are_405_with_allow() {
    let resolve = |method, path| router().unwrap().resolve(method, path).map(|_| ());
    assert_eq!(
        resolve("PUT", "/api/keys/1"),
        Err(AppError::MethodNotAllowed {
            allow: vec!["GET", "PATCH", "DELETE"]
        })
    );
    assert_eq!(
        resolve("GET", "/api/auth/login"),
        Err(AppError::MethodNotAllowed {
            allow: vec!["POST"]
        })
    );
    for method in [
        "QUERY", "PROPFIND", "REPORT", "TRACE", "get", "Post", "OPTIONS",
    ] {
        assert_eq!(
            resolve(method, "/health"),
            Err(AppError::MethodNotAllowed { allow: vec!["GET"] }),
            "{method} /health"
        );
        assert_eq!(
            resolve(method, "/api/keys"),
            Err(AppError::MethodNotAllowed {
                allow: vec!["GET", "POST"]
            }),
            "{method} /api/keys"
        );
        assert_eq!(
            resolve(method, "/api/v1/usage").unwrap_err().status(),
            405,
            "{method} /api/v1/usage"
        );
    }
}
