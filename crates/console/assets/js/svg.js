// Line graphs drawn as plain SVG (no chart library): a time axis over the
// last hour and one polyline per series, with a dot on each sample so that
// a lone sample shows too.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 560;
const HEIGHT = 150;
const LEFT = 56;
const BOTTOM = 20;
const TOP = 8;

function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

function label(value) {
  if (value >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return value.toPrecision(2);
}

// series: [{name, className, points: [[at, value]]}]; from, to: seconds.
export function lineGraph(id, title, series, from, to) {
  const max = Math.max(1e-9, ...series.flatMap((line) => line.points.map(([, value]) => value)));
  const x = (at) => LEFT + ((at - from) / Math.max(1, to - from)) * (WIDTH - LEFT - 4);
  const y = (value) => TOP + (1 - value / max) * (HEIGHT - TOP - BOTTOM);
  const svg = s("svg", { id, class: "graph", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": title },
    s("title", {}, title),
    s("line", { class: "axis", x1: LEFT, y1: y(0), x2: WIDTH - 4, y2: y(0) }),
    s("line", { class: "axis", x1: LEFT, y1: TOP, x2: LEFT, y2: y(0) }),
    s("text", { class: "tick", x: LEFT - 4, y: TOP + 10, "text-anchor": "end" }, max === 1e-9 ? "0" : label(max)),
    s("text", { class: "tick", x: LEFT - 4, y: y(0), "text-anchor": "end" }, "0"),
    s("text", { class: "tick", x: LEFT, y: HEIGHT - 4 }, `${Math.round((to - from) / 60)} min ago`),
    s("text", { class: "tick", x: WIDTH - 4, y: HEIGHT - 4, "text-anchor": "end" }, "now"));
  for (const line of series) {
    const points = line.points.map(([at, value]) => `${x(at).toFixed(1)},${y(value).toFixed(1)}`).join(" ");
    svg.append(s("polyline", { class: `line ${line.className}`, points, "data-series": line.name }));
    for (const [at, value] of line.points) {
      if (value > 0) svg.append(s("circle", { class: `dot ${line.className}`, cx: x(at).toFixed(1), cy: y(value).toFixed(1), r: 2.5 }));
    }
  }
  return svg;
}
