//! Aligned text tables for `--format table`, written row by row so they stream: every column
//! has a fixed width, a longer cell is cut with `…`, and the last column (the quote text) runs
//! to the end of the line.

use std::io::{self, Write};

/// One column: header, width in chars, right-aligned (numbers) or not.
#[derive(Clone, Copy)]
pub struct Col {
    pub name: &'static str,
    pub width: usize,
    pub right: bool,
}

/// Shorthand for a left-aligned column.
pub const fn left(name: &'static str, width: usize) -> Col {
    Col {
        name,
        width,
        right: false,
    }
}

/// Shorthand for a right-aligned column.
pub const fn right(name: &'static str, width: usize) -> Col {
    Col {
        name,
        width,
        right: true,
    }
}

/// The columns that place a quote (`article`, `start`, `end`, `speaker`), then `rest`.
pub fn quote_columns(rest: &[Col]) -> Vec<Col> {
    let mut cols = vec![
        left("article", 24),
        right("start", 6),
        right("end", 6),
        left("speaker", 22),
    ];
    cols.extend_from_slice(rest);
    cols
}

/// The CSV header: the columns that place a quote, then `rest`.
pub fn quote_csv_header(rest: &[&'static str]) -> Vec<&'static str> {
    let mut h = vec!["article", "start", "end", "speaker"];
    h.extend_from_slice(rest);
    h
}

/// Writes the header row.
pub fn header(out: &mut impl Write, cols: &[Col]) -> io::Result<()> {
    let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
    row(out, cols, &names)
}

/// Writes one row; `cells` has one entry per column.
pub fn row(out: &mut impl Write, cols: &[Col], cells: &[&str]) -> io::Result<()> {
    let mut line = String::with_capacity(160);
    for (i, (col, cell)) in cols.iter().zip(cells).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let flat = flatten(cell);
        if i + 1 == cols.len() {
            line.push_str(&cut(&flat, col.width));
        } else {
            let c = cut(&flat, col.width);
            let pad = col.width.saturating_sub(c.chars().count());
            if col.right {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(&c);
            } else {
                line.push_str(&c);
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// Whitespace runs (newlines of multi-paragraph quotes) become one space.
fn flatten(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` cut to `n` chars, the last one `…` when anything was cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_line_up_whatever_the_cell_lengths() {
        let cols = [left("name", 6), right("n", 4), left("text", 10)];
        let mut out = Vec::new();
        header(&mut out, &cols).unwrap();
        row(&mut out, &cols, &["Zelensky speaks", "12345", "a\nb"]).unwrap();
        row(&mut out, &cols, &["Ab", "7", "x"]).unwrap();
        let s = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "name       n  text");
        assert_eq!(lines[1], "Zelen…  123…  a b");
        assert_eq!(lines[2], "Ab         7  x");
    }
}
