//! The paging styles of provider lists, in one place: by page number and by offset
//! ([`Position`]), by a server's cursor ([`server_cursor`]), and none (a list in one reply,
//! whose page has no `next`). A provider only says which parameters its server reads.
//!
//! Loops are refused here: a position only moves forward by the rows a page held, and a
//! walk through any list's pages ([`Walk`], used by the sweep's listing and the re-check's)
//! refuses a cursor seen twice, a page of sessions already listed, and a run of empty pages
//! that each promise more.

use std::collections::HashSet;

use super::{ListError, SessionRow};

/// How many empty pages in a row a list may send while naming a next page. A server that
/// filters after paging may send a few (its page held only rows it then left out); one that
/// sends more, each under a new cursor, would be followed forever.
pub const EMPTY_PAGES: u32 = 3;

/// One walk through a list's pages, refusing what would never end: a cursor seen before, a
/// page of sessions all listed already that promises more, more than [`EMPTY_PAGES`] empty
/// pages in a row that each promise more. Sessions move between pages while we page
/// (activity re-sorts them), so a row seen before is left out, never reported twice.
#[derive(Default)]
pub struct Walk {
    /// Fingerprints, not IDs: 8 bytes a session, however long its ID (see `Dedup`).
    seen: crate::ids::Dedup,
    cursors: HashSet<String>,
    empty: u32,
}

impl Walk {
    /// Whether this walk meets `row` for the first time (by its UUID where it has one: some
    /// threads have no developer ID). Rows with neither are always new.
    pub fn first_time(&mut self, row: &SessionRow) -> bool {
        let key = row.uuid.as_deref().unwrap_or(&row.id);
        key.is_empty() || self.seen.first_time(key)
    }

    /// Judges a page before its rows are used: it held `rows`, `fresh` of them new, and
    /// promises more (`more`: it names a next page). A page whose rows are still to come
    /// (streamed) is judged by the rows it has so far, so call it with `more` only where
    /// the page names its next.
    pub fn page(&mut self, rows: usize, fresh: usize, more: bool) -> Result<(), ListError> {
        if !more {
            return Ok(());
        }
        if rows > 0 && fresh == 0 {
            return Err(ListError::Decode(
                "the server sent a page of sessions already listed and claims there are more; stopping"
                    .into(),
            ));
        }
        self.empty = if rows == 0 { self.empty + 1 } else { 0 };
        if self.empty > EMPTY_PAGES {
            return Err(ListError::Decode(format!(
                "the server sent {} empty pages in a row, each naming another page; stopping",
                self.empty
            )));
        }
        Ok(())
    }

    /// `next`, the cursor a page named, to be followed; a cursor seen before would loop. (A
    /// page-number or offset cursor never repeats; a server cursor may.)
    pub fn follow(&mut self, next: String) -> Result<String, ListError> {
        if !self.cursors.insert(next.clone()) {
            return Err(ListError::Decode(format!(
                "the server sent page cursor `{next}` twice; stopping"
            )));
        }
        Ok(next)
    }
}

/// Where a numbered or offset page starts: its 1-based number and the rows before it.
/// `Page::next` carries it as text, the position of the page after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The page's number, counted from 1 (`page_number=`).
    pub number: u64,
    /// How many rows the pages before it held (`offset=`).
    pub offset: u64,
}

impl Position {
    /// The page `cursor` names: `None` (or what no position wrote) is the first.
    pub fn of(cursor: Option<&str>) -> Position {
        let read = |c: &str| {
            let (number, offset) = c.split_once(':')?;
            Some(Position {
                number: number.parse().ok().filter(|&n| n > 0)?,
                offset: offset.parse().ok()?,
            })
        };
        cursor.and_then(read).unwrap_or(Position {
            number: 1,
            offset: 0,
        })
    }

    /// The page after this one, at `offset` (which the server may name itself, as an
    /// `X-Pagination-Next`): one that does not move forward would loop, and is an error.
    pub fn at(self, offset: u64) -> Result<Option<String>, ListError> {
        if offset <= self.offset {
            return Err(ListError::Decode(format!(
                "the server named offset {offset} as the page after offset {}; stopping",
                self.offset
            )));
        }
        Ok(Some(format!("{}:{offset}", self.number + 1)))
    }

    /// The cursor of the page after this one, which held `returned` rows, of the `total`
    /// the server announced if it does. A short page alone is not the end (a server may cap
    /// its pages below what was asked for): the end is an empty page, or the total reached.
    /// An empty page while the total says more is an error, not a silent partial list.
    pub fn next(self, returned: usize, total: Option<u64>) -> Result<Option<String>, ListError> {
        let seen = self.offset + returned as u64;
        match total {
            Some(total) if returned == 0 && self.offset < total => Err(ListError::Decode(format!(
                "the server announced {total} sessions but sent an empty page after {}; stopping",
                self.offset
            ))),
            _ if returned == 0 => Ok(None),
            Some(total) if seen >= total => Ok(None),
            _ => self.at(seen),
        }
    }
}

/// A server's own cursor of the next page: an empty one is none.
pub fn server_cursor(next: Option<String>) -> Option<String> {
    next.filter(|c| !c.is_empty())
}

/// What the pages before each cursor held, for a list whose cursor says nothing of where it
/// is (a server's cursor, a `Link` or a next page's URL) but whose reply announces how many
/// rows the whole list holds: once the rows read reach that total the list is complete, so
/// the page that held the last of them names no next page. Without this a list that sends
/// a cursor on its last page (Daily's `starting_after` is any last row's ID) costs one more
/// request for an empty page, and `config check --online` would say more follow a page
/// that is all there is. A numbered or offset page knows its position already
/// ([`Position::next`]).
#[derive(Default)]
pub struct Tally {
    before: std::sync::Mutex<std::collections::HashMap<String, u64>>,
}

impl Tally {
    /// The cursor of the page after the one `cursor` named (the first: `None`), which held
    /// `rows` rows, of the `total` its reply announced: `next`, the cursor the server
    /// named, unless the rows read so far reach the total.
    pub fn next(
        &self,
        cursor: Option<&str>,
        rows: usize,
        total: Option<u64>,
        next: Option<String>,
    ) -> Option<String> {
        let mut before = self.before.lock().unwrap_or_else(|e| e.into_inner());
        let seen = cursor.and_then(|c| before.get(c)).copied().unwrap_or(0) + rows as u64;
        if total.is_some_and(|t| seen >= t) {
            return None;
        }
        if let Some(n) = &next {
            before.insert(n.clone(), seen);
        }
        next
    }
}

/// How much a listing has read, against what may be read: no more sessions than the server
/// announced (the largest `total_count` of any page, as sessions may be added while we page)
/// and no more than the profile's `max_listed`. The sweep's listing and the re-check's
/// relist each keep one.
#[derive(Default)]
pub struct Bound {
    read: u64,
    announced: Option<u64>,
}

impl Bound {
    /// Counts `fresh` sessions never listed before, from a page announcing `total`.
    pub fn read(
        &mut self,
        fresh: usize,
        total: Option<u64>,
        max: Option<u64>,
    ) -> Result<(), ListError> {
        self.read += fresh as u64;
        if let Some(total) = total {
            self.announced = Some(self.announced.map_or(total, |a| a.max(total)));
        }
        if let Some(total) = self.announced.filter(|t| self.read > *t) {
            let sessions = if total == 1 { "session" } else { "sessions" };
            return Err(ListError::Decode(format!(
                "the server announced {total} {sessions} but sent {} different ones; stopping",
                self.read
            )));
        }
        if let Some(max) = max.filter(|m| self.read > *m) {
            return Err(ListError::Decode(format!(
                "the list holds more than {max} sessions (the profile's `max_listed`); stopping \
                 (narrow it with --where, or raise `max_listed`)"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every position a list of `sizes` pages walks through, with the server's `total`.
    fn walk(sizes: &[usize], total: Option<u64>) -> Result<Vec<Position>, String> {
        let mut at = Position::of(None);
        let mut walked = vec![at];
        for &size in sizes {
            match at.next(size, total).map_err(|e| e.to_string())? {
                Some(next) => at = Position::of(Some(&next)),
                None => return Ok(walked),
            }
            walked.push(at);
        }
        Err(format!("did not end: {walked:?}"))
    }

    fn at(number: u64, offset: u64) -> Position {
        Position { number, offset }
    }

    #[test]
    fn a_position_moves_by_the_rows_a_page_held() {
        assert_eq!(
            walk(&[100, 100, 20], Some(220)),
            Ok(vec![at(1, 0), at(2, 100), at(3, 200)])
        );
    }

    #[test]
    fn a_short_page_alone_is_not_the_end() {
        // A server capping pages at 50 while 100 were asked for, with a total.
        assert_eq!(
            walk(&[50, 50, 20], Some(120)),
            Ok(vec![at(1, 0), at(2, 50), at(3, 100)])
        );
        // Without a total: read on until a page is empty.
        assert_eq!(
            walk(&[50, 20, 0], None),
            Ok(vec![at(1, 0), at(2, 50), at(3, 70)])
        );
    }

    #[test]
    fn an_empty_page_the_total_says_is_not_the_last_is_an_error() {
        let err = walk(&[100, 0], Some(250)).unwrap_err();
        assert!(err.contains("announced 250 sessions"), "{err}");
        assert_eq!(walk(&[0], Some(0)), Ok(vec![at(1, 0)]));
    }

    #[test]
    fn a_named_offset_that_does_not_move_forward_is_an_error() {
        let second = Position::of(Some(&at(1, 0).at(100).unwrap().unwrap()));
        assert_eq!(second, at(2, 100));
        for offset in [100, 50] {
            let err = second.at(offset).unwrap_err().to_string();
            assert!(err.contains("page after offset 100"), "{err}");
        }
    }

    #[test]
    fn a_cursor_no_position_wrote_is_the_first_page() {
        for cursor in [None, Some(""), Some("7"), Some("0:5"), Some("x:y")] {
            assert_eq!(Position::of(cursor), at(1, 0), "{cursor:?}");
        }
    }

    fn row(id: &str) -> SessionRow {
        SessionRow {
            id: id.into(),
            ..SessionRow::default()
        }
    }

    #[test]
    fn a_walk_refuses_a_run_of_empty_pages_that_each_promise_more() {
        let mut walk = Walk::default();
        for n in 0..EMPTY_PAGES {
            walk.page(0, 0, true).unwrap();
            walk.follow(format!("c{n}")).unwrap();
        }
        let err = walk.page(0, 0, true).unwrap_err().to_string();
        assert!(err.contains("4 empty pages in a row"), "{err}");
        // A page with new rows between empty ones starts the count again; the last page
        // may be empty.
        let mut walk = Walk::default();
        for _ in 0..3 {
            for _ in 0..EMPTY_PAGES {
                walk.page(0, 0, true).unwrap();
            }
            walk.page(2, 2, true).unwrap();
        }
        walk.page(0, 0, false).unwrap();
    }

    #[test]
    fn a_walk_refuses_pages_of_rows_already_listed_and_cursors_seen_before() {
        let mut walk = Walk::default();
        assert!(walk.first_time(&row("a")));
        assert!(!walk.first_time(&row("a")));
        let mut thread = row("a");
        thread.uuid = Some("u-1".into());
        assert!(
            walk.first_time(&thread),
            "a UUID is the key where there is one"
        );
        assert!(walk.first_time(&row("")) && walk.first_time(&row("")));
        let err = walk.page(2, 0, true).unwrap_err().to_string();
        assert!(err.contains("already listed"), "{err}");
        walk.page(2, 0, false).unwrap();
        assert_eq!(walk.follow("c1".into()).unwrap(), "c1");
        let err = walk.follow("c1".into()).unwrap_err().to_string();
        assert!(err.contains("`c1` twice"), "{err}");
    }

    /// Three rows of a total of three in pages of two: the second page ends it, though its
    /// server names a cursor; without a total, only the server says.
    #[test]
    fn a_cursor_list_ends_where_its_rows_reach_the_announced_total() {
        let tally = Tally::default();
        let second = tally.next(None, 2, Some(3), Some("b".into()));
        assert_eq!(second.as_deref(), Some("b"));
        assert_eq!(
            tally.next(second.as_deref(), 1, Some(3), Some("c".into())),
            None
        );
        assert_eq!(tally.next(None, 3, Some(3), Some("c".into())), None);
        assert_eq!(tally.next(None, 0, Some(0), Some("c".into())), None);
        let untold = Tally::default();
        assert_eq!(
            untold.next(None, 3, None, Some("c".into())).as_deref(),
            Some("c")
        );
        assert_eq!(untold.next(Some("c"), 0, None, None), None);
    }

    #[test]
    fn an_empty_server_cursor_is_none() {
        assert_eq!(server_cursor(Some(String::new())), None);
        assert_eq!(server_cursor(Some("c".into())), Some("c".into()));
    }
}
