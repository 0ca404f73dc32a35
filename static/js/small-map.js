/* What the small maps share (static/js/minimap.js on a record's page, static/js/pick-point.js
   under a latitude/longitude field): a base map only when `data-tile-url` is set on `<body>`
   (gis.context.map_settings; without it no request leaves the site), the administrative
   boundaries of the national database for context, and the page's scroll left to the wheel.
   Load it before them; it needs OpenLayers (static/vendor/ol/ol.js) only when called.

   imsSmallMap(target, layers) -> { map, loadBoundaries() }: `layers` are drawn above the
   boundaries; `loadBoundaries()` fetches those in the current view, once it is fitted. */
(function () {
  'use strict';
  window.imsSmallMap = function (target, layers) {
    var settings = document.body.dataset;
    var format = new ol.format.GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });
    var below = [];
    if (settings.tileUrl) {
      below.push(new ol.layer.Tile({ source: new ol.source.XYZ({ url: settings.tileUrl,
        attributions: settings.tileAttribution || undefined }) }));
    }
    var boundaries = new ol.source.Vector();
    below.push(new ol.layer.Vector({ source: boundaries,
      style: new ol.style.Style({ stroke: new ol.style.Stroke({ color: '#4f575e', width: 1.2 }) }) }));
    var map = new ol.Map({
      target: target,
      layers: below.concat(layers),
      controls: ol.control.defaults.defaults({ rotate: false, attributionOptions: { collapsible: true } }),
      // The page scrolls under the wheel; the map zooms with its buttons or a pinch.
      interactions: ol.interaction.defaults.defaults({ mouseWheelZoom: false }),
      view: new ol.View({ center: [0, 0], zoom: 2, maxZoom: 18 })
    });

    function loadBoundaries() {
      if (!settings.boundariesUrl) return;
      var view = map.getView();
      var box = ol.proj.transformExtent(view.calculateExtent(map.getSize()), 'EPSG:3857', 'EPSG:4326');
      var bbox = [Math.max(-180, box[0]), Math.max(-85, box[1]), Math.min(180, box[2]), Math.min(85, box[3])];
      fetch(settings.boundariesUrl + '?bbox=' + bbox.map(function (v) { return v.toFixed(5); }).join(',') +
            '&zoom=' + Math.max(0, Math.round(view.getZoom())), { credentials: 'same-origin' })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) { if (answer) boundaries.addFeatures(format.readFeatures(answer)); })
        .catch(function () { /* Context only: what the map is for is drawn without it. */ });
    }

    return { map: map, loadBoundaries: loadBoundaries };
  };
})();
