//! Answers: success and error statuses, media types, headers, and their schemas.

use nx1_codegen::pointer::escape;
use serde_json::{Map, Value};

use super::{Differ, Direction, Rule};

fn is_success(status: &str) -> bool {
    status.starts_with('2')
}

impl Differ<'_> {
    pub(super) fn responses(
        &mut self,
        old_op: &Value,
        new_op: &Value,
        (pointer, new_pointer): (&str, &str),
    ) {
        let empty = Map::new();
        let old = old_op
            .get("responses")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new = new_op
            .get("responses")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (status, old_response) in old {
            let at = format!("{pointer}/responses/{}", escape(status));
            let Some(new_response) = new.get(status) else {
                let (rule, kind) = if is_success(status) {
                    (Rule::ResponseSuccessStatusRemoved, "success")
                } else {
                    (Rule::ResponseErrorStatusRemoved, "error")
                };
                self.report(rule, &at, format!("{kind} status {status} is gone"));
                continue;
            };
            let old_response = self.old.resolve(old_response).clone();
            let new_response = self.new.resolve(new_response).clone();
            self.headers(&old_response, &new_response, &at, status);
            let new_at = format!("{new_pointer}/responses/{}", escape(status));
            self.contents(&old_response, &new_response, (&at, &new_at), status);
        }
        for status in new.keys() {
            if !old.contains_key(status) {
                let (rule, kind) = if is_success(status) {
                    (Rule::ResponseSuccessStatusAdded, "success")
                } else {
                    (Rule::ResponseErrorStatusAdded, "error")
                };
                self.report(
                    rule,
                    &format!("{pointer}/responses"),
                    format!("new {kind} status {status}"),
                );
            }
        }
    }

    fn headers(&mut self, old: &Value, new: &Value, at: &str, status: &str) {
        let empty = Map::new();
        let names = |response: &Value| -> Vec<String> {
            response
                .get("headers")
                .and_then(Value::as_object)
                .unwrap_or(&empty)
                .keys()
                .map(|name| name.to_ascii_lowercase())
                .collect()
        };
        let (old_names, new_names) = (names(old), names(new));
        for name in &old_names {
            if !new_names.contains(name) {
                self.report(
                    Rule::ResponseHeaderRemoved,
                    &format!("{at}/headers"),
                    format!("status {status} no longer sends the header `{name}`"),
                );
            }
        }
        for name in &new_names {
            if !old_names.contains(name) {
                self.report(
                    Rule::ResponseHeaderAdded,
                    &format!("{at}/headers"),
                    format!("status {status} now sends the header `{name}`"),
                );
            }
        }
    }

    fn contents(&mut self, old: &Value, new: &Value, (at, new_at): (&str, &str), status: &str) {
        let old_content = old
            .get("content")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let new_content = new
            .get("content")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (media, old_media) in &old_content {
            let media_at = format!("{at}/content/{}", escape(media));
            let Some(new_media) = new_content.get(media) else {
                self.report(
                    Rule::ResponseMediaTypeRemoved,
                    &media_at,
                    format!("status {status} no longer answers {media}"),
                );
                continue;
            };
            let new_media_at = format!("{new_at}/content/{}", escape(media));
            if self.events(old_media, new_media, (&media_at, &new_media_at), status) {
                continue;
            }
            let empty = Value::Null;
            let old_schema = old_media.get("schema").unwrap_or(&empty).clone();
            let new_schema = new_media.get("schema").unwrap_or(&empty).clone();
            self.schema(
                Direction::Response,
                &old_schema,
                &new_schema,
                format!("{media_at}/schema"),
                format!("{new_media_at}/schema"),
                "body",
                0,
            );
        }
        for media in new_content.keys() {
            if !old_content.contains_key(media) && nx1_codegen::StreamFraming::of(media).is_some() {
                self.report(
                    Rule::ResponseStreamAdded,
                    &format!("{at}/content"),
                    format!("status {status} can now answer a stream of {media}"),
                );
            }
        }
    }

    /// Streams of events named by a union on both sides: events added and removed by name,
    /// and each kept event's data diffed as an answer. `false` when either side is not
    /// such a union (its item schema is then diffed as any body).
    fn events(
        &mut self,
        old_media: &Value,
        new_media: &Value,
        (at, new_at): (&str, &str),
        status: &str,
    ) -> bool {
        let names = |media: &Value| -> Option<Vec<String>> {
            let marked = nx1_codegen::MarkedStream::of(media)?;
            let names: Vec<String> = marked.events.into_iter().map(|event| event.name).collect();
            (!names.is_empty()).then_some(names)
        };
        let (Some(old_names), Some(new_names)) = (names(old_media), names(new_media)) else {
            return false;
        };
        let branch = |media: &Value, index: usize| {
            media
                .pointer(&format!("/schema/oneOf/{index}"))
                .cloned()
                .unwrap_or(Value::Null)
        };
        for (old_index, name) in old_names.iter().enumerate() {
            let Some(new_index) = new_names.iter().position(|known| known == name) else {
                self.report(
                    Rule::StreamEventRemoved,
                    &format!("{at}/schema/oneOf/{old_index}"),
                    format!("the stream of status {status} no longer has `{name}` events"),
                );
                continue;
            };
            self.schema(
                Direction::Response,
                &branch(old_media, old_index),
                &branch(new_media, new_index),
                format!("{at}/schema/oneOf/{old_index}"),
                format!("{new_at}/schema/oneOf/{new_index}"),
                name,
                0,
            );
        }
        for name in new_names.iter().filter(|name| !old_names.contains(name)) {
            self.report(
                Rule::StreamEventAdded,
                &format!("{at}/schema"),
                format!("the stream of status {status} has a new event, `{name}`"),
            );
        }
        true
    }
}
