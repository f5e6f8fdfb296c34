//! Tables for people. On a terminal a table fits its width without breaking what is read or
//! copied whole (an ID, a UUID, a header, an outcome, an age): only the columns of free text
//! (DETAIL, …) wrap, at spaces, and they give way first; then the columns a reader can do
//! without are left out, saying so. When the whole columns alone are still wider than the
//! terminal, each row is printed as a record of `KEY  value` lines instead,
//! where an ID stays on one line (kubectl's `describe` rather than a table of 10-line rows).
//! Off a terminal nothing is wrapped: a pipe gets whole lines.

use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Table, Width, presets};

/// How a column meets a terminal too narrow for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Never broken: an ID, a header word, a number, an age.
    Whole,
    /// Free text, wrapped at spaces, squeezed first.
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

    /// The table for a terminal `width` columns wide (`None`: not a terminal).
    fn render_at(self, width: Option<u16>) -> String {
        let mut shown: Vec<usize> = (0..self.header.len()).collect();
        let Some(width) = width else {
            return self.table(&shown).to_string();
        };
        let mut dropped = Vec::new();
        loop {
            let mut table = self.table(&shown);
            let widths = table.column_max_content_widths();
            let fit = |at: usize| self.header[shown[at]].1;
            // Each column is padded by a space either side and followed by a border; one
            // more border opens the row.
            let frame = 3 * widths.len() as u16 + 1;
            let whole: u16 = (widths.iter().enumerate())
                .filter(|(at, _)| fit(*at) != Fit::Wraps)
                .map(|(_, w)| *w)
                .fold(frame, u16::saturating_add);
            let mut wraps: Vec<usize> = (0..widths.len())
                .filter(|&at| fit(at) == Fit::Wraps)
                .collect();
            let squeezed = (wraps.iter()).map(|&at| widths[at].min(NARROWEST));
            if squeezed.fold(whole, u16::saturating_add) <= width {
                // The free text shares what the whole columns leave, the narrowest first
                // (none takes more than it holds, so a wider one gets what is left).
                let mut room = width - whole;
                wraps.sort_by_key(|&at| widths[at]);
                let mut given = vec![0; widths.len()];
                for (n, &at) in wraps.iter().enumerate() {
                    given[at] = widths[at].min(room / (wraps.len() - n) as u16).max(1);
                    room -= given[at];
                }
                // A width given includes the padding either side.
                table.set_constraints((0..widths.len()).map(|at| match fit(at) {
                    Fit::Wraps => ColumnConstraint::Absolute(Width::Fixed(given[at] + 2)),
                    Fit::Whole | Fit::Drops => ColumnConstraint::ContentWidth,
                }));
                return match dropped.as_slice() {
                    [] => table.to_string(),
                    _ => format!(
                        "{table}\n(too narrow for {}: see -o json)",
                        dropped.join(", ")
                    ),
                };
            }
            // The widest column that may go (it frees the most), then the next.
            let droppable = (0..widths.len())
                .filter(|&at| fit(at) == Fit::Drops)
                .max_by_key(|&at| (widths[at], at));
            match droppable {
                Some(at) => dropped.push(self.header[shown.remove(at)].0),
                None => return self.records(),
            }
        }
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

    /// Each row as `KEY  value` lines, a blank line between rows; empty values left out.
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
