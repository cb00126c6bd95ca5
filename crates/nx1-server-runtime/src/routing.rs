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

/// FNV-1a as a [`std::hash::Hasher`], for the exact-path table: the keys are the spec's
/// own paths, so SipHash's defence against chosen keys buys nothing on every request.
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type BuildFnv = std::hash::BuildHasherDefault<Fnv>;

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
            .filter(|route| {
                route
                    .segments
                    .iter()
                    .all(|segment| matches!(segment, Segment::Literal(..)))
            })
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
            let matching = table.matching(&path);
            // Kept only when no route that matches takes a parameter from it, so that a
            // hit answers with no parameters.
            let parameterless = matching.iter().all(|index| {
                table.routes[*index]
                    .segments
                    .iter()
                    .all(|segment| matches!(segment, Segment::Literal(..)))
            });
            if parameterless {
                table.exact.insert(path, matching);
            }
        }
        table
    }

    /// The routes that match `path` (decoded) whatever the method, in order.
    fn matching(&self, path: &str) -> Vec<usize> {
        let parts = Segments::of(path);
        let parts = parts.as_slice();
        let mut inline = [0; Segments::INLINE];
        let heap = fingerprints(parts, &mut inline);
        let prints = if heap.is_empty() {
            &inline[..parts.len()]
        } else {
            &heap[..]
        };
        let candidates = self.by_count.get(parts.len()).unwrap_or(&self.longer);
        candidates
            .iter()
            .copied()
            .filter(|index| {
                self.routes.get(*index).is_some_and(|route| {
                    (route.has_rest || route.segments.len() == parts.len())
                        && matches(&route.segments, parts, prints).is_some()
                })
            })
            .collect()
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
        if let Some(routes) = self.exact.get(decoded.as_ref()) {
            // Every route here matches the path and takes no parameter from it.
            let mut allowed: Vec<&'static str> = Vec::new();
            for route in routes.iter().filter_map(|index| self.routes.get(*index)) {
                if route.method.eq_ignore_ascii_case(method)
                    || (method.eq_ignore_ascii_case("HEAD") && route.method == "GET")
                {
                    return Match::Found {
                        operation: route.operation,
                        params: Vec::new(),
                    };
                }
                if !allowed.contains(&route.method) {
                    allowed.push(route.method);
                }
            }
            return Match::MethodNotAllowed(allowed);
        }
        let parts = Segments::of(&decoded);
        let parts = parts.as_slice();
        let mut inline = [0; Segments::INLINE];
        let heap = fingerprints(parts, &mut inline);
        let prints = if heap.is_empty() {
            &inline[..parts.len()]
        } else {
            &heap[..]
        };
        let candidates = self.by_count.get(parts.len()).unwrap_or(&self.longer);
        let mut allowed: Vec<&'static str> = Vec::new();
        for route in candidates
            .iter()
            .filter_map(|index| self.routes.get(*index))
        {
            if !route.has_rest && route.segments.len() != parts.len() {
                continue;
            }
            let Some(params) = matches(&route.segments, parts, prints) else {
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

/// FNV-1a of a path segment: literals are compared by it first.
fn fingerprint(segment: &str) -> u64 {
    segment.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A path's segments, on the stack unless the path has more than [`Segments::INLINE`]
/// (then in `heap`, and `inline` is unused).
struct Segments<'p> {
    inline: [&'p str; Segments::INLINE],
    count: usize,
    heap: Vec<&'p str>,
}

/// The [`fingerprint`]s of a path's segments.
fn fingerprints(parts: &[&str], inline: &mut [u64; Segments::INLINE]) -> Vec<u64> {
    if parts.len() <= Segments::INLINE {
        for (print, part) in inline.iter_mut().zip(parts) {
            *print = fingerprint(part);
        }
        Vec::new()
    } else {
        parts.iter().map(|part| fingerprint(part)).collect()
    }
}

impl<'p> Segments<'p> {
    const INLINE: usize = 16;

    /// [`segments`] without allocating for the common path.
    fn of(path: &'p str) -> Self {
        let mut found = Segments {
            inline: [""; Segments::INLINE],
            count: 0,
            heap: Vec::new(),
        };
        let mut start = None;
        for (index, byte) in path.bytes().enumerate() {
            if byte == b'/' {
                if let Some(from) = start
                    && !found.push(&path[from..index])
                {
                    return found.spilled(path);
                }
                start = Some(index + 1);
            }
        }
        if let Some(from) = start
            && !found.push(&path[from..])
        {
            return found.spilled(path);
        }
        found
    }

    /// Adds a segment inline; `false` when there is no room.
    fn push(&mut self, segment: &'p str) -> bool {
        let Some(slot) = self.inline.get_mut(self.count) else {
            return false;
        };
        *slot = segment;
        self.count += 1;
        true
    }

    fn spilled(mut self, path: &'p str) -> Self {
        self.heap = segments(path);
        self
    }

    fn as_slice(&self) -> &[&'p str] {
        if self.heap.is_empty() {
            &self.inline[..self.count]
        } else {
            &self.heap
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
                None => Segment::Literal(segment.to_owned(), fingerprint(segment)),
            }
        })
        .collect()
}

fn matches(segments: &[Segment], parts: &[&str], prints: &[u64]) -> Option<Vec<(String, String)>> {
    // Most routes that get here fail on a literal; check those before allocating, by
    // fingerprint first (a comparison of two integers instead of a `memcmp` call).
    let literals_match = segments
        .iter()
        .take_while(|segment| !matches!(segment, Segment::Rest(_)))
        .zip(parts.iter().zip(prints))
        .all(|(segment, (part, print))| match segment {
            Segment::Literal(literal, expected) => expected == print && literal == part,
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
            Segment::Literal(literal, _) => {
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
            assert_eq!(Segments::of(path).as_slice(), expected, "{path:?}");
        }
        let long = "/a".repeat(40);
        let expected: Vec<&str> = long.split('/').skip(1).collect();
        assert_eq!(Segments::of(&long).as_slice(), expected);
        let exactly = "/a".repeat(Segments::INLINE);
        let expected: Vec<&str> = exactly.split('/').skip(1).collect();
        assert_eq!(Segments::of(&exactly).as_slice(), expected);
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
