//! The paging styles of provider lists, in one place: by page number and by offset
//! ([`Position`]), by a server's cursor ([`server_cursor`]), and none (a list in one reply,
//! whose page has no `next`). A provider only says which parameters its server reads.
//!
//! Loops are refused here and in the pager (`crate::stale`): a position only moves forward
//! by the rows a page held, and a server cursor seen twice is an error there.

use super::ListError;

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

    #[test]
    fn an_empty_server_cursor_is_none() {
        assert_eq!(server_cursor(Some(String::new())), None);
        assert_eq!(server_cursor(Some("c".into())), Some("c".into()));
    }
}
