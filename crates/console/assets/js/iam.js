// IAM users: list and create users; a user's access keys (a new secret is
// shown once, kept nowhere) and inline policies.

import * as api from "./api.js";
import { h, field, replace, flash } from "./dom.js";

// The members of the list element `list` (e.g. "Users"), each as an object
// of its child elements' texts.
function members(document, list) {
  const container = document.getElementsByTagName(list)[0];
  if (!container) return [];
  return [...container.children].map((member) => Object.fromEntries([...member.children].map((c) => [c.tagName, c.textContent])));
}

function grid(id, headings, rows) {
  return h("table", { class: "grid", id }, h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))));
}

export async function iamPage(main) {
  const users = members(await api.iam("ListUsers", { MaxItems: "1000" }), "Users");
  const name = h("input", { id: "iam-new-user", autocomplete: "off" });
  const create = h("form", { id: "iam-create-user-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api.iam("CreateUser", { UserName: name.value.trim() });
      location.hash = `#/iam/${encodeURIComponent(name.value.trim())}`;
    } catch (error) {
      flash(error.message);
    }
  } }, h("div", { class: "row" }, field("New user name", name), h("button", { type: "submit", id: "iam-create-user" }, "Create user")));
  replace(main, h("h1", {}, "IAM users"), create,
    grid("iam-users", ["User", "ARN", "Created"], users.map((u) => [
      h("a", { href: `#/iam/${encodeURIComponent(u.UserName)}` }, u.UserName), u.Arn, u.CreateDate])));
}

export async function iamUserPage(main, user) {
  const [keys, policies] = await Promise.all([
    api.iam("ListAccessKeys", { UserName: user }).then((d) => members(d, "AccessKeyMetadata")),
    api.iam("ListUserPolicies", { UserName: user }).then((d) => [...d.getElementsByTagName("PolicyNames")[0]?.children ?? []].map((m) => m.textContent)),
  ]);
  const documents = await Promise.all(policies.map((policy) => api.iam("GetUserPolicy", { UserName: user, PolicyName: policy })
    .then((d) => decodeURIComponent(d.getElementsByTagName("PolicyDocument")[0]?.textContent ?? ""))));
  const reload = () => iamUserPage(main, user);

  const newKey = h("div", { id: "iam-new-key", role: "status" });
  const createKey = h("button", { type: "button", id: "iam-create-key", onclick: async () => {
    try {
      const answer = await api.iam("CreateAccessKey", { UserName: user });
      const tag = (t) => answer.getElementsByTagName(t)[0]?.textContent;
      await reload();
      replace(document.getElementById("iam-new-key"),
        h("p", {}, "The new key's secret is shown this once; it is not kept by the console. Copy it now."),
        h("dl", { class: "facts" }, h("dt", {}, "Access key ID"), h("dd", { id: "iam-new-key-id" }, tag("AccessKeyId")),
          h("dt", {}, "Secret access key"), h("dd", { id: "iam-new-key-secret" }, tag("SecretAccessKey"))));
    } catch (error) {
      flash(error.message);
    }
  } }, "Create access key");

  const policyName = h("input", { id: "iam-policy-name", autocomplete: "off" });
  const policyDocument = h("textarea", { id: "iam-policy-document", rows: 8, spellcheck: "false" });
  policyDocument.value = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "dynamodb:*", Resource: "*" }] }, null, 2);
  const putPolicy = h("form", { id: "iam-policy-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api.iam("PutUserPolicy", { UserName: user, PolicyName: policyName.value.trim(), PolicyDocument: policyDocument.value });
      flash(`Policy ${policyName.value.trim()} saved.`, true);
      await reload();
    } catch (error) {
      flash(error.message);
    }
  } }, field("Policy name", policyName), field("Policy document (JSON)", policyDocument),
  h("button", { type: "submit", id: "iam-put-policy" }, "Save inline policy"));

  replace(main, h("h1", {}, `IAM user ${user}`), h("p", {}, h("a", { href: "#/iam" }, "All users")),
    h("h2", {}, "Access keys"), grid("iam-keys", ["Access key ID", "Status", "Created"], keys.map((k) => [k.AccessKeyId, k.Status, k.CreateDate])),
    h("div", { class: "actions" }, createKey), newKey,
    h("h2", {}, "Inline policies"),
    grid("iam-policies", ["Name", "Document"], policies.map((p, i) => [p, h("pre", {}, documents[i])])),
    h("h2", {}, "Add or replace an inline policy"), putPolicy);
}
