//! Property tests: mutated specs and arbitrary bytes never make the pipeline panic. Panics
//! inside progenitor are caught and turned into errors by design; a panic anywhere else
//! fails the test.

use std::path::PathBuf;
use std::sync::OnceLock;

use nx1_codegen::{
    ClientConfig, ServerConfig, generate_client, generate_server, load_str, prepare,
};
use proptest::prelude::*;
use serde_json::Value;

/// The vendored spec plus, when the shared corpus is beside the project, its small specs.
fn seeds() -> &'static [(String, Value)] {
    static SEEDS: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut paths = vec![root.join("openapi.yaml")];
        let shared = root.join("../shared/specs");
        if shared.is_dir() {
            for name in [
                "fastapi-airflow-simple-auth-manager.yaml",
                "fastapi-flashnotes.json",
                "oai-tictactoe.yaml",
                "oai-non-oauth-scopes.yaml",
                "oai-webhook-example.yaml",
            ] {
                paths.push(shared.join(name));
            }
        } else {
            eprintln!(
                "note: {} is absent; fuzzing the vendored spec only",
                shared.display()
            );
        }
        paths
            .into_iter()
            .map(|path| {
                let doc = nx1_codegen::load_file(&path).expect("seed specs load");
                (path.display().to_string(), doc.value)
            })
            .collect()
    })
}

/// Every pointer into `value`, so that a mutation can pick one.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push(here.clone());
                pointers(item, here, out);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let here = format!("{at}/{index}");
                out.push(here.clone());
                pointers(item, here, out);
            }
        }
        _ => {}
    }
}

fn replacement(choice: u8) -> Value {
    match choice % 10 {
        0 => Value::Null,
        1 => Value::Bool(true),
        2 => serde_json::json!(-1),
        3 => serde_json::json!("null"),
        4 => serde_json::json!([]),
        5 => serde_json::json!({}),
        6 => serde_json::json!({"$ref": "#/components/schemas/Nope"}),
        7 => serde_json::json!({"type": ["null"]}),
        8 => serde_json::json!({"anyOf": [{"type": "null"}]}),
        _ => serde_json::json!(1e300),
    }
}

fn run_pipeline(origin: &str, text: &str, is_json: bool) {
    if let Ok(prepared) = load_str(origin, text, is_json).and_then(prepare) {
        let _ = generate_client(&prepared, &ClientConfig::default());
        let _ = generate_server(&prepared, &ServerConfig::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mutated_specs_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<bool>()), 1..6),
    ) {
        let (origin, original) = seed.get(seeds());
        let mut spec = original.clone();
        for (target, choice, remove) in edits {
            let mut all = Vec::new();
            pointers(&spec, String::new(), &mut all);
            if all.is_empty() {
                break;
            }
            let pointer = target.get(&all).clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", &pointer));
            let key = key.replace("~1", "/").replace("~0", "~");
            match spec.pointer_mut(parent) {
                Some(Value::Object(map)) if remove => { map.remove(&key); }
                Some(Value::Array(items)) if remove => {
                    if let Ok(index) = key.parse::<usize>() && index < items.len() {
                        items.remove(index);
                    }
                }
                _ => {
                    if let Some(slot) = spec.pointer_mut(&pointer) {
                        *slot = replacement(choice);
                    }
                }
            }
        }
        let text = serde_json::to_string(&spec).unwrap();
        run_pipeline(origin, &text, true);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), is_json in any::<bool>()) {
        run_pipeline("bytes", &String::from_utf8_lossy(&bytes), is_json);
    }

    #[test]
    fn truncated_specs_never_panic(seed in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let (origin, value) = seed.get(seeds());
        let text = serde_json::to_string(value).unwrap();
        let mut end = cut.index(text.len().max(1));
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        run_pipeline(origin, &text[..end], true);
    }
}
