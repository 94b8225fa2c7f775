// 企业画像: figures by year and electricity by month (ECharts), from the page's JSON block
// (#page-data).
(() => {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const words = data.words;
  function lines(element, categories, series, unit) {
    const chart = drawChart(document.getElementById(element));
    chart.setOption({
      tooltip: {trigger: "axis", renderMode: "richText"},
      legend: {data: series.map(s => s.name)},
      xAxis: {type: "category", data: categories},
      yAxis: {type: "value", name: unit},
      series: series.map(s => ({...s, type: "line", connectNulls: false})),
    });
    window.addEventListener("resize", () => chart.resize());
  }
  if (data.years.length) {
    lines("figures", data.years, [
      {name: words.tax, data: data.figures.tax_yuan},
      {name: words.revenue, data: data.figures.revenue_yuan},
      {name: words.valueAdded, data: data.figures.value_added_yuan},
      {name: words.output, data: data.figures.output_yuan},
      {name: words.profit, data: data.figures.profit_yuan},
    ], words.yuan);
  }
  if (data.months.length) {
    lines("electricity", data.months, [{name: words.electricity, data: data.electricity}], words.kwh);
  }
})();
