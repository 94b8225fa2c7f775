// 挂图作战: the parcels in view (bounding-box GeoJSON), coloured by category or grade, over the
// boundaries of the counties and parks of one's area (with their names) and, when there is one,
// the county's own base map (an MBTiles file the application serves) or MUJUN_BASEMAP_URL's;
// with layer switches, a legend, a scale bar, search and a summary by name on click; and, when
// switched on, the 预警 layer: the live warnings on their parcels (outline and dot in the colour
// of the parcel's highest level), listed in the popup with a link to each. The words come from
// the page's JSON block (#page-data).
(async () => {
  const WORDS = JSON.parse(document.getElementById("page-data").textContent);
  const view = window.mujunMapView;
  const json = view.json;
  // The county asked for (?county=): its boundaries, its parcels, its warnings; else one's area.
  const county = WORDS.only_county || null;
  const area = await view.load(county);
  const style = view.baseStyle(area, WORDS.basemap, "light");
  const withBasemap = Boolean(style.sources.basemap);
  // The first view: the whole area (its counties' outlines) as it would hang on a wall, else
  // where its parcels are.
  const map = new maplibregl.Map({container: "map", style, ...view.start(area, 20), attributionControl: {compact: true}});
  window.mujunMap = map;
  map.addControl(new maplibregl.NavigationControl({showCompass: false}), "top-right");
  map.addControl(new maplibregl.ScaleControl({unit: "metric", maxWidth: 160}), "bottom-left");
  let mode = "category";
  let shown = new Set(WORDS[mode].map(([c]) => c));
  const layers = document.getElementById("layers");
  const message = document.getElementById("message");
  const colour = () => view.colour(mode, WORDS[mode]);
  const labelOf = (key, code) => (WORDS[key].find(([c]) => c === code) || [, code])[1];
  const link = (href, text) => Object.assign(document.createElement("a"), {href, textContent: text});
  const element = (tag, text, className) => Object.assign(document.createElement(tag), {textContent: text, ...(className ? {className} : {})});
  function legend() {
    layers.querySelectorAll("label").forEach(item => item.remove());
    layers.append(...view.legend(WORDS[mode], true));
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
  const BOUNDARY_LAYERS = view.BOUNDARY_LAYERS;
  const switches = document.getElementById("boundaries");
  if (withBasemap) document.getElementById("basemap-switch").hidden = false;
  switches.addEventListener("change", event => {
    for (const id of BOUNDARY_LAYERS[event.target.value] || []) {
      if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", event.target.checked ? "visible" : "none");
    }
  });
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
  const inView = () => view.inView(map);
  const warningCount = document.getElementById("warning-count");
  async function refreshWarnings() {
    if (!warningSwitch.checked) return;
    const data = await json(`/api/map/warnings?${inView()}`);
    if (!data) return;
    if (county) data.features = data.features.filter(f => countyParcels.has(f.properties.parcel_id));
    map.getSource("warnings").setData(data);
    const warned = data.features.length / 2;  // each parcel as its outline and its dot
    warningCount.textContent = data.truncated ? WORDS.warnings_many : WORDS.warnings_shown.replace("{n}", warned);
  }
  warningSwitch.addEventListener("change", async () => {
    for (const id of WARNING_LAYERS) map.setLayoutProperty(id, "visibility", warningSwitch.checked ? "visible" : "none");
    warningCount.textContent = "";
    await refreshWarnings();
  });

  // With a county asked for, the warnings of its parcels drawn in the view only.
  let countyParcels = new Set();
  async function refresh() {
    const data = await view.parcels(map, county);
    if (!data) return;
    countyParcels = new Set(data.features.map(f => f.properties.parcel_id));
    message.textContent = data.truncated ? WORDS.many : WORDS.shown.replace("{n}", data.features.length);
    await refreshWarnings();
    return data;
  }
  map.on("load", async () => {
    view.addBoundaries(map, area, "light");
    view.addParcels(map, mode, WORDS[mode], "light");
    view.addBoundaryLines(map, "light");
    addWarnings();
    map.on("moveend", refresh);
    // A county without an outline: its parcels' place, once known.
    if (view.fitCounty(map, area, county, await refresh(), 20)) await refresh();
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
