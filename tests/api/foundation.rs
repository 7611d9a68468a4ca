//! The skeleton's promises: health, routing errors, body limits, cron records.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn health_reports_the_database() {
    let res = get("/health").send().await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json, json!({ "status": "ok", "database": "ok" }));
    assert_eq!(
        res.header("content-type"),
        Some("application/json; charset=utf-8")
    );
}

#[tokio::test]
async fn unknown_paths_are_json_404s() {
    for path in ["/api/nope", "/nope", "/api/keys/abc", "/api/v1/nothing"] {
        get(path).send().await.assert_error(404, "not_found");
    }
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let res = call("PUT", "/api/keys").send().await;
    res.assert_error(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("GET, POST"));
    let res = call("DELETE", "/health").send().await;
    res.assert_error(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("GET"));
}

#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    let big = json!({ "email": "a@example.com", "password": "x".repeat(70 * 1024) });
    post("/api/auth/register")
        .json(&big)
        .send()
        .await
        .assert_error(413, "payload_too_large");
}

#[tokio::test]
async fn malformed_json_is_400() {
    for body in ["{", "{\"email\": }", "not json"] {
        post("/api/auth/register")
            .raw("application/json", body)
            .send()
            .await
            .assert_error(400, "bad_request");
    }
}

#[tokio::test]
async fn bodies_that_are_not_json_are_415() {
    post("/api/auth/login")
        .raw("text/plain", "email=a@example.com")
        .send()
        .await
        .assert_error(415, "unsupported_media_type");
}

#[tokio::test]
async fn every_cron_records_a_job_run() {
    let before = max_job_run_id();
    for cron in ["0 * * * *", "0 2 * * *", "0 3 * * 0", "*/7 * * * *"] {
        fire_cron(cron).await;
    }
    let rows = app().d1(&format!(
        "SELECT job, cron, status, finished_at FROM job_runs WHERE id > {before} ORDER BY id"
    ));
    for (job, cron) in [
        ("usage_sync", "0 * * * *"),
        ("key_validation", "0 2 * * *"),
        ("cleanup", "0 3 * * 0"),
        ("unknown", "*/7 * * * *"),
    ] {
        let run = rows
            .iter()
            .find(|r| r["job"] == job && r["cron"] == cron)
            .unwrap_or_else(|| panic!("no job_runs row for {job}: {rows:?}"));
        assert!(run["finished_at"].is_string(), "{run}");
        if job == "unknown" {
            assert_eq!(run["status"], "failed", "{run}");
        } else {
            assert_ne!(run["status"], "running", "{run}");
        }
    }
}

/// Which operations the document lists is checked by the contract module's
/// own tests; here: the Worker serves exactly the checked-in document.
#[tokio::test]
async fn the_served_openapi_document_is_the_checked_in_one() {
    let res = get("/openapi.json").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json["openapi"], "3.1.0");
    assert_eq!(res.json, *crate::contract::document());
}

#[tokio::test]
async fn public_api_errors_from_the_router_carry_rate_limit_headers() {
    for res in [
        get("/api/v1/nothing").send().await,
        call("POST", "/api/v1/stats").send().await,
    ] {
        assert!(matches!(res.status, 404 | 405), "{}", res.text);
        for name in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
        ] {
            assert!(res.header(name).is_some(), "{name} on {}", res.status);
        }
        assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    }
}
