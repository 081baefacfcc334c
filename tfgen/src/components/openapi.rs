//! The orders API's contract as OpenAPI 3.1, from the same route
//! definitions `orders_api` builds the HTTP API from: every route with its
//! scopes, the request body's schema and every answer API Gateway or the
//! function gives, with its body. Written beside the Terraform
//! (`terraform/<env>/openapi.json`); the local API serves it at
//! `/openapi.json` and the local tests fuzz the API against it.

use orders_domain::{MAX_RECORDS, PARTITION_KEY, TTL_ATTRIBUTE, WRITER_ATTRIBUTE};
use serde_json::{Value, json};

use super::orders_api::{RouteDef, routes};
use crate::core::canonical::to_canonical_json;
use crate::env::Environment;

/// The document's file name, beside the `*.tf.json`.
pub const FILE_NAME: &str = "openapi.json";

/// The whole document, pretty-printed with sorted keys.
pub fn document(env: &Environment) -> String {
    let mut paths = serde_json::Map::new();
    for route in routes() {
        let operation = operation(&route);
        let path = paths.entry(route.path).or_insert_with(|| json!({}));
        if let Value::Object(methods) = path {
            methods.insert(route.method.to_lowercase(), operation);
        }
    }
    let scopes: serde_json::Map<String, Value> = routes()
        .iter()
        .flat_map(|r| r.scopes())
        .map(|scope| (scope, json!("Post orders to the auction")))
        .collect();
    let document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": env.resource_name("orders-api"),
            "version": "1",
            "description": "Orders for the power auction, stored for 24 hours. Callers are machines: a \
                Cognito client-credentials token with the route's scope, sent as `Authorization: Bearer`.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "clientCredentials": {
                    "type": "oauth2",
                    "description": "Cognito client credentials; the token URL is the `token_url` output \
                        (`/oauth2/token` on the local API).",
                    "flows": {"clientCredentials": {"tokenUrl": "/oauth2/token", "scopes": scopes}},
                },
            },
            "schemas": schemas(),
        },
    });
    let mut text = serde_json::to_string_pretty(&canonical(document)).unwrap_or_default();
    text.push('\n');
    text
}

/// Sorted keys at every level (the canonical form tfgen writes).
fn canonical(value: Value) -> Value {
    serde_json::from_str(&to_canonical_json(&value)).unwrap_or(value)
}

fn operation(route: &RouteDef) -> Value {
    let error = |description: &str| {
        json!({"description": description,
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    };
    let gateway = |description: &str| {
        json!({"description": description,
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GatewayMessage"}}}})
    };
    json!({
        "summary": route.summary,
        "operationId": route.operation_id,
        "security": [{"clientCredentials": route.scopes()}],
        "requestBody": {
            "required": true,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Orders"}}},
        },
        "responses": {
            "201": {"description": "Every record is stored for 24 hours",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stored"}}}},
            "400": error("The body is empty, not JSON, not UTF-8, or a record is invalid; nothing is stored"),
            "401": gateway("No token, or an expired, foreign or badly signed one (API Gateway)"),
            "403": {"description": "A token without the route's scope (API Gateway), or a request without the \
                     authorizer's client_id claim (the function)",
                    "content": {"application/json": {"schema": {"oneOf": [
                        {"$ref": "#/components/schemas/GatewayMessage"},
                        {"$ref": "#/components/schemas/Error"}]}}}},
            "413": {"description": "Over API Gateway's 10 MB, or over the function's 6 MB or record limit",
                    "content": {"application/json": {"schema": {"oneOf": [
                        {"$ref": "#/components/schemas/GatewayMessage"},
                        {"$ref": "#/components/schemas/Error"}]}}}},
            "415": error("A Content-Type that is not JSON"),
            "429": gateway("Over the stage's throttling limits; retry later (API Gateway)"),
            "500": error("DynamoDB refused the write; nothing may be assumed stored"),
            "503": error("DynamoDB kept throttling past the deadline; retrying the same request is safe"),
        },
    })
}

fn schemas() -> Value {
    json!({
        "Orders": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_RECORDS,
            "items": {"$ref": "#/components/schemas/Order"},
        },
        "Order": {
            "type": "object",
            "description": format!("`{PARTITION_KEY}` is the key (a repeated one overwrites the stored item); \
                every other field is stored as sent. `{TTL_ATTRIBUTE}` and `{WRITER_ATTRIBUTE}` are set by the API."),
            "required": [PARTITION_KEY],
            "properties": {PARTITION_KEY: {"type": "string", "minLength": 1}},
            "not": {"anyOf": [{"required": [TTL_ATTRIBUTE]}, {"required": [WRITER_ATTRIBUTE]}]},
            "additionalProperties": true,
        },
        "Stored": {
            "type": "object",
            "required": ["stored"],
            "properties": {"stored": {"type": "integer", "minimum": 1}},
            "additionalProperties": false,
        },
        "Error": {
            "type": "object",
            "description": "The function's answer: what is wrong, naming the record and field",
            "required": ["errorMessage"],
            "properties": {"errorMessage": {"type": "string"}},
            "additionalProperties": false,
        },
        "GatewayMessage": {
            "type": "object",
            "description": "API Gateway's own answer",
            "required": ["message"],
            "properties": {"message": {"type": "string"}},
            "additionalProperties": false,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::orders_api::RESOURCE_SERVER;
    use crate::env::EnvName;

    #[test]
    fn every_route_is_described_with_its_scopes_and_answers() {
        let doc: Value = serde_json::from_str(&document(&Environment::named(EnvName::Dev))).unwrap();
        for route in routes() {
            let (key, scopes) = (route.route_key(), route.scopes());
            let (method, path) = key.split_once(' ').unwrap();
            let operation = &doc["paths"][path][method.to_lowercase()];
            assert_eq!(operation["security"][0]["clientCredentials"], json!(scopes), "{key}");
            for status in ["201", "400", "401", "403", "413", "415", "429", "500", "503"] {
                assert!(operation["responses"][status]["content"].is_object(), "{key} {status}");
            }
        }
        assert_eq!(routes()[0].scopes(), [format!("{RESOURCE_SERVER}/write")]);
    }
}
