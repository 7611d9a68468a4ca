//! The one invalidation point. Every write that changes what `/api/v1`
//! shows (a sync that wrote rows, a key added, changed or deleted, the
//! cleanup) reports the affected user here; one hook, after each request
//! and after each job, clears the cached answers of those users' tokens.
//! Writers never clear caches themselves, so none can forget to.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

use crate::app::App;

/// What clears one user's public answers. Given by the edge (`lib.rs`
/// passes the public API's), so the layers that write (jobs, handlers)
/// never reach the public API themselves.
pub type Forget = for<'a> fn(&'a App, i64) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

pub struct Changes {
    users: RefCell<BTreeSet<i64>>,
    forget: Forget,
}

impl Changes {
    pub fn new(forget: Forget) -> Self {
        Self {
            users: RefCell::default(),
            forget,
        }
    }

    /// What `user_id`'s tokens answer has changed.
    pub fn user(&self, user_id: i64) {
        self.users.borrow_mut().insert(user_id);
    }

    pub fn users(&self, user_ids: impl IntoIterator<Item = i64>) {
        self.users.borrow_mut().extend(user_ids);
    }

    /// The users reported so far, each once, emptying the set.
    pub fn take(&self) -> Vec<i64> {
        std::mem::take(&mut *self.users.borrow_mut())
            .into_iter()
            .collect()
    }

    /// The hook: clears the reported users' tokens' answers.
    pub async fn publish(&self, app: &App) {
        for user_id in self.take() {
            (self.forget)(app, user_id).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_is_reported_once_and_taken_once() {
        let changes = Changes::new(|_, _| Box::pin(async {}));
        changes.user(3);
        changes.users([1, 3, 2]);
        assert_eq!(changes.take(), vec![1, 2, 3]);
        assert!(changes.take().is_empty());
    }
}
