/* Pick a point on a map for a latitude/longitude field (core.forms.LatLonField).

   Use: the widget's media (`LatLonWidget.Media`) loads static/js/small-map.js, then this file.
   Every `[data-point-picker]` (the widget template core/widgets/latlon.html, with its latitude
   input first and longitude second) gets a button that opens a small map under its inputs;
   OpenLayers (static/vendor/ol/ol.js, beside this file's folder) is fetched only then, so a form
   stays light on a slow link for whoever types the coordinates. A click or a tap on the map fills
   both inputs, and a point typed in the inputs moves the marker. Typing always works, without the
   map, offline or by keyboard; on the focused map, the arrow keys move it and Enter takes its
   centre. ol.css is added from beside ol.js when the page has not loaded it.

   The map itself is static/js/small-map.js's (load it first: `LatLonWidget.Media` does); from
   `<body>` (gis.context.map_settings) this file reads `data-map-extent` ("west,south,east,north",
   the first view when the field is empty) and `data-map-text` (the map's name and hint, translated). */
(function () {
  'use strict';
  var pickers = document.querySelectorAll('[data-point-picker]');
  if (!pickers.length || !window.imsSmallMap) return;
  var settings = document.body.dataset;
  var text = {};
  try { text = JSON.parse(settings.mapText || '{}'); } catch (error) { text = {}; }
  // static/js/pick-point.js -> static/vendor/ol/
  var here = document.currentScript ? document.currentScript.getAttribute('src') : '';
  var vendor = here.replace(/js\/pick-point\.js(\?.*)?$/, 'vendor/ol/');
  var markerStyle;

  function withOpenLayers(callback) {
    if (window.ol) { callback(); return; }
    if (!document.querySelector('link[href*="vendor/ol/ol.css"]')) {
      var link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = vendor + 'ol.css';
      document.head.appendChild(link);
    }
    var script = document.createElement('script');
    script.src = vendor + 'ol.js';
    script.onload = callback;
    document.head.appendChild(script);
  }

  pickers.forEach(function (picker, index) {
    var open = document.createElement('button');
    open.type = 'button';
    open.className = 'small pick-open';
    open.textContent = text.pickOpen || 'Map';
    open.style.flexBasis = '100%';
    open.style.maxWidth = 'max-content';
    picker.appendChild(open);
    open.addEventListener('click', function () {
      open.disabled = true;
      withOpenLayers(function () {
        open.remove();
        markerStyle = markerStyle || new ol.style.Style({
          image: new ol.style.Circle({ radius: 7, fill: new ol.style.Fill({ color: '#a4260e' }),
                                       stroke: new ol.style.Stroke({ color: '#fff', width: 2 }) })
        });
        setUp(picker, index);
      });
    });
  });

  function number(value) {
    // A French reader may type a decimal comma.
    var parsed = parseFloat(String(value).trim().replace(',', '.'));
    return isFinite(parsed) ? parsed : null;
  }

  function setValue(input, value) {
    input.value = value.toFixed(6);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function setUp(picker, index) {
    var inputs = picker.querySelectorAll('input');
    if (inputs.length < 2) return;
    var latitude = inputs[0], longitude = inputs[1];

    var hint = document.createElement('p');
    hint.className = 'hint';
    hint.id = 'pick-point-hint-' + index;
    hint.textContent = text.pickHint || '';
    // Without the settings' words, the map is named after the two fields it fills.
    var names = Array.prototype.map.call(picker.querySelectorAll('label'), function (l) { return l.textContent.trim(); });
    var element = document.createElement('div');
    element.className = 'pick-map';
    element.setAttribute('role', 'region');
    element.setAttribute('aria-label', text.pickLabel || names.join(' / '));
    element.setAttribute('aria-describedby', hint.id);
    element.tabIndex = 0;
    element.style.cssText = 'flex-basis:100%;width:100%;height:240px;border:1px solid #c9ccd0;border-radius:4px;margin-top:.4rem;background:#f7f6f2';
    hint.style.flexBasis = '100%';
    picker.appendChild(element);
    if (hint.textContent) picker.appendChild(hint); else element.removeAttribute('aria-describedby');

    var marker = new ol.Feature();
    var small = window.imsSmallMap(element, [
      new ol.layer.Vector({ source: new ol.source.Vector({ features: [marker] }), style: markerStyle })
    ]);
    var map = small.map;

    var extent = (settings.mapExtent || '').split(',').map(Number);
    if (extent.length === 4 && extent.every(isFinite)) {
      map.getView().fit(ol.proj.transformExtent(extent, 'EPSG:4326', 'EPSG:3857'), { size: map.getSize() });
    }

    function fromInputs(centre) {
      var lat = number(latitude.value), lon = number(longitude.value);
      if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
        marker.setGeometry(undefined);
        return;
      }
      var coordinate = ol.proj.fromLonLat([lon, lat]);
      marker.setGeometry(new ol.geom.Point(coordinate));
      if (centre) map.getView().animate({ center: coordinate, zoom: Math.max(map.getView().getZoom(), 11), duration: 0 });
    }

    function place(coordinate) {
      var lonLat = ol.proj.toLonLat(coordinate);
      setValue(latitude, lonLat[1]);
      setValue(longitude, lonLat[0]);
      marker.setGeometry(new ol.geom.Point(coordinate));
    }

    map.on('singleclick', function (event) { place(event.coordinate); });
    element.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && event.target === element) {
        event.preventDefault();
        place(map.getView().getCenter());
      }
    });
    [latitude, longitude].forEach(function (input) {
      input.addEventListener('change', function () { fromInputs(true); });
    });
    fromInputs(true);

    map.once('rendercomplete', small.loadBoundaries);
  }
})();
