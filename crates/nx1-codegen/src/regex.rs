//! Regular expressions written in Python's (or PCRE's) dialect, rewritten into the
//! ECMAScript dialect that OpenAPI prescribes and `regress` (the generated client's checker)
//! reads. Only spellings with an exact equivalent are rewritten; whatever else the dialects
//! disagree on is left for the caller to reject.

/// Rewrites named groups (`(?P<n>…)`, `(?P=n)`) and the string anchors `\A`, `\Z`, `\z`.
pub fn to_ecmascript(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('A') if !in_class => out.push('^'),
                Some('Z' | 'z') if !in_class => out.push('$'),
                Some(escaped) => {
                    out.push('\\');
                    out.push(escaped);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal, not the end of the class.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '(' if !in_class && pattern_at(&chars, "?P<") => {
                for _ in 0..3 {
                    chars.next();
                }
                out.push_str("(?<");
            }
            '(' if !in_class && pattern_at(&chars, "?P=") => {
                for _ in 0..3 {
                    chars.next();
                }
                let name: String = chars.by_ref().take_while(|c| *c != ')').collect();
                out.push_str(&format!("\\k<{name}>"));
            }
            _ => out.push(c),
        }
    }
    out
}

fn pattern_at(chars: &std::iter::Peekable<std::str::Chars<'_>>, expected: &str) -> bool {
    chars.clone().take(expected.len()).eq(expected.chars())
}

#[cfg(test)]
mod tests {
    use super::to_ecmascript;

    #[test]
    fn python_spellings_become_ecmascript() {
        for (python, ecmascript) in [
            (
                r"^(?P<year>\d{4})-(?P=year)\Z",
                r"^(?<year>\d{4})-\k<year>$",
            ),
            (r"\A[a-z]+\z", r"^[a-z]+$"),
            (r"[\Z]\\Z", r"[\Z]\\Z"),
            (r"[]a]", r"[\]a]"),
            (r"^[a-zA-Z0-9_-]{1,64}$", r"^[a-zA-Z0-9_-]{1,64}$"),
        ] {
            assert_eq!(to_ecmascript(python), ecmascript, "{python}");
        }
        for python in [r"^(?P<year>\d{4})-(?P=year)\Z", r"[]a]"] {
            assert!(
                regress::Regex::new(&to_ecmascript(python)).is_ok(),
                "{python}"
            );
        }
    }
}
