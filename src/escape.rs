//! Rendering third-party text inert. Descriptions, character and model names, transaction IDs
//! and types come from a vendor's export: a report that support sends to a customer, a CSV a
//! finance team opens in a spreadsheet, and a terminal must show them as text, never act on
//! them. One function per destination; every writer of such text goes through one of them.

/// Text for Markdown prose or a table cell: every character that would make markup is escaped
/// (`*`, `` ` ``, brackets, pipes, `<` and `&` as HTML entities, `_` unless inside a word, and
/// what starts a heading, quote or list at the start), line breaks become spaces (a newline
/// would end a table row or start a heading), and bare links are broken with a zero-width
/// space so no renderer turns them into links. Transaction IDs (`txn_01HV…`) stay as they are.
pub fn markdown(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let word = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_some_and(|c| c.is_alphanumeric());
    let leading_digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '_' if !(word(i.checked_sub(1)) && word(Some(i + 1))) => out.push_str("\\_"),
            '#' | '>' | '-' | '+' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if i > 0 && i == leading_digits => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    // Autolinks (`https://…`, `www.…`) need these exact letters together: break them.
    out.replace("://", ":&#8203;//").replace("www.", "www&#8203;.")
}

/// A cell of a CSV meant for a spreadsheet (OWASP's CSV-injection guidance): a cell a
/// spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
/// return) gets a leading apostrophe, so it is shown as the text it is. Numbers Reckon writes
/// itself (amounts, balances) do not go through this.
pub fn spreadsheet(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}') => {
            format!("'{text}").into()
        }
        _ => text.into(),
    }
}

/// Text for a terminal: control characters (escape sequences, carriage returns) are dropped,
/// so a description cannot move the cursor, recolour or rewrite the lines around it.
pub fn terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit's strings: none may keep its effect.
    const HOSTILE: [&str; 8] = [
        "![t](http://evil.example/p.png)",
        "[Claim your refund here](https://evil.example/phish)",
        "<img src=x onerror=alert(1)>",
        "line one\n# Injected heading",
        "a | b | c",
        "=HYPERLINK(\"http://x\",\"y\")",
        "visit www.evil.example now",
        "**bold** _it_ `code`",
    ];

    #[test]
    fn markdown_leaves_no_markup_link_image_or_html() {
        for text in HOSTILE {
            let out = markdown(text);
            assert!(!out.contains('\n'), "{out}");
            assert!(!out.contains('<'), "raw HTML survives: {out}");
            let unescaped = out.replace("\\]", "").replace("\\[", "");
            assert!(!unescaped.contains("](") && !unescaped.contains("!["), "a link or image survives: {out}");
            assert!(!out.contains("://") && !out.contains("www."), "an autolink survives: {out}");
            // Every pipe, bracket, star and backtick is escaped.
            for (i, c) in out.char_indices() {
                if "|[]*`".contains(c) {
                    assert_eq!(&out[i - 1..i], "\\", "{c} unescaped in {out}");
                }
            }
        }
        assert_eq!(markdown("# Injected"), "\\# Injected");
        assert_eq!(markdown("1. item"), "1\\. item");
        assert_eq!(markdown("_x_"), "\\_x\\_");
        // What a ledger's own text looks like stays readable and copyable.
        assert_eq!(markdown("txn_c9a6ea2981"), "txn_c9a6ea2981");
        assert_eq!(markdown("Émile's reply, 1024x1024 (GPT-5 mini)"), "Émile's reply, 1024x1024 (GPT-5 mini)");
    }

    #[test]
    fn spreadsheet_cells_never_start_a_formula() {
        for text in ["=1+1", "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=x", "\r=x"] {
            let out = spreadsheet(text);
            assert!(out.starts_with('\''), "{text:?} -> {out:?}");
            assert_eq!(&out[1..], text);
        }
        assert_eq!(spreadsheet("GPT-5 mini"), "GPT-5 mini");
        assert_eq!(spreadsheet(""), "");
    }

    #[test]
    fn terminal_text_has_no_control_characters() {
        assert_eq!(terminal("ok\u{1b}[2J\u{1b}]0;pwned\u{7}\rdone"), "ok[2J]0;pwneddone");
        assert_eq!(terminal("two\nlines"), "two lines");
        assert_eq!(terminal("plain"), "plain");
    }
}
