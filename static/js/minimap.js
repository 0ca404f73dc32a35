/* The small map of a record's page (templates/core/record_detail.html): draws the record's geometry
   (`#record-geometry`, GeoJSON in EPSG:4326) in `#minimap` and fits the view to it. Needs
   OpenLayers' full build (static/vendor/ol/ol.js) loaded first.

   Settings come from `<body>` data attributes (gis.context.map_settings): `data-tile-url` (a
   base map; without it, none, and no request leaves the site) and `data-boundaries-url` (the
   administrative boundaries from the national database, drawn for context). */
(function () {
  'use strict';
  var target = document.getElementById('minimap');
  var source = document.getElementById('record-geometry');
  if (!target || !source || !window.ol) return;
  var geometry = JSON.parse(source.textContent);
  // The page may give the GeoJSON as a JSON string holding it.
  if (typeof geometry === 'string') geometry = JSON.parse(geometry);
  if (!geometry) return;

  var settings = document.body.dataset;
  var format = new ol.format.GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });
  var feature = new ol.Feature(format.readGeometry(geometry));
  var colour = '#a4260e';
  var style = new ol.style.Style({
    fill: new ol.style.Fill({ color: 'rgba(164, 38, 14, 0.3)' }),
    stroke: new ol.style.Stroke({ color: colour, width: 2.5 }),
    image: new ol.style.Circle({ radius: 7, fill: new ol.style.Fill({ color: colour }),
                                 stroke: new ol.style.Stroke({ color: '#fff', width: 2 }) })
  });

  var layers = [];
  if (settings.tileUrl) {
    layers.push(new ol.layer.Tile({ source: new ol.source.XYZ({ url: settings.tileUrl,
      attributions: settings.tileAttribution || undefined }) }));
  }
  var boundaries = new ol.source.Vector();
  layers.push(new ol.layer.Vector({ source: boundaries,
    style: new ol.style.Style({ stroke: new ol.style.Stroke({ color: '#4f575e', width: 1.2 }) }) }));
  layers.push(new ol.layer.Vector({ source: new ol.source.Vector({ features: [feature] }), style: style }));

  var map = new ol.Map({
    target: target,
    layers: layers,
    controls: ol.control.defaults.defaults({ rotate: false, attributionOptions: { collapsible: true } }),
    // The page scrolls under the wheel; the map zooms with its buttons or a pinch.
    interactions: ol.interaction.defaults.defaults({ mouseWheelZoom: false }),
    view: new ol.View({ maxZoom: 18 })
  });
  var extent = feature.getGeometry().getExtent();
  // Without a base map a lone point needs the boundaries around it to be placed: zoom out to them.
  var maxZoom = feature.getGeometry().getType() === 'Point' && !settings.tileUrl ? 8 : 14;
  map.getView().fit(extent, { size: map.getSize(), padding: [30, 30, 30, 30], maxZoom: maxZoom });

  if (settings.boundariesUrl) {
    var view = map.getView();
    var box = ol.proj.transformExtent(view.calculateExtent(map.getSize()), 'EPSG:3857', 'EPSG:4326');
    var bbox = [Math.max(-180, box[0]), Math.max(-85, box[1]), Math.min(180, box[2]), Math.min(85, box[3])];
    var zoom = Math.max(0, Math.round(view.getZoom()));
    fetch(settings.boundariesUrl + '?bbox=' + bbox.map(function (v) { return v.toFixed(5); }).join(',') + '&zoom=' + zoom,
          { credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer) boundaries.addFeatures(format.readFeatures(answer)); })
      .catch(function () { /* Context only: the record's own geometry is drawn without it. */ });
  }
  target.dataset.loaded = 'true';
})();
