/**
 * What one gateway Lambda serves, written into its archive as `routes.json` (static: it comes from
 * the spec, so the JSON Schemas of request bodies travel with the code, not in environment
 * variables, whose total size Lambda caps at 4 KB).
 */
export interface GatewayRoute {
  /** API Gateway route key: `POST /embedding-service/embed` */
  routeKey: string;
  /** class method, or null for a function endpoint */
  method: string | null;
  public: boolean;
  /** JSON Schema of the body (from the zod schema in code), or null */
  bodySchema: Record<string, unknown> | null;
  /** whether the endpoint's function takes arguments (GET endpoints get the query as one) */
  takesArgs: boolean;
}

export interface GatewayConfig {
  /** the unit behind the routes: function name, class name */
  declaration: string;
  routes: GatewayRoute[];
  /** `GET <resultPath>/{callId}` waits for a call that outlived the synchronous window */
  resultPath: string;
  /** `GET` routes serving the OpenAPI document and its docs page, when an endpoint asks for docs */
  openapiPath: string | null;
  docsPath: string | null;
}

/** The OpenAPI 3.1 document of a gateway's routes (bodies are the zod schemas as JSON Schema). */
export function openApiDocument(config: GatewayConfig, title: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of config.routes) {
    const [method, path] = route.routeKey.split(" ");
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      operationId: route.method ?? config.declaration,
      ...(route.public ? { security: [] } : {}),
      ...(route.bodySchema ? { requestBody: { required: true, content: { "application/json": { schema: route.bodySchema } } } } : {}),
      responses: {
        "200": { description: "the function's result, as JSON" },
        "303": { description: "still running: follow Location to wait for the result" },
        ...(route.public ? {} : { "401": { description: "missing or wrong bearer token" } }),
        "422": { description: "the body does not match the schema; the zod issues are listed" },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title, version: "1" },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths,
  };
}
