//! Step Functions state machines.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SfnStateMachine {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub role_arn: String,
    pub definition: String,
    pub logging_configuration: SfnLoggingConfiguration,
    pub tracing_configuration: SfnTracingConfiguration,
}
resource!(SfnStateMachine = "aws_sfn_state_machine" { arn, name });

#[derive(Debug, Clone, Serialize)]
pub struct SfnLoggingConfiguration {
    pub log_destination: String,
    pub include_execution_data: bool,
    pub level: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SfnTracingConfiguration {
    pub enabled: bool,
}
