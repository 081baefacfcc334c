//! Names the functions and the infrastructure must spell alike: tfgen sets
//! these environment variables on the functions, the functions read them.
//! One definition each, used on both sides, so a rename cannot leave one
//! side behind.

/// post_lambda: the DynamoDB table the orders are stored in.
pub const TABLE_NAME: &str = "TABLE_NAME";

/// lambda_b: the S3 bucket the accepted orders are archived in (tfgen's
/// `results_bucket`). The name says "log" because the specification names
/// lambda_b's variable `LOG_BUCKET`; it is kept as the contract with whoever
/// deploys or operates lambda_b, and its meaning is documented here.
pub const LOG_BUCKET: &str = "LOG_BUCKET";

/// `true` selects S3 path-style addressing (the local emulator only; never
/// set by tfgen, so AWS uses virtual-hosted style).
pub const S3_FORCE_PATH_STYLE: &str = "S3_FORCE_PATH_STYLE";
