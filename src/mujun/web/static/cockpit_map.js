// 驾驶舱's map, on the cockpit and on the wall screen (大屏): the boundaries of the area (or of
// the county asked for) with their names, and its parcels coloured by category as 挂图作战
// colours them (mapview.js), each a dot until it is large enough to see; fitted to the area.
// On the wall, dark and still. Once drawn, the map's element says so (data-ready) and how many
// parcels it holds (data-parcels). The county, the colours and their names come from the page's
// JSON block (#map-data).
(async () => {
  const element = document.getElementById("cockpit-map");
  const {county, basemap, theme, category} = JSON.parse(document.getElementById("map-data").textContent);
  const view = window.mujunMapView;
  const still = theme === "dark";
  document.getElementById("cockpit-map-legend").append(...view.legend(category, false));
  const area = view.namesAtTop(await view.load(county));
  const map = new maplibregl.Map({
    container: element, style: view.baseStyle(area, basemap, theme), ...view.start(area, 16),
    attributionControl: {compact: true}, interactive: !still,
  });
  window.mujunMap = map;
  if (!still) map.addControl(new maplibregl.NavigationControl({showCompass: false}), "top-right");
  map.addControl(new maplibregl.ScaleControl({unit: "metric", maxWidth: 120}), "bottom-left");
  async function refresh() {
    const data = await view.parcels(map, county);
    if (data) element.dataset.parcels = String(data.features.length);
    return data;
  }
  map.on("load", async () => {
    view.addBoundaries(map, area, theme);
    view.addParcels(map, "category", category, theme);
    view.addDots(map, "category", category, theme, 13);
    view.addBoundaryLines(map, theme, {parkNames: 9, namesAtTop: true});
    // A county without an outline: its parcels' place, once known.
    if (view.fitCounty(map, area, county, await refresh(), 16)) await refresh();
    map.on("moveend", refresh);
    element.dataset.ready = "true";
  });
})();
