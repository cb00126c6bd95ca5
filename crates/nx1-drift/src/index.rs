//! llms.txt, read leniently: an H1, an optional blockquote, then sections of
//! `- [title](url): note` lines. Only the links matter here.

/// One page the index lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub title: String,
    /// Absolute URL (relative links are resolved against the index's own URL).
    pub url: String,
}

/// The links of an llms.txt document, in order, each once.
pub fn parse(text: &str, base: &str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix('[') else {
            continue;
        };
        let Some((title, rest)) = split_bracket(rest) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('(') else {
            continue;
        };
        let Some(end) = rest.find(')') else { continue };
        let target = rest[..end].trim();
        // `[t](url "title")`: the URL is the first token.
        let target = target.split_whitespace().next().unwrap_or_default();
        if target.is_empty() {
            continue;
        }
        let url = resolve(base, target);
        if !entries.iter().any(|entry| entry.url == url) {
            entries.push(Entry {
                title: title.to_owned(),
                url,
            });
        }
    }
    entries
}

/// `title](rest` with nested brackets in the title allowed.
fn split_bracket(text: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    for (index, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' if depth == 0 => return Some((&text[..index], &text[index + 1..])),
            ']' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Resolves `target` against `base` (an absolute URL or a local path).
pub fn resolve(base: &str, target: &str) -> String {
    if target.contains("://") {
        return target.to_owned();
    }
    if let Some(rest) = target.strip_prefix('/') {
        // Site-absolute: keep the base's scheme and host.
        if let Some(scheme_end) = base.find("://") {
            let after = &base[scheme_end + 3..];
            let host_end = after.find('/').map_or(base.len(), |i| scheme_end + 3 + i);
            return format!("{}/{rest}", &base[..host_end]);
        }
        return format!("/{rest}");
    }
    let directory = match base.rfind('/') {
        Some(index) => &base[..=index],
        None => "",
    };
    format!("{directory}{target}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_of_every_shape() {
        let text = "# Nx1\n\n> summary\n\n## Docs\n\n- [A](https://d.com/a.md): note\n- [B [beta]](/b.md)\n* [C](c.md \"t\")\nplain text\n- [A again](https://d.com/a.md)\n- not a link\n";
        let entries = parse(text, "https://d.com/docs/llms.txt");
        let urls: Vec<&str> = entries.iter().map(|e| e.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://d.com/a.md",
                "https://d.com/b.md",
                "https://d.com/docs/c.md"
            ]
        );
        assert_eq!(entries[1].title, "B [beta]");
    }
}
