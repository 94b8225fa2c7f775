// 一地一档: the holder's figures over the years (ECharts) and the parcel's shape (MapLibre),
// from the page's JSON block (#page-data).
(() => {
  const {years, figures, geometry, words} = JSON.parse(document.getElementById("page-data").textContent);
  if (years.length) {
    drawChart(document.getElementById("figures")).setOption({
      tooltip: {trigger: "axis", renderMode: "richText"},
      legend: {data: [words.tax, words.revenue]},
      xAxis: {type: "category", data: years},
      yAxis: {type: "value"},
      series: [
        {name: words.tax, type: "line", data: figures.tax_yuan},
        {name: words.revenue, type: "line", data: figures.revenue_yuan},
      ],
    });
  }
  if (geometry) {
    const ring = geometry.type === "Polygon" ? geometry.coordinates[0] : geometry.coordinates[0][0];
    const xs = ring.map(p => p[0]), ys = ring.map(p => p[1]);
    window.mujunShape = new maplibregl.Map({
      container: "shape",
      style: {version: 8, sources: {parcel: {type: "geojson", data: {type: "Feature", geometry, properties: {}}}},
              layers: [{id: "background", type: "background", paint: {"background-color": "#f4f6f8"}},
                       {id: "parcel", type: "fill", source: "parcel", paint: {"fill-color": "#d62728", "fill-opacity": 0.5, "fill-outline-color": "#334e68"}}]},
      bounds: [[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]],
      fitBoundsOptions: {padding: 40},
    });
  }
})();
