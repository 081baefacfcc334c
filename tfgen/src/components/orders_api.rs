//! The orders API: HTTP API with one route, `POST /orders`, proxied to
//! post_lambda. Callers are machines: a Cognito client-credentials client
//! gets a token with the `orders/write` scope, the route's JWT authorizer
//! checks it. The stage is throttled and writes JSON access logs.

use serde_json::json;

use crate::aws::apigateway::*;
use crate::aws::cognito::*;
use crate::aws::lambda::{LambdaFunction, LambdaPermission};
use crate::core::canonical::to_canonical_json;
use crate::core::{Handle, Output, TfFile};
use crate::env::REGION;

use super::Context;
use super::blocks::log_group;

pub const ROUTE_KEY: &str = "POST /orders";
/// The resource server's identifier: scopes are `orders/<name>`.
pub const RESOURCE_SERVER: &str = "orders";
const SCOPE_NAME: &str = "write";

/// A route of the orders API: what `build` creates in API Gateway and what
/// the OpenAPI document (`openapi`) describes. A route added here is both.
pub struct RouteDef {
    pub method: &'static str,
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// Scope names under [`RESOURCE_SERVER`]; a token needs one of them.
    pub scope_names: &'static [&'static str],
}

impl RouteDef {
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The Terraform name of its route: `post_orders`.
    pub fn operation_id_snake(&self) -> String {
        format!(
            "{}_{}",
            self.method.to_lowercase(),
            self.path.trim_matches('/').replace(['/', '{', '}'], "_")
        )
    }

    /// `orders/write`, as tokens carry them.
    pub fn scopes(&self) -> Vec<String> {
        self.scope_names
            .iter()
            .map(|name| format!("{RESOURCE_SERVER}/{name}"))
            .collect()
    }
}

/// Every route, each proxied to post_lambda.
pub fn routes() -> Vec<RouteDef> {
    vec![RouteDef {
        method: "POST",
        path: "/orders",
        operation_id: "postOrders",
        summary: "Store a batch of orders for 24 hours",
        scope_names: &[SCOPE_NAME],
    }]
}

pub struct OrdersApi {
    pub api: Handle<Apigatewayv2Api>,
    pub stage: Handle<Apigatewayv2Stage>,
}

pub fn build(ctx: &Context, file: &mut TfFile, post_lambda: &Handle<LambdaFunction>) -> OrdersApi {
    let callers = callers(ctx, file);
    let api = file.resource(
        "orders",
        Apigatewayv2Api {
            name: ctx.name("orders-api"),
            description: "Orders for the power auction, stored for 24 hours".into(),
            protocol_type: "HTTP".into(),
        },
    );
    serve_routes(ctx, file, &api, &callers, post_lambda);
    let stage = stage(ctx, file, &api);
    outputs(file, &callers, &stage);
    OrdersApi { api, stage }
}

/// The callers' side in Cognito: the user pool, its token domain, the
/// resource server with the scopes, and the client-credentials client.
struct Callers {
    pool: Handle<CognitoUserPool>,
    domain: Handle<CognitoUserPoolDomain>,
    resource_server: Handle<CognitoResourceServer>,
    client: Handle<CognitoUserPoolClient>,
}

fn callers(ctx: &Context, file: &mut TfFile) -> Callers {
    let protection = if ctx.env.protect_data { "ACTIVE" } else { "INACTIVE" };
    let pool = file.resource(
        "orders",
        CognitoUserPool {
            name: ctx.name("orders-clients"),
            deletion_protection: protection.into(),
            // No sign-up: clients are created by the team, not by callers.
            admin_create_user_config: AdminCreateUserConfig {
                allow_admin_create_user_only: true,
            },
        },
    );
    let domain = file.resource(
        "orders",
        CognitoUserPoolDomain {
            // Domain prefixes are global per region: the account id keeps them apart.
            domain: ctx.global_name("orders"),
            user_pool_id: pool.id().into(),
        },
    );
    let resource_server = file.resource(
        "orders",
        CognitoResourceServer {
            identifier: RESOURCE_SERVER.into(),
            name: ctx.name("orders-api"),
            user_pool_id: pool.id().into(),
            scope: vec![ResourceServerScope {
                scope_name: SCOPE_NAME.into(),
                scope_description: "Post orders to the auction".into(),
            }],
        },
    );
    let write_scope = format!("{}/{SCOPE_NAME}", resource_server.identifier());
    let client = file.resource(
        "orders_writer",
        CognitoUserPoolClient {
            name: ctx.name("orders-writer"),
            user_pool_id: pool.id().into(),
            generate_secret: true,
            allowed_oauth_flows_user_pool_client: true,
            allowed_oauth_flows: vec!["client_credentials".into()],
            allowed_oauth_scopes: vec![write_scope],
            supported_identity_providers: vec!["COGNITO".into()],
            explicit_auth_flows: vec!["ALLOW_REFRESH_TOKEN_AUTH".into()],
            prevent_user_existence_errors: "ENABLED".into(),
            enable_token_revocation: true,
            access_token_validity: 60,
            token_validity_units: TokenValidityUnits {
                access_token: "minutes".into(),
            },
        },
    );
    Callers {
        pool,
        domain,
        resource_server,
        client,
    }
}

/// The JWT authorizer, post_lambda's integration, every route of
/// [`routes`] and the permission for the API to invoke the function.
fn serve_routes(
    ctx: &Context,
    file: &mut TfFile,
    api: &Handle<Apigatewayv2Api>,
    callers: &Callers,
    post_lambda: &Handle<LambdaFunction>,
) {
    let authorizer = file.resource(
        "orders",
        Apigatewayv2Authorizer {
            api_id: api.id().into(),
            name: ctx.name("orders-client-credentials"),
            authorizer_type: "JWT".into(),
            identity_sources: vec!["$request.header.Authorization".into()],
            jwt_configuration: JwtConfiguration {
                // Client-credentials access tokens carry `client_id`, which
                // HTTP APIs accept as the audience.
                audience: vec![callers.client.id().into()],
                issuer: format!("https://{}", callers.pool.endpoint()),
            },
        },
    );
    let integration = file.resource(
        "post_orders",
        Apigatewayv2Integration {
            api_id: api.id().into(),
            integration_type: "AWS_PROXY".into(),
            integration_method: "POST".into(),
            integration_uri: post_lambda.invoke_arn().into(),
            payload_format_version: "2.0".into(),
            timeout_milliseconds: 29_000,
        },
    );
    for route in routes() {
        file.resource(
            &route.operation_id_snake(),
            Apigatewayv2Route {
                api_id: api.id().into(),
                route_key: route.route_key(),
                target: format!("integrations/{}", integration.id()),
                authorization_type: "JWT".into(),
                authorizer_id: authorizer.id().into(),
                // Through the resource server, so Terraform creates it first.
                authorization_scopes: route
                    .scope_names
                    .iter()
                    .map(|name| format!("{}/{name}", callers.resource_server.identifier()))
                    .collect(),
            },
        );
    }
    file.resource(
        "api_invokes_post_lambda",
        LambdaPermission {
            statement_id: "AllowOrdersApiInvoke".into(),
            action: "lambda:InvokeFunction".into(),
            function_name: post_lambda.function_name().into(),
            principal: "apigateway.amazonaws.com".into(),
            // Only this API's POST /orders route may invoke it.
            source_arn: Some(format!("{}/*/POST/orders", api.execution_arn())),
        },
    );
}

/// The `$default` stage: throttled per environment, JSON access logs.
fn stage(ctx: &Context, file: &mut TfFile, api: &Handle<Apigatewayv2Api>) -> Handle<Apigatewayv2Stage> {
    let access_logs = log_group(
        ctx,
        file,
        "orders_api_access",
        format!("/aws/apigateway/{}", ctx.name("orders-api")),
    );
    file.resource(
        "default",
        Apigatewayv2Stage {
            api_id: api.id().into(),
            name: "$default".into(),
            auto_deploy: true,
            default_route_settings: RouteSettings {
                throttling_rate_limit: ctx.env.api.throttling_rate_limit,
                throttling_burst_limit: ctx.env.api.throttling_burst_limit,
                detailed_metrics_enabled: true,
            },
            access_log_settings: AccessLogSettings {
                destination_arn: access_logs.arn().into(),
                format: access_log_format(),
            },
        },
    )
}

/// What a caller needs: README's "Calling the API" reads these.
fn outputs(file: &mut TfFile, callers: &Callers, stage: &Handle<Apigatewayv2Stage>) {
    file.output(
        "orders_url",
        Output::new(format!("{}orders", stage.invoke_url()), "POST orders here"),
    );
    file.output(
        "token_url",
        Output::new(
            format!(
                "https://{}.auth.{REGION}.amazoncognito.com/oauth2/token",
                callers.domain.domain()
            ),
            "Client-credentials token endpoint",
        ),
    );
    file.output(
        "client_id",
        Output::new(callers.client.id(), "App client id for the token request"),
    );
    file.output(
        "client_secret",
        Output::new(callers.client.client_secret(), "App client secret").sensitive(),
    );
    file.output(
        "orders_scope",
        Output::new(
            format!("{}/{SCOPE_NAME}", callers.resource_server.identifier()),
            "Scope to request",
        ),
    );
}

/// One JSON object per request; no bodies, no tokens.
fn access_log_format() -> String {
    to_canonical_json(&json!({
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "ip": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "integrationStatus": "$context.integrationStatus",
        "clientId": "$context.authorizer.claims.client_id",
        "error": "$context.error.message",
        "authorizerError": "$context.authorizer.error",
    }))
}
