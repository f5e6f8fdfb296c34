//! Tables for people. On a terminal a table fits its width without breaking what is read or
//! copied whole (an ID, a UUID, a header, an outcome, an age): only the columns of free text
//! (DETAIL, …) wrap, at spaces, and they give way first, down to their longest word (a time,
//! an ID or a URL in them stays whole unless no width left to them could hold it); then the
//! columns a reader can do without are left out, saying so. When the whole columns alone are
//! still wider than the terminal, each row is printed as a record of `KEY  value` lines
//! instead, where an ID stays on one line (kubectl's `describe` rather than a table of
//! 10-line rows).
//! Off a terminal nothing is wrapped: a pipe gets whole lines.

use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Table, Width, presets};
use unicode_width::UnicodeWidthStr;

/// How a column meets a terminal too narrow for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Never broken: an ID, a header word, a number, an age.
    Whole,
    /// Free text, wrapped at spaces, squeezed first (down to its longest word).
    Wraps,
    /// Whole, and left out (the widest first) once the free text is as narrow as it goes:
    /// a column that `-o json` has and a reader can do without (ATTEMPTS, USER/ROOM).
    Drops,
}

/// The narrowest a wrapping column is squeezed to before the table becomes records: a
/// column of two words a line is still read, one of a word broken every line is not.
const NARROWEST: u16 = 16;

/// A table's header (with how each column fits) and rows, rendered for where stdout goes.
pub struct Grid<'a> {
    header: Vec<(&'a str, Fit)>,
    rows: Vec<Vec<Cell>>,
}

impl<'a> Grid<'a> {
    pub fn new(header: Vec<(&'a str, Fit)>) -> Grid<'a> {
        Grid {
            header,
            rows: Vec::new(),
        }
    }

    /// One row: a cell per column, in the header's order.
    pub fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.header.len());
        self.rows.push(cells);
    }

    pub fn render(self) -> String {
        self.render_at(terminal_width())
    }

    /// The table with what ends it before the lines printed below it (a summary): a line
    /// end, and after records a blank line too, as between two records, so that the first
    /// line below is not read as one more of the last record's (a table's bottom border
    /// already sets it apart).
    pub fn render_above(self) -> String {
        self.render_above_at(terminal_width())
    }

    fn render_above_at(self, width: Option<u16>) -> String {
        let (mut text, records) = self.layout(width);
        match (records, text.is_empty()) {
            // No rows, no records: nothing to set apart.
            (true, true) => {}
            (true, false) => text.push_str("\n\n"),
            (false, _) => text.push('\n'),
        }
        text
    }

    /// The table for a terminal `width` columns wide (`None`: not a terminal).
    fn render_at(self, width: Option<u16>) -> String {
        self.layout(width).0
    }

    /// The table, and whether it became records.
    fn layout(self, width: Option<u16>) -> (String, bool) {
        let all: Vec<usize> = (0..self.header.len()).collect();
        let Some(width) = width else {
            return (self.table(&all).to_string(), false);
        };
        // A column's width does not depend on the others shown, so it is measured once.
        let widths = self.table(&all).column_max_content_widths();
        let fit = |at: usize| self.header[at].1;
        let wraps: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&at| fit(at) == Fit::Wraps)
            .collect();
        // The columns that may go, in the order they go: the widest first (it frees the
        // most), the later of two as wide.
        let mut droppable: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&at| fit(at) == Fit::Drops)
            .collect();
        droppable.sort_by_key(|&at| std::cmp::Reverse((widths[at], at)));
        let shown_after = |drops: usize| -> Vec<usize> {
            (all.iter().copied())
                .filter(|at| !droppable[..drops].contains(at))
                .collect()
        };
        // What the whole columns of `shown` take, with the frame: each column is padded by a
        // space either side and followed by a border; one more border opens the row.
        let whole = |shown: &[usize]| -> u16 {
            (shown.iter())
                .filter(|&&at| fit(at) != Fit::Wraps)
                .map(|&at| widths[at])
                .fold(3 * shown.len() as u16 + 1, u16::saturating_add)
        };
        // The narrowest each free-text column goes: wrapped at spaces, as narrow as its
        // longest word, and never under NARROWEST. A word that would not fit even with every
        // column that may go gone (and the other free text at its narrowest) is broken
        // whatever is done, so it asks for nothing.
        let squeezed = |at: usize| widths[at].min(NARROWEST);
        let most = width.saturating_sub(whole(&shown_after(droppable.len())));
        let at_words: Vec<u16> = (wraps.iter())
            .map(|&at| {
                let others: u16 = (wraps.iter())
                    .filter(|&&other| other != at)
                    .map(|&other| squeezed(other))
                    .fold(0, u16::saturating_add);
                let longest = self.longest_word(at, most.saturating_sub(others));
                widths[at].min(NARROWEST.max(longest))
            })
            .collect();
        // Words kept whole if any number of columns going allows it; else (a word is broken
        // whatever is done) the free text is squeezed as before, to NARROWEST.
        let at_squeeze: Vec<u16> = wraps.iter().map(|&at| squeezed(at)).collect();
        for floors in [&at_words, &at_squeeze] {
            let need = floors.iter().copied().fold(0, u16::saturating_add);
            for drops in 0..=droppable.len() {
                let shown = shown_after(drops);
                let whole = whole(&shown);
                if need.saturating_add(whole) > width {
                    continue;
                }
                let given = share(width - whole, &wraps, floors, &widths);
                let mut table = self.table(&shown);
                // A width given includes the padding either side.
                table.set_constraints(shown.iter().map(|&at| match fit(at) {
                    Fit::Wraps => {
                        let n = wraps
                            .iter()
                            .position(|&w| w == at)
                            .expect("a free-text column");
                        ColumnConstraint::Absolute(Width::Fixed(given[n] + 2))
                    }
                    Fit::Whole | Fit::Drops => ColumnConstraint::ContentWidth,
                }));
                let dropped: Vec<&str> = (droppable[..drops].iter())
                    .map(|&at| self.header[at].0)
                    .collect();
                let text = match dropped.as_slice() {
                    [] => table.to_string(),
                    _ => format!(
                        "{table}\n(too narrow for {}: see -o json)",
                        dropped.join(", ")
                    ),
                };
                return (text, false);
            }
        }
        (self.records(), true)
    }

    /// The widest word (a run of text between spaces, as the table wraps it) of column `at`
    /// that is at most `most` wide; 0 if none is.
    fn longest_word(&self, at: usize, most: u16) -> u16 {
        (self.rows.iter())
            .flat_map(|row| {
                let content = row[at].content();
                (content.lines())
                    .flat_map(|line| line.split(' '))
                    .map(|word| u16::try_from(word.width()).unwrap_or(u16::MAX))
                    .filter(|&w| w <= most)
                    .max()
            })
            .max()
            .unwrap_or(0)
    }

    /// The table of the `shown` columns, unwrapped.
    fn table(&self, shown: &[usize]) -> Table {
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(shown.iter().map(|&i| self.header[i].0));
        for row in &self.rows {
            table.add_row(shown.iter().map(|&i| row[i].clone()).collect::<Vec<_>>());
        }
        table
    }

    /// Each row as `KEY  value` lines, a blank line between rows; empty values left out
    /// ([`Grid::render_above`] adds one after the last).
    fn records(self) -> String {
        let key = self.header.iter().map(|(h, _)| h.len()).max().unwrap_or(0);
        let records: Vec<String> = (self.rows.iter())
            .map(|row| {
                (self.header.iter().zip(row))
                    .map(|((name, _), cell)| (name, cell.content()))
                    .filter(|(_, value)| !value.is_empty())
                    .map(|(name, value)| format!("{name:key$}  {value}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect();
        records.join("\n\n")
    }
}

/// What each free-text column `wraps[n]` is given of `room`: at least its `floors[n]`
/// (which together fit in `room`), at most its `widths`, and otherwise alike, a narrow
/// column taking only what it holds so that the wider ones share the rest (what an even
/// share leaves over goes to the widest).
fn share(room: u16, wraps: &[usize], floors: &[u16], widths: &[u16]) -> Vec<u16> {
    let given = |level: u16| -> Vec<u16> {
        (wraps.iter().zip(floors))
            .map(|(&at, &floor)| widths[at].min(floor.max(level)).max(1))
            .collect()
    };
    let total = |g: &[u16]| g.iter().map(|&w| u32::from(w)).sum::<u32>();
    // The highest even share that fits (what it gives grows with it).
    let (mut low, mut high) = (0u16, room);
    while low < high {
        let mid = high - (high - low) / 2;
        match total(&given(mid)) <= u32::from(room) {
            true => low = mid,
            false => high = mid - 1,
        }
    }
    let mut given = given(low);
    let mut left = u32::from(room).saturating_sub(total(&given));
    let mut order: Vec<usize> = (0..wraps.len()).collect();
    order.sort_by_key(|&n| std::cmp::Reverse((widths[wraps[n]], n)));
    for n in order {
        if left > 0 && given[n] < widths[wraps[n]] {
            given[n] += 1;
            left -= 1;
        }
    }
    given
}

/// The width of the terminal stdout is, `None` off a terminal. A terminal may report no
/// width at all (`stty size` says `0 0` under some `script`s, serial consoles and
/// containers): `COLUMNS` then, else 80.
fn terminal_width() -> Option<u16> {
    let table = Table::new();
    if !table.is_tty() {
        return None;
    }
    let columns = std::env::var("COLUMNS").ok();
    Some((table.width().filter(|&w| w > 0)).unwrap_or_else(|| fallback_width(columns.as_deref())))
}

/// The width to fit when the terminal gives none: `COLUMNS` if it is a width, else 80.
fn fallback_width(columns: Option<&str>) -> u16 {
    columns
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&w| w > 0)
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[[&str; 3]]) -> Grid<'static> {
        let mut g = Grid::new(vec![
            ("ID", Fit::Whole),
            ("OUTCOME", Fit::Whole),
            ("DETAIL", Fit::Wraps),
        ]);
        for r in rows {
            g.row(r.iter().map(Cell::new).collect());
        }
        g
    }

    const ROWS: &[[&str; 3]] = &[
        [
            "samba-demo-2",
            "already_ended",
            "the reply was lost; a read showed it ended",
        ],
        ["samba-demo-10", "ended", ""],
    ];

    fn widest(s: &str) -> usize {
        s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    #[test]
    fn off_a_terminal_nothing_wraps() {
        let out = grid(ROWS).render_at(None);
        assert_eq!(out.lines().count(), 6, "{out}");
    }

    #[test]
    fn only_the_free_text_wraps_and_ids_and_headers_stay_whole() {
        let out = grid(ROWS).render_at(Some(56));
        assert!(widest(&out) <= 56, "{out}");
        for whole in ["samba-demo-2", "samba-demo-10", "already_ended", "OUTCOME"] {
            assert!(out.contains(whole), "{whole} broken:\n{out}");
        }
        assert!(out.lines().count() > 6, "DETAIL did not wrap:\n{out}");
    }

    #[test]
    fn a_column_that_may_go_goes_before_the_table_becomes_records() {
        let mut g = Grid::new(vec![
            ("ID", Fit::Whole),
            ("ATTEMPTS", Fit::Drops),
            ("DETAIL", Fit::Wraps),
        ]);
        g.row(
            ["samba-demo-2", "1", "the reply was lost"]
                .map(Cell::new)
                .to_vec(),
        );
        let out = g.render_at(Some(40));
        assert!(!out.contains("ATTEMPTS ┆"), "{out}");
        assert!(
            out.ends_with("\n(too narrow for ATTEMPTS: see -o json)"),
            "{out}"
        );
        assert!(widest(&out) <= 40, "{out}");
    }

    #[test]
    fn too_narrow_for_the_whole_columns_each_row_is_a_record() {
        let out = grid(ROWS).render_at(Some(40));
        assert_eq!(
            out,
            "ID       samba-demo-2\n\
             OUTCOME  already_ended\n\
             DETAIL   the reply was lost; a read showed it ended\n\
             \n\
             ID       samba-demo-10\n\
             OUTCOME  ended"
        );
    }

    /// A results table as a run on UUIDs prints it.
    fn results(detail: &str) -> Grid<'static> {
        let mut g = Grid::new(vec![
            ("ID", Fit::Whole),
            ("OUTCOME", Fit::Whole),
            ("STATUS", Fit::Drops),
            ("ATTEMPTS", Fit::Drops),
            ("DETAIL", Fit::Wraps),
        ]);
        let id = "0b7e3c1a-52f4-4d1e-9a57-2f9c1b3e6d80";
        g.row([id, "failed", "409", "1", detail].map(Cell::new).to_vec());
        g
    }

    #[test]
    fn detail_wraps_at_spaces_and_keeps_a_word_whole_that_fits() {
        let detail = "session locked by another client at 2024-05-01T12:00:00Z; \
                      retry after 2024-05-01T12:05:00Z";
        // From 74 columns on the words fit (the whole columns, the frame and 21 for the
        // widest word, once both columns that may go are gone).
        for width in 74..=100 {
            let out = results(detail).render_at(Some(width));
            assert!(widest(&out) <= usize::from(width), "{width}:\n{out}");
            assert!(out.contains("DETAIL"), "{width}: not a table:\n{out}");
            for word in ["2024-05-01T12:00:00Z;", "2024-05-01T12:05:00Z", "another"] {
                assert!(out.contains(word), "{width}: {word} broken:\n{out}");
            }
        }
        // At 80 columns STATUS goes too, for the times to be whole (DETAIL had 18 columns).
        let out = results(detail).render_at(Some(80));
        assert!(
            out.ends_with("\n(too narrow for ATTEMPTS, STATUS: see -o json)"),
            "{out}"
        );
    }

    #[test]
    fn a_word_wider_than_detail_can_ever_be_is_broken_and_takes_no_column_with_it() {
        let url = format!("https://docs.example.com/{}", "x".repeat(60));
        let out = results(&format!("see {url}")).render_at(Some(80));
        assert!(widest(&out) <= 80, "{out}");
        // Only ATTEMPTS goes, as for any DETAIL: the URL is broken wherever it is.
        assert!(out.contains("┆ STATUS ┆"), "{out}");
        assert!(
            out.ends_with("\n(too narrow for ATTEMPTS: see -o json)"),
            "{out}"
        );
        assert!(!out.contains(&url), "{out}");
    }

    #[test]
    fn free_text_columns_share_the_room_and_each_keeps_its_words() {
        let mut g = Grid::new(vec![
            ("ID", Fit::Whole),
            ("IDLE", Fit::Wraps),
            ("METADATA", Fit::Wraps),
        ]);
        g.row(
            [
                "thread-demo-1",
                "cannot be judged: no activity",
                "{\"env\":\"staging\",\"owner\":\"team-a\"} {\"x\":1}",
            ]
            .map(Cell::new)
            .to_vec(),
        );
        let out = g.render_at(Some(80));
        assert!(widest(&out) <= 80, "{out}");
        assert!(
            out.contains("{\"env\":\"staging\",\"owner\":\"team-a\"}"),
            "{out}"
        );
        assert!(out.contains("cannot"), "{out}");
    }

    #[test]
    fn what_follows_records_is_set_apart_by_a_blank_line_as_a_table_by_its_border() {
        let records = grid(ROWS).render_above_at(Some(40));
        assert!(records.ends_with("OUTCOME  ended\n\n"), "{records:?}");
        let table = grid(ROWS).render_above_at(Some(80));
        assert!(table.ends_with("┘\n"), "{table:?}");
        let piped = grid(ROWS).render_above_at(None);
        assert!(piped.ends_with("┘\n"), "{piped:?}");
    }

    #[test]
    fn a_terminal_without_a_width_falls_back_to_columns_then_80() {
        for (columns, want) in [
            (Some("150"), 150),
            (Some(" 120 "), 120),
            (Some("0"), 80),
            (Some("wide"), 80),
            (Some(""), 80),
            (None, 80),
        ] {
            assert_eq!(fallback_width(columns), want, "{columns:?}");
        }
    }
}
