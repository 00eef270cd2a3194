//! The engine's errors. Each variant is one DynamoDB error type; the
//! protocol layer turns them into the wire format in one place.

use crate::model::Item;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceInUse(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    ItemCollectionSizeLimitExceeded(String),
    /// `item` is returned when ReturnValuesOnConditionCheckFailure=ALL_OLD.
    #[error("The conditional request failed")]
    ConditionalCheckFailed { item: Option<Item> },
    /// TransactWriteItems was cancelled; one reason per action, in order.
    #[error("{}", cancellation_message(reasons))]
    TransactionCanceled { reasons: Vec<CancellationReason> },
    #[error("{0}")]
    IdempotentParameterMismatch(String),
    /// A PartiQL INSERT of an item whose key exists.
    #[error("Duplicate primary key exists in table")]
    DuplicateItem,
    /// A table's or global index's throughput is spent; `reasons` names
    /// each resource and limit, as DynamoDB's ThrottlingReasons do. DynamoDB
    /// names it ProvisionedThroughputExceededException for provisioned
    /// capacity and ThrottlingException for an on-demand maximum.
    #[error("{message}")]
    Throttled {
        message: String,
        reasons: Vec<ThrottlingReason>,
    },
    /// A shard iterator used after its 15 minutes.
    #[error("{0}")]
    ExpiredIterator(String),
    /// A stream read reached records that have aged out.
    #[error("{0}")]
    TrimmedDataAccess(String),
    /// DescribeContinuousBackups (and the backup operations) name a
    /// missing table this way rather than as ResourceNotFound.
    #[error("{0}")]
    TableNotFound(String),
    #[error("{0}")]
    BackupNotFound(String),
    /// A backup is still being created, or is being restored from.
    #[error("{0}")]
    BackupInUse(String),
    /// A restore's target table exists.
    #[error("{0}")]
    TableAlreadyExists(String),
    /// The table is being created (restored) or deleted.
    #[error("{0}")]
    TableInUse(String),
    #[error("{0}")]
    PointInTimeRecoveryUnavailable(String),
    /// A point-in-time restore's time is outside the restorable window.
    #[error("{0}")]
    InvalidRestoreTime(String),
    /// An export's time (or incremental period) is outside the
    /// point-in-time recovery window, or its period is too short or long.
    #[error("{0}")]
    InvalidExportTime(String),
    #[error("{0}")]
    ExportNotFound(String),
    #[error("{0}")]
    ImportNotFound(String),
    /// An export's ClientToken was used before with other parameters.
    #[error("{0}")]
    ExportConflict(String),
    /// An import's ClientToken was used before for another table.
    #[error("{0}")]
    ImportConflict(String),
    /// A resource has no resource-based policy, or not the expected revision.
    #[error("{0}")]
    PolicyNotFound(String),
    /// A setting changed again too soon after its last change.
    #[error("{0}")]
    Throttling(String),
    /// What DynamoDB answers for a resource that is not an ARN: IAM cannot
    /// authorise an action on it.
    #[error("{0}")]
    AccessDenied(String),
    /// A fault of Halyard's, not the caller's: logged, and reported as
    /// DynamoDB's InternalServerError.
    #[error("{0}")]
    Internal(String),
    /// The storage is out of space: the write was not applied (retrying
    /// later may succeed). DynamoDB's InternalServerError, with this message.
    #[error("The storage is out of space: the write was not applied; retry once space is freed")]
    OutOfSpace,
    /// A storage failure stopped writes until a restart. DynamoDB's
    /// InternalServerError, with this message.
    #[error("Writes are stopped after a storage failure: the server must be restarted (reads still work)")]
    WritesStopped,
    /// The write met concurrent writes of another node to what it read,
    /// again after every retry: it was not applied (retrying may succeed).
    /// DynamoDB's InternalServerError, with this message.
    #[error("The write conflicted with concurrent writes to the same items and was not applied; retry it")]
    Conflict,
    /// The storage lost its answer to the commit (the database connection
    /// died during COMMIT, or its synchronous standby was not waited for):
    /// the write may or may not be applied, so it is neither acknowledged
    /// nor applied again. DynamoDB's InternalServerError, with this message.
    #[error("The write's outcome is unknown: the database did not confirm its commit")]
    CommitOutcomeUnknown,
}

impl Error {
    pub fn validation(message: impl Into<String>) -> Error {
        Error::Validation(message.into())
    }

    /// DynamoDB's error type name (the part after `#` in `__type`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Error::Validation(_) => "ValidationException",
            Error::ResourceNotFound(_) => "ResourceNotFoundException",
            Error::ResourceInUse(_) => "ResourceInUseException",
            Error::LimitExceeded(_) => "LimitExceededException",
            Error::ItemCollectionSizeLimitExceeded(_) => "ItemCollectionSizeLimitExceededException",
            Error::TransactionCanceled { .. } => "TransactionCanceledException",
            Error::IdempotentParameterMismatch(_) => "IdempotentParameterMismatchException",
            Error::DuplicateItem => "DuplicateItemException",
            Error::TableNotFound(_) => "TableNotFoundException",
            Error::PolicyNotFound(_) => "PolicyNotFoundException",
            Error::BackupNotFound(_) => "BackupNotFoundException",
            Error::BackupInUse(_) => "BackupInUseException",
            Error::TableAlreadyExists(_) => "TableAlreadyExistsException",
            Error::TableInUse(_) => "TableInUseException",
            Error::PointInTimeRecoveryUnavailable(_) => "PointInTimeRecoveryUnavailableException",
            Error::InvalidRestoreTime(_) => "InvalidRestoreTimeException",
            Error::InvalidExportTime(_) => "InvalidExportTimeException",
            Error::ExportNotFound(_) => "ExportNotFoundException",
            Error::ImportNotFound(_) => "ImportNotFoundException",
            Error::ExportConflict(_) => "ExportConflictException",
            Error::ImportConflict(_) => "ImportConflictException",
            Error::Throttling(_) => "ThrottlingException",
            Error::AccessDenied(_) => "AccessDeniedException",
            Error::Throttled { reasons, .. } if reasons.iter().any(ThrottlingReason::is_on_demand_maximum) => {
                "ThrottlingException"
            }
            Error::Throttled { .. } => "ProvisionedThroughputExceededException",
            Error::ConditionalCheckFailed { .. } => "ConditionalCheckFailedException",
            Error::ExpiredIterator(_) => "ExpiredIteratorException",
            Error::TrimmedDataAccess(_) => "TrimmedDataAccessException",
            Error::Internal(_)
            | Error::OutOfSpace
            | Error::WritesStopped
            | Error::Conflict
            | Error::CommitOutcomeUnknown => "InternalServerError",
        }
    }

    /// A fault of the server rather than of one command: it fails the whole
    /// storage transaction (nothing of it may be committed).
    pub fn is_server_fault(&self) -> bool {
        matches!(
            self,
            Error::Internal(_)
                | Error::OutOfSpace
                | Error::WritesStopped
                | Error::Conflict
                | Error::CommitOutcomeUnknown
        )
    }
}

impl From<halyard_storage::StorageError> for Error {
    fn from(error: halyard_storage::StorageError) -> Error {
        use halyard_storage::StorageError;
        // The storage error itself is in the log and the health report.
        match error {
            StorageError::OutOfSpace(_) => Error::OutOfSpace,
            StorageError::WritesStopped(_) => Error::WritesStopped,
            StorageError::Conflict(_) => Error::Conflict,
            StorageError::CommitOutcomeUnknown(detail) => {
                // Not logged by the storage: say here why the write is not acknowledged.
                tracing::error!("a write's commit was not confirmed, so it is not acknowledged: {detail}");
                Error::CommitOutcomeUnknown
            }
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<crate::model::item_codec::CorruptItem> for Error {
    fn from(error: crate::model::item_codec::CorruptItem) -> Error {
        Error::Internal(error.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// One entry of ThrottlingReasons: which limit of which resource (an ARN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottlingReason {
    pub reason: String,
    pub resource: String,
}

impl ThrottlingReason {
    /// Whether the limit is an on-demand table's or index's configured
    /// maximum (OnDemandThroughput).
    pub fn is_on_demand_maximum(&self) -> bool {
        self.reason.ends_with("MaxOnDemandThroughputExceeded")
    }
}

/// Why one action of a cancelled transaction failed ("None" if it did not).
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationReason {
    pub code: String,
    pub message: Option<String>,
    pub item: Option<Item>,
}

impl CancellationReason {
    pub(crate) fn none() -> Self {
        CancellationReason {
            code: "None".into(),
            message: None,
            item: None,
        }
    }

    pub(crate) fn from_error(error: Error) -> Self {
        match error {
            Error::ConditionalCheckFailed { item } => CancellationReason {
                code: "ConditionalCheckFailed".into(),
                message: Some("The conditional request failed".into()),
                item,
            },
            Error::ItemCollectionSizeLimitExceeded(message) => CancellationReason {
                code: "ItemCollectionSizeLimitExceeded".into(),
                message: Some(message),
                item: None,
            },
            Error::Throttled { message, .. } => CancellationReason {
                code: "ThrottlingError".into(),
                message: Some(message),
                item: None,
            },
            other => CancellationReason {
                code: "ValidationError".into(),
                message: Some(other.to_string()),
                item: None,
            },
        }
    }
}

/// Cancels a transaction when any of its actions has a fault (`Some`):
/// one reason per action, "None" for those without.
pub(crate) fn cancel_on_faults(faults: Vec<Option<Error>>) -> Result<()> {
    if faults.iter().all(Option::is_none) {
        return Ok(());
    }
    let reasons = faults
        .into_iter()
        .map(|fault| fault.map_or_else(CancellationReason::none, CancellationReason::from_error))
        .collect();
    Err(Error::TransactionCanceled { reasons })
}

fn cancellation_message(reasons: &[CancellationReason]) -> String {
    let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
    format!(
        "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
        codes.join(", ")
    )
}
