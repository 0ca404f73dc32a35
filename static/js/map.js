/* The map page (templates/gis/map.html): hazardous areas, incidents and boundaries drawn from vector
   tiles (/tiles/<layer>/{z}/{x}/{y}.pbf, which count records in cells where a tile holds too many),
   the smaller layers loaded one box at a time from /map/layers/<layer>/, a popup with a link to the
   record, and beside the map the same records as plain links, for keyboard and screen-reader users.
   Needs OpenLayers' full build (static/vendor/ol/ol.js, the global `ol`).

   For tests and scripts: `#map[data-loaded]` is "true" once every shown layer answered for the
   current view, and `window.imsMap` holds { map, layers, counts } (records per layer in view). */
(function () {
  'use strict';
  var target = document.getElementById('map');
  var configElement = document.getElementById('map-config');
  if (!target || !configElement || !window.ol) return;
  var config = JSON.parse(configElement.textContent);
  var text = config.text;
  var geojson = new ol.format.GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });
  var byName = {};
  var landColours = {};
  config.landClasses.forEach(function (item) { landColours[item.value] = item.colour; });
  config.layers.forEach(function (layer) { byName[layer.name] = layer; });

  function rgba(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }

  // --- Styles ---------------------------------------------------------------------------
  var styleCache = {};
  function cached(key, make) { return styleCache[key] || (styleCache[key] = make()); }

  // Status reads from the outline and the fill's strength, colour tells the land class.
  var RELEASE = { open: { dash: undefined, fill: 0.45 }, partially_released: { dash: [8, 5], fill: 0.22 },
                  released: { dash: [2, 4], fill: 0.06 } };
  function hazardStyle(feature, resolution) {
    // At national zoom the server counts areas in cells when there are too many to send.
    if (feature.get('count')) return groupStyle(feature.get('count'), HAZARD_GROUP, 'square');
    var colour = landColours[feature.get('land_class')] || '#4f575e';
    var release = RELEASE[feature.get('release')] || RELEASE.open;
    var geometry = feature.getGeometry();
    var extent = geometry.getExtent();
    // An area smaller than a few pixels is drawn as a mark, so that it is seen at national zoom; the
    // tiles send an area too small for their grid as a point.
    var tiny = geometry.getType() === 'Point' ||
      ((extent[2] - extent[0]) / resolution < 5 && (extent[3] - extent[1]) / resolution < 5);
    var key = colour + feature.get('release') + tiny;
    return cached(key, function () {
      if (tiny) {
        return new ol.style.Style({
          geometry: function (f) { var e = f.getGeometry().getExtent(); return new ol.geom.Point(ol.extent.getCenter(e)); },
          image: new ol.style.RegularShape({ points: 4, radius: 5, angle: Math.PI / 4,
            fill: new ol.style.Fill({ color: rgba(colour, Math.max(release.fill, 0.3)) }),
            stroke: new ol.style.Stroke({ color: colour, width: 1.5, lineDash: release.dash }) })
        });
      }
      return new ol.style.Style({
        fill: new ol.style.Fill({ color: rgba(colour, release.fill) }),
        stroke: new ol.style.Stroke({ color: colour, width: 2, lineDash: release.dash })
      });
    });
  }

  function pointStyle(name, shape) {
    var colour = (byName[name] && byName[name].colour) || '#4f575e';
    return function () {
      return cached(name, function () {
        var fill = new ol.style.Fill({ color: colour });
        var stroke = new ol.style.Stroke({ color: '#fff', width: 1.5 });
        var image = shape === 'circle' ? new ol.style.Circle({ radius: 6, fill: fill, stroke: stroke })
          : new ol.style.RegularShape({ points: 4, radius: 7, angle: shape === 'square' ? Math.PI / 4 : 0,
                                        fill: fill, stroke: stroke });
        return new ol.style.Style({ image: image });
      });
    };
  }

  var HAZARD_GROUP = '#7a2e0e';
  // A group is drawn in its layer's colour (white figures on it keep 4.5:1) with its count.
  function groupStyle(total, colour, shape) {
    var radius = Math.min(26, 10 + Math.round(Math.log10(total) * 5));
    return cached('group' + colour + shape + total, function () {
      var fill = new ol.style.Fill({ color: colour });
      var stroke = new ol.style.Stroke({ color: '#fff', width: 2 });
      var image = shape === 'circle' ? new ol.style.Circle({ radius: radius, fill: fill, stroke: stroke })
        : new ol.style.RegularShape({ points: 4, radius: radius * 1.25, angle: shape === 'square' ? Math.PI / 4 : 0,
                                      fill: fill, stroke: stroke });
      return new ol.style.Style({
        image: image,
        text: new ol.style.Text({ text: total.toLocaleString(document.documentElement.lang),
                                  font: 'bold 12px system-ui, sans-serif', fill: new ol.style.Fill({ color: '#fff' }) })
      });
    });
  }

  function recordsIn(feature) {
    // A feature of a cluster source holds its members; a server group counts its records.
    var members = feature.get('features') || [feature];
    return members.reduce(function (sum, member) { return sum + (member.get('count') || 1); }, 0);
  }

  function pointOrGroupStyle(name, shape) {
    var single = pointStyle(name, shape);
    var colour = (byName[name] && byName[name].colour) || '#4f575e';
    return function (feature) {
      var total = recordsIn(feature);
      return total > 1 ? groupStyle(total, colour, shape) : single(feature);
    };
  }

  // Régions heavier than the cercles and communes drawn inside them.
  var boundaryStyles = [new ol.style.Style({ stroke: new ol.style.Stroke({ color: '#4f575e', width: 1.5 }) }),
                        new ol.style.Style({ stroke: new ol.style.Stroke({ color: '#6c757d', width: 0.8 }) })];
  function boundaryStyle(feature) { return boundaryStyles[(feature.get('level') || 1) > 1 ? 1 : 0]; }

  // --- Layers -----------------------------------------------------------------------------
  var layers = {};
  var sources = {};
  function addLayer(name, olLayer, source) {
    if (!byName[name]) return;
    olLayer.setVisible(byName[name].visible);
    olLayer.set('name', name);
    layers[name] = olLayer;
    sources[name] = source;
  }

  var baseLayers = [];
  if (config.tileUrl) {
    baseLayers.push(new ol.layer.Tile({ source: new ol.source.XYZ({ url: config.tileUrl,
      attributions: config.tileAttribution || undefined }) }));
  }

  // Tiles are drawn at the web map's zooms (256-pixel tiles), which the server's cells follow; past
  // `maxZoom` the last tiles are enlarged, precise to a metre.
  var tileFailed = {};
  function tiled(name, style, zIndex, maxZoom) {
    if (!byName[name] || !byName[name].tiles) return;
    var source = new ol.source.VectorTile({
      format: new ol.format.MVT({ featureClass: ol.Feature }), url: byName[name].tiles, maxZoom: maxZoom,
      tileSize: 256
    });
    source.on('tileloaderror', function () { tileFailed[name] = true; });
    addLayer(name, new ol.layer.VectorTile({ source: source, style: style, zIndex: zIndex }), source);
  }
  tiled('boundaries', boundaryStyle, 1, 12);
  tiled('hazards', hazardStyle, 2, 14);
  var activitySource = new ol.source.Vector();
  addLayer('activities', new ol.layer.Vector({ source: new ol.source.Cluster({ distance: 30, source: activitySource }),
    style: pointOrGroupStyle('activities', 'square'), zIndex: 3 }), activitySource);
  var reportSource = new ol.source.Vector();
  addLayer('community-reports', new ol.layer.Vector({ source: new ol.source.Cluster({ distance: 30, source: reportSource }),
    style: pointOrGroupStyle('community-reports', 'diamond'), zIndex: 4 }), reportSource);
  tiled('incidents', pointOrGroupStyle('incidents', 'circle'), 5, 14);

  var popupElement = document.getElementById('map-popup');
  var popup = new ol.Overlay({ element: popupElement, autoPan: { animation: { duration: 200 } }, stopEvent: true });
  var controls = ol.control.defaults.defaults({ attributionOptions: { collapsible: true } });
  var map = new ol.Map({
    target: target,
    layers: baseLayers.concat(Object.keys(layers).map(function (name) { return layers[name]; })),
    overlays: [popup],
    controls: controls,
    view: new ol.View({ center: [0, 0], zoom: 2, maxZoom: 19 })
  });
  if (config.extent) {
    map.getView().fit(ol.proj.transformExtent(config.extent, 'EPSG:4326', 'EPSG:3857'),
                      { size: map.getSize(), padding: [10, 10, 10, 10] });
  }

  // --- Loading: the small layers one box at a time, the tiled ones read from their tiles in view ---
  var counts = {};
  var answers = {};
  var pending = {};
  var loadTimer = null;
  var boxesLoaded = false;

  function isTiled(name) { return Boolean(byName[name].tiles); }

  function describe(name, feature) {
    // A tile's feature carries its record's id, a GeoJSON one the record page's URL.
    var url = feature.get('url');
    var id = feature.getId();
    if (!url && byName[name].recordUrl && id !== undefined) url = byName[name].recordUrl.replace('{id}', id);
    return { reference: feature.get('reference') || feature.get('name') || feature.get('pcode'), url: url };
  }

  // What a tiled layer shows in view, as a box's answer says it. An area or a record cut by tile edges
  // comes in several tiles (counted once, by id); where some of the view is counted in cells, a record
  // counts only in the tile that owns it (`in_tile`), as the cells do, so that none counts twice.
  function tiledAnswer(name) {
    var extent = map.getView().calculateExtent(map.getSize());
    var features = sources[name].getFeaturesInExtent(extent);
    var cells = new Set();
    var answer = { zoom: Math.round(map.getView().getZoom()), records: 0, grouped: false, truncated: false, features: [] };
    features.forEach(function (feature) {
      var count = feature.get('count');
      if (!count || cells.has(feature)) return;
      cells.add(feature);
      answer.grouped = true;
      answer.records += count;
    });
    var ids = new Set();
    features.forEach(function (feature) {
      if (feature.get('count')) return;
      if (answer.grouped && feature.get('in_tile') === false) return;
      var id = feature.getId();
      if (ids.has(id)) return;
      ids.add(id);
      answer.records += 1;
      answer.features.push({ properties: describe(name, feature) });
    });
    answer.features.sort(function (a, b) { return String(a.properties.reference).localeCompare(String(b.properties.reference)); });
    if (tileFailed[name]) answer.failed = true;
    return answer;
  }

  function viewBox() {
    var extent = ol.proj.transformExtent(map.getView().calculateExtent(map.getSize()), 'EPSG:3857', 'EPSG:4326');
    var west = Math.max(-180, extent[0]), south = Math.max(-85, extent[1]);
    var east = Math.min(180, extent[2]), north = Math.min(85, extent[3]);
    return [west, south, east, north].map(function (v) { return v.toFixed(5); }).join(',');
  }

  function load(name) {
    var source = sources[name];
    if (isTiled(name)) return Promise.resolve();
    if (pending[name]) pending[name].abort();
    if (!layers[name].getVisible()) { source.clear(); delete answers[name]; delete counts[name]; return Promise.resolve(); }
    var controller = new AbortController();
    pending[name] = controller;
    var zoom = Math.max(0, Math.round(map.getView().getZoom()));
    var url = byName[name].url + '?bbox=' + viewBox() + '&zoom=' + zoom;
    return fetch(url, { credentials: 'same-origin', signal: controller.signal, headers: { Accept: 'application/geo+json' } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (answer) {
        source.clear(true);
        source.addFeatures(geojson.readFeatures(answer));
        answers[name] = answer;
        counts[name] = answer.records;
      })
      .catch(function (error) {
        if (error.name === 'AbortError') throw error;
        answers[name] = { failed: true };
        counts[name] = 0;
      })
      .finally(function () { if (pending[name] === controller) delete pending[name]; });
  }

  function loadAll() {
    boxesLoaded = false;
    target.dataset.loaded = 'false';
    status.textContent = text.loading;
    var names = Object.keys(layers);
    Promise.all(names.map(load)).then(function () {
      boxesLoaded = true;
      // The tiles may have come first: a render that completes tells the page (below).
      map.render();
    }, function () { /* A newer view's load replaced this one. */ });
  }

  // Once the boxes have answered and every tile in view is loaded and drawn (what `rendercomplete`
  // means), the status and the list follow.
  map.on('rendercomplete', function () {
    if (!boxesLoaded || target.dataset.loaded === 'true') return;
    Object.keys(layers).forEach(function (name) {
      if (!isTiled(name)) return;
      if (layers[name].getVisible()) {
        answers[name] = tiledAnswer(name);
        counts[name] = answers[name].records;
      } else {
        delete answers[name];
        delete counts[name];
      }
    });
    showStatus();
    listRecords();
    target.dataset.loaded = 'true';
  });

  map.on('moveend', function () {
    tileFailed = {};
    boxesLoaded = false;
    target.dataset.loaded = 'false';
    clearTimeout(loadTimer);
    loadTimer = setTimeout(loadAll, 150);
  });

  // --- The keyboard and screen-reader route: status, and the records as links ---------------
  var status = document.getElementById('map-status');
  var recordList = document.getElementById('map-records');

  function showStatus() {
    status.textContent = '';
    var parts = [];
    var cut = false;
    Object.keys(layers).forEach(function (name) {
      var answer = answers[name];
      if (!answer || name === 'boundaries') return;
      if (answer.failed) { parts.push(byName[name].label + ': ' + text.failed); return; }
      var part = byName[name].label + ': ' + answer.records.toLocaleString(document.documentElement.lang);
      if (answer.grouped) part += ' (' + text.grouped + ')';
      if (answer.truncated) { part += '+'; cut = true; }
      parts.push(part);
    });
    status.appendChild(document.createTextNode(parts.join(' · ')));
    if (cut) {
      var warn = document.createElement('span');
      warn.className = 'warn';
      warn.textContent = ' ' + text.zoomIn;
      status.appendChild(warn);
    }
  }

  var LIST_LIMIT = 100;
  function listRecords() {
    recordList.textContent = '';
    Object.keys(layers).forEach(function (name) {
      var answer = answers[name];
      if (name === 'boundaries' || !answer || answer.failed) return;
      var heading = document.createElement('h3');
      heading.textContent = byName[name].label;
      recordList.appendChild(heading);
      var records = answer.features.filter(function (f) { return !f.properties.count; });
      if ((answer.grouped && !isTiled(name)) || !records.length) {
        var note = document.createElement('p');
        note.className = 'muted';
        note.textContent = answer.grouped ? text.zoomIn : text.none;
        recordList.appendChild(note);
        return;
      }
      var list = document.createElement('ul');
      records.slice(0, LIST_LIMIT).forEach(function (f) { list.appendChild(recordItem(f.properties)); });
      recordList.appendChild(list);
      var grouped = answer.records - records.length;
      if (records.length > LIST_LIMIT || answer.truncated || grouped > 0) {
        var more = document.createElement('p');
        more.className = 'muted';
        var left = answer.truncated ? '…' : Math.max(records.length - LIST_LIMIT, 0) + grouped;
        more.textContent = text.more.replace('%(count)s', typeof left === 'number' ? left.toLocaleString(document.documentElement.lang) : left);
        recordList.appendChild(more);
      }
    });
  }

  function recordItem(properties) {
    var item = document.createElement('li');
    if (properties.url) {
      var link = document.createElement('a');
      link.href = properties.url;
      link.textContent = properties.reference;
      item.appendChild(link);
    } else {
      item.textContent = properties.reference;
    }
    return item;
  }

  // --- Checkboxes --------------------------------------------------------------------------
  document.querySelectorAll('.map-layers input[name=layer]').forEach(function (box) {
    if (!layers[box.value]) return;
    layers[box.value].setVisible(box.checked);
    box.addEventListener('change', function () {
      layers[box.value].setVisible(box.checked);
      popup.setPosition(undefined);
      popupElement.hidden = true;
      loadAll();
    });
  });

  // --- Popup ---------------------------------------------------------------------------------
  var popupBody = popupElement.querySelector('.map-popup-body');
  function closePopup() { popup.setPosition(undefined); popupElement.hidden = true; }
  popupElement.querySelector('.map-popup-close').addEventListener('click', function () { closePopup(); target.focus(); });
  popupElement.addEventListener('keydown', function (event) { if (event.key === 'Escape') { closePopup(); target.focus(); } });

  function openPopup(coordinate, layerName, members) {
    popupBody.textContent = '';
    var title = document.createElement('p');
    var strong = document.createElement('strong');
    strong.textContent = byName[layerName].label;
    title.appendChild(strong);
    popupBody.appendChild(title);
    var records = members.filter(function (f) { return !f.get('count'); });
    var total = members.reduce(function (sum, f) { return sum + (f.get('count') || 1); }, 0);
    if (records.length === 1 && total === 1) {
      var properties = describe(layerName, records[0]);
      var line = document.createElement('p');
      line.textContent = properties.reference;
      popupBody.appendChild(line);
      if (properties.url) {
        var link = document.createElement('a');
        link.href = properties.url;
        link.textContent = text.open;
        popupBody.appendChild(link);
      }
    } else {
      var count = document.createElement('p');
      count.textContent = total.toLocaleString(document.documentElement.lang) + ' ' + text.records;
      popupBody.appendChild(count);
      if (records.length && records.length === total && total <= 8) {
        var list = document.createElement('ul');
        records.forEach(function (f) { list.appendChild(recordItem(describe(layerName, f))); });
        popupBody.appendChild(list);
      }
      var zoom = document.createElement('button');
      zoom.type = 'button';
      zoom.className = 'small';
      zoom.textContent = text.zoomHere;
      zoom.addEventListener('click', function () {
        closePopup();
        map.getView().animate({ center: coordinate, zoom: map.getView().getZoom() + 2, duration: 250 });
      });
      popupBody.appendChild(zoom);
    }
    popupElement.hidden = false;
    popup.setPosition(coordinate);
  }

  map.on('singleclick', function (event) {
    var hit = null;
    map.forEachFeatureAtPixel(event.pixel, function (feature, layer) {
      if (!layer || layer.get('name') === 'boundaries') return false;
      hit = { feature: feature, name: layer.get('name') };
      return true;
    }, { hitTolerance: 4 });
    if (!hit) { closePopup(); return; }
    var members = hit.feature.get('features') || [hit.feature];
    openPopup(event.coordinate, hit.name, members);
  });
  map.on('pointermove', function (event) {
    if (event.dragging) return;
    var over = map.hasFeatureAtPixel(event.pixel, { layerFilter: function (l) { return l.get('name') !== 'boundaries'; } });
    target.style.cursor = over ? 'pointer' : '';
  });

  window.imsMap = { map: map, layers: layers, counts: counts, answers: answers };
})();
