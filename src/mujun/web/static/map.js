// 挂图作战: the parcels in view (bounding-box GeoJSON), coloured by category or grade, over the
// boundaries of the counties and parks of one's area (with their names) and, when there is one,
// the county's own base map (an MBTiles file the application serves) or MUJUN_BASEMAP_URL's;
// with layer switches, a legend, a scale bar, search and a summary by name on click; and, when
// switched on, the 预警 layer: the live warnings on their parcels (outline and dot in the colour
// of the parcel's highest level), listed in the popup with a link to each. The words come from
// the page's JSON block (#page-data).
(async () => {
  const WORDS = JSON.parse(document.getElementById("page-data").textContent);
  const json = async url => { const response = await fetch(url); return response.ok ? response.json() : null; };
  const [extent, tileFile, outlines] = await Promise.all(
    [json("/api/map/extent"), json("/api/map/basemap"), json("/api/map/boundaries")]);
  const boundaryData = outlines || {type: "FeatureCollection", features: []};
  // Land under the parcels: the counties' outlines on a paler surround, or all land without any.
  const LAND = "#f3efe4", SURROUND = "#e3e8ec";
  const outlined = boundaryData.features.some(f => f.properties.level === "county");
  const style = {version: 8, sources: {}, layers: [{id: "background", type: "background", paint: {"background-color": outlined ? SURROUND : LAND}}]};
  const absolute = url => new URL(url, window.location.origin).href.replace(/%7B/g, "{").replace(/%7D/g, "}");
  if (tileFile) {
    style.sources.basemap = {
      type: "raster", tiles: tileFile.tiles.map(absolute), tileSize: 256,
      minzoom: tileFile.minzoom, maxzoom: tileFile.maxzoom, attribution: tileFile.attribution || undefined,
      ...(tileFile.bounds ? {bounds: tileFile.bounds} : {}),
    };
  } else if (WORDS.basemap) {
    style.sources.basemap = {type: "raster", tiles: [WORDS.basemap], tileSize: 256};
  }
  const withBasemap = Boolean(style.sources.basemap);
  if (withBasemap) style.layers.push({id: "basemap", type: "raster", source: "basemap"});
  // The first view: the whole area (its counties' outlines) as it would hang on a wall, else
  // where its parcels are.
  const counties = boundaryData.features.filter(f => f.properties.level === "county" && f.geometry.type !== "Point");
  const corners = counties.flatMap(f => (f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates).flat(2));
  const around = corners.length
    ? [Math.min(...corners.map(c => c[0])), Math.min(...corners.map(c => c[1])), Math.max(...corners.map(c => c[0])), Math.max(...corners.map(c => c[1]))]
    : extent && extent.bbox;
  const start = around
    ? {bounds: [[around[0], around[1]], [around[2], around[3]]], fitBoundsOptions: {padding: 20}}
    : {center: [119.7, 29.8], zoom: 9};
  const map = new maplibregl.Map({container: "map", style, ...start, attributionControl: {compact: true}});
  window.mujunMap = map;
  map.addControl(new maplibregl.NavigationControl({showCompass: false}), "top-right");
  map.addControl(new maplibregl.ScaleControl({unit: "metric", maxWidth: 160}), "bottom-left");
  let mode = "category";
  let shown = new Set(WORDS[mode].map(([c]) => c));
  const layers = document.getElementById("layers");
  const message = document.getElementById("message");
  const colour = () => ["match", ["get", mode], ...WORDS[mode].flatMap(([c, , hex]) => [c, hex]), "#8fa3b8"];
  const labelOf = (key, code) => (WORDS[key].find(([c]) => c === code) || [, code])[1];
  const link = (href, text) => Object.assign(document.createElement("a"), {href, textContent: text});
  const element = (tag, text, className) => Object.assign(document.createElement(tag), {textContent: text, ...(className ? {className} : {})});
  function legend() {
    layers.querySelectorAll("label").forEach(item => item.remove());
    for (const [code, label, hex] of WORDS[mode]) {
      const item = Object.assign(document.createElement("label"), {className: "form-check"});
      const box = Object.assign(document.createElement("input"), {type: "checkbox", checked: true, className: "form-check-input"});
      box.dataset.value = code;
      const swatch = Object.assign(document.createElement("span"), {className: "legend-swatch"});
      swatch.style.backgroundColor = hex;
      const text = Object.assign(document.createElement("span"), {className: "form-check-label"});
      text.append(swatch, label);
      item.append(box, text);
      layers.appendChild(item);
    }
  }
  function paint() {
    map.setPaintProperty("parcels", "fill-color", colour());
    map.setFilter("parcels", ["in", ["get", mode], ["literal", [...shown]]]);
  }
  legend();
  layers.addEventListener("change", event => {
    const code = event.target.dataset.value;
    event.target.checked ? shown.add(code) : shown.delete(code);
    paint();
  });
  document.getElementById("colouring").addEventListener("change", event => {
    mode = event.target.value;
    shown = new Set(WORDS[mode].map(([c]) => c));
    legend();
    paint();
  });

  // Boundaries: county outlines (a light land fill when there is no base map) and names; park
  // outlines, and their names once zoomed in. Each switch shows or hides its layers.
  const polygons = level => ["all", ["==", ["geometry-type"], "Polygon"], ["==", ["get", "level"], level]];
  const points = level => ["all", ["==", ["geometry-type"], "Point"], ["==", ["get", "level"], level]];
  const BOUNDARY_LAYERS = {
    county: ["county-fill", "county-line-halo", "county-line", "county-name"],
    park: ["park-fill", "park-line", "park-name"],
    basemap: ["basemap"],
  };
  const switches = document.getElementById("boundaries");
  if (withBasemap) document.getElementById("basemap-switch").hidden = false;
  switches.addEventListener("change", event => {
    for (const id of BOUNDARY_LAYERS[event.target.value] || []) {
      if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", event.target.checked ? "visible" : "none");
    }
  });
  function addBoundaries() {
    map.addSource("boundaries", {type: "geojson", data: boundaryData, tolerance: 0.2});
    map.addLayer({id: "county-fill", type: "fill", source: "boundaries", filter: polygons("county"),
      paint: {"fill-color": LAND, "fill-opacity": withBasemap ? 0 : 1}});
    map.addLayer({id: "park-fill", type: "fill", source: "boundaries", filter: polygons("park"),
      paint: {"fill-color": "#dbe7f7", "fill-opacity": withBasemap ? 0.25 : 0.7}});
  }
  function addBoundaryLines() {
    map.addLayer({id: "park-line", type: "line", source: "boundaries", filter: polygons("park"),
      paint: {"line-color": "#1f6feb", "line-width": ["interpolate", ["linear"], ["zoom"], 9, 0.8, 14, 2], "line-dasharray": [3, 2]}});
    map.addLayer({id: "county-line-halo", type: "line", source: "boundaries", filter: polygons("county"),
      layout: {"line-join": "round"}, paint: {"line-color": "#ffffff", "line-width": 5, "line-opacity": 0.8}});
    map.addLayer({id: "county-line", type: "line", source: "boundaries", filter: polygons("county"),
      layout: {"line-join": "round"}, paint: {"line-color": "#5c4b8a", "line-width": 2, "line-dasharray": [4, 1.5, 1, 1.5]}});
    map.addLayer({id: "park-name", type: "symbol", source: "boundaries", filter: points("park"), minzoom: 10.5,
      layout: {"text-field": ["get", "name"], "text-size": 13, "text-padding": 4, "text-max-width": 14},
      paint: {"text-color": "#174ea6", "text-halo-color": "#ffffff", "text-halo-width": 1.8}});
    map.addLayer({id: "county-name", type: "symbol", source: "boundaries", filter: points("county"),
      layout: {"text-field": ["get", "name"], "text-size": ["interpolate", ["linear"], ["zoom"], 7, 14, 11, 20], "text-letter-spacing": 0.3, "text-padding": 8},
      paint: {"text-color": "#3d2f6b", "text-halo-color": "#ffffff", "text-halo-width": 2.2}});
  }

  // Warnings: the parcels of the view that carry live warnings, fetched while the switch is on.
  const warningSwitch = document.getElementById("warnings-switch");
  const WARNING_LAYERS = ["warnings-outline", "warnings-dot"];
  const levelColour = ["match", ["get", "level"], ...WORDS.level.flatMap(([c, , hex]) => [c, hex]), "#8fa3b8"];
  for (const [, label, hex] of WORDS.level) {
    const swatch = Object.assign(document.createElement("span"), {className: "legend-swatch legend-dot"});
    swatch.style.backgroundColor = hex;
    const item = element("span", "");
    item.append(swatch, label);
    document.getElementById("warning-legend").append(item);
  }
  // Over the parcels and boundary lines, under the names; a red dot drawn over a yellow one.
  function addWarnings() {
    map.addSource("warnings", {type: "geojson", data: {type: "FeatureCollection", features: []}});
    map.addLayer({id: "warnings-outline", type: "line", source: "warnings", filter: ["==", ["geometry-type"], "Polygon"],
      layout: {visibility: "none", "line-join": "round"},
      paint: {"line-color": levelColour, "line-width": ["interpolate", ["linear"], ["zoom"], 10, 1.5, 15, 4]}}, "park-name");
    map.addLayer({id: "warnings-dot", type: "circle", source: "warnings", filter: ["==", ["geometry-type"], "Point"],
      layout: {visibility: "none", "circle-sort-key": ["-", WORDS.level.length, ["index-of", ["get", "level"], ["literal", WORDS.level.map(([c]) => c)]]]},
      paint: {"circle-color": levelColour, "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, 4, 14, 7],
        "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5}}, "park-name");
  }
  const inView = () => {
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(v => v.toFixed(6)).join(",");
    return `bbox=${bbox}&zoom=${map.getZoom().toFixed(1)}`;
  };
  const warningCount = document.getElementById("warning-count");
  async function refreshWarnings() {
    if (!warningSwitch.checked) return;
    const data = await json(`/api/map/warnings?${inView()}`);
    if (!data) return;
    map.getSource("warnings").setData(data);
    const warned = data.features.length / 2;  // each parcel as its outline and its dot
    warningCount.textContent = data.truncated ? WORDS.warnings_many : WORDS.warnings_shown.replace("{n}", warned);
  }
  warningSwitch.addEventListener("change", async () => {
    for (const id of WARNING_LAYERS) map.setLayoutProperty(id, "visibility", warningSwitch.checked ? "visible" : "none");
    warningCount.textContent = "";
    await refreshWarnings();
  });

  async function refresh() {
    const response = await fetch(`/api/map/parcels?${inView()}`);
    const data = await response.json();
    map.getSource("parcels").setData(data);
    message.textContent = data.truncated ? WORDS.many : WORDS.shown.replace("{n}", data.features.length);
    await refreshWarnings();
  }
  map.on("load", async () => {
    addBoundaries();
    map.addSource("parcels", {type: "geojson", data: {type: "FeatureCollection", features: []}});
    map.addLayer({id: "parcels", type: "fill", source: "parcels", paint: {"fill-color": colour(), "fill-opacity": 0.75, "fill-outline-color": "#334e68"}});
    addBoundaryLines();
    addWarnings();
    map.on("moveend", refresh);
    await refresh();
    document.body.dataset.mapReady = "true";
  });
  const known = value => value !== undefined && value !== null && value !== "null" && value !== "";
  for (const id of ["parcels", ...WARNING_LAYERS]) {
    map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
  }
  // A click shows the parcel under it (its names, its files) and, with the warnings on, its
  // live warnings; a warned parcel hidden by the legend's switches shows its warnings alone.
  map.on("click", event => {
    const under = layers => map.queryRenderedFeatures(event.point, {layers: layers.filter(id => map.getLayer(id))});
    const [parcel] = under(["parcels"]);
    const [warned] = warningSwitch.checked ? under(WARNING_LAYERS) : [];
    if (!parcel && !warned) return;
    const body = element("div", "", "map-popup");
    body.append(element("strong", (parcel || warned).properties.parcel_id, "map-popup-title"));
    if (warned) body.append(warningList(JSON.parse(warned.properties.warnings)));
    if (parcel) body.append(...parcelFacts(parcel.properties));
    new maplibregl.Popup({maxWidth: "24rem"}).setLngLat(event.lngLat).setDOMContent(body).addTo(map);
  });
  function warningList(warnings) {
    const section = element("section", "", "map-popup-warnings");
    section.append(element("div", WORDS.warnings_heading.replace("{n}", warnings.length), "map-popup-heading"));
    const list = element("ul", "", "list-unstyled mb-2");
    for (const w of warnings) {
      const item = element("li", "", "map-popup-warning");
      const badge = element("span", w.level_label, `badge bg-${w.level} text-${w.level}-fg me-1`);
      const line = element("div", "");
      line.append(badge, element("span", w.signal, "fw-bold"));
      const detail = element("div", `${w.subject} · ${WORDS.since.replace("{month}", w.since)} · `, "text-secondary");
      detail.append(link(w.href, WORDS.open_warning));
      item.append(line, detail);
      list.append(item);
    }
    section.append(list);
    return section;
  }
  function parcelFacts(p) {
    const facts = document.createElement("dl");
    const fact = (term, value) => facts.append(element("dt", term), element("dd", value));
    fact(WORDS.holder, known(p.holder_name) ? p.holder_name : (known(p.holder) ? "—" : WORDS.no_holder));
    fact(WORDS.county, known(p.county) ? p.county : "—");
    fact(WORDS.park, known(p.park) ? p.park : WORDS.no_park);
    fact(WORDS.area, `${p.area_mu} ${WORDS.mu}`);
    fact(WORDS.category_word, labelOf("category", p.category));
    fact(WORDS.grade_word, labelOf("grade", p.grade));
    const links = element("div", "", "map-popup-links");
    links.append(link(`/parcels/${encodeURIComponent(p.parcel_id)}`, WORDS.file));
    if (known(p.holder)) links.append(link(`/enterprises/${encodeURIComponent(p.holder)}`, WORDS.holder_file));
    return [facts, links];
  }
  function flyTo(bbox) {
    map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], {maxZoom: 17, padding: 80});
  }
  document.getElementById("search").addEventListener("submit", async event => {
    event.preventDefault();
    const q = document.getElementById("parcel").value.trim();
    const hits = document.getElementById("hits");
    hits.replaceChildren();
    const response = await fetch(`/api/map/search?q=${encodeURIComponent(q)}`);
    const found = await response.json();
    if (!response.ok) { message.textContent = found.detail; return; }
    if (found.length === 0) { message.textContent = WORDS.none_found; return; }
    for (const hit of found) {
      const item = document.createElement("li");
      const go = Object.assign(document.createElement("a"), {href: "#", textContent: hit.parcel_id});
      go.addEventListener("click", e => { e.preventDefault(); flyTo(hit.bbox); });
      item.append(go, ` ${hit.holder_name || ""} · ${hit.area_mu} ${WORDS.mu}`);
      hits.appendChild(item);
    }
    flyTo(found[0].bbox);
  });
})();
