// 驾驶舱: the charts, each clicking through to the list behind it. The figures and the words
// come from the page's JSON block (#page-data).
(() => {
  const {figures, inCounty, words} = JSON.parse(document.getElementById("page-data").textContent);
  // Tabler's blue, orange, green, red and purple, so that the charts match the page.
  const PALETTE = ["#206bc4", "#f76707", "#2fb344", "#d63939", "#ae3ec9"];
  // On the wall screen (大屏), ECharts' dark theme on the page's own dark ground.
  const dark = document.body.dataset.bsTheme === "dark";
  function chart(element, option, link) {
    const container = document.getElementById(element);
    const shown = drawChart(container, dark ? "dark" : null);
    if (dark) option.backgroundColor = "transparent";
    // Every category's label shown, never dropped: wrapped (on the wall screen's narrow panels
    // to its share of the plot's width: a word kept whole, a Chinese label broken anywhere), or
    // slanted where a word is wider than that (English on the wall); the legend under the plot.
    if (option.xAxis && option.xAxis.type === "category") {
      const labels = option.xAxis.data.map(String);
      const share = dark ? Math.min(110, (container.clientWidth - 120) / Math.max(1, labels.length)) : 110;
      const measure = document.createElement("canvas").getContext("2d");
      measure.font = "12px sans-serif";
      const words = labels.flatMap(label => label.split(/\s+|(?<=[\u2e80-\u9fff\uff00-\uffef])/));
      const widest = Math.max(0, ...words.map(word => measure.measureText(word).width));
      option.xAxis.axisLabel = widest <= share
        ? {interval: 0, width: share, overflow: "break"}
        : {interval: 0, rotate: 30};
    }
    shown.setOption({
      color: PALETTE, grid: {left: 16, right: 16, top: 40, bottom: 40, containLabel: true},
      legend: {bottom: 0}, ...option,
    });
    shown.on("click", params => { window.location.href = link(params); });
    window.addEventListener("resize", () => shown.resize());
  }
  function bars(element, rows, link) {
    chart(element, {
      tooltip: {trigger: "axis", renderMode: "richText"},
      legend: {data: [words.findings, words.land], bottom: 0},
      xAxis: {type: "category", data: rows.map(r => r.label)},
      yAxis: [{type: "value", name: words.count, minInterval: 1}, {type: "value", name: words.mu}],
      series: [
        {name: words.findings, type: "bar", data: rows.map(r => r.findings)},
        {name: words.land, type: "bar", yAxisIndex: 1, data: rows.map(r => r.mu)},
      ],
    }, params => link(rows[params.dataIndex]));
  }
  if (figures.run) {
    bars("by-category", figures.categories, r => `/findings?run=${figures.run}&category=${encodeURIComponent(r.code)}${inCounty}`);
    bars("by-county", figures.counties, r => `/findings?run=${figures.run}&county=${encodeURIComponent(r.code)}`);
  }
  const grades = figures.grades;
  if (grades) {
    const letters = ["A", "B", "C", "D"];
    chart("grade-distribution", {
      tooltip: {trigger: "axis", renderMode: "richText"},
      legend: {data: grades.cohorts.map(c => c.label), bottom: 0},
      xAxis: {type: "category", data: letters},
      yAxis: {type: "value", name: words.enterprises, minInterval: 1},
      series: grades.cohorts.map(c => ({name: c.label, type: "bar", data: letters.map(g => c.counts[g])})),
    }, params => `/grades?run=${grades.run}&grade=${letters[params.dataIndex]}&cohort=${encodeURIComponent(grades.cohorts[params.seriesIndex].cohort)}${inCounty}`);
    chart("tax-trend", {
      tooltip: {trigger: "axis", renderMode: "richText"},
      xAxis: {type: "category", data: grades.trend.map(y => String(y.year))},
      yAxis: {type: "value", name: words.taxUnit},
      series: [{name: words.taxPerMu, type: "line",
                data: grades.trend.map(y => +(y.tax_per_mu_yuan / 10000).toFixed(2))}],
    }, params => `/grades?run=${grades.trend[params.dataIndex].run}${inCounty}`);
  }
})();
