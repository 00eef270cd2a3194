// The PartiQL editor: ExecuteStatement with paging, and this page's
// history of statements (in memory only, like everything the console keeps).

import * as api from "./api.js";
import { h, field, replace } from "./dom.js";
import { columns, display } from "./dynamo.js";

const HISTORY = 20;
const history = [];

export function partiqlPage(main) {
  const statement = h("textarea", { id: "pq-statement", rows: 5, spellcheck: "false" });
  const consistent = h("input", { id: "pq-consistent", type: "checkbox" });
  const problem = h("p", { id: "pq-error", class: "error", role: "alert" });
  const count = h("p", { id: "pq-count", class: "muted", "aria-live": "polite" });
  const results = h("div", { id: "pq-results" });
  const more = h("button", { type: "button", id: "pq-more", hidden: true }, "More results");
  const past = h("ol", { id: "pq-history" });
  let items = [];
  let nextToken;

  const showHistory = () => replace(past, history.map((text) => h("li", {},
    h("button", { type: "button", class: "link", onclick: () => { statement.value = text; statement.focus(); } }, text))));

  const run = async (continuing) => {
    problem.textContent = "";
    const text = statement.value.trim();
    if (!text) { problem.textContent = "Write a statement first."; return; }
    const request = { Statement: text };
    if (consistent.checked) request.ConsistentRead = true;
    if (continuing) request.NextToken = nextToken;
    try {
      const answer = await api.call("ExecuteStatement", request);
      items = continuing ? items.concat(answer.Items ?? []) : (answer.Items ?? []);
      nextToken = answer.NextToken;
      if (!continuing && history[0] !== text) {
        history.unshift(text);
        history.length = Math.min(history.length, HISTORY);
        showHistory();
      }
      const names = columns(items, []);
      count.textContent = `${items.length} item(s)` + (nextToken ? "; more available" : "");
      replace(results, items.length === 0 ? null : h("table", { class: "grid", id: "pq-items" },
        h("thead", {}, h("tr", {}, names.map((n) => h("th", { scope: "col" }, n)))),
        h("tbody", {}, items.map((item) => h("tr", {}, names.map((n) => h("td", { class: "value", "data-attribute": n }, display(item[n]))))))));
      more.hidden = !nextToken;
    } catch (error) {
      problem.textContent = error.message;
    }
  };
  more.addEventListener("click", () => run(true));

  replace(main, h("h1", {}, "PartiQL editor"),
    h("form", { id: "pq-form", onsubmit: (event) => { event.preventDefault(); run(false); } },
      field("Statement (e.g. SELECT * FROM \"employees\" WHERE employee_id = 'E1')", statement),
      h("div", { class: "row" }, field("Strongly consistent read", consistent, "inline"),
        h("button", { type: "submit", class: "primary", id: "pq-run" }, "Run"))),
    problem, count, results, more,
    h("h2", {}, "History"), past);
  showHistory();
  statement.focus();
}
