// Cairn's API documentation page (/v1/docs): Swagger UI, vendored from npm
// (server/web/static/vendor/swagger-ui), over the schema this server publishes.
// Nothing is loaded from another host: no validator badge, no remote schema.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-schema"),
    domNode: root,
    validatorUrl: null,
    deepLinking: true,
    // Tokens typed into "Authorize" stay in this tab's memory only.
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
})();
