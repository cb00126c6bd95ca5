//! Questions to ask of a failed call, beside the generated code (as omicron does with its
//! progenitor clients).

use crate::generated::Error;

/// Convenience questions on [`Error`].
pub trait ErrorExt {
    /// The HTTP status, when the server answered at all.
    fn status_code(&self) -> Option<u16>;
    /// The server refused the credentials (or there were none): 401.
    fn is_unauthorized(&self) -> bool {
        self.status_code() == Some(401)
    }
    /// The caller lacks the role for this operation: 403.
    fn is_forbidden(&self) -> bool {
        self.status_code() == Some(403)
    }
    /// The request never got an answer in time.
    fn is_timeout(&self) -> bool;
    /// Worth retrying: a timeout, a connection failure, 429 or a 5xx.
    fn is_retryable(&self) -> bool;
}

impl<E> ErrorExt for Error<E> {
    fn status_code(&self) -> Option<u16> {
        self.status().map(|status| status.as_u16())
    }

    fn is_timeout(&self) -> bool {
        matches!(self, Error::CommunicationError(err) if err.is_timeout())
    }

    fn is_retryable(&self) -> bool {
        match self {
            Error::CommunicationError(err) => err.is_timeout() || err.is_connect(),
            _ => matches!(self.status_code(), Some(429 | 500..=599)),
        }
    }
}
