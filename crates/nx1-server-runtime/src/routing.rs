//! Starlette's routing: routes are tried in declaration order and the first whose path
//! matches wins; a path that matches only under other methods answers 405.

use percent_encoding::percent_decode_str;

/// One path segment of a route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    /// `{name:path}`: the rest of the path, slashes included.
    Rest(String),
}

#[derive(Debug, Clone)]
struct Route {
    method: &'static str,
    segments: Vec<Segment>,
    operation: usize,
    /// Whether a segment takes the rest of the path; if not, a path matches only with as
    /// many segments as the template, which rules most routes out without a comparison.
    has_rest: bool,
}

/// The outcome of matching a request line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Found {
        operation: usize,
        params: Vec<(String, String)>,
    },
    MethodNotAllowed(Vec<&'static str>),
    /// Starlette's `redirect_slashes`: the path matches with its trailing slash toggled;
    /// answer 307 to this path.
    Redirect(String),
    NotFound,
}

/// All routes of an API, in the spec's order.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

/// The methods an OpenAPI path item can hold, as a request line spells them.
pub const METHODS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE",
];

impl RouteTable {
    /// The routes of `operations`, in their order (the spec's).
    pub fn of(operations: &[crate::OperationSpec]) -> Self {
        let paths: Vec<String> = operations
            .iter()
            .map(|operation| operation.path())
            .collect();
        let routes: Vec<(&'static str, &str, usize, &[&str])> = operations
            .iter()
            .zip(&paths)
            .enumerate()
            .map(|(index, (operation, path))| {
                (operation.method(), path.as_str(), index, operation.rest)
            })
            .collect();
        RouteTable::new(&routes)
    }

    /// `routes`: (HTTP method, path template, operation index, names of parameters that
    /// take the rest of the path).
    pub fn new(routes: &[(&'static str, &str, usize, &[&str])]) -> Self {
        let routes = routes
            .iter()
            .map(|(method, template, operation, rest)| {
                let segments = parse(template, rest);
                Route {
                    method,
                    has_rest: segments
                        .iter()
                        .any(|segment| matches!(segment, Segment::Rest(_))),
                    segments,
                    operation: *operation,
                }
            })
            .collect();
        RouteTable { routes }
    }

    pub fn find(&self, method: &str, path: &str) -> Match {
        match self.find_exact(method, path) {
            Match::NotFound if path != "/" => {
                let toggled = match path.strip_suffix('/') {
                    Some(trimmed) => trimmed.to_owned(),
                    None => format!("{path}/"),
                };
                match self.find_exact(method, &toggled) {
                    Match::NotFound => Match::NotFound,
                    _ => Match::Redirect(toggled),
                }
            }
            other => other,
        }
    }

    fn find_exact(&self, method: &str, path: &str) -> Match {
        let decoded = if path.contains('%') {
            percent_decode_str(path).decode_utf8_lossy()
        } else {
            std::borrow::Cow::Borrowed(path)
        };
        let parts = segments(&decoded);
        let mut allowed: Vec<&'static str> = Vec::new();
        for route in &self.routes {
            if !route.has_rest && route.segments.len() != parts.len() {
                continue;
            }
            let Some(params) = matches(&route.segments, &parts) else {
                continue;
            };
            if route.method.eq_ignore_ascii_case(method)
                || (method.eq_ignore_ascii_case("HEAD") && route.method == "GET")
            {
                return Match::Found {
                    operation: route.operation,
                    params,
                };
            }
            if !allowed.contains(&route.method) {
                allowed.push(route.method);
            }
        }
        if allowed.is_empty() {
            Match::NotFound
        } else {
            Match::MethodNotAllowed(allowed)
        }
    }
}

/// The segments of a path after its leading `/` (`"/a/b/"` → `["a", "b", ""]`), split on
/// bytes: this runs on every request.
fn segments(path: &str) -> Vec<&str> {
    let mut parts = Vec::with_capacity(12);
    let mut start = None;
    for (index, byte) in path.bytes().enumerate() {
        if byte == b'/' {
            if let Some(from) = start {
                parts.push(&path[from..index]);
            }
            start = Some(index + 1);
        }
    }
    if let Some(from) = start {
        parts.push(&path[from..]);
    }
    parts
}

fn parse(template: &str, rest: &[&str]) -> Vec<Segment> {
    template
        .split('/')
        .skip(1)
        .map(|segment| {
            match segment
                .strip_prefix('{')
                .and_then(|inner| inner.strip_suffix('}'))
            {
                Some(name) if rest.contains(&name) => Segment::Rest(name.to_owned()),
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(segment.to_owned()),
            }
        })
        .collect()
}

fn matches(segments: &[Segment], parts: &[&str]) -> Option<Vec<(String, String)>> {
    // Most routes that get here fail on a literal; check those before allocating.
    let literals_match = segments
        .iter()
        .take_while(|segment| !matches!(segment, Segment::Rest(_)))
        .zip(parts)
        .all(|(segment, part)| match segment {
            Segment::Literal(literal) => literal == part,
            _ => true,
        });
    if !literals_match {
        return None;
    }
    let mut params = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Rest(name) => {
                let rest = parts.get(index..)?.join("/");
                params.push((name.clone(), rest));
                return Some(params);
            }
            Segment::Literal(literal) => {
                if parts.get(index) != Some(&literal.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                let part = parts.get(index)?;
                if part.is_empty() {
                    return None;
                }
                params.push((name.clone(), (*part).to_owned()));
            }
        }
    }
    (parts.len() == segments.len()).then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_as_str_split_does() {
        for path in ["/", "/a", "/a/b", "/a/b/", "//a//b", "", "a/b", "/ü/ß"] {
            let expected: Vec<&str> = path.split('/').skip(1).collect();
            assert_eq!(segments(path), expected, "{path:?}");
        }
    }

    fn table() -> RouteTable {
        RouteTable::new(&[
            ("GET", "/api/automl/train/jobs/status", 0, &[]),
            ("PUT", "/api/automl/train/jobs/{job_id}/status", 1, &[]),
            (
                "GET",
                "/api/models/{model}/deployments/{name}/run/{path}",
                2,
                &["path"],
            ),
            (
                "PATCH",
                "/api/models/{model}/deployments/{name}/run/{path}",
                3,
                &["path"],
            ),
            ("GET", "/api/app/{app_id}", 4, &[]),
        ])
    }

    #[test]
    fn static_routes_declared_first_win() {
        assert_eq!(
            table().find("GET", "/api/automl/train/jobs/status"),
            Match::Found {
                operation: 0,
                params: vec![]
            }
        );
        assert_eq!(
            table().find("POST", "/api/automl/train/jobs/status"),
            Match::MethodNotAllowed(vec!["GET"])
        );
    }

    #[test]
    fn rest_parameters_take_slashes() {
        assert_eq!(
            table().find("PATCH", "/api/models/m/deployments/d/run/v1/predict/x"),
            Match::Found {
                operation: 3,
                params: vec![
                    ("model".into(), "m".into()),
                    ("name".into(), "d".into()),
                    ("path".into(), "v1/predict/x".into())
                ]
            }
        );
    }

    #[test]
    fn unknown_paths_and_percent_decoding() {
        assert_eq!(table().find("GET", "/nope"), Match::NotFound);
        assert_eq!(table().find("GET", "/api/app/x/y"), Match::NotFound);
        assert_eq!(
            table().find("GET", "/api/automl/train/jobs/status/"),
            Match::Redirect("/api/automl/train/jobs/status".into())
        );
        assert_eq!(
            table().find("GET", "/api/app/a%20b"),
            Match::Found {
                operation: 4,
                params: vec![("app_id".into(), "a b".into())]
            }
        );
    }

    #[test]
    fn routes_from_operation_pointers() {
        const OPERATIONS: [crate::OperationSpec; 3] = [
            crate::OperationSpec::new("a", "/paths/~1files~1{path}/get").rest(&["path"]),
            crate::OperationSpec::new("b", "/paths/~1odd~0name/delete"),
            crate::OperationSpec::new("c", "/paths/~1files~1{path}/patch"),
        ];
        assert_eq!(OPERATIONS[0].method(), "GET");
        assert_eq!(OPERATIONS[0].path(), "/files/{path}");
        assert_eq!(OPERATIONS[1].path(), "/odd~name");
        let table = RouteTable::of(&OPERATIONS);
        assert_eq!(
            table.find("GET", "/files/a/b.txt"),
            Match::Found {
                operation: 0,
                params: vec![("path".into(), "a/b.txt".into())]
            }
        );
        assert_eq!(
            table.find("DELETE", "/odd~name"),
            Match::Found {
                operation: 1,
                params: vec![]
            }
        );
        assert_eq!(
            table.find("PUT", "/files/x"),
            Match::MethodNotAllowed(vec!["GET", "PATCH"])
        );
    }
}
