// The API's documentation page (/docs): Swagger UI from web/node_modules reading this server's
// /openapi.json. The validator badge is off: it would send the document to another origin.
window.medatlasDocs = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  validatorUrl: null,
  deepLinking: true,
  defaultModelsExpandDepth: 0,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
