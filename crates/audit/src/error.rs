//! CloudTrail's API errors (JSON 1.1: `__type` and `message`, HTTP 400).

#[derive(Debug, thiserror::Error)]
pub enum CloudTrailError {
    #[error("{0}")]
    InvalidLookupAttributes(String),
    #[error("{0}")]
    InvalidTimeRange(String),
    #[error("{0}")]
    InvalidMaxResults(String),
    #[error("{0}")]
    InvalidNextToken(String),
    #[error("{0}")]
    InvalidEventCategory(String),
    #[error("{0}")]
    InvalidEventSelectors(String),
    #[error("{0}")]
    InvalidTrailName(String),
    #[error("Unknown trail: {0} for the user")]
    TrailNotFound(String),
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    UnknownOperation(String),
    #[error("{0}")]
    Serialization(String),
    #[error("{0}")]
    Internal(String),
    /// A request that failed authentication, with the JSON protocols' name
    /// for why.
    #[error("{message}")]
    Authentication {
        type_name: &'static str,
        status: u16,
        message: String,
    },
}

impl CloudTrailError {
    /// The wire `__type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            CloudTrailError::InvalidLookupAttributes(_) => "InvalidLookupAttributesException",
            CloudTrailError::InvalidTimeRange(_) => "InvalidTimeRangeException",
            CloudTrailError::InvalidMaxResults(_) => "InvalidMaxResultsException",
            CloudTrailError::InvalidNextToken(_) => "InvalidNextTokenException",
            CloudTrailError::InvalidEventCategory(_) => "InvalidEventCategoryException",
            CloudTrailError::InvalidEventSelectors(_) => "InvalidEventSelectorsException",
            CloudTrailError::InvalidTrailName(_) => "InvalidTrailNameException",
            CloudTrailError::TrailNotFound(_) => "TrailNotFoundException",
            CloudTrailError::InvalidParameter(_) => "InvalidParameterException",
            CloudTrailError::AccessDenied(_) => "AccessDeniedException",
            CloudTrailError::UnknownOperation(_) => "UnknownOperationException",
            CloudTrailError::Serialization(_) => "SerializationException",
            CloudTrailError::Internal(_) => "InternalFailure",
            CloudTrailError::Authentication { type_name, .. } => type_name,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            CloudTrailError::Internal(_) => 500,
            CloudTrailError::Authentication { status, .. } => *status,
            _ => 400,
        }
    }

    /// The wire body.
    pub fn to_body(&self) -> serde_json::Value {
        serde_json::json!({"__type": self.type_name(), "message": self.to_string()})
    }
}
