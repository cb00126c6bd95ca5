//! Record framing for JSON Lines / NDJSON (one value per line) and JSON text sequences
//! (RFC 7464: each value after an RS byte), sans-IO like the SSE decoder.

use bytes::BytesMut;

use crate::sse::TooLarge;

/// How records are separated on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// `application/jsonl`, `application/x-ndjson`: a record per line (LF or CRLF).
    Line,
    /// `application/json-seq`: a record starts with RS (0x1E).
    RecordSeparator,
}

const RS: u8 = 0x1E;

/// Splits a byte stream into records. Blank records (whitespace only) are skipped, as
/// both formats allow; a last record without its terminator is kept at the end.
#[derive(Debug)]
pub struct Decoder {
    separator: Separator,
    buffer: BytesMut,
    limit: usize,
}

impl Decoder {
    pub fn new(separator: Separator, limit: usize) -> Decoder {
        Decoder {
            separator,
            buffer: BytesMut::new(),
            limit,
        }
    }

    pub fn separator(&self) -> Separator {
        self.separator
    }

    /// Forgets a partial record.
    pub fn reset(&mut self) {
        self.buffer.clear();
    }

    /// Feeds `chunk`, appending every record it completes to `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<String>) -> Result<(), TooLarge> {
        self.buffer.extend_from_slice(chunk);
        let byte = match self.separator {
            Separator::Line => b'\n',
            Separator::RecordSeparator => RS,
        };
        while let Some(end) = memchr::memchr(byte, &self.buffer) {
            let record = self.buffer.split_to(end + 1);
            push(&record[..end], out);
        }
        if self.buffer.len() > self.limit {
            return Err(TooLarge { limit: self.limit });
        }
        Ok(())
    }

    /// The stream ended: a last record without its terminator.
    pub fn finish(&mut self, out: &mut Vec<String>) {
        let record = std::mem::take(&mut self.buffer);
        push(&record, out);
    }
}

fn push(record: &[u8], out: &mut Vec<String>) {
    let text = String::from_utf8_lossy(record);
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if !text.is_empty() {
        out.push(text.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(separator: Separator, chunks: &[&[u8]]) -> Vec<String> {
        let mut decoder = Decoder::new(separator, 1 << 20);
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut out).unwrap();
        }
        decoder.finish(&mut out);
        out
    }

    #[test]
    fn splits_lines_and_keeps_an_unterminated_last_one() {
        assert_eq!(
            decode(
                Separator::Line,
                &[b"{\"a\":1}\r\n\n{\"a\"", b":2}\n{\"a\":3}"]
            ),
            ["{\"a\":1}", "{\"a\":2}", "{\"a\":3}"]
        );
    }

    #[test]
    fn splits_record_separated_values() {
        assert_eq!(
            decode(
                Separator::RecordSeparator,
                &[b"\x1e1\n\x1e{\"b\":", b"\n2}\n"]
            ),
            ["1", "{\"b\":\n2}"]
        );
    }
}
