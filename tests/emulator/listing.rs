//! Ordering and page-number paging shared by the list routes. Sorting uses parsed
//! timestamps (unparseable ones as the oldest), never the raw text, because clients page
//! by age and a text sort would misorder mixed precisions and offsets.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::api::Api;
use super::clock;
use super::http::{Rejection, Req};
use super::zep::Zep;

/// A sort key. Each list route uses one variant per `order_by`, so mixed variants never meet.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SortKey {
    Int(i64),
    Text(Option<String>),
    /// `None` (unparseable) sorts first.
    Time(Option<Timestamp>),
}

impl SortKey {
    pub fn time(raw: &str) -> SortKey {
        SortKey::Time(clock::parse(raw))
    }

    pub fn text(value: &str) -> SortKey {
        SortKey::Text(Some(value.to_owned()))
    }
}

/// Sorts by `key`, ties broken by `tie` (a unique ID) so pages never overlap, then reverses
/// for descending order.
pub(crate) fn sort<T>(
    items: &mut [T],
    key: impl Fn(&T) -> SortKey,
    tie: impl Fn(&T) -> String,
    ascending: bool,
) {
    items.sort_by_cached_key(|item| (key(item), tie(item)));
    if !ascending {
        items.reverse();
    }
}

/// Go's `strconv.ParseBool`, which Zep CE uses for `asc`.
pub(crate) fn parse_go_bool(raw: &str) -> Option<bool> {
    match raw {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// The paging query of Zep's `sessions-ordered` (v2) and `threads` (v3).
pub(crate) struct PageQuery {
    /// One of the allowed names, or `None` for the route's default order.
    pub order_by: Option<String>,
    /// Default: descending (Zep CE's default).
    pub ascending: bool,
    page_number: Option<u64>,
    page_size: u64,
}

impl PageQuery {
    /// Reads `page_number`/`page_size` (the SDKs' spelling) or `pageNumber`/`pageSize` (what
    /// the CE handler reads), `order_by` from `allowed`, and `asc`; bad values are a 400.
    pub fn parse(req: &Req, allowed: &[&str]) -> Result<PageQuery, Rejection> {
        let bad = |what: &str| Box::new(Zep.error(400, "", &format!("invalid value for {what}")));
        let number = |names: &[&str], what: &str| {
            req.query_any(names)
                .filter(|raw| !raw.is_empty())
                .map(|raw| raw.parse::<u64>().map_err(|_| bad(what)))
                .transpose()
        };
        let page_number = number(&["page_number", "pageNumber"], "page_number")?;
        let page_size = number(&["page_size", "pageSize"], "page_size")?.unwrap_or(0);
        let order_by = match req.query("order_by").filter(|o| !o.is_empty()) {
            Some(o) if allowed.contains(&o) => Some(o.to_owned()),
            Some(_) => return Err(bad("order_by")),
            None => None,
        };
        let ascending = match req.query("asc").filter(|a| !a.is_empty()) {
            Some(raw) => parse_go_bool(raw).ok_or_else(|| bad("asc"))?,
            None => false,
        };
        Ok(PageQuery {
            order_by,
            ascending,
            page_number,
            page_size,
        })
    }

    /// Cuts one page out of the sorted items, as Zep CE's SQL does: page numbers start at 1;
    /// a size of 0 (or none) means no LIMIT, so everything; an explicit page 0 with a size
    /// gives CE's negative OFFSET, a 500.
    pub fn page<T>(&self, items: Vec<T>) -> Result<Vec<T>, Rejection> {
        if self.page_size == 0 {
            return Ok(items);
        }
        let number = self.page_number.unwrap_or(1);
        if number == 0 {
            let message = "ERROR: OFFSET must not be negative (SQLSTATE=2201X)";
            return Err(Box::new(Zep.error(500, "", message)));
        }
        let size = usize::try_from(self.page_size).unwrap_or(usize::MAX);
        let skip = usize::try_from(number - 1)
            .unwrap_or(usize::MAX)
            .saturating_mul(size);
        Ok(items.into_iter().skip(skip).take(size).collect())
    }
}

/// `{"<key>": [...], "total_count": N, "response_count": M}`.
pub(crate) fn counted(key: &str, total: usize, page: Vec<Value>) -> Value {
    let count = page.len();
    json!({ key: page, "total_count": total, "response_count": count })
}
