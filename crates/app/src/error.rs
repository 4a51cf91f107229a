use catalyst_domain::FieldError;
use catalyst_store::StoreError;

/// Errors of the use cases. The HTTP layer maps each to a status and a stable code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input was rejected; every offending field is listed.
    #[error("invalid input: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Validation(Vec<FieldError>),
    /// Wrong email or password (deliberately not saying which).
    #[error("wrong email or password")]
    BadCredentials,
    /// No valid session or token.
    #[error("authentication required")]
    Unauthenticated,
    /// Authenticated, but the role does not allow this.
    #[error("not allowed")]
    Forbidden,
    /// Does not exist, or exists in another tenant (indistinguishable on purpose).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change conflicts with existing data, e.g. a duplicate.
    #[error("{}", .0.message)]
    Conflict(FieldError),
    /// Too many failed attempts; retry after the given number of seconds.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// An upload is over the size limit.
    #[error("the file is larger than the limit of {max_bytes} bytes")]
    TooLarge { max_bytes: u64 },
    /// A file type that is not accepted (executables, scripts); the text says why.
    #[error("{0}")]
    UnsupportedType(String),
    #[error(transparent)]
    Store(StoreError),
    /// A failure that is not the caller's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Validation(vec![e])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { constraint } => AppError::Conflict(FieldError::new(
                constraint,
                "taken",
                format!("this {constraint} is already in use"),
            )),
            other => AppError::Store(other),
        }
    }
}

impl From<catalyst_store::sea_orm::DbErr> for AppError {
    fn from(e: catalyst_store::sea_orm::DbErr) -> Self {
        AppError::Store(StoreError::Db(e))
    }
}
