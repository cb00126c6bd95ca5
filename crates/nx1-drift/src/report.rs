//! Drift reports: text for a terminal, Markdown for a PR comment, JSON with a stable schema,
//! and GitHub workflow annotations on the spec's lines.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::json;

use crate::diff::{Change, Level};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
    Github,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "text" => Ok(Format::Text),
            "markdown" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            "github" => Ok(Format::Github),
            other => Err(format!(
                "unknown format `{other}`; use text, markdown, json or github"
            )),
        }
    }
}

/// Everything a report says.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub in_sync: bool,
    pub changes: Vec<Change>,
    pub pages: Pages,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pages {
    pub fetched: usize,
    pub failed: Vec<String>,
}

impl Report {
    pub fn new(changes: Vec<Change>, fetched: usize, failed: Vec<String>) -> Self {
        Report {
            in_sync: changes.is_empty() && failed.is_empty(),
            changes,
            pages: Pages { fetched, failed },
        }
    }

    /// The worst level reported, if any.
    pub fn worst(&self) -> Option<Level> {
        self.changes.iter().map(|change| change.level).max()
    }

    /// `spec_name`/`spec_text`: the spec file the pointers refer to (for line numbers).
    pub fn render(&self, format: Format, spec_name: &str, spec_text: &str) -> String {
        match format {
            Format::Text => self.text(),
            Format::Markdown => self.markdown(),
            Format::Json => {
                let value = json!(self);
                serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
            }
            Format::Github => self.github(spec_name, spec_text),
        }
    }

    fn by_operation(&self) -> BTreeMap<&str, Vec<&Change>> {
        let mut groups: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
        for change in &self.changes {
            groups
                .entry(change.operation.as_str())
                .or_default()
                .push(change);
        }
        groups
    }

    fn counts(&self) -> String {
        let count = |level: Level| self.changes.iter().filter(|c| c.level == level).count();
        format!(
            "{} change(s): {} breaking, {} warning, {} info",
            self.changes.len(),
            count(Level::Breaking),
            count(Level::Warning),
            count(Level::Info)
        )
    }

    fn text(&self) -> String {
        if self.in_sync {
            return format!("in sync ({} pages read)\n", self.pages.fetched);
        }
        let mut out = String::new();
        for (operation, changes) in self.by_operation() {
            let page = changes
                .iter()
                .find_map(|change| change.page.as_deref())
                .map(|page| format!("  ({page})"))
                .unwrap_or_default();
            let _ = writeln!(out, "{operation}{page}");
            for change in changes {
                let _ = writeln!(
                    out,
                    "  {:<8}  {}: {}  [{}]",
                    change.level.to_string(),
                    change.id,
                    change.message,
                    change.pointer
                );
            }
        }
        let _ = writeln!(out, "{} ({} pages read)", self.counts(), self.pages.fetched);
        out
    }

    fn markdown(&self) -> String {
        if self.in_sync {
            return format!(
                "### API drift: in sync\n\n{} docs pages read; `openapi.yaml` matches them.\n",
                self.pages.fetched
            );
        }
        if !self.pages.failed.is_empty() {
            let mut out =
                "### API drift: unknown\n\nThe docs could not be read, so drift cannot be judged:\n\n"
                    .to_owned();
            for failure in &self.pages.failed {
                let _ = writeln!(out, "- {}", failure.replace('|', "\\|"));
            }
            return out;
        }
        let mut out = format!("### API drift: {}\n\n", self.counts());
        for (operation, changes) in self.by_operation() {
            let _ = writeln!(out, "#### `{operation}`");
            if let Some(page) = changes.iter().find_map(|change| change.page.as_deref()) {
                let _ = writeln!(out, "Documented at <{page}>\n");
            } else {
                out.push('\n');
            }
            out.push_str("| level | rule | change |\n|---|---|---|\n");
            for change in changes {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} |",
                    change.level,
                    change.id,
                    change.message.replace('|', "\\|")
                );
            }
            out.push('\n');
        }
        out
    }

    fn github(&self, spec_name: &str, spec_text: &str) -> String {
        let mut out = String::new();
        for failure in &self.pages.failed {
            let message = escape_annotation(failure);
            let _ = writeln!(out, "::error title=docs unreadable::{message}");
        }
        for change in &self.changes {
            let command = match change.level {
                Level::Breaking => "error",
                Level::Warning => "warning",
                Level::Info => "notice",
            };
            let line = line_of(spec_text, &change.pointer);
            let message = escape_annotation(&format!("{}: {}", change.operation, change.message));
            let _ = writeln!(
                out,
                "::{command} file={spec_name},line={line},title={}::{message}",
                change.id
            );
        }
        out
    }
}

/// A workflow command's message: `%`, CR and LF escaped as GitHub reads them.
fn escape_annotation(message: &str) -> String {
    message
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The line (1-based) of the node a JSON pointer names; see [`nx1_codegen::pointer::line_of`].
pub fn line_of(yaml: &str, pointer: &str) -> usize {
    nx1_codegen::pointer::line_of(yaml, pointer).0
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      parameters:\n      - name: x\n        in: query\n      - name: y\n        in: query\n      responses:\n        '200':\n          description: ok\n";

    #[test]
    fn pointers_find_their_lines() {
        assert_eq!(line_of(YAML, "/paths/~1a/get"), 4);
        assert_eq!(line_of(YAML, "/paths/~1a/get/parameters/1"), 8);
        assert_eq!(
            line_of(YAML, "/paths/~1a/get/responses/200/description"),
            12
        );
        // A node that is not there: its nearest parent.
        assert_eq!(line_of(YAML, "/paths/~1a/post"), 3);
    }
}
