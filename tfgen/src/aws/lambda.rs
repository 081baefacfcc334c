use std::collections::BTreeMap;

use serde::Serialize;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct LambdaFunction {
    pub function_name: String,
    pub description: Option<String>,
    pub role: String,
    pub runtime: String,
    /// Ignored by AWS for custom runtimes; the local cloud uses it to find
    /// the binary under `cargo lambda watch`.
    pub handler: String,
    pub architectures: Vec<String>,
    pub filename: String,
    pub source_code_hash: String,
    pub memory_size: u32,
    pub timeout: u32,
    pub reserved_concurrent_executions: Option<u32>,
    pub kms_key_arn: Option<String>,
    pub environment: Option<LambdaEnvironment>,
    pub tracing_config: TracingConfig,
    pub logging_config: LoggingConfig,
}
resource!(LambdaFunction = "aws_lambda_function" { arn, function_name, invoke_arn, qualified_arn });

#[derive(Debug, Clone, Serialize)]
pub struct LambdaEnvironment {
    pub variables: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TracingConfig {
    pub mode: String,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct LoggingConfig {
    pub log_format: String,
    pub log_group: Option<String>,
    pub application_log_level: Option<String>,
    pub system_log_level: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct LambdaPermission {
    pub statement_id: String,
    pub action: String,
    pub function_name: String,
    pub principal: String,
    pub source_arn: Option<String>,
}
resource!(LambdaPermission = "aws_lambda_permission" { id });
