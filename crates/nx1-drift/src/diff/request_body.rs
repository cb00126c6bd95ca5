//! The request body: there or not, required or not, in which media types, and its schema.

use nx1_codegen::pointer::escape;
use serde_json::Value;

use super::{Differ, Direction, Rule};

impl Differ<'_> {
    pub(super) fn request_body(
        &mut self,
        old_op: &Value,
        new_op: &Value,
        (pointer, new_pointer): (&str, &str),
    ) {
        let old_body = old_op.get("requestBody").map(|body| self.old.resolve(body));
        let new_body = new_op.get("requestBody").map(|body| self.new.resolve(body));
        let at = format!("{pointer}/requestBody");
        let new_at = format!("{new_pointer}/requestBody");
        let required = |body: &Value| body.get("required") == Some(&Value::Bool(true));
        let (old_body, new_body) = match (old_body, new_body) {
            (None, None) => return,
            (None, Some(_)) => {
                self.report(
                    Rule::RequestBodyAdded,
                    &at,
                    "the operation now takes a request body".into(),
                );
                return;
            }
            (Some(_), None) => {
                self.report(
                    Rule::RequestBodyRemoved,
                    &at,
                    "the operation no longer takes a request body".into(),
                );
                return;
            }
            (Some(old_body), Some(new_body)) => (old_body.clone(), new_body.clone()),
        };
        match (required(&old_body), required(&new_body)) {
            (false, true) => self.report(
                Rule::RequestBodyBecameRequired,
                &at,
                "the request body became required".into(),
            ),
            (true, false) => self.report(
                Rule::RequestBodyBecameOptional,
                &at,
                "the request body became optional".into(),
            ),
            _ => {}
        }
        let empty = serde_json::Map::new();
        let old_content = old_body
            .get("content")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new_content = new_body
            .get("content")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for media in new_content.keys() {
            if !old_content.contains_key(media) {
                self.report(
                    Rule::RequestMediaTypeAdded,
                    &format!("{at}/content"),
                    format!("the request body may now be {media}"),
                );
            }
        }
        for (media, old_media) in old_content {
            let media_at = format!("{at}/content/{}", escape(media));
            let Some(new_media) = new_content.get(media) else {
                self.report(
                    Rule::RequestMediaTypeRemoved,
                    &media_at,
                    format!("the request body can no longer be {media}"),
                );
                continue;
            };
            let empty = Value::Null;
            let old_schema = old_media.get("schema").unwrap_or(&empty).clone();
            let new_schema = new_media.get("schema").unwrap_or(&empty).clone();
            let new_media_at = format!("{new_at}/content/{}", escape(media));
            self.schema(
                Direction::Request,
                &old_schema,
                &new_schema,
                format!("{media_at}/schema"),
                format!("{new_media_at}/schema"),
                "body",
                0,
            );
        }
    }
}
