//! Properties of the framing: whatever the events and however the network cuts the bytes,
//! what is written is what is read.

use bytes::BytesMut;
use nx1_stream::{Frame, Separator, lines, sse};
use proptest::prelude::*;

fn frame() -> impl Strategy<Value = Frame> {
    let field = "[a-z0-9 :.\u{e9}\u{1F600}-]{0,12}";
    (
        proptest::option::of(field),
        "(.|\r|\n){0,40}",
        proptest::option::of(field),
        proptest::option::of(0u64..100_000),
    )
        .prop_map(|(event, data, id, retry)| Frame {
            event,
            data,
            id,
            retry,
        })
}

/// Every line break of the data as the reader gives it back: LF.
fn as_read(frame: &Frame) -> Frame {
    Frame {
        data: frame.data.replace("\r\n", "\n").replace('\r', "\n"),
        ..frame.clone()
    }
}

/// `bytes` cut at `cuts` (positions taken modulo the length, in order).
fn chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for point in points {
        out.push(bytes[start..point].to_vec());
        start = point;
    }
    out.push(bytes[start..].to_vec());
    out
}

proptest! {
    #[test]
    fn sse_reads_back_what_it_wrote_in_any_chunking(
        frames in proptest::collection::vec(frame(), 0..8),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        keep_alive in any::<bool>(),
    ) {
        let mut wire = BytesMut::new();
        for frame in &frames {
            if keep_alive {
                wire.extend_from_slice(&sse::keep_alive());
            }
            sse::encode(frame, &mut wire).unwrap();
        }
        let mut decoder = sse::Decoder::default();
        let mut read = Vec::new();
        for chunk in chunks(&wire, &cuts) {
            decoder.feed(&chunk, &mut read).unwrap();
        }
        let expected: Vec<Frame> = frames.iter().map(as_read).collect();
        prop_assert_eq!(read, expected);
        let last_id = frames.iter().rev().find_map(|frame| frame.id.clone());
        prop_assert_eq!(decoder.last_event_id(), last_id.as_deref());
    }

    /// A connection cut anywhere gives whole events only, and the id to resume from is
    /// that of the last whole event that had one: never one whose event was cut.
    #[test]
    fn a_cut_stream_resumes_from_its_last_whole_event(
        frames in proptest::collection::vec(frame(), 1..8),
        cut in any::<usize>(),
    ) {
        let mut wire = BytesMut::new();
        let mut ends = Vec::new();
        for frame in &frames {
            sse::encode(frame, &mut wire).unwrap();
            ends.push(wire.len());
        }
        let cut = cut % (wire.len() + 1);
        let mut decoder = sse::Decoder::default();
        let mut read = Vec::new();
        decoder.feed(&wire[..cut], &mut read).unwrap();
        let whole = ends.iter().filter(|end| **end <= cut).count();
        let expected: Vec<Frame> = frames[..whole].iter().map(as_read).collect();
        prop_assert_eq!(&read, &expected);
        let last_id = frames[..whole].iter().rev().find_map(|frame| frame.id.clone());
        prop_assert_eq!(decoder.last_event_id(), last_id.as_deref());
        decoder.reset();
        prop_assert_eq!(decoder.last_event_id(), last_id.as_deref());
    }

    #[test]
    fn json_lines_read_back_every_value_in_any_chunking(
        values in proptest::collection::vec(any::<(i64, String, Option<bool>)>(), 0..10),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        crlf in any::<bool>(),
        sequence in any::<bool>(),
    ) {
        let records: Vec<String> = values
            .iter()
            .map(|value| serde_json::to_string(value).unwrap())
            .collect();
        let mut wire = Vec::new();
        for record in &records {
            if sequence {
                wire.push(0x1E);
            }
            wire.extend_from_slice(record.as_bytes());
            wire.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
        let separator = if sequence { Separator::RecordSeparator } else { Separator::Line };
        let mut decoder = lines::Decoder::new(separator, 1 << 20);
        let mut read = Vec::new();
        for chunk in chunks(&wire, &cuts) {
            decoder.feed(&chunk, &mut read).unwrap();
        }
        decoder.finish(&mut read);
        prop_assert_eq!(read, records);
    }
}
