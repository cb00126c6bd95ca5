//! Server-Sent Events framing, as the WHATWG HTML standard's "event stream interpretation"
//! reads it and writes it. The decoder is sans-IO: bytes in, whole events out, in any
//! chunking, so that a body cut anywhere by the network gives the same events.

use bytes::{BufMut, Bytes, BytesMut};

/// One event as the wire carried it: its data not yet decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    /// The `event:` field; `None` is the standard's default type, `message`.
    pub event: Option<String>,
    /// The `data:` lines joined by `\n`.
    pub data: String,
    /// The `id:` field of this event, if it had one.
    pub id: Option<String>,
    /// The `retry:` field of this event, in milliseconds.
    pub retry: Option<u64>,
}

/// Reads an event stream incrementally. Lines end in CRLF, LF or CR; a blank line ends an
/// event; an event with no `data:` line is not dispatched; a trailing event with no blank
/// line after it is discarded at the end of the stream, as the standard says.
#[derive(Debug)]
pub struct Decoder {
    buffer: BytesMut,
    /// The last byte seen was a CR: a LF at the start of the next chunk belongs to it.
    after_cr: bool,
    /// Still at the start of the stream, where one UTF-8 BOM is skipped.
    at_start: bool,
    current: Frame,
    has_data: bool,
    /// Bytes of the event being read: bounded, so that a stream without blank lines
    /// cannot grow without limit.
    pending: usize,
    limit: usize,
    /// The `id:` read since the last blank line: it counts only once its event is whole.
    id_buffer: Option<String>,
    /// The id of the last whole event that set one (it persists across events, as in a
    /// browser): what a reconnection sends as `Last-Event-ID`.
    last_event_id: Option<String>,
}

/// An event larger than the decoder's limit.
#[derive(Debug, Clone, thiserror::Error)]
#[error("an event is larger than {limit} bytes; raise the limit or fix the server")]
pub struct TooLarge {
    pub limit: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::with_limit(crate::DEFAULT_EVENT_LIMIT)
    }
}

impl Decoder {
    /// A decoder that refuses events of more than `limit` bytes.
    pub fn with_limit(limit: usize) -> Decoder {
        Decoder {
            buffer: BytesMut::new(),
            after_cr: false,
            at_start: true,
            current: Frame::default(),
            has_data: false,
            pending: 0,
            limit,
            id_buffer: None,
            last_event_id: None,
        }
    }

    /// The last event id the stream set (it persists across events, as in a browser).
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// Forgets any partial event: the connection it came on is gone. The last event id is
    /// kept, since the next connection resumes from it.
    pub fn reset(&mut self) {
        self.buffer.clear();
        self.after_cr = false;
        self.at_start = true;
        self.current = Frame::default();
        self.has_data = false;
        self.pending = 0;
        self.id_buffer = self.last_event_id.clone();
    }

    /// Feeds `chunk`, appending every event it completes to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<Frame>) -> Result<(), TooLarge> {
        if self.after_cr && chunk.first() == Some(&b'\n') {
            chunk = &chunk[1..];
        }
        self.after_cr = false;
        if chunk.is_empty() {
            return Ok(());
        }
        self.buffer.extend_from_slice(chunk);
        if self.at_start {
            if self.buffer.len() < 3 && b"\xEF\xBB\xBF".starts_with(&self.buffer) {
                return Ok(());
            }
            if self.buffer.starts_with(b"\xEF\xBB\xBF") {
                let _ = self.buffer.split_to(3);
            }
            self.at_start = false;
        }
        while let Some(end) = memchr::memchr2(b'\r', b'\n', &self.buffer) {
            let line = self.buffer.split_to(end);
            let terminator = self.buffer.split_to(1);
            if terminator[0] == b'\r' {
                match self.buffer.first() {
                    Some(b'\n') => {
                        let _ = self.buffer.split_to(1);
                    }
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            self.line(&line, out)?;
        }
        if self.pending + self.buffer.len() > self.limit {
            return Err(TooLarge { limit: self.limit });
        }
        Ok(())
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<Frame>) -> Result<(), TooLarge> {
        if line.is_empty() {
            // The standard's dispatch: the id counts from here, with or without data.
            self.last_event_id = self.id_buffer.clone();
            self.pending = 0;
            let frame = std::mem::take(&mut self.current);
            if std::mem::take(&mut self.has_data) {
                let mut frame = frame;
                frame.data.pop();
                out.push(frame);
            }
            return Ok(());
        }
        self.pending += line.len() + 1;
        if self.pending > self.limit {
            return Err(TooLarge { limit: self.limit });
        }
        if line[0] == b':' {
            return Ok(());
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => {
                self.current.data.push_str(value);
                self.current.data.push('\n');
                self.has_data = true;
            }
            "event" => self.current.event = Some(value.to_owned()),
            "id" if !value.contains('\0') => {
                self.current.id = Some(value.to_owned());
                self.id_buffer = Some(value.to_owned());
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.current.retry = value.parse().ok();
            }
            _ => {}
        }
        Ok(())
    }
}

/// A field value that would end its line early, or an id with a NUL the reader drops.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the `{field}` field of an event cannot hold a line break{}", if *.field == "id" { " or a NUL" } else { "" })]
pub struct InvalidField {
    pub field: &'static str,
}

/// Writes `frame` as an event: `event:`, `id:` and `retry:` first, then one `data:` line
/// per line of the data, then the blank line. Data of several lines (any of CRLF, LF, CR)
/// reads back as the same lines joined by LF.
pub fn encode(frame: &Frame, out: &mut BytesMut) -> Result<(), InvalidField> {
    let breaks = |text: &str| text.contains(['\r', '\n']);
    if frame.event.as_deref().is_some_and(breaks) {
        return Err(InvalidField { field: "event" });
    }
    if frame
        .id
        .as_deref()
        .is_some_and(|id| breaks(id) || id.contains('\0'))
    {
        return Err(InvalidField { field: "id" });
    }
    out.reserve(frame.data.len() + 16);
    if let Some(event) = &frame.event {
        line(out, b"event", event);
    }
    if let Some(id) = &frame.id {
        line(out, b"id", id);
    }
    if let Some(retry) = frame.retry {
        line(out, b"retry", &retry.to_string());
    }
    let mut rest = frame.data.as_str();
    loop {
        match rest.find(['\r', '\n']) {
            Some(at) => {
                line(out, b"data", &rest[..at]);
                let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[at + skip..];
            }
            None => {
                line(out, b"data", rest);
                break;
            }
        }
    }
    out.put_u8(b'\n');
    Ok(())
}

fn line(out: &mut BytesMut, field: &[u8], value: &str) {
    out.put_slice(field);
    out.put_slice(b": ");
    out.put_slice(value.as_bytes());
    out.put_u8(b'\n');
}

/// A comment line, which readers ignore: what a server sends to keep an idle connection
/// open through proxies.
pub fn keep_alive() -> Bytes {
    Bytes::from_static(b":\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]]) -> Vec<Frame> {
        let mut decoder = Decoder::default();
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut out).unwrap();
        }
        out
    }

    fn frame(event: Option<&str>, data: &str, id: Option<&str>) -> Frame {
        Frame {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            id: id.map(str::to_owned),
            retry: None,
        }
    }

    #[test]
    fn reads_the_standards_examples() {
        // The HTML standard's examples (§9.2.6).
        assert_eq!(
            decode(&[b"data: YHOO\ndata: +2\ndata: 10\n\n"]),
            [frame(None, "YHOO\n+2\n10", None)]
        );
        let out = decode(&[b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"]);
        assert_eq!(
            out,
            [
                frame(None, "first event", Some("1")),
                frame(None, "second event", Some("")),
                frame(None, " third event", None),
            ]
        );
        assert_eq!(
            decode(&[b"data\n\ndata\ndata\n\ndata:"]),
            [frame(None, "", None), frame(None, "\n", None)]
        );
        assert_eq!(
            decode(&[b"data:test\n\ndata: test\n\n"]),
            [frame(None, "test", None), frame(None, "test", None)]
        );
    }

    #[test]
    fn reads_every_line_ending_and_a_bom() {
        assert_eq!(
            decode(&[
                b"\xEF\xBB",
                b"\xBFevent: a\r",
                b"\ndata: 1\rdata: 2\r\n\r",
                b"\n"
            ]),
            [frame(Some("a"), "1\n2", None)]
        );
    }

    #[test]
    fn keeps_the_last_event_id_and_reads_retry() {
        let mut decoder = Decoder::default();
        let mut out = Vec::new();
        decoder
            .feed(
                b"id: 7\nretry: 1500\ndata: x\n\nretry: soon\ndata: y\n\n",
                &mut out,
            )
            .unwrap();
        assert_eq!(out[0].retry, Some(1500));
        assert_eq!(out[1].retry, None);
        assert_eq!(out[1].id, None);
        assert_eq!(decoder.last_event_id(), Some("7"));
        decoder.reset();
        assert_eq!(decoder.last_event_id(), Some("7"));
    }

    #[test]
    fn refuses_an_event_over_the_limit() {
        let mut decoder = Decoder::with_limit(16);
        let mut out = Vec::new();
        assert!(decoder.feed(b"data: 0123456789abcdef", &mut out).is_err());
        let mut decoder = Decoder::with_limit(16);
        assert!(
            decoder
                .feed(b"data: 01\ndata: 23\ndata: 45\n", &mut out)
                .is_err()
        );
    }

    #[test]
    fn refuses_fields_that_would_break_the_framing() {
        let mut out = BytesMut::new();
        let bad = frame(Some("a\nb"), "", None);
        assert_eq!(encode(&bad, &mut out), Err(InvalidField { field: "event" }));
        let bad = frame(None, "", Some("1\0"));
        assert_eq!(encode(&bad, &mut out), Err(InvalidField { field: "id" }));
    }
}
