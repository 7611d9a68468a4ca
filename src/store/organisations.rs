//! `organisations` and `memberships` queries: who belongs where, with which
//! role, and the organisation's own settings (migration 0019).

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use crate::args;
use crate::error::AppResult;

/// A new organisation, its id allocated above every id ever used (deleted
/// ones included: `organisation_id_high_water`). It is then the highest
/// id, which a statement later in the same batch can rely on.
pub fn insert_statement(db: &D1Database, name: &str, now: &str) -> AppResult<D1PreparedStatement> {
    super::statement(
        db,
        "INSERT INTO organisations (id, name, created_at, updated_at)
         VALUES (MAX(COALESCE((SELECT MAX(id) FROM organisations), 0),
                     (SELECT id FROM organisation_id_high_water WHERE singleton = 1)) + 1,
                 ?1, ?2, ?2)
         RETURNING id",
        args![name, now],
    )
}

/// The organisations `user_id` is the only member of: they go with the
/// person when the account is deleted.
pub async fn sole_member_of(db: &D1Database, user_id: i64) -> AppResult<Vec<i64>> {
    super::ids(
        db,
        "SELECT m.org_id AS id FROM memberships m
         WHERE m.user_id = ?1
           AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.org_id = m.org_id AND o.user_id <> ?1)
         ORDER BY m.org_id",
        args![user_id],
    )
    .await
}

/// The organisations that would be left with members but no owner if
/// `user_id` left them.
pub async fn left_without_owner(db: &D1Database, user_id: i64) -> AppResult<Vec<i64>> {
    super::ids(
        db,
        "SELECT m.org_id AS id FROM memberships m
         WHERE m.user_id = ?1 AND m.role = 'owner'
           AND EXISTS (SELECT 1 FROM memberships o WHERE o.org_id = m.org_id AND o.user_id <> ?1)
           AND NOT EXISTS (SELECT 1 FROM memberships o
                           WHERE o.org_id = m.org_id AND o.user_id <> ?1 AND o.role = 'owner')
         ORDER BY m.org_id",
        args![user_id],
    )
    .await
}

/// Deletes the organisations `user_id` is the only member of (everything
/// they own goes by cascade), then the person, as one transaction.
pub async fn delete_with_person(db: &D1Database, user_id: i64) -> AppResult<usize> {
    let organisations = super::statement(
        db,
        "DELETE FROM organisations WHERE id IN
           (SELECT m.org_id FROM memberships m
            WHERE m.user_id = ?1
              AND NOT EXISTS (SELECT 1 FROM memberships o
                              WHERE o.org_id = m.org_id AND o.user_id <> ?1))",
        args![user_id],
    )?;
    let person = super::statement(db, "DELETE FROM users WHERE id = ?1", args![user_id])?;
    super::batch(db, vec![organisations, person]).await
}

/// Deletes the organisation and, by cascade, everything in it; `false`
/// when it is someone's personal organisation (that goes only with its
/// person) or gone already.
pub async fn delete(db: &D1Database, id: i64) -> AppResult<bool> {
    let deleted = super::run(
        db,
        "DELETE FROM organisations
         WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM users WHERE personal_org_id = ?1)",
        args![id],
    )
    .await?;
    Ok(deleted > 0)
}

/// The organisation's time-zone preference (an IANA name, `UTC` by default).
pub async fn tz(db: &D1Database, id: i64) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        tz: String,
    }
    Ok(
        super::first::<Row>(db, "SELECT tz FROM organisations WHERE id = ?1", args![id])
            .await?
            .map(|row| row.tz),
    )
}

pub async fn set_tz(db: &D1Database, id: i64, tz: &str, now: &str) -> AppResult<bool> {
    Ok(super::run(
        db,
        "UPDATE organisations SET tz = ?2, updated_at = ?3 WHERE id = ?1",
        args![id, tz, now],
    )
    .await?
        > 0)
}

/// The organisation's spike sensitivity (`off`, `low`, `normal`, `high`).
pub async fn spike_sensitivity(db: &D1Database, id: i64) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        spike_sensitivity: String,
    }
    Ok(super::first::<Row>(
        db,
        "SELECT spike_sensitivity FROM organisations WHERE id = ?1",
        args![id],
    )
    .await?
    .map(|row| row.spike_sensitivity))
}

pub async fn set_spike_sensitivity(
    db: &D1Database,
    id: i64,
    sensitivity: &str,
    now: &str,
) -> AppResult<bool> {
    Ok(super::run(
        db,
        "UPDATE organisations SET spike_sensitivity = ?2, updated_at = ?3 WHERE id = ?1",
        args![id, sensitivity, now],
    )
    .await?
        > 0)
}

/// The least severity of the events the organisation wants by e-mail; `None`:
/// none.
pub async fn alert_email_severity(db: &D1Database, id: i64) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        alert_email_severity: Option<String>,
    }
    Ok(super::first::<Row>(
        db,
        "SELECT alert_email_severity FROM organisations WHERE id = ?1",
        args![id],
    )
    .await?
    .and_then(|row| row.alert_email_severity))
}

pub async fn set_alert_email_severity(
    db: &D1Database,
    id: i64,
    severity: Option<&str>,
    now: &str,
) -> AppResult<bool> {
    Ok(super::run(
        db,
        "UPDATE organisations SET alert_email_severity = ?2, updated_at = ?3 WHERE id = ?1",
        args![id, severity, now],
    )
    .await?
        > 0)
}

/// The organisation's name (`Personal` for the one made at registration).
pub async fn name(db: &D1Database, id: i64) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        name: String,
    }
    Ok(super::first::<Row>(
        db,
        "SELECT name FROM organisations WHERE id = ?1",
        args![id],
    )
    .await?
    .map(|row| row.name))
}

/// One organisation of a person, as they see it.
#[derive(Debug, Deserialize)]
pub struct Membership {
    pub org_id: i64,
    pub name: String,
    pub role: String,
    pub joined_at: String,
    pub members: i64,
}

/// The person's organisations, in the order a session picks its default
/// by (`store::sessions::live_member`): the personal one, then first
/// joined first.
pub async fn of_person(db: &D1Database, user_id: i64) -> AppResult<Vec<Membership>> {
    super::all(
        db,
        "SELECT m.org_id, o.name, m.role, m.joined_at,
                (SELECT COUNT(*) FROM memberships c WHERE c.org_id = m.org_id) AS members
         FROM memberships m JOIN organisations o ON o.id = m.org_id
              JOIN users u ON u.id = m.user_id
         WHERE m.user_id = ?1
         ORDER BY m.org_id IS u.personal_org_id DESC, m.joined_at, m.org_id",
        args![user_id],
    )
    .await
}

/// A new organisation owned by `user_id`, as one transaction; its id.
pub async fn create(
    db: &D1Database,
    name: &str,
    user_id: i64,
    now: &str,
) -> AppResult<Option<i64>> {
    let organisation = insert_statement(db, name, now)?;
    let owner = super::statement(
        db,
        "INSERT INTO memberships (org_id, user_id, role, joined_at)
         VALUES ((SELECT MAX(id) FROM organisations), ?1, 'owner', ?2)",
        args![user_id, now],
    )?;
    let results = super::batch_results(db, vec![organisation, owner]).await?;
    for result in &results {
        super::changes(result)?;
    }
    match results.first() {
        Some(result) => super::returned_id(result),
        None => Ok(None),
    }
}

/// One member of an organisation.
#[derive(Debug, Deserialize)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub role: String,
    pub joined_at: String,
}

/// The organisation's members, owners first, then by when they joined.
pub async fn members(db: &D1Database, org_id: i64) -> AppResult<Vec<Member>> {
    super::all(
        db,
        "SELECT m.user_id, u.email, m.role, m.joined_at
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = ?1
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END,
                  m.joined_at, m.user_id",
        args![org_id],
    )
    .await
}

/// A member's role, or `None` when `user_id` is not in the organisation.
pub async fn role_of(db: &D1Database, org_id: i64, user_id: i64) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        role: String,
    }
    Ok(super::first::<Row>(
        db,
        "SELECT role FROM memberships WHERE org_id = ?1 AND user_id = ?2",
        args![org_id, user_id],
    )
    .await?
    .map(|row| row.role))
}

/// An organisation that would be left without an owner: the statement
/// changes nothing then (the guard is in the same statement, so two owners
/// stepping down at once cannot both succeed).
const KEEPS_AN_OWNER: &str = "(role <> 'owner' OR EXISTS (SELECT 1 FROM memberships o
          WHERE o.org_id = ?1 AND o.user_id <> ?2 AND o.role = 'owner'))";

/// Gives the member `role`; false when they are gone or were the last owner.
pub async fn set_role(db: &D1Database, org_id: i64, user_id: i64, role: &str) -> AppResult<bool> {
    let sql = format!(
        "UPDATE memberships SET role = ?3
         WHERE org_id = ?1 AND user_id = ?2 AND (?3 = 'owner' OR {KEEPS_AN_OWNER})"
    );
    Ok(super::run(db, &sql, args![org_id, user_id, role]).await? == 1)
}

/// Takes the member out; false when they are gone or were the last owner.
pub async fn remove_member(db: &D1Database, org_id: i64, user_id: i64) -> AppResult<bool> {
    let sql =
        format!("DELETE FROM memberships WHERE org_id = ?1 AND user_id = ?2 AND {KEEPS_AN_OWNER}");
    Ok(super::run(db, &sql, args![org_id, user_id]).await? == 1)
}
