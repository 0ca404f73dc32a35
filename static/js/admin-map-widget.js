/* Starts the admin's map widgets (Django's OLMapWidget.js) from the options each carries as JSON
   (core/templates/core/widgets/map.html), with MAP_TILE_URL's tiles as background or none. */
(function () {
  "use strict";
  function start() {
    document.querySelectorAll(".dj_map_wrapper > script[type='application/json']").forEach(function (node) {
      var options = JSON.parse(node.textContent);
      options.base_layer = options.tile_url
        ? new ol.layer.Tile({ source: new ol.source.XYZ({ url: options.tile_url,
            attributions: options.tile_attribution || undefined }) })
        // Without a layer of its own, the widget would fetch OpenStreetMap's tiles.
        : new ol.layer.Vector({ source: new ol.source.Vector() });
      // As Django's inline script did: the widget is a global named after its field.
      window[options.module] = new MapWidget(options);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
