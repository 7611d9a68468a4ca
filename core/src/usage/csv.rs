//! RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, a
//! quote or a line break, quotes doubled. Text cells that a spreadsheet
//! would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return: a model name is whatever OpenRouter or a key's owner
//! sent) are neutralised with a leading `'`, as OWASP recommends. Numbers
//! are written as they are.

/// One cell of a row.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Text(&'a str),
    Number(&'a str),
}

fn quoted(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn field(cell: Cell<'_>) -> String {
    match cell {
        Cell::Text(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
            quoted(&format!("'{text}"))
        }
        Cell::Text(text) | Cell::Number(text) => quoted(text),
    }
}

pub fn line(cells: &[Cell<'_>]) -> String {
    let mut line = cells
        .iter()
        .map(|c| field(*c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// A header row (names are ours, plain text).
pub fn header(names: &[&str]) -> String {
    line(&names.iter().map(|n| Cell::Text(n)).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(field(Cell::Text("openai/gpt-4o")), "openai/gpt-4o");
        assert_eq!(field(Cell::Text("a,b")), "\"a,b\"");
        assert_eq!(field(Cell::Text("say \"hi\"")), "\"say \"\"hi\"\"\"");
        assert_eq!(field(Cell::Text("two\nlines")), "\"two\nlines\"");
    }

    #[test]
    fn formulas_in_text_cells_are_neutralised() {
        assert_eq!(
            field(Cell::Text("=HYPERLINK(\"x\")")),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        for text in ["+1", "-1+2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(
                field(Cell::Text(text))
                    .trim_start_matches('"')
                    .starts_with('\''),
                "{text}"
            );
        }
        assert_eq!(
            field(Cell::Text("a=b")),
            "a=b",
            "only a leading sign is a formula"
        );
        assert_eq!(field(Cell::Number("-0.5")), "-0.5", "numbers stay numbers");
    }

    #[test]
    fn lines_end_with_crlf() {
        assert_eq!(header(&["date", "cost"]), "date,cost\r\n");
        assert_eq!(
            line(&[Cell::Text("x,y"), Cell::Number("1")]),
            "\"x,y\",1\r\n"
        );
    }
}
