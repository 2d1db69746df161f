//! Sign-in sessions, CSRF tokens and cookies.
//!
//! A publisher signs in with the bearer token the operator gave them. The token stays on the
//! server, in a bounded in-memory table keyed by a random session id; the browser holds only
//! that id, in an `HttpOnly`, `SameSite=Strict` cookie (plus `Secure` when the request came over
//! https, directly or through a proxy that says so in `X-Forwarded-Proto`). The token is asked
//! of the backend again on every request, so revoking it ends every session made with it.
//!
//! Every form carries a CSRF token. Signed-in forms carry the session's own token; the sign-in
//! form, which has no session yet, carries a random value also set in a `SameSite=Strict` cookie
//! (double submit). A new session id is issued at sign-in, so a session cannot be fixed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use rand::RngCore as _;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "mosaico_session";
/// The pre-sign-in CSRF cookie's name.
pub const CSRF_COOKIE: &str = "mosaico_csrf";
/// The interface language cookie's name.
pub const LANG_COOKIE: &str = "mosaico_lang";
/// How long a session lasts without being used.
pub const SESSION_IDLE: Duration = Duration::from_secs(8 * 3600);
/// Sessions held at once; the least recently used goes first beyond this.
pub const MAX_SESSIONS: usize = 4096;

/// One signed-in browser: a staff member's session in the web UI (not a catch-up session, which is
/// `mosaico_protocol::replication::Session`).
#[derive(Debug, Clone)]
pub struct StaffSession {
    /// The bearer token the publisher signed in with.
    pub token: String,
    /// The CSRF token the session's forms carry.
    pub csrf: String,
    last_used: Instant,
}

/// The table of sessions, shared by every request of one router.
#[derive(Debug, Clone, Default)]
pub struct Sessions {
    table: Arc<Mutex<HashMap<String, StaffSession>>>,
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, StaffSession>> {
        // A panic elsewhere must not sign everyone out: the table stays usable.
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a session for `token`; returns its id.
    pub fn create(&self, token: &str) -> String {
        let id = random_token();
        let now = Instant::now();
        let mut table = self.lock();
        table.retain(|_, s| now.duration_since(s.last_used) < SESSION_IDLE);
        if table.len() >= MAX_SESSIONS
            && let Some(oldest) = table
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(id, _)| id.clone())
        {
            table.remove(&oldest);
        }
        table.insert(
            id.clone(),
            StaffSession {
                token: token.to_owned(),
                csrf: random_token(),
                last_used: now,
            },
        );
        id
    }

    /// The live session with this id, marked as used.
    pub fn get(&self, id: &str) -> Option<StaffSession> {
        let now = Instant::now();
        let mut table = self.lock();
        let session = table.get_mut(id)?;
        if now.duration_since(session.last_used) >= SESSION_IDLE {
            table.remove(id);
            return None;
        }
        session.last_used = now;
        Some(session.clone())
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }
}

/// 32 random bytes from the operating system, in hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Whether the browser reached us over https (directly or through a proxy that says so).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for a cookie only the server reads.
pub fn set_cookie(name: &str, value: &str, max_age: Option<Duration>, secure: bool) -> String {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={}", age.as_secs()));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            "a=1; mosaico_session=abc; b=2".parse().expect("header"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn sessions_are_random_and_removable() {
        let sessions = Sessions::default();
        let a = sessions.create("t");
        let b = sessions.create("t");
        assert_ne!(a, b);
        assert_eq!(sessions.get(&a).map(|s| s.token), Some("t".to_owned()));
        sessions.remove(&a);
        assert!(sessions.get(&a).is_none());
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }

    #[test]
    fn cookie_flags() {
        let c = set_cookie(SESSION_COOKIE, "x", None, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("Secure"));
    }
}
