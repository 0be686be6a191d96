/* The home page's map (handlers/web/templates/home.html): the open reports of /cases.geojson as
   circle markers coloured by tier, each with a popup linking to its case page, fitted to the
   pins. Served by the app with Leaflet (static/vendor/leaflet): no inline script, no CDN.
   Text from the data goes in with textContent only, never as HTML. */
(function () {
  "use strict";
  var COLOURS = { grid: "#2e7d32", community: "#f9a825", street: "#1565c0", district: "#c62828" };

  function popup(props, element) {
    var box = document.createElement("div");
    box.className = "pin";
    var link = document.createElement("a");
    link.href = props.url;
    link.textContent = props.number;
    link.title = element.dataset.openCase;
    var strong = document.createElement("strong");
    strong.appendChild(link);
    box.appendChild(strong);
    [props.category, props.place].forEach(function (text) {
      var line = document.createElement("div");
      line.textContent = text;
      box.appendChild(line);
    });
    if (props.overdue) {
      var late = document.createElement("div");
      late.className = "late";
      late.textContent = element.dataset.overdue;
      box.appendChild(late);
    }
    return box;
  }

  function draw(element, data) {
    var map = L.map(element, { preferCanvas: false });
    var options = { attribution: element.dataset.attribution || "", maxZoom: 19 };
    if (element.dataset.subdomains) {
      options.subdomains = element.dataset.subdomains;
    }
    L.tileLayer(element.dataset.tiles, options).addTo(map);
    var markers = [];
    data.features.forEach(function (feature) {
      var props = feature.properties;
      var lonlat = feature.geometry.coordinates;
      var colour = COLOURS[props.tier] || "#555";
      var marker = L.circleMarker([lonlat[1], lonlat[0]], {
        radius: props.overdue ? 9 : 7,
        color: props.overdue ? "#000" : colour,
        weight: props.overdue ? 3 : 1,
        fillColor: colour,
        fillOpacity: 0.85,
        className: "pin-" + props.tier
      });
      marker.bindPopup(function () { return popup(props, element); });
      marker.bindTooltip(props.number);
      marker.addTo(map);
      markers.push(marker);
    });
    if (markers.length) {
      map.fitBounds(L.featureGroup(markers).getBounds(), { padding: [24, 24], maxZoom: 17 });
    } else {
      map.setView([35.0, 105.0], 4);
    }
    element.dataset.markers = String(markers.length);
  }

  function start() {
    var element = document.getElementById("map");
    if (!element || typeof L === "undefined") {
      return;
    }
    fetch(element.dataset.pins, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("pins: " + response.status); }
        return response.json();
      })
      .then(function (data) { draw(element, data); })
      .catch(function () { element.dataset.markers = "error"; });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
