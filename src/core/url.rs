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
    let scheme = &base[..base_scheme_end]; // without ':'
    if let Some(rest) = reference.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    let after_scheme = &base[base_scheme_end + 1..];
    let (authority, base_path_and_more) = match after_scheme.strip_prefix("//") {
        Some(rest) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            (format!("//{}", &rest[..end]), &rest[end..])
        }
        None => (String::new(), after_scheme),
    };
    let base_path_end = base_path_and_more
        .find(['?', '#'])
        .unwrap_or(base_path_and_more.len());
    let base_path = &base_path_and_more[..base_path_end];
    let base_query = {
        let rest = &base_path_and_more[base_path_end..];
        let end = rest.find('#').unwrap_or(rest.len());
        &rest[..end]
    };
    let prefix = format!("{scheme}:{authority}");
    if reference.starts_with('?') {
        return format!("{prefix}{base_path}{reference}");
    }
    let (ref_path, ref_tail) = match reference.find(['?', '#']) {
        Some(index) => reference.split_at(index),
        None => (reference, ""),
    };
    if ref_path.is_empty() {
        return format!("{prefix}{base_path}{base_query}{ref_tail}");
    }
    let merged = if ref_path.starts_with('/') {
        ref_path.to_owned()
    } else {
        let directory = match base_path.rfind('/') {
            Some(index) => &base_path[..=index],
            None if !authority.is_empty() => "/",
            None => "",
        };
        format!("{directory}{ref_path}")
    };
    format!("{prefix}{}{ref_tail}", remove_dot_segments(&merged))
}

/// Whether `text` starts with `scheme:` (letters, digits, `+ - .`).
fn has_scheme(text: &str) -> bool {
    scheme_end(text).is_some()
}

fn scheme_end(text: &str) -> Option<usize> {
    let colon = text.find(':')?;
    let scheme = &text[..colon];
    let mut bytes = scheme.bytes();
    let first_is_letter = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    (first_is_letter && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
        .then_some(colon)
}

/// `/a/b/../c/./d` -> `/a/c/d`, as RFC 3986 section 5.2.4 does it.
fn remove_dot_segments(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').collect();
    let last = parts.len().saturating_sub(1);
    let mut ends_with_directory = false;
    for (index, segment) in parts.iter().enumerate() {
        match *segment {
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
    let mut out = segments.join("/");
    if absolute && !out.starts_with('/') {
        out.insert(0, '/');
    }
    if ends_with_directory && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// Rewrites every `url(...)` and `@import "..."` in `css` against `base`.
pub fn absolutize_css(css: &str, base: &str) -> String {
    if !css.contains("url(") && !css.contains("@import") {
        return css.to_owned();
    }
    let mut out = String::with_capacity(css.len() + 64);
    let mut rest = css;
    while let Some(start) = rest.find("url(") {
        out.push_str(&rest[..start + 4]);
        let after = &rest[start + 4..];
        let Some(end) = after.find(')') else {
            rest = after;
            break;
        };
        let inner = after[..end].trim();
        let (quote, value) = match inner.chars().next() {
            Some(q @ ('"' | '\'')) if inner.len() >= 2 && inner.ends_with(q) => {
                (Some(q), &inner[1..inner.len() - 1])
            }
            _ => (None, inner),
        };
        let resolved = if value.starts_with("data:") {
            value.to_owned()
        } else {
            resolve(base, value)
        };
        match quote {
            Some(q) => {
                out.push(q);
                out.push_str(&resolved);
                out.push(q);
            }
            None => out.push_str(&resolved),
        }
        out.push(')');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
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
    srcset
        .split(',')
        .map(|candidate| {
            let candidate = candidate.trim();
            match candidate.split_once(char::is_whitespace) {
                Some((url, descriptor)) => format!("{} {}", resolve(base, url), descriptor.trim()),
                None => resolve(base, candidate),
            }
        })
        .filter(|candidate| !candidate.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
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

    #[test]
    fn srcset_candidates_resolve_each() {
        assert_eq!(
            resolve_srcset("https://s.example/p/", "a.png 1x, /b.png 2x"),
            "https://s.example/p/a.png 1x, https://s.example/b.png 2x"
        );
    }
}
