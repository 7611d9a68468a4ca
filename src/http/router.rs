//! The route table: `(method, path)` to a [`Route`], or the right 404/405.
//!
//! Pure so the whole table is unit-tested natively; `lib.rs` only dispatches.

use crate::error::AppError;

/// Every endpoint the Worker serves. Ids in paths are parsed here, so a
/// handler never sees a malformed one (`/api/keys/abc` is simply not a route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    OpenApi,
    Register,
    Login,
    Logout,
    Me,
    ChangePassword,
    DeleteAccount,
    ListKeys,
    CreateKey,
    GetKey(i64),
    UpdateKey(i64),
    DeleteKey(i64),
    SyncKey(i64),
    KeySnapshots(i64),
    Dashboard,
    Usage,
    UsageCsv,
    UsageHourly,
    GetSettings,
    UpdateSettings,
    ListTokens,
    CreateToken,
    DeleteToken(i64),
    ListBudgets,
    CreateBudget,
    GetBudget(i64),
    UpdateBudget(i64),
    DeleteBudget(i64),
    ListAlerts,
    ListWebhooks,
    CreateWebhook,
    GetWebhook(i64),
    UpdateWebhook(i64),
    DeleteWebhook(i64),
    WebhookDeliveries(i64),
    TestWebhook(i64),
    PublicStats,
    PublicUsage,
    PublicKeys,
    PublicMetrics,
    /// CORS preflight for any `/api/v1/*` path.
    PublicPreflight,
}

/// Who may call a route: the dispatcher resolves the credential before any
/// handler runs, so no handler can forget it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credential (health, the document, sign-up, login).
    Open,
    /// A live session JWT: the handler receives its `AuthUser`.
    Session,
    /// An API token, rate limited: the public API.
    ApiToken,
}

impl Route {
    pub fn access(self) -> Access {
        match self {
            Route::Health | Route::OpenApi | Route::Register | Route::Login => Access::Open,
            Route::PublicStats
            | Route::PublicUsage
            | Route::PublicKeys
            | Route::PublicMetrics
            | Route::PublicPreflight => Access::ApiToken,
            _ => Access::Session,
        }
    }

    /// Routes that read a JSON body.
    pub fn takes_body(self) -> bool {
        matches!(
            self,
            Route::Register
                | Route::Login
                | Route::ChangePassword
                | Route::DeleteAccount
                | Route::CreateKey
                | Route::UpdateKey(_)
                | Route::CreateToken
                | Route::UpdateSettings
                | Route::CreateBudget
                | Route::UpdateBudget(_)
                | Route::CreateWebhook
                | Route::UpdateWebhook(_)
        )
    }
}

type Methods = &'static [(&'static str, Route)];

/// Paths of the public API (CORS for any origin, rate-limit headers).
pub fn is_public_path(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/v1/")
}

/// Resolves a request line. Unknown paths are 404, known paths with another
/// method are 405 listing what the path accepts. `method` must be the method
/// exactly as received (case-sensitive, RFC 9110 §9.1): a method nobody here
/// serves (`QUERY`, `PROPFIND`, `get`) is 405 like any other wrong one.
pub fn resolve(method: &str, path: &str) -> Result<Route, AppError> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    if method == "OPTIONS" && segments.starts_with(&["api", "v1"]) {
        return Ok(Route::PublicPreflight);
    }
    let id_route = |id: &str, table: fn(i64) -> Vec<(&'static str, Route)>| parse_id(id).map(table);
    let methods: Vec<(&'static str, Route)> = match segments.as_slice() {
        ["health"] => fixed(&[("GET", Route::Health)]),
        ["openapi.json"] => fixed(&[("GET", Route::OpenApi)]),
        ["api", "auth", "register"] => fixed(&[("POST", Route::Register)]),
        ["api", "auth", "login"] => fixed(&[("POST", Route::Login)]),
        ["api", "auth", "logout"] => fixed(&[("POST", Route::Logout)]),
        ["api", "auth", "me"] => fixed(&[("GET", Route::Me), ("DELETE", Route::DeleteAccount)]),
        ["api", "auth", "password"] => fixed(&[("POST", Route::ChangePassword)]),
        ["api", "keys"] => fixed(&[("GET", Route::ListKeys), ("POST", Route::CreateKey)]),
        ["api", "keys", id] => id_route(id, |id| {
            vec![
                ("GET", Route::GetKey(id)),
                ("PATCH", Route::UpdateKey(id)),
                ("DELETE", Route::DeleteKey(id)),
            ]
        })
        .ok_or_else(not_found)?,
        ["api", "keys", id, "sync"] => {
            id_route(id, |id| vec![("POST", Route::SyncKey(id))]).ok_or_else(not_found)?
        }
        ["api", "keys", id, "snapshots"] => {
            id_route(id, |id| vec![("GET", Route::KeySnapshots(id))]).ok_or_else(not_found)?
        }
        ["api", "stats", "dashboard"] => fixed(&[("GET", Route::Dashboard)]),
        ["api", "usage"] => fixed(&[("GET", Route::Usage)]),
        ["api", "usage.csv"] => fixed(&[("GET", Route::UsageCsv)]),
        ["api", "usage", "hourly"] => fixed(&[("GET", Route::UsageHourly)]),
        ["api", "settings"] => fixed(&[
            ("GET", Route::GetSettings),
            ("PATCH", Route::UpdateSettings),
        ]),
        ["api", "tokens"] => fixed(&[("GET", Route::ListTokens), ("POST", Route::CreateToken)]),
        ["api", "tokens", id] => {
            id_route(id, |id| vec![("DELETE", Route::DeleteToken(id))]).ok_or_else(not_found)?
        }
        ["api", "budgets" | "alerts" | "webhooks", ..] => {
            alert_methods(segments.get(1..).unwrap_or_default()).ok_or_else(not_found)?
        }
        ["api", "v1", "stats"] => fixed(&[("GET", Route::PublicStats)]),
        ["api", "v1", "usage"] => fixed(&[("GET", Route::PublicUsage)]),
        ["api", "v1", "keys"] => fixed(&[("GET", Route::PublicKeys)]),
        ["api", "v1", "metrics"] => fixed(&[("GET", Route::PublicMetrics)]),
        _ => return Err(not_found()),
    };
    methods
        .iter()
        .find(|(m, _)| *m == method)
        .map(|(_, route)| *route)
        .ok_or_else(|| AppError::MethodNotAllowed {
            allow: methods.iter().map(|(m, _)| *m).collect(),
        })
}

/// `/api/budgets…`, `/api/alerts`, `/api/webhooks…` (docs/alerts.md).
fn alert_methods(segments: &[&str]) -> Option<Vec<(&'static str, Route)>> {
    let id_route = |id: &str, table: fn(i64) -> Vec<(&'static str, Route)>| parse_id(id).map(table);
    match segments {
        ["budgets"] => Some(fixed(&[
            ("GET", Route::ListBudgets),
            ("POST", Route::CreateBudget),
        ])),
        ["budgets", id] => id_route(id, |id| {
            vec![
                ("GET", Route::GetBudget(id)),
                ("PATCH", Route::UpdateBudget(id)),
                ("DELETE", Route::DeleteBudget(id)),
            ]
        }),
        ["alerts"] => Some(fixed(&[("GET", Route::ListAlerts)])),
        ["webhooks"] => Some(fixed(&[
            ("GET", Route::ListWebhooks),
            ("POST", Route::CreateWebhook),
        ])),
        ["webhooks", id] => id_route(id, |id| {
            vec![
                ("GET", Route::GetWebhook(id)),
                ("PATCH", Route::UpdateWebhook(id)),
                ("DELETE", Route::DeleteWebhook(id)),
            ]
        }),
        ["webhooks", id, "deliveries"] => {
            id_route(id, |id| vec![("GET", Route::WebhookDeliveries(id))])
        }
        ["webhooks", id, "test"] => id_route(id, |id| vec![("POST", Route::TestWebhook(id))]),
        _ => None,
    }
}

fn fixed(methods: Methods) -> Vec<(&'static str, Route)> {
    methods.to_vec()
}

fn not_found() -> AppError {
    AppError::NotFound("No route matches this path.".to_owned())
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

    #[test]
    fn resolves_every_route() {
        assert_eq!(resolve("GET", "/health"), Ok(Route::Health));
        assert_eq!(resolve("POST", "/api/keys"), Ok(Route::CreateKey));
        assert_eq!(resolve("PATCH", "/api/keys/42"), Ok(Route::UpdateKey(42)));
        assert_eq!(resolve("POST", "/api/keys/7/sync"), Ok(Route::SyncKey(7)));
        assert_eq!(
            resolve("DELETE", "/api/tokens/3"),
            Ok(Route::DeleteToken(3))
        );
        assert_eq!(resolve("GET", "/api/usage.csv"), Ok(Route::UsageCsv));
        assert_eq!(
            resolve("POST", "/api/auth/password"),
            Ok(Route::ChangePassword)
        );
        assert_eq!(resolve("DELETE", "/api/auth/me"), Ok(Route::DeleteAccount));
        assert_eq!(resolve("GET", "/api/v1/stats"), Ok(Route::PublicStats));
        assert_eq!(resolve("GET", "/api/v1/keys/"), Ok(Route::PublicKeys));
        assert_eq!(
            resolve("PATCH", "/api/budgets/5"),
            Ok(Route::UpdateBudget(5))
        );
        assert_eq!(resolve("GET", "/api/alerts"), Ok(Route::ListAlerts));
        assert_eq!(resolve("GET", "/api/usage/hourly"), Ok(Route::UsageHourly));
        assert_eq!(resolve("PATCH", "/api/settings"), Ok(Route::UpdateSettings));
        assert_eq!(
            resolve("GET", "/api/webhooks/2/deliveries"),
            Ok(Route::WebhookDeliveries(2))
        );
        assert_eq!(
            resolve("POST", "/api/webhooks/2/test"),
            Ok(Route::TestWebhook(2))
        );
        assert_eq!(resolve("POST", "/api/webhooks"), Ok(Route::CreateWebhook));
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
        ] {
            let err = resolve("GET", path).unwrap_err();
            assert_eq!(err.status(), 404, "{path}");
        }
        assert_eq!(
            resolve("GET", "/api/keys/99999999999999999999")
                .unwrap_err()
                .status(),
            404
        );
    }

    #[test]
    fn wrong_method_lists_the_allowed_ones() {
        let err = resolve("PUT", "/api/keys/1").unwrap_err();
        assert_eq!(
            err,
            AppError::MethodNotAllowed {
                allow: vec!["GET", "PATCH", "DELETE"]
            }
        );
        assert_eq!(
            resolve("GET", "/api/auth/login").unwrap_err(),
            AppError::MethodNotAllowed {
                allow: vec!["POST"]
            }
        );
    }

    #[test]
    fn unknown_and_extension_methods_are_405_with_allow() {
        for method in ["QUERY", "PROPFIND", "REPORT", "TRACE", "get", "Post"] {
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

    #[test]
    fn every_route_but_the_open_and_public_ones_needs_a_session() {
        assert_eq!(Route::Login.access(), Access::Open);
        assert_eq!(Route::Health.access(), Access::Open);
        assert_eq!(Route::Logout.access(), Access::Session);
        assert_eq!(Route::DeleteKey(1).access(), Access::Session);
        assert_eq!(Route::PublicKeys.access(), Access::ApiToken);
        assert_eq!(Route::PublicPreflight.access(), Access::ApiToken);
    }

    #[test]
    fn preflight_is_answered_for_the_public_api_only() {
        assert_eq!(
            resolve("OPTIONS", "/api/v1/usage"),
            Ok(Route::PublicPreflight)
        );
        assert_eq!(resolve("OPTIONS", "/api/keys").unwrap_err().status(), 405);
    }
}
