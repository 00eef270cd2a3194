// The console's entry: sign-in, the session, and routing by the URL's
// fragment (#/tables, #/create, #/table/NAME, #/table/NAME/items, #/partiql,
// #/iam, #/iam/USER).

import * as api from "./api.js";
import { h, field, replace, flash } from "./dom.js";
import { tableList, tableDetails } from "./tables.js";
import { createTableForm } from "./create_table.js";
import { itemsPage } from "./items.js";
import { partiqlPage } from "./partiql.js";
import { iamPage, iamUserPage } from "./iam.js";

const main = document.getElementById("main");
let session = null;

function showIdentity() {
  const identity = document.getElementById("identity");
  const signOut = document.getElementById("sign-out");
  document.getElementById("auth-banner").hidden = !session || session.authenticated;
  if (!session) {
    identity.textContent = "";
    signOut.hidden = true;
    return;
  }
  identity.textContent = session.authenticated ? `Signed in as ${session.arn}` : "Unauthenticated (root)";
  signOut.hidden = !session.authenticated;
}

function signInPage(reason) {
  session = null;
  showIdentity();
  const id = h("input", { id: "access-key-id", name: "access-key-id", autocomplete: "username", required: true });
  const secret = h("input", { id: "secret-access-key", name: "secret-access-key", type: "password", autocomplete: "current-password", required: true });
  const token = h("input", { id: "session-token", name: "session-token", type: "password", autocomplete: "off" });
  const problem = h("p", { id: "sign-in-error", class: "error", role: "alert" }, reason ?? "");
  const form = h("form", { class: "card", "aria-labelledby": "sign-in-title", onsubmit: async (event) => {
    event.preventDefault();
    problem.textContent = "";
    try {
      session = await api.signIn(id.value, secret.value, token.value);
      secret.value = "";
      token.value = "";
      showIdentity();
      route();
    } catch (error) {
      problem.textContent = error.message;
    }
  } },
  h("h1", { id: "sign-in-title" }, "Sign in"),
  h("p", { class: "muted" }, "Use a Halyard access key: the root key, or an IAM user's key."),
  field("Access key ID", id), field("Secret access key", secret), field("Session token (temporary credentials only)", token),
  problem,
  h("button", { type: "submit", class: "primary", id: "sign-in" }, "Sign in"));
  replace(main, form);
  id.focus();
}

async function start() {
  window.addEventListener("hashchange", route);
  api.whenSignedOut(() => signInPage("Your session has ended; sign in again."));
  document.getElementById("sign-out").addEventListener("click", async () => {
    try { await api.signOut(); } catch { /* signed out either way */ }
    signInPage("Signed out.");
  });
  try {
    session = await api.currentSession();
  } catch (error) {
    if (error.auth === "off") {
      // Nothing to check: open a session for its CSRF token.
      session = await api.signIn("", "", "");
    } else {
      signInPage();
      return;
    }
  }
  showIdentity();
  route();
}

// The page for the current fragment.
async function route() {
  if (!session) return;
  flash("");
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  main.focus();
  try {
    if (parts[0] === "create") await createTableForm(main);
    else if (parts[0] === "partiql") partiqlPage(main);
    else if (parts[0] === "iam" && parts[1]) await iamUserPage(main, parts[1]);
    else if (parts[0] === "iam") await iamPage(main);
    else if (parts[0] === "table" && parts[1] && parts[2] === "items") await itemsPage(main, parts[1]);
    else if (parts[0] === "table" && parts[1]) await tableDetails(main, parts[1]);
    else await tableList(main);
  } catch (error) {
    if (error.type !== "NoSession") replace(main, h("p", { class: "error", role: "alert" }, error.message));
  }
}

start();
