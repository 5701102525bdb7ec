//! The whole router under random hostile requests: methods, paths, headers, query
//! strings and bodies (filters, PATCH paths, attribute lists, Bulk bodies, invalid UTF-8,
//! NUL, deep nesting, huge numbers), sent as raw HTTP/1.1 over TCP, on both databases.
//!
//! Every request must get an answer (a status line: no dropped connection, no panic)
//! below 500. Tenant A is seeded and then only read, with A's token; tenant B's token,
//! a bogus one and none do everything else. Afterwards A's data is exactly as seeded,
//! and no answer to anyone but A ever contained A's ids or names.
//!
//! `IDSYNC_FUZZ_CASES` sets the number of cases per database (default 1,500, a short
//! pass for CI); `IDSYNC_FUZZ_SEED` the seed (default: from the clock, printed).
//! `scripts/fuzz-http.sh` runs 100,000 or more.

use std::time::Duration;

use idsync_core::CoreSettings;
use idsync_storage::records::Scope;
use idsync_tests::{Backend, ShieldSettings, TestApp, on_both_backends};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

on_both_backends!(random_hostile_requests_never_get_a_5xx_a_dropped_connection_or_another_tenants_data);

/// SplitMix64: a seeded generator, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// What the generator draws names and values from.
struct World {
    ids: Vec<String>,
    tokens: Vec<Option<String>>,
}

const ATTRIBUTES: &[&str] = &[
    "userName",
    "displayName",
    "emails",
    "emails.value",
    "emails[type eq \"work\"].value",
    "name.givenName",
    "phoneNumbers[type eq \"work\"].value",
    "active",
    "members",
    "members.value",
    "externalId",
    "groups",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "manager",
    "meta.version",
    "id",
    "abc\u{e9}",
    "a b",
    "",
    "..",
    "[",
    "emails[",
    "x\u{0}y",
    "\u{1F600}",
    "urn:",
    "$ref",
];
const OPERATORS: &[&str] = &[
    "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "and", "or", "not", "EQ", "xx",
];
const VALUES: &[&str] = &[
    "\"a\"",
    "\"\"",
    "true",
    "false",
    "null",
    "1",
    "-0",
    "1e999",
    "123456789012345678901234567890",
    "\"\\u0000\"",
    "\"\\uD800\"",
    "\"é😀\"",
    "\"unterminated",
    "(",
    ")",
    "[",
    "]",
    "\"ada@contoso.com\"",
];

impl World {
    fn value(&self, rng: &mut Rng) -> Value {
        match rng.below(12) {
            0 => json!(null),
            1 => json!(rng.chance(50)),
            2 => json!(rng.next()),
            3 => json!(-1.5e300),
            4 => json!("x".repeat(rng.below(3000))),
            5 => json!("nul\u{0}inside"),
            6 => json!("é😀\u{202e}"),
            7 => json!([{"value": self.id(rng), "type": "work", "primary": true}, {"value": 7}]),
            8 => json!({"value": self.id(rng), "$ref": "x", "display": ["nested"]}),
            9 => json!(self.id(rng)),
            10 => json!("False"),
            _ => json!({"givenName": "A", "familyName": {"deep": [[[1]]]}}),
        }
    }

    fn id(&self, rng: &mut Rng) -> String {
        match rng.below(6) {
            0 => "00000000-0000-0000-0000-000000000000".into(),
            1 => "bulkId:b1".into(),
            _ => self.ids[rng.below(self.ids.len())].clone(),
        }
    }

    fn filter(&self, rng: &mut Rng) -> String {
        let mut text = String::new();
        for _ in 0..=rng.below(6) {
            match rng.below(4) {
                0 => text.push_str(rng.pick(ATTRIBUTES)),
                1 => text.push_str(rng.pick(OPERATORS)),
                2 => text.push_str(rng.pick(VALUES)),
                _ => text.push_str(&format!("userName eq \"{}\"", self.id(rng))),
            }
            text.push(' ');
        }
        text
    }

    fn path(&self, rng: &mut Rng) -> String {
        let base = "/scim/v2";
        // Most requests go where the data is; the rest anywhere.
        let anywhere = [
            "/Users",
            "/Groups",
            "/Bulk",
            "/.search",
            "/Users/.search",
            "/Groups/.search",
            "/ServiceProviderConfig",
            "/Schemas",
            "/ResourceTypes",
            "/ResourceTypes/User",
            "/Me",
            "/Nope",
            "",
            "/healthz",
            "//Users//",
        ];
        let resource = match rng.chance(65) {
            true => rng.pick(&["/Users", "/Groups"]),
            false => rng.pick(&anywhere),
        };
        let mut path = format!("{base}{resource}");
        if rng.chance(50) {
            let id = match rng.below(8) {
                0 => "%00".to_string(),
                1 => "%FF%FE".to_string(),
                2 => "a".repeat(5000),
                3 => "..%2F..%2Fetc".to_string(),
                4 => "%C3%A9".to_string(),
                _ => self.id(rng),
            };
            path.push('/');
            path.push_str(&id);
        }
        if rng.chance(60) {
            let mut query = Vec::new();
            for _ in 0..=rng.below(3) {
                let pair = match rng.below(9) {
                    0 | 1 => format!("filter={}", encode(&self.filter(rng), rng)),
                    2 => format!("attributes={}", encode(rng.pick(ATTRIBUTES), rng)),
                    3 => format!("excludedAttributes={}", encode(rng.pick(ATTRIBUTES), rng)),
                    4 => format!(
                        "startIndex={}",
                        rng.pick(&["0", "-1", "1", "99999999999999999999", "x"])
                    ),
                    5 => format!("count={}", rng.pick(&["0", "-5", "1", "100000", "1e3"])),
                    6 => format!(
                        "sortBy={}&sortOrder={}",
                        encode(rng.pick(ATTRIBUTES), rng),
                        rng.pick(&["ascending", "descending", "sideways"])
                    ),
                    7 => format!("cursor={}", rng.pick(&["", "abc", "%00", "eyJ9"])),
                    _ => rng.pick(&["%", "%%", "&&", "=", "a=%FF", "filter"]).to_string(),
                };
                query.push(pair);
            }
            path.push('?');
            path.push_str(&query.join("&"));
        }
        path
    }

    fn body(&self, rng: &mut Rng) -> Vec<u8> {
        let body = match rng.below(10) {
            0 => return vec![0xff, 0xfe, b'{', 0x80],
            1 => return format!("{}1{}", "[".repeat(200), "]".repeat(200)).into_bytes(),
            2 => return b"{\"userName\": ".to_vec(),
            3 => {
                let operations: Vec<Value> = (0..=rng.below(4))
                    .map(|_| {
                        let mut op = json!({"op": rng.pick(&["add", "Replace", "remove", "copy", ""])});
                        if rng.chance(80) {
                            op["path"] = json!(rng.pick(ATTRIBUTES));
                        }
                        if rng.chance(80) {
                            op["value"] = self.value(rng);
                        }
                        op
                    })
                    .collect();
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
            }
            4 => {
                let operations: Vec<Value> = (0..=rng.below(5))
                    .map(|i| {
                        json!({"method": rng.pick(&["POST", "PATCH", "DELETE", "GET", "PUT"]),
                               "path": rng.pick(&["/Users", "/Groups", "/Users/bulkId:b1", "/Bulk", "nope"]),
                               "bulkId": format!("b{}", i % 2),
                               "data": {"userName": self.value(rng), "displayName": self.value(rng),
                                        "members": [{"value": self.id(rng)}]}})
                    })
                    .collect();
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations,
                       "failOnErrors": rng.below(3)})
            }
            5 => json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                        "filter": self.filter(rng), "attributes": [rng.pick(ATTRIBUTES)], "startIndex": self.value(rng),
                        "count": self.value(rng), "sortBy": rng.pick(ATTRIBUTES)}),
            _ => {
                let mut resource = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]});
                for _ in 0..=rng.below(5) {
                    resource[rng.pick(ATTRIBUTES)] = self.value(rng);
                }
                if rng.chance(70) {
                    resource["userName"] = json!(format!("fuzz{}@b.example", rng.below(50)));
                }
                if rng.chance(30) {
                    resource["displayName"] = json!(format!("fuzz group {}", rng.below(20)));
                }
                resource
            }
        };
        body.to_string().into_bytes()
    }

    /// One raw HTTP/1.1 request, and whether it uses tenant A's token.
    fn request(&self, rng: &mut Rng) -> (Vec<u8>, bool) {
        let token = &self.tokens[rng.below(self.tokens.len())];
        let is_a = token.as_deref() == self.tokens[0].as_deref() && token.is_some();
        // Tenant A's token only reads: what changes A can then only come from others.
        let method = if is_a {
            "GET"
        } else {
            match rng.chance(85) {
                true => rng.pick(&["GET", "POST", "PUT", "PATCH", "DELETE"]),
                false => rng.pick(&["HEAD", "OPTIONS", "TRACE", "BREW", "get"]),
            }
        };
        let mut head = format!(
            "{method} {} HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n",
            self.path(rng)
        );
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        if rng.chance(20) {
            head.push_str(&format!(
                "If-Match: {}\r\n",
                rng.pick(&["W/\"1\"", "*", "\"x\"", "W/\"99999999999999999999\""])
            ));
        }
        let body = if method == "GET" && rng.chance(90) {
            Vec::new()
        } else {
            self.body(rng)
        };
        head.push_str(&format!(
            "Content-Type: {}\r\n",
            match rng.chance(85) {
                true => rng.pick(&["application/scim+json", "application/json; charset=utf-8"]),
                false => rng.pick(&[
                    "text/plain",
                    "application/scim+json; charset=latin1",
                    "",
                    "multipart/form-data"
                ]),
            }
        ));
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut raw = head.into_bytes();
        raw.extend(body);
        (raw, is_a)
    }
}

/// Percent-encodes `text`, now and then leaving it raw (invalid in a URL on purpose).
fn encode(text: &str, rng: &mut Rng) -> String {
    if rng.chance(10) {
        return text.replace(' ', "+");
    }
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Sends one request on a fresh connection; the whole answer, or why there was none.
async fn send(addr: std::net::SocketAddr, raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    stream.write_all(raw).await.map_err(|e| format!("write: {e}"))?;
    let mut answer = Vec::new();
    match tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await {
        Ok(Ok(_)) => Ok(answer),
        // A reset after a complete answer (the server closing while our body was
        // still arriving) still counts as answered.
        Ok(Err(_)) if !answer.is_empty() => Ok(answer),
        Ok(Err(e)) => Err(format!("read: {e}")),
        Err(_) => Err("no answer within 20 s".into()),
    }
}

async fn random_hostile_requests_never_get_a_5xx_a_dropped_connection_or_another_tenants_data(backend: Backend) {
    let cases: usize = std::env::var("IDSYNC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let seed: u64 = std::env::var("IDSYNC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            u64::try_from(std::time::UNIX_EPOCH.elapsed().unwrap().as_nanos() % u128::from(u64::MAX)).unwrap()
        });
    eprintln!("fuzz-http {backend:?}: {cases} cases, IDSYNC_FUZZ_SEED={seed}");
    // Limits that would turn a flood of hostile requests into 429s are off: the fuzzer
    // is looking for 5xx, not for throttling.
    let core = CoreSettings {
        tenant_rate: None,
        ..CoreSettings::default()
    };
    let shield = ShieldSettings {
        auth_failures_per_minute: 0,
        ..ShieldSettings::default()
    };
    let app = TestApp::spawn_shielded(backend, core, shield).await;

    // Tenant A, seeded and then only read.
    let manager = app.created_user(&json!({"userName": "canary-manager@a.example"})).await;
    let user = app
        .created_user(&json!({"userName": "canary-user@a.example", "displayName": "Canary A",
                              "emails": [{"value": "canary@a.example", "type": "work"}],
                              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                                  {"manager": {"value": manager["id"]}}}))
        .await;
    let group_id = app.group_with("Canary group A", &[user["id"].as_str().unwrap()]).await;
    let seeded_users = app.get_json("/Users").await;
    let seeded_groups = app.get_json("/Groups").await;
    // A's ids are in the requests (others try them), so an answer quoting one back is
    // no leak; A's names and values are never sent, so an answer with one is.
    let ids = vec![
        user["id"].as_str().unwrap().to_owned(),
        manager["id"].as_str().unwrap().to_owned(),
        group_id.clone(),
    ];
    let canaries = [
        "canary-user@a.example",
        "canary-manager@a.example",
        "Canary group A",
        "Canary A",
        "canary@a.example",
    ];

    let (_, b_token) = app.new_tenant("tenant-b", Scope::Scim).await;
    let world = World {
        ids,
        tokens: vec![
            Some(app.token.clone()),
            Some(b_token),
            Some("idsync_bogus".into()),
            None,
        ],
    };
    let mut rng = Rng(seed);
    let addr = app.node.http_addr;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for case in 0..cases {
        let (raw, is_a) = world.request(&mut rng);
        let shown = || String::from_utf8_lossy(&raw[..raw.len().min(600)]).into_owned();
        let answer = send(addr, &raw)
            .await
            .unwrap_or_else(|why| panic!("case {case} (seed {seed}): no answer ({why}) to\n{}", shown()));
        let text = String::from_utf8_lossy(&answer);
        let status: u16 = text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("case {case} (seed {seed}): no status line in {text:?} to\n{}", shown()));
        // `/Me` is 501 on purpose (RFC 7644 §3.11: a token names a tenant, not a User).
        let me = raw
            .windows(12)
            .any(|w| [&b"/scim/v2/Me?"[..], b"/scim/v2/Me/", b"/scim/v2/Me "].contains(&w));
        assert!(
            status < 500 || (status == 501 && me),
            "case {case} (seed {seed}): {status} to\n{}\nanswer:\n{text}",
            shown()
        );
        if !is_a {
            for canary in canaries {
                assert!(
                    !text.contains(canary),
                    "case {case} (seed {seed}): tenant A's {canary:?} in an answer to another token:\n{}\nanswer:\n{text}",
                    shown()
                );
            }
        }
        *statuses.entry(status).or_default() += 1;
    }

    assert_eq!(
        app.get_json("/Users").await,
        seeded_users,
        "tenant A's users are unchanged"
    );
    assert_eq!(
        app.get_json("/Groups").await,
        seeded_groups,
        "tenant A's groups are unchanged"
    );
    eprintln!("fuzz-http {backend:?}: {cases} cases, none 5xx or unanswered; statuses {statuses:?}");
}
