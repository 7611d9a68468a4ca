//! `users` queries.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use worker::D1Database;

use crate::args;
use crate::error::AppResult;

#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub created_at: String,
}

#[derive(Deserialize)]
pub struct Credentials {
    pub id: i64,
    pub email: String,
    /// [`NO_PASSWORD`] when `has_password` is false.
    pub password_hash: String,
    pub session_epoch: i64,
    /// False for an account created by a Cloudflare Access sign-in: no
    /// password can sign it in (migration 0018).
    #[serde(deserialize_with = "super::int_bool")]
    pub has_password: bool,
}

/// What an account without a password stores as its hash: not a PHC string
/// (no parameters, salt or hash), so no password can ever verify against
/// it, and the login never tries (`has_password`). Migration 0018 ties the
/// two together.
pub const NO_PASSWORD: &str = "$argon2id$none";

/// A person just registered, and the personal organisation made for them
/// (they own it; their keys and figures live there).
pub struct Registered<T> {
    pub person: T,
    pub org_id: i64,
}

/// Name of the organisation every person gets at registration.
pub const PERSONAL: &str = "Personal";

/// An account created by a Cloudflare Access sign-in: no password
/// ([`NO_PASSWORD`]); a duplicate email is a UNIQUE violation, as for
/// [`insert`].
pub async fn insert_without_password(
    db: &D1Database,
    email: &str,
    now: &str,
) -> AppResult<Option<Registered<Credentials>>> {
    register(
        db,
        "INSERT INTO users (id, email, password_hash, has_password, created_at, updated_at)
         VALUES (MAX(COALESCE((SELECT MAX(id) FROM users), 0),
                     (SELECT id FROM user_id_high_water WHERE singleton = 1)) + 1,
                 ?1, ?2, 0, ?3, ?3)
         RETURNING id, email, password_hash, session_epoch, has_password",
        args![email, NO_PASSWORD, now],
        now,
    )
    .await
}

/// Inserts a user; a duplicate email surfaces as a UNIQUE violation. The id
/// is allocated above every id ever used, deleted accounts' included
/// (`user_id_high_water`, migration 0002): ids are never reused.
pub async fn insert(
    db: &D1Database,
    email: &str,
    password_hash: &str,
    now: &str,
) -> AppResult<Option<Registered<UserRow>>> {
    register(
        db,
        "INSERT INTO users (id, email, password_hash, created_at, updated_at)
         VALUES (MAX(COALESCE((SELECT MAX(id) FROM users), 0),
                     (SELECT id FROM user_id_high_water WHERE singleton = 1)) + 1,
                 ?1, ?2, ?3, ?3)
         RETURNING id, email, created_at",
        args![email, password_hash, now],
        now,
    )
    .await
}

/// The person (`insert_person`, which returns their row), their personal
/// organisation and their membership, as one transaction: no person is
/// ever left without an organisation.
async fn register<T: DeserializeOwned>(
    db: &D1Database,
    insert_person: &str,
    args: Vec<super::Arg>,
    now: &str,
) -> AppResult<Option<Registered<T>>> {
    let Some((person, org_id)) = register_rows(db, insert_person, args, now).await? else {
        return Ok(None);
    };
    let person = person.results::<T>().map_err(super::db_error)?;
    Ok(person
        .into_iter()
        .next()
        .map(|person| Registered { person, org_id }))
}

/// [`register`]'s statements: the person's result, and the organisation's
/// id (one copy of this code for every kind of person row).
async fn register_rows(
    db: &D1Database,
    insert_person: &str,
    args: Vec<super::Arg>,
    now: &str,
) -> AppResult<Option<(worker::D1Result, i64)>> {
    let person = super::statement(db, insert_person, args)?;
    let organisation = super::organisations::insert_statement(db, PERSONAL, now)?;
    let membership = super::statement(
        db,
        "INSERT INTO memberships (org_id, user_id, role, joined_at)
         VALUES ((SELECT MAX(id) FROM organisations), (SELECT MAX(id) FROM users), 'owner', ?1)",
        args![now],
    )?;
    let personal = super::statement(
        db,
        "UPDATE users SET personal_org_id = (SELECT MAX(id) FROM organisations)
         WHERE id = (SELECT MAX(id) FROM users)",
        args![],
    )?;
    let statements = vec![person, organisation, membership, personal];
    let results = super::batch_results(db, statements).await?;
    for result in &results {
        super::changes(result)?;
    }
    let mut results = results.into_iter();
    let (Some(person), Some(organisation)) = (results.next(), results.next()) else {
        return Ok(None);
    };
    Ok(super::returned_id(&organisation)?.map(|org_id| (person, org_id)))
}

pub async fn credentials(db: &D1Database, email: &str) -> AppResult<Option<Credentials>> {
    super::first(
        db,
        "SELECT id, email, password_hash, session_epoch, has_password FROM users WHERE email = ?1",
        args![email],
    )
    .await
}

pub async fn credentials_by_id(db: &D1Database, id: i64) -> AppResult<Option<Credentials>> {
    super::first(
        db,
        "SELECT id, email, password_hash, session_epoch, has_password FROM users WHERE id = ?1",
        args![id],
    )
    .await
}

/// Sets a new password hash and moves the account to its next session
/// epoch (ending every session issued before); returns the new epoch.
pub async fn change_password(
    db: &D1Database,
    id: i64,
    password_hash: &str,
    now: &str,
) -> AppResult<Option<i64>> {
    #[derive(Deserialize)]
    struct Epoch {
        session_epoch: i64,
    }
    let row: Option<Epoch> = super::first(
        db,
        "UPDATE users SET password_hash = ?2, session_epoch = session_epoch + 1, updated_at = ?3
         WHERE id = ?1 RETURNING session_epoch",
        args![id, password_hash, now],
    )
    .await?;
    Ok(row.map(|r| r.session_epoch))
}

pub async fn by_id(db: &D1Database, id: i64) -> AppResult<Option<UserRow>> {
    super::first(
        db,
        "SELECT id, email, created_at FROM users WHERE id = ?1",
        args![id],
    )
    .await
}

/// The person's personal organisation (made at registration).
pub async fn personal_org(db: &D1Database, id: i64) -> AppResult<Option<i64>> {
    #[derive(Deserialize)]
    struct Row {
        personal_org_id: Option<i64>,
    }
    Ok(super::first::<Row>(
        db,
        "SELECT personal_org_id FROM users WHERE id = ?1",
        args![id],
    )
    .await?
    .and_then(|row| row.personal_org_id))
}
