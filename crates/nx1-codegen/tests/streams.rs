//! The stream marking, checked on every spec of the shared corpus rather than on the
//! fixtures alone: every streamed success response is marked, and every schema pointer a
//! mark records (what the server checks items against) resolves in the document as given.

use std::path::PathBuf;

use nx1_codegen::{MarkedStream, StreamFraming, mark_streams, pointer};
use serde_json::Value;

fn corpus() -> Vec<PathBuf> {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs");
    assert!(
        shared.is_dir(),
        "{} is absent: this test runs over the shared corpus beside the project",
        shared.display()
    );
    let mut specs = Vec::new();
    for dir in [
        shared.clone(),
        shared.join("more"),
        shared.join("drift-pairs"),
    ] {
        specs.extend(nx1_codegen::spec_files(&dir).unwrap());
    }
    specs
}

/// (pointer of the media type object, its media type) of every success response's stream.
fn streams(root: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in root["paths"].as_object().into_iter().flatten() {
        for method in nx1_codegen::spec::HTTP_METHODS {
            let Some(responses) = item.get(method).and_then(|op| op.get("responses")) else {
                continue;
            };
            for (status, response) in responses.as_object().into_iter().flatten() {
                if !status.starts_with('2') {
                    continue;
                }
                let response = pointer::resolve(root, response);
                for media_type in response
                    .get("content")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k)
                {
                    if StreamFraming::of(media_type).is_some() {
                        let at = pointer::child(
                            &pointer::child(
                                &pointer::child(
                                    &pointer::child(&pointer::operation(path, method), "responses"),
                                    status,
                                ),
                                "content",
                            ),
                            media_type,
                        );
                        out.push((at, media_type.clone()));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_stream_of_the_corpus_is_marked_with_pointers_that_resolve() {
    let mut marked_total = 0;
    for path in corpus() {
        let doc = nx1_codegen::load_file(&path).unwrap();
        let original = doc.value.clone();
        let expected = streams(&original);
        let mut value = doc.value;
        mark_streams(&mut value);
        for (at, media_type) in &expected {
            let media = value
                .pointer(at)
                .unwrap_or_else(|| panic!("{}: {at} is gone after marking", path.display()));
            let marked = MarkedStream::of(media)
                .unwrap_or_else(|| panic!("{}: {at} ({media_type}) is not marked", path.display()));
            let pointers = marked.item.iter().chain(
                marked
                    .events
                    .iter()
                    .filter_map(|event| event.schema.as_ref()),
            );
            for schema in pointers {
                assert!(
                    original.pointer(schema).is_some(),
                    "{}: the item schema {schema} of {at} resolves to nothing",
                    path.display()
                );
            }
            marked_total += 1;
        }
    }
    // The corpus has streams (openai, mistral, llama-stack, …): a marking that found none
    // would pass the loop above without checking anything.
    assert!(
        marked_total >= 20,
        "only {marked_total} streams marked in the corpus"
    );
}
