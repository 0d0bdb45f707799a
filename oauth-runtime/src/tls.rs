//! TLS client settings: rustls with the aws-lc-rs provider, named explicitly.
//!
//! Every TLS connection the crate opens is configured here with
//! `rustls::crypto::aws_lc_rs::default_provider()` rather than rustls' process-level default:
//! the calls to providers (reqwest) and `rediss://` (fred). PostgreSQL's TLS is sqlx's own; its
//! `tls-rustls-aws-lc-rs` feature names the same provider the same way. So an app needs no
//! `CryptoProvider::install_default`, and one whose dependency tree also compiles ring (where
//! rustls cannot pick a default and panics) still starts.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};

/// A client configuration on aws-lc-rs that trusts `roots`.
fn config(roots: RootCertStore) -> ClientConfig {
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        // Fails only for a provider without cipher suites for TLS 1.2 and 1.3; aws-lc-rs has both.
        .expect("aws-lc-rs supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// For the calls to providers: the Mozilla roots of `webpki-roots` (what reqwest's `rustls-tls`
/// feature trusted before), HTTP/1.1 only (the client has no HTTP/2).
pub(crate) fn http_config() -> ClientConfig {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut config = config(roots);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// For `rediss://`: the system's roots, as fred's own default, including `SSL_CERT_FILE` and
/// `SSL_CERT_DIR` when they are set (rustls-native-certs reads them).
///
/// # Errors
/// [`Error::Config`](crate::Error::Config) when no trusted certificate could be loaded.
#[cfg(feature = "redis")]
pub(crate) fn redis_config() -> Result<fred::types::config::TlsConfig, crate::Error> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 {
        return Err(crate::Error::Config(
            "rediss:// needs trusted root certificates: none found in the system's store, \
             SSL_CERT_FILE or SSL_CERT_DIR"
                .into(),
        ));
    }
    if !loaded.errors.is_empty() {
        // A certificate directory with an unreadable file still leaves the others usable.
        tracing::warn!(
            errors = loaded.errors.len(),
            "some root certificates could not be read"
        );
    }
    Ok(fred::types::config::TlsConnector::from(config(roots)).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_http_configuration_names_its_provider_and_speaks_http_1_1() {
        // No process-level provider is installed here: building must not need one.
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
        let config = http_config();
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
        assert!(
            config
                .crypto_provider()
                .cipher_suites
                .iter()
                .any(|s| s.version() == &rustls::version::TLS13)
        );
    }
}
