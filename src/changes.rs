//! The one invalidation point. Every write that changes what `/api/v1`
//! shows (a sync that wrote rows, a key added, changed or deleted, the
//! cleanup) reports the affected user here; one hook, after each request
//! and after each job, clears the cached answers of those users' tokens.
//! Writers never clear caches themselves, so none can forget to.

use std::cell::RefCell;
use std::collections::BTreeSet;

use crate::app::App;

#[derive(Debug, Default)]
pub struct Changes(RefCell<BTreeSet<i64>>);

impl Changes {
    /// What `user_id`'s tokens answer has changed.
    pub fn user(&self, user_id: i64) {
        self.0.borrow_mut().insert(user_id);
    }

    pub fn users(&self, user_ids: impl IntoIterator<Item = i64>) {
        self.0.borrow_mut().extend(user_ids);
    }

    /// The users reported so far, each once, emptying the set.
    pub fn take(&self) -> Vec<i64> {
        std::mem::take(&mut *self.0.borrow_mut())
            .into_iter()
            .collect()
    }

    /// The hook: clears the reported users' tokens' answers.
    pub async fn publish(&self, app: &App) {
        for user_id in self.take() {
            crate::public_api::forget_answers(app, user_id).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_is_reported_once_and_taken_once() {
        let changes = Changes::default();
        changes.user(3);
        changes.users([1, 3, 2]);
        assert_eq!(changes.take(), vec![1, 2, 3]);
        assert!(changes.take().is_empty());
    }
}
