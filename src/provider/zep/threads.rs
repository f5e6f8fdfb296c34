//! Zep threads, today's API (`providers.md` §1b): what its two generations share. v3
//! (`zep-cloud` 3.x, [`super::v3`]) and v4 (4.x, [`super::v4`]) are two providers.

use serde::Deserialize;

use crate::provider::{Action, Fields, Page, SessionRow};

/// Rows per list page.
pub(super) const PAGE_SIZE: usize = 100;

/// Threads have no "end": only delete and list.
pub(super) const NO_END: (Action, &str) = (Action::End, "Zep threads have no end; use delete");

/// A thread in either generation's list (v3 has `user_id` and no `updated_at`; v4 has
/// `user_uuid` and `updated_at`).
#[derive(Deserialize)]
pub(super) struct Thread {
    pub uuid: Option<String>,
    pub thread_id: Option<String>,
    pub user_id: Option<String>,
    pub user_uuid: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// A page of either generation's threads, with the cursor of the next.
pub(super) fn page(threads: Vec<Thread>, next: Option<String>) -> Page {
    let rows = threads
        .into_iter()
        .map(|t| SessionRow {
            id: t.thread_id.or_else(|| t.uuid.clone()).unwrap_or_default(),
            uuid: t.uuid,
            owner: t.user_id.clone().or(t.user_uuid.clone()),
            fields: Fields::default()
                .with("user", t.user_id)
                .with("user_uuid", t.user_uuid),
            // v3 threads have no `updated_at` (the 3.30 type): `created_at` is not
            // activity, so a v3 row carries none unless the server sends one.
            activity: t.updated_at,
            created: t.created_at,
            active: true,
            ..SessionRow::default()
        })
        .collect();
    Page {
        rows,
        next,
        ..Page::default()
    }
}
