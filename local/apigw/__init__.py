"""The orders API served locally as API Gateway (HTTP API) serves it in AWS,
from the configuration applied to the emulator: routes, Lambda proxy
integrations (payload format 2.0), JWT authorizers and route scopes, stage
throttling, the 10 MB payload limit, CORS and access logs; and the Cognito
client-credentials token endpoint those authorizers trust.

Nothing here names a route, a scope or a client: everything is read from
the emulator's apigatewayv2 and cognito-idp resources on each request, so a
route or authorizer tfgen adds is served as applied, and a change made to
the applied configuration takes effect at once.
"""
