//! The one invalidation point. Every write that changes what `/api/v1`
//! shows (a sync that wrote rows, a key added, changed or deleted, the
//! cleanup) reports the affected organisation here; one hook, after each request
//! and after each job, clears the cached answers of those organisations'
//! tokens.
//! Writers never clear caches themselves, so none can forget to.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

use crate::app::App;

/// What clears one organisation's public answers. Given by the edge (`lib.rs`
/// passes the public API's), so the layers that write (jobs, handlers)
/// never reach the public API themselves.
pub type Forget = for<'a> fn(&'a App, i64) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

pub struct Changes {
    orgs: RefCell<BTreeSet<i64>>,
    forget: Forget,
}

impl Changes {
    pub fn new(forget: Forget) -> Self {
        Self {
            orgs: RefCell::default(),
            forget,
        }
    }

    /// What `org_id`'s tokens answer has changed.
    pub fn org(&self, org_id: i64) {
        self.orgs.borrow_mut().insert(org_id);
    }

    pub fn orgs(&self, org_ids: impl IntoIterator<Item = i64>) {
        self.orgs.borrow_mut().extend(org_ids);
    }

    /// The organisations reported so far, each once, emptying the set.
    pub fn take(&self) -> Vec<i64> {
        std::mem::take(&mut *self.orgs.borrow_mut())
            .into_iter()
            .collect()
    }

    /// The hook: clears the reported organisations' tokens' answers.
    pub async fn publish(&self, app: &App) {
        for org_id in self.take() {
            (self.forget)(app, org_id).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_organisation_is_reported_once_and_taken_once() {
        let changes = Changes::new(|_, _| Box::pin(async {}));
        changes.org(3);
        changes.orgs([1, 3, 2]);
        assert_eq!(changes.take(), vec![1, 2, 3]);
        assert!(changes.take().is_empty());
    }
}
