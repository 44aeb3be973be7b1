/* The map of "events near me" (Leaflet from static/vendor, tiles from the server
 * named by MAP_TILES_URL). The list beside it holds the same events and works
 * without JavaScript; the map only adds their places. No inline code (CSP). */
(function () {
  "use strict";

  function start() {
    var element = document.getElementById("near-map");
    var data = document.getElementById("near-markers");
    if (!element || !data || !window.L) {
      return;
    }
    var markers = JSON.parse(data.textContent);
    if (!markers.length) {
      element.hidden = true;
      return;
    }
    var map = window.L.map(element, {scrollWheelZoom: false});
    window.L.tileLayer(element.dataset.tiles, {
      maxZoom: 18,
      attribution: element.dataset.attribution
    }).addTo(map);
    var points = [];
    markers.forEach(function (marker) {
      var link = document.createElement("a");
      link.href = marker.url;
      link.textContent = marker.title + " (" + marker.when + ")";
      window.L.marker([marker.lat, marker.lon], {title: marker.title, alt: marker.title})
        .addTo(map).bindPopup(link);
      points.push([marker.lat, marker.lon]);
    });
    map.fitBounds(points, {padding: [24, 24], maxZoom: 13});
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
