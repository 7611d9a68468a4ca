//! The router: `(method, path)` to the endpoint declared for it, or the
//! right 404/405.
//!
//! Each feature declares its endpoints in one table (`ROUTES` beside its
//! handlers); the router is built from those tables, so a route cannot
//! exist without its handler. Generic over what an endpoint runs, and pure,
//! so every table is unit-tested natively; `http::route` holds the Worker's
//! handler type.

use crate::domain::role::{Permission, Role};
use crate::error::AppError;

/// One operation: a method on a path pattern, and what serves it.
///
/// A pattern is literal segments and `{id}` segments; an `{id}` matches a
/// row id only (a positive integer D1 can hold exactly), so a handler never
/// sees a malformed one and `/api/keys/abc` is simply not a route (404).
#[derive(Debug)]
pub struct Endpoint<H> {
    pub method: &'static str,
    pub path: &'static str,
    pub body: Body,
    pub handler: H,
    /// What the person's role must be (session routes; others ignore it).
    pub permission: Permission,
    /// Its entry in the API document (see `api_doc`); kept only by the
    /// document's generator.
    #[cfg(feature = "openapi")]
    pub doc: Option<crate::api_doc::OperationDoc>,
}

/// Whether the endpoint reads a request body (it must then be JSON, and is
/// bounded); every other endpoint's body is never read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    None,
    Json,
}

impl<H> Endpoint<H> {
    /// `ids` is how many `{id}` segments the handler takes. Evaluated at
    /// compile time in the `ROUTES` tables, so a path whose ids disagree with
    /// its handler is a build error, not a 500.
    pub const fn new(method: &'static str, path: &'static str, ids: usize, handler: H) -> Self {
        assert!(
            count_ids(path) == ids,
            "the path's {{id}} segments and the handler's ids disagree"
        );
        Self {
            method,
            path,
            body: Body::None,
            handler,
            permission: Permission::AtLeast(Role::Viewer),
            #[cfg(feature = "openapi")]
            doc: None,
        }
    }

    /// The endpoint's documented operation: the `#[utoipa::path]` item
    /// beside its handler, whose path and method the generator checks
    /// against this declaration's. Without the `openapi` feature `P` is only
    /// type-checked, never referenced.
    #[cfg_attr(not(feature = "openapi"), allow(unused_mut))]
    pub const fn doc<P: crate::api_doc::Documented>(mut self) -> Self {
        #[cfg(feature = "openapi")]
        {
            self.doc = Some(crate::api_doc::OperationDoc::of::<P>());
        }
        self
    }

    /// The least role a person needs to call it.
    pub const fn role(mut self, role: Role) -> Self {
        self.permission = Permission::AtLeast(role);
        self
    }

    /// `role` or above, or a member for a key they added (the `{id}`).
    pub const fn own_key_or(mut self, role: Role) -> Self {
        self.permission = Permission::OwnKeyOr(role);
        self
    }

    /// The endpoint reads a JSON body.
    pub const fn json(mut self) -> Self {
        self.body = Body::Json;
        self
    }
}

/// How many `{id}` segments a pattern holds (at compile time: no iterators).
const fn count_ids(path: &str) -> usize {
    const ID: &[u8] = b"{id}";
    let bytes = path.as_bytes();
    let mut count = 0;
    let mut at = 0;
    while at + ID.len() <= bytes.len() {
        let mut same = true;
        let mut i = 0;
        while i < ID.len() {
            // Indexing is in bounds by the loop conditions; this runs in
            // const evaluation, where a slip is a build error anyway.
            #[allow(clippy::indexing_slicing)]
            if bytes[at + i] != ID[i] {
                same = false;
            }
            i += 1;
        }
        if same {
            count += 1;
        }
        at += 1;
    }
    count
}

/// What a request resolved to: its endpoint and the row id its path names.
#[derive(Debug)]
pub struct Matched<'r, H> {
    pub endpoint: &'r Endpoint<H>,
    pub id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Literal(&'static str),
    Id,
}

/// The tables, with each pattern split once.
#[derive(Debug)]
pub struct Router<H: 'static> {
    endpoints: Vec<(Vec<Segment>, &'static Endpoint<H>)>,
}

impl<H> Router<H> {
    /// Tables in the order their 405 `Allow` lists methods. A pattern that is
    /// not `/`-separated literals and `{id}`s is refused (a unit test builds
    /// the Worker's router).
    pub fn new(tables: &'static [&'static [Endpoint<H>]]) -> Result<Self, String> {
        let mut endpoints = Vec::new();
        for endpoint in tables.iter().flat_map(|table| table.iter()) {
            // One id at most: `Matched` carries one.
            let segments = pattern(endpoint.path)
                .filter(|s| s.iter().filter(|s| **s == Segment::Id).count() <= 1)
                .ok_or_else(|| format!("malformed route pattern {}", endpoint.path))?;
            let duplicate = endpoints
                .iter()
                .any(|(s, e): &(Vec<Segment>, &Endpoint<H>)| {
                    *s == segments && e.method == endpoint.method
                });
            if duplicate {
                return Err(format!(
                    "{} {} is declared twice",
                    endpoint.method, endpoint.path
                ));
            }
            endpoints.push((segments, endpoint));
        }
        Ok(Self { endpoints })
    }

    /// Every declared endpoint, in declaration order.
    pub fn endpoints(&self) -> impl Iterator<Item = &'static Endpoint<H>> + '_ {
        self.endpoints.iter().map(|(_, endpoint)| *endpoint)
    }

    /// Resolves a request line. Unknown paths are 404, known paths with
    /// another method are 405 listing what the path accepts. `method` must be
    /// the method exactly as received (case-sensitive, RFC 9110 §9.1): a
    /// method nobody here serves (`QUERY`, `PROPFIND`, `get`) is 405 like any
    /// other wrong one.
    pub fn resolve(&self, method: &str, path: &str) -> Result<Matched<'static, H>, AppError> {
        let asked: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let mut allow: Vec<&'static str> = Vec::new();
        for (segments, endpoint) in &self.endpoints {
            let Some(id) = match_path(segments, &asked) else {
                continue;
            };
            if endpoint.method == method {
                return Ok(Matched { endpoint, id });
            }
            if !allow.contains(&endpoint.method) {
                allow.push(endpoint.method);
            }
        }
        if allow.is_empty() {
            Err(AppError::NotFound("No route matches this path.".to_owned()))
        } else {
            Err(AppError::MethodNotAllowed { allow })
        }
    }
}

/// Paths of the public API (CORS for any origin, rate-limit headers).
pub fn is_public_path(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/v1/")
}

fn pattern(path: &'static str) -> Option<Vec<Segment>> {
    let rest = path.strip_prefix('/')?;
    rest.split('/')
        .map(|segment| match segment {
            "{id}" => Some(Segment::Id),
            "" => None,
            literal if literal.contains(['{', '}']) => None,
            literal => Some(Segment::Literal(literal)),
        })
        .collect()
}

/// `Some(id)` when the path fits the pattern (`Some(None)`: it names no id).
fn match_path(segments: &[Segment], asked: &[&str]) -> Option<Option<i64>> {
    if segments.len() != asked.len() {
        return None;
    }
    let mut id = None;
    for (segment, part) in segments.iter().zip(asked) {
        match segment {
            Segment::Literal(literal) if literal == part => {}
            Segment::Literal(_) => return None,
            Segment::Id => id = Some(parse_id(part)?),
        }
    }
    Some(id)
}

/// Row ids are positive integers small enough for D1 (which hands numbers to
/// JavaScript, exact only up to 2^53).
fn parse_id(segment: &str) -> Option<i64> {
    const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;
    if segment.is_empty() || segment.len() > 16 || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment
        .parse::<i64>()
        .ok()
        .filter(|id| (1..=MAX_SAFE_INTEGER).contains(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table shaped like the Worker's, with names for handlers.
    const KEYS: &[Endpoint<&str>] = &[
        Endpoint::new("GET", "/api/keys", 0, "list"),
        Endpoint::new("POST", "/api/keys", 0, "create").json(),
        Endpoint::new("GET", "/api/keys/{id}", 1, "get"),
        Endpoint::new("PATCH", "/api/keys/{id}", 1, "update").json(),
        Endpoint::new("DELETE", "/api/keys/{id}", 1, "delete"),
        Endpoint::new("POST", "/api/keys/{id}/sync", 1, "sync"),
    ];
    const OTHERS: &[Endpoint<&str>] = &[
        Endpoint::new("GET", "/health", 0, "health"),
        Endpoint::new("GET", "/api/usage.csv", 0, "csv"),
        Endpoint::new("GET", "/api/v1/stats", 0, "stats"),
    ];
    static TABLES: &[&[Endpoint<&str>]] = &[KEYS, OTHERS];

    fn router() -> Router<&'static str> {
        Router::new(TABLES).unwrap()
    }

    fn resolved(method: &str, path: &str) -> (&'static str, Option<i64>) {
        let matched = router().resolve(method, path).unwrap();
        (matched.endpoint.handler, matched.id)
    }

    #[test]
    fn resolves_paths_and_ids() {
        assert_eq!(resolved("GET", "/health"), ("health", None));
        assert_eq!(resolved("POST", "/api/keys"), ("create", None));
        assert_eq!(resolved("PATCH", "/api/keys/42"), ("update", Some(42)));
        assert_eq!(resolved("POST", "/api/keys/7/sync"), ("sync", Some(7)));
        assert_eq!(resolved("GET", "/api/usage.csv"), ("csv", None));
        assert_eq!(resolved("GET", "/api/v1/stats/"), ("stats", None));
        assert_eq!(
            resolved("GET", "/api/keys/9007199254740991"),
            ("get", Some((1 << 53) - 1))
        );
        let matched = router().resolve("PATCH", "/api/keys/1").unwrap();
        assert_eq!(matched.endpoint.body, Body::Json);
    }

    #[test]
    fn unknown_paths_and_malformed_ids_are_not_found() {
        for path in [
            "/nope",
            "/",
            "",
            "/api",
            "/api//keys",
            "/api/keys/abc",
            "/api/keys/0",
            "/api/keys/-1",
            "/api/keys/+1",
            "/api/keys/9007199254740992",
            "/api/keys/99999999999999999999",
            "/api/keys/1/sync/x",
            "/api/v1/stats/x",
        ] {
            let err = router().resolve("GET", path).unwrap_err();
            assert_eq!(err.status(), 404, "{path}");
        }
    }

    #[test]
    fn wrong_method_lists_the_allowed_ones_in_declaration_order() {
        assert_eq!(
            router().resolve("PUT", "/api/keys/1").unwrap_err(),
            AppError::MethodNotAllowed {
                allow: vec!["GET", "PATCH", "DELETE"]
            }
        );
        for method in ["QUERY", "PROPFIND", "TRACE", "get", "Post", "OPTIONS"] {
            assert_eq!(
                router().resolve(method, "/api/keys").map(|_| ()),
                Err(AppError::MethodNotAllowed {
                    allow: vec!["GET", "POST"]
                }),
                "{method}"
            );
        }
    }

    #[test]
    fn malformed_and_duplicate_patterns_are_refused() {
        static BAD: &[&[Endpoint<&str>]] = &[&[Endpoint::new("GET", "api/keys", 0, "x")]];
        assert!(Router::new(BAD).is_err());
        static EMPTY: &[&[Endpoint<&str>]] = &[&[Endpoint::new("GET", "/api//keys", 0, "x")]];
        assert!(Router::new(EMPTY).is_err());
        static NAMED: &[&[Endpoint<&str>]] = &[&[Endpoint::new("GET", "/api/keys/{key}", 0, "x")]];
        assert!(Router::new(NAMED).is_err());
        static TWO_IDS: &[&[Endpoint<&str>]] = &[&[Endpoint::new("GET", "/a/{id}/b/{id}", 2, "x")]];
        assert!(Router::new(TWO_IDS).is_err());
        static TWICE: &[&[Endpoint<&str>]] =
            &[KEYS, &[Endpoint::new("GET", "/api/keys", 0, "again")]];
        assert_eq!(
            Router::new(TWICE).unwrap_err(),
            "GET /api/keys is declared twice"
        );
    }

    #[test]
    fn counts_id_segments() {
        assert_eq!(count_ids("/api/keys"), 0);
        assert_eq!(count_ids("/api/keys/{id}/sync"), 1);
        assert_eq!(count_ids("/a/{id}/b/{id}"), 2);
        assert_eq!(count_ids("{id"), 0);
    }
}
