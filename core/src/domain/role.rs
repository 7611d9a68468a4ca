//! What a person may do in an organisation (README, "Teams").
//!
//! Roles are ordered: each holds every right of the ones below it. A route
//! declares the least role it needs, and the dispatcher refuses a person
//! below it before any handler runs.

use serde::Serialize;
use utoipa::ToSchema;

use super::Invalid;

/// A person's role in an organisation, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything but key previews; changes nothing (the finance role).
    Viewer,
    /// Reads everything; manages the keys they added.
    Member,
    /// Manages keys, budgets, policies, webhooks, tokens, and members below admin.
    Admin,
    /// Everything, including deleting the organisation and handing it over.
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Member, Role::Admin, Role::Owner];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    /// A role as the database or a request names it.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| Invalid::new("role", "must be owner, admin, member or viewer"))
    }

    /// Whether this role holds every right of `needed`.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// Whether `actor` may move a member from `from` to `to`; else the role it
/// would take. Admins manage the members below them (member, viewer) and
/// give only those roles; owners manage everyone, owners included. (That
/// an organisation keeps an owner is the store's to check: it knows them.)
pub fn may_change(actor: Role, from: Role, to: Role) -> Result<(), Role> {
    let needed = if from >= Role::Admin || to >= Role::Admin {
        Role::Owner
    } else {
        Role::Admin
    };
    if actor.allows(needed) {
        Ok(())
    } else {
        Err(needed)
    }
}

/// Whether `actor` may remove a member whose role is `target`, someone
/// other than themselves (anyone may leave); else the role it would take.
pub fn may_remove(actor: Role, target: Role) -> Result<(), Role> {
    may_change(actor, target, Role::Viewer)
}

/// Whether `actor` may invite someone with `role`, or revoke such an
/// invitation; else the role it would take. Inviting gives a role to
/// someone who holds none: [`may_change`] from the least role, so an admin
/// invites members and viewers and only an owner invites an admin. (Never
/// an owner: ownership is handed over, not invited; the handler says so.)
pub fn may_invite(actor: Role, role: Role) -> Result<(), Role> {
    may_change(actor, Role::Viewer, role)
}

/// What a route asks of the person's role, checked by the dispatcher
/// before its handler runs (declared with the route: `http::route`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// This role or above.
    AtLeast(Role),
    /// This role or above; or a member, for a key they added themselves
    /// (the key the route's `{id}` names).
    OwnKeyOr(Role),
}

impl Permission {
    /// The least role that may ever call the route.
    pub const fn least(self) -> Role {
        match self {
            Self::AtLeast(role) => role,
            Self::OwnKeyOr(_) => Role::Member,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_round_trips_and_allows_exactly_those_below_it() {
        for (i, role) in Role::ALL.into_iter().enumerate() {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
            for (j, needed) in Role::ALL.into_iter().enumerate() {
                assert_eq!(role.allows(needed), i >= j, "{role:?} needs {needed:?}");
            }
        }
        assert_eq!(Role::parse("Owner").unwrap_err().field, "role");
        assert!(Role::parse("").is_err());
    }

    #[test]
    fn admins_manage_those_below_them_and_owners_everyone() {
        use Role::*;
        assert_eq!(may_change(Admin, Viewer, Member), Ok(()));
        assert_eq!(may_change(Admin, Member, Viewer), Ok(()));
        assert_eq!(may_change(Admin, Member, Admin), Err(Owner));
        assert_eq!(may_change(Admin, Admin, Member), Err(Owner));
        assert_eq!(may_change(Member, Viewer, Member), Err(Admin));
        assert_eq!(may_change(Viewer, Viewer, Viewer), Err(Admin));
        for from in Role::ALL {
            for to in Role::ALL {
                assert_eq!(may_change(Owner, from, to), Ok(()));
            }
        }
        assert_eq!(may_remove(Admin, Member), Ok(()));
        assert_eq!(may_remove(Admin, Admin), Err(Owner));
        assert_eq!(may_remove(Owner, Owner), Ok(()));
        assert_eq!(may_remove(Member, Viewer), Err(Admin));
        assert_eq!(may_invite(Admin, Member), Ok(()));
        assert_eq!(may_invite(Admin, Viewer), Ok(()));
        assert_eq!(may_invite(Admin, Admin), Err(Owner));
        assert_eq!(may_invite(Owner, Admin), Ok(()));
        assert_eq!(may_invite(Member, Viewer), Err(Admin));
    }
}
