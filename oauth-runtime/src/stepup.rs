//! Step-up authentication: routes that need a stronger or a more recent login than the one the
//! session has (OpenID Connect's `acr_values` and `max_age`; RFC 9470's challenge for APIs).

use std::time::Duration;

/// What a group of routes asks of the user's login: an authentication context class (`acr`, one
/// of a list) and at most this age (`max_age`, against the ID token's `auth_time`). Mounted with
/// [`OAuthBuilder::step_up`](crate::OAuthBuilder::step_up).
///
/// ```
/// use std::time::Duration;
/// use axum_oauth_login::StepUp;
/// let admin = StepUp::acr(["urn:example:mfa"]).max_age(Duration::from_secs(300));
/// assert_eq!(admin.acr_values(), ["urn:example:mfa"]);
/// assert_eq!(admin.max_age_limit(), Some(Duration::from_secs(300)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepUp {
    acr: Vec<String>,
    max_age: Option<Duration>,
}

impl StepUp {
    /// A login with one of these `acr` values (the first is the one asked for).
    ///
    /// ```
    /// let step_up = axum_oauth_login::StepUp::acr(["urn:example:mfa", "urn:example:hwk"]);
    /// assert_eq!(step_up.acr_values().len(), 2);
    /// ```
    #[must_use]
    pub fn acr(values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            acr: values.into_iter().map(Into::into).collect(),
            max_age: None,
        }
    }

    /// A login at most `age` old (whatever its `acr`, unless [`acr`](Self::acr) asks too).
    ///
    /// ```
    /// use std::time::Duration;
    /// let recent = axum_oauth_login::StepUp::default().max_age(Duration::from_secs(60));
    /// assert!(recent.acr_values().is_empty());
    /// ```
    #[must_use]
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// The accepted `acr` values.
    ///
    /// ```
    /// assert!(axum_oauth_login::StepUp::default().acr_values().is_empty());
    /// ```
    #[must_use]
    pub fn acr_values(&self) -> &[String] {
        &self.acr
    }

    /// The maximum age of the login.
    ///
    /// ```
    /// assert_eq!(axum_oauth_login::StepUp::default().max_age_limit(), None);
    /// ```
    #[must_use]
    pub fn max_age_limit(&self) -> Option<Duration> {
        self.max_age
    }

    /// What `authn` lacks at `now` (Unix seconds); `None` when it is enough.
    pub(crate) fn shortfall(&self, authn: Option<&Authn>, now: i64) -> Option<Shortfall> {
        let acr = !self.acr.is_empty()
            && !authn
                .and_then(|a| a.acr.as_deref())
                .is_some_and(|acr| self.acr.iter().any(|wanted| wanted == acr));
        let age = self.max_age.is_some_and(|max| {
            authn.is_none_or(|a| {
                now.saturating_sub(a.auth_time) > i64::try_from(max.as_secs()).unwrap_or(i64::MAX)
            })
        });
        (acr || age).then_some(Shortfall { age })
    }

    /// The authorization request's parameters for a login that meets this (`prompt=login` when
    /// the login is too old: the provider's own session would otherwise answer at once).
    pub(crate) fn auth_params(&self, shortfall: Shortfall) -> Vec<(String, String)> {
        let mut params = Vec::new();
        if !self.acr.is_empty() {
            params.push(("acr_values".to_owned(), self.acr.join(" ")));
        }
        if let Some(max) = self.max_age {
            params.push(("max_age".to_owned(), max.as_secs().to_string()));
        }
        if shortfall.age {
            params.push(("prompt".to_owned(), "login".to_owned()));
        }
        params
    }

    /// RFC 9470's challenge: `WWW-Authenticate: Bearer error="insufficient_user_authentication"`
    /// with what is needed.
    pub(crate) fn challenge(&self) -> String {
        let mut challenge = String::from(
            "Bearer error=\"insufficient_user_authentication\", error_description=\"A stronger or more recent login is required\"",
        );
        if !self.acr.is_empty() {
            challenge.push_str(&format!(", acr_values=\"{}\"", self.acr.join(" ")));
        }
        if let Some(max) = self.max_age {
            challenge.push_str(&format!(", max_age={}", max.as_secs()));
        }
        challenge
    }
}

/// Why a login falls short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shortfall {
    /// It is older than `max_age` (else only its `acr` is wrong).
    pub(crate) age: bool,
}

/// How the session's user logged in: the ID token's `acr` and `auth_time`, kept in the session
/// as one string, `"<auth_time>"` or `"<auth_time> <acr>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authn {
    pub(crate) auth_time: i64,
    pub(crate) acr: Option<String>,
}

impl Authn {
    pub(crate) fn encode(&self) -> String {
        match &self.acr {
            Some(acr) => format!("{} {acr}", self.auth_time),
            None => self.auth_time.to_string(),
        }
    }

    pub(crate) fn decode(text: &str) -> Option<Self> {
        let (time, acr) = match text.split_once(' ') {
            Some((time, acr)) => (time, Some(acr.to_owned())),
            None => (text, None),
        };
        Some(Self {
            auth_time: time.parse().ok()?,
            acr,
        })
    }

    /// From a (verified) ID token's claims; `auth_time` defaults to `now`, the login's time.
    pub(crate) fn from_claims(
        claims: &serde_json::Map<String, serde_json::Value>,
        now: i64,
    ) -> Self {
        Self {
            auth_time: claims
                .get("auth_time")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(now),
            acr: claims
                .get("acr")
                .and_then(serde_json::Value::as_str)
                .filter(|acr| !acr.is_empty() && !acr.contains(char::is_whitespace))
                .map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_falls_short_by_its_acr_or_its_age() {
        let mfa = StepUp::acr(["urn:mfa"]).max_age(Duration::from_secs(60));
        let fresh_mfa = Authn {
            auth_time: 1000,
            acr: Some("urn:mfa".into()),
        };
        assert_eq!(mfa.shortfall(Some(&fresh_mfa), 1030), None);
        assert_eq!(
            mfa.shortfall(Some(&fresh_mfa), 1061),
            Some(Shortfall { age: true })
        );
        let pwd = Authn {
            acr: Some("urn:pwd".into()),
            ..fresh_mfa.clone()
        };
        assert_eq!(
            mfa.shortfall(Some(&pwd), 1030),
            Some(Shortfall { age: false })
        );
        assert_eq!(mfa.shortfall(None, 1030), Some(Shortfall { age: true }));
        assert_eq!(StepUp::default().shortfall(None, 0), None);

        let params = mfa.auth_params(Shortfall { age: true });
        assert!(params.contains(&("acr_values".into(), "urn:mfa".into())));
        assert!(params.contains(&("max_age".into(), "60".into())));
        assert!(params.contains(&("prompt".into(), "login".into())));
        assert!(
            mfa.challenge()
                .contains("acr_values=\"urn:mfa\", max_age=60")
        );
    }

    #[test]
    fn the_stored_form_round_trips() {
        for authn in [
            Authn {
                auth_time: 5,
                acr: Some("urn:x".into()),
            },
            Authn {
                auth_time: 7,
                acr: None,
            },
        ] {
            assert_eq!(Authn::decode(&authn.encode()), Some(authn));
        }
        assert_eq!(Authn::decode("x"), None);
    }
}
