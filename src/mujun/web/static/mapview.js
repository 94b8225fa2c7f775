// The parts of a map of one's area that 挂图作战 (map.js) and the cockpit's map (cockpit_map.js)
// share, as window.mujunMapView: what /api/map says of the area (its extent, base map and the
// boundaries of its counties and parks, or of one county's), the style under the parcels, the
// first view, the boundary layers with their names, the parcels of the view (of one county, when
// asked), their colours and their legend. Light on the pages, dark on the wall screen (大屏).
(() => {
  const json = async url => { const response = await fetch(url); return response.ok ? response.json() : null; };
  const THEMES = {
    light: {
      land: "#f3efe4", surround: "#e3e8ec", parkFill: "#dbe7f7", parkFillOpacity: 0.7,
      parkLine: "#1f6feb", countyHalo: "#ffffff", countyHaloOpacity: 0.8, countyLine: "#5c4b8a",
      parkName: "#174ea6", countyName: "#3d2f6b", nameHalo: "#ffffff", parcelLine: "#334e68",
      dotLine: "#ffffff",
    },
    dark: {
      land: "#16304f", surround: "#0b1a2e", parkFill: "#206bc4", parkFillOpacity: 0.22,
      parkLine: "#74c0fc", countyHalo: "#0b1a2e", countyHaloOpacity: 0.6, countyLine: "#c5b3ff",
      parkName: "#a5d8ff", countyName: "#f1f5f9", nameHalo: "#0b1a2e", parcelLine: "#0b1a2e",
      dotLine: "#0b1a2e",
    },
  };
  const OTHER = "#8fa3b8";
  const BOUNDARY_LAYERS = {
    county: ["county-fill", "county-line-halo", "county-line", "county-name"],
    park: ["park-fill", "park-line", "park-name"],
    basemap: ["basemap"],
  };
  const polygons = level => ["all", ["==", ["geometry-type"], "Polygon"], ["==", ["get", "level"], level]];
  const points = level => ["all", ["==", ["geometry-type"], "Point"], ["==", ["get", "level"], level]];

  // The extent of one's parcels, the county's own base map (if any) and the boundaries of one's
  // area, or of ``county``'s only.
  async function load(county) {
    const boundaries = "/api/map/boundaries" + (county ? `?county=${encodeURIComponent(county)}` : "");
    const [extent, tileFile, outlines] = await Promise.all(
      [json("/api/map/extent"), json("/api/map/basemap"), json(boundaries)]);
    return {extent, tileFile, boundaries: outlines || {type: "FeatureCollection", features: []}};
  }

  // The style under the parcels: land (the counties' outlines on a paler surround, or all land
  // without any) and the base map, the county's own tiles or ``basemap``'s (a tile URL).
  function baseStyle(area, basemap, theme) {
    const colours = THEMES[theme];
    const outlined = area.boundaries.features.some(f => f.properties.level === "county");
    const style = {version: 8, sources: {}, layers: [{id: "background", type: "background", paint: {"background-color": outlined ? colours.surround : colours.land}}]};
    const absolute = url => new URL(url, window.location.origin).href.replace(/%7B/g, "{").replace(/%7D/g, "}");
    const tileFile = area.tileFile;
    if (tileFile) {
      style.sources.basemap = {
        type: "raster", tiles: tileFile.tiles.map(absolute), tileSize: 256,
        minzoom: tileFile.minzoom, maxzoom: tileFile.maxzoom, attribution: tileFile.attribution || undefined,
        ...(tileFile.bounds ? {bounds: tileFile.bounds} : {}),
      };
    } else if (basemap) {
      style.sources.basemap = {type: "raster", tiles: [basemap], tileSize: 256};
    }
    if (style.sources.basemap) style.layers.push({id: "basemap", type: "raster", source: "basemap"});
    return style;
  }

  // The box of the area's counties' outlines, else of its parcels; null without either.
  function around(area) {
    const counties = area.boundaries.features.filter(f => f.properties.level === "county" && f.geometry.type !== "Point");
    const corners = counties.flatMap(f => (f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates).flat(2));
    return corners.length ? bbox(corners) : (area.extent && area.extent.bbox);
  }
  const bbox = corners => [
    Math.min(...corners.map(c => c[0])), Math.min(...corners.map(c => c[1])),
    Math.max(...corners.map(c => c[0])), Math.max(...corners.map(c => c[1])),
  ];

  // The first view: the whole area as it would hang on a wall.
  function start(area, padding) {
    const box = around(area);
    return box
      ? {bounds: [[box[0], box[1]], [box[2], box[3]]], fitBoundsOptions: {padding}}
      : {center: [119.7, 29.8], zoom: 9};
  }

  // Boundaries, under the parcels: county land (when there is no base map) and park fills.
  function addBoundaries(map, area, theme) {
    const colours = THEMES[theme];
    const withBasemap = Boolean(map.getSource("basemap"));
    map.addSource("boundaries", {type: "geojson", data: area.boundaries, tolerance: 0.2});
    map.addLayer({id: "county-fill", type: "fill", source: "boundaries", filter: polygons("county"),
      paint: {"fill-color": colours.land, "fill-opacity": withBasemap ? 0 : 1}});
    map.addLayer({id: "park-fill", type: "fill", source: "boundaries", filter: polygons("park"),
      paint: {"fill-color": colours.parkFill, "fill-opacity": withBasemap ? 0.25 : colours.parkFillOpacity}});
  }

  // Over the parcels: county and park outlines, county names, and park names from ``parkNames``
  // (a zoom) on. County names at ``namesAtTop`` are written under their label points (see
  // namesAtTop), else centred on them.
  function addBoundaryLines(map, theme, {parkNames = 10.5, namesAtTop = false} = {}) {
    const colours = THEMES[theme];
    map.addLayer({id: "park-line", type: "line", source: "boundaries", filter: polygons("park"),
      paint: {"line-color": colours.parkLine, "line-width": ["interpolate", ["linear"], ["zoom"], 9, 0.8, 14, 2], "line-dasharray": [3, 2]}});
    map.addLayer({id: "county-line-halo", type: "line", source: "boundaries", filter: polygons("county"),
      layout: {"line-join": "round"}, paint: {"line-color": colours.countyHalo, "line-width": 5, "line-opacity": colours.countyHaloOpacity}});
    map.addLayer({id: "county-line", type: "line", source: "boundaries", filter: polygons("county"),
      layout: {"line-join": "round"}, paint: {"line-color": colours.countyLine, "line-width": 2, "line-dasharray": [4, 1.5, 1, 1.5]}});
    map.addLayer({id: "park-name", type: "symbol", source: "boundaries", filter: points("park"), minzoom: parkNames,
      layout: {"text-field": ["get", "name"], "text-size": 13, "text-padding": 4, "text-max-width": 14},
      paint: {"text-color": colours.parkName, "text-halo-color": colours.nameHalo, "text-halo-width": 1.8}});
    map.addLayer({id: "county-name", type: "symbol", source: "boundaries", filter: points("county"),
      layout: {"text-field": ["get", "name"], "text-size": ["interpolate", ["linear"], ["zoom"], 7, 14, 11, 20], "text-letter-spacing": 0.3, "text-padding": 8,
        ...(namesAtTop ? {"text-anchor": "top", "text-offset": [0, 0.6]} : {})},
      paint: {"text-color": colours.countyName, "text-halo-color": colours.nameHalo, "text-halo-width": 2.2}});
  }

  // Each county's name moved to the middle of its outline's top, where it hides none of the
  // parcels a whole county's view gathers in small heaps: ``area`` with its label points moved.
  function namesAtTop(area) {
    const outlines = new Map(area.boundaries.features
      .filter(f => f.properties.level === "county" && f.geometry.type !== "Point")
      .map(f => [f.properties.code, bounds([f])]));
    const features = area.boundaries.features.map(f => {
      const box = f.geometry.type === "Point" && outlines.get(f.properties.code);
      return box ? {...f, geometry: {type: "Point", coordinates: [(box[0] + box[2]) / 2, box[3]]}} : f;
    });
    return {...area, boundaries: {...area.boundaries, features}};
  }

  // The parcels' layer (empty until ``parcels`` fills its source), coloured by ``property``
  // (category or grade) from the legend's ``entries``: [code, label, colour].
  function colour(property, entries) {
    return ["match", ["get", property], ...entries.flatMap(([code, , hex]) => [code, hex]), OTHER];
  }
  function addParcels(map, property, entries, theme) {
    map.addSource("parcels", {type: "geojson", data: {type: "FeatureCollection", features: []}});
    map.addLayer({id: "parcels", type: "fill", source: "parcels",
      paint: {"fill-color": colour(property, entries), "fill-opacity": 0.75, "fill-outline-color": THEMES[theme].parcelLine}});
  }

  // At a city's or a county's scale a parcel is smaller than a pixel: a dot at its middle, in
  // its colour, until zoom ``until``, where the parcel itself is drawn large enough to see.
  function addDots(map, property, entries, theme, until) {
    map.addSource("parcel-dots", {type: "geojson", data: {type: "FeatureCollection", features: []}});
    map.addLayer({id: "parcel-dots", type: "circle", source: "parcel-dots", maxzoom: until,
      paint: {"circle-color": colour(property, entries), "circle-radius": ["interpolate", ["linear"], ["zoom"], 7, 3, 12, 5],
        "circle-stroke-color": THEMES[theme].dotLine, "circle-stroke-width": 0.8}});
  }
  function dots(features) {
    return features.map(f => {
      const [west, south, east, north] = bounds([f]);
      return {type: "Feature", geometry: {type: "Point", coordinates: [(west + east) / 2, (south + north) / 2]}, properties: f.properties};
    });
  }

  // The view, as /api/map asks for it.
  function inView(map) {
    const b = map.getBounds();
    const box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(v => v.toFixed(6)).join(",");
    return `bbox=${box}&zoom=${map.getZoom().toFixed(1)}`;
  }

  // The parcels of the view (of ``county`` only, when given) into the parcels' source (and
  // their dots into theirs, if the map has them); their
  // FeatureCollection (``truncated`` when the view has more than it holds), or null.
  async function parcels(map, county) {
    const data = await json(`/api/map/parcels?${inView(map)}`);
    if (!data) return null;
    if (county) data.features = data.features.filter(f => f.properties.county_code === county);
    map.getSource("parcels").setData(data);
    const dotted = map.getSource("parcel-dots");
    if (dotted) dotted.setData({type: "FeatureCollection", features: dots(data.features)});
    return data;
  }

  // The box around ``features`` (polygons), or null without any.
  function bounds(features) {
    const corners = features.flatMap(f => (f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates).flat(2));
    return corners.length ? bbox(corners) : null;
  }

  // Where ``county`` was asked for and has no outline, the view moved to its parcels (``data``,
  // as :func:`parcels` gave them); whether it moved.
  function fitCounty(map, area, county, data, padding) {
    const outlined = area.boundaries.features.some(f => f.properties.level === "county" && f.properties.code === county);
    const box = county && !outlined && data ? bounds(data.features) : null;
    if (box) map.fitBounds([[box[0], box[1]], [box[2], box[3]]], {padding, maxZoom: 15, animate: false});
    return Boolean(box);
  }

  // The legend: a swatch and a label per entry, each with a checkbox (its data-value the code)
  // when ``checkable``.
  function legend(entries, checkable) {
    return entries.map(([code, label, hex]) => {
      const swatch = Object.assign(document.createElement("span"), {className: "legend-swatch"});
      swatch.style.backgroundColor = hex;
      if (!checkable) {
        const item = Object.assign(document.createElement("span"), {className: "legend-item text-nowrap"});
        item.dataset.value = code;
        item.append(swatch, label);
        return item;
      }
      const item = Object.assign(document.createElement("label"), {className: "form-check"});
      const box = Object.assign(document.createElement("input"), {type: "checkbox", checked: true, className: "form-check-input"});
      box.dataset.value = code;
      const text = Object.assign(document.createElement("span"), {className: "form-check-label"});
      text.append(swatch, label);
      item.append(box, text);
      return item;
    });
  }

  window.mujunMapView = {
    THEMES, BOUNDARY_LAYERS, json, load, baseStyle, start, addBoundaries, addBoundaryLines, namesAtTop,
    colour, addParcels, addDots, inView, parcels, bounds, fitCounty, legend,
  };
})();
