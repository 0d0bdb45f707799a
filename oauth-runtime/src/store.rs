//! Session stores chosen at run time (`SESSION_STORE`) and the cookie key (`SESSION_KEY`).

use tower_sessions::cookie::Key;

use crate::Error;

/// Reads a cookie key from 128 hex characters (64 bytes), as in `SESSION_KEY`.
///
/// # Errors
/// [`Error::Config`] when the text is not 128 hex characters.
///
/// ```
/// let key = oauth_runtime::store::key_from_hex(&"ab".repeat(64)).unwrap();
/// # let _ = key;
/// assert!(oauth_runtime::store::key_from_hex("short").is_err());
/// ```
pub fn key_from_hex(hex_key: &str) -> Result<Key, Error> {
    let bytes = hex::decode(hex_key.trim())
        .map_err(|_| Error::Config("SESSION_KEY must be 128 hex characters".into()))?;
    if bytes.len() != 64 {
        return Err(Error::Config("SESSION_KEY must be 128 hex characters".into()));
    }
    Ok(Key::from(&bytes))
}
