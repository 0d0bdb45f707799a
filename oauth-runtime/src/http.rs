//! The one HTTP client every provider call goes through.
//!
//! Redirects are never followed (a token endpoint that redirects could otherwise send the code
//! and the client secret anywhere: the oauth2 crate's SSRF warning), every request has connect and
//! total timeouts and a `User-Agent` (GitHub's API refuses requests without one), and no response
//! body is read past [`MAX_BODY`]: token, user info, discovery and JWKS answers are small, and a
//! provider (or whatever answers in its place) must not be able to fill the memory.
//!
//! oauth2 5 needs an [`oauth2::AsyncHttpClient`]: it is implemented for [`HttpClient`] rather than
//! using the crate's own impl for `reqwest::Client`, so that the size cap applies to token
//! requests too.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use http::{HeaderMap, StatusCode};

/// The largest response body read from a provider.
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// Connect and total timeout of each request.
const TIMEOUT: Duration = Duration::from_secs(10);

const USER_AGENT: &str = concat!("axum-oauth-login/", env!("CARGO_PKG_VERSION"));

/// Why a request failed. The messages are fixed sentences: no URL, no body, no token.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HttpError {
    #[error("the request timed out")]
    Timeout,
    #[error("the connection failed")]
    Connect,
    #[error("the response is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the request could not be built")]
    Build,
    #[error("the request failed")]
    Other,
}

impl From<reqwest::Error> for HttpError {
    fn from(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_connect() {
            Self::Connect
        } else if error.is_builder() {
            Self::Build
        } else {
            Self::Other
        }
    }
}

impl From<HttpError> for crate::Error {
    fn from(error: HttpError) -> Self {
        Self::Network(error.to_string())
    }
}

/// A response whose body was read completely (and within the cap).
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// The body as a JSON value, if it is JSON.
    pub(crate) fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A `reqwest::Client` with this crate's policy. Cheap to clone (reqwest's client is an `Arc`).
#[derive(Clone, Debug)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    max_body: usize,
}

impl HttpClient {
    /// The process-wide client: one connection pool for every provider client.
    pub(crate) fn shared() -> Self {
        static SHARED: OnceLock<HttpClient> = OnceLock::new();
        SHARED.get_or_init(Self::build).clone()
    }

    fn build() -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(TIMEOUT)
            .timeout(TIMEOUT)
            .user_agent(USER_AGENT)
            // rustls on aws-lc-rs, named explicitly: no process-level provider needed.
            .use_preconfigured_tls(crate::tls::http_config())
            .build()
            // Only fails when the TLS backend cannot start, which nothing here can recover from.
            .expect("the HTTP client (rustls) could not be initialised");
        Self {
            client,
            max_body: MAX_BODY,
        }
    }

    /// A request builder on the shared client.
    pub(crate) fn request(&self, method: http::Method, url: url::Url) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }

    /// Sends the request and reads the whole body, up to the cap.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Response, HttpError> {
        let request = request.build()?;
        self.execute(request).await
    }

    async fn execute(&self, request: reqwest::Request) -> Result<Response, HttpError> {
        let mut response = self.client.execute(request).await?;
        if response
            .content_length()
            .is_some_and(|len| len > self.max_body as u64)
        {
            return Err(HttpError::TooLarge);
        }
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::new();
        // Chunk by chunk, so that a body without Content-Length cannot grow past the cap either.
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > self.max_body {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for HttpClient {
    type Error = HttpError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, HttpError>> + Send + 'c>>;

    /// Used by oauth2 for token requests only.
    ///
    /// GitHub answers a refused code with HTTP 200 and `{"error": "bad_verification_code"}`; oauth2
    /// would report that as an unparsable token response. A 200 whose JSON has `error` and no
    /// `access_token` is handed on as a 400, so that it becomes the OAuth error it is.
    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(|_| HttpError::Build)?;
            let response = self.execute(request).await?;
            let mut status = response.status;
            if status == StatusCode::OK
                && let Some(json) = response.json()
                && json.get("error").is_some_and(serde_json::Value::is_string)
                && json.get("access_token").is_none()
            {
                status = StatusCode::BAD_REQUEST;
            }
            let mut out = http::Response::new(response.body);
            *out.status_mut() = status;
            *out.headers_mut() = response.headers;
            Ok(out)
        })
    }
}
