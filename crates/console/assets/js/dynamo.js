// DynamoDB's typed values (AttributeValue JSON): validation with the
// path of the first fault, display, keys, conditions and export.

const TYPES = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"];
// DynamoDB nests documents at most 32 levels deep.
const MAX_DEPTH = 32;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function fault(path, message) { return `${path}: ${message}`; }

// The first problem with a typed value, or null.
export function valueProblem(value, path, depth = 0) {
  if (depth > MAX_DEPTH) return fault(path, `nesting is deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return fault(path, 'a value is an object naming its type, e.g. {"S": "text"}');
  }
  const keys = Object.keys(value);
  if (keys.length !== 1 || !TYPES.includes(keys[0])) {
    return fault(path, `a value has exactly one type of ${TYPES.join(", ")}`);
  }
  const type = keys[0];
  const inner = value[type];
  const strings = (list, check, what) => {
    if (!Array.isArray(list) || list.length === 0) return fault(path, `${type} is a non-empty list of ${what}`);
    for (const member of list) {
      if (typeof member !== "string" || !check(member)) return fault(path, `${type} holds ${what}; ${JSON.stringify(member)} is not one`);
    }
    if (new Set(type === "NS" ? list.map(Number) : list).size !== list.length) return fault(path, `${type} contains duplicates`);
    return null;
  };
  switch (type) {
    case "S": return typeof inner === "string" ? null : fault(path, "S is a string");
    case "N": return typeof inner === "string" && NUMBER.test(inner.trim()) ? null : fault(path, "N is a number written as a string, e.g. \"42\"");
    case "B": return typeof inner === "string" && BASE64.test(inner) ? null : fault(path, "B is base64 text");
    case "BOOL": return typeof inner === "boolean" ? null : fault(path, "BOOL is true or false");
    case "NULL": return inner === true ? null : fault(path, "NULL is true");
    case "SS": return strings(inner, () => true, "strings");
    case "NS": return strings(inner, (s) => NUMBER.test(s.trim()), "numbers as strings");
    case "BS": return strings(inner, (s) => BASE64.test(s), "base64 texts");
    case "L":
      if (!Array.isArray(inner)) return fault(path, "L is a list of values");
      for (let i = 0; i < inner.length; i++) {
        const problem = valueProblem(inner[i], `${path}[${i}]`, depth + 1);
        if (problem) return problem;
      }
      return null;
    case "M":
      if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return fault(path, "M is an object of values");
      for (const [name, member] of Object.entries(inner)) {
        const problem = valueProblem(member, `${path}.${name}`, depth + 1);
        if (problem) return problem;
      }
      return null;
  }
  return null;
}

// The first problem with an item (an object of typed values), or null.
export function itemProblem(item, keySchema) {
  if (item === null || typeof item !== "object" || Array.isArray(item)) return "An item is an object of attributes.";
  for (const key of keySchema) {
    if (!(key.AttributeName in item)) return `${key.AttributeName}: the key attribute is missing`;
  }
  for (const [name, value] of Object.entries(item)) {
    if (!name) return "An attribute name cannot be empty.";
    const problem = valueProblem(value, name);
    if (problem) return problem;
  }
  return null;
}

// A value as plain JSON (numbers as numbers when exact, sets as arrays).
export function plain(value) {
  const [type, inner] = Object.entries(value)[0];
  switch (type) {
    case "N": { const n = Number(inner); return String(n) === inner ? n : inner; }
    case "NS": return inner.map((s) => plain({ N: s }));
    case "NULL": return null;
    case "L": return inner.map(plain);
    case "M": return Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, plain(v)]));
    default: return inner;
  }
}

// A value in a table cell.
export function display(value) {
  if (value === undefined) return "";
  const [type, inner] = Object.entries(value)[0];
  if (type === "S" || type === "N" || type === "B") return inner;
  if (type === "BOOL") return String(inner);
  if (type === "NULL") return "null";
  return JSON.stringify(plain(value));
}

export function typeOf(value) { return Object.keys(value)[0]; }

// The item's key under keySchema.
export function keyOf(item, keySchema) {
  return Object.fromEntries(keySchema.map((k) => [k.AttributeName, item[k.AttributeName]]));
}

// Columns for a list of items: the key attributes first, then the others
// in the order first seen.
export function columns(items, keySchema) {
  const names = keySchema.map((k) => k.AttributeName);
  for (const item of items) for (const name of Object.keys(item)) if (!names.includes(name)) names.push(name);
  return names;
}

// A ConditionExpression that holds only while every attribute of the item
// as loaded still has its loaded value, so that a change made since is
// detected rather than overwritten.
export function unchangedCondition(item) {
  const names = {};
  const values = {};
  const parts = [];
  Object.entries(item).forEach(([name, value], i) => {
    names[`#a${i}`] = name;
    values[`:v${i}`] = value;
    parts.push(`#a${i} = :v${i}`);
  });
  return { ConditionExpression: parts.join(" AND "), ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

// Items as CSV: one column per attribute, values as displayed.
export function toCsv(items, names) {
  const cell = (text) => /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  const lines = [names.map(cell).join(",")];
  for (const item of items) lines.push(names.map((n) => cell(display(item[n]))).join(","));
  return lines.join("\r\n") + "\r\n";
}

// Typed value from a form's text and type.
export function typed(type, text) {
  if (type === "BOOL") return { BOOL: text === "true" };
  if (type === "NULL") return { NULL: true };
  return { [type]: text };
}
