// Cairn console: maps only. Every value from the field reaches the page through
// textContent, never as markup. No network request leaves this server.
"use strict";
(function () {
  var FORM_COLOURS = ["#0b5cad", "#b3261e", "#1a7f37", "#8250df", "#9a6700", "#0e7c86", "#57606a"];

  function baseMap(el) {
    var map = L.map(el, { attributionControl: false });
    var tiles = el.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    }
    L.control.scale({ imperial: false }).addTo(map);
    return map;
  }

  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value == null ? "" : String(value);
    if (cls) node.className = cls;
    return node;
  }

  function popup(props, project) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    // Record ids are scoped to their project: the page names it.
    link.href = "/r/" + encodeURIComponent(props.record_id) +
      "?project=" + encodeURIComponent(project);
    link.textContent = props.identifier || props.record_id;
    link.className = "popup-title";
    box.appendChild(link);
    box.appendChild(text("span", props.form + " · " + props.review_state));
    return box;
  }

  function recordMap(el) {
    var point = JSON.parse(el.getAttribute("data-point"));
    var map = baseMap(el);
    map.setView([point.lat, point.lon], 17);
    L.circleMarker([point.lat, point.lon], { radius: 9, color: "#b3261e", weight: 3 }).addTo(map);
  }

  function projectMap(el) {
    var map = baseMap(el);
    var colours = {};
    var legend = document.getElementById("legend");
    fetch(el.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var bounds = [];
        (data.features || []).forEach(function (f) {
          if (!f.geometry || f.geometry.type !== "Point") return;
          var p = f.properties || {};
          var form = String(p.form || "").split("@")[0];
          if (!(form in colours)) {
            colours[form] = FORM_COLOURS[Object.keys(colours).length % FORM_COLOURS.length];
            var item = document.createElement("li");
            var sw = document.createElement("span");
            sw.className = "swatch";
            sw.style.background = colours[form];
            item.appendChild(sw);
            item.appendChild(text("span", form));
            legend.appendChild(item);
          }
          var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
          bounds.push(ll);
          L.circleMarker(ll, {
            radius: 7, fillColor: colours[form], fillOpacity: 0.9,
            color: p.review_state === "approved" ? "#ffffff" : "#111111",
            weight: p.review_state === "approved" ? 1 : 3
          }).bindPopup(popup(p, el.getAttribute("data-project"))).addTo(map);
        });
        if (bounds.length) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17 });
        else map.setView([0, 0], 2);
        el.setAttribute("data-markers", String(bounds.length));
      });
  }

  var one = document.getElementById("record-map");
  if (one) recordMap(one);
  var all = document.getElementById("project-map");
  if (all) projectMap(all);
})();
