//! DPoP (RFC 9449): sender-constrained tokens. Each session gets a key pair at login; every call
//! to the provider with its tokens carries a proof signed with it (`DPoP` header), so that a
//! stolen access or refresh token is useless without the key. The private key lives with the
//! tokens, in the session store's token record, never in the cookie.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey as _;
use rand::RngCore as _;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::Error;
use crate::http::{HttpClient, HttpError, Response};

/// The algorithm of the proofs: ES256, which every provider offering DPoP accepts.
pub(crate) const ALG: &str = "ES256";

/// A session's DPoP key pair.
#[derive(Clone)]
pub(crate) struct DpopKey {
    secret: p256::SecretKey,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DpopKey(..)")
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    jti: String,
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
}

impl DpopKey {
    /// A new key pair.
    pub(crate) fn generate() -> Self {
        let mut bytes = [0u8; 32];
        loop {
            rand::thread_rng().fill_bytes(&mut bytes);
            // A scalar out of range (probability ~2^-128) is drawn again.
            if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
                return Self { secret };
            }
        }
    }

    /// The key as stored with the tokens: a private JWK.
    pub(crate) fn to_stored(&self) -> String {
        self.secret.to_jwk_string().to_string()
    }

    /// The key's JWK thumbprint (RFC 7638, SHA-256): the `dpop_jkt` that binds an authorization
    /// code to this key (RFC 9449 §10).
    pub(crate) fn thumbprint(&self) -> Result<String, Error> {
        Ok(self
            .public_jwk()?
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256))
    }

    fn public_jwk(&self) -> Result<jsonwebtoken::jwk::Jwk, Error> {
        serde_json::from_str(&self.secret.public_key().to_jwk_string())
            .map_err(|_| Error::Config("the DPoP key cannot be encoded".into()))
    }

    /// The key stored with the tokens.
    pub(crate) fn from_stored(stored: &str) -> Result<Self, Error> {
        p256::SecretKey::from_jwk_str(stored)
            .map(|secret| Self { secret })
            .map_err(|_| Error::Config("the session's DPoP key is unreadable".into()))
    }

    /// A proof for a `method` request to `url` (its query and fragment left out), with the
    /// server's `nonce` when it gave one and, for a request carrying an access token, its hash.
    pub(crate) fn proof(
        &self,
        method: &str,
        url: &url::Url,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<String, Error> {
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let mut jti = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut jti);
        let claims = Claims {
            jti: URL_SAFE_NO_PAD.encode(jti),
            htm: method,
            htu: htu.as_str(),
            iat: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            nonce,
            ath: access_token.map(|token| URL_SAFE_NO_PAD.encode(Sha256::digest(token))),
        };
        let public = self.public_jwk()?;
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(public);
        let der = self
            .secret
            .to_pkcs8_der()
            .map_err(|_| Error::Config("the DPoP key cannot be encoded".into()))?;
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_der(der.as_bytes()))
            .map_err(|_| Error::Config("the DPoP proof could not be signed".into()))
    }
}

/// The nonces servers gave (`DPoP-Nonce`), by origin: the next proof for that server carries it.
#[derive(Debug, Default)]
pub(crate) struct Nonces(Mutex<HashMap<String, String>>);

impl Nonces {
    fn get(&self, url: &url::Url) -> Option<String> {
        let nonces = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        nonces.get(&url.origin().ascii_serialization()).cloned()
    }

    /// Keeps the nonce of a response, if it has one; whether it did.
    fn learn(&self, url: &url::Url, headers: &http::HeaderMap) -> bool {
        let Some(nonce) = headers
            .get("dpop-nonce")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 512)
        else {
            return false;
        };
        let mut nonces = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        nonces.insert(url.origin().ascii_serialization(), nonce.to_owned());
        true
    }
}

/// Whether a response asks for the proof again with the server's nonce: `400` with
/// `use_dpop_nonce` from an authorization server, `401` with it in `WWW-Authenticate` from a
/// resource server (RFC 9449 §8, §9).
fn wants_nonce(status: http::StatusCode, headers: &http::HeaderMap, body: &[u8]) -> bool {
    match status.as_u16() {
        400 => serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|json| json.get("error")?.as_str().map(|e| e == "use_dpop_nonce"))
            .unwrap_or(false),
        401 => headers
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.contains("use_dpop_nonce"))),
        _ => false,
    }
}

/// Sends a request with a proof, and once more with the server's nonce when it asks for one.
/// `build` makes the request (without the proof) each time (`None`: it cannot be repeated).
pub(crate) async fn send(
    http: &HttpClient,
    key: &DpopKey,
    nonces: &Nonces,
    method: &http::Method,
    url: &url::Url,
    access_token: Option<&str>,
    build: impl Fn() -> Option<reqwest::RequestBuilder>,
) -> Result<Response, Error> {
    let mut retried = false;
    loop {
        let proof = key.proof(
            method.as_str(),
            url,
            nonces.get(url).as_deref(),
            access_token,
        )?;
        let request =
            build().ok_or_else(|| Error::Network("the request cannot be sent again".into()))?;
        let response = http.send(request.header("DPoP", proof)).await?;
        let learned = nonces.learn(url, &response.headers);
        if learned && !retried && wants_nonce(response.status, &response.headers, &response.body) {
            retried = true;
            continue;
        }
        return Ok(response);
    }
}

/// oauth2's HTTP client for token requests: with a key, each request carries a DPoP proof (and
/// is sent again once with the server's nonce when it asks); without one, it is the plain
/// client. It owns what it uses (all cheap clones): a borrowing client trips the compiler's
/// `Send` inference for oauth2's higher-ranked futures.
pub(crate) struct TokenClient {
    pub(crate) http: HttpClient,
    pub(crate) key: Option<DpopKey>,
    pub(crate) nonces: std::sync::Arc<Nonces>,
}

impl<'c> oauth2::AsyncHttpClient<'c> for TokenClient {
    type Error = HttpError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let Some(key) = &self.key else {
                return oauth2::AsyncHttpClient::call(&self.http, request).await;
            };
            let (parts, body) = request.into_parts();
            let url = url::Url::parse(&parts.uri.to_string()).map_err(|_| HttpError::Build)?;
            let mut retried = false;
            loop {
                let proof = key
                    .proof(
                        parts.method.as_str(),
                        &url,
                        self.nonces.get(&url).as_deref(),
                        None,
                    )
                    .map_err(|_| HttpError::Build)?;
                let mut request = http::Request::new(body.clone());
                *request.method_mut() = parts.method.clone();
                *request.uri_mut() = parts.uri.clone();
                *request.headers_mut() = parts.headers.clone();
                request.headers_mut().insert(
                    "dpop",
                    http::HeaderValue::from_str(&proof).map_err(|_| HttpError::Build)?,
                );
                let response = oauth2::AsyncHttpClient::call(&self.http, request).await?;
                let learned = self.nonces.learn(&url, response.headers());
                let asks = wants_nonce(response.status(), response.headers(), response.body());
                if learned && asks && !retried {
                    retried = true;
                    continue;
                }
                return Ok(response);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_names_the_request_binds_the_token_and_carries_the_public_key_only() {
        let key = DpopKey::generate();
        let url: url::Url = "https://rs.example/api/me?x=1#f".parse().unwrap();
        let proof = key.proof("GET", &url, Some("n-1"), Some("at")).unwrap();
        let header = jsonwebtoken::decode_header(&proof).unwrap();
        assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
        assert_eq!(header.alg, Algorithm::ES256);
        let jwk = header.jwk.expect("the public key in the header");
        let jwk_json = serde_json::to_value(&jwk).unwrap();
        assert!(jwk_json.get("d").is_none(), "no private part: {jwk_json}");

        let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<serde_json::Value>(
            &proof,
            &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!(claims["htm"], "GET");
        assert_eq!(claims["htu"], "https://rs.example/api/me");
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(
            claims["ath"],
            URL_SAFE_NO_PAD.encode(Sha256::digest(b"at")).as_str()
        );

        let again = DpopKey::from_stored(&key.to_stored()).unwrap();
        let other = again.proof("GET", &url, None, None).unwrap();
        let other_jwk = jsonwebtoken::decode_header(&other).unwrap().jwk.unwrap();
        assert_eq!(
            serde_json::to_value(&other_jwk).unwrap(),
            jwk_json,
            "the same key"
        );
    }

    #[test]
    fn bound_tokens_give_the_app_the_dpop_scheme_and_proofs_for_its_own_calls() {
        let key = DpopKey::generate();
        let tokens = crate::Tokens::new("at").with_dpop_key(Some(key.to_stored()));
        assert!(tokens.is_dpop());
        assert_eq!(tokens.authorization(), "DPoP at");
        let url: url::Url = "https://api.example/v1/items".parse().unwrap();
        let proof = tokens
            .dpop_proof("POST", &url, Some("rs-nonce"))
            .unwrap()
            .unwrap();
        let payload = URL_SAFE_NO_PAD
            .decode(proof.split('.').nth(1).unwrap())
            .unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["nonce"], "rs-nonce");
        assert!(claims["ath"].is_string());
        assert!(
            !format!("{tokens:?}").contains(&key.to_stored()),
            "Debug hides the key"
        );
    }
}
