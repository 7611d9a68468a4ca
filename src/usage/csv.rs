//! RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, a
//! quote or a line break, quotes doubled.

pub fn field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(field("openai/gpt-4o"), "openai/gpt-4o");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn lines_end_with_crlf() {
        assert_eq!(line(&["date", "cost"]), "date,cost\r\n");
        assert_eq!(line(&["x,y".to_owned(), "1".to_owned()]), "\"x,y\",1\r\n");
    }
}
