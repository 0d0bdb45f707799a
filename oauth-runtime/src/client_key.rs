//! Client authentication with a private key (`private_key_jwt`, RFC 7523 and OpenID Connect Core
//! §9): instead of a shared secret, each request to the provider carries a short-lived JWT
//! signed with the client's key, whose public half the provider knows.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rand::RngCore as _;
use serde::Serialize;

use crate::Error;

/// How long a client assertion is valid: long enough for one request, short enough that a
/// captured one is useless soon after.
const ASSERTION_LIFETIME: u64 = 60;

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client's private key, for `private_key_jwt` client authentication: a P-256 key (ES256) or
/// an RSA key of 2048 bits or more (RS256, or PS256 with [`with_algorithm`](Self::with_algorithm),
/// which FAPI 2.0 asks for), from PEM or a private JWK. Give it to
/// [`Client::with_private_key`](crate::Client::with_private_key) and register its public half
/// with the provider (as a JWK, in the client's `jwks` or at its `jwks_uri`).
///
/// ```
/// use axum_oauth_login::ClientKey;
/// // The key's text, as `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` writes
/// // it, or a private JWK (`{"kty":"EC","crv":"P-256","d":...}`).
/// # use p256::pkcs8::EncodePrivateKey as _;
/// # let pem = p256::SecretKey::from_slice(&[7; 32]).unwrap().to_pkcs8_pem(Default::default()).unwrap();
/// let key = ClientKey::from_pem(&pem)?.with_kid("key-2026");
/// assert_eq!(key.kid(), Some("key-2026"));
/// assert!(ClientKey::from_pem("not a key").is_err());
/// # Ok::<(), axum_oauth_login::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientKey {
    key: Arc<EncodingKey>,
    kid: Option<String>,
    alg: Algorithm,
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The smallest RSA key accepted, in bits (NIST SP 800-131A, and every provider's minimum).
const MIN_RSA_BITS: usize = 2048;

#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: u64,
    exp: u64,
}

impl ClientKey {
    /// A private key in PEM form: P-256 (PKCS#8 `BEGIN PRIVATE KEY` or SEC1 `BEGIN EC PRIVATE
    /// KEY`; ES256) or RSA of at least 2048 bits (PKCS#8 or PKCS#1 `BEGIN RSA PRIVATE KEY`;
    /// RS256 unless [`with_algorithm`](Self::with_algorithm) says PS256).
    ///
    /// # Errors
    /// [`Error::Config`] when the text is not such a key.
    ///
    /// ```
    /// assert_eq!(axum_oauth_login::ClientKey::from_pem("").unwrap_err().code(), "config");
    /// ```
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let pem = pem.trim();
        if let Ok(key) =
            p256::SecretKey::from_pkcs8_pem(pem).or_else(|_| p256::SecretKey::from_sec1_pem(pem))
        {
            return Self::from_secret(&key, None);
        }
        let invalid = || {
            Error::Config(
                "the client key is not a P-256 or RSA (2048 bits or more) private key in PEM form"
                    .into(),
            )
        };
        let (label, der) =
            p256::pkcs8::der::pem::decode_vec(pem.as_bytes()).map_err(|_| invalid())?;
        let pkcs1 = match label {
            "RSA PRIVATE KEY" => der,
            "PRIVATE KEY" => {
                let info =
                    p256::pkcs8::PrivateKeyInfo::try_from(der.as_slice()).map_err(|_| invalid())?;
                // rsaEncryption (RFC 8017 A.1): its private key is the PKCS #1 structure.
                if info.algorithm.oid.to_string() != "1.2.840.113549.1.1.1" {
                    return Err(invalid());
                }
                info.private_key.to_vec()
            }
            _ => return Err(invalid()),
        };
        Self::from_pkcs1(&pkcs1, None).ok_or_else(invalid)?
    }

    /// An RSA key from its PKCS #1 `RSAPrivateKey` DER: `None` when it is no such key (checked
    /// by aws-lc, which verifies the key's consistency), an error when it is too short. RS256.
    fn from_pkcs1(pkcs1: &[u8], kid: Option<String>) -> Option<Result<Self, Error>> {
        let pair = aws_lc_rs::rsa::KeyPair::from_der(pkcs1).ok()?;
        if pair.public_modulus_len() * 8 < MIN_RSA_BITS {
            return Some(Err(Error::Config(
                "the client's RSA key is shorter than 2048 bits".into(),
            )));
        }
        Some(Ok(Self {
            key: Arc::new(EncodingKey::from_rsa_der(pkcs1)),
            kid,
            alg: Algorithm::RS256,
        }))
    }

    /// An RSA private JWK (RFC 7518 §6.3: `n`, `e`, `d` and the CRT members `p`, `q`, `dp`,
    /// `dq`, `qi`) as PKCS #1 DER (RFC 8017 A.1.2: version 0, then those nine integers in that
    /// order); `None` when a member is missing or not base64url.
    fn rsa_jwk_to_pkcs1(jwk: &serde_json::Map<String, serde_json::Value>) -> Option<Vec<u8>> {
        use p256::pkcs8::der::Encode as _;
        use p256::pkcs8::der::asn1::{SequenceOf, UintRef};
        let members: Vec<Vec<u8>> = ["n", "e", "d", "p", "q", "dp", "dq", "qi"]
            .iter()
            .map(|name| URL_SAFE_NO_PAD.decode(jwk.get(*name)?.as_str()?).ok())
            .collect::<Option<_>>()?;
        let mut sequence = SequenceOf::<UintRef<'_>, 9>::new();
        sequence.add(UintRef::new(&[0]).ok()?).ok()?;
        for member in &members {
            sequence.add(UintRef::new(member).ok()?).ok()?;
        }
        sequence.to_der().ok()
    }

    /// Signs with `alg`: `"RS256"` or `"PS256"` for an RSA key, `"ES256"` for a P-256 one.
    ///
    /// # Errors
    /// [`Error::Config`] for another algorithm, or one that does not fit the key.
    ///
    /// ```
    /// # use p256::pkcs8::EncodePrivateKey as _;
    /// # let pem = p256::SecretKey::from_slice(&[7; 32]).unwrap().to_pkcs8_pem(Default::default()).unwrap();
    /// let key = axum_oauth_login::ClientKey::from_pem(&pem)?;
    /// assert_eq!(key.algorithm(), "ES256");
    /// assert!(key.clone().with_algorithm("PS256").is_err());
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    pub fn with_algorithm(mut self, alg: &str) -> Result<Self, Error> {
        let rsa = matches!(self.alg, Algorithm::RS256 | Algorithm::PS256);
        self.alg = match (alg, rsa) {
            ("RS256", true) => Algorithm::RS256,
            ("PS256", true) => Algorithm::PS256,
            ("ES256", false) => Algorithm::ES256,
            _ => {
                return Err(Error::Config(format!(
                    "the client key cannot sign {alg}: RS256 or PS256 for an RSA key, ES256 for P-256"
                )));
            }
        };
        Ok(self)
    }

    /// For an RSA key whose algorithm the provider does not list (`algs`, discovery's
    /// `token_endpoint_auth_signing_alg_values_supported`), the other RSA one when it is listed.
    pub(crate) fn fit(self, algs: &[String]) -> Self {
        let listed = |alg: &str| algs.iter().any(|a| a == alg);
        match self.alg {
            Algorithm::RS256 if !listed("RS256") && listed("PS256") => Self {
                alg: Algorithm::PS256,
                ..self
            },
            Algorithm::PS256 if !listed("PS256") && listed("RS256") => Self {
                alg: Algorithm::RS256,
                ..self
            },
            _ => self,
        }
    }

    /// The algorithm of the assertions (`"ES256"`, `"RS256"`, `"PS256"`).
    ///
    /// ```
    /// assert!(axum_oauth_login::ClientKey::from_pem("x").is_err());
    /// ```
    #[must_use]
    pub fn algorithm(&self) -> &'static str {
        match self.alg {
            Algorithm::RS256 => "RS256",
            Algorithm::PS256 => "PS256",
            _ => "ES256",
        }
    }

    /// A private JWK: P-256 (`{"kty":"EC","crv":"P-256","x":...,"y":...,"d":...}`; ES256) or RSA
    /// of 2048 bits or more (`{"kty":"RSA","n":...,"e":...,"d":...,"p":...,"q":...,"dp":...,
    /// "dq":...,"qi":...}`, as Okta's and Keycloak's consoles hand them out; RS256, or PS256 when
    /// its `alg` says so). Its `kid`, when it has one, names the key in the assertions' header.
    ///
    /// # Errors
    /// [`Error::Config`] when the text is not such a JWK.
    ///
    /// ```
    /// assert!(axum_oauth_login::ClientKey::from_jwk(r#"{"kty":"oct","k":"AA"}"#).is_err());
    /// ```
    pub fn from_jwk(jwk: &str) -> Result<Self, Error> {
        let invalid = || {
            Error::Config(
                "the client key is not a P-256 or RSA (2048 bits or more) private JWK".into(),
            )
        };
        let jwk: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(jwk).map_err(|_| invalid())?;
        let kid = jwk
            .get("kid")
            .and_then(|kid| kid.as_str().map(str::to_owned));
        if jwk.get("kty").and_then(serde_json::Value::as_str) == Some("RSA") {
            let pkcs1 = Self::rsa_jwk_to_pkcs1(&jwk).ok_or_else(invalid)?;
            let key = Self::from_pkcs1(&pkcs1, kid).ok_or_else(invalid)??;
            return match jwk.get("alg").and_then(serde_json::Value::as_str) {
                Some(alg @ ("RS256" | "PS256")) => key.with_algorithm(alg),
                _ => Ok(key),
            };
        }
        // p256 reads the key's own members only (not `kid`, `use`, `alg`...).
        let members: serde_json::Map<String, serde_json::Value> = jwk
            .into_iter()
            .filter(|(name, _)| ["kty", "crv", "x", "y", "d"].contains(&name.as_str()))
            .collect();
        let key = p256::SecretKey::from_jwk_str(&serde_json::Value::Object(members).to_string())
            .map_err(|_| invalid())?;
        Self::from_secret(&key, kid)
    }

    /// A key from PEM or JWK text, whichever `text` is (as in an environment variable).
    ///
    /// # Errors
    /// The errors of [`from_pem`](Self::from_pem) and [`from_jwk`](Self::from_jwk).
    ///
    /// ```
    /// assert!(axum_oauth_login::ClientKey::from_text("{}").is_err());
    /// ```
    pub fn from_text(text: &str) -> Result<Self, Error> {
        if text.trim_start().starts_with('{') {
            Self::from_jwk(text)
        } else {
            Self::from_pem(text)
        }
    }

    /// Names the key (`kid` in the assertions' header), as registered with the provider.
    ///
    /// ```
    /// # use p256::pkcs8::EncodePrivateKey as _;
    /// # let pem = p256::SecretKey::from_slice(&[7; 32]).unwrap().to_pkcs8_pem(Default::default()).unwrap();
    /// let key = axum_oauth_login::ClientKey::from_pem(&pem)?.with_kid("k1");
    /// assert_eq!(key.kid(), Some("k1"));
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key's name, when it has one.
    ///
    /// ```
    /// # use p256::pkcs8::EncodePrivateKey as _;
    /// # let pem = p256::SecretKey::from_slice(&[7; 32]).unwrap().to_pkcs8_pem(Default::default()).unwrap();
    /// assert_eq!(axum_oauth_login::ClientKey::from_pem(&pem)?.kid(), None);
    /// # Ok::<(), axum_oauth_login::Error>(())
    /// ```
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    fn from_secret(key: &p256::SecretKey, kid: Option<String>) -> Result<Self, Error> {
        let der = key
            .to_pkcs8_der()
            .map_err(|_| Error::Config("the client key cannot be encoded".into()))?;
        Ok(Self {
            key: Arc::new(EncodingKey::from_ec_der(der.as_bytes())),
            kid,
            alg: Algorithm::ES256,
        })
    }

    /// A fresh client assertion of `client_id` for the provider `audience` (its issuer, or its
    /// token endpoint for a provider without one): signed, unique (`jti`), valid for a minute.
    pub(crate) fn assertion(&self, client_id: &str, audience: &str) -> Result<String, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut jti = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut jti);
        let claims = Assertion {
            iss: client_id,
            sub: client_id,
            aud: audience,
            jti: URL_SAFE_NO_PAD.encode(jti),
            iat: now,
            exp: now + ASSERTION_LIFETIME,
        };
        let mut header = Header::new(self.alg);
        header.kid.clone_from(&self.kid);
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|_| Error::Config("the client assertion could not be signed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::JwkEcKey;

    fn secret() -> p256::SecretKey {
        p256::SecretKey::from_slice(&[9; 32]).unwrap()
    }

    #[test]
    fn an_assertion_names_the_client_and_the_provider_and_verifies_with_the_public_key() {
        let mut jwk: serde_json::Value = serde_json::from_str(&secret().to_jwk_string()).unwrap();
        jwk["kid"] = "k1".into();
        jwk["use"] = "sig".into();
        let key = ClientKey::from_jwk(&jwk.to_string()).unwrap();
        assert_eq!(key.kid(), Some("k1"), "the JWK's kid");
        let token = key.assertion("app", "https://issuer.example").unwrap();

        let public: JwkEcKey = secret().public_key().to_jwk();
        let public: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(serde_json::to_value(&public).unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
        validation.set_audience(&["https://issuer.example"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &jsonwebtoken::DecodingKey::from_jwk(&public).unwrap(),
            &validation,
        )
        .unwrap();
        assert_eq!(data.header.kid.as_deref(), Some("k1"));
        assert_eq!(data.claims["iss"], "app");
        assert_eq!(data.claims["sub"], "app");
        let (iat, exp) = (data.claims["iat"].as_u64(), data.claims["exp"].as_u64());
        assert_eq!(exp.unwrap() - iat.unwrap(), ASSERTION_LIFETIME);
        let other = key.assertion("app", "https://issuer.example").unwrap();
        let jti = |t: &str| {
            let payload = URL_SAFE_NO_PAD
                .decode(t.split('.').nth(1).unwrap())
                .unwrap();
            serde_json::from_slice::<serde_json::Value>(&payload).unwrap()["jti"].clone()
        };
        assert_ne!(jti(&token), jti(&other), "each assertion is unique");
    }

    /// An RSA private JWK (its members read from a generated key's PKCS #1 form): RS256
    /// assertions, or PS256 when its `alg` says so, verifying with the public key; its `kid`
    /// names it; a JWK without its CRT members, or with a member changed, is refused.
    #[test]
    fn rsa_private_jwks_sign() {
        use aws_lc_rs::encoding::AsDer as _;
        use p256::pkcs8::der::Decode as _;
        use p256::pkcs8::der::asn1::{SequenceOf, UintRef};
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let pkcs8 = pair.as_der().unwrap();
        let info = p256::pkcs8::PrivateKeyInfo::try_from(pkcs8.as_ref()).unwrap();
        let integers = SequenceOf::<UintRef<'_>, 9>::from_der(info.private_key).unwrap();
        let mut jwk = serde_json::json!({"kty": "RSA", "kid": "rsa-1"});
        let names = ["version", "n", "e", "d", "p", "q", "dp", "dq", "qi"];
        for (name, value) in names.iter().zip(integers.iter()).skip(1) {
            jwk[*name] = URL_SAFE_NO_PAD.encode(value.as_bytes()).into();
        }
        let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
            jwk["n"].as_str().unwrap(),
            jwk["e"].as_str().unwrap(),
        )
        .unwrap();
        for (alg, algorithm) in [(None, Algorithm::RS256), (Some("PS256"), Algorithm::PS256)] {
            let mut jwk = jwk.clone();
            if let Some(alg) = alg {
                jwk["alg"] = alg.into();
            }
            let key = ClientKey::from_jwk(&jwk.to_string()).unwrap();
            assert_eq!(key.kid(), Some("rsa-1"));
            let token = key.assertion("app", "https://issuer.example").unwrap();
            let mut validation = jsonwebtoken::Validation::new(algorithm);
            validation.set_audience(&["https://issuer.example"]);
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(
                (header.alg, header.kid.as_deref()),
                (algorithm, Some("rsa-1"))
            );
            jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation)
                .unwrap_or_else(|e| panic!("{algorithm:?}: {e}"));
        }
        let mut without_crt = jwk.clone();
        without_crt.as_object_mut().unwrap().remove("qi");
        assert!(ClientKey::from_jwk(&without_crt.to_string()).is_err());
        let mut tampered = jwk.clone();
        tampered["d"] = jwk["p"].clone();
        assert!(ClientKey::from_jwk(&tampered.to_string()).is_err());
    }

    /// An RSA key in PKCS#8 and PKCS#1 PEM: RS256 assertions by default, PS256 on request, both
    /// verifying with the public key; a PEM block that is no key is refused.
    #[test]
    fn rsa_keys_sign_rs256_or_ps256() {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let pkcs8 = pair.as_der().unwrap();
        let pem = |label: &str, der: &[u8]| {
            p256::pkcs8::der::pem::encode_string(label, p256::pkcs8::LineEnding::LF, der).unwrap()
        };
        let pkcs8_pem = pem("PRIVATE KEY", pkcs8.as_ref());
        let info = p256::pkcs8::PrivateKeyInfo::try_from(pkcs8.as_ref()).unwrap();
        let pkcs1_pem = pem("RSA PRIVATE KEY", info.private_key);
        let public = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
            &URL_SAFE_NO_PAD.encode(&public.n),
            &URL_SAFE_NO_PAD.encode(&public.e),
        )
        .unwrap();
        for (text, alg) in [
            (&pkcs8_pem, "RS256"),
            (&pkcs1_pem, "RS256"),
            (&pkcs8_pem, "PS256"),
        ] {
            let key = ClientKey::from_pem(text)
                .unwrap()
                .with_algorithm(alg)
                .unwrap();
            assert_eq!(key.algorithm(), alg);
            let token = key.assertion("app", "https://issuer.example").unwrap();
            let algorithm = if alg == "PS256" {
                Algorithm::PS256
            } else {
                Algorithm::RS256
            };
            let mut validation = jsonwebtoken::Validation::new(algorithm);
            validation.set_audience(&["https://issuer.example"]);
            let claims = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation)
                .unwrap_or_else(|e| panic!("{alg}: {e}"))
                .claims;
            assert_eq!(claims["iss"], "app");
        }
        assert!(
            ClientKey::from_pem(&pkcs8_pem)
                .unwrap()
                .with_algorithm("ES256")
                .is_err()
        );
        // The algorithm the provider lists, when it lists only the other one.
        let rs = ClientKey::from_pem(&pkcs8_pem).unwrap();
        assert_eq!(rs.clone().fit(&["PS256".into()]).algorithm(), "PS256");
        assert_eq!(
            rs.clone()
                .fit(&["RS256".into(), "PS256".into()])
                .algorithm(),
            "RS256"
        );
        assert_eq!(rs.fit(&["ES256".into()]).algorithm(), "RS256");

        let error = ClientKey::from_pem(&pem("RSA PRIVATE KEY", b"not a key")).unwrap_err();
        assert_eq!(error.code(), "config");
    }

    #[test]
    fn pem_and_jwk_forms_are_read_and_other_keys_refused() {
        use p256::pkcs8::LineEnding;
        let pkcs8 = secret().to_pkcs8_pem(LineEnding::LF).unwrap();
        assert!(ClientKey::from_text(&pkcs8).is_ok());
        let sec1 = secret().to_sec1_pem(LineEnding::LF).unwrap();
        assert!(ClientKey::from_text(&sec1).is_ok());
        let jwk = ClientKey::from_text(&secret().to_jwk_string()).unwrap();
        assert_eq!(jwk.kid(), None);
        let public_only = secret().public_key().to_jwk_string();
        assert!(ClientKey::from_jwk(&public_only).is_err());
        let error = ClientKey::from_pem(
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
        )
        .unwrap_err();
        assert!(
            !format!("{error:?}").contains("AAAA"),
            "the key is not echoed"
        );
        let private: serde_json::Value = serde_json::from_str(&secret().to_jwk_string()).unwrap();
        let d = private["d"].as_str().unwrap();
        assert!(!format!("{jwk:?}").contains(d), "Debug hides the key");
    }
}
