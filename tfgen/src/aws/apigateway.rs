//! API Gateway HTTP APIs (v2).

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Apigatewayv2Api {
    pub name: String,
    pub description: String,
    pub protocol_type: String,
}
resource!(Apigatewayv2Api = "aws_apigatewayv2_api" { id, api_endpoint, execution_arn });

#[derive(Debug, Clone, Serialize)]
pub struct Apigatewayv2Authorizer {
    pub api_id: String,
    pub name: String,
    pub authorizer_type: String,
    pub identity_sources: Vec<String>,
    pub jwt_configuration: JwtConfiguration,
}
resource!(Apigatewayv2Authorizer = "aws_apigatewayv2_authorizer" { id });

#[derive(Debug, Clone, Serialize)]
pub struct JwtConfiguration {
    pub audience: Vec<String>,
    pub issuer: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Apigatewayv2Integration {
    pub api_id: String,
    pub integration_type: String,
    pub integration_method: String,
    pub integration_uri: String,
    pub payload_format_version: String,
    pub timeout_milliseconds: u32,
}
resource!(Apigatewayv2Integration = "aws_apigatewayv2_integration" { id });

#[derive(Debug, Clone, Serialize)]
pub struct Apigatewayv2Route {
    pub api_id: String,
    pub route_key: String,
    pub target: String,
    pub authorization_type: String,
    pub authorizer_id: String,
    pub authorization_scopes: Vec<String>,
}
resource!(Apigatewayv2Route = "aws_apigatewayv2_route" { id });

#[derive(Debug, Clone, Serialize)]
pub struct Apigatewayv2Stage {
    pub api_id: String,
    pub name: String,
    pub auto_deploy: bool,
    pub default_route_settings: RouteSettings,
    pub access_log_settings: AccessLogSettings,
}
resource!(Apigatewayv2Stage = "aws_apigatewayv2_stage" { id, name, invoke_url });

#[derive(Debug, Clone, Serialize)]
pub struct RouteSettings {
    pub throttling_rate_limit: f64,
    pub throttling_burst_limit: u32,
    pub detailed_metrics_enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccessLogSettings {
    pub destination_arn: String,
    pub format: String,
}
