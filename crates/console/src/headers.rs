//! The headers of console answers, and the session cookie.

/// No inline script or style, nothing from elsewhere, never in a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// Sent on every console answer (name, value).
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
];

/// The session cookie's name.
pub const COOKIE_NAME: &str = "halyard_console";

/// The console's calls carry the session's CSRF token in this header.
pub const CSRF_HEADER: &str = "x-halyard-csrf";

/// `Set-Cookie` for a new session: only sent back to the console's paths,
/// never readable by scripts, never sent with a cross-site request, and
/// only over TLS when the console is served over TLS.
pub fn session_cookie(id: &str, max_age_seconds: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={id}; Path=/console; Max-Age={max_age_seconds}; HttpOnly; SameSite=Strict{secure}")
}

/// `Set-Cookie` that removes the session cookie.
pub fn cleared_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// The session id in a `Cookie` header, if any.
pub fn session_id_in(cookie_header: &str) -> Option<&str> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_id_is_found_among_other_cookies() {
        assert_eq!(session_id_in("a=1; halyard_console=abc; b=2"), Some("abc"));
        assert_eq!(session_id_in("halyard_console_x=abc"), None);
        assert_eq!(session_id_in("halyard_console="), None);
    }

    #[test]
    fn the_cookie_is_secure_only_under_tls() {
        assert!(session_cookie("x", 60, true).ends_with("; HttpOnly; SameSite=Strict; Secure"));
        assert!(session_cookie("x", 60, false).ends_with("; HttpOnly; SameSite=Strict"));
    }
}
