//! Starlette's routing: routes are tried in declaration order and the first whose path
//! matches wins; a path that matches only under other methods answers 405.

use percent_encoding::percent_decode_str;

/// One path segment of a route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// The text and its [`fingerprint`].
    Literal(String, u64),
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
    /// For a path of `n` segments, the routes that can match it, in the spec's order:
    /// those with `n` segments and those whose rest parameter starts at or before `n`.
    /// Starlette tries every route in turn; skipping the ones that cannot match keeps its
    /// order and answers without comparing the others.
    by_count: Vec<Vec<usize>>,
    /// The candidates for paths longer than any template: the routes with a rest
    /// parameter.
    longer: Vec<usize>,
    /// For each path that is a template without parameters, every route that matches
    /// it, in order: most requests go to such paths, and one lookup replaces the scan.
    exact: std::collections::HashMap<String, Vec<usize>, BuildFnv>,
}

/// FNV-1a over 8-byte words as a [`std::hash::Hasher`], for the exact-path table: the keys
/// are the spec's own paths, so SipHash's defence against chosen keys buys nothing on every
/// request, and a word at a time is a fifth of the work of a byte at a time. `finish` mixes
/// the high bits down, which the word steps alone leave weak.
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

const FNV_PRIME: u64 = 0x0100_0000_01b3;

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        let mut hash = self.0;
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
        hash ^ (hash >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut buffer = [0u8; 8];
            buffer.copy_from_slice(word);
            self.0 = (self.0 ^ u64::from_le_bytes(buffer)).wrapping_mul(FNV_PRIME);
        }
        for byte in words.remainder() {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(FNV_PRIME);
        }
    }
}

type BuildFnv = std::hash::BuildHasherDefault<Fnv>;

/// The methods an OpenAPI path item can hold, as a request line spells them.
pub const METHODS: [&str; 9] = [
    "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "QUERY",
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
            .collect::<Vec<Route>>();
        let most = routes
            .iter()
            .map(|route| route.segments.len())
            .max()
            .unwrap_or(0);
        let mut by_count = vec![Vec::new(); most + 1];
        let mut longer = Vec::new();
        for (index, route) in routes.iter().enumerate() {
            match route
                .segments
                .iter()
                .position(|segment| matches!(segment, Segment::Rest(_)))
            {
                Some(rest) => {
                    for candidates in by_count.iter_mut().skip(rest) {
                        candidates.push(index);
                    }
                    longer.push(index);
                }
                None => by_count[route.segments.len()].push(index),
            }
        }
        let mut table = RouteTable {
            routes,
            by_count,
            longer,
            exact: Default::default(),
        };
        let statics: Vec<String> = table
            .routes
            .iter()
            .filter(|route| route.is_static())
            .map(|route| {
                route
                    .segments
                    .iter()
                    .map(|segment| match segment {
                        Segment::Literal(literal, _) => format!("/{literal}"),
                        _ => String::new(),
                    })
                    .collect()
            })
            .collect();
        for path in statics {
            let matching: Vec<usize> = {
                let parts = path_parts(&path);
                table.candidates(&parts).map(|(index, ..)| index).collect()
            };
            // Kept only when no route that matches takes a parameter from it, so that a
            // hit answers with no parameters.
            if matching
                .iter()
                .all(|index| table.routes[*index].is_static())
            {
                table.exact.insert(path, matching);
            }
        }
        table
    }

    /// The routes that match a path split by [`path_parts`], in order, with the
    /// parameters each takes from it.
    fn candidates<'t>(
        &'t self,
        parts: &'t [(&'t str, u64)],
    ) -> impl Iterator<Item = (usize, &'t Route, Vec<(String, String)>)> + 't {
        self.by_count
            .get(parts.len())
            .unwrap_or(&self.longer)
            .iter()
            .filter_map(|index| Some((*index, self.routes.get(*index)?)))
            .filter(|(_, route)| route.has_rest || route.segments.len() == parts.len())
            .filter_map(|(index, route)| {
                matches(&route.segments, parts).map(|params| (index, route, params))
            })
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
        match self.exact.get(decoded.as_ref()) {
            // Every route here matches the path and takes no parameter from it.
            Some(routes) => choose(
                method,
                routes
                    .iter()
                    .filter_map(|index| self.routes.get(*index))
                    .map(|route| (route, Vec::new())),
            ),
            None => {
                let parts = path_parts(&decoded);
                choose(
                    method,
                    self.candidates(&parts)
                        .map(|(_, route, params)| (route, params)),
                )
            }
        }
    }
}

/// Starlette's choice among the routes that match a path, in order: the first with the
/// request's method (`GET` answering `HEAD`), else 405 with the methods they accept,
/// else 404.
fn choose<'t>(
    method: &str,
    matching: impl Iterator<Item = (&'t Route, Vec<(String, String)>)>,
) -> Match {
    let mut allowed: Vec<&'static str> = Vec::new();
    for (route, params) in matching {
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

impl Route {
    /// No parameters: the template matches one path only.
    fn is_static(&self) -> bool {
        self.segments
            .iter()
            .all(|segment| matches!(segment, Segment::Literal(..)))
    }
}

/// FNV-1a of a path segment: literals are compared by it first.
fn fingerprint(segment: &str) -> u64 {
    let mut hasher = Fnv::default();
    std::hash::Hasher::write(&mut hasher, segment.as_bytes());
    std::hash::Hasher::finish(&hasher)
}

/// A path's segments after its leading `/` (`"/a/b/"` → `["a", "b", ""]`), each with its
/// [`fingerprint`]; on the stack for up to 16 segments, since this runs on every request.
fn path_parts(path: &str) -> smallvec::SmallVec<[(&str, u64); 16]> {
    path.split('/')
        .skip(1)
        .map(|segment| (segment, fingerprint(segment)))
        .collect()
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
                None => Segment::Literal(segment.to_owned(), fingerprint(segment)),
            }
        })
        .collect()
}

fn matches(segments: &[Segment], parts: &[(&str, u64)]) -> Option<Vec<(String, String)>> {
    // Most routes that get here fail on a literal; check those before allocating, by
    // fingerprint first (a comparison of two integers instead of a `memcmp` call).
    let literals_match = segments
        .iter()
        .take_while(|segment| !matches!(segment, Segment::Rest(_)))
        .enumerate()
        .all(|(index, segment)| match segment {
            Segment::Literal(literal, expected) => parts
                .get(index)
                .is_some_and(|(part, print)| print == expected && literal == part),
            _ => true,
        });
    if !literals_match {
        return None;
    }
    let mut params = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Rest(name) => {
                let rest: Vec<&str> = parts.get(index..)?.iter().map(|(part, _)| *part).collect();
                params.push((name.clone(), rest.join("/")));
                return Some(params);
            }
            // Checked above.
            Segment::Literal(..) => {}
            Segment::Param(name) => {
                let (part, _) = parts.get(index)?;
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
            let found: Vec<&str> = path_parts(path).iter().map(|(part, _)| *part).collect();
            assert_eq!(found, expected, "{path:?}");
        }
        let long = "/a".repeat(40);
        let expected: Vec<&str> = long.split('/').skip(1).collect();
        let found: Vec<&str> = path_parts(&long).iter().map(|(part, _)| *part).collect();
        assert_eq!(found, expected);
    }

    /// The candidates by segment count find what a scan of every route in order finds.
    #[test]
    fn candidates_by_count_match_a_full_scan() {
        let table = table();
        // Both the exact-path table and the scan are exercised below.
        assert!(table.exact.contains_key("/api/automl/train/jobs/status"));
        assert!(!table.exact.contains_key("/api/app/static"));
        let scan = |method: &str, path: &str| {
            let full = RouteTable {
                routes: table.routes.clone(),
                by_count: Vec::new(),
                longer: (0..table.routes.len()).collect(),
                exact: Default::default(),
            };
            full.find(method, path)
        };
        for path in [
            "/",
            "/api",
            "/api/app/1",
            "/api/app/1/",
            "/api/automl/train/jobs/status",
            "/api/automl/train/jobs/x/status",
            "/api/models/m/deployments/d/run",
            "/api/models/m/deployments/d/run/",
            "/api/models/m/deployments/d/run/a",
            "/api/models/m/deployments/d/run/a/b/c/d/e/f/g/h/i/j",
            "/api/models/m/deployments/d",
            "/api/app/static",
            "/api/app/static/",
            "/api/static/x",
            "/api/stat%69c/x",
        ] {
            for method in ["GET", "PUT", "PATCH", "HEAD", "POST"] {
                assert_eq!(
                    table.find(method, path),
                    scan(method, path),
                    "{method} {path}"
                );
            }
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
            ("POST", "/api/app/static", 5, &[]),
            ("POST", "/api/static/x", 6, &[]),
            ("GET", "/api/{kind}/x", 7, &[]),
            ("DELETE", "/api/static/x", 8, &[]),
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
