//! Relative URLs made absolute, so a replay loads images, fonts and
//! backgrounds from the site even though it runs on another origin.
//!
//! Pure string work (RFC 3986 reference resolution) rather than a call to
//! the browser's `URL` per attribute: snapshots hold thousands of them.

/// Resolves `reference` against the absolute URL `base`. References that
/// are already absolute, or that are not URLs a replay fetches (`data:`,
/// `#fragment`, empty), come back unchanged.
pub fn resolve(base: &str, reference: &str) -> String {
    let reference = reference.trim();
    if reference.is_empty() || reference.starts_with('#') || has_scheme(reference) {
        return reference.to_owned();
    }
    let Some(base_scheme_end) = scheme_end(base) else {
        return reference.to_owned();
    };
    let scheme = base.get(..base_scheme_end).unwrap_or_default(); // without ':'
    if let Some(rest) = reference.strip_prefix("//") {
        return [scheme, "://", rest].concat();
    }
    let after_scheme = base.get(base_scheme_end + 1..).unwrap_or_default();
    let (authority, base_path_and_more) = match after_scheme.strip_prefix("//") {
        Some(rest) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (host, more) = rest.split_at_checked(end).unwrap_or((rest, ""));
            (["//", host].concat(), more)
        }
        None => (String::new(), after_scheme),
    };
    let base_path_end = base_path_and_more
        .find(['?', '#'])
        .unwrap_or(base_path_and_more.len());
    let (base_path, rest) = base_path_and_more
        .split_at_checked(base_path_end)
        .unwrap_or((base_path_and_more, ""));
    let base_query = rest.split('#').next().unwrap_or_default();
    let prefix = [scheme, ":", &authority].concat();
    if reference.starts_with('?') {
        return [&prefix, base_path, reference].concat();
    }
    let (ref_path, ref_tail) = match reference.find(['?', '#']) {
        Some(index) => reference.split_at_checked(index).unwrap_or((reference, "")),
        None => (reference, ""),
    };
    if ref_path.is_empty() {
        return [&prefix, base_path, base_query, ref_tail].concat();
    }
    let merged = if ref_path.starts_with('/') {
        ref_path.to_owned()
    } else {
        let directory = match base_path.bytes().rposition(|byte| byte == b'/') {
            Some(index) => base_path.get(..=index).unwrap_or_default(),
            None if !authority.is_empty() => "/",
            None => "",
        };
        [directory, ref_path].concat()
    };
    [&prefix, remove_dot_segments(&merged).as_str(), ref_tail].concat()
}

/// Whether `text` starts with `scheme:` (letters, digits, `+ - .`).
fn has_scheme(text: &str) -> bool {
    scheme_end(text).is_some()
}

fn scheme_end(text: &str) -> Option<usize> {
    let colon = text.find(':')?;
    let scheme = text.get(..colon).unwrap_or_default();
    let mut bytes = scheme.bytes();
    let first_is_letter = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    (first_is_letter && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
        .then_some(colon)
}

/// `/a/b/../c/./d` -> `/a/c/d`, as RFC 3986 section 5.2.4 does it.
fn remove_dot_segments(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut segments: Vec<&str> = Vec::new();
    // The last segment's index: split('/') yields one more than the slashes.
    let last = path.bytes().filter(|&byte| byte == b'/').count();
    let mut ends_with_directory = false;
    for (index, segment) in path.split('/').enumerate() {
        match segment {
            "." => ends_with_directory = index == last,
            ".." => {
                if segments.len() > usize::from(absolute) {
                    segments.pop();
                }
                ends_with_directory = index == last;
            }
            _ => {
                segments.push(segment);
                ends_with_directory = false;
            }
        }
    }
    // (Joined by hand: `join` is one more generic copy in the wasm.)
    let mut out = String::with_capacity(path.len());
    for (index, segment) in segments.iter().enumerate() {
        if index > 0 {
            out.push('/');
        }
        out.push_str(segment);
    }
    if absolute && !out.starts_with('/') {
        out.insert(0, '/');
    }
    if ends_with_directory && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// Makes the relative URLs of `css` absolute against `base`: those of
/// every `url(…)` (unquoted, `"…"` or `'…'`, with optional whitespace
/// inside the parentheses, so `@import url(…)` too) and the string form
/// `@import "…"` / `@import '…'`. `url(` and `@import` match in any case.
///
/// Left exactly as written: empty URLs, `#fragment`s, URLs with a scheme
/// (`data:`, `https:`, `blob:`…), and what is not a complete URL token (no
/// closing quote or parenthesis, or an unquoted URL holding a quote, a
/// parenthesis or inner whitespace, which CSS itself rejects). A rewritten
/// `url(…)` loses the whitespace inside its parentheses; a rewritten URL
/// keeps its quotes (or their absence), unless `base` holds a character
/// that could end them (a parenthesis, quote or whitespace): then it goes
/// in double quotes, or single ones if it holds a `"`, and stays as written
/// if it holds both, a line break, or `base` a backslash. Backslash escapes
/// in the CSS are honoured when looking for the end and copied through.
///
/// Nothing else is parsed: a `url(` inside a comment or a string is
/// rewritten too, as rewind's JS copy of this rule did.
pub fn absolutize_css(css: &str, base: &str) -> String {
    let Some((first, _)) = next_reference(css.as_bytes(), 0) else {
        return css.to_owned();
    };
    let bytes = css.as_bytes();
    let mut out = String::with_capacity(css.len() + 64);
    // css[..copied] is in `out`; `at` is where the next search starts.
    let mut copied = 0;
    let mut at = first;
    while let Some((start, kind)) = next_reference(bytes, at) {
        match kind {
            Reference::Url => {
                let open = start + "url(".len();
                at = open;
                let Some(token) = url_token(bytes, open) else {
                    continue;
                };
                let value = css.get(token.value.0..token.value.1).unwrap_or_default();
                let Some((quote, resolved)) = absolute_in_quotes(value, token.quote, base) else {
                    at = token.end;
                    continue;
                };
                out.push_str(css.get(copied..open).unwrap_or_default());
                push_quoted(&mut out, quote, &resolved);
                out.push(')');
                copied = token.end;
                at = token.end;
            }
            Reference::Import => {
                let after = start + "@import".len();
                at = after;
                let string_at = skip_whitespace(bytes, after);
                let Some(&quote @ (b'"' | b'\'')) = bytes.get(string_at) else {
                    // `@import url(…)`: the next search finds the url(.
                    continue;
                };
                let Some(close) = string_end(bytes, string_at + 1, quote) else {
                    continue;
                };
                at = close + 1;
                let value = css.get(string_at + 1..close).unwrap_or_default();
                let Some((quote, resolved)) =
                    absolute_in_quotes(value, Some(char::from(quote)), base)
                else {
                    continue;
                };
                out.push_str(css.get(copied..string_at).unwrap_or_default());
                push_quoted(&mut out, quote, &resolved);
                copied = close + 1;
            }
        }
    }
    out.push_str(css.get(copied..).unwrap_or_default());
    out
}

/// What [`next_reference`] found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reference {
    Url,
    Import,
}

/// Where the next `url(` or `@import` (ASCII case-insensitive) starts at
/// or after `from`.
fn next_reference(bytes: &[u8], from: usize) -> Option<(usize, Reference)> {
    let starts_with = |at: usize, word: &[u8]| {
        bytes
            .get(at..at + word.len())
            .is_some_and(|found| found.eq_ignore_ascii_case(word))
    };
    (from..bytes.len()).find_map(|at| match bytes[at] {
        b'u' | b'U' if starts_with(at, b"url(") => Some((at, Reference::Url)),
        b'@' if starts_with(at, b"@import") => Some((at, Reference::Import)),
        _ => None,
    })
}

/// A complete `url(…)` token: its value's byte range (inside the quotes,
/// if any), its quote, and the index just past its `)`.
struct UrlToken {
    value: (usize, usize),
    quote: Option<char>,
    end: usize,
}

/// The `url(…)` token whose contents start at `open` (just past `url(`);
/// `None` when it is not a complete, valid one.
fn url_token(bytes: &[u8], open: usize) -> Option<UrlToken> {
    let value_at = skip_whitespace(bytes, open);
    match *bytes.get(value_at)? {
        quote @ (b'"' | b'\'') => {
            let close = string_end(bytes, value_at + 1, quote)?;
            let paren = skip_whitespace(bytes, close + 1);
            (bytes.get(paren) == Some(&b')')).then_some(UrlToken {
                value: (value_at + 1, close),
                quote: Some(char::from(quote)),
                end: paren + 1,
            })
        }
        _ => {
            let mut at = value_at;
            while at < bytes.len() {
                match bytes[at] {
                    b')' => break,
                    b'\\' => at += 2,
                    _ => at += 1,
                }
            }
            if at >= bytes.len() {
                return None;
            }
            let mut value_end = at;
            while value_end > value_at && is_css_whitespace(bytes[value_end - 1]) {
                value_end -= 1;
            }
            let value = &bytes[value_at..value_end];
            // CSS makes these a bad URL; the browser dropped it already.
            let is_bad = value
                .iter()
                .any(|&b| matches!(b, b'"' | b'\'' | b'(') || is_css_whitespace(b));
            (!is_bad).then_some(UrlToken {
                value: (value_at, value_end),
                quote: None,
                end: at + 1,
            })
        }
    }
}

/// The index of the quote ending a CSS string whose text starts at `from`;
/// `None` when it does not end (a line break or the end of the text comes
/// first).
fn string_end(bytes: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut at = from;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'\n' | b'\r' | b'\x0c' => return None,
            b if b == quote => return Some(at),
            _ => at += 1,
        }
    }
    None
}

fn is_css_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).copied().is_some_and(is_css_whitespace) {
        at += 1;
    }
    at
}

/// `value` resolved against `base` and the quote to write it in (`None`:
/// unquoted); `None` when it stays as written: nothing to resolve (empty,
/// a fragment, a scheme such as `data:`), or no quote can hold it.
fn absolute_in_quotes(
    value: &str,
    quote: Option<char>,
    base: &str,
) -> Option<(Option<char>, String)> {
    let reference = value.trim();
    if reference.is_empty() || reference.starts_with('#') || has_scheme(reference) {
        return None;
    }
    let resolved = resolve(base, reference);
    if resolved == reference {
        // A base that is not absolute resolves nothing.
        return None;
    }
    // The value was a valid token in its quotes (or none), and stays one
    // with an absolute start, unless the base brings a character that ends
    // them: a parenthesis, quote or space in its path, rare enough to take
    // the slower road.
    // (A backslash would start an escape; no quoting holds a line break.)
    // (All ASCII: looked for byte by byte, which costs less wasm than
    // str's pattern searches.)
    const ENDS_A_TOKEN: &[u8] = b"()\"' \t\n\r";
    let has_any = |text: &str, set: &[u8]| text.bytes().any(|byte| set.contains(&byte));
    if !has_any(base, ENDS_A_TOKEN) && !has_any(base, b"\\\x0c") {
        return Some((quote, resolved));
    }
    if has_any(base, b"\\") || has_any(&resolved, b"\n\r\x0c") {
        return None;
    }
    if !has_any(&resolved, b"\"") {
        return Some((Some('"'), resolved));
    }
    if !has_any(&resolved, b"'") {
        return Some((Some('\''), resolved));
    }
    None
}

fn push_quoted(out: &mut String, quote: Option<char>, text: &str) {
    if let Some(quote) = quote {
        out.push(quote);
        out.push_str(text);
        out.push(quote);
    } else {
        out.push_str(text);
    }
}

/// Attributes whose value is a URL the replay would fetch or follow.
pub fn is_url_attribute(tag_name: &str, name: &str) -> bool {
    match name {
        "src" | "href" | "poster" | "background" | "action" | "data" | "xlink:href" => {
            // An <iframe>'s src is replaced by its recorded document.
            !(tag_name == "iframe" && name == "src")
        }
        _ => false,
    }
}

/// Resolves each URL of a `srcset` list (`a.png 1x, b.png 2x`).
pub fn resolve_srcset(base: &str, srcset: &str) -> String {
    let mut out = String::with_capacity(srcset.len() + 64);
    for candidate in srcset.split(',') {
        let candidate = candidate.trim();
        if candidate.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        match candidate.split_once(char::is_whitespace) {
            Some((url, descriptor)) => {
                out.push_str(&resolve(base, url));
                out.push(' ');
                out.push_str(descriptor.trim());
            }
            None => out.push_str(&resolve(base, candidate)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://shop.example/a/b/page.html?x=1#top";

    #[test]
    fn references_resolve_as_rfc_3986_says() {
        let cases = [
            ("img.png", "https://shop.example/a/b/img.png"),
            ("./img.png", "https://shop.example/a/b/img.png"),
            ("../img.png", "https://shop.example/a/img.png"),
            ("../../../img.png", "https://shop.example/img.png"),
            ("/static/app.css", "https://shop.example/static/app.css"),
            ("//cdn.example/x.js", "https://cdn.example/x.js"),
            ("?page=2", "https://shop.example/a/b/page.html?page=2"),
            ("", ""),
            ("#anchor", "#anchor"),
            ("https://other.example/", "https://other.example/"),
            ("data:image/png;base64,AAAA", "data:image/png;base64,AAAA"),
            ("mailto:ada@example.com", "mailto:ada@example.com"),
            ("c/./d/../e?q#f", "https://shop.example/a/b/c/e?q#f"),
            ("..", "https://shop.example/a/"),
        ];
        for (reference, expected) in cases {
            assert_eq!(resolve(BASE, reference), expected, "{reference}");
        }
        assert_eq!(
            resolve("https://shop.example", "x.png"),
            "https://shop.example/x.png"
        );
    }

    #[test]
    fn css_urls_are_rewritten_and_quotes_kept() {
        let css = r#".a { background: url(img/bg.png) } .b { background: url("/x.svg") } @font-face { src: url('../f.woff2') } .c { background: url(data:image/gif;base64,R0) }"#;
        assert_eq!(
            absolutize_css(css, "https://s.example/css/site.css"),
            r#".a { background: url(https://s.example/css/img/bg.png) } .b { background: url("https://s.example/x.svg") } @font-face { src: url('https://s.example/f.woff2') } .c { background: url(data:image/gif;base64,R0) }"#
        );
        assert_eq!(absolutize_css("p { color: red }", BASE), "p { color: red }");
    }

    const SHEET: &str = "https://s.example/css/site.css";

    fn absolute(css: &str) -> String {
        absolutize_css(css, SHEET)
    }

    #[test]
    fn whitespace_inside_url_parentheses_is_allowed_and_dropped() {
        assert_eq!(
            absolute("a { b: url(  \"img/x.png\"  ) }"),
            "a { b: url(\"https://s.example/css/img/x.png\") }"
        );
        assert_eq!(
            absolute("a { b: url(\n img/x.png\t) }"),
            "a { b: url(https://s.example/css/img/x.png) }"
        );
        assert_eq!(
            absolute("a { b: url( ' x.png ' ) }"),
            "a { b: url('https://s.example/css/x.png') }"
        );
    }

    #[test]
    fn empty_urls_are_left_as_written() {
        for css in ["url()", "url( )", "url(\"\")", "url('  ')", "@import \"\";"] {
            assert_eq!(absolute(css), css);
        }
    }

    #[test]
    fn data_urls_are_left_as_written_in_any_case() {
        for css in [
            "url(data:image/gif;base64,R0lGOD==)",
            "url( \"data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'/>\" )",
            "url(DATA:image/png;base64,AA)",
            "@import 'data:text/css,p%7Bcolor:red%7D';",
        ] {
            assert_eq!(absolute(css), css);
        }
    }

    #[test]
    fn absolute_and_scheme_urls_are_left_as_written() {
        for css in [
            "url(https://cdn.example/a.png)",
            "url( 'HTTP://cdn.example/a.png' )",
            "url(blob:https://s.example/0f9c)",
            "url(about:blank)",
            "@import \"https://fonts.example/css?family=A\";",
        ] {
            assert_eq!(absolute(css), css);
        }
        assert_eq!(
            absolute("url(//cdn.example/a.png)"),
            "url(https://cdn.example/a.png)",
            "a scheme-relative URL takes the sheet's scheme"
        );
    }

    #[test]
    fn fragment_urls_are_left_as_written() {
        for css in [
            "filter: url(#blur)",
            "mask: url( '#m' )",
            "fill: url(\"#g\")",
        ] {
            assert_eq!(absolute(css), css);
        }
    }

    #[test]
    fn unclosed_url_is_copied_as_written_and_the_rest_still_rewritten() {
        assert_eq!(absolute("a { b: url(x.png"), "a { b: url(x.png");
        assert_eq!(absolute("a { b: url("), "a { b: url(");
        assert_eq!(absolute("a { b: url(\"x.png) }"), "a { b: url(\"x.png) }");
        assert_eq!(
            absolute("a { b: url('x.png\n) } c { d: url(y.png) }"),
            "a { b: url('x.png\n) } c { d: url(https://s.example/css/y.png) }",
            "a string ends at a line break"
        );
        assert_eq!(
            absolute("a { b: url(\"x.png\" junk) } c { d: url(y.png) }"),
            "a { b: url(\"x.png\" junk) } c { d: url(https://s.example/css/y.png) }"
        );
    }

    #[test]
    fn bad_unquoted_urls_are_left_as_written() {
        for css in [
            "url(a b.png)",
            "url(a\"b.png)",
            "url(a'b.png)",
            "url(a(b.png)",
        ] {
            assert_eq!(absolute(css), css);
        }
    }

    #[test]
    fn quoted_url_may_hold_a_parenthesis_and_escaped_quote() {
        assert_eq!(
            absolute("url(\"a).png\")"),
            "url(\"https://s.example/css/a).png\")"
        );
        assert_eq!(
            absolute(r#"url("a\"b.png") url(c.png)"#),
            r#"url("https://s.example/css/a\"b.png") url(https://s.example/css/c.png)"#
        );
        assert_eq!(
            absolute(r"url(a\).png)"),
            r"url(https://s.example/css/a\).png)"
        );
    }

    #[test]
    fn import_strings_are_rewritten_in_both_quotes() {
        assert_eq!(
            absolute("@import \"base.css\";\n@import 'theme/dark.css' screen;"),
            "@import \"https://s.example/css/base.css\";\n@import 'https://s.example/css/theme/dark.css' screen;"
        );
        assert_eq!(
            absolute("@import\"../x.css\";"),
            "@import\"https://s.example/x.css\";"
        );
        assert_eq!(
            absolute("@IMPORT \"x.css\";"),
            "@IMPORT \"https://s.example/css/x.css\";"
        );
    }

    #[test]
    fn import_url_form_is_rewritten() {
        assert_eq!(
            absolute("@import url(\"print.css\") print;\n@import url(/all.css);"),
            "@import url(\"https://s.example/css/print.css\") print;\n@import url(https://s.example/all.css);"
        );
    }

    #[test]
    fn unclosed_import_string_is_left_as_written() {
        assert_eq!(absolute("@import \"x.css"), "@import \"x.css");
        assert_eq!(absolute("@import;"), "@import;");
    }

    #[test]
    fn url_matches_in_any_case() {
        assert_eq!(
            absolute("url(x.png) URL(y.png)"),
            "url(https://s.example/css/x.png) URL(https://s.example/css/y.png)"
        );
    }

    #[test]
    fn a_base_that_would_end_the_quotes_gets_safe_ones() {
        let base = "https://s.example/it's (new)/site.css";
        assert_eq!(
            absolutize_css("url(x.png) url('y.png') @import 'z.css';", base),
            "url(\"https://s.example/it's (new)/x.png\") url(\"https://s.example/it's (new)/y.png\") @import \"https://s.example/it's (new)/z.css\";"
        );
        assert_eq!(
            absolutize_css(r#"url('a\"b.png')"#, base),
            r#"url('a\"b.png')"#,
            "no quote holds both"
        );
        assert_eq!(
            absolutize_css("url(x.png)", "https://s.example/a\\b/site.css"),
            "url(x.png)"
        );
    }

    #[test]
    fn a_base_that_is_not_absolute_changes_nothing() {
        assert_eq!(
            absolutize_css("url(x.png) @import 'y.css';", ""),
            "url(x.png) @import 'y.css';"
        );
    }

    #[test]
    fn srcset_candidates_resolve_each() {
        assert_eq!(
            resolve_srcset("https://s.example/p/", "a.png 1x, /b.png 2x"),
            "https://s.example/p/a.png 1x, https://s.example/b.png 2x"
        );
    }
}
