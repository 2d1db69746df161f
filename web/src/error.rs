//! The API's one error type and its RFC 9457 problem documents.
//!
//! Every failure of every handler becomes an [`ApiError`], and the mapping to a status code,
//! a problem type and the headers that go with it lives in this one file. Server-side failures
//! carry their cause to the logging middleware in a response extension, so the cause is logged
//! exactly once and never reaches the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mosaico_protocol::FieldError;
use mosaico_protocol::draft::DraftError;
use mosaico_protocol::{RecordError, canonical::JsonError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::backend::{BackendError, PublishError};
use crate::query::QueryError;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Everything that can go wrong in a request, in the terms the client can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The body cannot be read as JSON or YAML (the parser's message says where).
    #[error("{detail}")]
    MalformedBody {
        /// The parser's message.
        detail: String,
    },
    /// A query or path parameter is wrong.
    #[error("{0}")]
    BadParameter(QueryError),
    /// No bearer token, or one the node does not know.
    #[error("{detail}")]
    Unauthorized {
        /// What was wrong with the credentials.
        detail: &'static str,
        /// Whether a token was given (and refused), for the `WWW-Authenticate` error code.
        token_given: bool,
    },
    /// The token's role or the federation's trust rules do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// No such record or route.
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not with this method.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// The draft names a version that is no longer the next one.
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the endpoint accepts.
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body's media type is not one the endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The record or draft breaks the protocol's rules; `errors` lists every broken field rule.
    #[error("{detail}")]
    InvalidRecord {
        /// A stable code, e.g. `invalid_field` or `bad_signature`.
        code: &'static str,
        /// What is wrong, in words.
        detail: String,
        /// Every field rule broken.
        errors: Vec<FieldError>,
    },
    /// This token wrote too often; it may write again after `retry_after_secs`.
    #[error(
        "this token has used its allowance of writes; try again in {retry_after_secs} s (the node allows a burst of writes, then a steady rate per token)"
    )]
    TooManyRequests {
        /// Seconds until the next write is allowed.
        retry_after_secs: u64,
    },
    /// The node cannot serve this now; try again later.
    #[error("{0}")]
    Unavailable(String),
    /// A failure inside the node. The text is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (a URN, stable, not meant to be fetched).
    #[serde(rename = "type")]
    #[schema(example = "urn:mosaico:problem:invalid-record")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this request, for a person.
    pub detail: String,
    /// A stable machine-readable code refining the type (e.g. `bad_signature`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The query or path parameter at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Every field rule a record breaks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldErrorView>,
}

/// One broken field rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldErrorView {
    /// The field's path, e.g. `summary.it` or `links[2].url`.
    pub field: String,
    /// A stable code: `required`, `too_long`, `wrong_type`, `bad_format`…
    pub code: String,
    /// What is wrong, in words.
    pub message: String,
}

/// The cause of a server-side failure, handed from [`ApiError`] to the logging middleware.
#[derive(Debug, Clone)]
pub(crate) struct ServerErrorCause(pub String);

impl ApiError {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MalformedBody { .. } | ApiError::BadParameter(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::InvalidRecord { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document; internal causes are replaced by a generic sentence.
    pub fn problem(&self) -> Problem {
        let (slug, title) = match self {
            ApiError::MalformedBody { .. } => ("malformed-body", "The body cannot be read"),
            ApiError::BadParameter(_) => ("bad-parameter", "A parameter is not valid"),
            ApiError::Unauthorized { .. } => ("unauthorized", "A valid bearer token is required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("version-conflict", "The record changed in the meantime"),
            ApiError::PayloadTooLarge { .. } => ("payload-too-large", "The body is too large"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::InvalidRecord { .. } => ("invalid-record", "The record is not valid"),
            ApiError::TooManyRequests { .. } => ("too-many-requests", "Too many writes"),
            ApiError::Unavailable(_) => ("unavailable", "The node is not available"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        };
        let detail = match self {
            ApiError::Internal(_) => {
                "the node failed to answer; the operator can find the cause in its logs".to_owned()
            }
            other => other.to_string(),
        };
        let (code, parameter, errors) = match self {
            ApiError::InvalidRecord { code, errors, .. } => (
                Some((*code).to_owned()),
                None,
                errors
                    .iter()
                    .map(|e| FieldErrorView {
                        field: e.field.clone(),
                        code: e.code.clone(),
                        message: e.message.clone(),
                    })
                    .collect(),
            ),
            ApiError::BadParameter(e) => (None, Some(e.parameter.clone()), Vec::new()),
            _ => (None, None, Vec::new()),
        };
        Problem {
            problem_type: format!("urn:mosaico:problem:{slug}"),
            title: title.to_owned(),
            status: self.status().as_u16(),
            detail,
            code,
            parameter,
            errors,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        // Serializing a struct of strings and numbers cannot fail.
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response();
        match &self {
            ApiError::Unauthorized { token_given, .. } => {
                let challenge = if *token_given {
                    r#"Bearer realm="mosaico", error="invalid_token""#
                } else {
                    r#"Bearer realm="mosaico""#
                };
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
            }
            ApiError::Unavailable(_) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        if status.is_server_error() {
            response
                .extensions_mut()
                .insert(ServerErrorCause(self.to_string()));
        }
        response
    }
}

impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> Self {
        ApiError::BadParameter(error)
    }
}

impl From<BackendError> for ApiError {
    fn from(error: BackendError) -> Self {
        match error {
            BackendError::Unavailable(why) => {
                ApiError::Unavailable(format!("the node is not ready: {why}"))
            }
            BackendError::BadCursor(why) => ApiError::BadParameter(QueryError {
                parameter: "cursor".into(),
                message: format!("{why}; start again from the first page"),
            }),
            BackendError::Internal(why) => ApiError::Internal(why),
        }
    }
}

impl From<RecordError> for ApiError {
    fn from(error: RecordError) -> Self {
        ApiError::InvalidRecord {
            code: error.code(),
            detail: error.to_string(),
            errors: error.field_errors().to_vec(),
        }
    }
}

impl From<JsonError> for ApiError {
    fn from(error: JsonError) -> Self {
        ApiError::MalformedBody {
            detail: error.to_string(),
        }
    }
}

impl From<DraftError> for ApiError {
    fn from(error: DraftError) -> Self {
        match error {
            DraftError::Json(json) => json.into(),
            DraftError::Invalid(errors) => ApiError::InvalidRecord {
                code: "invalid_field",
                detail: FieldError::join(&errors),
                errors,
            },
            conflict @ DraftError::VersionConflict { .. } => {
                ApiError::Conflict(conflict.to_string())
            }
        }
    }
}

impl From<PublishError> for ApiError {
    fn from(error: PublishError) -> Self {
        match error {
            PublishError::Invalid(record) => record.into(),
            PublishError::Draft(draft) => draft.into(),
            PublishError::NotAllowed(why) => ApiError::Forbidden(why),
            PublishError::NotFound => ApiError::NotFound("there is no such record".into()),
            PublishError::Unavailable(why) => ApiError::Unavailable(why),
            PublishError::Internal(why) => ApiError::Internal(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_causes_never_reach_the_client() {
        let error = ApiError::Internal("sled: corrupted page 42 at /var/lib/mosaico".into());
        let problem = error.problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("sled"), "{}", problem.detail);
        let response = error.into_response();
        let cause = response
            .extensions()
            .get::<ServerErrorCause>()
            .expect("cause for the log");
        assert!(cause.0.contains("sled"));
    }

    #[test]
    fn every_field_error_is_listed() {
        let error: ApiError = RecordError::Invalid(vec![
            FieldError::new("title", "required", "is required"),
            FieldError::new("country", "bad_format", "\"XX\" is not a country"),
        ])
        .into();
        let problem = error.problem();
        assert_eq!(
            (problem.status, problem.code.as_deref()),
            (422, Some("invalid_field"))
        );
        let fields: Vec<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "country"]);
    }

    #[test]
    fn version_conflict_is_409_and_trust_refusal_403() {
        let conflict: ApiError =
            PublishError::Draft(DraftError::VersionConflict { given: 2, next: 3 }).into();
        assert_eq!(conflict.status(), StatusCode::CONFLICT);
        let refused: ApiError = PublishError::NotAllowed("not a member".into()).into();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let cursor: ApiError = BackendError::BadCursor("gone".into()).into();
        assert_eq!(cursor.problem().parameter.as_deref(), Some("cursor"));
    }
}
