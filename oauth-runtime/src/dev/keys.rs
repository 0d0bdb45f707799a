//! The signing keys (ES256, or RS256 when asked) and the ID tokens they sign.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use p256::pkcs8::EncodePrivateKey as _;
use serde_json::{Map, Value, json};

use super::{Fault, SigningAlg};
use crate::Error;

/// One key: the private half for signing, the public half as a JWK.
pub(super) struct SigningKey {
    pub(super) kid: String,
    pub(super) alg: SigningAlg,
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub(super) jwk: Value,
}

fn failed() -> Error {
    Error::Config("the development provider could not generate a signing key".into())
}

impl SigningAlg {
    fn jwt(self) -> Algorithm {
        match self {
            Self::ES256 => Algorithm::ES256,
            Self::RS256 => Algorithm::RS256,
        }
    }

    /// The name in JOSE headers and discovery (`"ES256"`).
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::ES256 => "ES256",
            Self::RS256 => "RS256",
        }
    }
}

impl SigningKey {
    /// A fresh key of `alg` with a random `kid`.
    pub(super) fn generate(alg: SigningAlg) -> Result<Self, Error> {
        match alg {
            SigningAlg::ES256 => Self::generate_es256(),
            SigningAlg::RS256 => Self::generate_rs256(),
        }
    }

    /// A 2048-bit RSA key (aws-lc-rs generates it; jsonwebtoken signs with its PKCS #1 form).
    fn generate_rs256() -> Result<Self, Error> {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map_err(|_| failed())?;
        let pkcs8 = pair.as_der().map_err(|_| failed())?;
        let info = p256::pkcs8::PrivateKeyInfo::try_from(pkcs8.as_ref()).map_err(|_| failed())?;
        let public = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let (n, e) = (
            URL_SAFE_NO_PAD.encode(&public.n),
            URL_SAFE_NO_PAD.encode(&public.e),
        );
        let kid = super::random_token()[..16].to_owned();
        let jwk = json!({
            "kty": "RSA",
            "n": n,
            "e": e,
            "kid": kid,
            "alg": "RS256",
            "use": "sig",
        });
        Ok(Self {
            decoding: DecodingKey::from_rsa_components(&n, &e).map_err(|_| failed())?,
            encoding: EncodingKey::from_rsa_der(info.private_key),
            kid,
            alg: SigningAlg::RS256,
            jwk,
        })
    }

    fn generate_es256() -> Result<Self, Error> {
        // Random bytes are a valid scalar unless zero or above the group order (odds ~2^-32).
        let secret = (0..8)
            .find_map(|_| p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()).ok())
            .ok_or_else(failed)?;
        let der = secret.to_pkcs8_der().map_err(|_| failed())?;
        let point = secret.public_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(failed());
        };
        let kid = super::random_token()[..16].to_owned();
        let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
        let decoding = DecodingKey::from_ec_components(&x, &y).map_err(|_| failed())?;
        let jwk = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": x,
            "y": y,
            "kid": kid,
            "alg": "ES256",
            "use": "sig",
        });
        Ok(Self {
            kid,
            alg: SigningAlg::ES256,
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            decoding,
            jwk,
        })
    }

    /// Signs `claims` with a header naming `kid` (none when `None`).
    fn sign(&self, kid: Option<&str>, claims: &Map<String, Value>) -> Option<String> {
        let mut header = Header::new(self.alg.jwt());
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).ok()
    }
}

/// The key that signs now, and the one before the last rotation (still published).
pub(super) struct KeyRing {
    current: Arc<SigningKey>,
    previous: Option<Arc<SigningKey>>,
}

impl KeyRing {
    pub(super) fn generate(alg: SigningAlg) -> Result<Self, Error> {
        Ok(Self {
            current: Arc::new(SigningKey::generate(alg)?),
            previous: None,
        })
    }

    /// The algorithm of the signing keys.
    pub(super) fn alg(&self) -> SigningAlg {
        self.current.alg
    }

    pub(super) fn rotate(&mut self, fresh: SigningKey) {
        self.previous = Some(std::mem::replace(&mut self.current, Arc::new(fresh)));
    }

    pub(super) fn current(&self) -> Arc<SigningKey> {
        self.current.clone()
    }

    /// The published keys, newest first.
    pub(super) fn all(&self) -> Vec<Arc<SigningKey>> {
        std::iter::once(self.current.clone())
            .chain(self.previous.clone())
            .collect()
    }

    /// True when `token` is an ID token this provider signed for `audience`, expired or not
    /// (an `id_token_hint` may be expired).
    pub(super) fn issued_here(&self, token: &str, issuer: &str, audience: &str) -> bool {
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return false;
        };
        let Some(key) = self
            .all()
            .into_iter()
            .find(|k| header.kid.as_deref() == Some(k.kid.as_str()))
        else {
            return false;
        };
        let mut validation = Validation::new(key.alg.jwt());
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.validate_exp = false;
        jsonwebtoken::decode::<Value>(token, &key.decoding, &validation).is_ok()
    }

    /// The JWK set of the published keys.
    pub(super) fn jwks(&self) -> Value {
        json!({ "keys": self.all().iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }
}

/// Signs `claims` as an ID token with `key`, bent as `fault` says. `None` only if signing fails.
pub(super) fn sign_id_token(
    key: &SigningKey,
    mut claims: Map<String, Value>,
    fault: Option<Fault>,
) -> Option<String> {
    let now = super::unix_now();
    let mut set = |name: &str, value: Value| claims.insert(name.to_owned(), value);
    match fault {
        Some(Fault::WrongAudience) => set("aud", json!("someone-elses-client")),
        Some(Fault::WrongIssuer) => set("iss", json!("https://attacker.example/_dev/oauth")),
        Some(Fault::ExpiredIdToken) => {
            set("iat", json!(now.saturating_sub(7200)));
            set("exp", json!(now.saturating_sub(3600)))
        }
        Some(Fault::WrongNonce) => set(
            "nonce",
            json!(format!("not-your-nonce-{}", super::random_token())),
        ),
        Some(Fault::MissingSub) => claims.remove("sub"),
        Some(Fault::MissingIat) => claims.remove("iat"),
        _ => None,
    };
    match fault {
        Some(Fault::AlgNone) => {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
            Some(format!("{header}.{payload}."))
        }
        Some(Fault::BadSignature) => SigningKey::generate(key.alg)
            .ok()?
            .sign(Some(&key.kid), &claims),
        Some(Fault::UnknownKid) => {
            let rogue = SigningKey::generate(key.alg).ok()?;
            let kid = format!("unknown-{}", rogue.kid);
            rogue.sign(Some(&kid), &claims)
        }
        Some(Fault::KidAbsent) => key.sign(None, &claims),
        _ => key.sign(Some(&key.kid), &claims),
    }
}

/// A back-channel logout token (Back-Channel Logout 1.0 §2.4) for the login `sid` of `sub`,
/// signed with `key`, bent as `fault` says. `None` only if signing fails.
pub(super) fn sign_logout_token(
    key: &SigningKey,
    issuer: &str,
    sub: &str,
    sid: &str,
    fault: Option<Fault>,
) -> Option<String> {
    let now = super::unix_now();
    let mut claims = Map::new();
    let mut set = |name: &str, value: Value| claims.insert(name.to_owned(), value);
    set("iss", json!(issuer));
    set("sub", json!(sub));
    set("aud", json!(super::CLIENT_ID));
    set("iat", json!(now));
    set("exp", json!(now + 120));
    set("jti", json!(super::random_token()));
    set("sid", json!(sid));
    set(
        "events",
        json!({ "http://schemas.openid.net/event/backchannel-logout": {} }),
    );
    match fault {
        Some(Fault::LogoutTokenWrongAudience) => set("aud", json!("someone-elses-client")),
        Some(Fault::LogoutTokenWrongIssuer) => {
            set("iss", json!("https://attacker.example/_dev/oauth"))
        }
        Some(Fault::LogoutTokenNoEvents) => claims.remove("events"),
        Some(Fault::LogoutTokenWrongEvents) => set(
            "events",
            json!({ "http://schemas.openid.net/event/not-a-logout": {} }),
        ),
        Some(Fault::LogoutTokenNonce) => set("nonce", json!(super::random_token())),
        Some(Fault::LogoutTokenWithoutSid) => claims.remove("sid"),
        _ => None,
    };
    match fault {
        Some(Fault::LogoutTokenAlgNone) => {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"logout+jwt"}"#);
            let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
            Some(format!("{header}.{payload}."))
        }
        Some(Fault::LogoutTokenWrongAlg) => {
            // HS256 with the client secret as key: a token anyone who knows the secret can make.
            let mut header = Header::new(Algorithm::HS256);
            header.typ = Some("logout+jwt".into());
            let secret = EncodingKey::from_secret(super::CLIENT_SECRET.as_bytes());
            jsonwebtoken::encode(&header, &claims, &secret).ok()
        }
        _ => {
            let mut header = Header::new(key.alg.jwt());
            header.kid = Some(key.kid.clone());
            header.typ = Some("logout+jwt".into());
            jsonwebtoken::encode(&header, &claims, &key.encoding).ok()
        }
    }
}
