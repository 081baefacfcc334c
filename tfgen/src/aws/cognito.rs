//! Cognito: the user pool that issues machine tokens for the orders API.

use serde::Serialize;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct CognitoUserPool {
    pub name: String,
    pub deletion_protection: String,
    pub admin_create_user_config: AdminCreateUserConfig,
}
resource!(CognitoUserPool = "aws_cognito_user_pool" { arn, id, endpoint });

#[derive(Debug, Clone, Serialize)]
pub struct AdminCreateUserConfig {
    pub allow_admin_create_user_only: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CognitoUserPoolDomain {
    pub domain: String,
    pub user_pool_id: String,
}
resource!(CognitoUserPoolDomain = "aws_cognito_user_pool_domain" { domain });

#[derive(Debug, Clone, Serialize)]
pub struct CognitoResourceServer {
    pub identifier: String,
    pub name: String,
    pub user_pool_id: String,
    pub scope: Vec<ResourceServerScope>,
}
resource!(CognitoResourceServer = "aws_cognito_resource_server" { identifier, scope_identifiers });

#[derive(Debug, Clone, Serialize)]
pub struct ResourceServerScope {
    pub scope_name: String,
    pub scope_description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CognitoUserPoolClient {
    pub name: String,
    pub user_pool_id: String,
    pub generate_secret: bool,
    pub allowed_oauth_flows_user_pool_client: bool,
    pub allowed_oauth_flows: Vec<String>,
    pub allowed_oauth_scopes: Vec<String>,
    pub supported_identity_providers: Vec<String>,
    pub explicit_auth_flows: Vec<String>,
    pub prevent_user_existence_errors: String,
    pub enable_token_revocation: bool,
    /// Minutes; machine clients fetch a new token when it expires.
    pub access_token_validity: u32,
    pub token_validity_units: TokenValidityUnits,
}
resource!(CognitoUserPoolClient = "aws_cognito_user_pool_client" { id, client_secret });

#[derive(Debug, Clone, Serialize)]
pub struct TokenValidityUnits {
    pub access_token: String,
}
