// IAM users: list and create users; a user's access keys (a new secret is
// shown once, kept nowhere; keys can be deactivated, activated, deleted),
// groups, and inline and attached managed policies. The helpers here serve
// the group and role pages too (iam_entities.js).

import * as api from "./api.js";
import { h, field, select, replace, flash } from "./dom.js";

// The members of the list element `list` (e.g. "Users"), each as an object
// of its child elements' texts.
export function members(document, list) {
  const container = document.getElementsByTagName(list)[0];
  if (!container) return [];
  return [...container.children].map((member) => Object.fromEntries([...member.children].map((c) => [c.tagName, c.textContent])));
}

export function grid(id, headings, rows) {
  return h("table", { class: "grid", id }, h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))));
}

// The IAM pages' own navigation.
export function iamNav(current) {
  const pages = [["#/iam", "Users"], ["#/groups", "Groups"], ["#/roles", "Roles"], ["#/policies", "Managed policies"]];
  return h("nav", { class: "tabs", "aria-label": "IAM" }, pages.map(([href, text]) =>
    h("a", { href, "aria-current": text === current ? "page" : undefined }, text)));
}

// Runs an IAM action, then `then`; shows a failure.
export function iamAction(action, params, then) {
  return async (event) => {
    event?.preventDefault();
    try {
      await api.iam(action, params());
      await then();
    } catch (error) {
      flash(error.message);
    }
  };
}

// A user's, group's or role's inline policies, with a form to add one.
export async function inlinePolicies(entity, name, reload) {
  const target = { [`${entity}Name`]: name };
  const names = await api.iam(`List${entity}Policies`, target)
    .then((d) => [...d.getElementsByTagName("PolicyNames")[0]?.children ?? []].map((m) => m.textContent));
  const documents = await Promise.all(names.map((policy) => api.iam(`Get${entity}Policy`, { ...target, PolicyName: policy })
    .then((d) => decodeURIComponent(d.getElementsByTagName("PolicyDocument")[0]?.textContent ?? ""))));
  const policyName = h("input", { id: "iam-policy-name", autocomplete: "off" });
  const policyDocument = h("textarea", { id: "iam-policy-document", rows: 8, spellcheck: "false" });
  policyDocument.value = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "dynamodb:*", Resource: "*" }] }, null, 2);
  const put = h("form", { id: "iam-policy-form", onsubmit: iamAction(`Put${entity}Policy`,
    () => ({ ...target, PolicyName: policyName.value.trim(), PolicyDocument: policyDocument.value }),
    async () => { const saved = policyName.value.trim(); await reload(); flash(`Policy ${saved} saved.`, true); }) },
  field("Policy name", policyName), field("Policy document (JSON)", policyDocument),
  h("button", { type: "submit", id: "iam-put-policy" }, "Save inline policy"));
  return [h("h2", {}, "Inline policies"),
    grid("iam-policies", ["Name", "Document", ""], names.map((p, i) => [p, h("pre", {}, documents[i]),
      h("button", { type: "button", "aria-label": `Delete inline policy ${p}`,
        onclick: iamAction(`Delete${entity}Policy`, () => ({ ...target, PolicyName: p }), reload) }, "Delete")])),
    h("h2", {}, "Add or replace an inline policy"), put];
}

// The managed policies attached to a user, group or role, with a choice of
// the account's policies to attach.
export async function attachedPolicies(entity, name, reload) {
  const target = { [`${entity}Name`]: name };
  const [attached, available] = await Promise.all([
    api.iam(`ListAttached${entity}Policies`, target).then((d) => members(d, "AttachedPolicies")),
    api.iam("ListPolicies", { Scope: "Local", MaxItems: "1000" }).then((d) => members(d, "Policies")),
  ]);
  const choice = select("iam-attach-choice", available.filter((p) => !attached.some((a) => a.PolicyArn === p.Arn)).map((p) => [p.Arn, p.PolicyName]));
  return [h("h2", {}, "Attached managed policies"),
    grid("iam-attached", ["Name", "ARN", ""], attached.map((p) => [p.PolicyName, p.PolicyArn,
      h("button", { type: "button", "aria-label": `Detach ${p.PolicyName}`,
        onclick: iamAction(`Detach${entity}Policy`, () => ({ ...target, PolicyArn: p.PolicyArn }), reload) }, "Detach")])),
    choice.options.length === 0 ? h("p", { class: "muted" }, "No other managed policy to attach (create one under Managed policies).") :
      h("div", { class: "row" }, field("Managed policy", choice),
        h("button", { type: "button", id: "iam-attach", onclick: iamAction(`Attach${entity}Policy`, () => ({ ...target, PolicyArn: choice.value }), reload) }, "Attach"))];
}

export async function iamPage(main) {
  const users = members(await api.iam("ListUsers", { MaxItems: "1000" }), "Users");
  const name = h("input", { id: "iam-new-user", autocomplete: "off" });
  const create = h("form", { id: "iam-create-user-form", onsubmit: iamAction("CreateUser", () => ({ UserName: name.value.trim() }),
    () => { location.hash = `#/iam/${encodeURIComponent(name.value.trim())}`; }) },
  h("div", { class: "row" }, field("New user name", name), h("button", { type: "submit", id: "iam-create-user" }, "Create user")));
  replace(main, h("h1", {}, "IAM users"), iamNav("Users"), create,
    grid("iam-users", ["User", "ARN", "Created"], users.map((u) => [
      h("a", { href: `#/iam/${encodeURIComponent(u.UserName)}` }, u.UserName), u.Arn, u.CreateDate])));
}

export async function iamUserPage(main, user) {
  const reload = () => iamUserPage(main, user);
  const [keys, groups, inline, attached] = await Promise.all([
    api.iam("ListAccessKeys", { UserName: user }).then((d) => members(d, "AccessKeyMetadata")),
    api.iam("ListGroupsForUser", { UserName: user }).then((d) => members(d, "Groups")),
    inlinePolicies("User", user, reload),
    attachedPolicies("User", user, reload),
  ]);

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
  const keyActions = (k) => {
    const other = k.Status === "Active" ? "Inactive" : "Active";
    return h("span", { class: "actions" },
      h("button", { type: "button", "aria-label": `${other === "Active" ? "Activate" : "Deactivate"} key ${k.AccessKeyId}`,
        onclick: iamAction("UpdateAccessKey", () => ({ UserName: user, AccessKeyId: k.AccessKeyId, Status: other }), reload) },
      other === "Active" ? "Activate" : "Deactivate"),
      h("button", { type: "button", class: "danger", "aria-label": `Delete key ${k.AccessKeyId}`,
        onclick: iamAction("DeleteAccessKey", () => ({ UserName: user, AccessKeyId: k.AccessKeyId }), reload) }, "Delete"));
  };

  replace(main, h("h1", {}, `IAM user ${user}`), iamNav("Users"), h("p", {}, h("a", { href: "#/iam" }, "All users")),
    h("h2", {}, "Access keys"),
    grid("iam-keys", ["Access key ID", "Status", "Created", ""], keys.map((k) => [k.AccessKeyId, k.Status, k.CreateDate, keyActions(k)])),
    h("div", { class: "actions" }, createKey), newKey,
    h("h2", {}, "Groups"),
    grid("iam-user-groups", ["Group"], groups.map((g) => [h("a", { href: `#/group/${encodeURIComponent(g.GroupName)}` }, g.GroupName)])),
    attached, inline);
}
