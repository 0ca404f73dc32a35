/* Drawing a hazardous area's polygon on a map (OpenLayers 7.2.2, static/vendor/ol/ol.js).
 *
 * The form works without this script: the polygon is pasted into its text field (GeoJSON or WKT)
 * or loaded from a file, which the server reads. With it, the map shows what the text field
 * holds, drawing or moving corners writes GeoJSON (WGS84) back into that field, and a chosen
 * file is previewed (the server still reads the file itself when the form is saved).
 */
(function () {
  "use strict";

  function start(container) {
    var input = document.getElementById(container.dataset.input);
    var fileInput = document.getElementById(container.dataset.fileInput);
    if (!input || typeof ol === "undefined") {
      return;
    }
    container.hidden = false;
    var status = container.querySelector(".draw-status");
    var mapElement = container.querySelector(".draw-map");
    var projections = { dataProjection: "EPSG:4326", featureProjection: "EPSG:3857" };
    var geojson = new ol.format.GeoJSON();
    var wkt = new ol.format.WKT();
    var source = new ol.source.Vector();
    var stroke = new ol.style.Stroke({ color: "#a4260e", width: 2 });
    var layers = [];
    if (container.dataset.tiles) {
      layers.push(new ol.layer.Tile({
        source: new ol.source.XYZ({ url: container.dataset.tiles, attributions: container.dataset.attribution || undefined })
      }));
    } else {
      // No background tiles configured (offline): degrees still tell where one is.
      layers.push(new ol.layer.Graticule({ showLabels: true, wrapX: false, strokeStyle: new ol.style.Stroke({ color: "rgba(0,0,0,0.25)", width: 1 }) }));
    }
    layers.push(new ol.layer.Vector({
      source: source,
      style: new ol.style.Style({ stroke: stroke, fill: new ol.style.Fill({ color: "rgba(164,38,14,0.15)" }) })
    }));
    var map = new ol.Map({ target: mapElement, layers: layers, view: new ol.View({ center: [0, 0], zoom: 2 }) });

    function fitTo(extent) {
      if (extent && isFinite(extent[0])) {
        map.getView().fit(extent, { padding: [20, 20, 20, 20], maxZoom: 17 });
      }
    }

    function fitCountry() {
      var box = (container.dataset.extent || "").split(",").map(Number);
      if (box.length === 4 && box.every(isFinite)) {
        fitTo(ol.proj.transformExtent(box, "EPSG:4326", "EPSG:3857"));
      }
    }

    function readText(text) {
      text = (text || "").trim();
      if (!text) {
        return [];
      }
      try {
        if (text.charAt(0) === "{") {
          return geojson.readFeatures(JSON.parse(text), projections);
        }
        return wkt.readFeatures(text, projections);
      } catch (error) {
        // Unreadable here is not final: the server says what is wrong with it.
        return null;
      }
    }

    function showText() {
      var features = readText(input.value);
      if (features === null) {
        return;
      }
      source.clear();
      source.addFeatures(features);
    }

    function polygonsOf(feature) {
      var geometry = feature.getGeometry();
      if (!geometry) {
        return [];
      }
      var type = geometry.getType();
      if (type === "Polygon") {
        return [geometry];
      }
      if (type === "MultiPolygon") {
        return geometry.getPolygons();
      }
      return [];
    }

    function writeText() {
      var coordinates = [];
      source.getFeatures().forEach(function (feature) {
        polygonsOf(feature).forEach(function (polygon) {
          var object = geojson.writeGeometryObject(polygon, { dataProjection: "EPSG:4326", featureProjection: "EPSG:3857", decimals: 7 });
          coordinates.push(object.coordinates);
        });
      });
      input.value = coordinates.length ? JSON.stringify({ type: "MultiPolygon", coordinates: coordinates }) : "";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    var modify = new ol.interaction.Modify({ source: source });
    modify.on("modifyend", writeText);
    map.addInteraction(modify);

    var draw = null;
    var buttons = container.querySelectorAll("[data-action]");

    function pressed(action) {
      buttons.forEach(function (button) {
        if (button.dataset.action === "draw" || button.dataset.action === "add") {
          button.setAttribute("aria-pressed", String(button.dataset.action === action));
        }
      });
    }

    function stopDrawing() {
      if (draw) {
        map.removeInteraction(draw);
        draw = null;
      }
      pressed(null);
    }

    function startDrawing(action) {
      stopDrawing();
      if (action === "draw") {
        source.clear();
        writeText();
      }
      draw = new ol.interaction.Draw({ source: source, type: "Polygon" });
      draw.on("drawend", function () {
        // The feature is added to the source after this event: write once it is there.
        setTimeout(function () {
          writeText();
          stopDrawing();
        }, 0);
      });
      map.addInteraction(draw);
      pressed(action);
      mapElement.focus();
    }

    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.dataset.action;
        if (action === "clear") {
          stopDrawing();
          source.clear();
          writeText();
        } else {
          startDrawing(action);
        }
      });
    });

    mapElement.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && draw) {
        draw.abortDrawing();
        stopDrawing();
      }
    });

    var typing = null;
    input.addEventListener("input", function () {
      clearTimeout(typing);
      typing = setTimeout(function () {
        showText();
        if (source.getFeatures().length) {
          fitTo(source.getExtent());
        }
      }, 400);
    });

    if (fileInput) {
      fileInput.addEventListener("change", function () {
        var file = fileInput.files && fileInput.files[0];
        if (!file || !window.FileReader) {
          return;
        }
        var name = file.name.toLowerCase();
        var format = name.endsWith(".kml") ? new ol.format.KML({ extractStyles: false, showPointNames: false })
          : name.endsWith(".gpx") ? new ol.format.GPX()
          : new ol.format.GeoJSON();
        var reader = new FileReader();
        reader.onload = function () {
          try {
            var features = format.readFeatures(reader.result, projections);
            source.clear();
            source.addFeatures(features);
            fitTo(source.getExtent());
            status.textContent = status.dataset.filePreviewText;
          } catch (error) {
            status.textContent = status.dataset.filePreviewError;
          }
        };
        reader.readAsText(file);
      });
    }

    showText();
    if (source.getFeatures().length) {
      fitTo(source.getExtent());
    } else {
      fitCountry();
    }
  }

  function init() {
    document.querySelectorAll("[data-draw-polygon]").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
