// ECharts was not installed when this node was built (run scripts/deps.sh).
// The pages show their numbers without charts.
window.echarts = undefined;
