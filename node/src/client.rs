//! A blocking client for a running node's local HTTP API, for commands that talk to the node
//! (imports, exports) rather than open its store: the node owns sled and the swarm, so a second
//! process must go through it.
//!
//! The address and the publish token come from the data directory (`node.addr`, written by
//! `mosaico run`, and `publisher.token`). The client is cheap to clone and may be used from
//! several threads at once, which is how imports keep a few publishes in flight.

use std::time::Duration;

use serde_json::Value;

use crate::datadir::{DataDir, DataDirError};

/// Why the node could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The data directory is unusable.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// No `node.addr`: the node is not running.
    #[error("no node is running for {0}: start it with `mosaico run --data {0} --federation FILE`")]
    NotRunning(String),
    /// The node did not answer.
    #[error("the node at {base} does not answer ({cause}); is it still running?")]
    Unreachable {
        /// Its base URL.
        base: String,
        /// The transport error.
        cause: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Setup(String),
}

/// An answer: the status and the body (JSON, or the text as a JSON string when not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The body.
    pub body: Value,
    /// Seconds to wait before retrying, from a `Retry-After` header (429, 503).
    pub retry_after: Option<u64>,
}

impl Answer {
    /// The status and the body, for callers that match on both.
    pub fn into_parts(self) -> (u16, Value) {
        (self.status, self.body)
    }

    /// Every problem a problem+json answer lists, as `field: message` lines, or its title.
    pub fn problems(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .body
            .get("errors")
            .and_then(Value::as_array)
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            e.get("field").and_then(Value::as_str).unwrap_or("?"),
                            e.get("message").and_then(Value::as_str).unwrap_or("?")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if lines.is_empty() {
            let detail = self
                .body
                .get("detail")
                .or_else(|| self.body.get("title"))
                .and_then(Value::as_str)
                .unwrap_or("the node refused it");
            lines.push(format!("{} ({})", detail, self.status));
        }
        lines
    }
}

/// An HTTP client of the running node behind a data directory: its local API, reached at the
/// address the node wrote into `node.addr`, with the region's publish token.
#[derive(Debug, Clone)]
pub struct NodeApiClient {
    base: String,
    token: Option<String>,
    http: reqwest::blocking::Client,
}

impl NodeApiClient {
    /// Finds the running node of `data`.
    pub fn connect(data: &DataDir) -> Result<Self, ClientError> {
        data.config()?;
        let addr = std::fs::read_to_string(data.addr_path())
            .map_err(|_| ClientError::NotRunning(data.root().display().to_string()))?;
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            // Imports keep several requests in flight; reuse their connections.
            .pool_max_idle_per_host(16)
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        Ok(NodeApiClient {
            base: format!("http://{}", addr.trim()),
            token: data.token().ok(),
            http,
        })
    }

    /// The node's base URL, e.g. `http://127.0.0.1:8080`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// GET a JSON document.
    pub fn get(&self, path: &str) -> Result<Answer, ClientError> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .map_err(|e| self.unreachable(e))?;
        Self::answer(response)
    }

    /// GET a document as text (Turtle, JSON-LD, CSV…).
    pub fn get_text(&self, path: &str) -> Result<(u16, String), ClientError> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .map_err(|e| self.unreachable(e))?;
        let status = response.status().as_u16();
        let text = response.text().map_err(|e| self.unreachable(e))?;
        Ok((status, text))
    }

    /// POST a JSON body with the publish token.
    pub fn post(&self, path: &str, body: &Value) -> Result<Answer, ClientError> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().map_err(|e| self.unreachable(e))?;
        Self::answer(response)
    }

    fn answer(response: reqwest::blocking::Response) -> Result<Answer, ClientError> {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let text = response.text().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Answer {
            status,
            body,
            retry_after,
        })
    }

    fn unreachable(&self, error: reqwest::Error) -> ClientError {
        ClientError::Unreachable {
            base: self.base.clone(),
            cause: error.to_string(),
        }
    }
}
