// A table's metrics over the last hour (#/table/NAME/metrics): requests,
// latency, consumed capacity, throttles and errors, from the samples the
// server keeps (one per interval, the last one covering the time since).

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { lineGraph } from "./svg.js";

const WINDOW_SECONDS = 3600;

function total(samples, value) {
  return samples.reduce((sum, sample) => sum + value(sample), 0);
}

function requestsOf(sample) {
  return Object.values(sample.requests).reduce((sum, count) => sum + count, 0);
}

function figure(id, title, summary, series, from, to) {
  return h("figure", { class: "metric" }, h("figcaption", {}, h("strong", {}, title), " ", h("span", { id: `${id}-summary`, class: "muted" }, summary)),
    lineGraph(id, title, series, from, to));
}

export async function metricsPage(main, table) {
  const answer = await api.metrics(table);
  const samples = answer.samples;
  const to = samples.length ? samples[samples.length - 1].at : Math.floor(Date.now() / 1000);
  const from = to - WINDOW_SECONDS;
  const points = (value) => samples.map((sample) => [sample.at, value(sample)]);
  const requests = total(samples, requestsOf);
  const timed = samples.filter((sample) => sample.latencyMs !== null);
  const latency = timed.length ? total(timed, (sample) => sample.latencyMs) / timed.length : null;
  const byOperation = new Map();
  for (const sample of samples) {
    for (const [operation, count] of Object.entries(sample.requests)) byOperation.set(operation, (byOperation.get(operation) ?? 0) + count);
  }
  const units = (n) => (Math.round(n * 10) / 10).toString();
  replace(main,
    h("h1", {}, `Metrics of ${table}`),
    h("p", {}, h("a", { href: `#/table/${encodeURIComponent(table)}` }, `Table ${table}`), " · ",
      h("button", { type: "button", id: "metrics-refresh", onclick: () => metricsPage(main, table) }, "Refresh")),
    h("p", { class: "muted" }, `The last hour, one point each ${answer.intervalSeconds} s; the last point is the time since the last sample.`),
    h("div", { class: "metrics" },
      figure("graph-requests", "Requests", h("span", {}, h("span", { id: "metrics-total-requests" }, String(requests)), " in the window"),
        [{ name: "requests", className: "s1", points: points(requestsOf) }], from, to),
      figure("graph-latency", "Average latency (ms, successful requests)", latency === null ? "none" : `${latency.toFixed(2)} ms on average`,
        [{ name: "latency", className: "s1", points: timed.map((sample) => [sample.at, sample.latencyMs]) }], from, to),
      figure("graph-capacity", "Consumed capacity units", h("span", {}, "read ", h("span", { id: "metrics-read-units" }, units(total(samples, (x) => x.readUnits))),
        ", write ", h("span", { id: "metrics-write-units" }, units(total(samples, (x) => x.writeUnits)))),
      [{ name: "read", className: "s1", points: points((x) => x.readUnits) }, { name: "write", className: "s2", points: points((x) => x.writeUnits) }], from, to),
      figure("graph-throttles", "Throttled requests", h("span", { id: "metrics-throttles" }, String(total(samples, (x) => x.throttles))),
        [{ name: "throttles", className: "s3", points: points((x) => x.throttles) }], from, to),
      figure("graph-errors", "Errors", h("span", { id: "metrics-errors" }, String(total(samples, (x) => x.errors))),
        [{ name: "errors", className: "s3", points: points((x) => x.errors) }], from, to)),
    h("h2", {}, "Requests by operation in the window"),
    byOperation.size === 0 ? h("p", { class: "muted" }, "No requests.") :
      h("table", { class: "grid", id: "metrics-operations" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Operation"), h("th", { scope: "col" }, "Requests"))),
        h("tbody", {}, [...byOperation].sort(([a], [b]) => a.localeCompare(b)).map(([operation, count]) =>
          h("tr", { "data-operation": operation }, h("td", {}, operation), h("td", {}, String(count)))))));
}
