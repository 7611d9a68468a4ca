//! Sign-in through Cloudflare Access: when `ACCESS_TEAM_DOMAIN` and
//! `ACCESS_AUD` are set, `POST /api/auth/access` exchanges the assertion
//! Access puts on every request it lets through (`Cf-Access-Jwt-Assertion`)
//! for the product's usual session token, and the dashboard goes on with
//! that token like after a password login. Everywhere else the header
//! means nothing, so the one session check (`auth::session`) stays the
//! only credential of the web API; without the two variables the route
//! answers 404 and everything behaves as if Access did not exist.
//!
//! The dispatcher runs [`require`] before the route's handler
//! (`route::access`), so the handler only ever sees a verified person.
//! The checks are the pure core's (`watcher_core::access`), in its order:
//! header (`RS256` only, a `kid`), the key in the team's set ([`keys`]),
//! the signature ([`webcrypto`]), then the claims.

pub mod keys;
pub mod sign_in;
mod webcrypto;

use watcher_core::access::settings::AccessSettings;
use watcher_core::access::{Assertion, Expected, Refusal};

use crate::app::App;
use crate::clock;
use crate::domain::account::Email;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Incoming;
use crate::security_log::{self, Event, Subject};
use keys::KeyError;

/// The header Access adds to the requests it lets through.
pub const HEADER: &str = "cf-access-jwt-assertion";

/// A person Access vouches for: the assertion verified, its e-mail valid.
#[derive(Debug, Clone)]
pub struct AccessUser {
    pub email: Email,
}

/// The deployment's Access settings: `None` when it has none, an error
/// when they are half set or malformed.
fn configured(app: &App) -> AppResult<Option<AccessSettings>> {
    AccessSettings::from_lookup(|name| app.env.var(name).ok().map(|v| v.to_string()))
}

/// Whether `POST /api/auth/access` can sign anyone in here: a
/// misconfiguration counts as off (that route says what is wrong).
pub fn enabled(app: &App) -> bool {
    matches!(configured(app), Ok(Some(_)))
}

/// The deployment's Access settings, or 404 when it has none.
pub fn settings(app: &App) -> AppResult<AccessSettings> {
    configured(app)?.ok_or_else(|| {
        AppError::NotFound(
            "Sign-in through Cloudflare Access is not enabled on this deployment.".to_owned(),
        )
    })
}

/// The request's assertion, verified: the person it names, or a 401 that
/// says which check failed (logged as a security event, without the
/// token). A key set that cannot be fetched is a 503: nothing is refused
/// for a reason that is not the assertion's.
pub async fn require(app: &App, req: &Incoming) -> AppResult<AccessUser> {
    let settings = settings(app)?;
    match verify(&settings, req.header(HEADER)).await {
        Ok(email) => Ok(AccessUser { email }),
        Err(Failure::Refused(refusal)) => {
            let subject = Subject {
                reason: Some(refusal.reason()),
                ..Subject::default()
            };
            security_log::record(Event::AccessRefused, &req.client_network(), &subject);
            Err(AppError::Unauthorized(refusal.to_string()))
        }
        Err(Failure::Keys(why)) => {
            worker::console_error!("Cloudflare Access key set: {why}");
            Err(AppError::Unavailable(
                "Cloudflare Access: the team's signing keys cannot be fetched now; try again shortly."
                    .to_owned(),
            ))
        }
        Err(Failure::Other(e)) => Err(e),
    }
}

enum Failure {
    Refused(Refusal),
    Keys(String),
    Other(AppError),
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

async fn verify(settings: &AccessSettings, token: Option<&str>) -> Result<Email, Failure> {
    let assertion = Assertion::parse(token.unwrap_or_default())?;
    let key = match keys::signing_key(&settings.team, &assertion.kid).await {
        Ok(key) => key,
        Err(KeyError::Refused(refusal)) => return Err(refusal.into()),
        Err(KeyError::Unavailable(why)) => return Err(Failure::Keys(why)),
    };
    let signed = assertion.signed.as_bytes();
    let verified = webcrypto::verify_rs256(&key, signed, &assertion.signature)
        .await
        .map_err(Failure::Other)?;
    if !verified {
        return Err(Refusal::Signature.into());
    }
    let expected = Expected {
        team: &settings.team,
        audience: &settings.audience,
        now: clock::now().timestamp(),
    };
    Ok(assertion.identity(&expected)?)
}
