//! Webhooks: where alerts go (docs/alerts.md).
//!
//! Pure and natively tested: [`url`] (which URLs are accepted), [`sign`]
//! (secrets, HMAC signatures) and [`attempts`] (retry rules). Worker glue:
//! [`deliver`] (the signed `POST`s) and [`handlers`].

pub mod attempts;
pub mod deliver;
pub mod handlers;
pub mod sign;
pub mod url;
