//! Errors that name where in a spec the fault is: a line and column while the text is
//! still text, a JSON pointer once it has been parsed.

use std::fmt;

/// Where in a spec a problem sits: a line and column while the text is still text, a JSON
/// pointer once it has been parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Unknown,
    Line {
        line: usize,
        column: usize,
    },
    Pointer(String),
    /// A pointer, and the line and column of its node in the text.
    At {
        line: usize,
        column: usize,
        pointer: String,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Unknown => Ok(()),
            Location::Line { line, column } => write!(f, ":{line}:{column}"),
            Location::Pointer(pointer) => write!(f, "#{pointer}"),
            Location::At {
                line,
                column,
                pointer,
            } => write!(f, ":{line}:{column}#{pointer}"),
        }
    }
}

/// A spec that cannot be turned into code, located as precisely as the stage that found it
/// allows. Displayed as `file:line:column: message` or `file#/json/pointer: message`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{origin}{location}: {message}")]
pub struct SpecError {
    pub origin: String,
    pub location: Location,
    pub message: String,
}

impl SpecError {
    pub fn at_pointer(origin: &str, pointer: &str, message: impl Into<String>) -> Self {
        SpecError {
            origin: origin.to_owned(),
            location: Location::Pointer(pointer.to_owned()),
            message: message.into(),
        }
    }

    /// Adds the line and column of a pointer location, as `line_of` finds them.
    pub fn with_line(self, line_of: impl FnOnce(&str) -> Option<(usize, usize)>) -> Self {
        match self.location {
            Location::Pointer(pointer) => {
                let Some((line, column)) = line_of(&pointer) else {
                    return SpecError {
                        location: Location::Pointer(pointer),
                        ..self
                    };
                };
                SpecError {
                    location: Location::At {
                        line,
                        column,
                        pointer,
                    },
                    ..self
                }
            }
            _ => self,
        }
    }

    pub fn whole(origin: &str, message: impl Into<String>) -> Self {
        SpecError {
            origin: origin.to_owned(),
            location: Location::Unknown,
            message: message.into(),
        }
    }
}
