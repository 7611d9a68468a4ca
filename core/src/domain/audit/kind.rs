//! The kinds of change the audit log records.

use serde::Serialize;
use utoipa::ToSchema;

/// What happened: a family (what it is about) and a verb, dotted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = AuditKind)]
pub enum Kind {
    #[serde(rename = "account.created")]
    AccountCreated,
    #[serde(rename = "password.changed")]
    PasswordChanged,
    #[serde(rename = "settings.updated")]
    SettingsUpdated,
    #[serde(rename = "key.created")]
    KeyCreated,
    #[serde(rename = "key.updated")]
    KeyUpdated,
    #[serde(rename = "key.deleted")]
    KeyDeleted,
    #[serde(rename = "key.sync_requested")]
    KeySyncRequested,
    #[serde(rename = "budget.created")]
    BudgetCreated,
    #[serde(rename = "budget.updated")]
    BudgetUpdated,
    #[serde(rename = "budget.deleted")]
    BudgetDeleted,
    #[serde(rename = "webhook.created")]
    WebhookCreated,
    #[serde(rename = "webhook.updated")]
    WebhookUpdated,
    #[serde(rename = "webhook.deleted")]
    WebhookDeleted,
    #[serde(rename = "webhook.tested")]
    WebhookTested,
    #[serde(rename = "token.created")]
    TokenCreated,
    #[serde(rename = "token.revoked")]
    TokenRevoked,
    /// A policy disabled the key on OpenRouter (the product).
    #[serde(rename = "key.disabled")]
    KeyDisabled,
    /// The key was enabled again on OpenRouter (the period ended).
    #[serde(rename = "key.enabled")]
    KeyEnabled,
    /// The key's OpenRouter limit was set or put back (a policy, or a
    /// person's one click).
    #[serde(rename = "key.limit_changed")]
    KeyLimitChanged,
    /// A dry-run policy recorded what it would have set.
    #[serde(rename = "policy.dry_run")]
    PolicyDryRun,
    /// A policy's action could not be taken (or put back).
    #[serde(rename = "policy.failed")]
    PolicyFailed,
    /// A person undid a policy's action.
    #[serde(rename = "policy.undone")]
    PolicyUndone,
    /// An e-mail address was set (unconfirmed until its link is followed).
    #[serde(rename = "email.address_set")]
    EmailAddressSet,
    /// The address was confirmed through its signed link.
    #[serde(rename = "email.confirmed")]
    EmailConfirmed,
    /// The address was unsubscribed (one click, no session).
    #[serde(rename = "email.unsubscribed")]
    EmailUnsubscribed,
    /// A digest preview was sent.
    #[serde(rename = "digest.previewed")]
    DigestPreviewed,
    /// A person made an organisation (recorded in it).
    #[serde(rename = "organisation.created")]
    OrganisationCreated,
    /// Someone was invited, with a role.
    #[serde(rename = "member.invited")]
    MemberInvited,
    /// An invitation was accepted: the person joined.
    #[serde(rename = "member.joined")]
    MemberJoined,
    /// A pending invitation was revoked.
    #[serde(rename = "member.invitation_revoked")]
    MemberInvitationRevoked,
    /// A member was given another role.
    #[serde(rename = "member.role_changed")]
    MemberRoleChanged,
    /// A member was taken out of the organisation by someone else.
    #[serde(rename = "member.removed")]
    MemberRemoved,
    /// A member left on their own.
    #[serde(rename = "member.left")]
    MemberLeft,
}

impl Kind {
    pub const ALL: [Kind; 33] = [
        Kind::AccountCreated,
        Kind::PasswordChanged,
        Kind::SettingsUpdated,
        Kind::KeyCreated,
        Kind::KeyUpdated,
        Kind::KeyDeleted,
        Kind::KeySyncRequested,
        Kind::BudgetCreated,
        Kind::BudgetUpdated,
        Kind::BudgetDeleted,
        Kind::WebhookCreated,
        Kind::WebhookUpdated,
        Kind::WebhookDeleted,
        Kind::WebhookTested,
        Kind::TokenCreated,
        Kind::TokenRevoked,
        Kind::KeyDisabled,
        Kind::KeyEnabled,
        Kind::KeyLimitChanged,
        Kind::PolicyDryRun,
        Kind::PolicyFailed,
        Kind::PolicyUndone,
        Kind::EmailAddressSet,
        Kind::EmailConfirmed,
        Kind::EmailUnsubscribed,
        Kind::DigestPreviewed,
        Kind::OrganisationCreated,
        Kind::MemberInvited,
        Kind::MemberJoined,
        Kind::MemberInvitationRevoked,
        Kind::MemberRoleChanged,
        Kind::MemberRemoved,
        Kind::MemberLeft,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AccountCreated => "account.created",
            Self::PasswordChanged => "password.changed",
            Self::SettingsUpdated => "settings.updated",
            Self::KeyCreated => "key.created",
            Self::KeyUpdated => "key.updated",
            Self::KeyDeleted => "key.deleted",
            Self::KeySyncRequested => "key.sync_requested",
            Self::BudgetCreated => "budget.created",
            Self::BudgetUpdated => "budget.updated",
            Self::BudgetDeleted => "budget.deleted",
            Self::WebhookCreated => "webhook.created",
            Self::WebhookUpdated => "webhook.updated",
            Self::WebhookDeleted => "webhook.deleted",
            Self::WebhookTested => "webhook.tested",
            Self::TokenCreated => "token.created",
            Self::TokenRevoked => "token.revoked",
            Self::KeyDisabled => "key.disabled",
            Self::KeyEnabled => "key.enabled",
            Self::KeyLimitChanged => "key.limit_changed",
            Self::PolicyDryRun => "policy.dry_run",
            Self::PolicyFailed => "policy.failed",
            Self::PolicyUndone => "policy.undone",
            Self::EmailAddressSet => "email.address_set",
            Self::EmailConfirmed => "email.confirmed",
            Self::EmailUnsubscribed => "email.unsubscribed",
            Self::DigestPreviewed => "digest.previewed",
            Self::OrganisationCreated => "organisation.created",
            Self::MemberInvited => "member.invited",
            Self::MemberJoined => "member.joined",
            Self::MemberInvitationRevoked => "member.invitation_revoked",
            Self::MemberRoleChanged => "member.role_changed",
            Self::MemberRemoved => "member.removed",
            Self::MemberLeft => "member.left",
        }
    }

    /// What the kind is about: `key` of `key.updated`.
    pub fn family(self) -> &'static str {
        self.as_str()
            .split_once('.')
            .map_or(self.as_str(), |(family, _)| family)
    }
}
