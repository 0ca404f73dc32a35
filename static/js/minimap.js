/* The small map of a record's page (templates/core/record_detail.html): draws the record's geometry
   (`#record-geometry`, GeoJSON in EPSG:4326) in `#minimap` and fits the view to it. Needs
   OpenLayers' full build (static/vendor/ol/ol.js) and static/js/small-map.js loaded first. */
(function () {
  'use strict';
  var target = document.getElementById('minimap');
  var source = document.getElementById('record-geometry');
  if (!target || !source || !window.ol || !window.imsSmallMap) return;
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

  var small = window.imsSmallMap(target, [
    new ol.layer.Vector({ source: new ol.source.Vector({ features: [feature] }), style: style })
  ]);
  var map = small.map;
  var extent = feature.getGeometry().getExtent();
  // Without a base map a lone point needs the boundaries around it to be placed: zoom out to them.
  var maxZoom = feature.getGeometry().getType() === 'Point' && !settings.tileUrl ? 8 : 14;
  map.getView().fit(extent, { size: map.getSize(), padding: [30, 30, 30, 30], maxZoom: maxZoom });

  small.loadBoundaries();
  target.dataset.loaded = 'true';
})();
