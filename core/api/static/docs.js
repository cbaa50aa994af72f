/* Swagger UI for /api/v1/openapi.json, started from this file (not inline) so the app's CSP holds.
   validatorUrl null: no request to the public validator; the page works offline. */
(function () {
    "use strict";
    var root = document.getElementById("swagger-ui");
    window.SwaggerUIBundle({
        url: root.getAttribute("data-spec-url"),
        domNode: root,
        deepLinking: true,
        validatorUrl: null,
        tryItOutEnabled: true,
        presets: [window.SwaggerUIBundle.presets.apis],
        layout: "BaseLayout",
    });
}());
