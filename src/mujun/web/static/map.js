// 挂图作战: the parcels in view (bounding-box GeoJSON), coloured by category or grade, with
// layer switches, search and a summary on click; the words come from the page's JSON block
// (#page-data).
(() => {
  const WORDS = JSON.parse(document.getElementById("page-data").textContent);
  const basemap = WORDS.basemap;
  const style = {version: 8, sources: {}, layers: [{id: "background", type: "background", paint: {"background-color": "#f4f6f8"}}]};
  if (basemap) {
    style.sources.basemap = {type: "raster", tiles: [basemap], tileSize: 256};
    style.layers.push({id: "basemap", type: "raster", source: "basemap"});
  }
  const map = new maplibregl.Map({container: "map", style, center: [119.7, 29.8], zoom: 9});
  window.mujunMap = map;
  let mode = "category";
  let shown = new Set(WORDS[mode].map(([c]) => c));
  const layers = document.getElementById("layers");
  const message = document.getElementById("message");
  const colour = () => ["match", ["get", mode], ...WORDS[mode].flatMap(([c, , hex]) => [c, hex]), "#8fa3b8"];
  const labelOf = (key, code) => (WORDS[key].find(([c]) => c === code) || [, code])[1];
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
  async function refresh() {
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(v => v.toFixed(6)).join(",");
    const response = await fetch(`/api/map/parcels?bbox=${bbox}&zoom=${map.getZoom().toFixed(1)}`);
    const data = await response.json();
    map.getSource("parcels").setData(data);
    message.textContent = data.truncated ? WORDS.many : WORDS.shown.replace("{n}", data.features.length);
  }
  map.on("load", async () => {
    map.addSource("parcels", {type: "geojson", data: {type: "FeatureCollection", features: []}});
    map.addLayer({id: "parcels", type: "fill", source: "parcels", paint: {"fill-color": colour(), "fill-opacity": 0.6, "fill-outline-color": "#334e68"}});
    const extent = await (await fetch("/api/map/extent")).json();
    if (extent.bbox) map.fitBounds([[extent.bbox[0], extent.bbox[1]], [extent.bbox[2], extent.bbox[3]]], {animate: false, padding: 20});
    map.on("moveend", refresh);
    await refresh();
    document.body.dataset.mapReady = "true";
  });
  const link = (href, text) => Object.assign(document.createElement("a"), {href, textContent: text});
  map.on("click", "parcels", event => {
    const p = event.features[0].properties;
    const body = document.createElement("div");
    body.append(Object.assign(document.createElement("strong"), {textContent: p.parcel_id}), document.createElement("br"),
      `${p.area_mu} ${WORDS.mu} · ${labelOf("category", p.category)} · ${labelOf("grade", p.grade)}`, document.createElement("br"));
    if (p.holder && p.holder !== "null") body.append(`${WORDS.holder}: `, link(`/enterprises/${encodeURIComponent(p.holder)}`, p.holder), document.createElement("br"));
    body.append(link(`/parcels/${encodeURIComponent(p.parcel_id)}`, WORDS.file));
    new maplibregl.Popup().setLngLat(event.lngLat).setDOMContent(body).addTo(map);
  });
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
