//! Rendering third-party text inert. Descriptions, character and model names, transaction IDs
//! and types come from a vendor's export: a report that support sends to a customer, a CSV a
//! finance team opens in a spreadsheet, and a terminal must show them as text, never act on
//! them. One function per destination; every writer of such text goes through one of them.
//!
//! Besides control characters, the bidirectional controls (U+202A-U+202E, U+2066-U+2069,
//! U+200E, U+200F, U+061C) are dropped everywhere: a right-to-left override makes text read
//! other than it is ("Trojan Source"), in a terminal as in a report.

/// Whether `c` is a bidirectional formatting control.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether `c` may act on what shows it rather than be shown: a control character (escape
/// sequences, carriage returns, C1 controls) or a bidirectional control.
fn is_active(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

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
            c if is_active(c) => {}
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

/// Text for a terminal: control characters (escape sequences, carriage returns) and
/// bidirectional controls are dropped, so a description cannot move the cursor, recolour,
/// rewrite the lines around it or reverse how they read.
pub fn terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_active) {
        return text.into();
    }
    text.chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .filter(|&c| !is_active(c))
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
        assert_eq!(terminal("ok\u{9b}31m"), "ok31m");
    }

    #[test]
    fn bidirectional_controls_are_dropped_everywhere() {
        let text = "invoice\u{202E}fdp.exe\u{2066}x\u{2069}\u{200F}";
        assert_eq!(terminal(text), "invoicefdp.exex");
        assert_eq!(markdown(text), "invoicefdp.exex");
    }
}
